package load_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/schedule/native"
	"github.com/google/go-cmp/cmp"
)

// The corpus is real schedules that conferences published, kept outside the
// project (they are other people's files): ../shared/schedules from the
// module root, or $CONFDASH_CORPUS.

// corpusDir finds the corpus, or skips the test (fails it under CI, where a
// missing corpus would silently drop the conformance check).
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("CONFDASH_CORPUS")
	if dir == "" {
		root, err := corpusModuleRoot()
		if err != nil {
			tb.Fatal(err)
		}
		dir = filepath.Join(root, "..", "shared", "schedules")
	}
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("schedule corpus not found at %s (set CONFDASH_CORPUS): %v", dir, err)
		}
		tb.Skipf("schedule corpus not found at %s; set CONFDASH_CORPUS to run the conformance tests", dir)
	}
	return dir
}

func corpusModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// corpusCase is one row of the corpus's SOURCES.md, copied by hand: the
// figures were counted independently of this code.
type corpusCase struct {
	file       string
	format     schedule.Format
	zone       string // Options.Zone, for sources without one
	sessions   int
	tracks     int
	days       int
	firstStart string
	lastEnd    string
	assumed    bool
}

var corpusCases = []corpusCase{
	{file: "frab-31c3-2014.xml", format: "frab-xml", sessions: 139, tracks: 4, days: 4, firstStart: "2014-12-27T10:00:00Z", lastEnd: "2014-12-30T18:30:00Z", assumed: true},
	{file: "frab-39c3-2025.xml", format: "frab-xml", sessions: 215, tracks: 14, days: 4, firstStart: "2025-12-27T09:30:00Z", lastEnd: "2025-12-30T16:00:00Z"},
	// SOURCES.md gives no instants for FOSDEM (local times only). These were
	// counted from the file by hand: the earliest <start> on 3 February is
	// 10:30, the latest start+duration on 4 February is 17:00, and Brussels
	// is UTC+1 in February.
	{file: "frab-fosdem-2024.xml", format: "frab-xml", zone: "Europe/Brussels", sessions: 674, tracks: 26, days: 2, firstStart: "2024-02-03T09:30:00Z", lastEnd: "2024-02-04T16:00:00Z", assumed: true},
	{file: "frab-camp2019-wiki-selforganized.xml", format: "frab-xml", sessions: 402, tracks: 53, days: 5, firstStart: "2019-08-21T08:00:00Z", lastEnd: "2019-08-25T21:00:00Z", assumed: true},
	{file: "schedulejson-pretalx-democon.json", format: "schedule-json", sessions: 36, tracks: 2, days: 3, firstStart: "2020-12-14T08:00:00Z", lastEnd: "2020-12-16T14:30:00Z"},
	{file: "schedulejson-pretalx-rc3-2020.json", format: "schedule-json", sessions: 48, tracks: 5, days: 4, firstStart: "2020-12-27T10:30:00Z", lastEnd: "2020-12-30T15:40:00Z", assumed: true},
	{file: "schedulejson-frab-camp2019.json", format: "schedule-json", sessions: 79, tracks: 2, days: 5, firstStart: "2019-08-21T09:00:00Z", lastEnd: "2019-08-25T16:30:00Z"},
	{file: "schedulejson-camp2019-stages.json", format: "schedule-json", sessions: 205, tracks: 8, days: 5, firstStart: "2019-08-21T09:00:00Z", lastEnd: "2019-08-26T03:00:00Z", assumed: true},
	{file: "schedulejson-hub-schedule2-example.json", format: "schedule2-json", sessions: 2, tracks: 2, days: 1, firstStart: "2024-12-27T09:30:00Z", lastEnd: "2024-12-27T23:55:00Z"},
	{file: "schedulejson-invalid-example.json", format: "schedule-json", sessions: 1, tracks: 1, days: 1, firstStart: "2022-12-28T13:00:00Z", lastEnd: "2022-12-28T13:45:00Z"},
	{file: "ics-pretalx-pyconau-2023-tzfixed.ics", format: "ical", sessions: 94, tracks: 4, days: 3, firstStart: "2023-08-17T23:30:00Z", lastEnd: "2023-08-20T07:30:00Z"},
	{file: "ics-pyconuk-2015.ics", format: "ical", sessions: 162, tracks: 11, days: 4, firstStart: "2015-09-18T07:00:00Z", lastEnd: "2015-09-21T16:00:00Z", assumed: true},
}

