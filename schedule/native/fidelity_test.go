package native_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/schedule/native"
	"github.com/google/go-cmp/cmp"
)

const crewSource = `name: Crew Test
timezone: Europe/Berlin
tracks:
  - id: main
    name: Main
sessions:
  - id: ws
    track: main
    title: Soldering
    subtitle: for beginners
    kind: other
    type: Workshop
    language: de
    do_not_record: true
    do_not_stream: true
    feedback_url: https://cfp.example.org/talk/WS/feedback/
    start: 2026-03-10 09:00
    end: 2026-03-10 10:30
  - id: talk
    track: main
    title: Plain
    start: 2026-03-10 11:00
    duration: 30m
`

// TestNativeCrewFields reads the crew fields and writes them back: YAML
// and JSON give the same schedule again, and false or empty fields are
// not written.
func TestNativeCrewFields(t *testing.T) {
	s, _, err := load.Parse("crew.yaml", []byte(crewSource), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ws := s.Sessions[0]
	if ws.Subtitle != "for beginners" || ws.Type != "Workshop" || ws.Language != "de" || !ws.DoNotRecord || !ws.DoNotStream ||
		ws.FeedbackURL != "https://cfp.example.org/talk/WS/feedback/" {
		t.Fatalf("ws = %+v", ws)
	}
	for _, format := range []string{"yaml", "json"} {
		back, out := writeBack(t, s, format)
		if diff := cmp.Diff(s.Sessions, back.Sessions); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", format, diff)
		}
		if n := strings.Count(out, "do_not_record"); n != 1 {
			t.Errorf("%s: do_not_record written %d times, want only for ws:\n%s", format, n, out)
		}
	}
}

// TestNativeCrewFieldErrors: the native format is strict. An opt-out that
// is not true or false, a feedback link that is not a web address and a
// negative duration are errors with their line.
func TestNativeCrewFieldErrors(t *testing.T) {
	src := strings.NewReplacer(
		"do_not_record: true", "do_not_record: yes please",
		"https://cfp.example.org/talk/WS/feedback/", "javascript:alert(1)",
		"duration: 30m", "duration: -30m",
	).Replace(crewSource)
	_, _, err := load.Parse("crew.yaml", []byte(src), schedule.Options{})
	var errs schedule.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want schedule.Errors", err)
	}
	want := []string{
		`crew.yaml:14: sessions[0].do_not_record: must be true or false, not the value "yes please"`,
		`crew.yaml:16: sessions[0].feedback_url: "javascript:alert(1)" is not a web address: use an absolute http(s) URL`,
		`crew.yaml:23: sessions[1].duration: must be positive: -30m is negative; write how long the session lasts, e.g. 30m, or give its end`,
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// writeBack writes s in format and reads it back: the schedule as read, and
// the text written (for failure messages).
func writeBack(t *testing.T, s *schedule.Schedule, format string) (*schedule.Schedule, string) {
	t.Helper()
	var out bytes.Buffer
	if err := native.Write(&out, s, format); err != nil {
		t.Fatal(err)
	}
	back, _, err := load.Parse("back."+format, out.Bytes(), schedule.Options{})
	if err != nil {
		t.Fatalf("%s: reading back: %v\n%s", format, err, out.String())
	}
	return back, out.String()
}
