package server

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
)

// fosdemSaturday is FOSDEM 2024 (the corpus) with the clock at 08:00 UTC on
// its Saturday, half an hour before the first session.
func fosdemServer(t *testing.T) *testServer {
	t.Helper()
	sc := corpusSchedule(t, "frab-fosdem-2024.xml")
	clock := testserver.NewClock(time.Date(2024, 2, 3, 8, 0, 0, 0, time.UTC))
	return startServer(t, Config{Schedule: sc, Clock: clock, AdminToken: adminToken})
}

// v2Client is a protocol version 2 page as a gorilla client: it keeps the
// state document as decoded JSON and applies deltas to it the way live.js
// does, resolving sessions by id in the schedule document.
type v2Client struct {
	*client
	query string // the state's GET query
	seq   uint64
	state map[string]any
	bytes int // every frame's payload since the first state
	// The tracks of its deltas as sent (sessions by id) and as they would
	// be with whole sessions: what naming sessions by id saves.
	refBytes, fullBytes int
}

type v2Frame struct {
	Type  string          `json:"type"`
	Seq   *uint64         `json:"seq"`
	Base  uint64          `json:"base"`
	State json.RawMessage `json:"state"`
}

func (ts *testServer) dialV2(t *testing.T, name, query, get string) *v2Client {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(ts.ws+"?proto=2&"+query, nil)
	if err != nil {
		t.Fatalf("%s: dial: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	v := &v2Client{client: &client{t: t, name: name, c: c}, query: get}
	if m := v.next(); m.Type != "hello" || m.Protocol != 2 {
		t.Fatalf("%s: first message %q protocol %d, want hello with protocol 2", name, m.Type, m.Protocol)
	}
	if f, _ := v.frame(); f.Type != "state" || f.Seq == nil {
		t.Fatalf("%s: second message %q (seq %v), want a state with its seq", name, f.Type, f.Seq)
	}
	return v
}

// frame reads the next frame that is not a viewer count, applying a state
// at once (a delta is the caller's to apply).
func (v *v2Client) frame() (v2Frame, []byte) {
	v.t.Helper()
	for {
		v.c.SetReadDeadline(time.Now().Add(readTimeout))
		_, raw, err := v.c.ReadMessage()
		if err != nil {
			v.t.Fatalf("%s: waiting for a frame: %v", v.name, err)
		}
		var f v2Frame
		if err := json.Unmarshal(raw, &f); err != nil {
			v.t.Fatalf("%s: frame %s: %v", v.name, raw, err)
		}
		if f.Type == "viewers" {
			continue
		}
		if f.Type == "state" {
			v.bytes += len(raw)
			v.seq = *f.Seq
			v.state = nil
			if err := json.Unmarshal(f.State, &v.state); err != nil {
				v.t.Fatal(err)
			}
		}
		return f, raw
	}
}

// apply applies delta raw to the client's state, resolving its sessions in
// the schedule document sched.
func (v *v2Client) apply(raw []byte, sched map[string]map[string]any) {
	v.t.Helper()
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		v.t.Fatal(err)
	}
	v.bytes += len(raw)
	v.seq = uint64(d["seq"].(float64))
	resolve := func(r any) any {
		ref, ok := r.(map[string]any)
		if !ok {
			return nil
		}
		s := map[string]any{}
		for k, x := range sched[ref["ref"].(string)] {
			s[k] = x
		}
		if len(s) == 0 {
			v.t.Fatalf("%s: session %q is not in the schedule document", v.name, ref["ref"])
		}
		for _, k := range []string{"delay_minutes", "change", "live"} {
			delete(s, k)
		}
		for k, x := range ref {
			if k != "ref" {
				s[k] = x
			}
		}
		return s
	}
	tracks, _ := v.state["tracks"].([]any)
	for _, x := range listOf(d["tracks"]) {
		td := x.(map[string]any)
		v.refBytes += len(mustJSON(td))
		td["now"], td["next"] = resolve(td["now"]), resolve(td["next"])
		v.fullBytes += len(mustJSON(td))
		found := false
		for i, y := range tracks {
			if y.(map[string]any)["id"] == td["id"] {
				tracks[i], found = td, true
			}
		}
		if !found {
			v.t.Fatalf("%s: delta changes track %v, which the state has not", v.name, td["id"])
		}
	}
	anns := listOf(v.state["announcements"])
	if all, ok := d["announcements"]; ok {
		anns = listOf(all)
	}
	removed := map[any]bool{}
	for _, id := range listOf(d["removed"]) {
		removed[id] = true
	}
	kept := []any{}
	for _, a := range anns {
		if !removed[a.(map[string]any)["id"]] {
			kept = append(kept, a)
		}
	}
	for _, a := range listOf(d["added"]) {
		replaced := false
		for i, b := range kept {
			if b.(map[string]any)["id"] == a.(map[string]any)["id"] {
				kept[i], replaced = a, true
			}
		}
		if !replaced {
			kept = append(kept, a)
		}
	}
	v.state["announcements"] = kept
	if p, ok := d["pending"]; ok {
		if len(listOf(p)) == 0 {
			delete(v.state, "pending")
		} else {
			v.state["pending"] = p
		}
	}
	v.state["next_change"] = d["next_change"]
}

func listOf(x any) []any {
	l, _ := x.([]any)
	return l
}

// check compares the client's state with GET /api/v1/state for its view.
func (v *v2Client) check(ts *testServer, when string) {
	v.t.Helper()
	var want map[string]any
	if err := json.Unmarshal(ts.get(v.t, "/api/v1/state?"+v.query), &want); err != nil {
		v.t.Fatal(err)
	}
	if diff := cmp.Diff(want, v.state); diff != "" {
		v.t.Fatalf("%s at %s: the state made from deltas differs from GET /api/v1/state?%s (-get +deltas):\n%s", v.name, when, v.query, diff)
	}
}

// schedSessions is the schedule document's sessions by id.
func (ts *testServer) schedSessions(t *testing.T) map[string]map[string]any {
	t.Helper()
	var doc struct {
		Sessions []map[string]any `json:"sessions"`
	}
	if err := json.Unmarshal(ts.get(t, "/api/v1/schedule"), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, s := range doc.Sessions {
		out[s["id"].(string)] = s
	}
	return out
}

func (ts *testServer) stateBytes(t *testing.T, query string) string {
	return string(ts.get(t, "/api/v1/state?"+query))
}

// TestDeltaFollowsDay follows FOSDEM 2024's Saturday on the stepping clock,
// from one change to the next, with version 2 pages (an all-tracks tab, a
// room screen) and a version 1 tab. At every step each v2
// page whose document changed gets exactly one frame, a delta on the seq it
// holds, and applying it gives GET /api/v1/state for its view; an
// announcement and a delay are one frame each too. The v1 tab gets today's
// frames: an announcement event, then the whole state.
func TestDeltaFollowsDay(t *testing.T) {
	ts := fosdemServer(t)
	sc := ts.live.schedule()
	room := sc.Tracks[0].ID
	pages := []*v2Client{
		ts.dialV2(t, "all-tracks tab", "", ""),
		ts.dialV2(t, "room screen", "view=screen&track="+room, "view=screen&track="+room),
	}
	v1 := ts.dial(t, "v1 tab", "")
	for _, p := range pages {
		p.check(ts, "the start")
	}
	before := map[*v2Client]string{}
	v1Bytes := 0
	var v1Frames []string // the v1 tab's frames of the last step
	// clocked: the change comes from the clock loop, after change returns;
	// else it is made when change returns (an admin call).
	step := func(when string, clocked bool, change func()) {
		t.Helper()
		for _, p := range pages {
			before[p] = ts.stateBytes(t, p.query)
		}
		change()
		// The all-tracks tab changes at every step (its next_change does):
		// once its frame is here the change is published, and GETs see it.
		for i, p := range pages {
			if (i > 0 || !clocked) && ts.stateBytes(t, p.query) == before[p] {
				continue // nothing changed for this view: no frame
			}
			f, raw := p.frame()
			if f.Type != "delta" {
				t.Fatalf("%s at %s: frame %q, want one delta: %.300s", p.name, when, f.Type, raw)
			}
			if f.Base != p.seq || *f.Seq <= f.Base {
				t.Fatalf("%s at %s: delta seq %d on base %d, holding %d: want it on the seq held, and later", p.name, when, *f.Seq, f.Base, p.seq)
			}
			p.apply(raw, ts.schedSessions(t))
			p.check(ts, when)
		}
		// The v1 tab: its whole state, byte for byte GET's.
		v1Frames = nil
		for ts.stateBytes(t, "") != before[pages[0]] {
			m, raw, err := v1.read(readTimeout)
			if err != nil {
				t.Fatalf("v1 tab at %s: %v", when, err)
			}
			v1Bytes += len(raw)
			if m.Type != "viewers" {
				v1Frames = append(v1Frames, m.Type)
			}
			if m.Type == "state" {
				if got, want := string(m.State), ts.stateBytes(t, ""); got != want {
					t.Fatalf("v1 tab at %s: its state is not GET's", when)
				}
				break
			}
		}
	}

	end := time.Date(2024, 2, 3, 23, 0, 0, 0, time.UTC)
	steps := 0
	for {
		st := stateDocOf(t, ts.get(t, "/api/v1/state"))
		if st.NextChange == nil || st.NextChange.After(end) {
			break
		}
		at := *st.NextChange
		step(at.Format(time.RFC3339), true, func() { ts.clock.Set(at); ts.wakeClock() })
		steps++
		switch steps {
		case 10: // an announcement and the state it changes: one frame
			step("an announcement", false, func() { ts.announce(t, "Lunch in the K building", "") })
			if diff := cmp.Diff([]string{"announcement", "state"}, v1Frames); diff != "" {
				t.Fatalf("v1 tab's frames for an announcement (-want +got):\n%s", diff)
			}
		case 20:
			step("a delay", false, func() {
				ts.admin(t, http.MethodPost, "/api/v1/tracks/"+room+"/delay", `{"minutes": 7}`, http.StatusOK)
			})
		case 30:
			step("a scheduled announcement", false, func() {
				ts.postAnnouncement(t, `{"text":"Keynote in Janson","starts_at":"`+at.Add(30*time.Minute).Format(time.RFC3339)+`"}`)
			})
		}
	}
	if steps < 50 {
		t.Fatalf("%d steps: the day should have about a hundred changes", steps)
	}
	t.Logf("%d changes; all-tracks tab: %d bytes over v2, %d over v1; its deltas' tracks: %d bytes with sessions by id, %d with whole sessions",
		steps, pages[0].bytes, v1Bytes, pages[0].refBytes, pages[0].fullBytes)
}

// TestDeltaGapResync: a version 2 page that missed a delta sees the gap (the
// next one is on a seq it does not hold), asks with resync, and gets the full
// state, from which the following deltas apply again. A version 1 page that
// sends resync is not understood.
func TestDeltaGapResync(t *testing.T) {
	ts := fosdemServer(t)
	p := ts.dialV2(t, "tab", "", "")
	next := func() {
		st := stateDocOf(t, ts.get(t, "/api/v1/state"))
		ts.clock.Set(*st.NextChange)
		ts.wakeClock()
	}
	next()
	if f, _ := p.frame(); f.Type != "delta" {
		t.Fatalf("first change: %q, want a delta", f.Type)
	}
	// Dropped: the page holds the seq before it.
	next()
	f, raw := p.frame()
	if f.Type != "delta" || f.Base == p.seq {
		t.Fatalf("second change: %q on base %d, want a delta on a seq the page does not hold (%d)", f.Type, f.Base, p.seq)
	}
	if err := p.c.WriteMessage(websocket.TextMessage, []byte(`{"type":"resync"}`)); err != nil {
		t.Fatal(err)
	}
	f, raw = p.frame()
	if f.Type != "state" || *f.Seq < 2 {
		t.Fatalf("after resync: %.200s, want the full state with the seq of the last change", raw)
	}
	p.check(ts, "the resync")
	next()
	f, raw = p.frame()
	if f.Type != "delta" || f.Base != p.seq {
		t.Fatalf("after the resync: %.200s, want a delta on seq %d", raw, p.seq)
	}
	p.apply(raw, ts.schedSessions(t))
	p.check(ts, "the change after the resync")

	v1 := ts.dial(t, "v1 tab", "")
	if err := v1.c.WriteMessage(websocket.TextMessage, []byte(`{"type":"resync"}`)); err != nil {
		t.Fatal(err)
	}
	if code, _ := v1.expectClose(); code != websocket.ClosePolicyViolation {
		t.Fatalf("v1 tab sent resync: closed with %d, want 1008", code)
	}
}

// TestDeltaBadProto: a protocol the server does not speak is a 400 saying
// which it does.
func TestDeltaBadProto(t *testing.T) {
	ts := startServer(t, Config{})
	_, resp, err := websocket.DefaultDialer.Dial(ts.ws+"?proto=3", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("proto=3: %v, want a 400", err)
	}
}
