package build

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/confdash/confdash/schedule"
)

// Builder holds what the importers (frab XML, schedule.json, schedule2,
// iCalendar) share: each format reads its source into Sessions, and the
// Builder turns them into a Schedule the same way for all of them, so
// tracks, ids, days and warnings mean the same whatever the source was.

// NoRoom names the track of sessions whose source gives no room.
const NoRoom = "Unassigned"

// Session is one session as a source states it, before tracks, ids and
// days are settled.
type Session struct {
	SourceID   string // the source's id; may be empty or repeat
	Room       string // room name as written
	Title      string
	Speakers   []schedule.Speaker
	Kind       schedule.Kind
	Start, End time.Time
	HasOffset  bool // the source gave the instant with its own offset
	// Marker allows End == Start: an iCalendar event without DTEND or
	// DURATION is an instant (RFC 5545 3.6.1), such as "End of conference".
	Marker   bool
	Abstract string
	URL      string
	Tags     []string
	Day      int // index into Builder.Days, or -1 to derive it
	Line     int

	// What the source tells the crew (schedule.Session has the meaning).
	Subtitle, Language, Type, FeedbackURL string
	DoNotRecord, DoNotStream              bool
}

// SourceDay is a conference day as the source lists it; zero fields are unknown.
type SourceDay struct {
	Date       string // YYYY-MM-DD
	Start, End time.Time
	Line       int
}

// counted aggregates a warning that would otherwise repeat once per event.
type counted struct {
	n, line int
}

// Builder collects what a source says and builds the Schedule.
type Builder struct {
	File   string          // names the source in diagnostics
	Format schedule.Format // the format being read
	Name   string          // the conference's name, as the source gives it

	// Loc is the conference zone; ZoneName its IANA name. zoneStated is
	// true when the source itself named the zone (SetZone).
	Loc        *time.Location
	ZoneName   string
	zoneStated bool
	// statedAt is where the source names its zone, for the messages
	// about a different zone the caller gives.
	statedAt struct {
		line  int
		field string
	}
	// assumed is set when any local time was read in a zone the source
	// did not name.
	assumed bool
	opts    schedule.Options

	Days []SourceDay // the days the source lists, in its order
	// RoomGUIDs are the source's room identities by room name (SetRoomGUID).
	RoomGUIDs    map[string]string
	DeclaredDays int // the source's own day count; 0 when not given
	sessions     []Session
	Warns        []schedule.Diagnostic

	skipped   int    // events that could not be imported
	firstSkip string // why the first of them was skipped

	counts map[string]*counted // aggregated warnings by message

	// wallNotes says, by Unix second, which instants were read from a
	// wall time in a daylight saving gap or repeated hour (see Local).
	wallNotes map[int64]string
}

// New starts reading a source named file in format.
func New(file string, format schedule.Format, opts schedule.Options) *Builder {
	return &Builder{File: file, Format: format, opts: opts, counts: map[string]*counted{}}
}

// Warn records something odd but importable.
func (b *Builder) Warn(line int, field, format string, args ...any) {
	b.Warns = append(b.Warns, schedule.Diagnosticf(b.File, line, field, format, args...))
}

// SetRoomGUID records the source's stable identity of a room (see
// schedule.Track.GUID).
func (b *Builder) SetRoomGUID(room, guid string) {
	room, guid = strings.TrimSpace(room), strings.TrimSpace(guid)
	if room == "" || guid == "" {
		return
	}
	if b.RoomGUIDs == nil {
		b.RoomGUIDs = map[string]string{}
	}
	b.RoomGUIDs[room] = guid
}

// Skip records an event that could not be imported, with the reason.
func (b *Builder) Skip(line int, field, format string, args ...any) {
	msg := schedule.Diagnosticf(b.File, line, field, format, args...).Message
	if b.skipped == 0 {
		b.firstSkip = msg
		if line > 0 {
			b.firstSkip = fmt.Sprintf("line %d: %s", line, msg)
		}
	}
	b.skipped++
	// msg is clipped already: appended whole, not clipped again as a value.
	b.Warns = append(b.Warns, schedule.Diagnostic{File: b.File, Line: line, Field: field, Message: msg + ": skipped"})
}

