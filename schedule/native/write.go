package native

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/confdash/confdash/schedule"
	"go.yaml.in/yaml/v3"
)

// The writer: an organizer imports a published schedule once and then edits
// it by hand.

// The native document, in the order an organizer reads it.
type outDoc struct {
	Name     string       `yaml:"name" json:"name"`
	TimeZone string       `yaml:"timezone" json:"timezone"`
	Language string       `yaml:"language,omitempty" json:"language,omitempty"`
	Tracks   []outTrack   `yaml:"tracks" json:"tracks"`
	Sessions []outSession `yaml:"sessions" json:"sessions"`
}

type outTrack struct {
	ID                 string `yaml:"id" json:"id"`
	Name               string `yaml:"name" json:"name"`
	GUID               string `yaml:"guid,omitempty" json:"guid,omitempty"`
	StageWarnMinutes   int    `yaml:"stage_warn_minutes,omitempty" json:"stage_warn_minutes,omitempty"`
	StageDangerMinutes int    `yaml:"stage_danger_minutes,omitempty" json:"stage_danger_minutes,omitempty"`
	StreamURL          string `yaml:"stream_url,omitempty" json:"stream_url,omitempty"`
}

type outSession struct {
	ID       string        `yaml:"id" json:"id"`
	Track    string        `yaml:"track" json:"track"`
	Title    string        `yaml:"title" json:"title"`
	Kind     schedule.Kind `yaml:"kind" json:"kind"`
	Start    string        `yaml:"start" json:"start"`
	End      string        `yaml:"end" json:"end"`
	Speakers []outSpeaker  `yaml:"speakers,omitempty" json:"speakers,omitempty"`
	Abstract string        `yaml:"abstract,omitempty" json:"abstract,omitempty"`
	URL      string        `yaml:"url,omitempty" json:"url,omitempty"`
	Tags     []string      `yaml:"tags,omitempty" json:"tags,omitempty"`

	Subtitle    string `yaml:"subtitle,omitempty" json:"subtitle,omitempty"`
	Language    string `yaml:"language,omitempty" json:"language,omitempty"`
	Type        string `yaml:"type,omitempty" json:"type,omitempty"`
	DoNotRecord bool   `yaml:"do_not_record,omitempty" json:"do_not_record,omitempty"`
	DoNotStream bool   `yaml:"do_not_stream,omitempty" json:"do_not_stream,omitempty"`
	FeedbackURL string `yaml:"feedback_url,omitempty" json:"feedback_url,omitempty"`
}

type outSpeaker struct {
	Name        string `yaml:"name" json:"name"`
	Affiliation string `yaml:"affiliation,omitempty" json:"affiliation,omitempty"`
}

// Write writes s in the native format, as "yaml" or "json". Times are
// local to the conference's zone, "2006-01-02 15:04"; seconds are added only
// when a time has them, and an offset ("2026-10-25 02:30+01:00") only for a
// wall-clock time that happens twice when daylight saving time ends, so that
// reading the file back gives the same instants.
func Write(w io.Writer, s *schedule.Schedule, format string) error {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	doc := outDoc{Name: s.Name, TimeZone: s.TimeZone, Language: s.Language, Tracks: make([]outTrack, len(s.Tracks)), Sessions: make([]outSession, len(s.Sessions))}
	if doc.TimeZone == "" {
		doc.TimeZone = loc.String()
	}
	for i, t := range s.Tracks {
		doc.Tracks[i] = outTrack(t)
	}
	for i, ss := range s.Sessions {
		ws := outSession{
			ID: ss.ID, Track: ss.Track, Title: ss.Title, Kind: ss.Kind,
			Start: formatTime(ss.Start, loc), End: formatTime(ss.End, loc),
			Abstract: ss.Abstract, URL: ss.URL, Tags: ss.Tags,
			Subtitle: ss.Subtitle, Language: ss.Language, Type: ss.Type,
			DoNotRecord: ss.DoNotRecord, DoNotStream: ss.DoNotStream, FeedbackURL: ss.FeedbackURL,
		}
		for _, sp := range ss.Speakers {
			ws.Speakers = append(ws.Speakers, outSpeaker(sp))
		}
		doc.Sessions[i] = ws
	}
	switch format {
	case "yaml":
		bw := bufio.NewWriter(w)
		if s.Format != "" && s.Format != schedule.FormatNative {
			fmt.Fprintf(bw, "# Converted from %s. Times are local to %s.\n", s.Format, doc.TimeZone)
		}
		if overlaps, instants := strictness(s); overlaps+instants > 0 {
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

// strictness counts what the native format refuses and an import keeps:
// sessions that start before an earlier one of their track has ended, and
// sessions without a length.
func strictness(s *schedule.Schedule) (overlaps, instants int) {
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

// formatTime writes an instant as the native format reads it: local wall-clock
// time, with the offset when the wall clock alone would be ambiguous.
func formatTime(t time.Time, loc *time.Location) string {
	lt := t.In(loc)
	layout := "2006-01-02 15:04"
	if lt.Second() != 0 {
		layout = "2006-01-02 15:04:05"
	}
	if ambiguous(lt) {
		layout += "-07:00"
	}
	return lt.Format(layout)
}

// ambiguous reports whether another instant shows the same wall clock in
// t's zone, which happens in the hour repeated when daylight saving time
// ends. Real transitions shift clocks by 30 minutes (Lord Howe) to 2 hours.
func ambiguous(t time.Time) bool {
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
