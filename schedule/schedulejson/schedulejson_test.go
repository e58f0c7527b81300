package schedulejson

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/google/go-cmp/cmp"
)

func TestSJDetect(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      schedule.Format
	}{
		{"schedule.json", `{"schedule": {"conference": {"days": [{"rooms": {"A": []}}]}}}`, "schedule-json"},
		{"schedule2", `{"$schema": "x", "schedule": {"conference": {"days": [{"index": 1}]}, "events": []}}`, "schedule2-json"},
		{"both: rooms win", `{"schedule": {"conference": {"days": [{"rooms": {}}]}, "events": []}}`, "schedule-json"},
		{"schedule without events", `{"schedule": {"conference": {}}}`, "schedule-json"},
		{"broken schedule", `{"schedule": {"conference": [}`, "schedule-json"},
		{"bom", "\ufeff" + `{"schedule": {"events": [1]}}`, "schedule2-json"},
		{"native", `{"name": "x", "timezone": "UTC", "tracks": [], "sessions": []}`, "native"},
		{"native first", `{"timezone": "UTC", "schedule": 1}`, "native"},
		{"other", `{"a": 1}`, "native"},
		{"garbage", `{"a": `, "native"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Detect([]byte(tc.src)); got != tc.want {
				t.Errorf("Detect = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSJScheduleJSON(t *testing.T) {
	s, warns, err := Parse("d.json", []byte(schedtest.ScheduleJSONDoc), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Rooms keep the file's order, not an alphabetical one.
	if diff := cmp.Diff([]schedule.Track{{ID: "zebra-room", Name: "Zebra Room"}, {ID: "alpha-room", Name: "Alpha Room"}}, s.Tracks); diff != "" {
		t.Errorf("tracks (-want +got):\n%s", diff)
	}
	want := schedule.Session{
		ID: "25", Track: "zebra-room", Title: "First", Kind: schedule.KindTalk,
		Speakers: []schedule.Speaker{{Name: "Brian"}, {Name: "Nadia"}},
		Start:    schedtest.UTC(t, "2020-12-14T08:00:00Z"), End: schedtest.UTC(t, "2020-12-14T08:30:00Z"),
		Abstract: "abs", URL: "https://x/25", Tags: []string{"Phased"}, Type: "Talk",
	}
	if diff := cmp.Diff(want, schedtest.Session(t, s, "25")); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	if got := schedtest.Session(t, s, "2814"); got.Kind != schedule.KindOther || got.Tags != nil || got.Track != "alpha-room" {
		t.Errorf("string id session = %+v", got)
	}
	// No date: the day's date and start, after midnight on the next date
	// (before the day's 04:00 start), still on the first day.
	night := schedtest.Session(t, s, "27")
	if got, want := night.Start, schedtest.UTC(t, "2020-12-15T02:00:00Z"); !got.Equal(want) {
		t.Errorf("night start = %v, want %v", got, want)
	}
	if got, want := s.Days[night.Day].Date, "2020-12-14"; got != want {
		t.Errorf("night day = %q, want %q", got, want)
	}
	// Offsets win over time_zone_name, loudly.
	if s.TimeZone != "UTC" || s.ZoneAssumed {
		t.Errorf("timezone %q assumed %v, want UTC stated", s.TimeZone, s.ZoneAssumed)
	}
	for _, want := range [][]string{
		{"d.json:16", "offsets (such as +01:00) that differ from the zone UTC"},
		{"d.json:19", `event field "answers" is not part of the format`},
		{"d.json:19", "a person has no name"},
	} {
		if !schedtest.Warned(warns, want...) {
			t.Errorf("no warning with %q in:\n%v", want, warns)
		}
	}
	// The empty second day is not a conference day.
	if got, want := len(s.Days), 1; got != want {
		t.Errorf("days = %d, want %d", got, want)
	}
}

func TestSJGuessesZoneFromOffsets(t *testing.T) {
	src := strings.Replace(schedtest.ScheduleJSONDoc, `"time_zone_name": "UTC",`, "", 1)
	s, _, err := Parse("d.json", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Not every event carries an offset (27 has only a start): UTC.
	if s.TimeZone != "UTC" || !s.ZoneAssumed {
		t.Errorf("timezone %q assumed %v, want UTC assumed", s.TimeZone, s.ZoneAssumed)
	}
	src = strings.Replace(src, `{"id": 27, "start": "02:00",`, `{"id": 27, "date": "2020-12-15T02:00:00+01:00",`, 1)
	s, _, err = Parse("d.json", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.TimeZone != "Etc/GMT-1" || !s.ZoneAssumed {
		t.Errorf("timezone %q assumed %v, want Etc/GMT-1 (UTC+1) assumed", s.TimeZone, s.ZoneAssumed)
	}
	s, _, err = Parse("d.json", []byte(src), schedule.Options{Zone: schedtest.Zone(t, "Europe/Berlin")})
	if err != nil {
		t.Fatal(err)
	}
	if s.TimeZone != "Europe/Berlin" || !s.ZoneAssumed {
		t.Errorf("timezone %q assumed %v, want the given Europe/Berlin, assumed", s.TimeZone, s.ZoneAssumed)
	}
}

func TestSJRefuses(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"syntax", "{\n\"schedule\": {,}}", "d.json:2: not valid JSON"},
		{"trailing garbage", `{"schedule": {}} x`, "not valid JSON"},
		{"not an object", `[1]`, "top level is not a JSON object"},
		{"no schedule", `{"x": 1}`, `no "schedule" object`},
		{"no conference", `{"schedule": {"version": "1"}}`, `no "conference" object`},
		{"no days", `{"schedule": {"conference": {"title": "x"}}}`, "conference.days is missing"},
		{"no events", `{"schedule": {"conference": {"days": [{"date": "2020-01-01", "rooms": {"A": []}}]}}}`, "no usable session"},
		{"all skipped", `{"schedule": {"conference": {"days": [{"date": "2020-01-01", "rooms": {"A": [{"id": 1, "title": "x", "duration": "00:10"}]}}]}}}`,
			`all 1 events were skipped (first: line 1: event 1 ("x") has no usable "date" or "start"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse("d.json", []byte(tc.src), schedule.Options{})
			var errs schedule.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want Errors", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestSJWrongTypesCostAWarning(t *testing.T) {
	src := `{"schedule": {"conference": {"title": ["x"], "days": [{"date": "2020-01-01", "rooms": {"A": [
	  {"id": {"no": 1}, "guid": "g1", "date": "2020-01-01T10:00:00Z", "duration": "00:10", "title": 5, "persons": "Ann"},
	  "not an event"
	]}}]}}}`
	s, warns, err := Parse("d.json", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Sessions[0]
	if got.ID != "g1" || got.Title != "5" {
		t.Errorf("session id %q title %q, want the guid and the number as text", got.ID, got.Title)
	}
	for _, want := range []string{`field "title" is not a string`, `field "id" is not a string`, `"persons" is not a list`, "an event is not an object"} {
		if !schedtest.Warned(warns, want) {
			t.Errorf("no warning with %q in:\n%v", want, warns)
		}
	}
}

func TestSJSchedule2(t *testing.T) {
	if got := Detect([]byte(schedtest.Schedule2JSONDoc)); got != "schedule2-json" {
		t.Fatalf("Detect = %q", got)
	}
	s, warns, err := Parse2("h.json", []byte(schedtest.Schedule2JSONDoc), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := schedule.Session{
		ID: "HQCCYH", Track: "saal-1", Title: "Opening", Kind: schedule.KindTalk,
		Speakers: []schedule.Speaker{{Name: "Gabriela"}, {Name: "Moderator Mo"}},
		Start:    schedtest.UTC(t, "2024-12-27T09:30:00Z"), End: schedtest.UTC(t, "2024-12-27T10:00:00Z"),
		Abstract: "Hallo", Tags: []string{"Art & Beauty"}, Type: "TALK",
	}
	if diff := cmp.Diff(want, schedtest.Session(t, s, "HQCCYH")); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	night := schedtest.Session(t, s, "e2")
	if night.Track != "saal-glitch" || night.Kind != schedule.KindTalk || night.End.Sub(night.Start) != 40*time.Minute {
		t.Errorf("night = %+v", night)
	}
	// 00:15 on the 28th is inside day 1's window (until 06:00).
	if got, want := s.Days[night.Day].Date, "2024-12-27"; got != want || len(s.Days) != 1 {
		t.Errorf("night on %q of %d days, want %q of 1", got, len(s.Days), want)
	}
	if diff := cmp.Diff([]string{"unknown-track"}, night.Tags); diff != "" {
		t.Errorf("tags of an unknown track slug (-want +got):\n%s", diff)
	}
	if got, want := len(s.Sessions), 2; got != want {
		t.Errorf("sessions = %d, want %d (the cancelled one dropped)", got, want)
	}
	if !schedtest.Warned(warns, "h.json:24", "state CANCELED: not imported") {
		t.Errorf("no cancelled warning in:\n%v", warns)
	}
	if s.Format != "schedule2-json" {
		t.Errorf("format = %q", s.Format)
	}
}
