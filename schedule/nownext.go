package schedule

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Timed returns every session, in s.Sessions order, with its estimated times
// under adj's delays and live timing (timing.go, docs/live-timing.md).
func (s *Schedule) Timed(adj Adjustments) []Timed {
	out := make([]Timed, len(s.Sessions))
	for i := range s.Sessions {
		ss := &s.Sessions[i]
		out[i] = timedFrom(ss, span{ss.Start, ss.End}, adj)
	}
	idx := trackIndexes(s)
	for tr := range timedTracks(adj) {
		est := estimateTrack(s, idx[tr], tr, adj)
		for k, i := range idx[tr] {
			out[i] = timedFrom(&s.Sessions[i], est[k], adj)
		}
	}
	return out
}

// Compute is what every track shows at instant at. A track's running session
// is the one with est_start <= at < est_end (so at the instant one session
// ends and the next begins, the next is running); its next session is the
// first with est_start > at. When sessions of a track overlap (possible in
// imported schedules; the native format forbids it) the running session is
// the one that started last.
//
// Compute is a pure function of its arguments: the server calls it again at
// State.NextChange.
func Compute(s *Schedule, adj Adjustments, at time.Time) State {
	idx := trackIndexes(s)
	timed := timedTracks(adj)
	st := State{
		At:            at,
		Tracks:        make([]TrackState, 0, len(s.Tracks)),
		Announcements: []Announcement{},
	}
	// One array holds every track's now and next: one allocation, not two
	// per track.
	slots := make([]Timed, 2*len(s.Tracks))
	for i, tr := range s.Tracks {
		ts := trackStateAt(s, idx[tr.ID], tr, adj, timed[tr.ID], at, slots[2*i:2*i+2])
		ts.Status = adj.status(tr.ID)
		st.Tracks = append(st.Tracks, ts)
		st.NextChange = earliestAfter(st.NextChange, ts.NextChange)
	}
	for _, a := range adj.Announcements {
		if a.Active(at) {
			st.Announcements = append(st.Announcements, a)
		}
		// An announcement changes the state when it appears and when it
		// expires; the first of the two still ahead is the one that counts.
		if shown := a.Shown(); shown.After(at) {
			st.NextChange = earliestAfter(st.NextChange, shown)
			if a.Expires == nil || a.Expires.After(shown) {
				st.Pending = append(st.Pending, a)
			}
		}
		if a.Expires != nil && a.Expires.After(at) {
			st.NextChange = earliestAfter(st.NextChange, *a.Expires)
		}
	}
	byShown := func(a, b Announcement) int {
		return cmp.Or(a.Shown().Compare(b.Shown()), a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	}
	slices.SortStableFunc(st.Announcements, byShown)
	slices.SortStableFunc(st.Pending, byShown)
	return st
}

// ComputeTrack is Compute for one track; false when the schedule has no
// track with that id.
func ComputeTrack(s *Schedule, adj Adjustments, track string, at time.Time) (TrackState, bool) {
	tr, ok := s.Track(track)
	if !ok {
		return TrackState{}, false
	}
	return trackStateAt(s, trackIndexes(s)[track], tr, adj, timedTracks(adj)[track], at, make([]Timed, 2)), true
}

// trackStateAt finds now and next. A track with live timing (timed) is
// walked (trackStateTimed); the others run as scheduled, found by binary
// search over the track's sessions. Now and Next point into slots (two of
// them).
func trackStateAt(s *Schedule, idxs []int, tr Track, adj Adjustments, timed bool, at time.Time, slots []Timed) TrackState {
	if timed {
		return trackStateTimed(s, idxs, tr, adj, at, slots)
	}
	ts := TrackState{Track: tr}
	k := sort.Search(len(idxs), func(k int) bool { return s.Sessions[idxs[k]].Start.After(at) })
	if k < len(idxs) {
		ss := &s.Sessions[idxs[k]]
		slots[1] = timedFrom(ss, span{ss.Start, ss.End}, adj)
		ts.Next = &slots[1]
		ts.NextChange = slots[1].EstStart
	}
	// Without overlaps only idxs[k-1] can be running; the walk back past it
	// is for a long session that encloses shorter ones (imported schedules).
	for j := k - 1; j >= 0; j-- {
		if ss := &s.Sessions[idxs[j]]; ss.End.After(at) {
			slots[0] = timedFrom(ss, span{ss.Start, ss.End}, adj)
			ts.Now = &slots[0]
			ts.NextChange = earliestAfter(ts.NextChange, ss.End)
			break
		}
	}
	return ts
}

// trackIndexes is s.byTrack, or the same lookup built on the spot for a
// Schedule that was not indexed (built in a test or by hand). It is
// not stored: a Schedule is shared read-only between goroutines.
func trackIndexes(s *Schedule) map[string][]int {
	if s.byTrack != nil {
		return s.byTrack
	}
	idx := make(map[string][]int, len(s.Tracks))
	for i, ss := range s.Sessions {
		idx[ss.Track] = append(idx[ss.Track], i)
	}
	for _, list := range idx {
		slices.SortStableFunc(list, func(a, b int) int {
			return cmp.Or(s.Sessions[a].Start.Compare(s.Sessions[b].Start), s.Sessions[a].End.Compare(s.Sessions[b].End))
		})
	}
	return idx
}

// shiftCivilDays is the number of calendar days from a's date to b's.
func shiftCivilDays(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Round(24*time.Hour) / (24 * time.Hour))
}

// earliestAfter is the earlier of two instants, where zero means none.
func earliestAfter(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// Shift returns a copy of s with every instant moved by d: the built-in demo
// and rehearsals replay a past conference as if it were today. The copy's
// Version gets a suffix so that clients holding the original notice.
func (s *Schedule) Shift(d time.Duration) *Schedule {
	c := *s
	c.Sessions = make([]Session, len(s.Sessions))
	for i, ss := range s.Sessions {
		ss.Start, ss.End = ss.Start.Add(d), ss.End.Add(d)
		ss.Speakers = slices.Clone(ss.Speakers)
		ss.Tags = slices.Clone(ss.Tags)
		c.Sessions[i] = ss
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	c.Days = make([]Day, len(s.Days))
	for i, day := range s.Days {
		// The date moves by as many calendar days as the day's start does
		// on the conference's wall clock, whatever rule set it.
		days := int(d.Round(24*time.Hour) / (24 * time.Hour))
		if !day.Start.IsZero() {
			days = shiftCivilDays(day.Start.In(loc), day.Start.Add(d).In(loc))
			day.Start, day.End = day.Start.Add(d), day.End.Add(d)
		}
		if t, err := time.Parse("2006-01-02", day.Date); err == nil {
			day.Date = t.AddDate(0, 0, days).Format("2006-01-02")
		}
		c.Days[i] = day
	}
	c.Tracks = slices.Clone(s.Tracks)
	if d != 0 {
		c.Version = fmt.Sprintf("%s-s%d", s.Version, int64(d/time.Second))
	}
	c.Index()
	return &c
}
