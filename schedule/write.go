package schedule

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Writers: the native format (docs/schedule-format.md), so that an organizer
// can import a published schedule once and then edit it by hand, and
// iCalendar, for GET /schedule.ics and `confdash convert --to ics`.

// The native document, in the order an organizer reads it.
type wnDoc struct {
	Name     string      `yaml:"name" json:"name"`
	TimeZone string      `yaml:"timezone" json:"timezone"`
	Tracks   []wnTrack   `yaml:"tracks" json:"tracks"`
	Sessions []wnSession `yaml:"sessions" json:"sessions"`
}

type wnTrack struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
}

type wnSession struct {
	ID       string      `yaml:"id" json:"id"`
	Track    string      `yaml:"track" json:"track"`
	Title    string      `yaml:"title" json:"title"`
	Kind     Kind        `yaml:"kind" json:"kind"`
	Start    string      `yaml:"start" json:"start"`
	End      string      `yaml:"end" json:"end"`
	Speakers []wnSpeaker `yaml:"speakers,omitempty" json:"speakers,omitempty"`
	Abstract string      `yaml:"abstract,omitempty" json:"abstract,omitempty"`
	URL      string      `yaml:"url,omitempty" json:"url,omitempty"`
	Tags     []string    `yaml:"tags,omitempty" json:"tags,omitempty"`
}

type wnSpeaker struct {
	Name        string `yaml:"name" json:"name"`
	Affiliation string `yaml:"affiliation,omitempty" json:"affiliation,omitempty"`
}

// WriteNative writes s in the native format, as "yaml" or "json". Times are
// local to the conference's zone, "2006-01-02 15:04"; seconds are added only
// when a time has them, and an offset ("2026-10-25 02:30+01:00") only for a
// wall-clock time that happens twice when daylight saving time ends, so that
// reading the file back gives the same instants.
func WriteNative(w io.Writer, s *Schedule, format string) error {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	doc := wnDoc{Name: s.Name, TimeZone: s.TimeZone, Tracks: make([]wnTrack, len(s.Tracks)), Sessions: make([]wnSession, len(s.Sessions))}
	if doc.TimeZone == "" {
		doc.TimeZone = loc.String()
	}
	for i, t := range s.Tracks {
		doc.Tracks[i] = wnTrack(t)
	}
	for i, ss := range s.Sessions {
		ws := wnSession{
			ID: ss.ID, Track: ss.Track, Title: ss.Title, Kind: ss.Kind,
			Start: wnTime(ss.Start, loc), End: wnTime(ss.End, loc),
			Abstract: ss.Abstract, URL: ss.URL, Tags: ss.Tags,
		}
		for _, sp := range ss.Speakers {
			ws.Speakers = append(ws.Speakers, wnSpeaker(sp))
		}
		doc.Sessions[i] = ws
	}
	switch format {
	case "yaml":
		bw := bufio.NewWriter(w)
		if s.Format != "" && s.Format != "native" {
			fmt.Fprintf(bw, "# Converted from %s. Times are local to %s.\n", s.Format, doc.TimeZone)
		}
		if overlaps, instants := wnStrictness(s); overlaps+instants > 0 {
			fmt.Fprintf(bw, "# Before loading: %d sessions overlap an earlier one of their track and %d have no length;\n", overlaps, instants)
			fmt.Fprintf(bw, "# the source allows that, this format does not (confdash check lists them with their lines).\n")
		}
		if s.ZoneAssumed {
			fmt.Fprintf(bw, "# The source names no time zone, so %s is a guess: set timezone to the conference's IANA zone and check the times.\n", doc.TimeZone)
		}
		enc := yaml.NewEncoder(bw)
		enc.SetIndent(2)
		if err := enc.Encode(&doc); err != nil {
			return fmt.Errorf("write native yaml: %w", err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("write native yaml: %w", err)
		}
		return bw.Flush()
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&doc); err != nil {
			return fmt.Errorf("write native json: %w", err)
		}
		return nil
	}
	return fmt.Errorf("write native: format %q is not yaml or json", format)
}

// wnStrictness counts what the native format refuses and an import keeps:
// sessions that start before an earlier one of their track has ended, and
// sessions without a length.
func wnStrictness(s *Schedule) (overlaps, instants int) {
	longest := map[string]time.Time{} // latest end so far, by track
	for _, ss := range s.Sessions {   // sorted by start
		if !ss.End.After(ss.Start) {
			instants++
			continue
		}
		if end, ok := longest[ss.Track]; ok && ss.Start.Before(end) {
			overlaps++
		}
		if end, ok := longest[ss.Track]; !ok || ss.End.After(end) {
			longest[ss.Track] = ss.End
		}
	}
	return overlaps, instants
}

// wnTime writes an instant as the native format reads it: local wall-clock
// time, with the offset when the wall clock alone would be ambiguous.
func wnTime(t time.Time, loc *time.Location) string {
	lt := t.In(loc)
	layout := "2006-01-02 15:04"
	if lt.Second() != 0 {
		layout = "2006-01-02 15:04:05"
	}
	if wnAmbiguous(lt) {
		layout += "-07:00"
	}
	return lt.Format(layout)
}

