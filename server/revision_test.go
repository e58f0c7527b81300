package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
)

// revisionOf reads an answer's ETag as a revision, failing the test when
// there is none.
func revisionOf(t *testing.T, what string, r apiResponse) uint64 {
	t.Helper()
	h := r.header.Get("ETag")
	rev, err := strconv.ParseUint(strings.Trim(h, `"`), 10, 64)
	if h == "" || err != nil {
		t.Fatalf("%s: ETag %q (status %d, %s), want a revision", what, h, r.status, r.body)
	}
	return rev
}

// TestAdminRevisions runs the same admin calls against both stores, a
// single instance with its state file and an instance of a cluster: every
// admin answer carries the adjustments' revision as ETag; a write based on
// a stale revision answers 409 with the current one and changes nothing; a
// write based on the current one succeeds with a new revision; a malformed
// If-Match answers 400.
func TestAdminRevisions(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "day.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stores := []struct {
		name  string
		start func(t *testing.T) (ts *testServer, statePath string)
	}{
		{"state file", func(t *testing.T) (*testServer, string) {
			sc, path := parseTestSchedule(t, string(src))
			statePath := filepath.Join(t.TempDir(), "state.json")
			return startServer(t, Config{Schedule: sc, SchedulePath: path, StatePath: statePath, AdminToken: adminToken}), statePath
		}},
		{"cluster", func(t *testing.T) (*testServer, string) {
			n := startTestNATS(t)
			ts, _ := startClusterNode(t, n.url(), "a", "")
			waitReady(t, "ready", 10*time.Second, ts)
			return ts, ""
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ts, statePath := st.start(t)
			rev := revisionOf(t, "GET /api/v1/admin", adminReq(t, ts, http.MethodGet, "/api/v1/admin", "", nil))
			var annID string
			writes := []struct {
				name, method string
				path         func() string
				body         string
				status       int
				after        func(t *testing.T, r apiResponse)
			}{
				{"post an announcement", http.MethodPost, func() string { return "/api/v1/announcements" }, `{"text": "Doors open"}`, http.StatusCreated,
					func(t *testing.T, r apiResponse) {
						var a schedule.Announcement
						if err := json.Unmarshal(r.body, &a); err != nil || a.ID == "" {
							t.Fatalf("announcement answer %s: %v", r.body, err)
						}
						annID = a.ID
					}},
				{"say the session started", http.MethodPost, func() string { return "/api/v1/tracks/main/started" }, `{}`, http.StatusOK, nil},
				{"set a delay", http.MethodPost, func() string { return "/api/v1/tracks/main/delay" }, `{"minutes": 6}`, http.StatusOK, nil},
				{"say the session ended", http.MethodPost, func() string { return "/api/v1/tracks/main/ended" }, `{}`, http.StatusOK, nil},
				{"remove the announcement", http.MethodDelete, func() string { return "/api/v1/announcements/" + annID }, "", http.StatusNoContent, nil},
			}
			for _, w := range writes {
				what := w.method + " " + w.path()
				state := ts.get(t, "/api/v1/state")
				var file []byte
				if statePath != "" {
					file, _ = os.ReadFile(statePath)
				}

				// Based on a revision someone else has since replaced.
				stale := strconv.FormatUint(rev+7, 10)
				if rev > 0 {
					stale = strconv.FormatUint(rev-1, 10)
				}
				r := adminReq(t, ts, w.method, w.path(), w.body, map[string]string{"If-Match": `"` + stale + `"`})
				checkAPIError(t, r, http.StatusConflict, "conflict")
				if got := revisionOf(t, what+" (stale)", r); got != rev {
					t.Errorf("%s with a stale If-Match: ETag %d, want the current %d", what, got, rev)
				}
				if got := ts.get(t, "/api/v1/state"); !bytes.Equal(got, state) {
					t.Errorf("%s with a stale If-Match changed the state:\n%s\nwas\n%s", what, got, state)
				}
				if statePath != "" {
					if got, _ := os.ReadFile(statePath); !bytes.Equal(got, file) {
						t.Errorf("%s with a stale If-Match rewrote the state file:\n%s", what, got)
					}
				}

				// Malformed.
				r = adminReq(t, ts, w.method, w.path(), w.body, map[string]string{"If-Match": `"next one"`})
				checkAPIError(t, r, http.StatusBadRequest, "bad_if_match")
				if got := ts.get(t, "/api/v1/state"); !bytes.Equal(got, state) {
					t.Errorf("%s with a malformed If-Match changed the state", what)
				}

				// Based on the current revision.
				r = adminReq(t, ts, w.method, w.path(), w.body, map[string]string{"If-Match": `"` + strconv.FormatUint(rev, 10) + `"`})
				if r.status != w.status {
					t.Fatalf("%s with the current If-Match: %d %s, want %d", what, r.status, r.body, w.status)
				}
				next := revisionOf(t, what, r)
				if next <= rev {
					t.Errorf("%s: revision %d after %d, want a newer one", what, next, rev)
				}
				if w.after != nil {
					w.after(t, r)
				}
				if got := revisionOf(t, "GET /api/v1/admin after "+what, adminReq(t, ts, http.MethodGet, "/api/v1/admin", "", nil)); got != next {
					t.Errorf("GET /api/v1/admin after %s: ETag %d, want %d", what, got, next)
				}
				rev = next
			}

			// Two organizers based on the same revision at once: one change
			// is made, the other is told about it.
			cur := `"` + strconv.FormatUint(rev, 10) + `"`
			answers := concurrently(t, []*testServer{ts, ts}, func(i int) (string, map[string]string) {
				return `{"text": "Room ` + strconv.Itoa(i) + ` is full"}`, map[string]string{"If-Match": cur}
			})
			statuses := []int{answers[0].status, answers[1].status}
			slices.Sort(statuses)
			if !slices.Equal(statuses, []int{http.StatusCreated, http.StatusConflict}) {
				t.Fatalf("two writes based on revision %d: %v (%s, %s), want one 201 and one 409", rev, statuses, answers[0].body, answers[1].body)
			}
			if got := stateAnnouncements(t, ts); len(got) != 1 {
				t.Errorf("after the collision: announcements %v, want exactly one", got)
			}
			rev = revisionOf(t, "GET /api/v1/admin after the collision", adminReq(t, ts, http.MethodGet, "/api/v1/admin", "", nil))

			// The reload changes the schedule, not the adjustments: it
			// answers with their revision too.
			r := adminReq(t, ts, http.MethodPost, "/api/v1/reload", "", nil)
			if r.status != http.StatusOK {
				t.Fatalf("reload: %d %s", r.status, r.body)
			}
			if got := revisionOf(t, "reload", r); got != rev {
				t.Errorf("reload: ETag %d, want %d", got, rev)
			}
			checkAPIError(t, adminReq(t, ts, http.MethodPost, "/api/v1/reload", "", map[string]string{"If-Match": "nope"}), http.StatusBadRequest, "bad_if_match")
		})
	}
}

