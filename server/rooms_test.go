package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule"
	"github.com/google/go-cmp/cmp"
)

// roomsV1 is a day in three rooms at testNow (09:40 in Berlin): Room A and
// Room B both run a Go talk, Room C a Rust one. A and B carry the source's
// room GUIDs.
const roomsV1 = `name: Rooms
timezone: Europe/Berlin
tracks:
  - {id: room-a, name: Room A, guid: 6f1c-a}
  - {id: room-b, name: Room B, guid: 6f1c-b}
  - {id: room-c, name: Room C}
sessions:
  - {id: s1, track: room-a, title: Go at scale, start: 2026-10-06 09:00, end: 2026-10-06 10:00, tags: [go]}
  - {id: s2, track: room-b, title: Go tooling, start: 2026-10-06 09:00, end: 2026-10-06 10:00, tags: [go, tools]}
  - {id: s3, track: room-c, title: Rust in prod, start: 2026-10-06 09:00, end: 2026-10-06 10:00, tags: [rust]}
`

// roomsV2 renames Room A to Auditorium (same GUID, so a new slug) and
// removes Room C.
const roomsV2 = `name: Rooms
timezone: Europe/Berlin
tracks:
  - {id: auditorium, name: Auditorium, guid: 6f1c-a}
  - {id: room-b, name: Room B, guid: 6f1c-b}
sessions:
  - {id: s1, track: auditorium, title: Go at scale, start: 2026-10-06 09:00, end: 2026-10-06 10:00, tags: [go]}
  - {id: s2, track: room-b, title: Go tooling, start: 2026-10-06 09:00, end: 2026-10-06 10:00, tags: [go, tools]}
`

// roomState is the part of a state document's track the rooms tests read.
type roomState struct {
	ID           string `json:"id"`
	DelayMinutes int    `json:"delay_minutes"`
	Now          *struct {
		Live *struct {
			Started *time.Time `json:"started"`
		} `json:"live"`
	} `json:"now"`
	Status *struct {
		Status      string     `json:"status"`
		Note        string     `json:"note"`
		MovedTo     string     `json:"moved_to"`
		MovedToName string     `json:"moved_to_name"`
		Since       time.Time  `json:"since"`
		Suggestions []trackRef `json:"suggestions"`
	} `json:"status"`
}

