package server

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/ical"
	"github.com/confdash/confdash/schedule/load"
)

// FuzzClientMessage: whatever a client sends, decodeClientMessage does not
// panic, accepts only a ping that is valid JSON and UTF-8 within 512 bytes,
// and refuses with one of the close reasons (which fit a close frame).
func FuzzClientMessage(f *testing.F) {
	for _, s := range []string{
		`{"type":"ping","client_time_ms":1732550000000}`,
		`{"type":"ping","client_time_ms":-1}`,
		`{"type":"ping","client_time_ms":9223372036854775807}`,
		`{"type":"ping","client_time_ms":9223372036854775808}`,
		`{"type":"ping","client_time_ms":1.5}`,
		`{"type":"ping","client_time_ms":1e3}`,
		`{"type":"ping","client_time_ms":"1"}`,
		`{"type":"ping","client_time_ms":null}`,
		`{"type":"ping"}`,
		`{"TYPE":"ping","Client_Time_MS":1}`,
		`{"type":"ping","type":"pong","client_time_ms":1}`,
		`{"type":"subscribe","track":"main"}`,
		`{"type":"ping","client_time_ms":1} {"type":"ping","client_time_ms":2}`,
		`[{"type":"ping","client_time_ms":1}]`,
		`{"type":"ping","client_time_ms":1,"x":"` + "\xff" + `"}`,
		`{"type":"ping","client_time_ms":1,"pad":"` + strings.Repeat("x", 500) + `"}`,
		`null`, ``, `{`, "\x00\x01", `hello?`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := decodeClientMessage(data)
		if err != nil {
			if !errors.Is(err, errNotUnderstood) && !errors.Is(err, errTooLarge) {
				t.Fatalf("refused with %v, not a close reason", err)
			}
			if len(err.Error()) > 123 {
				t.Fatalf("close reason %q is longer than a close frame allows", err)
			}
			return
		}
		switch {
		case msg.Type != "ping":
			t.Fatalf("accepted type %q", msg.Type)
		case len(data) > maxClientMessage:
			t.Fatalf("accepted %d bytes", len(data))
		case !utf8.Valid(data) || !json.Valid(data):
			t.Fatalf("accepted %q, not valid UTF-8 JSON", data)
		}
		// The pong echoes the time exactly.
		var pong struct {
			ClientTimeMS int64 `json:"client_time_ms"`
		}
		if err := json.Unmarshal(mustJSON(map[string]int64{"client_time_ms": msg.ClientTimeMS}), &pong); err != nil || pong.ClientTimeMS != msg.ClientTimeMS {
			t.Fatalf("client time %d does not round-trip (%v)", msg.ClientTimeMS, err)
		}
	})
}

