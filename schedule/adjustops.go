package schedule

import (
	"maps"
	"slices"
	"time"
)

// The operations below are pure: each returns a new Adjustments and leaves
// the receiver's slice and map untouched, so a value the server has already
// published (or persisted, or handed to a goroutine) never changes under it.

// WithAnnouncement adds an, replacing an announcement with the same ID.
func (a Adjustments) WithAnnouncement(an Announcement) Adjustments {
	out := a.adjClone()
	if i := slices.IndexFunc(out.Announcements, func(x Announcement) bool { return x.ID == an.ID }); i >= 0 {
		out.Announcements[i] = an
	} else {
		out.Announcements = append(out.Announcements, an)
	}
	return out
}

// WithoutAnnouncement removes the announcement with the given id; false
// when there is none.
func (a Adjustments) WithoutAnnouncement(id string) (Adjustments, bool) {
	i := slices.IndexFunc(a.Announcements, func(x Announcement) bool { return x.ID == id })
	if i < 0 {
		return a.adjClone(), false
	}
	out := a.adjClone()
	out.Announcements = slices.Delete(out.Announcements, i, i+1)
	return out, true
}

// WithDelay says the track's session on stage (session) runs minutes late
// as of instant at; 0 minutes clears the track's delay. Changing the delay
// of the same session (7 minutes to 12) keeps the instant it was first set.
// Neither the track nor the session is checked against a schedule: the
// caller knows them.
func (a Adjustments) WithDelay(track, session string, minutes int, at time.Time) Adjustments {
	out := a.adjClone()
	if minutes == 0 {
		delete(out.Delays, track)
		return out
	}
	d := Delay{Minutes: minutes, From: at, Session: session}
	if old, ok := out.Delays[track]; ok && old.Minutes != 0 && old.Session == session {
		d.From = old.From
	}
	if out.Delays == nil {
		out.Delays = make(map[string]Delay, 1)
	}
	out.Delays[track] = d
	return out
}

// WithLive records what happened on stage for one session (replacing what
// was recorded for it).
func (a Adjustments) WithLive(session string, l Live) Adjustments {
	out := a.adjClone()
	if out.Live == nil {
		out.Live = make(map[string]Live, 1)
	}
	out.Live[session] = l
	return out
}

// Prune drops the announcements that have expired at instant at, so that
// persisted adjustments do not grow all conference long.
func (a Adjustments) Prune(at time.Time) Adjustments {
	out := a.adjClone()
	out.Announcements = slices.DeleteFunc(out.Announcements, func(x Announcement) bool {
		return x.Expires != nil && !at.Before(*x.Expires)
	})
	return out
}

// adjClone copies the slice and the map (never nil slice: the wire format
// shows an empty list, not null).
func (a Adjustments) adjClone() Adjustments {
	out := Adjustments{
		Announcements: make([]Announcement, len(a.Announcements), len(a.Announcements)+1),
		Delays:        maps.Clone(a.Delays),
		Statuses:      maps.Clone(a.Statuses),
		Aliases:       maps.Clone(a.Aliases),
		Live:          maps.Clone(a.Live),
	}
	copy(out.Announcements, a.Announcements)
	return out
}
