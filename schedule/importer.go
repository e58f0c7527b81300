package schedule

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// This file holds what the importers (frab XML, schedule.json, schedule2,
// iCalendar) share: each format reads its source into impSessions, and
// impBuilder turns them into a Schedule the same way for all of them, so
// tracks, ids, days and warnings mean the same whatever the source was.

// impNoRoom names the track of sessions whose source gives no room.
const impNoRoom = "Unassigned"

// impSession is one session as a source states it, before tracks, ids and
// days are settled.
type impSession struct {
	srcID      string // the source's id; may be empty or repeat
	room       string // room name as written
	title      string
	speakers   []Speaker
	kind       Kind
	start, end time.Time
	hasOffset  bool // the source gave the instant with its own offset
	// marker allows end == start: an iCalendar event without DTEND or
	// DURATION is an instant (RFC 5545 3.6.1), such as "End of conference".
	marker   bool
	abstract string
	url      string
	tags     []string
	day      int // index into impBuilder.days, or -1 to derive it
	line     int
}

// impDay is a conference day as the source lists it; zero fields are unknown.
type impDay struct {
	date       string // YYYY-MM-DD
	start, end time.Time
	line       int
}

// impCount aggregates a warning that would otherwise repeat once per event.
type impCount struct {
	n, line int
}

// impBuilder collects what a source says and builds the Schedule.
type impBuilder struct {
	file   string
	format string
	name   string

	// loc is the conference zone; zoneName its IANA name. zoneStated is
	// true when the source itself named the zone.
	loc        *time.Location
	zoneName   string
	zoneStated bool
	// assumed is set when any local time was read in a zone the source
	// did not name.
	assumed bool
	opts    Options

	days         []impDay
	declaredDays int // the source's own day count; 0 when not given
	sessions     []impSession
	warns        []Diagnostic

	skipped   int    // events that could not be imported
	firstSkip string // why the first of them was skipped

	counts map[string]*impCount // aggregated warnings by message

	// wallNotes says, by Unix second, which instants were read from a
	// wall time in a daylight saving gap or repeated hour (see local).
	wallNotes map[int64]string
}

func newImpBuilder(file, format string, opts Options) *impBuilder {
	return &impBuilder{file: file, format: format, opts: opts, counts: map[string]*impCount{}}
}

func (b *impBuilder) warn(line int, field, format string, args ...any) {
	b.warns = append(b.warns, Diagnostic{File: b.file, Line: line, Field: field, Message: fmt.Sprintf(format, clipArgs(args)...)})
}

// skip records an event that could not be imported, with the reason.
func (b *impBuilder) skip(line int, field, format string, args ...any) {
	msg := fmt.Sprintf(format, clipArgs(args)...)
	if b.skipped == 0 {
		b.firstSkip = msg
		if line > 0 {
			b.firstSkip = fmt.Sprintf("line %d: %s", line, msg)
		}
	}
	b.skipped++
	// msg is clipped already: appended whole, not clipped again as a value.
	b.warns = append(b.warns, Diagnostic{File: b.file, Line: line, Field: field, Message: msg + ": skipped"})
}

// count aggregates a repeated observation into one warning; key is the
// message shown, with the number of events and the first line appended.
func (b *impBuilder) count(line int, key string) {
	c := b.counts[key]
	if c == nil {
		c = &impCount{line: line}
		b.counts[key] = c
	}
	c.n++
}

func (b *impBuilder) flushCounts() {
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
		b.warns = append(b.warns, Diagnostic{File: b.file, Line: c.line, Message: fmt.Sprintf("%s (%d %s, first here)", k, c.n, noun)})
	}
	b.counts = map[string]*impCount{}
}

