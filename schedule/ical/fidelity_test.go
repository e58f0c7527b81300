package ical

import (
	"bytes"
	"strings"
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
)

// TestICalLanguage: iCalendar has no property for a session's language,
// but SUMMARY's LANGUAGE parameter (RFC 5545 3.2.10) says it; Write writes
// it back.
func TestICalLanguage(t *testing.T) {
	src := schedtest.ICal(
		"BEGIN:VCALENDAR", "VERSION:2.0", "X-WR-TIMEZONE:Europe/Berlin",
		"BEGIN:VEVENT", "UID:a", "DTSTART:20260310T090000Z", "DTEND:20260310T093000Z",
		"LOCATION:Hall", "SUMMARY;LANGUAGE=de:Eröffnung", "END:VEVENT",
		"END:VCALENDAR")
	s, _, err := Parse("l.ics", src, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := schedtest.Session(t, s, "a").Language; got != "de" {
		t.Fatalf("language = %q, want de", got)
	}
	var out bytes.Buffer
	if err := Write(&out, s, schedtest.Timed(s)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "SUMMARY;LANGUAGE=de:Eröffnung\r\n") {
		t.Errorf("written calendar has no SUMMARY;LANGUAGE=de:\n%s", out.String())
	}
}

// TestICalNegativeDuration: a negative DURATION is skipped with a warning
// that says so, not as an event ending before it starts.
func TestICalNegativeDuration(t *testing.T) {
	src := schedtest.ICal(
		"BEGIN:VCALENDAR", "VERSION:2.0", "X-WR-TIMEZONE:Europe/Berlin",
		"BEGIN:VEVENT", "UID:back", "DTSTART:20260310T090000Z", "DURATION:-PT30M", "LOCATION:Hall", "SUMMARY:Backwards", "END:VEVENT",
		"BEGIN:VEVENT", "UID:fwd", "DTSTART:20260310T100000Z", "DURATION:PT30M", "LOCATION:Hall", "SUMMARY:Forwards", "END:VEVENT",
		"END:VCALENDAR")
	s, warns, err := Parse("n.ics", src, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Sessions) != 1 || s.Sessions[0].ID != "fwd" {
		t.Fatalf("sessions = %+v, want only fwd", s.Sessions)
	}
	if !schedtest.Warned(warns, `event back ("Backwards") has a negative duration "-PT30M"`, "skipped") {
		t.Errorf("no negative-duration warning in %v", warns)
	}
}
