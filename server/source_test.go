package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/server/cluster"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const sourceV1 = `name: Live source
timezone: Europe/Berlin
tracks:
  - {id: a, name: Room A}
  - {id: b, name: Room B}
sessions:
  - {id: s1, track: a, title: Opening, start: 2026-10-25 09:00, end: 2026-10-25 10:00}
  - {id: s2, track: a, title: Storage, start: 2026-10-25 10:00, end: 2026-10-25 11:00}
  - {id: s3, track: b, title: Kernels, start: 2026-10-25 09:30, end: 2026-10-25 10:30}
  - {id: s4, track: b, title: Cancelled later, start: 2026-10-25 11:00, end: 2026-10-25 11:30}
`

// sourceV2 moves s2 to 14:30, puts s3 in room A, drops s4 and adds s5.
const sourceV2 = `name: Live source
timezone: Europe/Berlin
tracks:
  - {id: a, name: Room A}
  - {id: b, name: Room B}
sessions:
  - {id: s1, track: a, title: Opening, start: 2026-10-25 09:00, end: 2026-10-25 10:00}
  - {id: s2, track: a, title: Storage, start: 2026-10-25 14:30, end: 2026-10-25 15:30}
  - {id: s3, track: a, title: Kernels, start: 2026-10-25 11:00, end: 2026-10-25 12:00}
  - {id: s5, track: b, title: Lightning talks, start: 2026-10-25 12:00, end: 2026-10-25 13:00}