// setZone settles the conference zone from the name the source gives (empty
// when it gives none). A stated zone wins over the caller's; without one the
// caller's (or UTC) is used and the schedule says so.
func (b *impBuilder) setZone(stated string, line int, field string) {
	stated = strings.TrimSpace(stated)
	if stated != "" {
		if loc, ok := impLoadZone(stated); ok {
			b.loc, b.zoneName, b.zoneStated = loc, loc.String(), true
			if b.opts.Zone != nil && b.opts.Zone.String() != b.zoneName {
				b.warn(line, field, "the file names time zone %q; the given zone %q is not used", b.zoneName, b.opts.Zone.String())
			}
			return
		}
		b.warn(line, field, "%q is not an IANA time zone name: ignored", stated)
	}
	if b.opts.Zone != nil {
		b.loc, b.zoneName = b.opts.Zone, b.opts.Zone.String()
	} else {
		b.loc, b.zoneName = time.UTC, "UTC"
	}
}

// local reads a wall-clock time in the conference zone, noting when that
// zone was not the source's own.
//
// A wall time the clocks skip (daylight saving time starts) or show twice
// (it ends) is noted by the instant it was read as; add warns about the
// session that holds it, since only there is the session known.
func (b *impBuilder) local(y int, mo time.Month, d, h, mi, s int) time.Time {
	if !b.zoneStated {
		b.assumed = true
	}
	return b.wallIn(time.Date(y, mo, d, h, mi, s, 0, time.UTC), b.loc)
}

// wallIn reads the wall time w (given in UTC) in loc, noting a time in a
// daylight saving gap or a repeated hour for add to warn about.
func (b *impBuilder) wallIn(w time.Time, loc *time.Location) time.Time {
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
	switch cands := nativeLocalCandidates(w, loc); len(cands) {
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
func (b *impBuilder) note(t time.Time, msg string) {
	if b.wallNotes == nil {
		b.wallNotes = map[int64]string{}
	}
	b.wallNotes[t.Unix()] = msg
}

// webURL reports whether v is a link a page may show: an absolute http or
// https address on one line, never javascript:, data: or a value with
// control characters that could break out of where it is written.
func webURL(v string) bool {
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return false
	}
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// impLoadZone resolves an IANA zone name. "Local" is refused: it would make
// the schedule depend on the machine reading it.
func impLoadZone(name string) (*time.Location, bool) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// add records a session after the checks every format shares.
func (b *impBuilder) add(s impSession) {
	// Text is valid UTF-8 from here on (a bad byte becomes U+FFFD), so
	// that every writer can write it.
	clean := func(v string) string { return strings.TrimSpace(strings.ToValidUTF8(v, "\uFFFD")) }
	s.title, s.room, s.srcID = clean(s.title), clean(s.room), clean(s.srcID)
	s.abstract, s.url = clean(s.abstract), clean(s.url)
	for i := range s.speakers {
		s.speakers[i].Name, s.speakers[i].Affiliation = clean(s.speakers[i].Name), clean(s.speakers[i].Affiliation)
	}
	for i := range s.tags {
		s.tags[i] = clean(s.tags[i])
	}
	// Sub-second instants are noise in a schedule, and the native format
	// writes whole seconds.
	s.start, s.end = s.start.Truncate(time.Second), s.end.Truncate(time.Second)
	if !s.end.After(s.start) && !(s.marker && s.end.Equal(s.start)) {
		b.skip(s.line, "end", "event %s ends at %s, not after its start %s", impLabel(s.srcID, s.title),
			s.end.Format(time.RFC3339), s.start.Format(time.RFC3339))
		return
	}
	if s.end.Sub(s.start) > MaxSessionDuration {
		b.skip(s.line, "duration", "event %s lasts %s, more than a week", impLabel(s.srcID, s.title), s.end.Sub(s.start))
		return
	}
	for field, t := range map[string]time.Time{"start": s.start, "end": s.end} {
		if !servable(t) {
			b.skip(s.line, field, "event %s: %s "+unservableFormat, append([]any{impLabel(s.srcID, s.title), field}, unservableArgs(t)...)...)
			return
		}
	}
	for _, t := range []time.Time{s.start, s.end} {
		if note, ok := b.wallNotes[t.Unix()]; ok {
			// note is written by local, not quoted from the source.
			b.warns = append(b.warns, Diagnostic{File: b.file, Line: s.line, Field: "start", Message: "event " + impLabel(s.srcID, s.title) + ": " + note})
		}
	}
	if s.url != "" && !webURL(s.url) {
		b.warn(s.line, "url", "event %s: link %q is not an http(s) address: dropped", impLabel(s.srcID, s.title), s.url)
		s.url = ""
	}
	if s.title == "" {
		s.title = "Untitled"
		b.count(s.line, "event without a title: imported as \"Untitled\"")
	}
	if s.kind == "" {
		s.kind = KindTalk
	}
	b.sessions = append(b.sessions, s)
}

// impLabel names an event in a message: its id, else its title.
func impLabel(id, title string) string {
	switch {
	case id != "" && title != "":
		return fmt.Sprintf("%s (%q)", id, impShort(title))
	case id != "":
		return id
	case title != "":
		return strconv.Quote(impShort(title))
	}
	return "without id or title"
}

func impShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:39]) + "…"
	}
	return s
}

