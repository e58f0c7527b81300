package server

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
)

// TestHelloThenState: the first message is hello, the second the state, and
// that state is byte for byte the document GET /api/v1/state serves.
func TestHelloThenState(t *testing.T) {
	ts := startServer(t, Config{})
	for _, tc := range []struct{ query, path string }{
		{"", "/api/v1/state"},
		{"view=screen&track=main", "/api/v1/state?track=main"},
		{"view=overlay&track=side", "/api/v1/state?track=side"},
	} {
		c, _, err := websocket.DefaultDialer.Dial(ts.ws+"?"+tc.query, nil)
		if err != nil {
			t.Fatalf("dial ?%s: %v", tc.query, err)
		}
		cl := &client{t: t, name: "?" + tc.query, c: c}
		hello := cl.next()
		if hello.Type != "hello" {
			t.Fatalf("%s: first message %q, want hello", cl.name, hello.Type)
		}
		state := cl.next()
		if state.Type != "state" {
			t.Fatalf("%s: second message %q, want state", cl.name, state.Type)
		}
		c.Close()

		if hello.Protocol != 1 {
			t.Errorf("%s: protocol %d, want 1", cl.name, hello.Protocol)
		}
		if got, want := hello.ServerTimeMS, testNow.UnixMilli(); got != want {
			t.Errorf("%s: server_time_ms %d, want the server clock's %d", cl.name, got, want)
		}
		if hello.Assets != ts.assets.version {
			t.Errorf("%s: assets %q, want %q", cl.name, hello.Assets, ts.assets.version)
		}
		doc := ts.get(t, tc.path)
		if got, want := hello.ScheduleVersion, stateDocOf(t, doc).ScheduleVersion; got != want || got == "" {
			t.Errorf("%s: hello schedule_version %q, want %q (the state's)", cl.name, got, want)
		}
		if !bytes.Equal(state.State, doc) {
			t.Errorf("%s: websocket state differs from GET %s:\n ws: %s\nget: %s", cl.name, tc.path, state.State, doc)
		}
	}

	// A page built with other assets is told to reload right after hello.
	c, _, err := websocket.DefaultDialer.Dial(ts.ws+"?v=0123456789ab", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl := &client{t: t, name: "stale tab", c: c}
	var got []string
	for range 3 {
		got = append(got, cl.next().Type)
	}
	if diff := cmp.Diff([]string{"hello", "reload", "state"}, got); diff != "" {
		t.Errorf("stale tab: messages (-want +got):\n%s", diff)
	}
}

// TestAnnouncementRouting: an announcement for track main reaches main's
// subscribers and the all-track ones, and nobody on side. A following
// announcement for everyone is the fence: side's first message after the
// main one must be that global one.
func TestAnnouncementRouting(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	mains := []*client{
		ts.dial(t, "main screen", "track=main&view=screen"),
		// No overlay: the default audience leaves the live stream out
		// (audience_test.go).
		ts.dial(t, "all tab", "view=tab"),
		ts.dial(t, "all tab 2", ""),
	}
	sides := []*client{
		ts.dial(t, "side screen", "track=side&view=screen"),
		ts.dial(t, "side tab", "track=side"),
	}

	a := ts.announce(t, "Main Hall doors close in 5 minutes", "main")
	for _, cl := range mains {
		m := cl.next()
		if m.Type != "announcement" || m.Action != "add" || m.ID != a.ID || m.Announcement == nil || m.Announcement.Text != a.Text {
			t.Fatalf("%s: got %+v, want the announcement %s", cl.name, m, a.ID)
		}
		m = cl.next()
		if m.Type != "state" {
			t.Fatalf("%s: after the announcement got %q, want state", cl.name, m.Type)
		}
		if diff := cmp.Diff([]string{a.ID}, annIDs(stateDocOf(t, m.State).Announcements)); diff != "" {
			t.Errorf("%s: state announcements (-want +got):\n%s", cl.name, diff)
		}
	}

	fence := ts.announce(t, "Welcome!", "")
	for _, cl := range sides {
		m := cl.next()
		if m.Type != "announcement" || m.ID != fence.ID {
			t.Fatalf("%s: got %q %s before the global announcement %s: a main-only message leaked", cl.name, m.Type, m.ID, fence.ID)
		}
		m = cl.next()
		if m.Type != "state" {
			t.Fatalf("%s: got %q, want state", cl.name, m.Type)
		}
		if diff := cmp.Diff([]string{fence.ID}, annIDs(stateDocOf(t, m.State).Announcements)); diff != "" {
			t.Errorf("%s: state announcements (-want +got):\n%s", cl.name, diff)
		}
	}
	for _, cl := range mains {
		if m := cl.next(); m.Type != "announcement" || m.ID != fence.ID {
			t.Fatalf("%s: got %q %s, want the global announcement", cl.name, m.Type, m.ID)
		}
		cl.next() // its state
	}
	if d := stateDocOf(t, ts.get(t, "/api/v1/state?track=side")); !cmp.Equal([]string{fence.ID}, annIDs(d.Announcements)) {
		t.Errorf("GET state?track=side lists %v, want only the global one", annIDs(d.Announcements))
	}

	// DELETE removes it: subscribers hear of it, the state no longer lists it.
	ts.admin(t, http.MethodDelete, "/api/v1/announcements/"+a.ID, "", http.StatusNoContent)
	for _, cl := range mains {
		m := cl.next()
		if m.Type != "announcement" || m.Action != "remove" || m.ID != a.ID {
			t.Fatalf("%s: got %+v, want the removal of %s", cl.name, m, a.ID)
		}
		if m = cl.next(); m.Type != "state" || len(stateDocOf(t, m.State).Announcements) != 1 {
			t.Fatalf("%s: after removal got %q %s, want a state with only the global announcement", cl.name, m.Type, m.State)
		}
	}
	d := stateDocOf(t, ts.get(t, "/api/v1/state"))
	if diff := cmp.Diff([]string{fence.ID}, annIDs(d.Announcements)); diff != "" {
		t.Errorf("state after DELETE (-want +got):\n%s", diff)
	}
	checkAPIError(t, ts.do(t, http.MethodDelete, "/api/v1/announcements/"+a.ID, adminToken, ""), http.StatusNotFound, "not_found")
}

// TestReconnectGetsSnapshot: a client that was away when an announcement
// was posted gets it in its first state on reconnecting.
func TestReconnectGetsSnapshot(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	cl := ts.dial(t, "screen", "track=main&view=screen")
	cl.c.Close()
	a := ts.announce(t, "Room change: the panel moves to Main Hall", "main")
	ts.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 5}`, http.StatusOK)

	c, _, err := websocket.DefaultDialer.Dial(ts.ws+"?track=main&view=screen", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl = &client{t: t, name: "screen again", c: c}
	if m := cl.next(); m.Type != "hello" {
		t.Fatalf("first message %q, want hello", m.Type)
	}
	m := cl.next()
	if m.Type != "state" {
		t.Fatalf("second message %q, want state", m.Type)
	}
	d := stateDocOf(t, m.State)
	if diff := cmp.Diff([]string{a.ID}, annIDs(d.Announcements)); diff != "" {
		t.Errorf("snapshot announcements (-want +got):\n%s", diff)
	}
	if d.Tracks[0].DelayMinutes != 5 {
		t.Errorf("snapshot delay = %d, want 5", d.Tracks[0].DelayMinutes)
	}
	if !bytes.Equal(m.State, ts.get(t, "/api/v1/state?track=main")) {
		t.Errorf("snapshot differs from GET /api/v1/state?track=main")
	}
}

// TestUpgradeRefusals: a foreign Origin is refused before the upgrade; the
// server's own origin, no Origin (non-browser clients) and a configured
// origin are accepted. Bad parameters are HTTP errors before the upgrade too.
func TestUpgradeRefusals(t *testing.T) {
	ts := startServer(t, Config{AllowedOrigins: []string{"https://stage.example.org"}})
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{ts.base, true},
		{"https://stage.example.org", true},
		{"https://STAGE.example.org", true},
		{"https://evil.example.com", false},
		{"http://127.0.0.1:1", false}, // same host, another port: another origin
		{"null", false},
		{"https://stage.example.org.evil.example.com", false},
	} {
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		c, resp, err := websocket.DefaultDialer.Dial(ts.ws, h)
		if tc.ok {
			if err != nil {
				t.Errorf("Origin %q refused: %v", tc.origin, err)
				continue
			}
			c.Close()
			continue
		}
		if err == nil {
			c.Close()
			t.Errorf("Origin %q accepted, want 403", tc.origin)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("Origin %q: %v, want HTTP 403", tc.origin, err)
		}
	}
	// Without AllowedOrigins, the stage origin is foreign too.
	plain := startServer(t, Config{})
	h := http.Header{"Origin": {"https://stage.example.org"}}
	if c, resp, err := websocket.DefaultDialer.Dial(plain.ws, h); err == nil {
		c.Close()
		t.Error("a server without allowed origins accepted https://stage.example.org")
	} else if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %v, want HTTP 403", err)
	}
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"track=nope", http.StatusNotFound},
		{"view=cinema", http.StatusBadRequest},
	} {
		c, resp, err := websocket.DefaultDialer.Dial(plain.ws+"?"+tc.query, nil)
		if err == nil {
			c.Close()
			t.Errorf("?%s accepted, want %d", tc.query, tc.status)
			continue
		}
		if resp == nil || resp.StatusCode != tc.status {
			t.Errorf("?%s: %v, want HTTP %d", tc.query, err, tc.status)
		}
	}
	checkAPIError(t, plain.do(t, http.MethodGet, "/ws", "", ""), http.StatusUpgradeRequired, "upgrade_required")
	// "*" allows every origin.
	star := startServer(t, Config{AllowedOrigins: []string{"*"}})
	if c, _, err := websocket.DefaultDialer.Dial(star.ws, http.Header{"Origin": {"https://evil.example.com"}}); err != nil {
		t.Errorf("with *, a foreign origin was refused: %v", err)
	} else {
		c.Close()
	}
}

// TestClientMessages: a ping gets a pong echoing the client's time; a message
// over 512 bytes gets 1009, anything not understood 1008.
func TestClientMessages(t *testing.T) {
	ts := startServer(t, Config{})

	t.Run("ping", func(t *testing.T) {
		cl := ts.dial(t, "tab", "")
		const clientTime = 1732550000123
		m := cl.ping(clientTime)
		if m.ClientTimeMS != clientTime {
			t.Errorf("pong client_time_ms = %d, want %d", m.ClientTimeMS, clientTime)
		}
		if m.ServerTimeMS != testNow.UnixMilli() {
			t.Errorf("pong server_time_ms = %d, want the server clock's %d", m.ServerTimeMS, testNow.UnixMilli())
		}
		cl.ping(clientTime + 1) // the connection stays open for more
	})

	for _, tc := range []struct {
		name string
		typ  int
		msg  string
		code int
	}{
		{"oversized", websocket.TextMessage, `{"type":"ping","client_time_ms":1,"pad":"` + strings.Repeat("x", 600) + `"}`, websocket.CloseMessageTooBig},
		{"513 bytes", websocket.TextMessage, strings.Repeat(" ", 513), websocket.CloseMessageTooBig},
		{"unknown type", websocket.TextMessage, `{"type":"subscribe","track":"main"}`, websocket.ClosePolicyViolation},
		{"ping without time", websocket.TextMessage, `{"type":"ping"}`, websocket.ClosePolicyViolation},
		{"not json", websocket.TextMessage, `hello?`, websocket.ClosePolicyViolation},
		{"binary", websocket.BinaryMessage, `{"type":"ping","client_time_ms":1}`, websocket.ClosePolicyViolation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := ts.dial(t, tc.name, "track=side")
			if err := cl.c.WriteMessage(tc.typ, []byte(tc.msg)); err != nil {
				t.Fatal(err)
			}
			code, reason := cl.expectClose()
			if code != tc.code || reason == "" {
				t.Errorf("close %d %q, want %d with a reason", code, reason, tc.code)
			}
		})
	}

	// 512 bytes exactly is still a message the server reads.
	t.Run("512 bytes", func(t *testing.T) {
		cl := ts.dial(t, "tab", "")
		msg := `{"type":"ping","client_time_ms":7}`
		msg += strings.Repeat(" ", 512-len(msg))
		if err := cl.c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if m := cl.next(); m.Type != "pong" || m.ClientTimeMS != 7 {
			t.Errorf("got %+v, want a pong", m)
		}
	})
}

// TestShutdownAsItStarts: a server shut down before or while Serve starts
// (a stop signal during start-up, a test that stops the server it just
// started) does not go on serving: Serve returns and the port is free.
// fasthttp's own shutdown closes only the listeners its Serve has taken.
func TestShutdownAsItStarts(t *testing.T) {
	sched := loadDay(t, "day.yaml")
	for i := range 20 {
		srv, err := New(Config{Schedule: sched, Clock: testserver.NewClock(testNow)})
		if err != nil {
			t.Fatal(err)
		}
		ln := testserver.Listen(t, "127.0.0.1:0")
		served := make(chan error, 1)
		shutdown := func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("round %d: Shutdown: %v", i, err)
			}
		}
		if i%2 == 0 { // before Serve
			shutdown()
			go func() { served <- srv.Serve(ln) }()
		} else { // racing it
			go func() { served <- srv.Serve(ln) }()
			shutdown()
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("round %d: Serve: %v", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Serve still serving 10 s after Shutdown", i)
		}
		if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
			c.Close()
			t.Fatalf("round %d: the port still accepts connections after Shutdown", i)
		}
	}
}

// TestShutdownClosesWebsockets: every websocket gets 1001 and Shutdown
// returns well within 5 s.
func TestShutdownClosesWebsockets(t *testing.T) {
	srv, err := New(Config{Schedule: loadDay(t, "day.yaml"), Clock: testserver.NewClock(testNow), AdminToken: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	ts := serveOn(t, srv, nil)
	var clients []*client
	for _, q := range []string{"", "track=main&view=screen", "track=side&view=overlay", "view=admin"} {
		clients = append(clients, ts.dial(t, "?"+q, q))
	}
	// A plain HTTP request is answered while shutting down or refused, never
	// cut: covered by Shutdown's contract; here the websockets.
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- srv.Shutdown(ctx) }()

	var wg sync.WaitGroup
	codes := make([]int, len(clients))
	for i, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, _, err := cl.read(readTimeout)
				if err != nil {
					if ce, ok := err.(*websocket.CloseError); ok {
						codes[i] = ce.Code
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := <-errc; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v, want under 5 s", d)
	}
	for i, code := range codes {
		if code != websocket.CloseGoingAway {
			t.Errorf("%s: close code %d, want 1001", clients[i].name, code)
		}
	}
	select {
	case <-ts.done:
		if ts.run.Err() != nil {
			t.Errorf("Serve returned %v after Shutdown", ts.run.Err())
		}
	case <-time.After(5 * time.Second):
		t.Error("Serve did not return after Shutdown")
	}
	// A new websocket is refused now.
	if c, _, err := websocket.DefaultDialer.Dial(ts.ws, nil); err == nil {
		c.Close()
		t.Error("a websocket opened after Shutdown")
	}
}
