package server

import (
	"encoding/json"
	"github.com/confdash/confdash/internal/testserver"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gorilla/websocket"
)

// postAnnouncement posts body (a JSON object) as an organizer and returns
// the announcement the server stored.
func (ts *testServer) postAnnouncement(t *testing.T, body string) schedule.Announcement {
	t.Helper()
	var a schedule.Announcement
	if err := json.Unmarshal(ts.admin(t, http.MethodPost, "/api/v1/announcements", body, http.StatusCreated), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// heardUntil reads cl's messages until the announcement event adding
// fence, and returns the ids of every announcement added on the way (fence
// last) and the state that follows the fence: the hub delivers a
// subscriber's messages in the order they were published, so an
// announcement posted before the fence and missing here never reached cl.
func heardUntil(t *testing.T, cl *client, fence string) ([]string, stateDoc) {
	t.Helper()
	var added []string
	for {
		m := cl.next()
		if m.Type != "announcement" || m.Action != "add" {
			continue
		}
		added = append(added, m.ID)
		if m.ID != fence {
			continue
		}
		for {
			if m := cl.next(); m.Type == "state" {
				return added, stateDocOf(t, m.State)
			}
		}
	}
}

// sortIDs compares lists of ids as sets: announcements posted in the same
// instant of the test clock are listed in id order.
var sortIDs = cmpopts.SortSlices(func(a, b string) bool { return a < b })

// TestAnnouncementAudience: each socket hears only the announcements whose
// audience names its view, and its state documents (and GET
// /api/v1/state?view=) list only those. A stage message reaches the stage
// and nobody else; the default audience leaves the overlay out.
func TestAnnouncementAudience(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	stage := ts.dial(t, "main stage", "view=stage&track=main")
	overlay := ts.dial(t, "main overlay", "view=overlay&track=main")
	tab := ts.dial(t, "tab", "view=tab")
	tabMain := ts.dial(t, "tab on main", "view=tab&track=main")
	room := ts.dial(t, "main room screen", "view=screen&track=main")
	lobby := ts.dial(t, "lobby", "view=screen")
	sideStage := ts.dial(t, "side stage", "view=stage&track=side")

	cue := ts.postAnnouncement(t, `{"text":"5 minutes","track":"main","audience":["stage"],"level":"urgent"}`)
	if diff := cmp.Diff([]string{"stage"}, cue.Audience); diff != "" || cue.Level != schedule.LevelUrgent {
		t.Fatalf("posted stage cue = %+v, want audience [stage], level urgent", cue)
	}
	def := ts.postAnnouncement(t, `{"text":"Lunch is served in the foyer"}`)
	if diff := cmp.Diff([]string{"room", "lobby", "tab"}, def.Audience); diff != "" || def.Level != schedule.LevelInfo {
		t.Fatalf("posted default announcement = %+v, want audience [room lobby tab], level info", def)
	}
	fence := ts.postAnnouncement(t, `{"text":"Fire alarm test at noon","audience":["room","lobby","stage","stream","tab"]}`)

	for _, tc := range []struct {
		cl    *client
		query string // the same view over GET /api/v1/state
		want  []string
	}{
		{stage, "view=stage&track=main", []string{cue.ID, fence.ID}},
		{overlay, "view=overlay&track=main", []string{fence.ID}},
		{tab, "view=tab", []string{def.ID, fence.ID}},
		{tabMain, "view=tab&track=main", []string{def.ID, fence.ID}},
		{room, "view=screen&track=main", []string{def.ID, fence.ID}},
		{lobby, "view=screen", []string{def.ID, fence.ID}},
		{sideStage, "view=stage&track=side", []string{fence.ID}},
	} {
		heard, st := heardUntil(t, tc.cl, fence.ID)
		if diff := cmp.Diff(tc.want, heard); diff != "" {
			t.Errorf("%s: announcements heard (-want +got):\n%s", tc.cl.name, diff)
		}
		if diff := cmp.Diff(tc.want, annIDs(st.Announcements), sortIDs); diff != "" {
			t.Errorf("%s: state document's announcements (-want +got):\n%s", tc.cl.name, diff)
		}
		if diff := cmp.Diff(tc.want, annIDs(stateDocOf(t, ts.get(t, "/api/v1/state?"+tc.query)).Announcements), sortIDs); diff != "" {
			t.Errorf("GET /api/v1/state?%s: announcements (-want +got):\n%s", tc.query, diff)
		}
	}
	// The console sees every announcement, whatever its audience.
	if diff := cmp.Diff([]string{cue.ID, def.ID, fence.ID}, annIDs(stateDocOf(t, ts.admin(t, "GET", "/api/v1/state?view=admin", "", 200)).Announcements), sortIDs); diff != "" {
		t.Errorf("console's state: announcements (-want +got):\n%s", diff)
	}

	// Taking the cue down tells the stage only.
	ts.admin(t, http.MethodDelete, "/api/v1/announcements/"+cue.ID, "", http.StatusNoContent)
	closing := ts.postAnnouncement(t, `{"text":"Doors close","track":"main","audience":["stage","stream"]}`)
	for _, cl := range []*client{stage, overlay} {
		var removed []string
		for {
			m := cl.next()
			if m.Type == "announcement" && m.Action == "remove" {
				removed = append(removed, m.ID)
			}
			if m.Type == "announcement" && m.ID == closing.ID {
				break
			}
		}
		want := []string{cue.ID}
		if cl == overlay {
			want = nil
		}
		if diff := cmp.Diff(want, removed); diff != "" {
			t.Errorf("%s: removals heard (-want +got):\n%s", cl.name, diff)
		}
	}
}

// TestScheduledAnnouncement: a message with a future starts_at is on no
// audience view before that instant (only the console lists it, as
// pending), and the state pushed at that instant shows it.
func TestScheduledAnnouncement(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	room := ts.dial(t, "main room screen", "view=screen&track=main")
	startsAt := testNow.Add(10 * time.Minute)
	a := ts.postAnnouncement(t, `{"text":"Q&A now","track":"main","ttl_seconds":300,"starts_at":"`+startsAt.Format(time.RFC3339)+`"}`)
	if a.StartsAt == nil || !a.StartsAt.Equal(startsAt) || a.Expires == nil || !a.Expires.Equal(startsAt.Add(5*time.Minute)) {
		t.Fatalf("posted = %+v, want starts_at %v and expires 5 minutes later", a, startsAt)
	}
	if got := annIDs(stateDocOf(t, ts.get(t, "/api/v1/state?view=screen&track=main")).Announcements); len(got) != 0 {
		t.Fatalf("before its start the room's state lists %v, want nothing", got)
	}
	console := stateDocOf(t, ts.admin(t, "GET", "/api/v1/state?view=admin", "", 200))
	if diff := cmp.Diff([]string{a.ID}, annIDs(console.Pending)); diff != "" || len(console.Announcements) != 0 {
		t.Fatalf("console before the start: showing %v, pending (-want +got):\n%s", annIDs(console.Announcements), diff)
	}
	if console.NextChange == nil || console.NextChange.After(startsAt) {
		t.Fatalf("console's next_change %v, want at or before the start %v", console.NextChange, startsAt)
	}

	// At the instant, the clock loop pushes the state that shows it; no
	// announcement event comes before it (a scheduled message must not reach
	// a view early, not even as an event a page would hold back).
	ts.clock.Set(startsAt)
	ts.wakeClock()
	for {
		m := room.next()
		if m.Type == "announcement" {
			t.Fatalf("the room screen got an announcement event %+v; a scheduled one comes with the state at its start", m)
		}
		if m.Type != "state" {
			continue
		}
		if got := annIDs(stateDocOf(t, m.State).Announcements); len(got) > 0 {
			if !cmp.Equal(got, []string{a.ID}) {
				t.Fatalf("room's state at the start lists %v, want %s", got, a.ID)
			}
			break
		}
	}
}

// TestAnnouncementAudienceRefused: what cannot be delivered is refused with
// what to send instead, and nothing is posted.
func TestAnnouncementAudienceRefused(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	for _, tc := range []struct{ body, code string }{
		{`{"text":"x","audience":["screen"]}`, "bad_audience"},
		{`{"text":"x","audience":[]}`, "bad_audience"},
		{`{"text":"x","level":"critical"}`, "bad_level"},
		{`{"text":"x","starts_at":"` + testNow.Add(-time.Hour).Format(time.RFC3339) + `"}`, "bad_starts_at"},
		{`{"text":"x","starts_at":"` + testNow.Add(8*24*time.Hour).Format(time.RFC3339) + `"}`, "bad_starts_at"},
		{`{"text":"x","starts_at":"noon"}`, "bad_json"},
	} {
		r := ts.do(t, http.MethodPost, "/api/v1/announcements", adminToken, tc.body)
		status := http.StatusUnprocessableEntity
		if tc.code == "bad_json" {
			status = http.StatusBadRequest
		}
		checkAPIError(t, r, status, tc.code)
	}
	if got := annIDs(stateDocOf(t, ts.admin(t, "GET", "/api/v1/state?view=admin", "", 200)).Announcements); len(got) != 0 {
		t.Errorf("after refused posts the console lists %v, want nothing", got)
	}
	// A stage is one track's.
	checkAPIError(t, ts.do(t, http.MethodGet, "/api/v1/state?view=stage", "", ""), http.StatusBadRequest, "track_required")
	checkAPIError(t, ts.do(t, http.MethodGet, "/api/v1/state?view=bogus", "", ""), http.StatusBadRequest, "bad_view")
	_, resp, err := websocket.DefaultDialer.Dial(ts.ws+"?view=stage", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("dial ?view=stage without a track: %v, want HTTP 400", err)
	}
}

// TestAnnouncementAudienceSurvivesRestart: audience, level and starts_at
// are in the state file; a second server (the first abandoned, as by
// kill -9) delivers by them.
func TestAnnouncementAudienceSurvivesRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	first := startServer(t, Config{AdminToken: adminToken, StatePath: state})
	cue := first.postAnnouncement(t, `{"text":"Wrap up","track":"main","audience":["stage"],"level":"urgent"}`)
	later := first.postAnnouncement(t, `{"text":"Evacuate","level":"emergency","audience":["room","lobby"],"starts_at":"`+testNow.Add(time.Hour).Format(time.RFC3339)+`"}`)

	second := startServer(t, Config{AdminToken: adminToken, StatePath: state})
	console := stateDocOf(t, second.admin(t, "GET", "/api/v1/state?view=admin", "", 200))
	if diff := cmp.Diff([]schedule.Announcement{cue}, console.Announcements); diff != "" {
		t.Errorf("shown after the restart (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]schedule.Announcement{later}, console.Pending); diff != "" {
		t.Errorf("pending after the restart (-want +got):\n%s", diff)
	}
	if got := annIDs(stateDocOf(t, second.get(t, "/api/v1/state?view=stage&track=main")).Announcements); !cmp.Equal(got, []string{cue.ID}) {
		t.Errorf("stage after the restart lists %v, want the cue", got)
	}
	if got := annIDs(stateDocOf(t, second.get(t, "/api/v1/state?view=tab&track=main")).Announcements); len(got) != 0 {
		t.Errorf("tab after the restart lists %v, want nothing", got)
	}
}

// TestClusterAnnouncementAudience: in a cluster of three, a stage message
// posted on one instance reaches a stage socket on another, and not an
// overlay or a tab on the third.
func TestClusterAnnouncementAudience(t *testing.T) {
	n := startTestNATS(t)
	a, _ := startClusterNode(t, n.url(), "a", "")
	b, _ := startClusterNode(t, n.url(), "b", "")
	c, _ := startClusterNode(t, n.url(), "c", "")
	waitReady(t, "ready", 10*time.Second, a, b, c)
	stage := b.dial(t, "stage on B", "view=stage&track=main")
	overlay := c.dial(t, "overlay on C", "view=overlay&track=main")
	tab := c.dial(t, "tab on C", "view=tab")

	cue := a.postAnnouncement(t, `{"text":"Q&A now","track":"main","audience":["stage"]}`)
	waitMsg(t, stage, deliveryBound, "the stage cue", isAnnouncement("add", cue.ID))
	// The fence: posted after the cue, so a cue that leaked would come first.
	fence := a.postAnnouncement(t, `{"text":"Welcome","audience":["stream","tab"]}`)
	for _, cl := range []*client{overlay, tab} {
		m, _ := waitMsg(t, cl, deliveryBound, "an announcement", func(m wsMsg, _ []byte) bool { return m.Type == "announcement" })
		if m.ID != fence.ID {
			t.Errorf("%s: first announcement %s, want the fence %s (the stage cue leaked)", cl.name, m.ID, fence.ID)
		}
	}
	// Each instance applies the fence when its watch delivers it: wait for
	// that, then the overlay's document must hold the fence and nothing else.
	for _, ts := range []*testServer{a, b, c} {
		var got []string
		testserver.Eventually(deliveryBound, func() bool {
			got = annIDs(stateDocOf(t, ts.get(t, "/api/v1/state?view=overlay&track=main")).Announcements)
			return len(got) > 0
		})
		if !cmp.Equal(got, []string{fence.ID}) {
			t.Errorf("%s: overlay's state lists %v, want only the fence", ts.base, got)
		}
	}
}

// TestStateFileAudienceChecked: the state file's announcements meet the
// admin API's checks of audience, level and starts_at at start-up; one
// written before audiences existed is read with the default audience.
func TestStateFileAudienceChecked(t *testing.T) {
	created := testNow.Add(-time.Hour)
	ann := func(id string, extra map[string]any) string {
		m := map[string]any{"id": id, "text": "Hello " + id, "created": created}
		for k, v := range extra {
			m[k] = v
		}
		return string(mustJSON(m))
	}
	file := `{"version": 1, "adjustments": {"announcements": [
		` + ann("old", nil) + `,
		` + ann("screen", map[string]any{"audience": []string{"screen"}}) + `,
		` + ann("nobody", map[string]any{"audience": []string{}}) + `,
		` + ann("loud", map[string]any{"level": "critical"}) + `,
		` + ann("before", map[string]any{"starts_at": created.Add(-time.Minute)}) + `,
		` + ann("far", map[string]any{"starts_at": created.Add(8 * 24 * time.Hour)}) + `,
		` + ann("gone", map[string]any{"starts_at": testNow.Add(time.Hour), "expires": testNow.Add(30 * time.Minute)}) + `,
		` + ann("cue", map[string]any{"audience": []string{"stage"}, "level": "urgent", "track": "main"}) + `
	]}}`
	state := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(state, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{AdminToken: adminToken, StatePath: state, Logger: slog.New(slog.DiscardHandler)})
	got := stateDocOf(t, ts.admin(t, "GET", "/api/v1/state?view=admin", "", 200)).Announcements
	want := []schedule.Announcement{
		{ID: "cue", Text: "Hello cue", Track: "main", Audience: []string{"stage"}, Level: schedule.LevelUrgent, Created: created},
		{ID: "old", Text: "Hello old", Audience: schedule.DefaultAudience(), Level: schedule.LevelInfo, Created: created},
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b schedule.Announcement) bool { return a.ID < b.ID })); diff != "" {
		t.Errorf("announcements kept (-want +got):\n%s", diff)
	}
}

