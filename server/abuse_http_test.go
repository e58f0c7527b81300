package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// rawConn is one keep-alive TCP connection to a test server, on which
// requests are written exactly as given, one after the other.
type rawConn struct {
	t    *testing.T
	addr string
	c    net.Conn
	br   *bufio.Reader
}

func dialRaw(t *testing.T, ts *testServer) *rawConn {
	t.Helper()
	addr := strings.TrimPrefix(ts.base, "http://")
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, addr: addr, c: c, br: bufio.NewReader(c)}
}

// send writes one request (head lines without the Host line, then body)
// and reads its answer.
func (rc *rawConn) send(method, path string, header http.Header, body string) apiResponse {
	rc.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, rc.addr)
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n" + body)
	rc.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(rc.c, b.String()); err != nil {
		rc.t.Fatalf("%s %s: %v", method, path, err)
	}
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	if err != nil {
		rc.t.Fatalf("%s %s on the keep-alive connection: %v", method, path, err)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return apiResponse{resp.StatusCode, resp.Header, nil}
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return apiResponse{resp.StatusCode, resp.Header, rb}
}

var upgradeHeader = http.Header{
	"Connection": {"Upgrade"}, "Upgrade": {"websocket"},
	"Sec-Websocket-Version": {"13"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="},
}

// TestKeepAliveMetricsLabels: a mixed sequence of requests on ONE keep-alive
// connection (methods of every length, unknown paths, errors, admin calls,
// refused and accepted websocket upgrades) leaves /metrics gathering, lint
// clean, and with only bounded label values: Fiber's request strings are
// copied before a label keeps them.
func TestKeepAliveMetricsLabels(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	auth := http.Header{"Authorization": {"Bearer " + adminToken}}
	rc := dialRaw(t, ts)
	for _, step := range []struct {
		method, path string
		header       http.Header
		body         string
		status       int
	}{
		{"PUT", "/api/v1/x", nil, "", 404},
		{"GET", "/api/v1/x", nil, "", 404},
		{"DELETE", "/api/v1/announcements/nope", auth, "", 404},
		{"POST", "/api/v1/announcements", auth, `{"text": "Keynote moved to hall B"}`, 201},
		{"GET", "/api/v1/state?track=main", nil, "", 200},
		{"POST", "/api/v1/tracks/main/delay", auth, `{"minutes": 5}`, 200},
		{"OPTIONS", "/api/v1/state", nil, "", 405},
		{"PATCH", "/healthz", nil, "", 405},
		{"PROPFIND", "/api/v1/state", nil, "", 400}, // Fiber refuses a method it does not know before any handler
		{"GET", "/api/v1/admin", http.Header{"Authorization": {"Bearer wrong"}}, "", 401},
		{"HEAD", "/screen/main", nil, "", 200},
		{"GET", "/screen/no-such-track", nil, "", 404},
		{"GET", "/ws", nil, "", 426},
		{"GET", "/ws?view=bogus", upgradeHeader, "", 400},
		{"DELETE", "/api/v1/announcements/nope", auth, "", 404},
		{"GET", "/healthz", nil, "", 200},
		{"GET", "/ws?view=screen&track=main", upgradeHeader, "", 101},
	} {
		r := rc.send(step.method, step.path, step.header, step.body)
		if r.status != step.status {
			t.Fatalf("%s %s = %d %s, want %d", step.method, step.path, r.status, r.body, step.status)
		}
	}

	scrape := ts.do(t, http.MethodGet, "/metrics", "", "")
	if scrape.status != http.StatusOK {
		t.Fatalf("/metrics after the keep-alive sequence = %d: %.500s", scrape.status, scrape.body)
	}
	problems, err := promlint.New(bytes.NewReader(scrape.body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if problems, err := testutil.GatherAndLint(ts.m.reg); err != nil || len(problems) != 0 {
		t.Errorf("GatherAndLint: %v %v", problems, err)
	}
	routes := []string{"unmatched"}
	for _, r := range ts.app.GetRoutes(true) {
		routes = append(routes, r.Path)
	}
	methods := []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}
	families, err := ts.m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, mf := range families {
		if mf.GetName() != "confdash_http_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				v := lp.GetValue()
				var ok bool
				switch lp.GetName() {
				case "method":
					ok = slices.Contains(methods, v)
					seen[v] = true
				case "route":
					ok = slices.Contains(routes, v)
				case "code":
					n, err := strconv.Atoi(v)
					ok = err == nil && n >= 100 && n <= 599
				}
				if !ok {
					t.Errorf("confdash_http_request_duration_seconds{%s=%q}: not an expected value", lp.GetName(), v)
				}
			}
		}
	}
	for _, m := range []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "HEAD"} {
		if !seen[m] {
			t.Errorf("no request recorded with method %s", m)
		}
	}
}

