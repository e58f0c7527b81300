package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
)

// timingOfSession finds a session in a schedule document or a timing answer.
func timingOfSession(t *testing.T, sessions []sessionDoc, id string) sessionDoc {
	t.Helper()
	for _, s := range sessions {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no session %q", id)
	return sessionDoc{}
}

func decodeTiming(t *testing.T, body []byte) trackTimingDoc {
	t.Helper()
	var d trackTimingDoc
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("timing answer %s: %v", body, err)
	}
	return d
}

// TestLiveTimingAPI: started, ended and delay on main of the test day at
// 09:40 (tail-latency runs 09:30-10:00, then the coffee break until
// 10:30), each answering the track's timing, and the state and schedule
// documents agreeing with it.
func TestLiveTimingAPI(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	at := func(hhmm string) time.Time {
		v, err := time.Parse("2006-01-02 15:04 -0700", "2026-10-06 "+hhmm+" +0200")
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}

	// Started at 09:40: tail-latency started 10 minutes late and keeps its
	// 30 minutes; the break absorbs the 10 (it still ends at 10:30).
	d := decodeTiming(t, ts.admin(t, http.MethodPost, "/api/v1/tracks/main/started", `{}`, http.StatusOK))
	if d.Track != "main" || d.Now == nil || d.Now.ID != "tail-latency" || d.Now.Live == nil || d.Now.Live.Started == nil || !d.Now.Live.Started.Equal(testNow) {
		t.Fatalf("started: answer now = %+v, want tail-latency started at 09:40", d.Now)
	}
	if got := d.Now.EstEnd; !got.Equal(at("10:10")) {
		t.Errorf("started: est_end %v, want 10:10", got)
	}
	if brk := timingOfSession(t, d.Sessions, "coffee"); !brk.EstStart.Equal(at("10:10")) || !brk.EstEnd.Equal(at("10:30")) {
		t.Errorf("started: coffee estimated %v-%v, want 10:10-10:30", brk.EstStart, brk.EstEnd)
	}
	if len(d.Sessions) != 3 {
		t.Errorf("started: %d sessions in the answer, want main's 3", len(d.Sessions))
	}

	// A quarter of an hour later, ended: tail-latency leaves "now" at once,
	// and the break does not start before its scheduled 10:00.
	ts.clock.Set(testNow.Add(15 * time.Minute))
	d = decodeTiming(t, ts.admin(t, http.MethodPost, "/api/v1/tracks/main/ended", ``, http.StatusOK))
	if d.Now != nil || d.Next == nil || d.Next.ID != "coffee" || !d.Next.EstStart.Equal(at("10:00")) {
		t.Fatalf("ended: now %+v next %+v, want nothing now and coffee next at 10:00", d.Now, d.Next)
	}
	st := stateDocOf(t, ts.get(t, "/api/v1/state?track=main"))
	if tr := st.Tracks[0]; tr.Now != nil || tr.Next == nil || tr.Next.ID != "coffee" || tr.Timing == "" {
		t.Errorf("state after ended: now %+v next %+v timing %q, want nothing now, coffee next, a timing", tr.Now, tr.Next, tr.Timing)
	}
	var sd scheduleDoc
	if err := json.Unmarshal(ts.get(t, "/api/v1/schedule"), &sd); err != nil {
		t.Fatal(err)
	}
	tl := timingOfSession(t, sd.Sessions, "tail-latency")
	if tl.Live == nil || tl.Live.Ended == nil || !tl.Live.Ended.Equal(testNow.Add(15*time.Minute)) || !tl.EstEnd.Equal(at("09:55")) {
		t.Errorf("schedule: tail-latency %+v (live %+v), want ended and estimated to end at 09:55", tl, tl.Live)
	}
	if sd.Timing["main"] != st.Tracks[0].Timing {
		t.Errorf("schedule timing %q, state timing %q: pages compare them, they must agree", sd.Timing["main"], st.Tracks[0].Timing)
	}

	// Nothing runs now: ended again is refused and says why.
	r := ts.do(t, http.MethodPost, "/api/v1/tracks/main/ended", adminToken, `{}`)
	checkAPIError(t, r, http.StatusConflict, "nothing_on_stage")

	// Any whole number of minutes up to 12 hours is a delay; it applies to
	// the next session when none runs.
	d = decodeTiming(t, ts.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 13}`, http.StatusOK))
	if d.DelayMinutes != 13 || d.Delay == nil || d.Delay.Session != "coffee" || d.Next == nil || !d.Next.EstStart.Equal(at("10:13")) || !d.Next.EstEnd.Equal(at("10:43")) {
		t.Errorf("delay 13: %+v next %+v, want coffee 10:13-10:43", d.Delay, d.Next)
	}
	// The delay's session is in the fingerprint: pages refetch when it moves.
	if got := stateDocOf(t, ts.get(t, "/api/v1/state?track=main")).Tracks[0].Timing; got == st.Tracks[0].Timing || !strings.HasSuffix(got, "/coffee") {
		t.Errorf("timing after the delay %q (before %q), want another one, naming coffee", got, st.Tracks[0].Timing)
	}
	ts.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 720}`, http.StatusOK)

	for _, c := range []struct{ name, path, body, code string }{
		{"started with a field", "/api/v1/tracks/main/started", `{"at": "now"}`, "bad_json"},
		{"ended with an array", "/api/v1/tracks/main/ended", `[]`, "bad_json"},
		{"delay over 12 hours", "/api/v1/tracks/main/delay", `{"minutes": 721}`, "bad_minutes"},
		{"started on an unknown track", "/api/v1/tracks/nope/started", `{}`, "unknown_track"},
	} {
		r := ts.do(t, http.MethodPost, c.path, adminToken, c.body)
		want := map[string]int{"bad_json": 400, "bad_minutes": 422, "unknown_track": 404}[c.code]
		checkAPIError(t, r, want, c.code)
	}
	// Without the token, nothing.
	checkAPIError(t, ts.do(t, http.MethodPost, "/api/v1/tracks/main/started", "", `{}`), http.StatusUnauthorized, "unauthorized")
}

