package server

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/ical"
	"github.com/confdash/confdash/schedule/load"
)

// feedEvent is one event of a subscribed feed, as a calendar app reads it.
type feedEvent struct {
	uid, status  string
	sequence     int
	start, end   time.Time
	lastModified time.Time
}

// readFeed fetches path and reads it with the project's iCalendar reader:
// the calendar's properties and the events by session id (the UID before
// its @). It also checks that the importer confdash uses for iCalendar
// schedules reads the feed as a schedule of the events not cancelled.
func readFeed(t *testing.T, ts *testServer, path string) (ical.Event, map[string]feedEvent, apiResponse) {
	t.Helper()
	r := ts.do(t, http.MethodGet, path, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	cal, events, err := ical.Events(r.body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	at := func(ev ical.Event, name string) time.Time {
		v, err := time.Parse("20060102T150405Z", ev[name])
		if err != nil {
			t.Fatalf("GET %s: %s of %s: %v", path, name, ev["UID"], err)
		}
		return v
	}
	out := map[string]feedEvent{}
	live := 0
	for _, ev := range events {
		seq, err := strconv.Atoi(ev["SEQUENCE"])
		if err != nil {
			t.Fatalf("GET %s: SEQUENCE of %s: %v", path, ev["UID"], err)
		}
		id, _, _ := strings.Cut(ev["UID"], "@")
		fe := feedEvent{uid: ev["UID"], status: ev["STATUS"], sequence: seq,
			start: at(ev, "DTSTART"), end: at(ev, "DTEND"), lastModified: at(ev, "LAST-MODIFIED")}
		if !at(ev, "DTSTAMP").Equal(fe.lastModified) {
			t.Errorf("GET %s: %s DTSTAMP %s, LAST-MODIFIED %s", path, id, ev["DTSTAMP"], ev["LAST-MODIFIED"])
		}
		if _, dup := out[id]; dup {
			t.Errorf("GET %s: session %s twice", path, id)
		}
		out[id] = fe
		if fe.status != "CANCELLED" {
			live++
		}
	}
	sc, _, err := ical.Parse("feed.ics", r.body, schedule.Options{})
	if err != nil {
		t.Fatalf("GET %s: the iCalendar importer refuses the feed: %v", path, err)
	}
	if len(sc.Sessions) != live {
		t.Errorf("GET %s: the importer reads %d sessions, the feed has %d not cancelled", path, len(sc.Sessions), live)
	}
	return cal, out, r
}

func keysOf(m map[string]feedEvent) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestICSSubscribe: a calendar app subscribed to the starred sessions of
// FOSDEM 2024 (GET /schedule.ics?sessions=...) gets exactly those, with
// the estimated times: after a delay posted through the admin API their
// DTSTART and DTEND move and their SEQUENCE grows, while the untouched
// sessions keep theirs; after a reload that removes a starred session, it
// stays in the feed as STATUS:CANCELLED with a higher SEQUENCE. UIDs never
// change. The feed asks apps to poll, answers 304 while unchanged, filters
// by track too, and refuses bad parameters with a 400 that says what to do.
func TestICSSubscribe(t *testing.T) {
	dir := fuzzCorpusDir(t)
	if dir == "" {
		t.Skip("the schedule corpus is not beside the module (set CONFDASH_CORPUS)")
	}
	src, err := os.ReadFile(filepath.Join(dir, "frab-fosdem-2024.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// The server reloads a working copy, edited below as an organizer
	// would edit the file.
	path := filepath.Join(t.TempDir(), "fosdem.xml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _, err := load.ParseFile(path, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := sc.Sessions[0]
	clock := testserver.NewClock(first.Start.Add(-time.Hour))
	ts := startServer(t, Config{Schedule: sc, SchedulePath: path, AdminToken: adminToken, Clock: clock})

	// Starred: the first two sessions of the first track (a delay there
	// moves them) and three sessions elsewhere: the organizers will remove
	// one and retitle another; plus an id the schedule does not have.
	track := first.Track
	var onTrack, elsewhere []string
	for _, s := range sc.Sessions {
		switch {
		case s.Track == track && len(onTrack) < 2:
			onTrack = append(onTrack, s.ID)
		case s.Track != track && len(elsewhere) < 3 && s.Start.After(first.Start):
			elsewhere = append(elsewhere, s.ID)
		}
	}
	if len(onTrack) < 2 || len(elsewhere) < 3 {
		t.Fatalf("FOSDEM 2024 has too few sessions: %v %v", onTrack, elsewhere)
	}
	starred := append(slices.Clone(onTrack), elsewhere...)
	removed, retitled, kept := elsewhere[0], elsewhere[1], elsewhere[2]
	query := "/schedule.ics?sessions=" + strings.Join(append(slices.Clone(starred), "no-such-session", starred[0]), ",")

	cal, before, r := readFeed(t, ts, query)
	want := slices.Sorted(slices.Values(starred))
	if got := keysOf(before); !slices.Equal(got, want) {
		t.Fatalf("the starred feed has %v, want %v", got, want)
	}
	if cal["REFRESH-INTERVAL"] == "" || cal["X-PUBLISHED-TTL"] == "" || cal["X-WR-CALNAME"] == "" {
		t.Errorf("the feed does not ask apps to poll or has no name: %v", cal)
	}
	byID := map[string]schedule.Session{}
	for _, s := range sc.Sessions {
		byID[s.ID] = s
	}
	for id, ev := range before {
		if s := byID[id]; !ev.start.Equal(s.Start) || !ev.end.Equal(s.End) || ev.status != "CONFIRMED" {
			t.Errorf("%s before any delay: %s-%s %s, want %s-%s CONFIRMED", id, ev.start, ev.end, ev.status, s.Start, s.End)
		}
	}
	// Unchanged: revalidation costs a 304.
	req := func(etag string) int {
		t.Helper()
		hr, _ := http.NewRequest(http.MethodGet, ts.base+query, nil)
		hr.Header.Set("If-None-Match", etag)
		resp, err := httpClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	etag := r.header.Get("ETag")
	if got := req(etag); got != http.StatusNotModified {
		t.Errorf("revalidating an unchanged feed = %d, want 304", got)
	}

	// Both filters: the starred sessions of that track.
	if _, both, _ := readFeed(t, ts, "/schedule.ics?track="+track+"&sessions="+strings.Join(starred, ",")); !slices.Equal(keysOf(both), slices.Sorted(slices.Values(onTrack))) {
		t.Errorf("track and sessions give %v, want %v", keysOf(both), onTrack)
	}

	// A 20-minute delay on the first track.
	ts.admin(t, "POST", "/api/v1/tracks/"+track+"/delay", `{"minutes":20}`, 200)
	if got := req(etag); got != http.StatusOK {
		t.Errorf("revalidating after a delay = %d, want 200", got)
	}
	_, delayed, _ := readFeed(t, ts, query)
	_, adj := ts.live.snapshot()
	est := map[string]schedule.Timed{}
	for _, tm := range sc.Timed(adj) {
		est[tm.ID] = tm
	}
	if got, want := delayed[first.ID].start, first.Start.Add(20*time.Minute); !got.Equal(want) {
		t.Errorf("the delayed session starts at %s in the feed, want %s", got, want)
	}
	for id, ev := range delayed {
		b := before[id]
		if ev.uid != b.uid {
			t.Errorf("%s: UID %q became %q", id, b.uid, ev.uid)
		}
		if !ev.start.Equal(est[id].EstStart) || !ev.end.Equal(est[id].EstEnd) {
			t.Errorf("%s: %s-%s in the feed, estimated %s-%s", id, ev.start, ev.end, est[id].EstStart, est[id].EstEnd)
		}
		moved := !ev.start.Equal(b.start) || !ev.end.Equal(b.end)
		if moved && ev.sequence <= b.sequence {
			t.Errorf("%s moved but its SEQUENCE went from %d to %d", id, b.sequence, ev.sequence)
		}
		if !moved && (ev.sequence != b.sequence || !ev.lastModified.Equal(b.lastModified)) {
			t.Errorf("%s did not move but its SEQUENCE went from %d to %d", id, b.sequence, ev.sequence)
		}
	}

	// The organizers remove a session from the file, retitle another, and
	// reload.
	event := func(doc, id string) (int, int) {
		i := strings.Index(doc, `<event id="`+id+`"`)
		if i < 0 {
			t.Fatalf("session %s is not an <event id=...> of the file", id)
		}
		return i, i + strings.Index(doc[i:], "</event>") + len("</event>")
	}
	edited := string(src)
	i, j := event(edited, retitled)
	el := edited[i:j]
	a, b := strings.Index(el, "<title>"), strings.Index(el, "</title>")
	edited = edited[:i] + el[:a] + "<title>Moved to the main stage" + el[b:] + edited[j:]
	i, j = event(edited, removed)
	edited = edited[:i] + edited[j:]
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	ts.admin(t, "POST", "/api/v1/reload", "", 200)
	_, after, _ := readFeed(t, ts, query)
	if got := keysOf(after); !slices.Equal(got, want) {
		t.Fatalf("after the reload the starred feed has %v, want %v (the removed one cancelled)", got, want)
	}
	if ev := after[removed]; ev.status != "CANCELLED" || ev.sequence <= delayed[removed].sequence || ev.uid != before[removed].uid {
		t.Errorf("the removed session: %+v, want STATUS:CANCELLED with a SEQUENCE above %d and UID %q", ev, delayed[removed].sequence, before[removed].uid)
	}
	if ev := after[retitled]; ev.status != "CONFIRMED" || ev.sequence <= delayed[retitled].sequence || ev.uid != before[retitled].uid {
		t.Errorf("the retitled session: %+v, want CONFIRMED with a SEQUENCE above %d and UID %q", ev, delayed[retitled].sequence, before[retitled].uid)
	}
	if ev := after[kept]; ev.status != "CONFIRMED" || ev.sequence != delayed[kept].sequence {
		t.Errorf("an untouched session: %+v, want CONFIRMED at SEQUENCE %d", ev, delayed[kept].sequence)
	}
	if _, all, _ := readFeed(t, ts, "/schedule.ics"); all[removed].status != "CANCELLED" || len(all) != len(sc.Sessions) {
		t.Errorf("the whole feed: %d events, the removed session %+v; want %d with it cancelled", len(all), all[removed], len(sc.Sessions))
	}

	// Bad parameters.
	many := make([]string, maxICSSessions+1)
	for i := range many {
		many[i] = "id" + strconv.Itoa(i)
	}
	for _, c := range []struct {
		query  string
		status int
		code   string
	}{
		{"sessions=", 400, "bad_sessions"},
		{"sessions=,%20,", 400, "bad_sessions"},
		{"sessions=" + strings.Repeat("x", maxICSSessionID+1), 400, "bad_sessions"},
		{"sessions=" + strings.Join(many, ","), 400, "bad_sessions"},
		{"track=no-such-room", 404, "unknown_track"},
	} {
		checkAPIError(t, ts.do(t, http.MethodGet, "/schedule.ics?"+c.query, "", ""), c.status, c.code)
	}
}

// TestICSSequenceAcrossRestart: SEQUENCE is not stored, yet it grows
// across a restart: the second server (a minute later, the first abandoned
// as by kill -9) numbers every event above what the first published, with
// the same UIDs and the delay from the state file, so an app that polled
// the first takes the second's events.
func TestICSSequenceAcrossRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	first := startServer(t, Config{AdminToken: adminToken, StatePath: state})
	first.admin(t, "POST", "/api/v1/tracks/main/delay", `{"minutes":10}`, 200)
	_, before, _ := readFeed(t, first, "/schedule.ics")

	second := startServer(t, Config{AdminToken: adminToken, StatePath: state, Clock: testserver.NewClock(testNow.Add(time.Minute))})
	_, after, _ := readFeed(t, second, "/schedule.ics")
	if len(after) != len(before) || len(after) == 0 {
		t.Fatalf("%d events after the restart, %d before", len(after), len(before))
	}
	for id, b := range before {
		a := after[id]
		if a.uid != b.uid || !a.start.Equal(b.start) || !a.end.Equal(b.end) || a.sequence <= b.sequence {
			t.Errorf("%s after the restart: %+v, before: %+v; want the same UID and times, a higher SEQUENCE", id, a, b)
		}
	}
}