`

// fakeOrigin is a conference's schedule URL whose answers the test scripts:
// a document with ETag validation, a failure, or garbage.
type fakeOrigin struct {
	mu     sync.Mutex
	body   string
	status int
	gets   int
	cond   int // requests that carried If-None-Match
}

func (o *fakeOrigin) set(body string, status int) {
	o.mu.Lock()
	o.body, o.status = body, status
	o.mu.Unlock()
}

func (o *fakeOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gets++
	if o.status != http.StatusOK {
		http.Error(w, "upstream trouble", o.status)
		return
	}
	etag := `"` + hashString(o.body) + `"`
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		o.cond++
		if inm == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("ETag", etag)
	w.Write([]byte(o.body))
}

func hashString(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64(), 36)
}

func TestLiveSourceFollowsGoodVersionsAndSurvivesBadOnes(t *testing.T) {
	origin := &fakeOrigin{}
	origin.set(sourceV1, http.StatusOK)
	ts := httptest.NewServer(origin)
	defer ts.Close()
	dir := t.TempDir()
	src := &Source{Location: ts.URL + "/schedule.yaml", CachePath: filepath.Join(dir, "cache")}

	sc, _, err := src.Load(context.Background())
	if err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	srv, err := New(Config{Schedule: sc, Source: src, StatePath: filepath.Join(dir, "state.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	conn := &recConn{}
	srv.hub.Subscribe(classTab, conn)
	v1 := sc.Version
	version := func() string { return srv.live.schedule().Version }
	reloads := func(result string) float64 { return testutil.ToFloat64(srv.m.reloads.WithLabelValues(result)) }

	// Unchanged: a conditional request answered 304.
	if err := srv.refreshSource(context.Background()); err != nil {
		t.Fatalf("refresh (unchanged): %v", err)
	}
	if origin.cond != 1 || reloads("unchanged") != 1 || version() != v1 {
		t.Fatalf("after a 304: conditional requests %d, unchanged %v, version %s (want 1, 1, %s)", origin.cond, reloads("unchanged"), version(), v1)
	}

	// A new version is applied at once, and its changes flagged.
	origin.set(sourceV2, http.StatusOK)
	if err := srv.refreshSource(context.Background()); err != nil {
		t.Fatalf("refresh (v2): %v", err)
	}
	v2 := version()
	if v2 == v1 {
		t.Fatal("version did not change after a changed schedule")
	}
	var doc struct {
		Sessions []struct {
			ID     string `json:"id"`
			Change *struct {
				Type          string `json:"type"`
				PreviousStart string `json:"previous_start"`
				PreviousTrack string `json:"previous_track"`
			} `json:"change"`
		} `json:"sessions"`
	}
	json.Unmarshal(srv.live.scheduleDoc(), &doc)
	changes := srv.live.recentChanges()
	flags := map[string]string{}
	for _, s := range doc.Sessions {
		if s.Change != nil {
			flags[s.ID] = s.Change.Type
			if s.ID == "s2" && s.Change.PreviousStart != "2026-10-25T09:00:00Z" {
				t.Errorf("s2 previous_start = %q, want 2026-10-25T09:00:00Z (10:00 CET)", s.Change.PreviousStart)
			}
		}
	}
	if flags["s2"] != "moved" || flags["s3"] != "moved" || flags["s5"] != "new" || flags["s1"] != "" {
		t.Errorf("change flags = %v, want s2 moved, s3 moved (and room), s5 new, s1 none", flags)
	}
	var cancelled bool
	for _, c := range changes {
		cancelled = cancelled || (c.SessionID == "s4" && c.Type == "cancelled")
	}
	if !cancelled {
		t.Errorf("changes %+v do not list s4 as cancelled", changes)
	}
	pushed := func() bool {
		for _, m := range conn.all() {
			if strings.Contains(m.data, `"schedule_version":"`+v2+`"`) {
				return true
			}
		}
		return false
	}
	if !testserver.Eventually(5*time.Second, pushed) {
		t.Error("the new schedule was not pushed to a connected client")
	}

	// A failing and a garbage source keep the running schedule.
	origin.set(sourceV2, http.StatusInternalServerError)
	var se *SourceError
	if err := srv.refreshSource(context.Background()); !errors.As(err, &se) {
		t.Fatalf("refresh with a 500: err = %v, want a SourceError", err)
	}
	origin.set("<<< not a schedule at all >>>", http.StatusOK)
	if err := srv.refreshSource(context.Background()); err == nil {
		t.Fatal("refresh with garbage: no error")
	}
	if got := version(); got != v2 {
		t.Fatalf("version after bad fetches = %s, want the running %s", got, v2)
	}
	if reloads("failed") != 1 || reloads("invalid") != 1 || reloads("changed") != 1 {
		t.Errorf("reloads: failed %v invalid %v changed %v, want 1 each", reloads("failed"), reloads("invalid"), reloads("changed"))
	}

	// The last good copy is on disk, for a start while the source is down.
	ts.Close()
	cached, err := os.ReadFile(src.CachePath)
	if err != nil || string(cached) != sourceV2 {
		t.Fatalf("cache holds %q (%v), want the last good version", cached, err)
	}
	down := &Source{Location: src.Location, CachePath: src.CachePath}
	if _, _, err := down.Load(context.Background()); !errors.As(err, &se) {
		t.Fatalf("load from a stopped source: err = %v, want a SourceError", err)
	}
	sc3, _, err := down.LoadCached()
	if err != nil || sc3.Version != v2 {
		t.Fatalf("LoadCached: version %v err %v, want %s", sc3, err, v2)
	}
}

// A rehearsal restarted with the same --at starts its clock before the
// announcements it saved: they stay visible, with their time to live.
func TestRebaseAnnouncementsAfterRewoundClock(t *testing.T) {
	now := time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC)
	later := now.Add(2 * time.Hour)
	exp := later.Add(10 * time.Minute)
	earlier := now.Add(-time.Minute)
	adj := rebaseAnnouncements(schedule.Adjustments{Announcements: []schedule.Announcement{
		{ID: "future", Text: "posted later in the rehearsal", Created: later, Expires: &exp},
		{ID: "past", Text: "posted before", Created: earlier},
	}}, now)
	st := schedule.Compute(&schedule.Schedule{}, adj, now)
	if got := len(st.Announcements); got != 2 {
		t.Fatalf("%d announcements visible after the rewind, want 2", got)
	}
	a := adj.Announcements[0]
	if !a.Created.Equal(now) || a.Expires == nil || a.Expires.Sub(a.Created) != 10*time.Minute {
		t.Fatalf("rebased announcement = %+v, want created now with its 10 min to live", a)
	}
	if !adj.Announcements[1].Created.Equal(earlier) {
		t.Fatal("an announcement from the past was re-dated")
	}
}

// sourceYear0 is sourceV1 with one session in year 0: it parsed before the
// schedule package refused unservable instants, and the first encoding of a
// state with it failed (json.Marshal refuses years outside 1-9999).
var sourceYear0 = strings.Replace(sourceV1, "start: 2026-10-25 11:00, end: 2026-10-25 11:30", "start: 0000-10-25 11:00, end: 0000-10-25 11:30", 1)

// A reload of a schedule the server could not encode is refused before
// anything is swapped: the running schedule stays, and admin writes work.
func TestReloadRefusesUnservableSchedule(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "day.yaml")
	if err := os.WriteFile(path, []byte(sourceV1), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _, err := load.ParseFile(path, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Schedule: sc, SchedulePath: path, AdminToken: adminToken})
	if err := os.WriteFile(path, []byte(sourceYear0), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ts.do(t, http.MethodPost, "/api/v1/reload", adminToken, "")
	checkAPIError(t, r, http.StatusUnprocessableEntity, "invalid_schedule")
	if !strings.Contains(string(r.body), "day.yaml:10: sessions[3].start") || !strings.Contains(string(r.body), "check the year") {
		t.Errorf("reload error %s does not name the line and say what to do", r.body)
	}
	if got := ts.live.schedule().Version; got != sc.Version {
		t.Fatalf("running version %s after a refused reload, want %s", got, sc.Version)
	}
	ts.announce(t, "Still here", "")
	if r := ts.do(t, http.MethodGet, "/api/v1/state", "", ""); r.status != http.StatusOK {
		t.Fatalf("GET state = %d %s", r.status, r.body)
	}
}

// A reload's answer stays small whatever the file: quoted values are
// clipped and the errors listed are the first ones and a count.
func TestReloadErrorsBounded(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "day.yaml")
	if err := os.WriteFile(path, []byte(sourceV1), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _, err := load.ParseFile(path, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Schedule: sc, SchedulePath: path, AdminToken: adminToken})
	var b strings.Builder
	b.WriteString("name: x\ntimezone: UTC\ntracks: [{id: a, name: A}]\nsessions:\n")
	long := strings.Repeat("y", 1<<20)
	for range 200 {
		b.WriteString("  - {track: " + long[:5000] + ", title: t, start: 2026-10-25 09:00, end: 2026-10-25 10:00}\n")
	}
	b.WriteString("  - {track: " + long + ", title: t, start: 2026-10-25 09:00, end: 2026-10-25 10:00}\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ts.do(t, http.MethodPost, "/api/v1/reload", adminToken, "")
	checkAPIError(t, r, http.StatusUnprocessableEntity, "invalid_schedule")
	if len(r.body) > 64<<10 {
		t.Fatalf("reload answer is %d bytes for a %d-byte file", len(r.body), b.Len())
	}
	var bad struct {
		Error struct {
			Details []schedule.Diagnostic `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &bad); err != nil {
		t.Fatal(err)
	}
	if n := len(bad.Error.Details); n != 51 || !strings.Contains(bad.Error.Details[50].Message, "151 more") {
		t.Fatalf("%d details, last %+v; want 50 and a count of 151 more", n, bad.Error.Details[n-1])
	}
}

