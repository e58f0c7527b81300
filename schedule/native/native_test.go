package native_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/schedule/native"
	"github.com/google/go-cmp/cmp"
)

// nativeTestParse parses a native source that must be valid.
func nativeTestParse(t testing.TB, src string) *schedule.Schedule {
	t.Helper()
	s, _, err := load.Parse("test.yaml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

const nativeExample = `name: P99 CONF 2021
timezone: America/Los_Angeles        # IANA name
tracks:
  - id: general                      # slug: lowercase letters, digits and dashes; used in URLs
    name: General Sessions
  - id: track-a
    name: Track A
sessions:
  - id: avi-kivity-keynote           # optional; derived from track and start when omitted
    track: general
    title: Keeping Latency Low and Throughput High with Application-level Priority Management
    kind: keynote                    # keynote | talk | panel | break | other (default: talk)
    start: 2021-10-06 08:10
    end: 2021-10-06 08:40            # or: duration: 30m
    speakers:
      - name: Avi Kivity
        affiliation: ScyllaDB
    abstract: Throughput and latency are at a constant tension.
    url: https://www.p99conf.io/
    tags: [scheduling]
  - track: track-a
    title: Second
    start: 2021-10-06T08:40:00
    duration: 1h15m
`

func TestParseNativeExample(t *testing.T) {
	s, warns, err := load.Parse("example.yaml", []byte(nativeExample), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	la := schedtest.Wall(t, "America/Los_Angeles", "2021-10-06 08:10").Location()
	at := func(h, m int) time.Time { return time.Date(2021, 10, 6, h, m, 0, 0, la) }
	want := &schedule.Schedule{
		Name:     "P99 CONF 2021",
		TimeZone: "America/Los_Angeles",
		Days:     []schedule.Day{{Date: "2021-10-06", Start: at(8, 10), End: at(9, 55)}},
		Tracks:   []schedule.Track{{ID: "general", Name: "General Sessions"}, {ID: "track-a", Name: "Track A"}},
		Sessions: []schedule.Session{
			{
				ID: "avi-kivity-keynote", Track: "general",
				Title:    "Keeping Latency Low and Throughput High with Application-level Priority Management",
				Speakers: []schedule.Speaker{{Name: "Avi Kivity", Affiliation: "ScyllaDB"}},
				Kind:     schedule.KindKeynote, Start: at(8, 10), End: at(8, 40),
				Abstract: "Throughput and latency are at a constant tension.",
				URL:      "https://www.p99conf.io/", Tags: []string{"scheduling"},
			},
			{ID: "track-a-2021-10-06-0840", Track: "track-a", Title: "Second", Kind: schedule.KindTalk, Start: at(8, 40), End: at(9, 55)},
		},
		Version: s.Version,
		Format:  "native",
	}
	if diff := cmp.Diff(want, s, schedtest.CmpSchedule); diff != "" {
		t.Errorf("schedule (-want +got):\n%s", diff)
	}
	if got, want := s.Location.String(), "America/Los_Angeles"; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if len(s.Version) != 12 {
		t.Errorf("Version = %q, want 12 hex digits", s.Version)
	}
}

// The same structure written as JSON reads the same.
func TestParseNativeJSON(t *testing.T) {
	src := `{
	"name": "P99 CONF 2021",
	"timezone": "America/Los_Angeles",
	"tracks": [{"id": "general", "name": "General Sessions"}, {"id": "track-a", "name": "Track A"}],
	"sessions": [
		{"id": "avi-kivity-keynote", "track": "general",
		 "title": "Keeping Latency Low and Throughput High with Application-level Priority Management",
		 "kind": "keynote", "start": "2021-10-06 08:10", "end": "2021-10-06 08:40",
		 "speakers": [{"name": "Avi Kivity", "affiliation": "ScyllaDB"}],
		 "abstract": "Throughput and latency are at a constant tension.",
		 "url": "https://www.p99conf.io/", "tags": ["scheduling"]},
		{"track": "track-a", "title": "Second", "start": "2021-10-06T08:40:00-07:00", "duration": "1h15m"}
	]
}`
	fromJSON, _, err := native.Parse("example.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, _, err := native.Parse("example.yaml", []byte(nativeExample))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromYAML, fromJSON, schedtest.CmpSchedule); diff != "" {
		t.Errorf("JSON differs from YAML (-yaml +json):\n%s", diff)
	}

	// A JSON mistake is located too.
	_, _, err = native.Parse("bad.json", []byte("{\n\t\"name\": \"x\",\n\t\"timezone\": \"UTC\",\n\t\"tracks\": [{\"id\": \"Main\"}],\n\t\"sessions\": []\n}"))
	var errs schedule.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want Errors", err)
	}
	if got, want := errs[0].Line, 4; got != want {
		t.Errorf("first error on line %d, want %d: %v", got, want, errs)
	}
}

// nativeHead is a valid start for a source whose sessions a case writes.
const nativeHead = `name: Test
timezone: Europe/Berlin
tracks:
  - id: main
    name: Main
  - id: side
    name: Side
sessions:
`

func TestParseNativeErrors(t *testing.T) {
	type diag struct {
		line  int
		field string
		msg   string // a substring of the message
	}
	tests := []struct {
		name string
		src  string
		want []diag
	}{
		{"unknown top-level field", "name: x\ntimezone: UTC\ntracs: []\n", []diag{
			{1, "tracks", "missing"},
			{1, "sessions", "missing"},
			{3, "tracs", `did you mean "tracks"?`},
		}},
		{"missing timezone", "name: x\ntracks: [{id: a, name: A}]\nsessions: [{track: a, title: t, start: 2026-01-01 10:00, duration: 1h}]\n", []diag{
			{1, "timezone", "missing: the conference's IANA time zone"},
		}},
		{"bad timezone", "name: x\ntimezone: Europe/Berln\ntracks: [{id: a, name: A}]\nsessions: [{track: a, title: t, start: 2026-01-01 10:00, duration: 1h}]\n", []diag{
			{2, "timezone", `unknown time zone "Europe/Berln"`},
		}},
		{"machine-dependent timezone", "name: x\ntimezone: Local\ntracks: [{id: a, name: A}]\nsessions: [{track: a, title: t, start: 2026-01-01 10:00, duration: 1h}]\n", []diag{
			{2, "timezone", "depends on the machine"},
		}},
		// The suggestion follows the one slug rule the importers name tracks
		// by (build.Slug), so it spells "ß" and "ü" as an import of the
		// same room would.
		{"track id suggestion spells letters", "name: x\ntimezone: UTC\ntracks:\n  - id: Große Übung\n    name: Main\nsessions: [{track: grosse-uebung, title: t, start: 2026-01-01 10:00, duration: 1h}]\n", []diag{
			{4, "tracks[0].id", `(e.g. "grosse-uebung")`},
			{6, "sessions[0].track", `unknown track "grosse-uebung"`},
		}},
		{"track id not a slug", "name: x\ntimezone: UTC\ntracks:\n  - id: Main Hall\n    name: Main\nsessions: [{track: main-hall, title: t, start: 2026-01-01 10:00, duration: 1h}]\n", []diag{
			{4, "tracks[0].id", `not a slug: use lowercase letters, digits and single dashes, at most 64 characters (e.g. "main-hall")`},
			{6, "sessions[0].track", `unknown track "main-hall"`},
		}},
		{"duplicate track id", "name: x\ntimezone: UTC\ntracks:\n  - id: a\n    name: A\n  - id: a\n    name: B\nsessions: [{track: a, title: t, start: 2026-01-01 10:00, duration: 1h}]\n", []diag{
			{6, "tracks[1].id", `duplicate track id "a" (first on line 4)`},
		}},
		{"no tracks", "name: x\ntimezone: UTC\ntracks: []\nsessions: [{track: a, title: t, start: 2026-01-01 10:00, duration: 1h}]\n", []diag{
			{3, "tracks", "empty"},
			{4, "sessions[0].track", `unknown track "a"`},
		}},
		{"no sessions", "name: x\ntimezone: UTC\ntracks: [{id: a, name: A}]\nsessions:\n", []diag{
			{4, "sessions", "empty"},
		}},
		{"unknown track", nativeHead + "  - track: hall\n    title: T\n    start: 2026-10-06 09:00\n    end: 2026-10-06 10:00\n", []diag{
			{9, "sessions[0].track", `unknown track "hall": declare it under tracks (known: main, side)`},
		}},
		{"end before start", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06 09:00\n    end: 2026-10-06 08:00\n", []diag{
			{12, "sessions[0].end", "must be after start (2026-10-06 09:00)"},
		}},
		{"end equal to start", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06 09:00\n    end: 2026-10-06 09:00\n", []diag{
			{12, "sessions[0].end", "must be after start"},
		}},
		{"no end", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06 09:00\n", []diag{
			{9, "sessions[0].end", "missing: give end"},
		}},
		{"end and duration", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06 09:00\n    end: 2026-10-06 10:00\n    duration: 1h\n", []diag{
			{13, "sessions[0].duration", "give end or duration, not both"},
		}},
		{"duration without unit", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06 09:00\n    duration: 30\n", []diag{
			{12, "sessions[0].duration", `"30" is not a duration`},
		}},
		{"negative duration", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06 09:00\n    duration: -5m\n", []diag{
			{12, "sessions[0].duration", "must be positive"},
		}},
		{"bad time syntax", nativeHead + "  - track: main\n    title: T\n    start: 06/10/2026 09:00\n    duration: 1h\n", []diag{
			{11, "sessions[0].start", `"06/10/2026 09:00" is not a time: write YYYY-MM-DD HH:MM`},
		}},
		{"date without time", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06\n    duration: 1h\n", []diag{
			{11, "sessions[0].start", "is not a time"},
		}},
		{"missing title and track", nativeHead + "  - start: 2026-10-06 09:00\n    duration: 1h\n", []diag{
			{9, "sessions[0].track", "missing"},
			{9, "sessions[0].title", "missing"},
		}},
		{"empty title", nativeHead + "  - track: main\n    title: \"  \"\n    start: 2026-10-06 09:00\n    duration: 1h\n", []diag{
			{10, "sessions[0].title", "empty"},
		}},
		{"bad kind", nativeHead + "  - track: main\n    title: T\n    kind: Keynote\n    start: 2026-10-06 09:00\n    duration: 1h\n", []diag{
			{11, "sessions[0].kind", `unknown kind "Keynote": use one of keynote, talk, panel, break, other`},
		}},
		{"unknown session field", nativeHead + "  - track: main\n    title: T\n    speaker: Ann\n    start: 2026-10-06 09:00\n    duration: 1h\n", []diag{
			{11, "sessions[0].speaker", `unknown field: did you mean "speakers"?`},
		}},
		{"field given twice", nativeHead + "  - track: main\n    title: T\n    title: U\n    start: 2026-10-06 09:00\n    duration: 1h\n", []diag{
			{11, "sessions[0].title", "given twice (first on line 10)"},
		}},
		{"speakers as names", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06 09:00\n    duration: 1h\n    speakers: [Ann]\n", []diag{
			{13, "sessions[0].speakers[0]", "must be a mapping (name, affiliation)"},
		}},
		{"speaker without name", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06 09:00\n    duration: 1h\n    speakers:\n      - affiliation: X\n", []diag{
			{14, "sessions[0].speakers[0].name", "missing"},
		}},
		{"title is a list", nativeHead + "  - track: main\n    title: [a, b]\n    start: 2026-10-06 09:00\n    duration: 1h\n", []diag{
			{10, "sessions[0].title", "must be a single value, not a list"},
		}},
		{"script url", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06 09:00\n    duration: 1h\n    url: javascript:alert(1)\n", []diag{
			{13, "sessions[0].url", "not a web address"},
		}},
		{"empty tag", nativeHead + "  - track: main\n    title: T\n    start: 2026-10-06 09:00\n    duration: 1h\n    tags: [a, \"\"]\n", []diag{
			{13, "sessions[0].tags[1]", "empty tag"},
		}},
		{"empty id", nativeHead + "  - id: \"\"\n    track: main\n    title: T\n    start: 2026-10-06 09:00\n    duration: 1h\n", []diag{
			{9, "sessions[0].id", "empty"},
		}},
		{"duplicate session id", nativeHead + "  - id: x\n    track: main\n    title: T\n    start: 2026-10-06 09:00\n    duration: 1h\n  - id: x\n    track: side\n    title: U\n    start: 2026-10-06 09:00\n    duration: 1h\n", []diag{
			{14, "sessions[1].id", `duplicate id "x" (first on line 9)`},
		}},
		{"overlap", nativeHead + "  - track: main\n    title: First\n    start: 2026-10-06 09:00\n    end: 2026-10-06 10:00\n  - track: main\n    title: Second\n    start: 2026-10-06 09:30\n    duration: 1h\n", []diag{
			{15, "sessions[1].start", `overlaps "First" (line 9, 2026-10-06 09:00 to 2026-10-06 10:00) on track "main"`},
		}},
		{"inside a longer session", nativeHead + "  - track: main\n    title: Long\n    start: 2026-10-06 09:00\n    end: 2026-10-06 12:00\n  - track: main\n    title: Short\n    start: 2026-10-06 10:00\n    duration: 30m\n  - track: main\n    title: Later\n    start: 2026-10-06 11:00\n    duration: 30m\n", []diag{
			{15, "sessions[1].start", `overlaps "Long"`},
			{19, "sessions[2].start", `overlaps "Long"`},
		}},
		{"skipped local time", nativeHead + "  - track: main\n    title: T\n    start: 2026-03-29 02:30\n    duration: 1h\n", []diag{
			{11, "sessions[0].start", "2026-03-29 02:30 does not exist in Europe/Berlin"},
		}},
		{"offset not the zone's", nativeHead + "  - track: main\n    title: T\n    start: 2026-07-01 10:00+01:00\n    duration: 1h\n", []diag{
			{11, "sessions[0].start", "offset +01:00 is not Europe/Berlin's offset at that instant (+02:00): write 2026-07-01 11:00+02:00"},
		}},
		{"alias", nativeHead + "  - track: main\n    title: &t T\n    start: 2026-10-06 09:00\n    duration: 1h\n  - track: side\n    title: *t\n    start: 2026-10-06 09:00\n    duration: 1h\n", []diag{
			{14, "sessions[1].title", "aliases (*t) are not supported"},
		}},
		{"empty file", "# nothing yet\n", []diag{
			{0, "", "the file is empty"},
		}},
		{"not a mapping", "- a\n- b\n", []diag{
			{1, "", "a schedule is a mapping with name, timezone, tracks and sessions, not a list"},
		}},
		{"syntax error", "name: x\ntimezone: UTC\ntracks: [\n", []diag{
			{3, "", "not valid YAML"},
		}},
		{"two documents", "name: x\ntimezone: UTC\ntracks: [{id: a, name: A}]\nsessions: [{track: a, title: t, start: 2026-01-01 10:00, duration: 1h}]\n---\nname: y\n", []diag{
			{5, "", "a second YAML document starts here"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := native.Parse("t.yaml", []byte(tt.src))
			if s != nil {
				t.Errorf("got a schedule despite errors")
			}
			var errs schedule.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want Errors", err)
			}
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tt.want), errs)
			}
			for i, w := range tt.want {
				d := errs[i]
				if d.File != "t.yaml" || d.Line != w.line || d.Field != w.field || !strings.Contains(d.Message, w.msg) {
					t.Errorf("error %d = %s\nwant t.yaml:%d: %s: ...%s...", i, d, w.line, w.field, w.msg)
				}
			}
		})
	}
}

