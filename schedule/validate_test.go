package schedule_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/confdash/confdash/schedule/load"
	"github.com/google/go-cmp/cmp"
)

// validNative is a small native schedule; each test replaces what it needs.
const validNative = `name: Test
timezone: Europe/Berlin
tracks: [{id: main, name: Main}]
sessions:
  - id: a
    track: main
    title: Opening
    start: 2026-10-06 09:00
    end: 2026-10-06 10:00
`

// parseErrs parses src and returns its Errors, failing unless it was refused.
func parseErrs(t *testing.T, name, src string) schedule.Errors {
	t.Helper()
	s, _, err := load.Parse(name, []byte(src), schedule.Options{})
	if err == nil {
		t.Fatalf("parsed %d sessions, want a refusal", len(s.Sessions))
	}
	var errs schedule.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %T %v is not Errors", err, err)
	}
	return errs
}

// An instant the server cannot encode (JSON and RFC 3339 stop at years 1 and
// 9999) is refused by Parse, whatever the format, with file, line and field.
func TestParseRefusesUnservableInstants(t *testing.T) {
	t.Run("native", func(t *testing.T) {
		errs := parseErrs(t, "day.yaml", strings.Replace(validNative, "start: 2026-10-06 09:00", "start: 0000-01-01 09:00", 1))
		if len(errs) != 1 {
			t.Fatalf("errors = %v, want one", errs)
		}
		d := errs[0]
		if d.File != "day.yaml" || d.Line != 8 || d.Field != "sessions[0].start" || !strings.Contains(d.Message, "check the year") {
			t.Fatalf("error = %+v, want day.yaml:8 sessions[0].start saying to check the year", d)
		}
	})
	t.Run("native end in year 9999", func(t *testing.T) {
		src := strings.Replace(validNative, "end: 2026-10-06 10:00", "end: 9999-12-31 23:00", 1)
		errs := parseErrs(t, "day.yaml", strings.Replace(src, "start: 2026-10-06 09:00", "start: 9999-12-31 22:00", 1))
		if errs[0].Line != 8 || errs[0].Field != "sessions[0].start" {
			t.Fatalf("errors = %v", errs)
		}
	})
	t.Run("frab", func(t *testing.T) {
		src := schedtest.FrabHead + `<day index="1" date="0000-01-01"><room name="One"><event id="1"><date>0000-01-01T10:00:00+01:00</date>` +
			`<start>10:00</start><duration>01:00</duration><room>One</room><title>T</title></event></room></day></schedule>`
		errs := parseErrs(t, "f.xml", src)
		if !strings.Contains(errs.Error(), "outside the years confdash can serve") {
			t.Fatalf("error = %v, want the year range named", errs)
		}
	})
	t.Run("ical", func(t *testing.T) {
		src := string(schedtest.ICal("BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:a", "DTSTART:00000101T100000Z", "DTEND:00000101T110000Z",
			"SUMMARY:T", "END:VEVENT", "END:VCALENDAR"))
		errs := parseErrs(t, "c.ics", src)
		if !strings.Contains(errs.Error(), "outside the years confdash can serve") {
			t.Fatalf("error = %v, want the year range named", errs)
		}
	})
}

// Validate holds a schedule built by hand to the same rules.
func TestValidate(t *testing.T) {
	s, _, err := load.Parse("day.yaml", []byte(validNative), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate("day.yaml"); err != nil {
		t.Fatalf("a parsed schedule fails validation: %v", err)
	}
	bad := *s
	bad.Sessions = append([]schedule.Session(nil), s.Sessions...)
	bad.Sessions[0].Start = time.Date(0, 12, 31, 23, 0, 0, 0, time.UTC)
	bad.Sessions[0].End = time.Date(1, 1, 1, 0, 30, 0, 0, time.UTC)
	err = bad.Validate("day.yaml")
	var errs schedule.Errors
	if !errors.As(err, &errs) || errs[0].Field != "start" || !strings.Contains(errs[0].Message, "session a") {
		t.Fatalf("Validate = %v, want the start of session a refused", err)
	}
	bad.Sessions[0].Start = s.Sessions[0].Start
	bad.Sessions[0].End = s.Sessions[0].Start.Add(schedule.MaxSessionDuration + time.Hour)
	if err := bad.Validate("day.yaml"); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("Validate of a %s session = %v, want refused", schedule.MaxSessionDuration+time.Hour, err)
	}
}

