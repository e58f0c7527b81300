package load_test

import (
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
)

func TestICalDetect(t *testing.T) {
	for src, want := range map[string]schedule.Format{
		"BEGIN:VCALENDAR\r\n":            "ical",
		"\ufeff\r\n begin:vcalendar\r\n": "ical",
		"BEGIN:VCAL":                     "native",
	} {
		if got := load.Detect([]byte(src)); got != want {
			t.Errorf("Detect(%q) = %q, want %q", src, got, want)
		}
	}
}