// SkipDuration skips an event whose duration could not be read (err from
// Duration or ISODuration): a negative one is named as such, anything else
// is shown with the form the format expects (want, e.g. "H:MM").
func (b *Builder) SkipDuration(line int, field, label, value string, err error, want string) {
	if errors.Is(err, ErrNegativeDuration) {
		b.Skip(line, field, "event %s has a negative duration %q: give its length without a minus sign, or an end after its start", label, schedule.Short(value))
		return
	}
	b.Skip(line, field, "event %s has duration %q, not %s", label, schedule.Short(value), want)
}

// Count aggregates a repeated observation into one warning; key is the
// message shown, with the number of events and the first line appended.
func (b *Builder) Count(line int, key string) {
	c := b.counts[key]
	if c == nil {
		c = &counted{line: line}
		b.counts[key] = c
	}
	c.n++
}

func (b *Builder) flushCounts() {
	keys := make([]string, 0, len(b.counts))
	for k := range b.counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ci, cj := b.counts[keys[i]], b.counts[keys[j]]
		if ci.line != cj.line {
			return ci.line < cj.line
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		c := b.counts[k]
		noun := "events"
		if c.n == 1 {
			noun = "event"
		}
		b.Warns = append(b.Warns, schedule.Diagnostic{File: b.File, Line: c.line, Message: fmt.Sprintf("%s (%d %s, first here)", k, c.n, noun)})
	}
	b.counts = map[string]*counted{}
}

// SetZone settles the conference zone from the name the source gives (empty
// when it gives none). A stated zone wins over the caller's; without one the
// caller's (or UTC) is used and the schedule says so.
func (b *Builder) SetZone(stated string, line int, field string) {
	stated = strings.TrimSpace(stated)
	if stated != "" {
		if loc, ok := LoadZone(stated); ok {
			b.Loc, b.ZoneName, b.zoneStated = loc, loc.String(), true
			// Whether a different given zone is used depends on the
			// events' offsets: Finish decides (givenZone).
			b.statedAt.line, b.statedAt.field = line, field
			return
		}
		b.Warn(line, field, "%q is not an IANA time zone name: ignored", stated)
	}
	if b.opts.Zone != nil {
		b.Loc, b.ZoneName = b.opts.Zone, b.opts.Zone.String()
	} else {
		b.Loc, b.ZoneName = time.UTC, "UTC"
	}
}

// Local reads a wall-clock time in the conference zone, noting when that
// zone was not the source's own.
//
// A wall time the clocks skip (daylight saving time starts) or show twice
// (it ends) is noted by the instant it was read as; add warns about the
// session that holds it, since only there is the session known.
func (b *Builder) Local(y int, mo time.Month, d, h, mi, s int) time.Time {
	if !b.zoneStated {
		b.assumed = true
	}
	return b.WallIn(time.Date(y, mo, d, h, mi, s, 0, time.UTC), b.Loc)
}

// WallIn reads the wall time w (given in UTC) in loc, noting a time in a
// daylight saving gap or a repeated hour for add to warn about.
func (b *Builder) WallIn(w time.Time, loc *time.Location) time.Time {
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
	switch cands := LocalCandidates(w, loc); len(cands) {
	case 0:
		b.note(t, fmt.Sprintf("%s does not exist in %s (the clocks skip it when daylight saving time starts): read as %s; check the time",
			w.Format("2006-01-02 15:04"), loc, t.Format("15:04 -07:00")))
	case 2:
		which := "first"
		if t.Equal(cands[1]) {
			which = "second"
		}
		b.note(t, fmt.Sprintf("%s happens twice in %s (the clocks go back): read as the %s, %s; give the time with its offset to choose",
			w.Format("2006-01-02 15:04"), loc, which, t.Format("15:04 -07:00")))
	}
	return t
}