// A URL that serves an unservable schedule is refused by the refresh: the
// running schedule stays and the last good copy on disk is not replaced.
func TestURLRefreshRefusesUnservableSchedule(t *testing.T) {
	origin := &fakeOrigin{}
	origin.set(sourceV1, http.StatusOK)
	ts := httptest.NewServer(origin)
	defer ts.Close()
	dir := t.TempDir()
	src := &Source{Location: ts.URL + "/schedule.yaml", CachePath: filepath.Join(dir, "cache")}
	sc, _, err := src.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Schedule: sc, Source: src, StatePath: filepath.Join(dir, "state.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	origin.set(sourceYear0, http.StatusOK)
	err = srv.refreshSource(context.Background())
	if err == nil || !strings.Contains(err.Error(), "check the year") {
		t.Fatalf("refresh of a year-0 schedule: err = %v, want it refused", err)
	}
	if got := srv.live.schedule().Version; got != sc.Version {
		t.Fatalf("running version %s, want %s", got, sc.Version)
	}
	if cached, err := os.ReadFile(src.CachePath); err != nil || string(cached) != sourceV1 {
		t.Fatalf("cache holds %q (%v), want the last good version", cached, err)
	}
}

// A cached copy that does not validate (written before the checks were
// strict) is moved aside and reported, never tried again.
func TestInvalidCachedCopyMovedAside(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	if err := os.WriteFile(cache, []byte(sourceYear0), 0o644); err != nil {
		t.Fatal(err)
	}
	src := &Source{Location: "http://127.0.0.1:1/schedule.yaml", CachePath: cache}
	_, _, err := src.LoadCached()
	if err == nil || !strings.Contains(err.Error(), "moved to "+cache+".invalid") {
		t.Fatalf("LoadCached: err = %v, want it moved aside", err)
	}
	if _, err := os.Stat(cache); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the invalid copy is still in place (%v)", err)
	}
	if kept, err := os.ReadFile(cache + ".invalid"); err != nil || string(kept) != sourceYear0 {
		t.Fatalf("the moved copy holds %q (%v)", kept, err)
	}
}

