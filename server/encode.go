package server

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/confdash/confdash/schedule"
)

// The JSON documents of docs/protocol.md. They are encoded once per change
// and the bytes are shared by every HTTP response and websocket message.

type confDoc struct {
	Name     string `json:"name"`
	TimeZone string `json:"timezone"`
	// Language is the schedule's language: in the schedule document only
	// (i18n.js reads it once, at load), never in the states.
	Language string `json:"language,omitempty"`
}

type changeDoc struct {
	Type          string     `json:"type"`
	PreviousStart *time.Time `json:"previous_start,omitempty"`
	PreviousTrack string     `json:"previous_track,omitempty"`
	PreviousTitle string     `json:"previous_title,omitempty"`
	Seen          time.Time  `json:"seen"` // the reload that brought the change
}

type sessionDoc struct {
	ID           string             `json:"id"`
	Track        string             `json:"track"`
	Title        string             `json:"title"`
	Speakers     []schedule.Speaker `json:"speakers,omitempty"`
	Kind         schedule.Kind      `json:"kind"`
	Start        time.Time          `json:"start"`
	End          time.Time          `json:"end"`
	EstStart     time.Time          `json:"est_start"`
	EstEnd       time.Time          `json:"est_end"`
	DelayMinutes int                `json:"delay_minutes,omitempty"`
	Abstract     string             `json:"abstract,omitempty"`
	URL          string             `json:"url,omitempty"`
	Tags         []string           `json:"tags,omitempty"`
	Change       *changeDoc         `json:"change,omitempty"`
	// What the source tells the crew (schedule.Session); only set fields
	// are sent.
	Subtitle    string `json:"subtitle,omitempty"`
	Language    string `json:"language,omitempty"`
	Type        string `json:"type,omitempty"`
	DoNotRecord bool   `json:"do_not_record,omitempty"`
	DoNotStream bool   `json:"do_not_stream,omitempty"`
	FeedbackURL string `json:"feedback_url,omitempty"`
	// Cancelled: gone from the schedule, kept in the schedule document in
	// its slot (never now or next) while its change is recent.
	Cancelled bool `json:"cancelled,omitempty"`
	// What the crew said on stage (docs/live-timing.md).
	Live *liveDoc `json:"live,omitempty"`
}

// liveDoc is what was said about a session on stage (docs/live-timing.md).
type liveDoc struct {
	Started *time.Time `json:"started,omitempty"`
	Ended   *time.Time `json:"ended,omitempty"`
}

// trackDoc is a track of a state document.
type trackDoc = trackState[*sessionDoc]

// trackState is a track as the wire shows it, with its sessions as S: whole
// in a state document (trackDoc), by id in a version 2 delta (trackDelta).
type trackState[S any] struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Now          S          `json:"now"`
	Next         S          `json:"next"`
	DelayMinutes int        `json:"delay_minutes"`
	NextChange   *time.Time `json:"next_change"`
	// Timing changes whenever the track's live timing does (the schedule
	// document carries the same per track): a page whose schedule document
	// holds another one fetches it again, so its own estimates agree.
	Timing string     `json:"timing,omitempty"`
	Status *statusDoc `json:"status,omitempty"` // rooms.go; omitted when open
}

type stateDoc struct {
	ScheduleVersion string                  `json:"schedule_version"`
	Conference      confDoc                 `json:"conference"`
	Tracks          []trackDoc              `json:"tracks"`
	Announcements   []schedule.Announcement `json:"announcements"`
	Pending         []schedule.Announcement `json:"pending,omitempty"` // the console's only: scheduled to appear later
	NextChange      *time.Time              `json:"next_change"`
}

type scheduleDoc struct {
	ScheduleVersion string                    `json:"schedule_version"`
	Conference      confDoc                   `json:"conference"`
	Days            []schedule.Day            `json:"days"`
	Tracks          []scheduleTrackDoc        `json:"tracks"`
	Sessions        []sessionDoc              `json:"sessions"`
	Delays          map[string]schedule.Delay `json:"delays"`
	Aliases         map[string]string         `json:"aliases,omitempty"` // renamed rooms: old id -> id
	Timing          map[string]string         `json:"timing"`
	// ChangesRecentSeconds is how long after it was seen a change is
	// flagged (0: never), so a page drops a badge when it ages out.
	ChangesRecentSeconds int `json:"changes_recent_seconds"`
}

// trackTimingDoc is the answer of the live-timing calls: the track's delay,
// what runs now and next, and every session of the track with its scheduled
// and estimated times.
type trackTimingDoc struct {
	Track        string          `json:"track"`
	DelayMinutes int             `json:"delay_minutes"`
	Delay        *schedule.Delay `json:"delay,omitempty"`
	Now          *sessionDoc     `json:"now"`
	Next         *sessionDoc     `json:"next"`
	Sessions     []sessionDoc    `json:"sessions"`
}