// note remembers what is odd about the instant a wall time was read as.
func (b *Builder) note(t time.Time, msg string) {
	if b.wallNotes == nil {
		b.wallNotes = map[int64]string{}
	}
	b.wallNotes[t.Unix()] = msg
}

// Add records a session after the checks every format shares.
func (b *Builder) Add(s Session) {
	// Text is valid UTF-8 from here on (a bad byte becomes U+FFFD), so
	// that every writer can write it.
	clean := func(v string) string { return strings.TrimSpace(strings.ToValidUTF8(v, "\uFFFD")) }
	s.Title, s.Room, s.SourceID = clean(s.Title), clean(s.Room), clean(s.SourceID)
	s.Abstract, s.URL = clean(s.Abstract), clean(s.URL)
	s.Subtitle, s.Language, s.Type, s.FeedbackURL = clean(s.Subtitle), clean(s.Language), clean(s.Type), clean(s.FeedbackURL)
	for i := range s.Speakers {
		s.Speakers[i].Name, s.Speakers[i].Affiliation = clean(s.Speakers[i].Name), clean(s.Speakers[i].Affiliation)
	}
	for i := range s.Tags {
		s.Tags[i] = clean(s.Tags[i])
	}
	// Sub-second instants are noise in a schedule, and the native format
	// writes whole seconds.
	s.Start, s.End = s.Start.Truncate(time.Second), s.End.Truncate(time.Second)
	if !s.End.After(s.Start) && !(s.Marker && s.End.Equal(s.Start)) {
		b.Skip(s.Line, "end", "event %s ends at %s, not after its start %s", schedule.Label(s.SourceID, s.Title),
			s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339))
		return
	}
	if s.End.Sub(s.Start) > schedule.MaxSessionDuration {
		b.Skip(s.Line, "duration", "event %s lasts %s, more than a week", schedule.Label(s.SourceID, s.Title), s.End.Sub(s.Start))
		return
	}
	for field, t := range map[string]time.Time{"start": s.Start, "end": s.End} {
		if err := schedule.CheckServable(t); err != nil {
			b.Skip(s.Line, field, "event %s: %s %v", schedule.Label(s.SourceID, s.Title), field, err)
			return
		}
	}
	for _, t := range []time.Time{s.Start, s.End} {
		if note, ok := b.wallNotes[t.Unix()]; ok {
			// note is written by WallIn, not quoted from the source.
			b.Warns = append(b.Warns, schedule.Diagnostic{File: b.File, Line: s.Line, Field: "start", Message: "event " + schedule.Label(s.SourceID, s.Title) + ": " + note})
		}
	}
	if s.URL != "" && !WebURL(s.URL) {
		b.Warn(s.Line, "url", "event %s: link %q is not an http(s) address: dropped", schedule.Label(s.SourceID, s.Title), s.URL)
		s.URL = ""
	}
	if s.FeedbackURL != "" && !WebURL(s.FeedbackURL) {
		b.Warn(s.Line, "feedback_url", "event %s: feedback link %q is not an http(s) address: dropped", schedule.Label(s.SourceID, s.Title), s.FeedbackURL)
		s.FeedbackURL = ""
	}
	if s.Title == "" {
		s.Title = "Untitled"
		b.Count(s.Line, "event without a title: imported as \"Untitled\"")
	}
	if s.Kind == "" {
		s.Kind = schedule.KindTalk
	}
	// A source without a title shows its subtitle as the title: once is
	// enough.
	if s.Subtitle == s.Title {
		s.Subtitle = ""
	}
	b.sessions = append(b.sessions, s)
}

