package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSJDetect(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
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

const sjTestDoc = `{
  "$schema": "https://c3voc.de/schedule/schema.json",
  "schedule": {
    "version": "1",
    "conference": {
      "acronym": "democon",
      "title": "DemoCon",
      "daysCount": 2,
      "time_zone_name": "UTC",
      "days": [
        {
          "index": 1, "date": "2020-12-14",
          "day_start": "2020-12-14T04:00:00+01:00", "day_end": "2020-12-15T03:59:00+01:00",
          "rooms": {
            "Zebra Room": [
              {"id": 25, "guid": "g25", "date": "2020-12-14T09:00:00+01:00", "start": "09:00", "duration": "00:30",
               "room": "Zebra Room", "title": "First", "track": "Phased", "type": "Talk",
               "abstract": "abs", "url": "https://x/25",
               "persons": [{"id": 26, "public_name": "Brian"}, {"name": "Nadia"}, {"id": 1}], "answers": []}
            ],
            "Alpha Room": [
              {"id": "2814", "date": "2020-12-14T10:00:00+01:00", "duration": "01:00", "title": "Second",
               "track": null, "type": "Workshop", "persons": []},
              {"id": 27, "start": "02:00", "duration": "00:30", "title": "Night", "type": "Talk"}
            ]
          }
        },
        {"index": 2, "date": "2020-12-15", "rooms": {}}
      ]
    }
  }
}`

func TestSJScheduleJSON(t *testing.T) {
	s, warns, err := parseScheduleJSON("d.json", []byte(sjTestDoc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Rooms keep the file's order, not an alphabetical one.
	if diff := cmp.Diff([]Track{{ID: "zebra-room", Name: "Zebra Room"}, {ID: "alpha-room", Name: "Alpha Room"}}, s.Tracks); diff != "" {
		t.Errorf("tracks (-want +got):\n%s", diff)
	}
	want := Session{
		ID: "25", Track: "zebra-room", Title: "First", Kind: KindTalk,
		Speakers: []Speaker{{Name: "Brian"}, {Name: "Nadia"}},
		Start:    impTestUTC(t, "2020-12-14T08:00:00Z"), End: impTestUTC(t, "2020-12-14T08:30:00Z"),
		Abstract: "abs", URL: "https://x/25", Tags: []string{"Phased"},
	}
	if diff := cmp.Diff(want, impTestSession(t, s, "25")); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	if got := impTestSession(t, s, "2814"); got.Kind != KindOther || got.Tags != nil || got.Track != "alpha-room" {
		t.Errorf("string id session = %+v", got)
	}
	// No date: the day's date and start, after midnight on the next date
	// (before the day's 04:00 start), still on the first day.
	night := impTestSession(t, s, "27")
	if got, want := night.Start, impTestUTC(t, "2020-12-15T02:00:00Z"); !got.Equal(want) {
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
		if !impTestWarned(warns, want...) {
			t.Errorf("no warning with %q in:\n%v", want, warns)
		}
	}
	// The empty second day is not a conference day.
	if got, want := len(s.Days), 1; got != want {
		t.Errorf("days = %d, want %d", got, want)
	}
}

func TestSJGuessesZoneFromOffsets(t *testing.T) {
	src := strings.Replace(sjTestDoc, `"time_zone_name": "UTC",`, "", 1)
	s, _, err := parseScheduleJSON("d.json", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Not every event carries an offset (27 has only a start): UTC.
	if s.TimeZone != "UTC" || !s.ZoneAssumed {
		t.Errorf("timezone %q assumed %v, want UTC assumed", s.TimeZone, s.ZoneAssumed)
	}
	src = strings.Replace(src, `{"id": 27, "start": "02:00",`, `{"id": 27, "date": "2020-12-15T02:00:00+01:00",`, 1)
	s, _, err = parseScheduleJSON("d.json", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.TimeZone != "Etc/GMT-1" || !s.ZoneAssumed {
		t.Errorf("timezone %q assumed %v, want Etc/GMT-1 (UTC+1) assumed", s.TimeZone, s.ZoneAssumed)
	}
	s, _, err = parseScheduleJSON("d.json", []byte(src), Options{Zone: impTestZone(t, "Europe/Berlin")})
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
			_, _, err := parseScheduleJSON("d.json", []byte(tc.src), Options{})
			var errs Errors
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
	s, warns, err := parseScheduleJSON("d.json", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Sessions[0]
	if got.ID != "g1" || got.Title != "5" {
		t.Errorf("session id %q title %q, want the guid and the number as text", got.ID, got.Title)
	}
	for _, want := range []string{`field "title" is not a string`, `field "id" is not a string`, `"persons" is not a list`, "an event is not an object"} {
		if !impTestWarned(warns, want) {
			t.Errorf("no warning with %q in:\n%v", want, warns)
		}
	}
}

const sj2TestDoc = `{
  "$schema": "https://c3voc.de/schedule/schema2.json",
  "schedule": {
    "version": "1",
    "conference": {
      "acronym": "38c3", "title": "38C3",
      "time_zone_name": "Europe/Berlin",
      "defaults": {"language": "de"},
      "tracks": [{"name": "Art & Beauty", "slug": "art-beauty"}],
      "rooms": [{"name": "Saal 1", "slug": "saal-1", "guid": "r1"}, {"name": "Saal GLITCH", "guid": "r2"}],
      "days": [
        {"index": 1, "date": "2024-12-27", "start": "2024-12-27T09:30:00+00:00", "end": "2024-12-28T06:00:00+01:00"},
        {"index": 2, "date": "2024-12-28", "start": "2024-12-28T06:00:00+01:00", "end": "2024-12-29T06:00:00+01:00"}
      ]
    },
    "events": [
      {"type": "TALK", "guid": "e1", "code": "HQCCYH", "start": "2024-12-27T10:30:00+01:00", "end": "2024-12-27T11:00:00+01:00",
       "room": {"name": "Saal 1", "guid": "r1"}, "title": "Opening", "track": {"slug": "art-beauty"},
       "abstract": {"en": "Hello", "de": "Hallo"},
       "participants": [{"guid": "p1", "name": "Gabriela", "role": "SPEAKER"}, {"guid": "p2", "role": "MODERATOR"},
                        {"guid": "p3", "name": "Senficon", "role": "CONTRIBUTOR"}]},
      {"type": "LIGHTNING_TALK", "guid": "e2", "start": "2024-12-28T00:15:00+01:00", "duration": "PT40M",
       "room": {"guid": "r2"}, "title": "Night", "track": {"slug": "unknown-track"}, "participants": []},
      {"type": "TALK", "guid": "e3", "start": "2024-12-28T12:00:00+01:00", "end": "2024-12-28T13:00:00+01:00",
       "room": {"guid": "r1"}, "title": "Gone", "state": "CANCELED"}
    ],
    "persons": [{"guid": "p2", "name": "Moderator Mo"}]
  }
}`

func TestSJSchedule2(t *testing.T) {
	if got := Detect([]byte(sj2TestDoc)); got != "schedule2-json" {
		t.Fatalf("Detect = %q", got)
	}
	s, warns, err := parseSchedule2JSON("h.json", []byte(sj2TestDoc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Session{
		ID: "HQCCYH", Track: "saal-1", Title: "Opening", Kind: KindTalk,
		Speakers: []Speaker{{Name: "Gabriela"}, {Name: "Moderator Mo"}},
		Start:    impTestUTC(t, "2024-12-27T09:30:00Z"), End: impTestUTC(t, "2024-12-27T10:00:00Z"),
		Abstract: "Hallo", Tags: []string{"Art & Beauty"},
	}
	if diff := cmp.Diff(want, impTestSession(t, s, "HQCCYH")); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	night := impTestSession(t, s, "e2")
	if night.Track != "saal-glitch" || night.Kind != KindTalk || night.End.Sub(night.Start) != 40*time.Minute {
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
	if !impTestWarned(warns, "h.json:24", "state CANCELED: not imported") {
		t.Errorf("no cancelled warning in:\n%v", warns)
	}
	if s.Format != "schedule2-json" {
		t.Errorf("format = %q", s.Format)
	}
}
