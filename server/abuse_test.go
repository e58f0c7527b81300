package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The abuse tests send what no browser sends. Each abuse gets its own status
// or close code, and a bystander viewer, connected throughout, still gets the
// next broadcast. (The plain protocol errors, one at a time, are in
// TestClientMessages; origins in TestOrigins.)

// resAnswer is what the server did after a raw client's frames.
type resAnswer struct {
	code      int // close code, 0 if none came
	pongs     int // websocket pong frames
	jsonPongs []int64
	reset     bool // the connection ended without a close frame
}

// resRead reads server frames until a close frame, the end of the
// connection, or (when stopAfterPong) the first JSON pong.
func resRead(t *testing.T, conn net.Conn, br *bufio.Reader, stopAfterPong bool) resAnswer {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var a resAnswer
	for {
		_, op, payload, err := resReadFrame(br)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("no close frame and no end of the connection within 10 s (answer so far %+v)", a)
			}
			a.reset = true
			return a
		}
		switch op {
		case websocket.CloseMessage:
			if len(payload) >= 2 {
				a.code = int(binary.BigEndian.Uint16(payload))
			}
			return a
		case websocket.PongMessage:
			a.pongs++
		case websocket.TextMessage:
			var m struct {
				Type         string `json:"type"`
				ClientTimeMS int64  `json:"client_time_ms"`
			}
			if json.Unmarshal(payload, &m) == nil && m.Type == "pong" {
				a.jsonPongs = append(a.jsonPongs, m.ClientTimeMS)
				if stopAfterPong {
					return a
				}
			}
		}
	}
}

// resBystanderHears posts an announcement and checks that the bystander gets
// it: the server and the other viewers are unaffected.
func resBystanderHears(t *testing.T, ts *testServer, bystander *client) {
	t.Helper()
	a := ts.announce(t, "Still with us?", "")
	if m := bystander.next(); m.Type != "announcement" || m.ID != a.ID {
		t.Fatalf("the bystander got %+v, want the announcement %s", m, a.ID)
	}
	if m := bystander.next(); m.Type != "state" {
		t.Fatalf("the bystander got %q after the announcement, want state", m.Type)
	}
	ts.get(t, "/healthz")
}

