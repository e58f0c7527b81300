package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The test day (testdata/day.yaml) seen at 09:40 in Berlin: "tail-latency"
// runs on main (coffee next), "queues" on side (panel next).
var testNow = time.Date(2026, 10, 6, 7, 40, 0, 0, time.UTC)

// testServer is a server on a real loopback listener.
type testServer struct {
	*Server
	base  string            // http://127.0.0.1:PORT
	ws    string            // ws://127.0.0.1:PORT/ws
	clock *testserver.Clock // stands still until the test moves it
	done  <-chan struct{}   // closed when Serve has returned
	run   *testserver.Running
}

// loadDay parses testdata/day.yaml (or another file under testdata).
func loadDay(t *testing.T, name string) *schedule.Schedule {
	t.Helper()
	sc, _, err := load.ParseFile(filepath.Join("testdata", name), schedule.Options{})
	if err != nil {
		t.Fatalf("parse testdata/%s: %v", name, err)
	}
	return sc
}

// startServer runs a server for cfg on 127.0.0.1:0 with the test day and
// clock unless cfg says otherwise, and shuts it down when the test ends.
func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	if cfg.Schedule == nil {
		cfg.Schedule = loadDay(t, "day.yaml")
	}
	clock, _ := cfg.Clock.(*testserver.Clock)
	if cfg.Clock == nil {
		clock = testserver.NewClock(testNow)
		cfg.Clock = clock
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return serveOn(t, srv, clock)
}

func serveOn(t *testing.T, srv *Server, clock *testserver.Clock) *testServer {
	t.Helper()
	run := testserver.Start(t, srv)
	return &testServer{Server: srv, clock: clock, done: run.Done(), run: run, base: run.Base, ws: run.WS}
}

// httpClient has a timeout so that a hung server fails the test instead of
// the whole run. It is no speed limit: under -race on a busy two-core
// machine a megabyte schedule's reload alone takes several seconds.
var httpClient = &http.Client{Timeout: 60 * time.Second}

type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with an optional JSON body and admin token.
func (ts *testServer) do(t *testing.T, method, path, token, body string) apiResponse {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return readResponse(t, resp)
}

func readResponse(t *testing.T, resp *http.Response) apiResponse {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return apiResponse{resp.StatusCode, resp.Header, b}
}

// get fetches path and fails the test unless it answers 200.
func (ts *testServer) get(t *testing.T, path string) []byte {
	t.Helper()
	r := ts.do(t, http.MethodGet, path, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET %s = %d %s, want 200", path, r.status, r.body)
	}
	return r.body
}

const adminToken = "s3cret-test-token"

// adminWSHeader offers tok the way the console's socket does (ws.go): as a
// subprotocol beside confdash.v1, never in the URL.
func adminWSHeader(tok string) http.Header {
	return http.Header{"Sec-WebSocket-Protocol": {"confdash.v1, bearer." + base64.RawURLEncoding.EncodeToString([]byte(tok))}}
}

// post sends an admin call and fails the test unless it answers want.
func (ts *testServer) admin(t *testing.T, method, path, body string, want int) []byte {
	t.Helper()
	r := ts.do(t, method, path, adminToken, body)
	if r.status != want {
		t.Fatalf("%s %s %s = %d %s, want %d", method, path, body, r.status, r.body, want)
	}
	return r.body
}

func (ts *testServer) announce(t *testing.T, text, track string) schedule.Announcement {
	t.Helper()
	body := mustJSON(map[string]string{"text": text, "track": track})
	var a schedule.Announcement
	if err := json.Unmarshal(ts.admin(t, http.MethodPost, "/api/v1/announcements", string(body), http.StatusCreated), &a); err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.Text != text || a.Track != track {
		t.Fatalf("posted announcement = %+v, want an id, text %q, track %q", a, text, track)
	}
	return a
}

// stateDocOf decodes a state document.
func stateDocOf(t *testing.T, b []byte) stateDoc {
	t.Helper()
	var d stateDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("state document %s: %v", b, err)
	}
	return d
}

func annIDs(anns []schedule.Announcement) []string {
	ids := []string{}
	for _, a := range anns {
		ids = append(ids, a.ID)
	}
	return ids
}