// Every problem is reported in one pass, sorted by line, so that an
// organizer fixes the file in one go.
func TestParseNativeReportsAllErrors(t *testing.T) {
	src := `name: Test
timezone: Europe/Berlin
tracks:
  - id: main
    name: Main
  - id: Side
sessions:
  - track: main
    title: A
    start: 2026-10-06 09:00
    end: 2026-10-06 08:00
  - track: nowhere
    title: B
    kind: lecture
    start: 2026-10-06 9h
    duration: 1h
  - track: main
    title: C
    start: 2026-10-06 09:00
    duration: 1h
    colour: red
`
	_, _, err := native.Parse("all.yaml", []byte(src))
	var errs schedule.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want Errors", err)
	}
	var got []string
	for _, d := range errs {
		got = append(got, d.Field)
	}
	want := []string{"tracks[1].id", "sessions[0].end", "sessions[1].track", "sessions[1].kind", "sessions[1].start", "sessions[2].colour"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s\n%v", diff, errs)
	}
	for i := 1; i < len(errs); i++ {
		if errs[i].Line < errs[i-1].Line {
			t.Errorf("not sorted by line: %v", errs)
		}
	}
	if !strings.HasPrefix(err.Error(), "all.yaml:6: tracks[1].id: ") {
		t.Errorf("Error() = %q, want it to start with file, line and field", err.Error())
	}
}

