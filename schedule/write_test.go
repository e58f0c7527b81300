package schedule

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// -update rewrites the golden files. Registered only if no other test file
// of the package registered it (package-level flag vars run before init).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

func writeUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// writeGolden compares got with testdata/name, or rewrites it with -update.
func writeGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if writeUpdating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-golden +got; -update rewrites it):\n%s", path, diff)
	}
}

// writeTestSchedule has what writers must get right: escapes, a long
// title, seconds, and both readings of the wall-clock hour repeated when
// Berlin leaves summer time (02:00-03:00 on 27 October 2024 happens twice).
func writeTestSchedule(t testing.TB) *Schedule {
	berlin := impTestZone(t, "Europe/Berlin")
	at := func(s string) time.Time { return impTestUTC(t, s) }
	s := &Schedule{
		Name: "Test; Con, 2024", TimeZone: "Europe/Berlin", Location: berlin, Format: "frab-xml",
		Tracks: []Track{{ID: "saal-1", Name: "Saal 1"}, {ID: "club", Name: "Club: Zürich"}},
		Sessions: []Session{
			{ID: "1", Track: "saal-1", Title: "Opening", Kind: KindKeynote,
				Start: at("2024-10-26T08:00:00Z"), End: at("2024-10-26T08:30:00Z"),
				Speakers: []Speaker{{Name: "Ann", Affiliation: "Acme; \"Labs\""}, {Name: "Bo"}},
				Abstract: "Line one\nLine two; with, punctuation \\ backslash", URL: "https://example.org/1", Tags: []string{"CCC", "A, B"}},
			{ID: "secs", Track: "saal-1", Title: "Ein ziemlich langer Titel über Größenordnungen, der gefaltet werden muss — ja",
				Kind: KindTalk, Start: at("2024-10-26T09:00:30Z"), End: at("2024-10-26T09:45:00Z")},
			{ID: "summer", Track: "club", Title: "First 02:30", Kind: KindOther,
				Start: at("2024-10-27T00:30:00Z"), End: at("2024-10-27T01:00:00Z")},
			{ID: "winter", Track: "club", Title: "Second 02:30", Kind: KindBreak,
				Start: at("2024-10-27T01:30:00Z"), End: at("2024-10-27T02:30:00Z")},
		},
	}
	s.index()
	return s
}

func writeTestTimed(s *Schedule) []Timed {
	out := make([]Timed, len(s.Sessions))
	for i, ss := range s.Sessions {
		out[i] = Timed{Session: ss, EstStart: ss.Start, EstEnd: ss.End}
	}
	return out
}

func TestWriteNativeGolden(t *testing.T) {
	s := writeTestSchedule(t)
	for _, format := range []string{"yaml", "json"} {
		var buf bytes.Buffer
		if err := WriteNative(&buf, s, format); err != nil {
			t.Fatal(err)
		}
		writeGolden(t, "write-native."+format, buf.Bytes())
	}
}

func TestWriteNativeReadsBack(t *testing.T) {
	s := writeTestSchedule(t)
	for _, format := range []string{"yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteNative(&buf, s, format); err != nil {
				t.Fatal(err)
			}
			back, warns, err := Parse("w."+format, buf.Bytes(), Options{})
			if err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			if diff := cmp.Diff(s.Sessions, back.Sessions, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("sessions (-written +read):\n%s", diff)
			}
			if diff := cmp.Diff(s.Tracks, back.Tracks); diff != "" {
				t.Errorf("tracks (-written +read):\n%s", diff)
			}
			if back.Name != s.Name || back.TimeZone != s.TimeZone {
				t.Errorf("name %q zone %q, want %q %q", back.Name, back.TimeZone, s.Name, s.TimeZone)
			}
			// The offsets pin both readings of 02:30, so nothing is ambiguous.
			for _, w := range warns {
				t.Errorf("unexpected warning: %v", w)
			}
		})
	}
}

func TestWriteNativeTimes(t *testing.T) {
	s := writeTestSchedule(t)
	for _, tc := range []struct{ id, start, end string }{
		{"1", "2024-10-26 10:00", "2024-10-26 10:30"},
		{"secs", "2024-10-26 11:00:30", "2024-10-26 11:45"},
		{"summer", "2024-10-27 02:30+02:00", "2024-10-27 02:00+01:00"},
		{"winter", "2024-10-27 02:30+01:00", "2024-10-27 03:30"},
	} {
		ss := impTestSession(t, s, tc.id)
		if got := wnTime(ss.Start, s.Location); got != tc.start {
			t.Errorf("%s start = %q, want %q", tc.id, got, tc.start)
		}
		if got := wnTime(ss.End, s.Location); got != tc.end {
			t.Errorf("%s end = %q, want %q", tc.id, got, tc.end)
		}
	}
	if err := WriteNative(&bytes.Buffer{}, s, "toml"); err == nil || !strings.Contains(err.Error(), `"toml"`) {
		t.Errorf("WriteNative toml: err = %v, want one naming the format", err)
	}
}