// A session of 292 years (the largest time.Duration) is a typo: refused by
// the native format, skipped with a warning by the importers.
func TestSessionLengthBounded(t *testing.T) {
	for _, tc := range []struct{ from, to, field string }{
		{"end: 2026-10-06 10:00", "duration: 2562047h", "sessions[0].duration"},
		{"end: 2026-10-06 10:00", "end: 2026-10-14 10:00", "sessions[0].end"},
	} {
		errs := parseErrs(t, "day.yaml", strings.Replace(validNative, tc.from, tc.to, 1))
		if errs[0].Field != tc.field || errs[0].Line != 9 || !strings.Contains(errs[0].Message, "168h0m0s") {
			t.Fatalf("%s: errors = %v, want %s at line 9 naming the bound", tc.to, errs, tc.field)
		}
	}
	src := schedtest.FrabHead + `<day index="1" date="2025-12-27"><room name="One">` +
		`<event id="1"><date>2025-12-27T10:00:00+01:00</date><duration>9999:00</duration><room>One</room><title>Long</title></event>` +
		`<event id="2"><date>2025-12-27T10:00:00+01:00</date><duration>01:00</duration><room>One</room><title>Short</title></event>` +
		`</room></day></schedule>`
	s, warns, err := load.Parse("f.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Sessions) != 1 || s.Sessions[0].ID != "2" {
		t.Fatalf("sessions = %+v, want only the short one", s.Sessions)
	}
	if !hasWarning(warns, "1 (\"Long\")", "more than a week") {
		t.Fatalf("warnings = %v, want the long event named", warns)
	}
}

func hasWarning(warns []schedule.Diagnostic, parts ...string) bool {
	for _, w := range warns {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(w.Message, p)
		}
		if all {
			return true
		}
	}
	return false
}

// Importers keep only http(s) links on one line: a page turns them into
// links, and javascript: would run in an organizer's console.
func TestImportDropsNonWebURLs(t *testing.T) {
	event := func(id, url string) string {
		return `<event id="` + id + `"><date>2025-12-27T1` + id + `:00:00+01:00</date><duration>00:30</duration><room>One</room>` +
			`<title>T` + id + `</title><url>` + url + `</url></event>`
	}
	src := schedtest.FrabHead + `<day index="1" date="2025-12-27"><room name="One">` +
		event("1", "javascript:alert(1)") + event("2", "https://example.org/a&#10;Set-Cookie: x") +
		event("3", "https://example.org/talk/3") + event("4", "data:text/html,hi") +
		`</room></day></schedule>`
	s, warns, err := load.Parse("f.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ss := range s.Sessions {
		got[ss.ID] = ss.URL
	}
	if diff := cmp.Diff(map[string]string{"1": "", "2": "", "3": "https://example.org/talk/3", "4": ""}, got); diff != "" {
		t.Fatalf("urls (-want +got):\n%s", diff)
	}
	for _, id := range []string{"1 (\"T1\")", "2 (\"T2\")", "4 (\"T4\")"} {
		if !hasWarning(warns, id, "not an http(s) address: dropped") {
			t.Errorf("no warning naming event %s: %v", id, warns)
		}
	}
}