// finish builds the schedule, or refuses a source without a usable session.
func (b *impBuilder) finish() (*Schedule, []Diagnostic, error) {
	if len(b.sessions) == 0 {
		b.flushCounts()
		msg := "no usable session: the file lists no events"
		if b.skipped > 0 {
			msg = fmt.Sprintf("no usable session: all %d events were skipped (first: %s)", b.skipped, b.firstSkip)
		}
		return nil, b.warns, Errors{{File: b.file, Message: msg}}
	}
	if b.loc == nil {
		b.setZone("", 0, "")
	}
	b.guessZone()
	b.checkOffsets()

	s := &Schedule{
		Name:        strings.TrimSpace(b.name),
		TimeZone:    b.zoneName,
		Location:    b.loc,
		Format:      b.format,
		ZoneAssumed: !b.zoneStated || b.assumed,
	}
	trackOf := b.tracks(s)
	ids := b.ids(trackOf)
	s.Sessions = make([]Session, len(b.sessions))
	missing := 0
	for i, is := range b.sessions {
		if len(is.speakers) == 0 && is.kind != KindBreak {
			missing++
		}
		s.Sessions[i] = Session{
			ID:       ids[i],
			Track:    trackOf[is.room],
			Title:    is.title,
			Speakers: is.speakers,
			Kind:     is.kind,
			Start:    is.start,
			End:      is.end,
			Abstract: strings.TrimSpace(is.abstract),
			URL:      strings.TrimSpace(is.url),
			Tags:     is.tags,
		}
	}
	b.buildDays(s)
	b.overlaps(s)
	if missing > 0 {
		b.warn(0, "speakers", "%d of %d sessions name no speaker", missing, len(s.Sessions))
	}
	b.flushCounts()
	// Warnings in file order; those about the whole file first.
	sort.SliceStable(b.warns, func(i, j int) bool { return b.warns[i].Line < b.warns[j].Line })
	s.index()
	return s, b.warns, nil
}