// TestLiveTimingSurvivesKill: what was said on stage is in the state file
// before the answer, so a server killed with SIGKILL right after starts
// again with it.
func TestLiveTimingSurvivesKill(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	offset := resOffsetClock(testNow.Sub(time.Now()))
	child := resStartChild(t, "127.0.0.1:0", state, offset)
	base := "http://" + child.addr
	post := func(path, body string) trackTimingDoc {
		t.Helper()
		r := rawDo(t, base, http.MethodPost, path, body)
		if r.status != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, r.status, r.body)
		}
		return decodeTiming(t, r.body)
	}
	started := post("/api/v1/tracks/main/started", `{}`)
	post("/api/v1/tracks/side/delay", `{"minutes": 9}`)
	ended := post("/api/v1/tracks/main/ended", `{}`)
	child.kill()

	child = resStartChild(t, "127.0.0.1:0", state, offset)
	var sd scheduleDoc
	if err := json.Unmarshal(rawDo(t, "http://"+child.addr, http.MethodGet, "/api/v1/schedule", "").body, &sd); err != nil {
		t.Fatal(err)
	}
	tl := timingOfSession(t, sd.Sessions, "tail-latency")
	before := timingOfSession(t, ended.Sessions, "tail-latency")
	if tl.Live == nil || tl.Live.Started == nil || tl.Live.Ended == nil ||
		!tl.Live.Started.Equal(*started.Now.Live.Started) || !tl.Live.Ended.Equal(*before.Live.Ended) || !tl.EstEnd.Equal(before.EstEnd) {
		t.Errorf("after the kill: tail-latency %+v live %+v, want what was said before it: %+v", tl, tl.Live, before.Live)
	}
	if d := sd.Delays["side"]; d.Minutes != 9 || d.Session != "queues" {
		t.Errorf("after the kill: side's delay %+v, want 9 minutes on queues", d)
	}
}

// rawDo sends an admin request to a server that is not a testServer (a
// child process).
func rawDo(t *testing.T, base, method, path, body string) apiResponse {
	t.Helper()
	ts := &testServer{base: base}
	return ts.do(t, method, path, adminToken, body)
}

