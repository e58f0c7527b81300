package schedule

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Timed returns every session, in s.Sessions order, with its estimated times
// under adj's delays (see Delay).
func (s *Schedule) Timed(adj Adjustments) []Timed {
	out := make([]Timed, len(s.Sessions))
	for i := range s.Sessions {
		ss := &s.Sessions[i]
		out[i] = timedOf(ss, adj.Delays[ss.Track])
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
	st := State{
		At:            at,
		Tracks:        make([]TrackState, 0, len(s.Tracks)),
		Announcements: []Announcement{},
	}
	// One array holds every track's now and next: one allocation, not two
	// per track.
	slots := make([]Timed, 2*len(s.Tracks))
	for i, tr := range s.Tracks {
		ts := trackStateAt(s, idx[tr.ID], tr, adj.Delays[tr.ID], at, slots[2*i:2*i+2])
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
	return trackStateAt(s, trackIndexes(s)[track], tr, adj.Delays[track], at, make([]Timed, 2)), true
}

// trackStateAt finds now and next by binary search over the track's
// sessions. Estimated starts keep the scheduled order (timedEstimate makes
// sure of it), so the search is valid under any delay. Now and Next point
// into slots (two of them).
func trackStateAt(s *Schedule, idxs []int, tr Track, d Delay, at time.Time, slots []Timed) TrackState {
	ts := TrackState{Track: tr, DelayMinutes: d.Minutes}
	k := sort.Search(len(idxs), func(k int) bool {
		start, _, _ := timedEstimate(&s.Sessions[idxs[k]], d)
		return start.After(at)
	})
	if k < len(idxs) {
		slots[1] = timedOf(&s.Sessions[idxs[k]], d)
		ts.Next = &slots[1]
		ts.NextChange = slots[1].EstStart
	}
	// Without overlaps only idxs[k-1] can be running; the walk back past it
	// is for a long session that encloses shorter ones (imported schedules).
	// No estimate ends later than the scheduled end plus a positive delay,
	// which rules most sessions out without estimating them.
	endsAfter := at.Add(-max(time.Duration(d.Minutes)*time.Minute, 0))
	for j := k - 1; j >= 0; j-- {
		ss := &s.Sessions[idxs[j]]
		if !ss.End.After(endsAfter) {
			continue
		}
		if _, end, _ := timedEstimate(ss, d); end.After(at) {
			slots[0] = timedOf(ss, d)
			ts.Now = &slots[0]
			ts.NextChange = earliestAfter(ts.NextChange, end)
			break
		}
	}
	return ts
}

func timedOf(ss *Session, d Delay) Timed {
	start, end, minutes := timedEstimate(ss, d)
	return Timed{Session: *ss, EstStart: start, EstEnd: end, DelayMinutes: minutes}
}

// timedEstimate applies d to one session of its track (see Delay). A
// negative delay (running early) is clamped at d.From, so no estimate moves
// into the past of when the delay was set, and estimated starts keep their
// scheduled order, which the binary search in trackStateAt relies on.
func timedEstimate(ss *Session, d Delay) (start, end time.Time, minutes int) {
	if d.Minutes == 0 || !ss.End.After(d.From) {
		return ss.Start, ss.End, 0
	}
	delta := time.Duration(d.Minutes) * time.Minute
	if !ss.Start.After(d.From) {
		// Running at From: it started on time and ends late.
		end = ss.End.Add(delta)
		if end.Before(d.From) {
			end = d.From
		}
		return ss.Start, end, d.Minutes
	}
	start, end = ss.Start.Add(delta), ss.End.Add(delta)
	if start.Before(d.From) {
		start = d.From
	}
	if end.Before(start) {
		end = start
	}
	return start, end, d.Minutes
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
