package schedulejson

import (
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
)

// sjDay is a schedule.json with the given events in one room of one day.
func sjDay(events string) []byte {
	return []byte(`{"schedule": {"conference": {"title": "C", "time_zone_name": "Europe/Berlin", "days": [
  {"index": 1, "date": "2020-12-14", "rooms": {"One": [` + events + `]}}]}}}`)
}

func TestSJCrewFields(t *testing.T) {
	src := sjDay(`
    {"id": 1, "date": "2020-12-14T09:00:00+01:00", "duration": "00:30", "title": "Hands on",
     "subtitle": "bring a laptop", "type": "Workshop", "language": "de", "do_not_record": true,
     "do_not_stream": "true", "feedback_url": "https://pretalx.example.org/c/talk/A/feedback/"},
    {"id": 2, "date": "2020-12-14T10:00:00+01:00", "duration": "00:30", "title": "Plain",
     "do_not_record": null, "do_not_stream": false},
    {"id": 3, "date": "2020-12-14T11:00:00+01:00", "duration": "00:30", "title": "Odd",
     "do_not_record": "perhaps"}`)
	s, warns, err := Parse("s.json", src, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	one := schedtest.Session(t, s, "1")
	if one.Subtitle != "bring a laptop" || one.Type != "Workshop" || one.Language != "de" || !one.DoNotRecord || !one.DoNotStream ||
		one.FeedbackURL != "https://pretalx.example.org/c/talk/A/feedback/" {
		t.Errorf("session 1 = %+v", one)
	}
	if two := schedtest.Session(t, s, "2"); two.DoNotRecord || two.DoNotStream || two.Type != "" {
		t.Errorf("session 2 = %+v, want nothing set", two)
	}
	if schedtest.Session(t, s, "3").DoNotRecord {
		t.Error("session 3: an unreadable opt-out read as an opt-out")
	}
	if !schedtest.Warned(warns, `event field "do_not_record" is not true or false: read as false`) {
		t.Errorf("no warning about do_not_record in %v", warns)
	}
}

func TestSJ2CrewFields(t *testing.T) {
	s, _, err := Parse2("h.json", []byte(schedtest.Schedule2JSONDoc), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := schedtest.Session(t, s, "HQCCYH"); got.Type != "TALK" || got.Language != "" {
		t.Errorf("HQCCYH type %q language %q", got.Type, got.Language)
	}
	src := []byte(`{"schedule": {"conference": {"title": "C", "time_zone_name": "Europe/Berlin"}, "events": [
  {"guid": "e1", "type": "WORKSHOP", "start": "2024-12-27T10:30:00+01:00", "end": "2024-12-27T11:00:00+01:00",
   "room": "Saal 1", "title": {"en": "Solder", "de": "Löten"}, "subtitle": {"en": "for beginners", "de": "für Anfänger"},
   "language": "de", "do_not_record": true, "do_not_stream": true, "feedback_url": "https://hub.example.org/e1/feedback"}]}}`)
	s, _, err = Parse2("h.json", src, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := schedtest.Session(t, s, "e1")
	if got.Subtitle != "for beginners" || got.Type != "WORKSHOP" || got.Language != "de" || !got.DoNotRecord || !got.DoNotStream ||
		got.FeedbackURL != "https://hub.example.org/e1/feedback" {
		t.Errorf("e1 = %+v", got)
	}
}

// TestSJNegativeDuration: "-00:30" is not thirty minutes; the event is
// skipped with a warning naming the negative duration.
func TestSJNegativeDuration(t *testing.T) {
	src := sjDay(`
    {"id": 1, "date": "2020-12-14T09:00:00+01:00", "duration": "-00:30", "title": "Backwards"},
    {"id": 2, "date": "2020-12-14T10:00:00+01:00", "duration": "00:30", "title": "Forwards"}`)
	s, warns, err := Parse("s.json", src, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Sessions) != 1 || s.Sessions[0].ID != "2" {
		t.Fatalf("sessions = %+v, want only 2", s.Sessions)
	}
	if !schedtest.Warned(warns, `event 1 ("Backwards") has a negative duration "-00:30"`, "skipped") {
		t.Errorf("no negative-duration warning in %v", warns)
	}
}