// Redirects are followed on the schedule's own host only, and a bounded
// number of times; nothing from another host is fetched.
func TestSourceRedirects(t *testing.T) {
	other := &fakeOrigin{}
	other.set(sourceV1, http.StatusOK)
	elsewhere := httptest.NewServer(other)
	defer elsewhere.Close()
	// The same listener under another name is another host to the client.
	elsewhereURL := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)

	mux := http.NewServeMux()
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhereURL+"/schedule.yaml", http.StatusFound)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/schedule.yaml", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/schedule.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(sourceV1))
	})
	home := httptest.NewServer(mux)
	defer home.Close()

	if _, _, err := (&Source{Location: home.URL + "/moved"}).Load(context.Background()); err != nil {
		t.Fatalf("redirect on the same host: %v", err)
	}
	_, _, err := (&Source{Location: home.URL + "/away"}).Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "another host") {
		t.Fatalf("redirect to another host: err = %v, want refused", err)
	}
	if other.gets != 0 {
		t.Fatalf("the other host was fetched %d times", other.gets)
	}
	_, _, err = (&Source{Location: home.URL + "/loop"}).Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Fatalf("redirect loop: err = %v, want refused after %d", err, maxRedirects)
	}
}

// A schedule shared through NATS is held to the same validation as a file:
// an instance receiving one it could not serve keeps its own.
func TestClusterScheduleRefusesUnservable(t *testing.T) {
	ts := startServer(t, Config{})
	src := strings.Replace(sourceV1, "start: 2026-10-25 11:00, end: 2026-10-25 11:30", "start: 9999-12-31 20:00, end: 9999-12-31 23:00", 1)
	sum := sha256.Sum256([]byte(src))
	rec, err := cluster.EncodeSchedule("https://example.org/schedule.yaml", hex.EncodeToString(sum[:6]), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := parseScheduleRecord(rec, ts.cfg)
	if err == nil || sc != nil || !strings.Contains(err.Error(), "check the year") {
		t.Fatalf("parseScheduleRecord = %v, %v; want the year refused", sc, err)
	}
}
