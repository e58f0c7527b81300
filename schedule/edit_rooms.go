package schedule

import (
	"cmp"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rooms: the status an organizer gives a room (full, closed, moved), and
// rooms that keep their live changes and screens when the source renames
// them.

// Status says whether a room takes people in.
type Status string

const (
	StatusOpen   Status = "open" // the default: never stored
	StatusFull   Status = "full"
	StatusClosed Status = "closed"
	StatusMoved  Status = "moved" // its sessions happen in MovedTo
)

// Statuses lists every valid Status, in the order documentation shows them.
var Statuses = []Status{StatusOpen, StatusFull, StatusClosed, StatusMoved}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// RoomStatus is a room's status other than open, as an organizer set it.
type RoomStatus struct {
	Status  Status    `json:"status"`
	Note    string    `json:"note,omitempty"`
	MovedTo string    `json:"moved_to,omitempty"` // a track id, for StatusMoved only
	Since   time.Time `json:"since"`              // when the room took this status
}

// status is a track's status; nil when it is open.
func (a Adjustments) status(track string) *RoomStatus {
	st, ok := a.Statuses[track]
	if !ok {
		return nil
	}
	return &st
}

// ErrBadMovedTo is matched (errors.Is) by every MovedToError.
var ErrBadMovedTo = errors.New("bad moved_to")

// MovedToError is a "moved" status whose target is not another track of
// the schedule.
type MovedToError struct{ Track, MovedTo string }

func (e *MovedToError) Error() string {
	if e.MovedTo == e.Track {
		return "moved_to names the room itself: name the track its sessions move to"
	}
	return "moved_to " + strconv.Quote(e.MovedTo) + " is not a track of the schedule: name the track the sessions move to (see /api/v1/schedule for the ids)"
}

// Is makes errors.Is(err, ErrBadMovedTo) hold.
func (e *MovedToError) Is(target error) bool { return target == ErrBadMovedTo }

// SetStatus gives a track of the schedule a status; StatusOpen clears it.
// A moved room must name another track of the schedule. A status set again
// unchanged keeps the instant it began; the note and the target are the
// caller's to check (the server refuses what screens cannot show).
func SetStatus(track string, st RoomStatus) Edit {
	return func(sc *Schedule, adj Adjustments, now time.Time) (Adjustments, error) {
		if err := checkTrack(sc, track, false); err != nil {
			return adj, err
		}
		out := adj.Prune(now)
		if st.Status == StatusOpen || st.Status == "" {
			delete(out.Statuses, track)
			return out, nil
		}
		if st.Status == StatusMoved {
			if _, ok := sc.Track(st.MovedTo); !ok || st.MovedTo == track {
				return adj, &MovedToError{Track: track, MovedTo: st.MovedTo}
			}
		}
		st.Since = now
		if old, ok := out.Statuses[track]; ok && old.Status == st.Status && old.MovedTo == st.MovedTo {
			st.Since = old.Since
		}
		if out.Statuses == nil {
			out.Statuses = make(map[string]RoomStatus, 1)
		}
		out.Statuses[track] = st
		return out, nil
	}
}

// Renames are the tracks of old that next has under another id: the same
// room (the same GUID) with a new slug. Old id -> new id. A room without a
// GUID, or whose old id next still gives a track, is not renamed.
func Renames(old, next *Schedule) map[string]string {
	byGUID := map[string]string{}
	for _, t := range next.Tracks {
		if t.GUID != "" {
			byGUID[t.GUID] = t.ID
		}
	}
	out := map[string]string{}
	for _, t := range old.Tracks {
		id, ok := byGUID[t.GUID]
		if t.GUID == "" || !ok || id == t.ID {
			continue
		}
		if _, still := next.Track(t.ID); still {
			continue
		}
		out[t.ID] = id
	}
	return out
}

// Orphan is a track with live changes that a new schedule no longer has,
// renamed or not: what its reload drops (ReconcileRooms).
type Orphan struct {
	Track         string
	Delay         *Delay
	Status        *RoomStatus
	Announcements int
	Live          int // sessions with live timing (started, ended)
}

// Orphans are the live changes of adj that the schedule sc has no track
// for once renames are followed, by track id. A moved room whose target is
// gone is one too (its sessions cannot be found there).
func Orphans(sc *Schedule, adj Adjustments, renames map[string]string) []Orphan {
	follow := func(id string) string { return cmp.Or(renames[id], id) }
	known := func(id string) bool { _, ok := sc.Track(follow(id)); return ok }
	by := map[string]*Orphan{}
	get := func(id string) *Orphan {
		if by[id] == nil {
			by[id] = &Orphan{Track: id}
		}
		return by[id]
	}
	for id, d := range adj.Delays {
		if !known(id) {
			get(id).Delay = &d
		}
	}
	for id, st := range adj.Statuses {
		if !known(id) || (st.Status == StatusMoved && !known(st.MovedTo)) {
			get(id).Status = &st
		}
	}
	for _, a := range adj.Announcements {
		if a.Track != "" && !known(a.Track) {
			get(a.Track).Announcements++
		}
	}
	for _, l := range adj.Live {
		if !known(l.Track) {
			get(l.Track).Live++
		}
	}
	out := make([]Orphan, 0, len(by))
	for _, id := range slices.Sorted(maps.Keys(by)) {
		out = append(out, *by[id])
	}
	return out
}

// ReconcileRooms is the edit a reload makes when rooms were renamed or
// removed: the delay, status, announcements and sessions' live timing of
// each renamed track move
// to its new id, which keeps the old one as an alias (an alias of an alias
// follows too); those of tracks that are gone (Orphans) are dropped, so
// they do not come back if a later schedule reuses the id.
func ReconcileRooms(renames map[string]string) Edit {
	return func(sc *Schedule, adj Adjustments, now time.Time) (Adjustments, error) {
		out := adj.Prune(now)
		follow := func(id string) (string, bool) {
			id = cmp.Or(renames[id], id)
			_, ok := sc.Track(id)
			return id, ok
		}
		delays := map[string]Delay{}
		for id, d := range out.Delays {
			if id, ok := follow(id); ok {
				delays[id] = d
			}
		}
		statuses := map[string]RoomStatus{}
		for id, st := range out.Statuses {
			to, toOK := follow(st.MovedTo)
			if id, ok := follow(id); ok && (st.Status != StatusMoved || toOK) {
				if st.Status == StatusMoved {
					st.MovedTo = to
				}
				statuses[id] = st
			}
		}
		anns := out.Announcements[:0]
		for _, a := range out.Announcements {
			id, ok := follow(a.Track)
			if a.Track == "" || ok {
				if a.Track != "" {
					a.Track = id
				}
				anns = append(anns, a)
			}
		}
		live := map[string]Live{}
		for id, l := range out.Live {
			if track, ok := follow(l.Track); ok {
				l.Track = track
				live[id] = l
			}
		}
		aliases := map[string]string{}
		for old, cur := range out.Aliases {
			if _, real := sc.Track(old); real {
				continue // the id is a room of its own again
			}
			if cur, ok := follow(cur); ok {
				aliases[old] = cur
			}
		}
		for old, cur := range renames {
			if _, ok := sc.Track(cur); ok {
				aliases[old] = cur
			}
		}
		out.Delays, out.Statuses, out.Aliases, out.Announcements = nilIfEmpty(delays), nilIfEmpty(statuses), nilIfEmpty(aliases), anns
		out.Live = nilIfEmpty(live)
		return out, nil
	}
}

// ResolveTrack finds the track a URL names: its id, a former id (an alias
// of adj), or either in another case (slugs are lower case; a hand-typed
// /screen/Room-A means room-a). False when none matches.
func ResolveTrack(sc *Schedule, adj Adjustments, id string) (string, bool) {
	if _, ok := sc.Track(id); ok {
		return id, true
	}
	if cur, ok := adj.Aliases[id]; ok {
		if _, ok := sc.Track(cur); ok {
			return cur, true
		}
	}
	for _, t := range sc.Tracks {
		if strings.EqualFold(t.ID, id) {
			return t.ID, true
		}
	}
	for old, cur := range adj.Aliases {
		if _, ok := sc.Track(cur); ok && strings.EqualFold(old, id) {
			return cur, true
		}
	}
	return "", false
}

func nilIfEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}