// A value quoted in a diagnostic is clipped, and a long list of errors is
// reported as its first ones and a count: a 5 MB one-line file must not
// come back as a 10 MB message.
func TestDiagnosticsBounded(t *testing.T) {
	long := strings.Repeat("x", 5<<20)
	errs := parseErrs(t, "day.yaml", strings.Replace(validNative, "track: main", "track: "+long, 1))
	if n := len(errs.Error()); n > 1000 {
		t.Fatalf("error message is %d bytes", n)
	}
	if !strings.Contains(errs.Error(), "xxx…") {
		t.Fatalf("error %q does not show the clipped value", errs.Error())
	}

	var b strings.Builder
	b.WriteString("name: T\ntimezone: UTC\ntracks: [{id: main, name: Main}]\nsessions:\n")
	for range 120 {
		b.WriteString("  - {track: main, title: t, kind: nope, start: 2026-10-06 09:00, end: 2026-10-06 09:01}\n")
	}
	errs = parseErrs(t, "day.yaml", b.String())
	lines := strings.Split(errs.Error(), "\n")
	if len(errs) < 120 || len(lines) != schedule.MaxReported+1 {
		t.Fatalf("%d errors printed as %d lines, want %d and a count", len(errs), len(lines), schedule.MaxReported+1)
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "and ") || !strings.Contains(last, "more") {
		t.Fatalf("last line %q does not count the rest", last)
	}
	for _, l := range lines {
		if !utf8.ValidString(l) {
			t.Fatalf("line %q is not UTF-8", l)
		}
	}
}

// A file saved as UTF-16 (with its byte order mark) reads as the same
// schedule; UTF-32 and NUL bytes are refused with what to do.
func TestParseUTF16(t *testing.T) {
	want, _, err := load.Parse("day.yaml", []byte(validNative), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		units := utf16.Encode([]rune("\ufeff" + validNative))
		data := make([]byte, 2*len(units))
		for i, u := range units {
			order.PutUint16(data[2*i:], u)
		}
		got, _, err := load.Parse("day.yaml", data, schedule.Options{})
		if err != nil {
			t.Fatalf("%v: %v", order, err)
		}
		if diff := cmp.Diff(want.Sessions, got.Sessions); diff != "" {
			t.Fatalf("%v sessions (-utf8 +utf16):\n%s", order, diff)
		}
	}
	for name, data := range map[string][]byte{
		"utf-32":     append([]byte{0xFF, 0xFE, 0, 0}, 'n', 0, 0, 0),
		"nul bytes":  []byte("n\x00a\x00m\x00e\x00:\x00"),
		"odd utf-16": {0xFF, 0xFE, 'n', 0, 'a'},
	} {
		_, _, err := load.Parse("day.yaml", data, schedule.Options{})
		if err == nil || !strings.Contains(err.Error(), "UTF-8") {
			t.Errorf("%s: error = %v, want a refusal saying to save as UTF-8", name, err)
		}
	}
}

// In a local-time format, a wall time the clocks skip or show twice is
// warned about, naming the session and saying how it was read.
func TestImportDSTWallTimes(t *testing.T) {
	src := `<schedule><conference><time_zone_name>Europe/Berlin</time_zone_name></conference>` +
		`<day date="2024-03-31"><room name="R"><event id="gap"><date>2024-03-31T02:30:00</date><duration>01:00</duration><title>Gap</title></event></room></day>` +
		`<day date="2024-10-27"><room name="R"><event id="twice"><date>2024-10-27T02:30:00</date><duration>00:20</duration><title>Twice</title></event></room></day>` +
		`</schedule>`
	_, warns, err := load.Parse("f.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(warns, `gap ("Gap")`, "2024-03-31 02:30 does not exist in Europe/Berlin") {
		t.Errorf("no warning for the skipped hour: %v", warns)
	}
	if !hasWarning(warns, `twice ("Twice")`, "2024-10-27 02:30 happens twice in Europe/Berlin", "read as the second, 02:30 +01:00") {
		t.Errorf("no warning for the repeated hour: %v", warns)
	}
}

// The same in iCalendar, where a TZID names the zone of each time.
func TestImportICalDSTWallTimes(t *testing.T) {
	src := schedtest.ICal("BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:gap", "SUMMARY:Gap",
		"DTSTART;TZID=Europe/Paris:20240331T023000", "DTEND;TZID=Europe/Paris:20240331T040000", "END:VEVENT", "END:VCALENDAR")
	_, warns, err := load.Parse("c.ics", src, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(warns, `gap ("Gap")`, "2024-03-31 02:30 does not exist in Europe/Paris") {
		t.Errorf("no warning for the skipped hour: %v", warns)
	}
}