func (c corpusCase) options(tb testing.TB) schedule.Options {
	if c.zone == "" {
		return schedule.Options{}
	}
	loc, err := time.LoadLocation(c.zone)
	if err != nil {
		tb.Fatal(err)
	}
	return schedule.Options{Zone: loc}
}

func corpusParse(tb testing.TB, dir string, c corpusCase) (*schedule.Schedule, []schedule.Diagnostic) {
	tb.Helper()
	path := filepath.Join(dir, c.file)
	s, warns, err := load.ParseFile(path, c.options(tb))
	if err != nil {
		tb.Fatalf("%s: %v", c.file, err)
	}
	return s, warns
}

func TestCorpusFigures(t *testing.T) {
	dir := corpusDir(t)
	seen := map[string]bool{}
	for _, c := range corpusCases {
		seen[c.file] = true
		t.Run(c.file, func(t *testing.T) {
			s, warns := corpusParse(t, dir, c)
			for _, w := range warns {
				t.Log(w)
			}
			sum := schedule.Summarize(s)
			if got, want := sum.Format, c.format; got != want {
				t.Errorf("format = %q, want %q", got, want)
			}
			if got, want := sum.Sessions, c.sessions; got != want {
				t.Errorf("sessions = %d, want %d", got, want)
			}
			if got, want := sum.Tracks, c.tracks; got != want {
				t.Errorf("tracks = %d, want %d", got, want)
			}
			if got, want := sum.Days, c.days; got != want {
				t.Errorf("days = %d, want %d", got, want)
			}
			if got, want := sum.FirstStart.Format(time.RFC3339), c.firstStart; got != want {
				t.Errorf("first start = %s, want %s", got, want)
			}
			if got, want := sum.LastEnd.Format(time.RFC3339), c.lastEnd; got != want {
				t.Errorf("last end = %s, want %s", got, want)
			}
			if got, want := sum.ZoneAssumed, c.assumed; got != want {
				t.Errorf("zone assumed = %v, want %v", got, want)
			}
			checkSane(t, s)
		})
	}
	// Every schedule in the corpus is covered: a new file needs a row.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "voc-") || strings.HasSuffix(n, ".md") || seen[n] {
			continue
		}
		t.Errorf("corpus file %s has no expected figures in corpusCases", n)
	}
}

// checkSane asserts what every parsed schedule must hold, whatever the input.
func checkSane(tb testing.TB, s *schedule.Schedule) {
	tb.Helper()
	if s.Location == nil {
		tb.Fatalf("schedule has no Location")
	}
	tracks := map[string]bool{}
	for _, tr := range s.Tracks {
		if tracks[tr.ID] {
			tb.Fatalf("track id %q repeats", tr.ID)
		}
		tracks[tr.ID] = true
	}
	ids := map[string]bool{}
	for i, ss := range s.Sessions {
		// Only iCalendar has instants (an event without DTEND ends when it
		// starts, RFC 5545); everywhere else a session has a length.
		if !ss.End.After(ss.Start) && !(s.Format == "ical" && ss.End.Equal(ss.Start)) {
			tb.Fatalf("session %q ends %v, not after its start %v", ss.ID, ss.End, ss.Start)
		}
		if !tracks[ss.Track] {
			tb.Fatalf("session %q is on unknown track %q", ss.ID, ss.Track)
		}
		if ids[ss.ID] {
			tb.Fatalf("session id %q repeats", ss.ID)
		}
		ids[ss.ID] = true
		if ss.Day < 0 || ss.Day >= len(s.Days) {
			tb.Fatalf("session %q is on day %d of %d", ss.ID, ss.Day, len(s.Days))
		}
		if !ss.Kind.Valid() {
			tb.Fatalf("session %q has kind %q", ss.ID, ss.Kind)
		}
		if ss.Title == "" {
			tb.Fatalf("session %q has no title", ss.ID)
		}
		if i > 0 && ss.Start.Before(s.Sessions[i-1].Start) {
			tb.Fatalf("sessions are not sorted by start at %q", ss.ID)
		}
	}
}