// TestStateFileKeepsRevision: a single instance's revision goes on from
// where it was after a restart (an If-Match from before must not match a
// different state), and a state file written before revisions were kept
// is read as revision 0.
func TestStateFileKeepsRevision(t *testing.T) {
	sc := loadDay(t, "day.yaml")
	path := filepath.Join(t.TempDir(), "state.json")
	old := `{"version": 1, "adjustments": {"announcements": [{"id": "old1", "text": "Kept", "created": "` +
		testNow.Add(-time.Minute).UTC().Format(time.RFC3339) + `"}]}}`
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startServer(t, Config{Schedule: sc, StatePath: path, AdminToken: adminToken})
	if got := revisionOf(t, "old file", adminReq(t, a, http.MethodGet, "/api/v1/admin", "", nil)); got != 0 {
		t.Errorf("a state file without a revision: ETag %d, want 0", got)
	}
	if got := stateAnnouncements(t, a); len(got) != 1 || got[0] != "old1" {
		t.Errorf("announcements of the old file: %v, want [old1]", got)
	}
	a.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 3}`, http.StatusOK)
	r := adminReq(t, a, http.MethodPost, "/api/v1/tracks/side/delay", `{"minutes": 2}`, map[string]string{"If-Match": `"1"`})
	last := revisionOf(t, "second write", r)
	if r.status != http.StatusOK || last != 2 {
		t.Fatalf("second write: %d %s, ETag %d, want 200 and 2", r.status, r.body, last)
	}
	if sf := readStateFile(t, path); sf.Revision != last {
		t.Errorf("state file revision %d, want %d", sf.Revision, last)
	}

	b := startServer(t, Config{Schedule: sc, StatePath: path, AdminToken: adminToken})
	if got := revisionOf(t, "after the restart", adminReq(t, b, http.MethodGet, "/api/v1/admin", "", nil)); got != last {
		t.Errorf("after a restart: ETag %d, want %d", got, last)
	}
	r = adminReq(t, b, http.MethodPost, "/api/v1/announcements", `{"text": "Late"}`, map[string]string{"If-Match": `"1"`})
	checkAPIError(t, r, http.StatusConflict, "conflict")
}
