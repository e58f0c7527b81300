package schedule

import (
	"errors"
	"time"
)

// The edits of live timing: what an organizer says about the session on
// stage (docs/live-timing.md). Each names a track; the session is found
// from the estimates at the instant of the edit.

// ErrNothingOnStage is matched (errors.Is) by every NothingOnStageError.
var ErrNothingOnStage = errors.New("nothing on stage")

// NothingOnStageError is a live-timing edit on a track with no session it
// could apply to; What says why and what to do instead.
type NothingOnStageError struct{ Track, What string }

func (e *NothingOnStageError) Error() string { return e.What }

// Is makes errors.Is(err, ErrNothingOnStage) hold.
func (e *NothingOnStageError) Is(target error) bool { return target == ErrNothingOnStage }

// Started says the session on stage started at the instant of the edit:
// the running one if it has not been said to start yet, otherwise the next
// one. A session said to have started and not ended (the running one, or
// one running past its estimate) ends at that instant: the stage holds one
// session at a time. With no session running, the next one starts, even
// before its scheduled start.
func Started(track string) Edit {
	return func(sc *Schedule, adj Adjustments, now time.Time) (Adjustments, error) {
		ts, ok := ComputeTrack(sc, adj, track, now)
		if !ok {
			return adj, &UnknownTrackError{Track: track}
		}
		target := ts.Next
		if ts.Now != nil && adj.Live[ts.Now.ID].Started == nil {
			target = ts.Now
		}
		if target == nil {
			return adj, &NothingOnStageError{Track: track, What: "no session is left on track " + track + " to start"}
		}
		out := adj.Prune(now)
		if id := onStageLive(sc, adj, track, now); id != "" && id != target.ID {
			lv := adj.Live[id]
			lv.Ended = &now
			out = out.WithLive(id, lv)
		}
		lv := adj.Live[target.ID]
		lv.Track, lv.Started, lv.Ended = track, &now, nil
		return out.WithLive(target.ID, lv), nil
	}
}

// Ended says the session on stage ended at the instant of the edit: the
// one said to have started and not ended yet (it may run past its
// estimated end), or else the running one. It leaves "now" at once; what
// follows never starts earlier than scheduled because of it.
func Ended(track string) Edit {
	return func(sc *Schedule, adj Adjustments, now time.Time) (Adjustments, error) {
		ts, ok := ComputeTrack(sc, adj, track, now)
		if !ok {
			return adj, &UnknownTrackError{Track: track}
		}
		id := onStageLive(sc, adj, track, now)
		if id == "" && ts.Now != nil {
			id = ts.Now.ID
		}
		if id == "" {
			return adj, &NothingOnStageError{Track: track, What: "no session is running on track " + track + ": there is nothing to end (say Started when the next one begins)"}
		}
		lv := adj.Live[id]
		lv.Track, lv.Ended = track, &now
		return adj.Prune(now).WithLive(id, lv), nil
	}
}

// onStageLive is the session of a track said to have started at or before
// now and not said to have ended (the one that started last), or "".
func onStageLive(sc *Schedule, adj Adjustments, track string, now time.Time) string {
	id, at := "", time.Time{}
	for sid, lv := range adj.Live {
		if lv.Track != track || lv.Started == nil || lv.Ended != nil || lv.Started.After(now) {
			continue
		}
		if id == "" || lv.Started.After(at) || lv.Started.Equal(at) && sid > id {
			if _, ok := sc.sessionOf(track, sid); ok {
				id, at = sid, *lv.Started
			}
		}
	}
	return id
}

// SetDelay says the session on stage of a track (one said to have started
// and not ended, else the running one, else the next one) runs minutes
// late: it ends minutes after its scheduled end, and the gaps after it
// absorb what they can. 0 minutes clears the track's delay.
func SetDelay(track string, minutes int) Edit {
	return func(sc *Schedule, adj Adjustments, now time.Time) (Adjustments, error) {
		ts, ok := ComputeTrack(sc, adj, track, now)
		if !ok {
			return adj, &UnknownTrackError{Track: track}
		}
		if minutes == 0 {
			return adj.Prune(now).WithDelay(track, "", 0, now), nil
		}
		id := onStageLive(sc, adj, track, now)
		for _, t := range []*Timed{ts.Now, ts.Next} {
			if id == "" && t != nil {
				id = t.ID
			}
		}
		// With no session left (after the track's last one) the delay is
		// kept and moves nothing: the answer shows as much, and a script
		// that sets delays blindly is not refused.
		return adj.Prune(now).WithDelay(track, id, minutes, now), nil
	}
}

// sessionOf is the session with the given id on the given track.
func (s *Schedule) sessionOf(track, id string) (*Session, bool) {
	for _, i := range trackIndexes(s)[track] {
		if s.Sessions[i].ID == id {
			return &s.Sessions[i], true
		}
	}
	return nil, false
}