// Finish builds the schedule, or refuses a source without a usable session.
func (b *Builder) Finish() (*schedule.Schedule, []schedule.Diagnostic, error) {
	if len(b.sessions) == 0 {
		b.flushCounts()
		msg := "no usable session: the file lists no events"
		if b.skipped > 0 {
			msg = fmt.Sprintf("no usable session: all %d events were skipped (first: %s)", b.skipped, b.firstSkip)
		}
		return nil, b.Warns, schedule.Errors{{File: b.File, Message: msg}}
	}
	if b.Loc == nil {
		b.SetZone("", 0, "")
	}
	if err := b.givenZone(); err != nil {
		b.flushCounts()
		return nil, b.Warns, err
	}
	b.guessZone()
	b.checkOffsets()

	s := &schedule.Schedule{
		Name:        strings.TrimSpace(b.Name),
		TimeZone:    b.ZoneName,
		Location:    b.Loc,
		Format:      b.Format,
		ZoneAssumed: !b.zoneStated || b.assumed,
	}
	trackOf := b.tracks(s)
	ids := b.ids(trackOf)
	s.Sessions = make([]schedule.Session, len(b.sessions))
	missing := 0
	for i, is := range b.sessions {
		if len(is.Speakers) == 0 && is.Kind != schedule.KindBreak {
			missing++
		}
		s.Sessions[i] = schedule.Session{
			ID:       ids[i],
			Track:    trackOf[is.Room],
			Title:    is.Title,
			Speakers: is.Speakers,
			Kind:     is.Kind,
			Start:    is.Start,
			End:      is.End,
			Abstract: strings.TrimSpace(is.Abstract),
			URL:      strings.TrimSpace(is.URL),
			Tags:     is.Tags,

			Subtitle:    is.Subtitle,
			Language:    is.Language,
			Type:        is.Type,
			DoNotRecord: is.DoNotRecord,
			DoNotStream: is.DoNotStream,
			FeedbackURL: is.FeedbackURL,
		}
	}
	if b.DeclaredDays > 0 && len(b.Days) > 0 && b.DeclaredDays != len(b.Days) {
		b.Warn(b.Days[0].Line, "days", "the conference says it has %d days but the file lists %d", b.DeclaredDays, len(b.Days))
	}
	listedIn := make([]int, len(b.sessions))
	for i, is := range b.sessions {
		listedIn[i] = is.Day
	}
	s.Days = Days(s.Sessions, b.Loc, b.Days, listedIn)
	b.overlaps(s)
	if missing > 0 {
		b.Warn(0, "speakers", "%d of %d sessions name no speaker", missing, len(s.Sessions))
	}
	b.flushCounts()
	// Warnings in file order; those about the whole file first.
	SortDiagnostics(b.Warns)
	s.Index()
	return s, b.Warns, nil
}

// givenZone settles the zone the caller gives (Options.Zone, --timezone)
// against what the file says. When every event carries its own offset the
// instants do not depend on any zone, which only shows them: the given zone
// is used if it agrees with every offset (pretalx files name UTC while their
// events are +01:00) and refused if it does not, since screens would show
// times the source never meant. When some times are local they were read in
// the file's own zone (or the given one, when the file names none), which
// therefore stays.
func (b *Builder) givenZone() error {
	given := b.opts.Zone
	if given == nil || b.zoneStated && given.String() == b.ZoneName {
		return nil
	}
	for _, s := range b.sessions {
		if !s.HasOffset {
			if b.zoneStated {
				b.Warn(b.statedAt.line, b.statedAt.field, "the file names time zone %q; the given zone %q is not used: the file gives local times, which are read in its own zone", b.ZoneName, given.String())
			}
			return nil
		}
	}
	for _, s := range b.sessions {
		for _, t := range []time.Time{s.Start, s.End} {
			_, off := t.Zone()
			if _, g := t.In(given).Zone(); g != off {
				return schedule.Errors{{File: b.File, Line: s.Line, Field: "timezone", Message: fmt.Sprintf(
					"the given time zone %s does not agree with the file's offsets: event %s is at %s, when %s is at %s; give a zone with the file's offsets, or no zone to show the times in %s",
					given, schedule.Label(s.SourceID, s.Title), t.Format("2006-01-02 15:04 -07:00"), given, t.In(given).Format("-07:00"), b.shownZone())}}
			}
		}
	}
	if b.zoneStated {
		b.Warn(b.statedAt.line, b.statedAt.field, "the file names time zone %q but every event carries offsets of %s: shown in %s, as given", b.ZoneName, given, given)
	}
	b.Loc, b.ZoneName = given, given.String()
	return nil
}