func utc(t time.Time) time.Time { return t.UTC() }

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func newSessionDoc(t *schedule.Timed, changes map[string]seenChange) *sessionDoc {
	if t == nil {
		return nil
	}
	d := &sessionDoc{
		ID: t.ID, Track: t.Track, Title: t.Title, Speakers: t.Speakers, Kind: t.Kind,
		Start: utc(t.Start), End: utc(t.End), EstStart: utc(t.EstStart), EstEnd: utc(t.EstEnd),
		DelayMinutes: t.DelayMinutes, Abstract: t.Abstract, URL: t.URL, Tags: t.Tags,
		Subtitle: t.Subtitle, Language: t.Language, Type: t.Type,
		DoNotRecord: t.DoNotRecord, DoNotStream: t.DoNotStream, FeedbackURL: t.FeedbackURL,
	}
	if c, ok := changes[t.ID]; ok {
		d.Change = &changeDoc{Type: string(c.Type), PreviousTrack: c.PreviousTrack, PreviousStart: optTime(c.PreviousStart),
			PreviousTitle: c.PreviousTitle, Seen: c.Seen.UTC()}
	}
	if t.Live != nil {
		d.Live = &liveDoc{Started: optPtr(t.Live.Started), Ended: optPtr(t.Live.Ended)}
	}
	return d
}

func optPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return optTime(*t)
}

// timingOf fingerprints each track's live timing: how many instants were
// said and the latest of them (each Started or Ended adds a later one), and
// the session its delay applies to (the minutes are in delay_minutes).
func timingOf(adj schedule.Adjustments) map[string]string {
	type acc struct {
		n      int
		latest time.Time
	}
	by := map[string]acc{}
	for _, l := range adj.Live {
		a := by[l.Track]
		for _, t := range []*time.Time{l.Started, l.Ended} {
			if t != nil {
				a.n++
				if t.After(a.latest) {
					a.latest = *t
				}
			}
		}
		by[l.Track] = a
	}
	out := make(map[string]string, len(by)+len(adj.Delays))
	for tr, a := range by {
		out[tr] = strconv.Itoa(a.n) + "@" + strconv.FormatInt(a.latest.UnixMilli(), 10)
	}
	for tr, d := range adj.Delays {
		if d.Minutes != 0 {
			out[tr] += "/" + d.Session
		}
	}
	return out
}

// encodeTrackTiming is a track's timing at instant at (trackTimingDoc).
func encodeTrackTiming(s *schedule.Schedule, adj schedule.Adjustments, track string, at time.Time) trackTimingDoc {
	ts, _ := schedule.ComputeTrack(s, adj, track, at)
	doc := trackTimingDoc{Track: track, DelayMinutes: ts.DelayMinutes, Now: newSessionDoc(ts.Now, nil), Next: newSessionDoc(ts.Next, nil), Sessions: []sessionDoc{}}
	if d, ok := adj.Delays[track]; ok {
		d.From = d.From.UTC()
		doc.Delay = &d
	}
	timed := s.Timed(adj)
	for i := range timed {
		if timed[i].Track == track {
			doc.Sessions = append(doc.Sessions, *newSessionDoc(&timed[i], nil))
		}
	}
	return doc
}

func newTrackDoc(ts schedule.TrackState, changes map[string]seenChange, timing map[string]string) trackDoc {
	return trackDoc{
		ID: ts.Track.ID, Name: ts.Track.Name,
		Now: newSessionDoc(ts.Now, changes), Next: newSessionDoc(ts.Next, changes),
		DelayMinutes: ts.DelayMinutes, NextChange: optTime(ts.NextChange),
		Timing: timing[ts.Track.ID],
	}
}

// encodeStates encodes the state document of every topic (audience.go):
// per track for the room, stage, stream and tab classes, and for the whole
// conference for the lobby, stream, tab and console. Each document lists
// only the announcements its view shows (the console's also the pending
// ones). That is 4 documents per track plus 4 instead of one per track plus
// one, so documents with the same track and the same announcements (the
// usual case: most messages go to the default audience) are encoded once
// and their bytes shared. Only the bytes are kept.
func encodeStates(s *schedule.Schedule, adj schedule.Adjustments, st schedule.State, changes map[string]seenChange) map[string][]byte {
	return encodeStateDocs(s, adj, st, changes).bytes
}