// TestAbuseFrames: frames below what gorilla lets a client send, each on its
// own raw connection. Fragmentation the protocol allows is answered; the
// rest gets 1002 (protocol error, from the server's frame reader), 1008 or 1009.
func TestAbuseFrames(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	addr := strings.TrimPrefix(ts.base, "http://")
	bystander := ts.dial(t, "bystander", "track=main&view=screen")
	ping := []byte(`{"type":"ping","client_time_ms":5}`)
	x300 := bytes.Repeat([]byte("x"), 300)
	var small [][]byte // 20 fragments of 30 bytes: 600 in all
	for i := range 20 {
		op := byte(0) // continuation
		if i == 0 {
			op = websocket.TextMessage
		}
		small = append(small, resFrame(i == 19, op, x300[:30]))
	}
	rsv1 := resFrame(true, websocket.TextMessage, ping)
	rsv1[0] |= 0x40
	// A frame that claims 2^62 bytes, and brings a few hundred.
	huge := append([]byte{0x81, 0x80 | 127, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, x300...)
	huge = append(huge, x300...)
	for _, tc := range []struct {
		name   string
		frames [][]byte
		code   int // the close code; 0: a pong comes and the connection stays
		pongs  int // websocket pong frames before that
	}{
		{"fragmented ping", [][]byte{resFrame(false, websocket.TextMessage, ping[:10]), resFrame(true, 0, ping[10:])}, 0, 0},
		{"ping frame between fragments", [][]byte{
			resFrame(false, websocket.TextMessage, ping[:10]), resFrame(true, websocket.PingMessage, []byte("hi")), resFrame(true, 0, ping[10:]),
		}, 0, 1},
		{"fragmented, over 512 bytes", [][]byte{resFrame(false, websocket.TextMessage, x300), resFrame(true, 0, x300)}, websocket.CloseMessageTooBig, 0},
		{"many small fragments, over 512 bytes", small, websocket.CloseMessageTooBig, 0},
		{"a length of 2^62", [][]byte{huge}, websocket.CloseMessageTooBig, 0},
		{"continuation without a start", [][]byte{resFrame(true, 0, ping)}, websocket.CloseProtocolError, 0},
		{"new message inside a fragmented one", [][]byte{resFrame(false, websocket.TextMessage, ping[:10]), resFrame(true, websocket.TextMessage, ping)}, websocket.CloseProtocolError, 0},
		{"fragmented control frame", [][]byte{resFrame(false, websocket.PingMessage, []byte("hi"))}, websocket.CloseProtocolError, 0},
		{"control frame over 125 bytes", [][]byte{resFrame(true, websocket.PingMessage, x300[:126])}, websocket.CloseProtocolError, 0},
		{"unmasked frame", [][]byte{resFrame(true, websocket.TextMessage, ping, true)}, websocket.CloseProtocolError, 0},
		{"reserved bit set", [][]byte{rsv1}, websocket.CloseProtocolError, 0},
		{"unknown opcode", [][]byte{resFrame(true, 3, ping)}, websocket.CloseProtocolError, 0},
		{"invalid UTF-8", [][]byte{resFrame(true, websocket.TextMessage, []byte("{\"type\":\"ping\",\"client_time_ms\":5,\"x\":\"\xff\"}"))}, websocket.ClosePolicyViolation, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, br := resRawUpgrade(t, addr, "")
			if _, err := conn.Write(slices.Concat(tc.frames...)); err != nil {
				t.Fatal(err)
			}
			a := resRead(t, conn, br, tc.code == 0)
			if tc.code == 0 {
				if !slices.Equal(a.jsonPongs, []int64{5}) || a.code != 0 || a.reset {
					t.Fatalf("answer %+v, want a pong for client time 5", a)
				}
				// The connection is still good for another ping.
				conn.Write(resFrame(true, websocket.TextMessage, ping))
				if a := resRead(t, conn, br, true); len(a.jsonPongs) != 1 {
					t.Errorf("second ping: answer %+v, want a pong", a)
				}
			} else if a.code != tc.code {
				t.Errorf("answer %+v, want close %d", a, tc.code)
			}
			if a.pongs != tc.pongs {
				t.Errorf("%d pong frames, want %d", a.pongs, tc.pongs)
			}
		})
	}
	if !testserver.Eventually(5*time.Second, func() bool { return ts.hub.Total() == 1 }) {
		t.Errorf("%d connections left, want the bystander only", ts.hub.Total())
	}
	resBystanderHears(t, ts, bystander)
}

// TestAbusePingFlood: a thousand pings in a burst, JSON or websocket frames.
// Answering one is cheap, but no client of the protocol sends more than a
// few (three after hello, then one per 30 s), so after pingBurst answers the
// connection is closed with 1008; the server and the others go on.
func TestAbusePingFlood(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	addr := strings.TrimPrefix(ts.base, "http://")
	bystander := ts.dial(t, "bystander", "")
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"protocol pings", resFrame(true, websocket.TextMessage, []byte(`{"type":"ping","client_time_ms":1}`))},
		{"websocket ping frames", resFrame(true, websocket.PingMessage, []byte("are you there"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			policy := resClosed(ts.Server, "policy")
			conn, br := resRawUpgrade(t, addr, "")
			// Written from another goroutine: the server stops reading after
			// the budget, and the burst would fill the buffers both ways.
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn.Write(bytes.Repeat(tc.frame, 1000)) // fails once the server closes
			}()
			a := resRead(t, conn, br, false)
			conn.Close()
			wg.Wait()
			answered := a.pongs + len(a.jsonPongs)
			// The close frame can be lost if the kernel resets the connection
			// over the unread burst; the metric tells the close happened.
			if a.code != websocket.ClosePolicyViolation && !a.reset {
				t.Errorf("answer %+v, want close 1008", a)
			}
			if answered > pingBurst {
				t.Errorf("%d pings answered, want at most %d", answered, pingBurst)
			}
			if !testserver.Eventually(5*time.Second, func() bool { return resClosed(ts.Server, "policy") == policy+1 }) {
				t.Errorf("policy closes = %v, want %v", resClosed(ts.Server, "policy"), policy+1)
			}
			t.Logf("%d of 1000 answered, then %+v", answered, a)
		})
	}
	// The frontend's own rhythm stays well within the budget: three quick
	// pings after hello, all answered.
	cl := ts.dial(t, "tab", "")
	for i := range 3 {
		cl.ping(int64(i))
	}
	resBystanderHears(t, ts, bystander)
}

