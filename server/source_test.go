package server

import (
	"context"
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

	"github.com/confdash/confdash/schedule"
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
	srv.hub.Subscribe(topicAll, conn)
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
	if !eventually(5*time.Second, pushed) {
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

// eventually polls cond until it holds or the deadline passes: for effects
// that cross a goroutine (a hub writer), never a fixed sleep.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
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