// wsMsg is any server message.
type wsMsg struct {
	Type            string                 `json:"type"`
	Protocol        int                    `json:"protocol"`
	ServerTimeMS    int64                  `json:"server_time_ms"`
	ScheduleVersion string                 `json:"schedule_version"`
	Assets          string                 `json:"assets"`
	State           json.RawMessage        `json:"state"`
	Action          string                 `json:"action"`
	ID              string                 `json:"id"`
	Announcement    *schedule.Announcement `json:"announcement"`
	ClientTimeMS    int64                  `json:"client_time_ms"`
	Total           int                    `json:"total"`
}

// client is a gorilla websocket client with the reads tests need.
type client struct {
	t    *testing.T
	name string
	c    *websocket.Conn
}

// dial opens a websocket with query (e.g. "track=main&view=screen") and
// reads hello and the first state.
func (ts *testServer) dial(t *testing.T, name, query string) *client {
	t.Helper()
	var h http.Header
	if strings.Contains(query, "view=admin") {
		h = adminWSHeader(adminToken) // as the console signs in (ws.go)
	}
	c, resp, err := websocket.DefaultDialer.Dial(ts.ws+"?"+query, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("%s: dial ?%s: %v (HTTP %d)", name, query, err, status)
	}
	t.Cleanup(func() { c.Close() })
	cl := &client{t: t, name: name, c: c}
	if m := cl.next(); m.Type != "hello" {
		t.Fatalf("%s: first message is %q, want hello", name, m.Type)
	}
	if m := cl.next(); m.Type != "state" {
		t.Fatalf("%s: second message is %q, want state", name, m.Type)
	}
	return cl
}

// readTimeout bounds every wait for a message: far above what a loopback
// round trip takes, so it only fires when a message is really missing.
const readTimeout = 5 * time.Second

// next returns the next message that is not a viewer count (those come at
// any time, whenever someone connects).
func (cl *client) next() wsMsg {
	cl.t.Helper()
	for {
		m, raw, err := cl.read(readTimeout)
		if err != nil {
			cl.t.Fatalf("%s: waiting for a message: %v", cl.name, err)
		}
		if m.Type == "" {
			cl.t.Fatalf("%s: message without a type: %s", cl.name, raw)
		}
		if m.Type != "viewers" {
			return m
		}
	}
}

func (cl *client) read(timeout time.Duration) (wsMsg, []byte, error) {
	cl.c.SetReadDeadline(time.Now().Add(timeout))
	mt, raw, err := cl.c.ReadMessage()
	if err != nil {
		return wsMsg{}, nil, err
	}
	if mt != websocket.TextMessage {
		return wsMsg{}, raw, fmt.Errorf("message type %d, want text", mt)
	}
	var m wsMsg
	if err := json.Unmarshal(raw, &m); err != nil {
		return wsMsg{}, raw, fmt.Errorf("message %s: %v", raw, err)
	}
	return m, raw, nil
}

// expectClose reads until the server closes the connection and returns the
// close code and reason.
func (cl *client) expectClose() (int, string) {
	cl.t.Helper()
	for {
		_, _, err := cl.read(readTimeout)
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			cl.t.Fatalf("%s: want a close frame, got %v", cl.name, err)
		}
		return ce.Code, ce.Text
	}
}

// waitTCPClosed waits until the server has closed the TCP connection, which
// fasthttp does when the websocket handler returns: by then the server has
// done everything it does for a closed client (metrics included).
func (cl *client) waitTCPClosed() {
	cl.t.Helper()
	nc := cl.c.NetConn()
	nc.SetReadDeadline(time.Now().Add(readTimeout))
	buf := make([]byte, 512)
	for {
		_, err := nc.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			cl.t.Fatalf("%s: the server did not close the TCP connection within %v", cl.name, readTimeout)
		}
		return // EOF or reset: closed
	}
}

