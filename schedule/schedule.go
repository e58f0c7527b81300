package schedule

import (
	"fmt"
	"strings"
	"time"
)

// dayBoundaryHour is the local hour before which a session belongs to the
// previous conference day when the source does not say otherwise: a 01:30
// talk after a day's last one is part of that day (the pretalx convention,
// used by the native format and the importers alike).
const dayBoundaryHour = 4

// dayDate is the conference day (YYYY-MM-DD) of an instant: its date in loc,
// or the date before when it is earlier than dayBoundaryHour.
func dayDate(t time.Time, loc *time.Location) string {
	l := t.In(loc)
	if l.Hour() < dayBoundaryHour {
		// Noon keeps the date arithmetic clear of any zone transition.
		l = time.Date(l.Year(), l.Month(), l.Day()-1, 12, 0, 0, 0, time.UTC)
	}
	return l.Format("2006-01-02")
}

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
}

// Day is one conference day as the source defines it.
type Day struct {
	Date  string    `json:"date"` // YYYY-MM-DD in the conference's zone
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Schedule is a whole conference: the vocabulary every other package speaks.
// Sessions are sorted by (Start, Track, End). A Schedule is never modified
// after Parse returns it; live changes are Adjustments applied on top.
type Schedule struct {
	Name     string         `json:"name"`
	TimeZone string         `json:"timezone"` // IANA name
	Location *time.Location `json:"-"`
	Days     []Day          `json:"days"`
	Tracks   []Track        `json:"tracks"`
	Sessions []Session      `json:"sessions"`

	// Version identifies the content (a short hash of the source bytes and
	// any shift applied); clients compare it to notice a reload.
	Version string `json:"version"`
	// Format names the source format: "native", "frab-xml", "schedule-json",
	// "schedule2-json", "ical".
	Format string `json:"format"`
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

// Diagnostic is one problem found in a schedule source, located precisely
// enough that an organizer can fix it: file, line and field.
type Diagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d", d.Line)
	}
	b.WriteString(": ")
	if d.Field != "" {
		b.WriteString(d.Field)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Errors is every error found in a source, reported at once.
type Errors []Diagnostic

// Error lists the first maxReported diagnostics and counts the rest.
func (e Errors) Error() string {
	shown := capDiagnostics(e)
	lines := make([]string, len(shown))
	for i, d := range shown {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// maxReported caps the diagnostics one source reports: an organizer fixes
// the first ones and checks again, and a generated file with a mistake on
// every line must not turn into a response of megabytes.
const maxReported = 50

// maxValueRunes caps a value quoted from the source in a diagnostic: enough
// to recognise it, never a whole one-line file.
const maxValueRunes = 80

// clipValue shortens a value from the source for a diagnostic.
func clipValue(v string) string {
	n := 0
	for i := range v {
		if n == maxValueRunes {
			return v[:i] + "…"
		}
		n++
	}
	return v
}

// clipArgs shortens every string among the arguments of a diagnostic's
// format, so that no quoted value can be long, whichever verb quotes it.
func clipArgs(args []any) []any {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clipValue(s)
		}
	}
	return args
}

// CapDiagnostics keeps the first diagnostics of a long list (enough to act
// on) and says how many more there were, for a report to a person.
func CapDiagnostics[T ~[]Diagnostic](ds T) T {
	return capDiagnostics(ds)
}

func capDiagnostics[T ~[]Diagnostic](ds T) T {
	if len(ds) <= maxReported {
		return ds
	}
	more := len(ds) - maxReported
	out := append(T(nil), ds[:maxReported]...)
	return append(out, Diagnostic{File: ds[0].File, Message: fmt.Sprintf("and %d more: fix these first, then check again", more)})
}
