package schedule

import "time"

// Adjustments are the organizers' live changes on top of a schedule. They are
// plain data: the server persists them and Compute applies them.
type Adjustments struct {
	Announcements []Announcement   `json:"announcements"`
	Delays        map[string]Delay `json:"delays,omitempty"` // by track id
	// Statuses are the rooms' statuses other than open, by track id
	// (edit_rooms.go).
	Statuses map[string]RoomStatus `json:"statuses,omitempty"`
	// Aliases are the former ids of renamed rooms: old id -> current id.
	Aliases map[string]string `json:"aliases,omitempty"`
	// Live is what happened on stage, by session id: when a session really
	// started and ended (docs/live-timing.md).
	Live map[string]Live `json:"live,omitempty"`
}

// Live is what an organizer said about one session on stage: it started
// (Started), it ended (Ended). Each is nil until said. Track is the
// session's track, so that a track's timing is found without the schedule.
type Live struct {
	Track   string     `json:"track"`
	Started *time.Time `json:"started,omitempty"`
	Ended   *time.Time `json:"ended,omitempty"`
}

// Announcement is a message for everyone, or for one track's viewers, shown
// on the views of its audience (see audience.go).
type Announcement struct {
	ID       string     `json:"id"`
	Text     string     `json:"text"`
	Track    string     `json:"track,omitempty"` // empty: every track
	Audience []string   `json:"audience"`        // the views that show it; see Audiences
	Level    Level      `json:"level"`
	Created  time.Time  `json:"created"`
	StartsAt *time.Time `json:"starts_at,omitempty"` // nil: shown from Created
	Expires  *time.Time `json:"expires,omitempty"`   // nil: until removed
}

// Shown is the instant a appears: StartsAt when it was scheduled, else when
// it was posted.
func (a Announcement) Shown() time.Time {
	if a.StartsAt != nil {
		return *a.StartsAt
	}
	return a.Created
}

// Active reports whether a is shown at instant at.
func (a Announcement) Active(at time.Time) bool {
	return !at.Before(a.Shown()) && (a.Expires == nil || at.Before(*a.Expires))
}

// Delay says "the session on stage runs Minutes late": Session (the one
// running at From, or the next one if none ran) ends Minutes after its
// scheduled end and, if it had not started, starts Minutes late. The
// sessions after it are pushed only by what the gaps before them do not
// absorb (docs/live-timing.md). A Delay without a Session (written before
// sessions were named) applies to the session on stage at From by the
// scheduled times.
type Delay struct {
	Minutes int       `json:"minutes"`
	From    time.Time `json:"from"`
	Session string    `json:"session,omitempty"`
}

// Timed is a session with its estimated times (equal to the scheduled ones
// when no delay or live timing applies), how many minutes late it runs
// (the later of its start's and its end's lateness, rounded; 0 when on time
// or early) and what was said about it on stage.
type Timed struct {
	Session
	EstStart     time.Time `json:"est_start"`
	EstEnd       time.Time `json:"est_end"`
	DelayMinutes int       `json:"delay_minutes,omitempty"`
	Live         *Live     `json:"live,omitempty"`
}

// TrackState is what one track shows at an instant.
type TrackState struct {
	Track        Track     `json:"track"`
	Now          *Timed    `json:"now"`  // nil in a gap, before the first and after the last session
	Next         *Timed    `json:"next"` // nil after the last session
	DelayMinutes int       `json:"delay_minutes"`
	NextChange   time.Time `json:"next_change"` // zero when nothing changes any more
	// Status is the room's status; nil when it is open.
	Status *RoomStatus `json:"status,omitempty"`
}

// State is the whole conference at an instant.
type State struct {
	At            time.Time      `json:"at"`
	Tracks        []TrackState   `json:"tracks"`
	Announcements []Announcement `json:"announcements"` // active at At
	// Pending are the announcements scheduled to appear after At (StartsAt),
	// for the organizers' console, which must be able to take them down.
	Pending []Announcement `json:"pending"`
	// NextChange is the earliest instant after At at which any track's
	// now/next or the set of active announcements changes; zero if never.
	NextChange time.Time `json:"next_change"`
}