// encodeStateDocs is encodeStates with the values the bytes were encoded
// from and each track's own encoding, from which the version 2 deltas are
// computed (delta.go).
func encodeStateDocs(s *schedule.Schedule, adj schedule.Adjustments, st schedule.State, changes map[string]seenChange) wireDocs {
	conf := confDoc{Name: s.Name, TimeZone: s.TimeZone}
	timing := timingOf(adj)
	tracks := make([]trackDoc, len(st.Tracks))
	trackBytes := make(map[string][]byte, len(tracks))
	for i, ts := range st.Tracks {
		tracks[i] = newTrackDoc(ts, changes, timing)
		tracks[i].Status = newStatusDoc(st, i)
		trackBytes[tracks[i].ID] = mustJSON(tracks[i])
	}
	out := make(map[string][]byte, len(perTrackClasses)*len(tracks)+len(wholeClasses))
	docs := make(map[string]*stateDoc, len(out))
	encoded := map[string][]byte{} // by track and announcement ids
	values := map[string]*stateDoc{}
	encode := func(name, track string, tracks []trackDoc, next time.Time) {
		// A whole-conference document differs from a track's even with one
		// track: its next_change counts the announcements'.
		var key strings.Builder
		key.WriteString("track:" + track)
		if track == "" {
			key.Reset()
			key.WriteString("all")
		}
		mine := []schedule.Announcement{}
		for _, a := range st.Announcements {
			if shows(name, a) {
				mine = append(mine, a)
				key.WriteString("\x00" + a.ID)
			}
		}
		var pending []schedule.Announcement
		if name == classAdmin {
			pending = st.Pending
			key.WriteString("\x00admin")
		}
		if doc, ok := encoded[key.String()]; ok {
			out[name], docs[name] = doc, values[key.String()]
			return
		}
		v := &stateDoc{
			ScheduleVersion: s.Version, Conference: conf, Tracks: tracks,
			Announcements: mine, Pending: pending, NextChange: optTime(next),
		}
		doc := mustJSON(v)
		encoded[key.String()], values[key.String()] = doc, v
		out[name], docs[name] = doc, v
	}
	for _, class := range wholeClasses {
		encode(class, "", tracks, st.NextChange)
	}
	for i, td := range tracks {
		for _, class := range perTrackClasses {
			encode(topic(class, td.ID), td.ID, tracks[i:i+1], st.Tracks[i].NextChange)
		}
	}
	return wireDocs{bytes: out, docs: docs, tracks: trackBytes}
}

// encodeSchedule encodes the schedule document: every session with its
// estimated times, and the cancelled ones whose change is recent, in their
// slots.
func encodeSchedule(s *schedule.Schedule, adj schedule.Adjustments, changes map[string]seenChange, recent time.Duration) []byte {
	timed := s.Timed(adj)
	sessions := make([]sessionDoc, len(timed), len(timed)+len(changes))
	for i := range timed {
		sessions[i] = *newSessionDoc(&timed[i], changes)
	}
	cancelled := false
	for _, c := range changes {
		if c.Type != schedule.ChangeCancelled || c.gone == nil {
			continue
		}
		t := schedule.Timed{Session: *c.gone, EstStart: c.gone.Start, EstEnd: c.gone.End}
		d := newSessionDoc(&t, changes)
		d.Cancelled = true
		sessions = append(sessions, *d)
		cancelled = true
	}
	if cancelled { // in their slots: the document is sorted by start
		slices.SortStableFunc(sessions, func(a, b sessionDoc) int {
			return cmp.Or(a.EstStart.Compare(b.EstStart), cmp.Compare(a.Track, b.Track), cmp.Compare(a.ID, b.ID))
		})
	}
	delays := adj.Delays
	if delays == nil {
		delays = map[string]schedule.Delay{}
	}
	return mustJSON(scheduleDoc{
		ScheduleVersion: s.Version, Conference: confDoc{Name: s.Name, TimeZone: s.TimeZone, Language: s.Language},
		Days: s.Days, Tracks: scheduleTracks(s, adj), Sessions: sessions, Delays: delays, Timing: timingOf(adj), Aliases: adj.Aliases,
		ChangesRecentSeconds: int(max(recent, 0) / time.Second),
	})
}

const stateHead, stateTail = `{"type":"state","state":`, `}`

// wrapState turns an encoded state document into a websocket message without
// decoding it again.
func wrapState(doc []byte) []byte {
	const head, tail = stateHead, stateTail
	msg := make([]byte, 0, len(head)+len(doc)+len(tail))
	msg = append(msg, head...)
	msg = append(msg, doc...)
	return append(msg, tail...)
}

// docOfState is the document inside a state message: GET /api/v1/state serves
// these bytes, so the two are the same by construction.
func docOfState(msg []byte) []byte {
	if len(msg) < len(stateHead)+len(stateTail) {
		return nil
	}
	return msg[len(stateHead) : len(msg)-len(stateTail)]
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain data structs are encoded here; an error is a programming bug.
		panic("confdash: encode: " + err.Error())
	}
	return b
}