// ping sends a ping and waits for its pong: a fence proving that the server's
// reader is running (so the connection is fully registered and counted).
func (cl *client) ping(clientTime int64) wsMsg {
	cl.t.Helper()
	if err := cl.c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"type":"ping","client_time_ms":%d}`, clientTime)); err != nil {
		cl.t.Fatalf("%s: send ping: %v", cl.name, err)
	}
	m := cl.next()
	if m.Type != "pong" {
		cl.t.Fatalf("%s: got %q, want pong", cl.name, m.Type)
	}
	return m
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("%s differs (-want +got; run go test -update if the change is intended):\n%s", path, diff)
	}
}

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// TestStateDocument pins the wire format of the state document (a golden
// file) and checks what it says at 09:40.
func TestStateDocument(t *testing.T) {
	ts := startServer(t, Config{})
	body := ts.get(t, "/api/v1/state")
	golden(t, "state.golden.json", indentJSON(t, body))

	d := stateDocOf(t, body)
	type nn struct{ Track, Now, Next string }
	var got []nn
	for _, tr := range d.Tracks {
		g := nn{Track: tr.ID}
		if tr.Now != nil {
			g.Now = tr.Now.ID
		}
		if tr.Next != nil {
			g.Next = tr.Next.ID
		}
		got = append(got, g)
	}
	want := []nn{{"main", "tail-latency", "coffee"}, {"side", "queues", "panel"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("now/next at 09:40 (-want +got):\n%s", diff)
	}

	// One track: only that track.
	d = stateDocOf(t, ts.get(t, "/api/v1/state?track=side"))
	if len(d.Tracks) != 1 || d.Tracks[0].ID != "side" {
		t.Fatalf("?track=side lists %+v, want only side", d.Tracks)
	}
	r := ts.do(t, http.MethodGet, "/api/v1/state?track=nope", "", "")
	checkAPIError(t, r, http.StatusNotFound, "unknown_track")
}

// TestDelayShiftsEstimates sets a 7-minute delay on main at 09:40: the
// running talk keeps its start and ends at 10:07, the coffee break after it
// starts 7 minutes late and absorbs them (it still ends at 10:30), and the
// side room is untouched.
func TestDelayShiftsEstimates(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	body := ts.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 7}`, http.StatusOK)
	var resp trackTimingDoc
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Track != "main" || resp.DelayMinutes != 7 || resp.Delay == nil || !resp.Delay.From.Equal(testNow) || resp.Delay.Session != "tail-latency" {
		t.Fatalf("delay answer = %s, want track main, 7 minutes, from %v", body, testNow)
	}

	at := func(hhmm string) time.Time {
		t.Helper()
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		v, err := time.ParseInLocation("2006-01-02 15:04", "2026-10-06 "+hhmm, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	type times struct {
		ID                           string
		Start, End, EstStart, EstEnd time.Time
		Delay                        int
	}
	of := func(s *sessionDoc) times {
		if s == nil {
			return times{}
		}
		return times{s.ID, s.Start, s.End, s.EstStart, s.EstEnd, s.DelayMinutes}
	}
	wantNow := times{"tail-latency", at("09:30"), at("10:00"), at("09:30"), at("10:07"), 7}
	wantNext := times{"coffee", at("10:00"), at("10:30"), at("10:07"), at("10:30"), 7}

	d := stateDocOf(t, ts.get(t, "/api/v1/state"))
	if got := d.Tracks[0]; got.ID != "main" || got.DelayMinutes != 7 {
		t.Fatalf("main in state: id %q delay %d, want main delayed 7", got.ID, got.DelayMinutes)
	}
	if diff := cmp.Diff(wantNow, of(d.Tracks[0].Now)); diff != "" {
		t.Errorf("state: main now (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantNext, of(d.Tracks[0].Next)); diff != "" {
		t.Errorf("state: main next (-want +got):\n%s", diff)
	}
	if got := of(d.Tracks[1].Now); got.Delay != 0 || !got.EstEnd.Equal(got.End) {
		t.Errorf("side now = %+v, want no delay", got)
	}

	var sd scheduleDoc
	if err := json.Unmarshal(ts.get(t, "/api/v1/schedule"), &sd); err != nil {
		t.Fatal(err)
	}
	byID := map[string]times{}
	for i := range sd.Sessions {
		byID[sd.Sessions[i].ID] = of(&sd.Sessions[i])
	}
	if diff := cmp.Diff(wantNow, byID["tail-latency"]); diff != "" {
		t.Errorf("schedule: tail-latency (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantNext, byID["coffee"]); diff != "" {
		t.Errorf("schedule: coffee (-want +got):\n%s", diff)
	}
	if got := byID["opening"]; got.Delay != 0 || !got.EstStart.Equal(got.Start) {
		t.Errorf("schedule: opening, which ended before the delay, = %+v, want unchanged", got)
	}
	if got, ok := sd.Delays["main"]; !ok || got.Minutes != 7 || !got.From.Equal(testNow) {
		t.Errorf("schedule: delays = %+v, want main: 7 from %v", sd.Delays, testNow)
	}

	// 0 clears it.
	ts.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 0}`, http.StatusOK)
	d = stateDocOf(t, ts.get(t, "/api/v1/state?track=main"))
	if got := of(d.Tracks[0].Now); got.Delay != 0 || !got.EstEnd.Equal(at("10:00")) {
		t.Errorf("after clearing: main now = %+v, want the scheduled times", got)
	}
}

// TestStateSurvivesAbruptStop posts an announcement and a delay, abandons
// the server without Shutdown (nothing gets a chance to flush), and starts a
// second server from the same state file.
func TestStateSurvivesAbruptStop(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	first := startServer(t, Config{AdminToken: adminToken, StatePath: state})
	a := first.announce(t, "Lunch is served in the atrium", "side")
	first.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 12}`, http.StatusOK)
	// No Shutdown of first until the test ends: the second server reads
	// what the first left on disk at this moment.
	second := startServer(t, Config{AdminToken: adminToken, StatePath: state})

	d := stateDocOf(t, second.get(t, "/api/v1/state"))
	if diff := cmp.Diff([]string{a.ID}, annIDs(d.Announcements)); diff != "" {
		t.Errorf("announcements after restart (-want +got):\n%s", diff)
	}
	if got := d.Announcements[0]; got.Text != a.Text || got.Track != "side" {
		t.Errorf("announcement after restart = %+v, want %+v", got, a)
	}
	if got := d.Tracks[0].DelayMinutes; got != 12 {
		t.Errorf("main delay after restart = %d, want 12", got)
	}
	// No temporary files are left beside the state file.
	entries, err := os.ReadDir(filepath.Dir(state))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("state directory holds %v, want only state.json", names)
	}
}