// shownZone names the zone the file's times are shown in without a given
// zone: the one it names, or else the one its offsets suggest.
func (b *Builder) shownZone() string {
	if b.zoneStated {
		return b.ZoneName
	}
	return "the zone of their offsets"
}

// guessZone gives a schedule whose source names no zone, but whose every
// session carries the same whole-hour offset, the matching Etc zone, so that
// screens show the times the source meant even without --timezone.
func (b *Builder) guessZone() {
	if b.zoneStated || b.opts.Zone != nil {
		return
	}
	off, first := 0, true
	for _, s := range b.sessions {
		if !s.HasOffset {
			return
		}
		_, o := s.Start.Zone()
		if first {
			off, first = o, false
		} else if o != off {
			return
		}
	}
	if off == 0 || off%3600 != 0 || off/3600 < -12 || off/3600 > 14 {
		return
	}
	// Etc zones have inverted signs: Etc/GMT-1 is UTC+1.
	name := fmt.Sprintf("Etc/GMT%+d", -off/3600)
	if loc, ok := LoadZone(name); ok {
		b.Loc, b.ZoneName = loc, name
	}
}

// checkOffsets warns once when the offsets the source gives disagree with the
// conference zone: the instants follow the offsets, the zone only shows them.
func (b *Builder) checkOffsets() {
	n, line, example := 0, 0, ""
	for _, s := range b.sessions {
		if !s.HasOffset {
			continue
		}
		_, o := s.Start.Zone()
		if _, z := s.Start.In(b.Loc).Zone(); z != o {
			if n == 0 {
				line, example = s.Line, s.Start.Format("-07:00")
			}
			n++
		}
	}
	if n > 0 {
		b.Warn(line, "timezone", "%d events carry offsets (such as %s) that differ from the zone %s: their instants follow the offsets", n, example, b.ZoneName)
	}
}

// tracks makes one track per room that holds a session, in order of first
// appearance, and returns the track id of each room name.
func (b *Builder) tracks(s *schedule.Schedule) map[string]string {
	trackOf := map[string]string{}
	ids := NewIDs()
	// A GUID that the source gives to more than one room (pretalx's
	// democon gives both its rooms one) identifies neither: such rooms
	// are known by their slug only.
	rooms := map[string][]string{}
	for room, g := range b.RoomGUIDs {
		rooms[g] = append(rooms[g], room)
	}
	for _, g := range slices.Sorted(maps.Keys(rooms)) {
		if rs := rooms[g]; len(rs) > 1 {
			slices.Sort(rs)
			b.Warn(0, "rooms.guid", "rooms %s share the guid %s, so it cannot tell them apart: a reload that renames one of them will not keep its screens and live changes", strings.Join(quoteAll(rs), ", "), g)
		}
	}
	for _, is := range b.sessions {
		if _, ok := trackOf[is.Room]; ok {
			continue
		}
		name := is.Room
		if name == "" {
			name = NoRoom
		}
		id := ids.Unique(Slug(name))
		trackOf[is.Room] = id
		guid := b.RoomGUIDs[is.Room]
		if len(rooms[guid]) != 1 {
			guid = ""
		}
		s.Tracks = append(s.Tracks, schedule.Track{ID: id, Name: name, GUID: guid})
	}
	return trackOf
}