func TestWriteICSGolden(t *testing.T) {
	s := writeTestSchedule(t)
	var buf bytes.Buffer
	if err := WriteICS(&buf, s, writeTestTimed(s)); err != nil {
		t.Fatal(err)
	}
	writeGolden(t, "write.ics", buf.Bytes())

	// Byte-identical on a second run: UIDs and DTSTAMP are stable.
	var again bytes.Buffer
	if err := WriteICS(&again, s, writeTestTimed(s)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("WriteICS is not deterministic")
	}
}

func TestWriteICSIsRFC5545(t *testing.T) {
	s := writeTestSchedule(t)
	var buf bytes.Buffer
	if err := WriteICS(&buf, s, writeTestTimed(s)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasSuffix(out, "END:VCALENDAR\r\n") {
		t.Errorf("calendar does not end with END:VCALENDAR CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
	folded := 0
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if len(l) > icsMaxLine {
			t.Errorf("line %d has %d octets, more than %d: %q", i+1, len(l), icsMaxLine, l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, l)
		}
		if strings.HasPrefix(l, " ") {
			folded++
		}
	}
	if folded == 0 {
		t.Error("nothing was folded; the test schedule has long lines")
	}
	uids := map[string]bool{}
	for _, l := range icalUnfold(buf.Bytes()) {
		if strings.HasPrefix(l.text, "UID:") {
			if uids[l.text] {
				t.Errorf("UID repeats: %s", l.text)
			}
			uids[l.text] = true
		}
	}
	if got, want := len(uids), len(s.Sessions); got != want {
		t.Errorf("%d UIDs for %d sessions", got, want)
	}

	// confdash reads its own calendar back: titles whole, speakers and
	// kinds from the X- properties, rooms from LOCATION, instants exact.
	back, _, err := Parse("w.ics", buf.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Title, Room string
		Speakers    []Speaker
		Kind        Kind
		Start, End  time.Time
		Abstract    string
		URL         string
		Tags        []string
	}
	see := func(s *Schedule) []view {
		var out []view
		for _, ss := range s.Sessions {
			tr, _ := s.Track(ss.Track)
			out = append(out, view{ss.Title, tr.Name, ss.Speakers, ss.Kind, ss.Start.UTC(), ss.End.UTC(), ss.Abstract, ss.URL, ss.Tags})
		}
		return out
	}
	want := see(s)
	// The description carries the speakers before the abstract.
	want[0].Abstract = "Ann (Acme; \"Labs\"), Bo\n\n" + want[0].Abstract
	// A parameter value cannot hold a double quote (RFC 5545 3.2).
	want[0].Speakers = []Speaker{{Name: "Ann", Affiliation: "Acme; 'Labs'"}, {Name: "Bo"}}
	if diff := cmp.Diff(want, see(back)); diff != "" {
		t.Errorf("read back (-written +read):\n%s", diff)
	}
	if back.Name != s.Name || back.TimeZone != s.TimeZone || back.ZoneAssumed {
		t.Errorf("read back name %q zone %q assumed %v", back.Name, back.TimeZone, back.ZoneAssumed)
	}
}

func TestWriteICSUsesEstimatedTimes(t *testing.T) {
	s := writeTestSchedule(t)
	ts := writeTestTimed(s)[:1]
	ts[0].EstStart, ts[0].EstEnd = ts[0].Start.Add(7*time.Minute), ts[0].End.Add(7*time.Minute)
	var buf bytes.Buffer
	if err := WriteICS(&buf, s, ts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DTSTART:20241026T080700Z\r\n", "DTEND:20241026T083700Z\r\n", "DTSTAMP:20241026T080000Z\r\n"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("calendar lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestWriteICSEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`a,b;c\d`:        `a\,b\;c\\d`,
		"one\r\ntwo\nx":  `one\ntwo\nx`,
		"bell\a\ttab":    "bell\ttab",
		"Zürich: Saal 1": "Zürich: Saal 1",
	} {
		if got := icsEscape(in); got != want {
			t.Errorf("icsEscape(%q) = %q, want %q", in, got, want)
		}
		if got := icalUnescape(icsEscape(in)); !strings.Contains(in, "\a") && got != strings.ReplaceAll(in, "\r\n", "\n") {
			t.Errorf("icalUnescape(icsEscape(%q)) = %q", in, got)
		}
	}
}
