package schedule

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// MaxSessionDuration bounds a session's length. No conference slot lasts a
// week (a whole camp is listed day by day), so anything longer is a typo
// ("duration: 2562047h", an end date in the wrong year), and a bound keeps
// every sum of instants and durations far from overflow.
const MaxSessionDuration = 7 * 24 * time.Hour

// servableMargin is how far beyond a session the server computes instants:
// a delay moves estimated times by up to 12 hours (the admin API's limit of
// 720 minutes), and days and "next change" instants are derived a calendar
// day either side. A schedule whose instants stay this far inside the
// encodable range can be shifted by those amounts and still be written.
const servableMargin = 48 * time.Hour

// The range of instants that JSON (RFC 3339), iCalendar and the native
// format can write: years 1 to 9999 in UTC. A time.Time holds far more, and
// encoding/json refuses to marshal the rest.
var (
	servableFirst = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(servableMargin)
	servableLast  = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Add(-servableMargin)
)

// servable reports whether t, with the margin the server adds, can be
// encoded.
func servable(t time.Time) bool {
	return !t.Before(servableFirst) && t.Before(servableLast)
}

// CheckServable returns nil when t, with the margin the server adds, can be
// encoded, and otherwise an error that says why and what to do. Every parser
// and Validate use it: whatever parses can be served.
func CheckServable(t time.Time) error {
	if servable(t) {
		return nil
	}
	return fmt.Errorf("%s is outside the years confdash can serve (%d to %d in UTC): check the year",
		t.UTC().Format("2006-01-02 15:04:05Z"), servableFirst.Year(), servableLast.Year())
}

// Validate refuses a schedule that the server could not encode or serve:
// an instant outside years 1–9999 in UTC (with the margin delays add), a
// session that does not end after it starts (an instant marker may end at
// its start) or lasts longer than MaxSessionDuration, a session on an
// unknown track, a day that ends before it starts. load.Parse calls it on every
// format, so whatever parses can be served, and a schedule that comes from
// elsewhere (a cache, another instance) is held to the same rules. file
// names the source in the diagnostics.
func (s *Schedule) Validate(file string) error {
	var errs Errors
	add := func(field, msg string) {
		errs = append(errs, Diagnostic{File: file, Field: field, Message: msg})
	}
	if s.Location == nil {
		add("timezone", "no time zone: name one, e.g. timezone: Europe/Berlin")
	}
	tracks := make(map[string]bool, len(s.Tracks))
	for _, t := range s.Tracks {
		tracks[t.ID] = true
	}
	for _, ss := range s.Sessions {
		where := fmt.Sprintf("session %s", Label(ss.ID, ss.Title))
		errStart, errEnd := CheckServable(ss.Start), CheckServable(ss.End)
		if errStart != nil {
			add("start", where+": start "+errStart.Error())
		}
		if errEnd != nil {
			add("end", where+": end "+errEnd.Error())
		}
		okStart, okEnd := errStart == nil, errEnd == nil
		if okStart && okEnd {
			switch d := ss.End.Sub(ss.Start); {
			case d < 0:
				add("end", where+": ends before it starts: fix the end or the duration")
			case d > MaxSessionDuration:
				add("duration", fmt.Sprintf("%s: lasts %s, more than %s: fix the end or the duration", where, d, MaxSessionDuration))
			}
		}
		if !tracks[ss.Track] {
			add("track", fmt.Sprintf("%s: unknown track %q: declare it under tracks", where, ClipValue(ss.Track)))
		}
		if ss.Day < 0 || ss.Day >= len(s.Days) && len(s.Days) > 0 {
			add("day", fmt.Sprintf("%s: day %d does not exist", where, ss.Day))
		}
	}
	for i, d := range s.Days {
		if !servable(d.Start) || !servable(d.End) {
			add(fmt.Sprintf("days[%d]", i), fmt.Sprintf("day %s: its bounds are outside the years confdash can serve: check the year", ClipValue(d.Date)))
		} else if d.End.Before(d.Start) {
			add(fmt.Sprintf("days[%d]", i), fmt.Sprintf("day %s ends before it starts", ClipValue(d.Date)))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Index sorts the sessions by (Start, Track, End) and builds the per-track
// lookup Compute uses. The loader calls it once, before the schedule is
// shared; a Schedule is never modified after that.
func (s *Schedule) Index() {
	sort.SliceStable(s.Sessions, func(i, j int) bool {
		a, b := s.Sessions[i], s.Sessions[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Track != b.Track {
			return a.Track < b.Track
		}
		return a.End.Before(b.End)
	})
	s.byTrack = make(map[string][]int, len(s.Tracks))
	for i, ss := range s.Sessions {
		s.byTrack[ss.Track] = append(s.byTrack[ss.Track], i)
	}
}

// Label names a session in a message: its id, else its title (shortened).
func Label(id, title string) string {
	switch {
	case id != "" && title != "":
		return fmt.Sprintf("%s (%q)", id, Short(title))
	case id != "":
		return id
	case title != "":
		return strconv.Quote(Short(title))
	}
	return "without id or title"
}

// Short shortens a title or value for a message to 40 characters.
func Short(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:39]) + "…"
	}
	return s
}
