package schedule

import (
	"time"
)

// The day as it really runs: estimated times from what organizers said on
// stage (Live: started, ended) and the delay of the session on stage
// (Delay). The rule, with a worked example, is docs/live-timing.md:
//
//   - A session starts at its live start if it has one; otherwise at its
//     scheduled start plus what the session before it pushes it by, or plus
//     its own delay if that is larger and it had not started when the
//     delay was set. It never starts earlier than scheduled because
//     the session before it ended early.
//   - A session that ends d late pushes the next by max(0, d - the gap
//     between them); what is left propagates further.
//   - A talk keeps its length from its start; a delay of d makes it end at
//     least d after its scheduled end. A break may shrink to half its length
//     to absorb lateness, and never ends before its scheduled end (plus its
//     own delay).
//   - A live end is the end, at once.

// span is one session's estimated start and end.
type span struct{ start, end time.Time }

// timedTracks is the set of tracks whose times differ from the schedule:
// a delay, or a session with something said about it on stage. The other
// tracks are estimated as scheduled, without the walk.
func timedTracks(adj Adjustments) map[string]bool {
	if len(adj.Delays) == 0 && len(adj.Live) == 0 {
		return nil
	}
	out := make(map[string]bool, len(adj.Delays)+len(adj.Live))
	for tr, d := range adj.Delays {
		if d.Minutes != 0 {
			out[tr] = true
		}
	}
	for _, l := range adj.Live {
		out[l.Track] = true
	}
	return out
}

// estimateTrack walks one track's sessions (idxs, by scheduled start) in
// order and estimates each by the rule above.
func estimateTrack(s *Schedule, idxs []int, track string, adj Adjustments) []span {
	d := adj.Delays[track]
	target := d.Session
	if d.Minutes != 0 && target == "" {
		target = onStageScheduled(s, idxs, d.From)
	}
	out := make([]span, len(idxs))
	var over time.Duration // how late the previous session ends (negative: early)
	var prevEnd time.Time  // its scheduled end
	for k, i := range idxs {
		ss := &s.Sessions[i]
		var push time.Duration
		if k > 0 {
			gap := max(0, ss.Start.Sub(prevEnd))
			push = max(0, over-gap)
		}
		var late time.Duration
		if d.Minutes > 0 && ss.ID == target {
			late = time.Duration(d.Minutes) * time.Minute
		}
		lv := adj.Live[ss.ID]
		start := ss.Start.Add(push)
		if start.After(d.From) {
			// Not started when the delay was set: it starts late too.
			start = ss.Start.Add(max(push, late))
		}
		if lv.Started != nil {
			start = *lv.Started
		}
		length := ss.End.Sub(ss.Start)
		var end time.Time
		if ss.Kind == KindBreak {
			end = later(start.Add(length/2), ss.End.Add(late))
		} else {
			end = start.Add(length)
			if late > 0 {
				end = later(end, ss.End.Add(late))
			}
		}
		if lv.Ended != nil {
			end = *lv.Ended
		}
		if end.Before(start) {
			end = start
		}
		out[k] = span{start, end}
		over, prevEnd = end.Sub(ss.End), ss.End
	}
	return out
}

// onStageScheduled is the session of a track running at instant at by the
// scheduled times, or the next one if none runs; "" after the last.
func onStageScheduled(s *Schedule, idxs []int, at time.Time) string {
	next := ""
	for _, i := range idxs {
		ss := &s.Sessions[i]
		if !ss.Start.After(at) && ss.End.After(at) {
			return ss.ID
		}
		if next == "" && ss.Start.After(at) {
			next = ss.ID
		}
	}
	return next
}

// timedFrom is a session with its estimate.
func timedFrom(ss *Session, sp span, adj Adjustments) Timed {
	t := Timed{Session: *ss, EstStart: sp.start, EstEnd: sp.end}
	if late := max(sp.start.Sub(ss.Start), sp.end.Sub(ss.End)); late > 0 {
		t.DelayMinutes = int(late.Round(time.Minute) / time.Minute)
	}
	if lv, ok := adj.Live[ss.ID]; ok {
		t.Live = &lv
	}
	return t
}

// trackStateTimed is what a track with live timing shows at instant at: a
// walk over its estimated sessions (estimated starts may leave the
// scheduled order when a session was started by hand, so no binary
// search). Now is the running session that started last, next the first
// to start after at.
func trackStateTimed(s *Schedule, idxs []int, tr Track, adj Adjustments, at time.Time, slots []Timed) TrackState {
	ts := TrackState{Track: tr, DelayMinutes: adj.Delays[tr.ID].Minutes}
	est := estimateTrack(s, idxs, tr.ID, adj)
	now, next := -1, -1
	for k, sp := range est {
		if !sp.start.After(at) && sp.end.After(at) && (now < 0 || !sp.start.Before(est[now].start)) {
			now = k
		}
		if sp.start.After(at) && (next < 0 || sp.start.Before(est[next].start)) {
			next = k
		}
	}
	if next >= 0 {
		slots[1] = timedFrom(&s.Sessions[idxs[next]], est[next], adj)
		ts.Next = &slots[1]
		ts.NextChange = slots[1].EstStart
	}
	if now >= 0 {
		slots[0] = timedFrom(&s.Sessions[idxs[now]], est[now], adj)
		ts.Now = &slots[0]
		ts.NextChange = earliestAfter(ts.NextChange, slots[0].EstEnd)
	}
	return ts
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