// TestCorpusSpotChecks pins what makes each hard file hard (SOURCES.md,
// last column).
func TestCorpusSpotChecks(t *testing.T) {
	dir := corpusDir(t)
	parse := func(file string) (*schedule.Schedule, []schedule.Diagnostic) {
		for _, c := range corpusCases {
			if c.file == file {
				return corpusParse(t, dir, c)
			}
		}
		t.Fatalf("no corpus case %s", file)
		return nil, nil
	}

	// 39c3: nested <attachments>/<links> titles are not the event's.
	s, _ := parse("frab-39c3-2025.xml")
	if got, want := schedtest.Session(t, s, "1420").Title, "Hegemony Eroding: Excavating Diversity in Latent Space"; got != want {
		t.Errorf("39c3 1420 title = %q, want %q", got, want)
	}
	for _, ss := range s.Sessions {
		if ss.Title == "a crack one word wide" || ss.Title == "Hegemony eroding" {
			t.Errorf("39c3 session %s took a nested title: %q", ss.ID, ss.Title)
		}
	}

	// 31c3: a talk at midnight listed under the previous <day> stays there.
	s, _ = parse("frab-31c3-2014.xml")
	cf := schedtest.Session(t, s, "6581")
	if cf.Title != "Citizenfour" || !cf.Start.Equal(schedtest.UTC(t, "2014-12-27T23:00:00Z")) || s.Days[cf.Day].Date != "2014-12-27" {
		t.Errorf("31c3 6581 = %q at %v on %s, want Citizenfour at 23:00Z on 2014-12-27", cf.Title, cf.Start, s.Days[cf.Day].Date)
	}

	// camp2019 stages: repeated ids are all kept, renamed and warned about.
	s, warns := parse("schedulejson-camp2019-stages.json")
	for _, id := range []string{"140", "140-2", "140-3", "140-4", "155", "155-2"} {
		schedtest.Session(t, s, id)
	}
	dups := 0
	for _, w := range warns {
		if strings.Contains(w.Message, "is used more than once") {
			dups++
		}
	}
	if dups != 4 {
		t.Errorf("stages: %d duplicate-id warnings, want 4", dups)
	}

	// democon: time_zone_name says UTC, the offsets say +01:00.
	_, warns = parse("schedulejson-pretalx-democon.json")
	if !schedtest.Warned(warns, "36 events carry offsets (such as +01:00) that differ from the zone UTC") {
		t.Errorf("democon: no offset warning in %v", warns)
	}

	// invalid example: daysCount 3 with one day.
	_, warns = parse("schedulejson-invalid-example.json")
	if !schedtest.Warned(warns, "says it has 3 days but the file lists 1") {
		t.Errorf("invalid example: no day-count warning in %v", warns)
	}

	// pyconau: SUMMARY keeps "Title - Speakers" whole; Adelaide is +09:30.
	s, _ = parse("ics-pretalx-pyconau-2023-tzfixed.ics")
	ej := schedtest.Session(t, s, "pretalx-pyconau-2023-EJWEMK@pretalx.com")
	if want := "Specialist Tracks Combined Opening Address - Pedro Junqueira, Jack Skinner, Nicky Ringland, Katie McLaughlin, Lilly Ryan"; ej.Title != want {
		t.Errorf("pyconau title = %q, want %q", ej.Title, want)
	}
	if _, off := ej.Start.In(s.Location).Zone(); off != 9*3600+30*60 {
		t.Errorf("pyconau offset = %d s, want +09:30", off)
	}
}

// corpusRTSession is what must survive import -> native YAML -> Parse.
type corpusRTSession struct {
	ID, Track, Title string
	Speakers         []schedule.Speaker
	Kind             schedule.Kind
	Start, End       time.Time
	// What the crew needs survives too.
	Subtitle, Language, Type, FeedbackURL string
	DoNotRecord, DoNotStream              bool
}

func corpusRTView(s *schedule.Schedule) []corpusRTSession {
	out := make([]corpusRTSession, len(s.Sessions))
	for i, ss := range s.Sessions {
		out[i] = corpusRTSession{ss.ID, ss.Track, ss.Title, ss.Speakers, ss.Kind, ss.Start.UTC(), ss.End.UTC(),
			ss.Subtitle, ss.Language, ss.Type, ss.FeedbackURL, ss.DoNotRecord, ss.DoNotStream}
	}
	return out
}