// TestEncodeStatesSharesOnlyEqualDocuments: documents are shared between
// topics only when they are the same: with a single track, the lobby's
// document (whose next_change counts the announcement's expiry) is not the
// room's.
func TestEncodeStatesSharesOnlyEqualDocuments(t *testing.T) {
	sc := &schedule.Schedule{Version: "v1", Tracks: []schedule.Track{{ID: "only", Name: "Only"}}}
	adj, err := schedule.AddAnnouncement(schedule.Announcement{ID: "a", Text: "Lunch"}, time.Hour)(sc, schedule.Adjustments{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	docs := encodeStates(sc, adj, schedule.Compute(sc, adj, testNow), nil)
	lobby, room := stateDocOf(t, docs[classLobby]), stateDocOf(t, docs[topic(classRoom, "only")])
	if lobby.NextChange == nil || !lobby.NextChange.Equal(testNow.Add(time.Hour)) {
		t.Errorf("lobby's next_change %v, want the expiry %v", lobby.NextChange, testNow.Add(time.Hour))
	}
	if room.NextChange != nil {
		t.Errorf("room's next_change %v, want none (the track has no session)", room.NextChange)
	}
	if got := annIDs(room.Announcements); !cmp.Equal(got, []string{"a"}) {
		t.Errorf("room lists %v, want the announcement", got)
	}
}
