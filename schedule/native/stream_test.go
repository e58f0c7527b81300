package native_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
)

const streamSource = `name: Stream Test
timezone: Europe/Berlin
tracks:
  - id: main
    name: Main
    stream_url: https://stream.example.org/main
sessions:
  - track: main
    title: Plain
    start: 2026-03-10 11:00
    duration: 30m
`

// TestNativeStreamURL: a track's stream_url is read, written back, and
// must be a web address (the tab turns it into a "Watch live" link).
func TestNativeStreamURL(t *testing.T) {
	s, _, err := load.Parse("stream.yaml", []byte(streamSource), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Tracks[0].StreamURL, "https://stream.example.org/main"; got != want {
		t.Fatalf("stream_url = %q, want %q", got, want)
	}
	back, out := writeBack(t, s, "yaml")
	if back.Tracks[0].StreamURL != s.Tracks[0].StreamURL {
		t.Errorf("written back, stream_url = %q:\n%s", back.Tracks[0].StreamURL, out)
	}

	bad := strings.Replace(streamSource, "https://stream.example.org/main", "javascript:alert(1)", 1)
	_, _, err = load.Parse("stream.yaml", []byte(bad), schedule.Options{})
	var errs schedule.Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("err = %v, want one schedule error", err)
	}
	if got, want := errs[0].String(), `stream.yaml:6: tracks[0].stream_url: "javascript:alert(1)" is not a web address: use an absolute http(s) URL`; got != want {
		t.Errorf("error = %s\nwant    %s", got, want)
	}
}