// FuzzAdminBodies: whatever an organizer's client sends as the body of an
// announcement or a delay, parsing does not panic; what it accepts is within
// the documented limits (a ttl that would overflow a duration included);
// what it refuses is a 400 or 422 with a code and a message.
func FuzzAdminBodies(f *testing.F) {
	for _, s := range []string{
		`{"text": "Lunch is served", "track": "main", "ttl_seconds": 600}`,
		`{"text": "  padded  "}`,
		`{"text": "` + strings.Repeat("é", maxAnnouncementRunes) + `"}`,
		`{"text": "` + strings.Repeat("é", maxAnnouncementRunes+1) + `"}`,
		`{"text": "hi", "ttl_seconds": 604800}`,
		`{"text": "hi", "ttl_seconds": 604801}`,
		`{"text": "hi", "ttl_seconds": 18446744074}`,
		`{"text": "hi", "ttl_seconds": -1}`,
		`{"text": "hi", "ttl_seconds": 1e3}`,
		`{"text": "\u0000\ud800"}`,
		`{"text": "hi"}}`, `{"text": "hi"} {"text": "ho"}`, `{"text": "hi", "colour": "red"}`,
		`{"text": "hi", "audience": ["stage"], "level": "urgent"}`, `{"text": "hi", "audience": []}`,
		`{"text": "hi", "audience": ["screen"]}`, `{"text": "hi", "audience": null}`, `{"text": "hi", "level": "EMERGENCY"}`,
		`{"text": "hi", "starts_at": "2026-10-06T08:00:00Z"}`, `{"text": "hi", "starts_at": "2020-01-01T00:00:00Z"}`,
		`{"text": "hi", "starts_at": "9999-12-31T23:59:59Z"}`, `{"text": "hi", "starts_at": "noon"}`,
		`{"minutes": 7}`, `{"minutes": 0}`, `{"minutes": 720}`, `{"minutes": 721}`, `{"minutes": -5}`,
		`{"minutes": 9223372036854775807}`, `{"minutes": null}`, `{"minute": 5}`, `{}`,
		`null`, `[]`, `""`, ``, "\xef\xbb\xbf{}", ` {"minutes": 1} `,
	} {
		f.Add([]byte(s))
	}
	codes := map[string]int{"bad_json": 400, "empty_text": 422, "text_too_long": 422, "bad_ttl": 422, "bad_minutes": 422,
		"control_character": 422, "no_visible_text": 422, "unbalanced_bidi": 422,
		"bad_audience": 422, "bad_level": 422, "bad_starts_at": 422}
	refused := func(t *testing.T, what string, err error) {
		t.Helper()
		var ae *apiErr
		if !errors.As(err, &ae) {
			t.Fatalf("%s: refused with %T %v, not an apiErr", what, err, err)
		}
		if status, ok := codes[ae.Code]; !ok || status != ae.Status || ae.Message == "" {
			t.Fatalf("%s: refused with %d %q %q", what, ae.Status, ae.Code, ae.Message)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if req, err := parseAnnouncement(body, testNow); err != nil {
			refused(t, "announcement", err)
		} else {
			switch {
			case !json.Valid(body):
				t.Fatalf("announcement: accepted %q, not one JSON document", body)
			case req.Text == "" || req.Text != strings.TrimSpace(req.Text) || !utf8.ValidString(req.Text):
				t.Fatalf("announcement: accepted text %q", req.Text)
			case strings.ContainsFunc(req.Text, unicode.IsControl):
				t.Fatalf("announcement: accepted the control characters in %q", req.Text)
			case utf8.RuneCountInString(req.Text) > maxAnnouncementRunes:
				t.Fatalf("announcement: accepted %d characters", utf8.RuneCountInString(req.Text))
			case req.TTLSeconds < 0 || time.Duration(req.TTLSeconds)*time.Second > maxTTL ||
				time.Duration(req.TTLSeconds)*time.Second/time.Second != time.Duration(req.TTLSeconds):
				t.Fatalf("announcement: accepted ttl_seconds %d", req.TTLSeconds)
			case req.Audience != nil && len(req.Audience) == 0,
				slices.ContainsFunc(req.Audience, func(a string) bool { return !slices.Contains(schedule.Audiences, a) }),
				req.Level != "" && !slices.Contains(schedule.Levels, req.Level):
				t.Fatalf("announcement: accepted audience %q, level %q", req.Audience, req.Level)
			case req.StartsAt != nil && (req.StartsAt.Before(testNow.Add(-startsAtSlack)) || req.StartsAt.After(testNow.Add(maxStartsAhead))):
				t.Fatalf("announcement: accepted starts_at %v at %v", req.StartsAt, testNow)
			}
		}
		if minutes, err := parseDelay(body); err != nil {
			refused(t, "delay", err)
		} else if minutes < 0 || minutes > maxDelayMinutes || !json.Valid(body) {
			t.Fatalf("delay: accepted %d minutes from %q", minutes, body)
		}
	})
}