// TestDamagedStateFile: New refuses a damaged state file, names it, and
// keeps the damaged copy aside so nothing is lost.
func TestDamagedStateFile(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		restart       bool // start again after the refusal (once is enough)
	}{
		{"truncated", `{"version": 1, "adjustments": {"announcements": [{"id": "a`, true},
		{"future version", `{"version": 99, "adjustments": {}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(state, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			srv, err := New(Config{Schedule: loadDay(t, "day.yaml"), Clock: testserver.NewClock(testNow), StatePath: state})
			if err == nil {
				srv.Shutdown(context.Background())
				t.Fatal("New accepted a damaged state file")
			}
			if !strings.Contains(err.Error(), state) {
				t.Errorf("error %q does not name the file %s", err, state)
			}
			aside, _ := filepath.Glob(state + ".damaged-*")
			if len(aside) != 1 {
				t.Fatalf("damaged copies beside the state file: %v, want one", aside)
			}
			if !strings.Contains(err.Error(), aside[0]) {
				t.Errorf("error %q does not say where the damaged copy went (%s)", err, aside[0])
			}
			if b, err := os.ReadFile(aside[0]); err != nil || string(b) != tc.content {
				t.Errorf("damaged copy holds %q (%v), want the original content", b, err)
			}
			if !tc.restart {
				return
			}
			// Starting again continues without the saved adjustments.
			srv, err = New(Config{Schedule: loadDay(t, "day.yaml"), Clock: testserver.NewClock(testNow), StatePath: state})
			if err != nil {
				t.Fatalf("second start: %v", err)
			}
			srv.Shutdown(context.Background())
		})
	}
}

// TestReload: a broken file is refused with every error located and the
// running schedule stays; a good changed file replaces it and reaches
// connected clients.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "day.yaml")
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
	ts := startServer(t, Config{Schedule: sc, SchedulePath: path, AdminToken: adminToken})
	cl := ts.dial(t, "main screen", "track=main&view=screen")

	broken, err := os.ReadFile(filepath.Join("testdata", "broken.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	r := ts.do(t, http.MethodPost, "/api/v1/reload", adminToken, "")
	checkAPIError(t, r, http.StatusUnprocessableEntity, "invalid_schedule")
	var bad struct {
		Error struct {
			Details []schedule.Diagnostic `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &bad); err != nil {
		t.Fatal(err)
	}
	type loc struct {
		Line  int
		Field string
	}
	var got []loc
	for _, d := range bad.Error.Details {
		if d.File != path {
			t.Errorf("error %+v names file %q, want %q", d, d.File, path)
		}
		if d.Message == "" {
			t.Errorf("error %+v has no message", d)
		}
		got = append(got, loc{d.Line, d.Field})
	}
	// broken.yaml: the typo'd "speeker" on line 14, the unknown track on
	// line 16, the end before the start on line 24 (the field names are the
	// parser's paths; the lines and the count are what an organizer needs).
	wantLines := []int{14, 16, 24}
	if len(got) != len(wantLines) {
		t.Fatalf("reload errors = %+v, want one per mistake on lines %v", bad.Error.Details, wantLines)
	}
	for i, g := range got {
		if g.Line != wantLines[i] || g.Field == "" {
			t.Errorf("error %d at line %d field %q, want line %d and a field", i, g.Line, g.Field, wantLines[i])
		}
	}
	if v := stateDocOf(t, ts.get(t, "/api/v1/state")).ScheduleVersion; v != sc.Version {
		t.Fatalf("after a refused reload the version is %q, want the running %q", v, sc.Version)
	}

	// A good, changed file.
	changed := bytes.Replace(good, []byte("Chasing Tail Latency"), []byte("Chasing Tail Latency, Again"), 1)
	if err := os.WriteFile(path, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	var ok struct {
		Version string `json:"schedule_version"`
		Changed bool   `json:"changed"`
	}
	if err := json.Unmarshal(ts.admin(t, http.MethodPost, "/api/v1/reload", "", http.StatusOK), &ok); err != nil {
		t.Fatal(err)
	}
	if ok.Version == sc.Version || ok.Version == "" || !ok.Changed {
		t.Fatalf("reload answered version %q changed %v, want a new version (old %q)", ok.Version, ok.Changed, sc.Version)
	}
	m := cl.next()
	if m.Type != "state" {
		t.Fatalf("after reload the client got %q, want state", m.Type)
	}
	d := stateDocOf(t, m.State)
	if d.ScheduleVersion != ok.Version {
		t.Errorf("pushed state has version %q, want %q", d.ScheduleVersion, ok.Version)
	}
	if now := d.Tracks[0].Now; now == nil || now.Title != "Chasing Tail Latency, Again" {
		t.Errorf("pushed state shows now = %+v, want the new title", now)
	}
	if v := stateDocOf(t, ts.get(t, "/api/v1/state")).ScheduleVersion; v != ok.Version {
		t.Errorf("GET /api/v1/state version = %q, want %q", v, ok.Version)
	}
}

// TestEndpoints covers the plain HTTP surface: health, calendar, report,
// pages and assets.
func TestEndpoints(t *testing.T) {
	ts := startServer(t, Config{})

	t.Run("health", func(t *testing.T) {
		var h struct{ Status string }
		json.Unmarshal(ts.get(t, "/healthz"), &h)
		if h.Status != "ok" {
			t.Errorf("/healthz status = %q, want ok", h.Status)
		}
		var r struct {
			Status  string
			Version string `json:"schedule_version"`
		}
		json.Unmarshal(ts.get(t, "/readyz"), &r)
		if r.Status != "ready" || r.Version != ts.live.schedule().Version {
			t.Errorf("/readyz = %+v, want ready with version %q", r, ts.live.schedule().Version)
		}
	})

	t.Run("ics", func(t *testing.T) {
		r := ts.do(t, http.MethodGet, "/schedule.ics", "", "")
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/calendar") {
			t.Fatalf("/schedule.ics = %d %s", r.status, r.header.Get("Content-Type"))
		}
		events := checkICS(t, r.body)
		if got, want := len(events), len(ts.live.schedule().Sessions); got != want {
			t.Errorf("/schedule.ics has %d VEVENTs, want %d (one per session)", got, want)
		}
		events = checkICS(t, ts.get(t, "/schedule.ics?track=side"))
		if diff := cmp.Diff([]string{"Queues All the Way Down", "Panel on Percentiles"}, events); diff != "" {
			t.Errorf("/schedule.ics?track=side summaries (-want +got):\n%s", diff)
		}
		checkAPIError(t, ts.do(t, http.MethodGet, "/schedule.ics?track=nope", "", ""), http.StatusNotFound, "unknown_track")
	})

	t.Run("report", func(t *testing.T) {
		var rep struct {
			Sessions []reportRow `json:"sessions"`
		}
		if err := json.Unmarshal(ts.get(t, "/api/v1/report"), &rep); err != nil {
			t.Fatal(err)
		}
		if got, want := len(rep.Sessions), len(ts.live.schedule().Sessions); got != want {
			t.Fatalf("report has %d rows, want %d", got, want)
		}
		ids := map[string]bool{}
		for _, r := range rep.Sessions {
			ids[r.Session] = true
		}
		for _, s := range ts.live.schedule().Sessions {
			if !ids[s.ID] {
				t.Errorf("report lacks session %q", s.ID)
			}
		}
		r := ts.do(t, http.MethodGet, "/api/v1/report?format=csv", "", "")
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("report csv = %d %s", r.status, r.header.Get("Content-Type"))
		}
		lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
		if got, want := lines[0], "track,session,title,start,peak_viewers,viewer_minutes,delay_minutes"; got != want {
			t.Errorf("csv header = %q, want %q", got, want)
		}
		if got, want := len(lines), 1+len(ts.live.schedule().Sessions); got != want {
			t.Errorf("csv has %d lines, want %d", got, want)
		}
	})

	t.Run("pages", func(t *testing.T) {
		for _, p := range []string{"/", "/screen/main", "/overlay/side", "/admin"} {
			r := ts.do(t, http.MethodGet, p, "", "")
			if r.status != http.StatusOK {
				t.Errorf("GET %s = %d, want 200", p, r.status)
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("GET %s: Content-Security-Policy = %q", p, csp)
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Errorf("GET %s: Content-Type = %q", p, r.header.Get("Content-Type"))
			}
		}
		for _, p := range []string{"/screen/nope", "/overlay/nope"} {
			r := ts.do(t, http.MethodGet, p, "", "")
			if r.status != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", p, r.status)
			}
			// The page for a mistyped kiosk URL lists the real tracks.
			if !bytes.Contains(r.body, []byte("/screen/main")) && !bytes.Contains(r.body, []byte("/overlay/main")) {
				t.Errorf("GET %s does not list the tracks: %s", p, r.body)
			}
		}
		checkAPIError(t, ts.do(t, http.MethodGet, "/no/such/page", "", ""), http.StatusNotFound, "not_found")
	})

	t.Run("assets", func(t *testing.T) {
		v := ts.assets.version
		page := string(ts.get(t, "/"))
		if !strings.Contains(page, "/assets/"+v+"/") {
			t.Fatalf("the tab page does not link assets under /assets/%s/", v)
		}
		path := "/assets/" + v + "/app.css"
		req, _ := http.NewRequest(http.MethodGet, ts.base+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("Cache-Control = %q, want a year, immutable", cc)
		}
		etag := resp.Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		req.Header.Set("If-None-Match", etag)
		resp, err = httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("revalidation with If-None-Match %s = %d, want 304", etag, resp.StatusCode)
		}

		for _, p := range []string{
			"/assets/000000000000/app.css",
			"/assets/" + v + "/nope.css",
			"/assets/" + v + "/../pages/tab.html",
			"/assets/" + v + "/..%2fpages%2ftab.html",
			"/assets/" + v + "/%2e%2e/%2e%2e/go.mod",
			"/assets/" + v + "/../../../../etc/passwd",
			"/assets/" + v + "//etc/passwd",
		} {
			if r := rawGet(t, ts.base, p); r != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", p, r)
			}
		}
	})
}

