package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
)

type changesScheduleDoc struct {
	ChangesRecentSeconds int          `json:"changes_recent_seconds"`
	Sessions             []sessionDoc `json:"sessions"`
}

// reloadChanged runs the test day from a file, then reloads it with the
// coffee break removed and "Chasing Tail Latency" (running on main at
// testNow) retitled.
func reloadChanged(t *testing.T, cfg Config) *testServer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "day.yaml")
	good, err := os.ReadFile(filepath.Join("testdata", "day.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _, err := load.ParseFile(path, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Schedule, cfg.SchedulePath, cfg.AdminToken = sc, path, adminToken
	ts := startServer(t, cfg)
	coffee := []byte("  - id: coffee\n    track: main\n    title: Coffee\n    kind: break\n    start: 2026-10-06 10:00\n    end: 2026-10-06 10:30\n")
	changed := bytes.Replace(good, coffee, nil, 1)
	changed = bytes.Replace(changed, []byte("title: Chasing Tail Latency"), []byte("title: Chasing Tail Latency, Again"), 1)
	if bytes.Equal(changed, good) || bytes.Contains(changed, []byte("id: coffee")) {
		t.Fatal("testdata/day.yaml no longer has the coffee break this test removes")
	}
	if err := os.WriteFile(path, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	ts.admin(t, http.MethodPost, "/api/v1/reload", "", http.StatusOK)
	return ts
}

func (ts *testServer) scheduleDocument(t *testing.T) changesScheduleDoc {
	t.Helper()
	var d changesScheduleDoc
	if err := json.Unmarshal(ts.get(t, "/api/v1/schedule"), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func sessionByID(d changesScheduleDoc, id string) *sessionDoc {
	for i := range d.Sessions {
		if d.Sessions[i].ID == id {
			return &d.Sessions[i]
		}
	}
	return nil
}

// TestChangesRecent: a reload's changes carry the instant they were seen; a
// cancelled session stays in the schedule document, flagged and in its
// slot, never now or next; once the window has passed, both are gone.
func TestChangesRecent(t *testing.T) {
	ts := reloadChanged(t, Config{})
	d := ts.scheduleDocument(t)
	if d.ChangesRecentSeconds != 7200 {
		t.Errorf("changes_recent_seconds = %d, want 7200 (the default 2 h)", d.ChangesRecentSeconds)
	}
	coffee := sessionByID(d, "coffee")
	if coffee == nil || !coffee.Cancelled || coffee.Change == nil || coffee.Change.Type != "cancelled" || !coffee.Change.Seen.Equal(testNow) {
		t.Fatalf("cancelled coffee in the schedule document = %+v, want cancelled, its change seen at %v", coffee, testNow)
	}
	for i := 1; i < len(d.Sessions); i++ {
		if d.Sessions[i].EstStart.Before(d.Sessions[i-1].EstStart) {
			t.Errorf("sessions not in start order at %d: %s after %s", i, d.Sessions[i].ID, d.Sessions[i-1].ID)
		}
	}
	tail := sessionByID(d, "tail-latency")
	if tail == nil || tail.Change == nil || tail.Change.Type != "retitled" || tail.Change.PreviousTitle != "Chasing Tail Latency" || !tail.Change.Seen.Equal(testNow) {
		t.Fatalf("retitled session = %+v, want its change with the previous title, seen at %v", tail, testNow)
	}

	st := stateDocOf(t, ts.get(t, "/api/v1/state?track=main"))
	now, next := st.Tracks[0].Now, st.Tracks[0].Next
	if now == nil || now.ID != "tail-latency" || now.Change == nil || now.Change.Type != "retitled" {
		t.Errorf("state now = %+v, want the retitled session with its change", now)
	}
	if next != nil && next.ID == "coffee" {
		t.Errorf("state next is the cancelled coffee break")
	}

	// Past the window: the clock loop drops the changes on time.
	ts.clock.Set(testNow.Add(DefaultChangesRecent))
	ts.wakeClock()
	deadline := time.Now().Add(readTimeout)
	for {
		d = ts.scheduleDocument(t)
		if sessionByID(d, "coffee") == nil && sessionByID(d, "tail-latency").Change == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("2 h after the reload the schedule document still flags changes: coffee %+v, tail-latency %+v",
				sessionByID(d, "coffee"), sessionByID(d, "tail-latency").Change)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestChangesRecentOff: --changes-recent 0 flags nothing and keeps no
// cancelled session.
func TestChangesRecentOff(t *testing.T) {
	ts := reloadChanged(t, Config{ChangesRecent: -1})
	d := ts.scheduleDocument(t)
	if d.ChangesRecentSeconds != 0 || sessionByID(d, "coffee") != nil || sessionByID(d, "tail-latency").Change != nil {
		t.Errorf("with changes off: recent %d s, coffee %+v, tail-latency change %+v; want none",
			d.ChangesRecentSeconds, sessionByID(d, "coffee"), sessionByID(d, "tail-latency").Change)
	}
}