func roomsOf(t *testing.T, doc []byte) (version string, tracks []roomState) {
	t.Helper()
	if len(doc) == 0 { // not a state message
		return "", nil
	}
	var d struct {
		Version string      `json:"schedule_version"`
		Tracks  []roomState `json:"tracks"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("state document %s: %v", doc, err)
	}
	return d.Version, d.Tracks
}

func roomByID(tracks []roomState, id string) *roomState {
	for i := range tracks {
		if tracks[i].ID == id {
			return &tracks[i]
		}
	}
	return nil
}

func TestRoomStatus(t *testing.T) {
	sc, _ := parseTestSchedule(t, roomsV1)
	state := filepath.Join(t.TempDir(), "state.json")
	ts := startServer(t, Config{Schedule: sc, AdminToken: adminToken, StatePath: state})
	screen := ts.dial(t, "screen of room A", "track=room-a&view=screen")

	body := ts.admin(t, http.MethodPost, "/api/v1/tracks/room-a/status", `{"status": "full", "note": "Overflow seating\nin Room B"}`, http.StatusOK)
	var answer map[string]any
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatal(err)
	}
	if answer["status"] != "full" || answer["note"] != "Overflow seating in Room B" || answer["since"] != testNow.Format(time.RFC3339) {
		t.Errorf("answer = %s, want status full, the note on one line, since %s", body, testNow.Format(time.RFC3339))
	}

	// The room's screen gets it at once, with Room B (also Go now) as
	// the suggestion, and Room C (Rust) not.
	m, _ := waitMsg(t, screen, readTimeout, "state with room A full", func(m wsMsg, _ []byte) bool {
		_, tr := roomsOf(t, m.State)
		return m.Type == "state" && len(tr) == 1 && tr[0].Status != nil
	})
	_, tr := roomsOf(t, m.State)
	if got, want := tr[0].Status.Suggestions, []trackRef{{ID: "room-b", Name: "Room B"}}; !cmp.Equal(got, want) {
		t.Errorf("suggestions = %v, want %v", got, want)
	}
	// The whole conference's state (lobby, tab) and the schedule document
	// show it too; open rooms have no status.
	_, all := roomsOf(t, ts.get(t, "/api/v1/state"))
	if a, b := roomByID(all, "room-a"), roomByID(all, "room-b"); a.Status == nil || a.Status.Status != "full" || b.Status != nil {
		t.Errorf("state: room-a %+v, room-b %+v; want room-a full and room-b without status", a.Status, b.Status)
	}
	var sched struct {
		Tracks []struct {
			ID     string               `json:"id"`
			Status *schedule.RoomStatus `json:"status"`
		} `json:"tracks"`
	}
	if err := json.Unmarshal(ts.get(t, "/api/v1/schedule"), &sched); err != nil {
		t.Fatal(err)
	}
	if s := sched.Tracks[0].Status; s == nil || s.Status != schedule.StatusFull || sched.Tracks[1].Status != nil {
		t.Errorf("schedule document tracks = %+v, want room-a full, room-b open", sched.Tracks)
	}

	// Moved names the room it moved to.
	ts.admin(t, http.MethodPost, "/api/v1/tracks/room-c/status", `{"status": "moved", "moved_to": "room-b", "note": "Projector broken"}`, http.StatusOK)
	_, all = roomsOf(t, ts.get(t, "/api/v1/state"))
	if c := roomByID(all, "room-c").Status; c == nil || c.MovedTo != "room-b" || c.MovedToName != "Room B" || c.Note != "Projector broken" {
		t.Errorf("room-c status = %+v, want moved to room-b (Room B) with its note", c)
	}

	// Survives an abrupt stop: a second server reads the state file.
	second := startServer(t, Config{Schedule: sc, AdminToken: adminToken, StatePath: state})
	_, all = roomsOf(t, second.get(t, "/api/v1/state"))
	if a, c := roomByID(all, "room-a").Status, roomByID(all, "room-c").Status; a == nil || a.Status != "full" || !a.Since.Equal(testNow) || c == nil || c.MovedTo != "room-b" {
		t.Errorf("after restart: room-a %+v, room-c %+v; want full since %v, moved to room-b", a, c, testNow)
	}

	// Open clears it: the status is omitted again.
	ts.admin(t, http.MethodPost, "/api/v1/tracks/room-a/status", `{"status": "open"}`, http.StatusOK)
	if doc := ts.get(t, "/api/v1/state?track=room-a"); strings.Contains(string(doc), `"status"`) {
		t.Errorf("state of an open room = %s, want no status", doc)
	}
}

func TestRoomStatusValidation(t *testing.T) {
	sc, _ := parseTestSchedule(t, roomsV1)
	ts := startServer(t, Config{Schedule: sc, AdminToken: adminToken})
	long := strings.Repeat("x", maxStatusNoteRunes+1)
	tests := []struct {
		track, body string
		status      int
		code        string
	}{
		{"room-a", `{}`, 422, "bad_status"},
		{"room-a", `{"status": "crowded"}`, 422, "bad_status"},
		{"room-a", `{"status": "full", "note": "` + long + `"}`, 422, "note_too_long"},
		{"room-a", `{"status": "full", "note": "bell\u0007"}`, 422, "control_character"},
		{"room-a", `{"status": "full", "note": " \u200b "}`, 422, "no_visible_text"},
		{"room-a", `{"status": "open", "note": "why"}`, 422, "bad_note"},
		{"room-a", `{"status": "moved"}`, 422, "bad_moved_to"},
		{"room-a", `{"status": "full", "moved_to": "room-b"}`, 422, "bad_moved_to"},
		{"room-a", `{"status": "moved", "moved_to": "nowhere"}`, 422, "bad_moved_to"},
		{"room-a", `{"status": "moved", "moved_to": "room-a"}`, 422, "bad_moved_to"},
		{"room-a", `{"status": "full", "notes": "typo"}`, 400, "bad_json"},
		{"nowhere", `{"status": "full"}`, 404, "unknown_track"},
	}
	for _, tc := range tests {
		r := ts.do(t, http.MethodPost, "/api/v1/tracks/"+tc.track+"/status", adminToken, tc.body)
		checkAPIError(t, r, tc.status, tc.code)
	}
	// 140 characters are fine; nothing was changed by the refusals.
	ts.admin(t, http.MethodPost, "/api/v1/tracks/room-a/status", `{"status": "closed", "note": "`+long[1:]+`"}`, http.StatusOK)
	_, all := roomsOf(t, ts.get(t, "/api/v1/state"))
	if a, b := roomByID(all, "room-a").Status, roomByID(all, "room-b").Status; a == nil || a.Status != "closed" || b != nil {
		t.Errorf("after the refusals: room-a %+v, room-b %+v; want room-a closed only", a, b)
	}
}

// A room renamed in a live URL source (same GUID, new slug) keeps its open
// screens, its URLs and its delay and status; a removed room's live
// changes are listed in the reload's warnings and its screen is told.
func TestRoomRenameInLiveSource(t *testing.T) {
	origin := &fakeOrigin{}
	origin.set(roomsV1, http.StatusOK)
	web := httptest.NewServer(origin)
	defer web.Close()
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	src := &Source{Location: web.URL + "/schedule.yaml", CachePath: filepath.Join(dir, "cache")}
	sc, _, err := src.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clock := testserver.NewClock(testNow)
	srv, err := New(Config{Schedule: sc, Source: src, StatePath: state, AdminToken: adminToken, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ts := serveOn(t, srv, clock)
	ts.admin(t, http.MethodPost, "/api/v1/tracks/room-a/delay", `{"minutes": 7}`, http.StatusOK)
	ts.admin(t, http.MethodPost, "/api/v1/tracks/room-a/status", `{"status": "full"}`, http.StatusOK)
	ts.admin(t, http.MethodPost, "/api/v1/tracks/room-a/started", `{}`, http.StatusOK)
	ts.admin(t, http.MethodPost, "/api/v1/tracks/room-c/delay", `{"minutes": 5}`, http.StatusOK)
	ts.admin(t, http.MethodPost, "/api/v1/tracks/room-c/status", `{"status": "closed"}`, http.StatusOK)
	screenA := ts.dial(t, "screen of room A", "track=room-a&view=screen")
	screenC := ts.dial(t, "screen of room C", "track=room-c&view=screen")

	origin.set(roomsV2, http.StatusOK)
	var reload struct {
		Version  string                `json:"schedule_version"`
		Warnings []schedule.Diagnostic `json:"warnings"`
	}
	if err := json.Unmarshal(ts.admin(t, http.MethodPost, "/api/v1/reload", "", http.StatusOK), &reload); err != nil {
		t.Fatal(err)
	}
	var removed []string
	for _, w := range reload.Warnings {
		if strings.Contains(w.Message, `"room-c"`) {
			removed = append(removed, w.Message)
		}
	}
	if len(removed) != 1 || !strings.Contains(removed[0], "delay of 5 minutes") || !strings.Contains(removed[0], `status "closed"`) {
		t.Errorf("reload warnings about room-c = %q, want one naming its delay of 5 minutes and its status closed", removed)
	}

	// The screen opened as room-a now shows the Auditorium, 7 minutes
	// late and full, on the same socket.
	waitMsg(t, screenA, readTimeout, "state of the auditorium", func(m wsMsg, _ []byte) bool {
		if m.Type != "state" {
			return false
		}
		_, tr := roomsOf(t, m.State)
		return len(tr) == 1 && tr[0].ID == "auditorium" && tr[0].DelayMinutes == 7 && tr[0].Status != nil && tr[0].Status.Status == "full"
	})
	// Room C's screen gets the new version without its room.
	waitMsg(t, screenC, readTimeout, "state without room C", func(m wsMsg, _ []byte) bool {
		v, tr := roomsOf(t, m.State)
		return m.Type == "state" && v == reload.Version && len(tr) == 0
	})

	checkRoomURLs(t, ts)
	// kill -9: a server started on the state file and the new schedule
	// keeps the alias, the delay and the status.
	sc2, _ := parseTestSchedule(t, roomsV2)
	second := startServer(t, Config{Schedule: sc2, StatePath: state, AdminToken: adminToken})
	checkRoomURLs(t, second)
}

// checkRoomURLs checks a server running roomsV2 after the rename: the old
// id redirects and is accepted by the state and the websocket, and the
// auditorium kept room A's delay and status.
func checkRoomURLs(t *testing.T, ts *testServer) {
	t.Helper()
	noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{
		"/screen/room-a":         "/screen/auditorium",
		"/overlay/room-a?hold=5": "/overlay/auditorium?hold=5",
		"/screen/Room-B":         "/screen/room-b",
		"/screen/AUDITORIUM":     "/screen/auditorium",
	} {
		resp, err := noFollow.Get(ts.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
			t.Errorf("GET %s = %d to %q, want 302 to %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	if got := rawGet(t, ts.base, "/screen/room-c"); got != http.StatusNotFound {
		t.Errorf("GET /screen/room-c (removed) = %d, want 404", got)
	}
	_, tr := roomsOf(t, ts.get(t, "/api/v1/state?track=room-a"))
	if len(tr) != 1 || tr[0].ID != "auditorium" || tr[0].DelayMinutes != 7 || tr[0].Status == nil || tr[0].Status.Status != "full" {
		t.Errorf("state?track=room-a = %+v, want the auditorium, 7 minutes late, full", tr)
	}
	if len(tr) == 1 && (tr[0].Now == nil || tr[0].Now.Live == nil || tr[0].Now.Live.Started == nil || !tr[0].Now.Live.Started.Equal(testNow)) {
		t.Errorf("the auditorium's session now = %+v, want it started at %v (room A's live timing moved)", tr[0].Now, testNow)
	}
	cl := ts.dial(t, "screen opened as room-a", "track=room-a&view=screen")
	cl.c.Close()
	var doc struct {
		Aliases map[string]string `json:"aliases"`
	}
	if err := json.Unmarshal(ts.get(t, "/api/v1/schedule"), &doc); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"room-a": "auditorium"}; !cmp.Equal(doc.Aliases, want) {
		t.Errorf("schedule document aliases = %v, want %v", doc.Aliases, want)
	}
}

// Three instances on one NATS server: a status set on one reaches the
// screens of another, and the state of the third.
func TestRoomStatusInCluster(t *testing.T) {
	n := startTestNATS(t)
	a, _ := startClusterNode(t, n.url(), "a", "")
	b, _ := startClusterNode(t, n.url(), "b", "")
	c, _ := startClusterNode(t, n.url(), "c", "")
	waitReady(t, "ready", 10*time.Second, a, b, c)
	screen := a.dial(t, "screen on A", "track=main&view=screen")

	b.admin(t, http.MethodPost, "/api/v1/tracks/main/status", `{"status": "moved", "moved_to": "side", "note": "Main Hall flooded"}`, http.StatusOK)
	waitMsg(t, screen, deliveryBound, "state with main moved", func(m wsMsg, _ []byte) bool {
		_, tr := roomsOf(t, m.State)
		return m.Type == "state" && len(tr) == 1 && tr[0].Status != nil && tr[0].Status.MovedTo == "side"
	})
	if !testserver.Eventually(deliveryBound, func() bool {
		_, tr := roomsOf(t, c.get(t, "/api/v1/state"))
		s := roomByID(tr, "main").Status
		return s != nil && s.Status == "moved" && s.MovedToName == "Side Room"
	}) {
		t.Error("C's state does not show main moved to the Side Room")
	}
}

// A rename read by one instance of a cluster: every instance follows it
// (the schedule through NATS, the moved live changes through the store).
func TestRoomRenameInCluster(t *testing.T) {
	n := startTestNATS(t)
	node := func(id string) (*testServer, string) {
		sc, path := parseTestSchedule(t, roomsV1)
		return startServer(t, Config{
			Schedule: sc, SchedulePath: path, AdminToken: adminToken,
			Cluster: ClusterConfig{URL: n.url(), Bucket: "confdash-test", InstanceID: id},
		}), path
	}
	a, pathA := node("a")
	b, _ := node("b")
	c, _ := node("c")
	waitReady(t, "ready", 10*time.Second, a, b, c)
	c.admin(t, http.MethodPost, "/api/v1/tracks/room-a/delay", `{"minutes": 7}`, http.StatusOK)
	screen := b.dial(t, "screen of room A on B", "track=room-a&view=screen")

	if err := os.WriteFile(pathA, []byte(roomsV2), 0o644); err != nil {
		t.Fatal(err)
	}
	a.admin(t, http.MethodPost, "/api/v1/reload", "", http.StatusOK)
	waitMsg(t, screen, 5*deliveryBound, "state of the auditorium, 7 minutes late", func(m wsMsg, _ []byte) bool {
		_, tr := roomsOf(t, m.State)
		return m.Type == "state" && len(tr) == 1 && tr[0].ID == "auditorium" && tr[0].DelayMinutes == 7
	})
	if !testserver.Eventually(5*deliveryBound, func() bool {
		_, tr := roomsOf(t, c.get(t, "/api/v1/state?track=room-a"))
		return len(tr) == 1 && tr[0].ID == "auditorium" && tr[0].DelayMinutes == 7
	}) {
		t.Error("C does not answer state?track=room-a with the auditorium, 7 minutes late")
	}
	noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(c.base + "/screen/room-a")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/screen/auditorium" {
		t.Errorf("C: GET /screen/room-a = %d to %q, want 302 to /screen/auditorium", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// The state file's room entries go through the admin API's checks: a sound
// status and alias are kept, each unsound one is dropped alone.
func TestRoomEntriesOfStateFile(t *testing.T) {
	sc, _ := parseTestSchedule(t, roomsV1)
	state := filepath.Join(t.TempDir(), "state.json")
	since := testNow.Add(-time.Hour).Format(time.RFC3339)
	file := `{"version": 1, "revision": 4, "adjustments": {"announcements": [],
  "statuses": {
    "room-a": {"status": "full", "note": "Standing room only", "since": "` + since + `"},
    "room-b": {"status": "moved", "moved_to": "nowhere", "since": "` + since + `"},
    "room-c": {"status": "closed"},
    "ghost":  {"status": "closed", "since": "` + since + `"}
  },
  "aliases": {"hall-a": "room-a", "room-b": "room-c", "old-c": "nowhere"}}}`
	if err := os.WriteFile(state, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &testserver.LockedBuffer{}
	ts := startServer(t, Config{Schedule: sc, AdminToken: adminToken, StatePath: state, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	_, all := roomsOf(t, ts.get(t, "/api/v1/state"))
	if a := roomByID(all, "room-a").Status; a == nil || a.Status != "full" || a.Note != "Standing room only" {
		t.Errorf("room-a = %+v, want full with its note", a)
	}
	for _, id := range []string{"room-b", "room-c"} {
		if s := roomByID(all, id).Status; s != nil {
			t.Errorf("%s = %+v, want its unsound status dropped", id, s)
		}
	}
	for _, field := range []string{`adjustments.statuses.\"room-b\"`, `adjustments.statuses.\"room-c\"`, `adjustments.statuses.\"ghost\"`, `adjustments.aliases.\"room-b\"`, `adjustments.aliases.\"old-c\"`} {
		if !strings.Contains(logs.String(), field) {
			t.Errorf("no warning names %s; logs:\n%s", field, logs)
		}
	}
	_, tr := roomsOf(t, ts.get(t, "/api/v1/state?track=hall-a"))
	if len(tr) != 1 || tr[0].ID != "room-a" {
		t.Errorf("state?track=hall-a = %+v, want room-a (the kept alias)", tr)
	}
}
