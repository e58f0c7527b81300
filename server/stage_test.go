package server

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestStageView: /stage/{track} is served like /screen/{track} (a 404 page
// listing the stage URLs for an unknown track), its websocket (view=stage)
// is accepted and counted under its own view label, and the schedule
// document carries the track's stage thresholds.
func TestStageView(t *testing.T) {
	day, err := os.ReadFile(filepath.Join("testdata", "day.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(day), "    name: Main Hall\n", "    name: Main Hall\n    stage_warn_minutes: 8\n    stage_danger_minutes: 3\n", 1)
	if src == string(day) {
		t.Fatal("the test could not give Main Hall its thresholds")
	}
	sc, _, err := load.Parse("day.yaml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Schedule: sc})

	r := ts.do(t, http.MethodGet, "/stage/main", "", "")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "/stage.js") || !strings.Contains(string(r.body), `<body class="stage">`) {
		t.Fatalf("/stage/main = %d:\n%s", r.status, r.body)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("/stage/main CSP = %q, want the pages' policy", csp)
	}
	r = ts.do(t, http.MethodGet, "/stage/nope", "", "")
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), `<a href="/stage/main">Main Hall</a>`) {
		t.Errorf("/stage/nope = %d, want 404 listing the stage views:\n%s", r.status, r.body)
	}

	cl := ts.dial(t, "stage", "track=main&view=stage")
	cl.ping(1) // once the pong is back, the connection has been counted
	if got := testutil.ToFloat64(ts.m.connOpened.WithLabelValues("stage")); got != 1 {
		t.Errorf("confdash_connections_opened_total{view=stage} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(ts.m.viewers.WithLabelValues("main", "stage")); got != 1 {
		t.Errorf("confdash_viewers{track=main,view=stage} = %v, want 1", got)
	}

	var doc struct {
		Tracks []schedule.Track `json:"tracks"`
	}
	if err := json.Unmarshal(ts.get(t, "/api/v1/schedule"), &doc); err != nil {
		t.Fatal(err)
	}
	want := []schedule.Track{
		{ID: "main", Name: "Main Hall", StageWarnMinutes: 8, StageDangerMinutes: 3},
		{ID: "side", Name: "Side Room"},
	}
	if len(doc.Tracks) != 2 || doc.Tracks[0] != want[0] || doc.Tracks[1] != want[1] {
		t.Errorf("schedule document tracks = %+v, want %+v", doc.Tracks, want)
	}
	if raw := string(ts.get(t, "/api/v1/schedule")); strings.Count(raw, "stage_warn_minutes") != 1 {
		t.Errorf("the schedule document writes stage_warn_minutes %d times, want only where a track sets it", strings.Count(raw, "stage_warn_minutes"))
	}
}