// TestClusterLiveTiming: started on one of three instances, ended on
// another, delay on the third: every instance's screens get the same
// state, and each instance answers the same schedule document.
func TestClusterLiveTiming(t *testing.T) {
	n := startTestNATS(t)
	a, _ := startClusterNode(t, n.url(), "a", "")
	b, _ := startClusterNode(t, n.url(), "b", "")
	c, _ := startClusterNode(t, n.url(), "c", "")
	waitReady(t, "ready", 10*time.Second, a, b, c)
	screens := []*client{
		a.dial(t, "screen on A", "track=main&view=screen"),
		b.dial(t, "screen on B", "track=main&view=screen"),
		c.dial(t, "screen on C", "track=main&view=screen"),
	}

	a.admin(t, http.MethodPost, "/api/v1/tracks/main/started", `{}`, http.StatusOK)
	for _, cl := range screens {
		waitMsg(t, cl, deliveryBound, "tail-latency started", func(m wsMsg, _ []byte) bool {
			if m.Type != "state" {
				return false
			}
			now := stateDocOf(t, m.State).Tracks[0].Now
			return now != nil && now.Live != nil && now.Live.Started != nil
		})
	}
	b.admin(t, http.MethodPost, "/api/v1/tracks/main/ended", `{}`, http.StatusOK)
	for _, cl := range screens {
		waitMsg(t, cl, deliveryBound, "tail-latency ended: nothing now", func(m wsMsg, _ []byte) bool {
			return m.Type == "state" && stateDocOf(t, m.State).Tracks[0].Now == nil
		})
	}
	c.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 11}`, http.StatusOK)
	for _, cl := range screens {
		waitMsg(t, cl, deliveryBound, "coffee 11 minutes late", func(m wsMsg, _ []byte) bool {
			if m.Type != "state" {
				return false
			}
			next := stateDocOf(t, m.State).Tracks[0].Next
			return next != nil && next.ID == "coffee" && next.DelayMinutes == 11
		})
	}
	var docs []string
	for _, ts := range []*testServer{a, b, c} {
		var sd scheduleDoc
		if err := json.Unmarshal(ts.get(t, "/api/v1/schedule"), &sd); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(struct {
			S []sessionDoc
			T map[string]string
		}{sd.Sessions, sd.Timing})
		docs = append(docs, string(b))
	}
	if docs[0] != docs[1] || docs[0] != docs[2] {
		t.Errorf("the instances answer different schedule documents:\n%s\n%s\n%s", docs[0], docs[1], docs[2])
	}
}

// TestLiveTimingStateFileChecked: the state file's live entries meet the
// same checks as the rest: one for a session that is not on its track, one
// that ends before it starts, one with nothing said are dropped with a
// warning; the sound one is served.
func TestLiveTimingStateFileChecked(t *testing.T) {
	started := testNow.Add(-5 * time.Minute).Format(time.RFC3339)
	file := `{"version": 1, "adjustments": {"announcements": [], "live": {
		"tail-latency": {"track": "main", "started": "` + started + `"},
		"queues": {"track": "main", "started": "` + started + `"},
		"coffee": {"track": "main", "started": "` + started + `", "ended": "` + testNow.Add(-time.Hour).Format(time.RFC3339) + `"},
		"panel": {"track": "side"},
		"ghost": {"track": "side", "started": "` + started + `"}
	}}}`
	state := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(state, []byte(file), 0o640); err != nil {
		t.Fatal(err)
	}
	var log testserver.LockedBuffer
	ts := startServer(t, Config{AdminToken: adminToken, StatePath: state, Logger: slog.New(slog.NewJSONHandler(&log, nil))})
	var sd scheduleDoc
	if err := json.Unmarshal(ts.get(t, "/api/v1/schedule"), &sd); err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, s := range sd.Sessions {
		if s.Live != nil {
			kept = append(kept, s.ID)
		}
	}
	if !slices.Equal(kept, []string{"tail-latency"}) {
		t.Errorf("sessions with live timing after the load: %v, want [tail-latency]", kept)
	}
	var dropped []string
	for _, r := range logRecords(t, log.String()) {
		if f, ok := r["field"].(string); ok {
			dropped = append(dropped, f)
		}
	}
	slices.Sort(dropped)
	want := []string{`adjustments.live."coffee"`, `adjustments.live."ghost"`, `adjustments.live."panel"`, `adjustments.live."queues"`}
	if !slices.Equal(dropped, want) {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
}