func TestParseNativeWarnings(t *testing.T) {
	src := `timezone: UTC
tracks:
  - id: main
  - id: empty
    name: Empty
sessions:
  - track: main
    title: T
    start: 2026-10-06 09:00
    duration: 1h
`
	s, warns, err := native.Parse("w.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.Field)
	}
	if diff := cmp.Diff([]string{"name", "tracks[0].name", "tracks[1]"}, got); diff != "" {
		t.Errorf("warning fields (-want +got):\n%s\n%v", diff, warns)
	}
	if got, want := s.Tracks[0].Name, "main"; got != want {
		t.Errorf("unnamed track's Name = %q, want its id %q", got, want)
	}
}

func TestParseNativeDerivedIDs(t *testing.T) {
	s := nativeTestParse(t, nativeHead+`  - id: main-2026-10-06-0900
    track: side
    title: Taken
    start: 2026-10-06 09:00
    duration: 30m
  - track: main
    title: A
    start: 2026-10-06 09:00
    duration: 30m
  - track: main
    title: B
    start: 2026-10-06 09:30
    duration: 30m
`)
	got := map[string]string{}
	for _, ss := range s.Sessions {
		got[ss.Title] = ss.ID
	}
	want := map[string]string{"Taken": "main-2026-10-06-0900", "A": "main-2026-10-06-0900-2", "B": "main-2026-10-06-0930"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

// A session before 04:00 belongs to the previous day; days run from their
// first start to their last end; sessions know their day.
func TestParseNativeDays(t *testing.T) {
	s := nativeTestParse(t, nativeHead+`  - {id: late, track: main, title: Late, start: 2026-10-06 23:30, end: 2026-10-07 00:30}
  - {id: party, track: side, title: Party, start: 2026-10-07 01:00, end: 2026-10-07 03:00}
  - {id: early, track: main, title: Early, start: 2026-10-07 04:00, end: 2026-10-07 05:00}
  - {id: first, track: main, title: First, start: 2026-10-06 10:00, duration: 1h}
`)
	at := func(wall string) time.Time { return schedtest.Wall(t, "Europe/Berlin", wall) }
	wantDays := []schedule.Day{
		{Date: "2026-10-06", Start: at("2026-10-06 10:00"), End: at("2026-10-07 03:00")},
		{Date: "2026-10-07", Start: at("2026-10-07 04:00"), End: at("2026-10-07 05:00")},
	}
	if diff := cmp.Diff(wantDays, s.Days); diff != "" {
		t.Errorf("days (-want +got):\n%s", diff)
	}
	wantDay := map[string]int{"first": 0, "late": 0, "party": 0, "early": 1}
	for _, ss := range s.Sessions {
		if got, want := ss.Day, wantDay[ss.ID]; got != want {
			t.Errorf("%s.Day = %d, want %d", ss.ID, got, want)
		}
	}
}

func TestParseNativeTimeForms(t *testing.T) {
	want := schedtest.Wall(t, "Europe/Berlin", "2026-10-06 09:05")
	for _, v := range []string{"2026-10-06 09:05", "2026-10-06T09:05", "2026-10-06 09:05:00", "2026-10-06T09:05:00", "2026-10-06 09:05+02:00", "2026-10-06T09:05:00+02:00", `"2026-10-06 09:05"`} {
		s, _, err := native.Parse("t.yaml", []byte(nativeHead+"  - {track: main, title: T, start: "+v+", duration: 5m}\n"))
		if err != nil {
			t.Errorf("start: %s: %v", v, err)
			continue
		}
		if got := s.Sessions[0].Start; !got.Equal(want) {
			t.Errorf("start: %s = %v, want %v", v, got, want)
		}
		if got, want := s.Sessions[0].Start.Location().String(), "Europe/Berlin"; got != want {
			t.Errorf("start: %s in %s, want %s", v, got, want)
		}
	}
}

// On 2026-10-25 Berlin's clocks go from 03:00 CEST back to 02:00 CET: 02:30
// happens twice. The first is taken, with a warning naming the way to write
// the second; an explicit offset picks either; durations are elapsed time.
func TestParseNativeDST(t *testing.T) {
	src := nativeHead + `  - {id: night, track: main, title: Night, start: 2026-10-25 01:30, end: 2026-10-25 03:30}
  - {id: first, track: side, title: First, start: 2026-10-25 02:30, duration: 15m}
  - {id: second, track: side, title: Second, start: 2026-10-25 02:30+01:00, duration: 15m}
  - {id: pinned, track: side, title: Pinned, start: 2026-10-25 02:00+02:00, duration: 15m}
  - {id: long, track: main, title: Long, start: 2026-10-25 03:30, duration: 3h}
`
	s, warns, err := native.Parse("dst.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0].Line != 10 || warns[0].Field != "sessions[1].start" ||
		!strings.Contains(warns[0].Message, "happens twice in Europe/Berlin (the clocks go back); read as the first, 2026-10-25 02:30+02:00; write 2026-10-25 02:30+01:00 for the second") {
		t.Errorf("warnings = %v, want one about sessions[1].start on line 10", warns)
	}
	byID := map[string]schedule.Session{}
	for _, ss := range s.Sessions {
		byID[ss.ID] = ss
	}
	utc := func(h, m int) time.Time { return time.Date(2026, 10, 25, h, m, 0, 0, time.UTC) }
	tests := []struct {
		id         string
		start, end time.Time
	}{
		{"night", time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), utc(2, 30)}, // 3 h on a 2 h wall-clock span
		{"first", utc(0, 30), utc(0, 45)},
		{"second", utc(1, 30), utc(1, 45)},
		{"pinned", utc(0, 0), utc(0, 15)},
		{"long", utc(2, 30), utc(5, 30)},
	}
	for _, tt := range tests {
		got := byID[tt.id]
		if !got.Start.Equal(tt.start) || !got.End.Equal(tt.end) {
			t.Errorf("%s = %v to %v, want %v to %v", tt.id, got.Start.UTC(), got.End.UTC(), tt.start, tt.end)
		}
	}
	if got, want := byID["night"].End.Sub(byID["night"].Start), 3*time.Hour; got != want {
		t.Errorf("night lasts %v, want %v", got, want)
	}
}

// load.Parse hands native sources (anything that is not XML, iCalendar or a
// known JSON export) to native.Parse, then versions and indexes the result
// (the index itself is checked in package schedule, TestIndex).
func TestParseNativeThroughParse(t *testing.T) {
	s := nativeTestParse(t, nativeHead+`  - {id: b, track: main, title: B, start: 2026-10-06 10:00, duration: 1h}
  - {id: a, track: main, title: A, start: 2026-10-06 09:00, duration: 1h}
`)
	if got, want := s.Format, schedule.FormatNative; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	if got, want := s.Sessions[0].ID, "a"; got != want {
		t.Errorf("first session %q, want %q (sorted by start)", got, want)
	}
	if s.Version == "" {
		t.Error("no Version")
	}
}