// TestAbuseStorm: many misbehaving clients at once, of every kind the
// protocol refuses, while a bystander watches: each gets its close code, and
// the bystander gets a broadcast made in the middle of the storm.
func TestAbuseStorm(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	bystander := ts.dial(t, "bystander", "track=side")
	kinds := []struct {
		name string
		typ  int
		msg  string
		code int
	}{
		{"not json", websocket.TextMessage, "hello?", websocket.ClosePolicyViolation},
		{"binary", websocket.BinaryMessage, `{"type":"ping","client_time_ms":1}`, websocket.ClosePolicyViolation},
		{"oversized", websocket.TextMessage, strings.Repeat("x", 4096), websocket.CloseMessageTooBig},
		{"unknown type", websocket.TextMessage, `{"type":"subscribe","track":"main"}`, websocket.ClosePolicyViolation},
		{"ping with a string time", websocket.TextMessage, `{"type":"ping","client_time_ms":"now"}`, websocket.ClosePolicyViolation},
		{"json array", websocket.TextMessage, `[{"type":"ping","client_time_ms":1}]`, websocket.ClosePolicyViolation},
	}
	const each = 20
	errs := make(chan error, len(kinds)*each)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, k := range kinds {
		for range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, _, err := resDialer.Dial(ts.ws, nil)
				if err != nil {
					errs <- fmt.Errorf("%s: %v", k.name, err)
					return
				}
				defer c.Close()
				<-start
				if err := c.WriteMessage(k.typ, []byte(k.msg)); err != nil {
					errs <- fmt.Errorf("%s: write: %v", k.name, err)
					return
				}
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				for {
					_, _, err := c.ReadMessage()
					var ce *websocket.CloseError
					switch {
					case err == nil:
						continue
					case errors.As(err, &ce) && ce.Code == k.code:
					default:
						errs <- fmt.Errorf("%s: %v, want close %d", k.name, err, k.code)
					}
					return
				}
			}()
		}
	}
	close(start)
	resBystanderHears(t, ts, bystander)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Counted when the server's writer is done, a moment after the close.
	if want := float64(len(kinds) * each); !testserver.Eventually(5*time.Second, func() bool { return resClosed(ts.Server, "policy") == want }) {
		t.Errorf("policy closes = %v, want %v", resClosed(ts.Server, "policy"), want)
	}
	resBystanderHears(t, ts, bystander)
}

// TestAbuseHTTP: oversized bodies and headers get 413 and 431 in the JSON
// error shape, before anything runs; path tricks on the static files never
// reach a file outside the embedded set.
func TestAbuseHTTP(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	bystander := ts.dial(t, "bystander", "")
	big := `{"text": "` + strings.Repeat("x", maxBodyBytes) + `"}`
	for _, tc := range []struct {
		name    string
		req     func() *http.Request
		status  int
		errCode string
	}{
		{"body over the limit", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, ts.base+"/api/v1/announcements", strings.NewReader(big))
			r.Header.Set("Authorization", "Bearer "+adminToken)
			return r
		}, http.StatusRequestEntityTooLarge, "request_entity_too_large"},
		{"chunked body over the limit", func() *http.Request {
			// A reader without a length: the client sends it chunked.
			r, _ := http.NewRequest(http.MethodPost, ts.base+"/api/v1/announcements", io.MultiReader(strings.NewReader(big)))
			r.Header.Set("Authorization", "Bearer "+adminToken)
			return r
		}, http.StatusRequestEntityTooLarge, "request_entity_too_large"},
		{"body over the limit without a token", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, ts.base+"/api/v1/tracks/main/delay", strings.NewReader(big))
			return r
		}, http.StatusRequestEntityTooLarge, "request_entity_too_large"},
		{"headers over the limit", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, ts.base+"/api/v1/state", nil)
			// Over the 4 KB read buffer, and small enough to be written at
			// once: the server closes without reading the rest.
			r.Header.Set("X-Padding", strings.Repeat("x", 6<<10))
			return r
		}, http.StatusRequestHeaderFieldsTooLarge, "request_header_fields_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := httpClient.Do(tc.req())
			if err != nil {
				t.Fatal(err)
			}
			checkAPIError(t, readResponse(t, resp), tc.status, tc.errCode)
		})
	}
	if d := stateDocOf(t, ts.get(t, "/api/v1/state")); len(d.Announcements) != 0 || d.Tracks[0].DelayMinutes != 0 {
		t.Errorf("a refused request changed the state: %+v", d)
	}

	// Path tricks (more are in TestEndpoints): never 200, never a byte of a
	// file from outside the embedded frontend.
	v := ts.assets.version
	for _, p := range []string{
		"/assets/" + v + "/%2e%2e%2f%2e%2e%2fgo.mod",
		"/assets/" + v + "/..%5c..%5cgo.mod",
		"/assets/" + v + "/..\\..\\go.mod",
		"/assets/" + v + "/./../../go.mod",
		"/assets/" + v + "/app.css%00.html",
		"/assets/" + v + "/%252e%252e/%252e%252e/go.mod",
		"/assets/" + v + "/" + strings.Repeat("../", 20) + "server/api.go",
		"/%2e%2e/go.mod",
		"/assets/" + v + "/../../../../proc/self/environ",
		"/assets/..%2f" + v + "/app.css",
	} {
		status, body := resRawGet(t, ts.base, p)
		if status != http.StatusNotFound && status != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 404 (or 400)", p, status)
		}
		for _, secret := range []string{"module github.com/confdash", "package server", "PATH="} {
			if strings.Contains(body, secret) {
				t.Errorf("GET %s served a file from outside the frontend: %.200s", p, body)
			}
		}
	}
	resBystanderHears(t, ts, bystander)
}