// ids gives every session a unique id: the source's, with a suffix when it
// repeats (nothing is dropped), or one derived from track and start as the
// native format derives it.
func (b *Builder) ids(trackOf map[string]string) []string {
	// Source ids are reserved first so that a derived or suffixed id never
	// takes an id the source gives to a later session.
	ids := NewIDs()
	for _, is := range b.sessions {
		if is.SourceID != "" {
			ids.Reserve(is.SourceID)
		}
	}
	out := make([]string, len(b.sessions))
	for i, is := range b.sessions {
		id := is.SourceID
		switch {
		case id == "":
			id = ids.Unique(DerivedID(trackOf[is.Room], is.Start, b.Loc))
		case ids.taken[id]:
			nid := ids.Unique(id)
			b.Warn(is.Line, "id", "event id %q is used more than once: this one is imported as %q", id, nid)
			id = nid
		default:
			ids.taken[id] = true
		}
		out[i] = id
	}
	return out
}

// DerivedID is the id of a session its source gives none: its track and its
// local start, "main-2026-10-06-0930", as every format derives it.
func DerivedID(track string, start time.Time, loc *time.Location) string {
	return track + "-" + start.In(loc).Format("2006-01-02-1504")
}

// IDs hands out unique ids: a base as it is, or with the first free suffix
// "-2", "-3"... Ids reserved first are never handed out.
type IDs struct {
	taken, reserved map[string]bool
	next            map[string]int // the next suffix to try for a base
}

// NewIDs returns an IDs with nothing taken.
func NewIDs() *IDs {
	return &IDs{taken: map[string]bool{}, reserved: map[string]bool{}, next: map[string]int{}}
}

// Reserve keeps id from being handed out (an id the source gives a later
// session).
func (u *IDs) Reserve(id string) { u.reserved[id] = true }

// Unique returns base, or base-2, base-3..., the first that is neither taken
// nor reserved, and takes it. Remembering where each base's search stopped
// keeps a file with thousands of equal ids linear.
func (u *IDs) Unique(base string) string {
	id := base
	if u.taken[id] || u.reserved[id] {
		n := max(u.next[base], 2)
		for id = base + "-" + strconv.Itoa(n); u.taken[id] || u.reserved[id]; {
			n++
			id = base + "-" + strconv.Itoa(n)
		}
		u.next[base] = n + 1
	}
	u.taken[id] = true
	return id
}

// overlaps warns about sessions that overlap in one room: kept, because the
// source means them, but a screen can show only one.
func (b *Builder) overlaps(s *schedule.Schedule) {
	byTrack := map[string][]int{}
	for i, ss := range s.Sessions {
		byTrack[ss.Track] = append(byTrack[ss.Track], i)
	}
	for _, t := range s.Tracks {
		idx := byTrack[t.ID]
		sort.SliceStable(idx, func(i, j int) bool { return s.Sessions[idx[i]].Start.Before(s.Sessions[idx[j]].Start) })
		var prev *schedule.Session
		for _, i := range idx {
			cur := &s.Sessions[i]
			if prev != nil && cur.Start.Before(prev.End) {
				b.Warn(b.sessions[i].Line, "start", "session %s (%s–%s) overlaps %s (%s–%s) in room %q: both kept",
					schedule.Label(cur.ID, cur.Title), cur.Start.In(b.Loc).Format("Jan 2 15:04"), cur.End.In(b.Loc).Format("15:04"),
					schedule.Label(prev.ID, prev.Title), prev.Start.In(b.Loc).Format("Jan 2 15:04"), prev.End.In(b.Loc).Format("15:04"),
					t.Name)
			}
			if prev == nil || cur.End.After(prev.End) {
				prev = cur
			}
		}
	}
}

// SortDiagnostics puts diagnostics in file order, keeping the order of those
// on one line (and those about the whole file, line 0, first): the one order
// every format reports in.
func SortDiagnostics(ds []schedule.Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Line < ds[j].Line })
}

// quoteAll quotes each string, for a message.
func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}
