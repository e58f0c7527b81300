package schedule

import "time"

// Kind says what sort of session a slot is. Screens show breaks differently
// ("Back at 11:15") and keynotes more prominently.
type Kind string

const (
	KindKeynote Kind = "keynote"
	KindTalk    Kind = "talk"
	KindPanel   Kind = "panel"
	KindBreak   Kind = "break"
	KindOther   Kind = "other"
)

// Kinds lists every valid Kind, in the order documentation shows them.
var Kinds = []Kind{KindKeynote, KindTalk, KindPanel, KindBreak, KindOther}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Speaker is a person on stage, with the organisation they speak for.
type Speaker struct {
	Name        string `json:"name"`
	Affiliation string `json:"affiliation,omitempty"`
}

// Track is a room or a stream: one thing playing at a time.
type Track struct {
	ID   string `json:"id"`   // slug, used in URLs (/screen/{id}) and metric labels
	Name string `json:"name"` // shown to people
	// GUID is the source's stable identity of the room (pretalx and
	// schedule.json rooms[].guid, frab <room guid>), when it gives one
	// that names that room alone. A room renamed in the source keeps it:
	// a reload finds the renamed track by it (Renames) and keeps the old
	// id as an alias, so screens and live changes follow the room.
	GUID string `json:"guid,omitempty"`
	// StageWarnMinutes and StageDangerMinutes are when the stage view
	// (/stage/{id}) turns amber and red before a session's estimated end;
	// 0 means the defaults below. A room of lightning talks wants other
	// cues than one of hour-long workshops.
	StageWarnMinutes   int `json:"stage_warn_minutes,omitempty"`
	StageDangerMinutes int `json:"stage_danger_minutes,omitempty"`
	// StreamURL is where the room is streamed (an http(s) address): the
	// attendee's tab offers "Watch live" on its sessions.
	StreamURL string `json:"stream_url,omitempty"`
}

// The stage view's thresholds where a track sets none, and the most either
// may be. The frontend's stage.js holds the same defaults.
const (
	DefaultStageWarnMinutes   = 5
	DefaultStageDangerMinutes = 2
	MaxStageMinutes           = 120
)

// StageThresholds gives the track's stage thresholds in minutes, defaults
// filled in.
func (t Track) StageThresholds() (warn, danger int) {
	warn, danger = t.StageWarnMinutes, t.StageDangerMinutes
	if warn == 0 {
		warn = DefaultStageWarnMinutes
	}
	if danger == 0 {
		danger = DefaultStageDangerMinutes
	}
	return warn, danger
}

// Session is one slot on one track. Start and End are absolute instants; the
// conference's Location says how to show them.
type Session struct {
	ID       string    `json:"id"`
	Track    string    `json:"track"`
	Title    string    `json:"title"`
	Speakers []Speaker `json:"speakers,omitempty"`
	Kind     Kind      `json:"kind"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Abstract string    `json:"abstract,omitempty"`
	URL      string    `json:"url,omitempty"`
	// Tags are topics (a frab <track> becomes a tag; confdash tracks are rooms).
	Tags []string `json:"tags,omitempty"`
	// Day is the index into Schedule.Days of the conference day the source
	// lists the session under (a talk after midnight stays on its day).
	Day int `json:"day"`

	// What the source tells the crew, kept as the source gives it: the
	// stage view and the admin show it, audience views do not need it.
	Subtitle string `json:"subtitle,omitempty"`
	Language string `json:"language,omitempty"` // as the source writes it ("en", "de-formal")
	// Type is the source's own session type ("Workshop", "LIGHTNING_TALK"),
	// kept beside Kind, which is confdash's reading of it: a pretalx
	// workshop and a panel are both KindOther or KindPanel, but the crew
	// prepares a room differently for each.
	Type string `json:"type,omitempty"`
	// DoNotRecord and DoNotStream are the speaker's opt-outs: the video
	// crew must not record, or not stream, this session.
	DoNotRecord bool   `json:"do_not_record,omitempty"`
	DoNotStream bool   `json:"do_not_stream,omitempty"`
	FeedbackURL string `json:"feedback_url,omitempty"` // an http(s) address where attendees rate the session
}

// Day is one conference day as the source defines it.
type Day struct {
	Date  string    `json:"date"` // YYYY-MM-DD in the conference's zone
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Schedule is a whole conference: the vocabulary every other package speaks.
// Sessions are sorted by (Start, Track, End). A Schedule is never modified
// after it is loaded; live changes are Adjustments applied on top.
type Schedule struct {
	Name     string `json:"name"`
	TimeZone string `json:"timezone"` // IANA name
	// Language is the conference's main language as a BCP 47 tag ("de",
	// "pt-BR"), optional: the views fall back to it when none of the
	// browser's languages has a catalogue (docs/schedule-format.md).
	Language string         `json:"language,omitempty"`
	Location *time.Location `json:"-"`
	Days     []Day          `json:"days"`
	Tracks   []Track        `json:"tracks"`
	Sessions []Session      `json:"sessions"`

	// Version identifies the content (a short hash of the source bytes and
	// any shift applied); clients compare it to notice a reload.
	Version string `json:"version"`
	// Format names the source format (one of Formats).
	Format Format `json:"format"`
	// ZoneAssumed is true when the source gave no time zone and the caller's
	// default was used.
	ZoneAssumed bool `json:"zone_assumed,omitempty"`

	byTrack map[string][]int // track id -> indexes into Sessions, by start
}

// Track returns the track with the given id.
func (s *Schedule) Track(id string) (Track, bool) {
	for _, t := range s.Tracks {
		if t.ID == id {
			return t, true
		}
	}
	return Track{}, false
}

// Format names a source format. The values are part of the wire format
// (the state's schedule summary, `confdash check --json`).
type Format string

const (
	FormatNative        Format = "native"         // docs/schedule-format.md, YAML or JSON
	FormatFrabXML       Format = "frab-xml"       // frab, pretalx, pentabarf schedule.xml
	FormatScheduleJSON  Format = "schedule-json"  // frab and pretalx schedule.json
	FormatSchedule2JSON Format = "schedule2-json" // the CCC hub's flat schedule2
	FormatICal          Format = "ical"           // RFC 5545 iCalendar
)

// Formats lists every Format a source can have.
var Formats = []Format{FormatNative, FormatFrabXML, FormatScheduleJSON, FormatSchedule2JSON, FormatICal}

// Options are what a caller knows that a source may not say.
type Options struct {
	// Zone is the time zone for sources that give only local times (FOSDEM's
	// pentabarf XML, floating iCalendar times). When nil, such a source is
	// read in UTC and the schedule says a zone was assumed.
	Zone *time.Location
}