// resRawGet sends path exactly as written and returns the status and body.
func resRawGet(t *testing.T, base, path string) (int, string) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAbuseTokenTiming: the admin token is compared in constant time by
// construction (SHA-256 of both sides, then subtle.ConstantTimeCompare, in
// requireAdmin), so how long a wrong token takes says nothing about how much
// of it was right. The measurement here only catches a gross leak (a
// comparison that returns early would differ by nanoseconds, lost in a
// loopback round trip): medians of interleaved requests, with a bound a
// noisy machine does not reach.
func TestAbuseTokenTiming(t *testing.T) {
	token := strings.Repeat("k3y", 22) // 66 bytes
	ts := startServer(t, Config{AdminToken: token})
	near := token[:len(token)-1] + "X" // all but the last byte right
	far := strings.Repeat("Z", len(token))
	const rounds = 150
	var nearT, farT []time.Duration
	measure := func(tok string) time.Duration {
		req, _ := http.NewRequest(http.MethodGet, ts.base+"/api/v1/admin", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		start := time.Now()
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong token answered %d, want 401", resp.StatusCode)
		}
		return time.Since(start)
	}
	for range 20 { // warm the connection and the server
		measure(far)
	}
	for range rounds {
		nearT = append(nearT, measure(near))
		farT = append(farT, measure(far))
	}
	slices.Sort(nearT)
	slices.Sort(farT)
	mn, mf := nearT[rounds/2], farT[rounds/2]
	t.Logf("median 401 time: token right but for its last byte %v, wrong from its first %v", mn, mf)
	if mn > 2*mf+time.Millisecond || mf > 2*mn+time.Millisecond {
		t.Errorf("median time with a nearly right token %v, with a wrong one %v: the comparison leaks", mn, mf)
	}
	if got := testutil.ToFloat64(ts.lim.adminRejected.WithLabelValues("unauthorized")); got != 2*rounds+20 {
		t.Errorf(`confdash_admin_requests_rejected_total{reason="unauthorized"} = %v, want %d`, got, 2*rounds+20)
	}
}