// wnAmbiguous reports whether another instant shows the same wall clock in
// t's zone, which happens in the hour repeated when daylight saving time
// ends. Real transitions shift clocks by 30 minutes (Lord Howe) to 2 hours.
func wnAmbiguous(t time.Time) bool {
	wall := func(u time.Time) [6]int {
		return [6]int{u.Year(), int(u.Month()), u.Day(), u.Hour(), u.Minute(), u.Second()}
	}
	w := wall(t)
	for _, d := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		if wall(t.Add(d)) == w || wall(t.Add(-d)) == w {
			return true
		}
	}
	return false
}

// icsMaxLine is RFC 5545's limit on a content line, in octets, without the
// CRLF; longer lines are folded.
const icsMaxLine = 75

// WriteICS writes sessions as an RFC 5545 calendar. Each event's UID is
// derived from the session id and the conference name, so it is stable
// across runs and calendar apps update events instead of duplicating them.
// Times are the estimated ones (the scheduled ones when no delay applies),
// in UTC. Speakers and kind are also written as X-CONFDASH-SPEAKER and
// X-CONFDASH-KIND, which confdash reads back; other apps ignore them.
//
// DTSTAMP, which RFC 5545 requires, is the earliest scheduled start rather
// than the clock: the package has no clock, and an unchanged schedule then
// gives a byte-identical file (cacheable, comparable).
func WriteICS(w io.Writer, s *Schedule, sessions []Timed) error {
	bw := bufio.NewWriter(w)
	line := func(name, value string) {
		icsFold(bw, name+":"+value)
	}
	domain := "schedule"
	if s.Name != "" {
		domain = impSlug(s.Name)
	}
	domain += ".confdash"
	var stamp time.Time
	for _, t := range sessions {
		if stamp.IsZero() || t.Start.Before(stamp) {
			stamp = t.Start
		}
	}
	if stamp.IsZero() {
		stamp = time.Unix(0, 0)
	}
	names := make(map[string]string, len(s.Tracks))
	for _, tr := range s.Tracks {
		names[tr.ID] = tr.Name
	}

	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//confdash//confdash schedule//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	if s.Name != "" {
		line("X-WR-CALNAME", icsEscape(s.Name))
	}
	if s.TimeZone != "" {
		line("X-WR-TIMEZONE", icsEscape(s.TimeZone))
	}
	for _, t := range sessions {
		start, end := t.EstStart, t.EstEnd
		if start.IsZero() || end.IsZero() {
			start, end = t.Start, t.End
		}
		line("BEGIN", "VEVENT")
		line("UID", icsEscape(t.ID+"@"+domain))
		line("DTSTAMP", icsUTC(stamp))
		line("DTSTART", icsUTC(start))
		line("DTEND", icsUTC(end))
		line("SUMMARY", icsEscape(t.Title))
		if n := names[t.Track]; n != "" {
			line("LOCATION", icsEscape(n))
		} else if t.Track != "" {
			line("LOCATION", icsEscape(t.Track))
		}
		if d := icsDescription(t.Session); d != "" {
			line("DESCRIPTION", icsEscape(d))
		}
		if u := icsClean(t.URL); u != "" {
			line("URL", u)
		}
		if len(t.Tags) > 0 {
			tags := make([]string, len(t.Tags))
			for i, tag := range t.Tags {
				tags[i] = icsEscape(tag)
			}
			line("CATEGORIES", strings.Join(tags, ","))
		}
		if t.Kind != "" {
			line("X-CONFDASH-KIND", icsEscape(string(t.Kind)))
		}
		for _, sp := range t.Speakers {
			name := "X-CONFDASH-SPEAKER"
			if sp.Affiliation != "" {
				name += ";X-AFFILIATION=" + icsParam(sp.Affiliation)
			}
			line(name, icsEscape(sp.Name))
		}
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return bw.Flush()
}

// icsDescription is what a calendar app shows under the title: speakers,
// then the abstract.
func icsDescription(ss Session) string {
	var parts []string
	if len(ss.Speakers) > 0 {
		names := make([]string, len(ss.Speakers))
		for i, sp := range ss.Speakers {
			names[i] = sp.Name
			if sp.Affiliation != "" {
				names[i] += " (" + sp.Affiliation + ")"
			}
		}
		parts = append(parts, strings.Join(names, ", "))
	}
	if ss.Abstract != "" {
		parts = append(parts, ss.Abstract)
	}
	return strings.Join(parts, "\n\n")
}

func icsUTC(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// icsEscape writes a TEXT value: backslash, semicolon, comma and newline are
// escaped (RFC 5545 3.3.11); other control characters are not allowed.
func icsEscape(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			// dropped: CTLs are not allowed in a TEXT value
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// icsClean drops the control characters a URI value may not hold.
func icsClean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// icsParam writes a parameter value, quoted when it holds a character that
// would end it; a double quote cannot appear even quoted, so it becomes a
// single one.
func icsParam(s string) string {
	s = strings.ReplaceAll(icsClean(s), `"`, "'")
	if strings.ContainsAny(s, ":;,") {
		return `"` + s + `"`
	}
	return s
}

// icsFold writes one content line, folded so that no line exceeds
// icsMaxLine octets; a fold never splits a UTF-8 sequence.
func icsFold(w *bufio.Writer, line string) {
	limit := icsMaxLine
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		w.WriteString(line[:cut])
		w.WriteString("\r\n ")
		line = line[cut:]
		limit = icsMaxLine - 1 // the continuation's leading space counts
	}
	w.WriteString(line)
	w.WriteString("\r\n")
}