// rawGet sends path exactly as written (no client-side cleaning) and
// returns the status.
func rawGet(t *testing.T, base, path string) int {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, readTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(readTimeout))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, u.Host)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// checkICS checks the calendar's frame and returns the SUMMARY of each
// VEVENT.
func checkICS(t *testing.T, b []byte) []string {
	t.Helper()
	text := string(b)
	if !strings.Contains(text, "\r\n") {
		t.Errorf("iCalendar lines must end in CRLF")
	}
	lines := strings.Split(strings.TrimRight(text, "\r\n"), "\r\n")
	if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Fatalf("not a calendar: first %q, last %q", lines[0], lines[len(lines)-1])
	}
	var summaries []string
	in := false
	for _, l := range lines {
		switch {
		case l == "BEGIN:VEVENT":
			if in {
				t.Fatal("nested VEVENT")
			}
			in = true
		case l == "END:VEVENT":
			in = false
		case in && strings.HasPrefix(l, "SUMMARY:"):
			summaries = append(summaries, strings.TrimPrefix(l, "SUMMARY:"))
		}
	}
	return summaries
}

// checkAPIError checks the one error shape: {"error": {"code", "message"}}.
func checkAPIError(t *testing.T, r apiResponse, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d (%s), want %d", r.status, r.body, status)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type = %q, want JSON", ct)
	}
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == nil {
		t.Fatalf("error body %s is not {\"error\": {...}} (%v)", r.body, err)
	}
	if e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("error = %+v, want code %q and a message", *e.Error, code)
	}
}