// TestMethodLabelBounded: a method the server does not know is "other".
func TestMethodLabelBounded(t *testing.T) {
	for in, want := range map[string]string{"GET": "GET", "DELETE": "DELETE", "PROPFIND": "other", "get": "other", "": "other"} {
		if got := methodLabel(in); got != want {
			t.Errorf("methodLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAdminTokenNeverRateLimited: attendees spending an address's admin
// budget (wrong or missing tokens) leave an organizer with the right token
// unaffected, whichever case the scheme is written in.
func TestAdminTokenNeverRateLimited(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken, AdminRate: 0.001, AdminBurst: 2})
	for range 2 {
		checkAPIError(t, ts.do(t, http.MethodGet, "/api/v1/admin", "wrong", ""), http.StatusUnauthorized, "unauthorized")
	}
	checkAPIError(t, ts.do(t, http.MethodGet, "/api/v1/admin", "wrong", ""), http.StatusTooManyRequests, "rate_limited")
	checkAPIError(t, ts.do(t, http.MethodGet, "/api/v1/admin", "", ""), http.StatusTooManyRequests, "rate_limited")
	for range 5 {
		ts.admin(t, http.MethodGet, "/api/v1/admin", "", http.StatusOK)
	}
	ts.announce(t, "Doors open", "")
	for _, scheme := range []string{"bearer", "BEARER", "Bearer"} {
		req, _ := http.NewRequest(http.MethodGet, ts.base+"/api/v1/admin", nil)
		req.Header.Set("Authorization", scheme+" "+adminToken)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if r := readResponse(t, resp); r.status != http.StatusOK {
			t.Errorf("Authorization: %s TOKEN = %d %s, want 200 (the scheme is case-insensitive)", scheme, r.status, r.body)
		}
	}
	if got := testutil.ToFloat64(ts.lim.adminRejected.WithLabelValues("rate_limit")); got != 2 {
		t.Errorf(`confdash_admin_requests_rejected_total{reason="rate_limit"} = %v, want 2`, got)
	}
}

// TestUnknownAPIPaths: an unknown API path is a JSON 404 and a wrong method
// a 405 with Allow; neither needs a token nor spends the admin budget.
func TestUnknownAPIPaths(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken, AdminRate: 0.001, AdminBurst: 1})
	for range 3 {
		checkAPIError(t, ts.do(t, http.MethodGet, "/api/v1/nope", "", ""), http.StatusNotFound, "not_found")
		checkAPIError(t, ts.do(t, http.MethodPut, "/api/v1/x", "", ""), http.StatusNotFound, "not_found")
	}
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPut, "/api/v1/state", "GET, HEAD"},
		{http.MethodGet, "/api/v1/announcements", "POST"},
		{http.MethodPost, "/api/v1/announcements/abc", "DELETE"},
		{http.MethodGet, "/api/v1/tracks/main/delay", "POST"},
		{http.MethodPost, "/healthz", "GET, HEAD"},
	} {
		r := ts.do(t, tc.method, tc.path, "", "")
		checkAPIError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
		if got := r.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
	// The budget of one is still there for the first wrong token.
	checkAPIError(t, ts.do(t, http.MethodGet, "/api/v1/admin", "wrong", ""), http.StatusUnauthorized, "unauthorized")
}