// guessZone gives a schedule whose source names no zone, but whose every
// session carries the same whole-hour offset, the matching Etc zone, so that
// screens show the times the source meant even without --timezone.
func (b *impBuilder) guessZone() {
	if b.zoneStated || b.opts.Zone != nil {
		return
	}
	off, first := 0, true
	for _, s := range b.sessions {
		if !s.hasOffset {
			return
		}
		_, o := s.start.Zone()
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
	if loc, ok := impLoadZone(name); ok {
		b.loc, b.zoneName = loc, name
	}
}

// checkOffsets warns once when the offsets the source gives disagree with the
// conference zone: the instants follow the offsets, the zone only shows them.
func (b *impBuilder) checkOffsets() {
	n, line, example := 0, 0, ""
	for _, s := range b.sessions {
		if !s.hasOffset {
			continue
		}
		_, o := s.start.Zone()
		if _, z := s.start.In(b.loc).Zone(); z != o {
			if n == 0 {
				line, example = s.line, s.start.Format("-07:00")
			}
			n++
		}
	}
	if n > 0 {
		b.warn(line, "timezone", "%d events carry offsets (such as %s) that differ from the zone %s: their instants follow the offsets", n, example, b.zoneName)
	}
}

// tracks makes one track per room that holds a session, in order of first
// appearance, and returns the track id of each room name.
func (b *impBuilder) tracks(s *Schedule) map[string]string {
	trackOf := map[string]string{}
	ids := newImpIDs()
	for _, is := range b.sessions {
		if _, ok := trackOf[is.room]; ok {
			continue
		}
		name := is.room
		if name == "" {
			name = impNoRoom
		}
		id := ids.unique(impSlug(name))
		trackOf[is.room] = id
		s.Tracks = append(s.Tracks, Track{ID: id, Name: name})
	}
	return trackOf
}

// ids gives every session a unique id: the source's, with a suffix when it
// repeats (nothing is dropped), or one derived from track and start as the
// native format derives it.
func (b *impBuilder) ids(trackOf map[string]string) []string {
	// Source ids are reserved first so that a derived or suffixed id never
	// takes an id the source gives to a later session.
	ids := newImpIDs()
	for _, is := range b.sessions {
		if is.srcID != "" {
			ids.reserved[is.srcID] = true
		}
	}
	out := make([]string, len(b.sessions))
	for i, is := range b.sessions {
		id := is.srcID
		switch {
		case id == "":
			id = ids.unique(trackOf[is.room] + "-" + is.start.In(b.loc).Format("2006-01-02-1504"))
		case ids.taken[id]:
			nid := ids.unique(id)
			b.warn(is.line, "id", "event id %q is used more than once: this one is imported as %q", id, nid)
			id = nid
		default:
			ids.taken[id] = true
		}
		out[i] = id
	}
	return out
}

// impIDs hands out unique ids.
type impIDs struct {
	taken, reserved map[string]bool
	next            map[string]int // the next suffix to try for a base
}

func newImpIDs() *impIDs {
	return &impIDs{taken: map[string]bool{}, reserved: map[string]bool{}, next: map[string]int{}}
}

// unique returns base, or base-2, base-3..., the first that is neither taken
// nor reserved, and takes it. Remembering where each base's search stopped
// keeps a file with thousands of equal ids linear.
func (u *impIDs) unique(base string) string {
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

// buildDays settles the conference days: the source's days that hold a
// session, plus days derived for sessions the source lists under none.
func (b *impBuilder) buildDays(s *Schedule) {
	if b.declaredDays > 0 && len(b.days) > 0 && b.declaredDays != len(b.days) {
		b.warn(b.days[0].line, "days", "the conference says it has %d days but the file lists %d", b.declaredDays, len(b.days))
	}
	type dayAcc struct {
		date       string
		start, end time.Time
		srcStart   time.Time
		srcEnd     time.Time
	}
	byDate := map[string]*dayAcc{}
	dateOf := make([]string, len(b.sessions))
	for i, is := range b.sessions {
		var d impDay
		found := false
		if is.day >= 0 && is.day < len(b.days) {
			d, found = b.days[is.day], true
		} else {
			// A source day whose window holds the start (schedule2 lists
			// days with instants but events outside them).
			for _, sd := range b.days {
				if !sd.start.IsZero() && !sd.end.IsZero() && !is.start.Before(sd.start) && is.start.Before(sd.end) {
					d, found = sd, true
					break
				}
			}
		}
		date := d.date
		if !found || date == "" {
			date = dayDate(is.start, b.loc)
		}
		dateOf[i] = date
		acc := byDate[date]
		if acc == nil {
			acc = &dayAcc{date: date, start: is.start, end: is.end}
			byDate[date] = acc
		}
		if found {
			if acc.srcStart.IsZero() && !d.start.IsZero() {
				acc.srcStart = d.start
			}
			if acc.srcEnd.IsZero() && !d.end.IsZero() {
				acc.srcEnd = d.end
			}
		}
		if is.start.Before(acc.start) {
			acc.start = is.start
		}
		if is.end.After(acc.end) {
			acc.end = is.end
		}
	}
	dates := make([]string, 0, len(byDate))
	for d := range byDate {
		dates = append(dates, d)
	}
	sort.Strings(dates)
	index := make(map[string]int, len(dates))
	for i, date := range dates {
		acc := byDate[date]
		day := Day{Date: date, Start: acc.start, End: acc.end}
		// The source's day bounds are kept when they hold its sessions.
		if !acc.srcStart.IsZero() && !acc.srcStart.After(acc.start) {
			day.Start = acc.srcStart
		}
		if !acc.srcEnd.IsZero() && !acc.srcEnd.Before(acc.end) {
			day.End = acc.srcEnd
		}
		s.Days = append(s.Days, day)
		index[date] = i
	}
	for i := range s.Sessions {
		s.Sessions[i].Day = index[dateOf[i]]
	}
}

// overlaps warns about sessions that overlap in one room: kept, because the
// source means them, but a screen can show only one.
func (b *impBuilder) overlaps(s *Schedule) {
	byTrack := map[string][]int{}
	for i, ss := range s.Sessions {
		byTrack[ss.Track] = append(byTrack[ss.Track], i)
	}
	for _, t := range s.Tracks {
		idx := byTrack[t.ID]
		sort.SliceStable(idx, func(i, j int) bool { return s.Sessions[idx[i]].Start.Before(s.Sessions[idx[j]].Start) })
		var prev *Session
		for _, i := range idx {
			cur := &s.Sessions[i]
			if prev != nil && cur.Start.Before(prev.End) {
				b.warn(b.sessions[i].line, "start", "session %s (%s–%s) overlaps %s (%s–%s) in room %q: both kept",
					impLabel(cur.ID, cur.Title), cur.Start.In(b.loc).Format("Jan 2 15:04"), cur.End.In(b.loc).Format("15:04"),
					impLabel(prev.ID, prev.Title), prev.Start.In(b.loc).Format("Jan 2 15:04"), prev.End.In(b.loc).Format("15:04"),
					t.Name)
			}
			if prev == nil || cur.End.After(prev.End) {
				prev = cur
			}
		}
	}
}

// impKind maps a source's session type ("lecture", "Talk 30 min + Q&A",
// "LIGHTNING_TALK", "Coffee break"...) to a Kind. An empty type is a talk,
// the native default; a type that names nothing known is other.
func impKind(typ string) Kind {
	words := strings.FieldsFunc(strings.ToLower(typ), func(r rune) bool { return !unicode.IsLetter(r) })
	if len(words) == 0 {
		return KindTalk
	}
	has := func(pred func(w string) bool) bool {
		for _, w := range words {
			if pred(w) {
				return true
			}
		}
		return false
	}
	switch {
	case has(func(w string) bool { return strings.Contains(w, "keynote") }):
		return KindKeynote
	case has(func(w string) bool { return w == "panel" || w == "panels" || w == "podium" }):
		return KindPanel
	case has(func(w string) bool {
		return w == "break" || w == "pause" || w == "lunch" || w == "coffee" || strings.HasSuffix(w, "pause")
	}):
		return KindBreak
	case has(func(w string) bool {
		return strings.HasSuffix(w, "talk") || strings.HasSuffix(w, "talks") || w == "lecture" || w == "lectures" || w == "vortrag"
	}):
		return KindTalk
	}
	return KindOther
}

// impTranslit spells common accented Latin letters in ASCII for slugs.
var impTranslit = map[rune]string{
	'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'å': "a",
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ą': "a", 'ç': "c", 'č': "c", 'ć': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ę': "e", 'ě': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'ł': "l", 'ñ': "n", 'ń': "n", 'ň': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o",
	'ř': "r", 'š': "s", 'ś': "s", 'ş': "s", 'ù': "u", 'ú': "u", 'û': "u", 'ů': "u",
	'ý': "y", 'ÿ': "y", 'ž': "z", 'ź': "z", 'ż': "z", 'đ': "d", 'ð': "d", 'þ': "th",
}

// impSlugMax keeps track ids short enough for URLs and metric labels.
const impSlugMax = 48

// impSlug makes a track id from a room name: lowercase ASCII letters and
// digits separated by single dashes ("Saal 1" -> "saal-1").
func impSlug(name string) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		var part string
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			part = string(r)
		case impTranslit[r] != "":
			part = impTranslit[r]
		default:
			dash = sb.Len() > 0
			continue
		}
		if dash {
			sb.WriteByte('-')
			dash = false
		}
		sb.WriteString(part)
	}
	slug := sb.String()
	if len(slug) > impSlugMax {
		cut := slug[:impSlugMax]
		// Cut at a word boundary when one is not too far back.
		if slug[impSlugMax] != '-' {
			if i := strings.LastIndexByte(cut, '-'); i > impSlugMax/2 {
				cut = cut[:i]
			}
		}
		slug = strings.TrimRight(cut, "-")
	}
	if slug == "" {
		return "room"
	}
	return slug
}

