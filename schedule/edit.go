package schedule

import (
	"errors"
	"strconv"
	"time"
)

// Edit is one change an organizer makes to the live day: a pure function of
// the running schedule, the adjustments so far and the instant of the
// change, returning the new adjustments or an error saying why the change
// cannot be made. Edits never modify adj (see adjustops.go), so a store can
// run one on the value it holds and keep that value if saving the result
// fails.
//
// Every edit first drops the announcements that have expired at now, so
// that stored adjustments do not grow all conference long.
type Edit func(sc *Schedule, adj Adjustments, now time.Time) (Adjustments, error)

// ErrNoSuchAnnouncement is the answer of RemoveAnnouncement for an id that
// is not among the adjustments (never posted, expired, or removed already).
var ErrNoSuchAnnouncement = errors.New("no such announcement (it may have expired or been removed already)")

// ErrUnknownTrack is matched (errors.Is) by every UnknownTrackError.
var ErrUnknownTrack = errors.New("unknown track")

// UnknownTrackError is an edit naming a track the schedule does not have.
type UnknownTrackError struct{ Track string }

func (e *UnknownTrackError) Error() string {
	return "no track " + strconv.Quote(e.Track) + " in the schedule"
}

// Is makes errors.Is(err, ErrUnknownTrack) hold for every track.
func (e *UnknownTrackError) Is(target error) bool { return target == ErrUnknownTrack }

// AddAnnouncement posts an: created at the instant of the edit, shown from
// its StartsAt if that is still ahead (else at once) to its audience (the
// default one if none is named) and, with a positive ttl, expiring ttl
// after it appears (edit_audience.go). An announcement with the same id is
// replaced. Its track, when not empty (every track), must be one of the
// schedule's. The text and id are the caller's to check (the server refuses
// what screens cannot show before it builds the edit).
func AddAnnouncement(an Announcement, ttl time.Duration) Edit {
	return func(sc *Schedule, adj Adjustments, now time.Time) (Adjustments, error) {
		if err := checkTrack(sc, an.Track, true); err != nil {
			return adj, err
		}
		an = scheduleAnnouncement(an.Normalized(), ttl, now)
		return adj.Prune(now).WithAnnouncement(an), nil
	}
}

// RemoveAnnouncement takes the announcement with the given id down.
func RemoveAnnouncement(id string) Edit {
	return func(sc *Schedule, adj Adjustments, now time.Time) (Adjustments, error) {
		out, ok := adj.Prune(now).WithoutAnnouncement(id)
		if !ok {
			return adj, ErrNoSuchAnnouncement
		}
		return out, nil
	}
}

// checkTrack refuses a track id the schedule does not have; an empty one
// means every track where emptyMeansAll.
func checkTrack(sc *Schedule, track string, emptyMeansAll bool) error {
	if track == "" && emptyMeansAll {
		return nil
	}
	if _, ok := sc.Track(track); !ok {
		return &UnknownTrackError{Track: track}
	}
	return nil
}
