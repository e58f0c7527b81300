package schedule

import "time"

// Summary is what `confdash check` says about a schedule: the figures an
// organizer compares with the source (and the conformance tests compare
// with the corpus). Instants are UTC.
type Summary struct {
	Format   Format `json:"format"`
	Name     string `json:"name"`
	Days     int    `json:"days"`
	Tracks   int    `json:"tracks"` // tracks holding at least one session
	Sessions int    `json:"sessions"`
	TimeZone string `json:"timezone"`
	// ZoneAssumed is true when the source named no time zone and the
	// caller's (or UTC) was used: the times may be off by hours.
	ZoneAssumed bool      `json:"zone_assumed"`
	FirstStart  time.Time `json:"first_start,omitzero"` // zero (omitted) without sessions
	LastEnd     time.Time `json:"last_end,omitzero"`
}

// Summarize counts s. A track without sessions is not counted: an empty room
// in the source is not something to show.
func Summarize(s *Schedule) Summary {
	sum := Summary{
		Format:      s.Format,
		Name:        s.Name,
		Days:        len(s.Days),
		Sessions:    len(s.Sessions),
		TimeZone:    s.TimeZone,
		ZoneAssumed: s.ZoneAssumed,
	}
	used := map[string]bool{}
	for _, ss := range s.Sessions {
		used[ss.Track] = true
		if sum.FirstStart.IsZero() || ss.Start.Before(sum.FirstStart) {
			sum.FirstStart = ss.Start
		}
		if ss.End.After(sum.LastEnd) {
			sum.LastEnd = ss.End
		}
	}
	for _, t := range s.Tracks {
		if used[t.ID] {
			sum.Tracks++
		}
	}
	sum.FirstStart, sum.LastEnd = sum.FirstStart.UTC(), sum.LastEnd.UTC()
	return sum
}