// fuzzCorpusDir is the corpus of real schedules the schedule package's
// conformance tests read (../shared/schedules beside the module, or
// $CONFDASH_CORPUS): seeds for FuzzServeSchedule, read, never copied.
func fuzzCorpusDir(tb testing.TB) string {
	dir := os.Getenv("CONFDASH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "schedules")
	}
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("schedule corpus not found at %s (set CONFDASH_CORPUS): %v", dir, err)
		}
		return ""
	}
	return dir
}

// corpusSchedule is a schedule of the corpus (fuzzCorpusDir), parsed; the
// test is skipped where the corpus is not, which CI does not allow.
func corpusSchedule(tb testing.TB, name string) *schedule.Schedule {
	tb.Helper()
	dir := fuzzCorpusDir(tb)
	if dir == "" {
		tb.Skip("the schedule corpus is not beside the module (set CONFDASH_CORPUS)")
	}
	sc, _, err := load.ParseFile(filepath.Join(dir, name), schedule.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

// fuzzing reports whether the test binary runs with -test.fuzz.
func fuzzing() bool {
	fl := flag.Lookup("test.fuzz")
	return fl != nil && fl.Value.String() != ""
}

// FuzzServeSchedule: whatever load.Parse accepts, the server can serve:
// states at the edges of the day, with the largest delay the admin API
// allows, encode without error (mustJSON panics on one), and so do the
// schedule document and the iCalendar feed. Seeds are the real corpus files
// and the small files under testdata/fuzz.
func FuzzServeSchedule(f *testing.F) {
	if dir := fuzzCorpusDir(f); dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil {
				f.Fatal(err)
			}
			// While fuzzing, the large files (hundreds of KB) make each
			// mutation too slow to explore; the seed run reads them all.
			if fuzzing() && info.Size() > 100<<10 {
				continue
			}
			switch filepath.Ext(e.Name()) {
			case ".xml", ".json", ".ics", ".yaml":
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					f.Fatal(err)
				}
				f.Add(data)
			}
		}
	}
	for _, name := range []string{"day.yaml", "broken.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			serveParsed(t, data)
		}()
		// A schedule that takes the clock loop this long is a failure, not a
		// stuck fuzzer.
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("serving a %d-byte schedule did not finish within 10s", len(data))
		}
	})
}

// serveParsed is the body of FuzzServeSchedule.
func serveParsed(t *testing.T, data []byte) {
	{
		sc, _, err := load.Parse("f", data, schedule.Options{})
		if err != nil {
			return
		}
		if len(sc.Sessions) == 0 {
			st := schedule.Compute(sc, schedule.Adjustments{}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			encodeStates(sc, schedule.Adjustments{}, st, nil)
			encodeSchedule(sc, schedule.Adjustments{}, nil, DefaultChangesRecent)
			return
		}
		first, last := sc.Sessions[0].Start, sc.Sessions[0].End
		for _, ss := range sc.Sessions {
			if ss.Start.Before(first) {
				first = ss.Start
			}
			if ss.End.After(last) {
				last = ss.End
			}
		}
		// The largest delay the admin API takes, on every track, from
		// before the first session: every estimate moves by 12 hours.
		adj := schedule.Adjustments{Delays: map[string]schedule.Delay{}}
		for _, tr := range sc.Tracks {
			adj.Delays[tr.ID] = schedule.Delay{Minutes: maxDelayMinutes, From: first.Add(-time.Hour)}
		}
		for _, a := range []schedule.Adjustments{{}, adj} {
			for _, at := range []time.Time{first.Add(-time.Hour), first, first.Add(last.Sub(first) / 2), last, last.Add(13 * time.Hour)} {
				encodeStates(sc, a, schedule.Compute(sc, a, at), nil)
			}
			encodeSchedule(sc, a, nil, DefaultChangesRecent)
			if err := ical.Write(io.Discard, sc, sc.Timed(a)); err != nil {
				t.Errorf("WriteICS of a parsed schedule: %v", err)
			}
		}
	}
}