// TestCorpusRoundTripNative converts every corpus file to native YAML and
// reads it back. The native format is stricter than the sources: it refuses
// sessions that overlap in a track and sessions without a length, which an
// import keeps (with a warning) because the source means them. So the whole
// file must fail with exactly those errors, and the file without them must
// come back identical.
func TestCorpusRoundTripNative(t *testing.T) {
	dir := corpusDir(t)
	for _, c := range corpusCases {
		t.Run(c.file, func(t *testing.T) {
			s, _ := corpusParse(t, dir, c)
			clean, overlaps, instants := corpusNativeRefusals(s)

			var buf bytes.Buffer
			if err := native.Write(&buf, s, "yaml"); err != nil {
				t.Fatal(err)
			}
			back, _, err := load.Parse(c.file+".yaml", buf.Bytes(), schedule.Options{})
			if overlaps+instants == 0 {
				if err != nil {
					t.Fatalf("native parse of the written YAML: %v\n%s", err, corpusFirstLines(buf.String(), 40))
				}
				corpusCompareRoundTrip(t, s, back)
				return
			}
			if want := fmt.Sprintf("# Before loading: %d sessions overlap an earlier one of their track and %d have no length", overlaps, instants); !strings.Contains(buf.String(), want) {
				t.Errorf("the written YAML does not warn %q", want)
			}
			var errs schedule.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("native parse of a schedule with %d overlaps and %d instants: err = %v, want Errors", overlaps, instants, err)
			}
			gotOverlaps, gotInstants := 0, 0
			for _, e := range errs {
				switch {
				case strings.Contains(e.Message, "overlap"):
					gotOverlaps++
				case strings.HasSuffix(e.Field, ".end"):
					gotInstants++
				default:
					t.Errorf("native parse error is neither an overlap nor an instant: %v", e)
				}
			}
			if gotOverlaps != overlaps || gotInstants != instants {
				t.Errorf("native parse reports %d overlaps and %d sessions without length, want %d and %d", gotOverlaps, gotInstants, overlaps, instants)
			}

			buf.Reset()
			if err := native.Write(&buf, clean, "yaml"); err != nil {
				t.Fatal(err)
			}
			back, _, err = load.Parse(c.file+".clean.yaml", buf.Bytes(), schedule.Options{})
			if err != nil {
				t.Fatalf("native parse of the written YAML without overlaps: %v", err)
			}
			corpusCompareRoundTrip(t, clean, back)
		})
	}
}

func corpusCompareRoundTrip(t *testing.T, s, back *schedule.Schedule) {
	t.Helper()
	if diff := cmp.Diff(corpusRTView(s), corpusRTView(back)); diff != "" {
		t.Errorf("sessions changed through native YAML (-import +native):\n%s", diff)
	}
	if got, want := back.TimeZone, s.TimeZone; got != want {
		t.Errorf("timezone = %q, want %q", got, want)
	}
	if diff := cmp.Diff(s.Tracks, back.Tracks); diff != "" {
		t.Errorf("tracks changed (-import +native):\n%s", diff)
	}
}

// corpusNativeRefusals counts what the native format refuses in s (sessions that
// overlap an earlier one of their track, and sessions without a length) and
// returns s without them.
func corpusNativeRefusals(s *schedule.Schedule) (clean *schedule.Schedule, overlaps, instants int) {
	c := *s
	c.Sessions = nil
	longest := map[string]time.Time{}
	for _, ss := range s.Sessions { // sorted by start
		if !ss.End.After(ss.Start) {
			instants++
			continue
		}
		if end, ok := longest[ss.Track]; ok && ss.Start.Before(end) {
			overlaps++
			if ss.End.After(end) {
				longest[ss.Track] = ss.End
			}
			continue
		}
		longest[ss.Track] = ss.End
		c.Sessions = append(c.Sessions, ss)
	}
	return &c, overlaps, instants
}

func corpusFirstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func BenchmarkImportLargest(b *testing.B) {
	dir := corpusDir(b)
	data, err := os.ReadFile(filepath.Join(dir, "frab-fosdem-2024.xml"))
	if err != nil {
		b.Fatal(err)
	}
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := load.Parse("frab-fosdem-2024.xml", data, schedule.Options{Zone: loc}); err != nil {
			b.Fatal(err)
		}
	}
}