// impClock parses a wall-clock time "15:04", "9:30" or "15:04:05".
func impClock(s string) (h, m, sec int, ok bool) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, false
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || len(p) > 2 || len(p) == 0 {
			return 0, 0, 0, false
		}
		v[i] = n
	}
	if v[0] > 23 || v[1] > 59 || v[2] > 59 {
		return 0, 0, 0, false
	}
	return v[0], v[1], v[2], true
}

var errImpDuration = errors.New("not a duration")

// impDuration parses the durations schedules write: "0:30", "01:30",
// "00:25:00" (frab and pentabarf), "90" is refused; ISO 8601 "PT1H30M"
// (schedule2, iCalendar) is accepted too.
func impDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "P") || strings.HasPrefix(s, "+P") || strings.HasPrefix(s, "-P") {
		return impISODuration(s)
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, errImpDuration
	}
	var v [3]int64
	for i, p := range parts {
		if len(p) == 0 || len(p) > 5 {
			return 0, errImpDuration
		}
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 || i > 0 && n > 59 {
			return 0, errImpDuration
		}
		v[i] = n
	}
	return time.Duration(v[0])*time.Hour + time.Duration(v[1])*time.Minute + time.Duration(v[2])*time.Second, nil
}

// impISODuration parses an ISO 8601 / RFC 5545 duration such as "PT1H30M",
// "P1D" or "P2W". Years and months are refused: their length depends on the
// calendar, and no session lasts that long.
func impISODuration(s string) (time.Duration, error) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, errImpDuration
	}
	s = s[1:]
	var d time.Duration
	inTime, num, seen := false, "", false
	for _, r := range s {
		switch {
		case r == 'T':
			if inTime || num != "" {
				return 0, errImpDuration
			}
			inTime = true
		case r >= '0' && r <= '9':
			if len(num) >= 6 {
				return 0, errImpDuration
			}
			num += string(r)
		default:
			if num == "" {
				return 0, errImpDuration
			}
			n, _ := strconv.ParseInt(num, 10, 64)
			var unit time.Duration
			switch {
			case r == 'W' && !inTime:
				unit = 7 * 24 * time.Hour
			case r == 'D' && !inTime:
				unit = 24 * time.Hour
			case r == 'H' && inTime:
				unit = time.Hour
			case r == 'M' && inTime:
				unit = time.Minute
			case r == 'S' && inTime:
				unit = time.Second
			default:
				return 0, errImpDuration
			}
			d += time.Duration(n) * unit
			num, seen = "", true
			if d > 1000*MaxSessionDuration {
				return 0, errImpDuration
			}
		}
	}
	if num != "" || !seen {
		return 0, errImpDuration
	}
	if neg {
		d = -d
	}
	return d, nil
}

// impDate parses a "2006-01-02" date.
func impDate(s string) (time.Time, bool) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	return t, err == nil
}

// impInstant parses a date-time with an offset ("2014-12-27T11:00:00+01:00",
// also with a space, without seconds, or with Z). Without an offset the time
// is local: ok is true and hasOffset false, and the caller reads it in the
// conference zone.
func impInstant(s string) (t time.Time, hasOffset, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 16 {
		return time.Time{}, false, false
	}
	if s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, true
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, false, true
		}
	}
	return time.Time{}, false, false
}
