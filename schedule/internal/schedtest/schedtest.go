// Package schedtest holds what the schedule packages' tests share: small
// assertions, the sample schedule the writers are checked with, golden files,
// and the sample sources of the importers' formats (also fuzz seeds).
package schedtest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/confdash/confdash/schedule"
)

// Zone loads a zone or fails the test.
func Zone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// UTC parses an RFC 3339 instant or fails the test.
func UTC(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// Warned reports whether a warning's message contains every part.
func Warned(warns []schedule.Diagnostic, parts ...string) bool {
	for _, w := range warns {
		ok := true
		for _, p := range parts {
			if !strings.Contains(w.String(), p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Session returns the session with the given id or fails the test.
func Session(tb testing.TB, s *schedule.Schedule, id string) schedule.Session {
	tb.Helper()
	for _, ss := range s.Sessions {
		if ss.ID == id {
			return ss
		}
	}
	tb.Fatalf("no session %q among %d", id, len(s.Sessions))
	return schedule.Session{}
}

// -update rewrites the golden files. Registered only if nothing else in the
// test binary registered it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Golden compares got with testdata/name, or rewrites it with -update.
func Golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
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

// Sample has what writers must get right: escapes, a long
// title, seconds, and both readings of the wall-clock hour repeated when
// Berlin leaves summer time (02:00-03:00 on 27 October 2024 happens twice).
func Sample(t testing.TB) *schedule.Schedule {
	berlin := Zone(t, "Europe/Berlin")
	at := func(s string) time.Time { return UTC(t, s) }
	s := &schedule.Schedule{
		Name: "Test; Con, 2024", TimeZone: "Europe/Berlin", Location: berlin, Format: schedule.FormatFrabXML,
		Tracks: []schedule.Track{{ID: "saal-1", Name: "Saal 1"}, {ID: "club", Name: "Club: Zürich"}},
		Sessions: []schedule.Session{
			{ID: "1", Track: "saal-1", Title: "Opening", Kind: schedule.KindKeynote,
				Start: at("2024-10-26T08:00:00Z"), End: at("2024-10-26T08:30:00Z"),
				Speakers: []schedule.Speaker{{Name: "Ann", Affiliation: "Acme; \"Labs\""}, {Name: "Bo"}},
				Abstract: "Line one\nLine two; with, punctuation \\ backslash", URL: "https://example.org/1", Tags: []string{"CCC", "A, B"}},
			{ID: "secs", Track: "saal-1", Title: "Ein ziemlich langer Titel über Größenordnungen, der gefaltet werden muss — ja",
				Kind: schedule.KindTalk, Start: at("2024-10-26T09:00:30Z"), End: at("2024-10-26T09:45:00Z")},
			{ID: "summer", Track: "club", Title: "First 02:30", Kind: schedule.KindOther,
				Start: at("2024-10-27T00:30:00Z"), End: at("2024-10-27T01:00:00Z")},
			{ID: "winter", Track: "club", Title: "Second 02:30", Kind: schedule.KindBreak,
				Start: at("2024-10-27T01:30:00Z"), End: at("2024-10-27T02:30:00Z")},
		},
	}
	s.Index()
	return s
}

// Timed gives every session of s its scheduled times as estimated ones.
func Timed(s *schedule.Schedule) []schedule.Timed {
	out := make([]schedule.Timed, len(s.Sessions))
	for i, ss := range s.Sessions {
		out[i] = schedule.Timed{Session: ss, EstStart: ss.Start, EstEnd: ss.End}
	}
	return out
}

// Wall is an instant written as a wall-clock time in zone.
func Wall(t testing.TB, zone, wall string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// CmpSchedule compares schedules without the zone's internals and the
// unexported index.
var CmpSchedule = cmp.Options{
	cmpopts.IgnoreFields(schedule.Schedule{}, "Location"),
	cmpopts.IgnoreUnexported(schedule.Schedule{}),
	cmpopts.EquateEmpty(),
}

// ID is the id of a session shown, or "" for none.
func ID(tm *schedule.Timed) string {
	if tm == nil {
		return ""
	}
	return tm.ID
}

// Show writes an instant for a message, "none" for the zero one.
func Show(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.Format(time.RFC3339)
}