// TestScreensReconnectAtOnce: with the shipped limits, 50 screens behind
// one venue address all get back at once after a Wi-Fi blip.
func TestScreensReconnectAtOnce(t *testing.T) {
	ts := startServer(t, Config{ConnRate: DefaultConnRate, ConnBurst: DefaultConnBurst, MaxViewersPerAddress: DefaultMaxViewersPerAddress})
	const screens = 50
	connectAll := func(round string) []*websocket.Conn {
		conns := make([]*websocket.Conn, screens)
		errs := make([]error, screens)
		var wg sync.WaitGroup
		for i := range screens {
			wg.Go(func() {
				c, resp, err := websocket.DefaultDialer.Dial(ts.ws+"?view=screen&track=main", nil)
				if err != nil && resp != nil {
					err = fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
				}
				conns[i], errs[i] = c, err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("%s: screen %d: %v", round, i, err)
			}
		}
		return conns
	}
	for _, round := range []string{"morning", "after the first blip", "after the second blip"} {
		for _, c := range connectAll(round) {
			c.Close() // the blip
		}
	}
}

// TestUpgradeBudgetFitsAVenue: the upgrade budget lets every viewer one
// address may hold reconnect in the same instant (a venue's NAT after its
// Wi-Fi came back), and then holds a looping host to the rate.
func TestUpgradeBudgetFitsAVenue(t *testing.T) {
	l := newLimiter(DefaultConnRate, DefaultConnBurst)
	venue := netip.MustParseAddr("198.51.100.7")
	for i := range DefaultMaxViewersPerAddress {
		if ok, _ := l.allow(venue, limT0); !ok {
			t.Fatalf("viewer %d of %d behind one address refused on reconnecting", i+1, DefaultMaxViewersPerAddress)
		}
	}
	second := limT0.Add(time.Second)
	n := 0
	for {
		if ok, _ := l.allow(venue, second); !ok {
			break
		}
		n++
	}
	if n != int(DefaultConnRate) {
		t.Errorf("a second later %d more were allowed, want %v", n, DefaultConnRate)
	}
}

// TestViewersPerAddress: one address holds at most MaxViewersPerAddress
// websockets; one more gets a JSON 429 before the upgrade and is not
// counted as a viewer; closing one frees its place.
func TestViewersPerAddress(t *testing.T) {
	const perAddr = 3
	ts := startServer(t, Config{MaxViewersPerAddress: perAddr})
	var open []*client
	for i := range perAddr {
		open = append(open, ts.dial(t, fmt.Sprint("viewer ", i), "view=screen&track=main"))
	}
	c, resp, err := websocket.DefaultDialer.Dial(ts.ws, nil)
	if err == nil {
		c.Close()
		t.Fatalf("connection %d from one address accepted, want 429", perAddr+1)
	}
	if resp == nil {
		t.Fatalf("dial beyond the per-address bound: %v, want HTTP 429", err)
	}
	checkAPIError(t, readResponse(t, resp), http.StatusTooManyRequests, "too_many_connections")
	if got := testutil.ToFloat64(ts.m.upgradesRejected.WithLabelValues("per_address")); got != 1 {
		t.Errorf(`confdash_upgrades_rejected_total{reason="per_address"} = %v, want 1`, got)
	}
	if got := ts.viewerTotal.Load(); got != perAddr {
		t.Errorf("viewers = %d, want %d", got, perAddr)
	}
	open[0].c.Close()
	var again *websocket.Conn
	if !testserver.Eventually(5*time.Second, func() bool {
		again, _, err = websocket.DefaultDialer.Dial(ts.ws, nil)
		return err == nil
	}) {
		t.Fatalf("no place freed 5 s after a connection closed: %v", err)
	}
	again.Close()
}

// TestMetricsExactPath: the public listener answers metrics on /metrics
// only, not on the spellings a proxy rule for /metrics lets through.
func TestMetricsExactPath(t *testing.T) {
	ts := startServer(t, Config{})
	if r := ts.do(t, http.MethodGet, "/metrics", "", ""); r.status != http.StatusOK {
		t.Fatalf("/metrics = %d", r.status)
	}
	for _, p := range []string{"/metrics/", "/METRICS", "/Metrics", "/METRICS/"} {
		r := ts.do(t, http.MethodGet, p, "", "")
		checkAPIError(t, r, http.StatusNotFound, "not_found")
		if bytes.Contains(r.body, []byte("confdash_build_info")) {
			t.Errorf("GET %s served the metrics", p)
		}
	}
}

// TestMalformedRequestNotEchoed: a request fasthttp cannot parse gets a
// short JSON 400 that quotes nothing of it (its Authorization included).
func TestMalformedRequestNotEchoed(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	for _, raw := range []string{
		"GET /api/v1/state HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + adminToken + "\r\nContent-Length: nope\r\n\r\n",
		"POST /api/v1/announcements HTTP/1.1\r\nAuthorization: Bearer " + adminToken + "\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + adminToken + "\r\n",
	} {
		rc := dialRaw(t, ts)
		rc.c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(rc.c, raw)
		resp, err := http.ReadResponse(rc.br, nil)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		r := readResponse(t, resp)
		checkAPIError(t, r, http.StatusBadRequest, "bad_request")
		if bytes.Contains(r.body, []byte(adminToken)) || bytes.Contains(r.body, []byte("Authorization")) {
			t.Errorf("the 400 echoes the request: %s", r.body)
		}
	}
}

// TestHostAndOrigin: the CSP names only a valid host, X-Forwarded-Host and
// -Proto count only from a trusted proxy, and the origin check compares the
// scheme too.
func TestHostAndOrigin(t *testing.T) {
	ts := startServer(t, Config{})
	host := strings.TrimPrefix(ts.base, "http://")
	csp := func(r apiResponse) string { return r.header.Get("Content-Security-Policy") }

	rc := dialRaw(t, ts)
	r := rc.send("GET", "/", http.Header{"X-Forwarded-Host": {"evil.example"}}, "")
	if c := csp(r); strings.Contains(c, "evil") || !strings.Contains(c, "ws://"+host+" ") {
		t.Errorf("X-Forwarded-Host from an untrusted peer: CSP %q", c)
	}
	// A forged Host is not put into the header.
	for _, bad := range []string{"evil.example wss://x", "a\"b", "x:99999", "[::1"} {
		rc := dialRaw(t, ts)
		io.WriteString(rc.c, "GET / HTTP/1.1\r\nHost: "+bad+"\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(rc.br, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := readResponse(t, resp)
		if c := csp(r); resp.StatusCode == http.StatusOK && (strings.Contains(c, "evil") || strings.Contains(c, "ws://")) {
			t.Errorf("Host %q: CSP %q", bad, c)
		}
	}

	dialOrigin := func(ts *testServer, h http.Header) int {
		t.Helper()
		c, resp, err := websocket.DefaultDialer.Dial(ts.ws, h)
		if err == nil {
			c.Close()
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	for _, tc := range []struct {
		h    http.Header
		want int
	}{
		{http.Header{"Origin": {"http://" + host}}, 101},
		// A TLS proxy not listed in --trusted-proxies forwards plain http:
		// the https page of the same host is still its own.
		{http.Header{"Origin": {"https://" + host}}, 101},
		{http.Header{"Origin": {"https://" + host + ".evil.example"}}, 403},
		{http.Header{"Origin": {"http://evil.example"}, "X-Forwarded-Host": {"evil.example"}}, 403},
	} {
		if got := dialOrigin(ts, tc.h); got != tc.want {
			t.Errorf("untrusted peer, %v: %d, want %d", tc.h, got, tc.want)
		}
	}

	proxied := startServer(t, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	site := http.Header{"X-Forwarded-Host": {"confdash.example.org"}, "X-Forwarded-Proto": {"https"}}
	r = dialRaw(t, proxied).send("GET", "/", site, "")
	if c := csp(r); !strings.Contains(c, "wss://confdash.example.org") {
		t.Errorf("X-Forwarded-Host from a trusted proxy: CSP %q", c)
	}
	r = dialRaw(t, proxied).send("GET", "/", http.Header{"X-Forwarded-Host": {"evil;script-src *"}}, "")
	if c := csp(r); strings.Contains(c, "evil") || strings.Contains(c, "ws://") {
		t.Errorf("an invalid X-Forwarded-Host went into the CSP: %q", c)
	}
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"https://confdash.example.org", 101},
		{"http://confdash.example.org", 403},
		{"https://evil.example", 403},
	} {
		h := site.Clone()
		h.Set("Origin", tc.origin)
		if got := dialOrigin(proxied, h); got != tc.want {
			t.Errorf("trusted proxy, Origin %s: %d, want %d", tc.origin, got, tc.want)
		}
	}
}

// TestAdminTokenHygiene: surrounding white space in the configured token
// is not part of it; a weak token is accepted with a warning that never
// shows it; so is a trusted-proxy range wide enough to take in clients.
func TestAdminTokenHygiene(t *testing.T) {
	var log testserver.LockedBuffer
	ts := startServer(t, Config{
		AdminToken: " change-me\n", Logger: slog.New(slog.NewTextHandler(&log, nil)),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")},
	})
	if r := ts.do(t, http.MethodGet, "/api/v1/admin", "change-me", ""); r.status != http.StatusOK {
		t.Errorf("the token without its white space = %d %s, want 200", r.status, r.body)
	}
	out := log.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "admin token is weak") {
		t.Errorf("no warning about the weak token:\n%s", out)
	}
	if !strings.Contains(out, "trusted_proxies=0.0.0.0/0") {
		t.Errorf("no warning about the trusted range 0.0.0.0/0:\n%s", out)
	}
	if strings.Contains(out, "change-me") {
		t.Errorf("the log shows the token:\n%s", out)
	}
	for tok, weak := range map[string]bool{
		"changeme": true, "Secret": true, "short-but-odd": true,
		"9f86d081884c7d659a2feaa0c55ad015": false,
	} {
		if got := weakToken(tok) != ""; got != weak {
			t.Errorf("weakToken(%q) = %v, want %v", tok, got, weak)
		}
	}
	var quiet testserver.LockedBuffer
	startServer(t, Config{AdminToken: "9f86d081884c7d659a2feaa0c55ad015", Logger: slog.New(slog.NewTextHandler(&quiet, nil)),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	if strings.Contains(quiet.String(), "WARN") {
		t.Errorf("warnings for a strong token and a proxy range:\n%s", quiet.String())
	}
}