// TestSecurityHeaders: every answer, errors included, carries
// X-Content-Type-Options and Referrer-Policy; pages carry a
// Content-Security-Policy that allows only their own scripts, styles and
// websocket.
func TestSecurityHeaders(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken, AdminRate: 0.001, AdminBurst: 1, ConnRate: 0.001, ConnBurst: 1})
	host := strings.TrimPrefix(ts.base, "http://")
	check := func(what string, h http.Header) {
		t.Helper()
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", what, got)
		}
		if got := h.Get("Referrer-Policy"); got == "" {
			t.Errorf("%s: no Referrer-Policy", what)
		}
	}
	type call struct {
		method, path, token, body string
		header                    http.Header
		status                    int
	}
	for _, c := range []call{
		{"GET", "/", "", "", nil, 200},
		{"GET", "/screen/main", "", "", nil, 200},
		{"GET", "/overlay/side", "", "", nil, 200},
		{"GET", "/admin", "", "", nil, 200},
		{"GET", "/screen/nope", "", "", nil, 404},
		{"GET", "/api/v1/state", "", "", nil, 200},
		{"GET", "/api/v1/schedule", "", "", nil, 200},
		{"GET", "/schedule.ics", "", "", nil, 200},
		{"GET", "/healthz", "", "", nil, 200},
		{"GET", "/metrics", "", "", nil, 200},
		{"GET", "/assets/" + ts.assets.version + "/app.css", "", "", nil, 200},
		{"GET", "/nope", "", "", nil, 404},
		{"GET", "/ws", "", "", nil, 426},
		{"GET", "/api/v1/admin", "wrong", "", nil, 401},
		{"GET", "/api/v1/admin", "wrong", "", nil, 429},
		{"POST", "/api/v1/announcements", adminToken, strings.Repeat("x", maxBodyBytes+1), nil, 413},
		{"GET", "/api/v1/state", "", "", http.Header{"X-Padding": {strings.Repeat("x", 6<<10)}}, 431},
	} {
		req, _ := http.NewRequest(c.method, ts.base+c.path, strings.NewReader(c.body))
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		for k, v := range c.header {
			req.Header[k] = v
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r := readResponse(t, resp)
		what := fmt.Sprintf("%s %s (%d)", c.method, c.path, r.status)
		if r.status != c.status {
			t.Errorf("%s: want %d", what, c.status)
		}
		check(what, r.header)
		if ct := r.header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
			csp := r.header.Get("Content-Security-Policy")
			for _, want := range []string{
				"default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'",
				"connect-src 'self' ws://" + host + " wss://" + host,
			} {
				if !strings.Contains(csp, want) {
					t.Errorf("%s: Content-Security-Policy %q lacks %q", what, csp, want)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("%s: Content-Security-Policy %q allows unsafe sources", what, csp)
			}
			if admin := c.path == "/admin"; admin != strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: Content-Security-Policy %q: frame-ancestors 'none' should be there exactly on the admin console", what, csp)
			}
		}
	}
	// Websocket refusals: a foreign origin, then the connection limit.
	_, resp, err := websocket.DefaultDialer.Dial(ts.ws, http.Header{"Origin": {"https://evil.example.com"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v, want 403", err)
	}
	check("websocket with a foreign origin (403)", resp.Header)
	if _, resp, err = websocket.DefaultDialer.Dial(ts.ws, nil); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second websocket within a burst of 1: %v, want 429", err)
	}
	check("websocket beyond the limit (429)", resp.Header)
}

// TestSeparateMetrics: with SeparateMetrics the public listener has no
// /metrics; ServeMetrics serves them, and only them, on another listener
// until Shutdown.
func TestSeparateMetrics(t *testing.T) {
	ts := startServer(t, Config{SeparateMetrics: true})
	checkAPIError(t, ts.do(t, http.MethodGet, "/metrics", "", ""), http.StatusNotFound, "not_found")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- ts.ServeMetrics(ln) }()
	internal := "http://" + ln.Addr().String()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := httpClient.Get(internal + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get("/metrics"); status != http.StatusOK || !strings.Contains(body, "\n# TYPE confdash_build_info gauge") {
		t.Errorf("internal GET /metrics = %d:\n%.300s", status, body)
	}
	for _, p := range []string{"/", "/api/v1/state", "/ws", "/admin"} {
		if status, _ := get(p); status != http.StatusNotFound {
			t.Errorf("internal GET %s = %d, want 404: the internal listener serves metrics only", p, status)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("ServeMetrics returned %v after Shutdown, want nil", err)
		}
	case <-ctx.Done():
		t.Fatal("ServeMetrics still running after Shutdown")
	}
	// After Shutdown, ServeMetrics on a new listener returns at once.
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.ServeMetrics(ln2); err != nil {
		t.Errorf("ServeMetrics after Shutdown = %v, want nil", err)
	}
}
