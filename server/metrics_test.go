package server

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
)

// testAgent is the User-Agent of every request in the metrics test: it must
// never become a label value.
const testAgent = "Mozilla/5.0 (confdash-metrics-test; X11) Gecko/20100101"

// TestMetrics drives a server through viewers, a policy close, an origin
// refusal, announcements and a delay, then checks the values with testutil,
// lints the whole scrape and checks that no label holds an address, a user
// agent or a raw path.
func TestMetrics(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	m := ts.m
	h := http.Header{"User-Agent": {testAgent}}
	dial := func(name, query string) *client {
		t.Helper()
		hh := h
		if strings.Contains(query, "view=admin") {
			hh = adminWSHeader(adminToken)
			hh.Set("User-Agent", testAgent)
		}
		c, _, err := websocket.DefaultDialer.Dial(ts.ws+"?"+query, hh)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { c.Close() })
		cl := &client{t: t, name: name, c: c}
		cl.next()  // hello
		cl.next()  // state
		cl.ping(1) // once the pong is back, the viewer has been counted
		return cl
	}

	screen := dial("main screen", "track=main&view=screen")
	dial("tab", "")
	dial("admin console", "view=admin")
	if got := testutil.ToFloat64(m.viewers.WithLabelValues("main", "screen")); got != 1 {
		t.Errorf("confdash_viewers{track=main,view=screen} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.viewers.WithLabelValues("all", "tab")); got != 1 {
		t.Errorf("confdash_viewers{track=all,view=tab} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.viewers.WithLabelValues("main", "admin")); got != 0 {
		t.Errorf("admin consoles are counted as viewers: %v", got)
	}
	if got := testutil.ToFloat64(m.connOpened.WithLabelValues("screen")); got != 1 {
		t.Errorf("confdash_connections_opened_total{view=screen} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.sessionPeak.WithLabelValues("main", "tail-latency")); got != 1 {
		t.Errorf("confdash_session_peak_viewers{track=main,session=tail-latency} = %v, want 1", got)
	}

	// 10:00: the coffee break starts on main. The screen sees it; the GET
	// after that waits for the clock loop to finish its update (it holds the
	// lock the handler takes), metrics included.
	ts.clock.Set(testNow.Add(20 * time.Minute))
	ts.wakeClock()
	if st := screen.next(); st.Type != "state" {
		t.Fatalf("main screen got %q at 10:00, want state", st.Type)
	} else if now, _ := nowOf(string(mustJSON(st)), "main"); now != "coffee" {
		t.Fatalf("main screen shows %q at 10:00, want coffee", now)
	}
	ts.get(t, "/api/v1/state")
	if got := testutil.ToFloat64(m.transitions.WithLabelValues("main")); got != 1 {
		t.Errorf(`confdash_schedule_transitions_total{track="main"} = %v, want 1`, got)
	}
	if got := testutil.ToFloat64(m.transitions.WithLabelValues("side")); got != 0 {
		t.Errorf(`confdash_schedule_transitions_total{track="side"} = %v, want 0`, got)
	}
	if got, want := testutil.ToFloat64(m.lastTransition), float64(ts.clock.Now().Unix()); got != want {
		t.Errorf("confdash_last_transition_timestamp_seconds = %v, want %v", got, want)
	}
	if got := testutil.ToFloat64(m.sessionPeak.WithLabelValues("main", "coffee")); got != 1 {
		t.Errorf("confdash_session_peak_viewers{track=main,session=coffee} = %v, want 1", got)
	}

	// A message over 512 bytes: close 1009, counted as policy; the viewer
	// is no longer counted once the server has let go of the connection.
	bad := dial("side overlay", "track=side&view=overlay")
	if got := testutil.ToFloat64(m.viewers.WithLabelValues("side", "overlay")); got != 1 {
		t.Errorf("confdash_viewers{track=side,view=overlay} = %v, want 1", got)
	}
	if err := bad.c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("x"), 600)); err != nil {
		t.Fatal(err)
	}
	if code, _ := bad.expectClose(); code != websocket.CloseMessageTooBig {
		t.Fatalf("close %d, want 1009", code)
	}
	bad.waitTCPClosed()
	if got := testutil.ToFloat64(m.connClosed.WithLabelValues("policy")); got != 1 {
		t.Errorf(`confdash_connections_closed_total{reason="policy"} = %v, want 1`, got)
	}
	if got := testutil.ToFloat64(m.viewers.WithLabelValues("side", "overlay")); got != 0 {
		t.Errorf("confdash_viewers{track=side,view=overlay} after the close = %v, want 0", got)
	}

	// A foreign origin is refused and counted.
	if _, _, err := websocket.DefaultDialer.Dial(ts.ws, http.Header{"Origin": {"https://evil.example.com"}, "User-Agent": {testAgent}}); err == nil {
		t.Fatal("a foreign origin was accepted")
	}
	if got := testutil.ToFloat64(m.upgradesRejected.WithLabelValues("origin")); got != 1 {
		t.Errorf(`confdash_upgrades_rejected_total{reason="origin"} = %v, want 1`, got)
	}

	a := ts.announce(t, "one", "main")
	ts.announce(t, "two", "")
	if got := testutil.ToFloat64(m.announcements); got != 2 {
		t.Errorf("confdash_announcements = %v, want 2", got)
	}
	ts.admin(t, http.MethodDelete, "/api/v1/announcements/"+a.ID, "", http.StatusNoContent)
	if got := testutil.ToFloat64(m.announcements); got != 1 {
		t.Errorf("confdash_announcements after a removal = %v, want 1", got)
	}
	ts.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 7}`, http.StatusOK)
	if got := testutil.ToFloat64(m.delay.WithLabelValues("main")); got != 420 {
		t.Errorf(`confdash_track_delay_seconds{track="main"} = %v, want 420`, got)
	}
	if got := testutil.ToFloat64(m.delay.WithLabelValues("side")); got != 0 {
		t.Errorf(`confdash_track_delay_seconds{track="side"} = %v, want 0`, got)
	}

	// HTTP traffic with paths that must not become labels.
	for _, p := range []string{"/screen/main", "/screen/garbage-path-1", "/wp-login.php?x=garbage-path-2", "/api/v1/state?track=garbage-path-3"} {
		req, _ := http.NewRequest(http.MethodGet, ts.base+p, nil)
		req.Header.Set("User-Agent", testAgent)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readResponse(t, resp)
	}
	if n, err := testutil.GatherAndCount(m.reg, "confdash_http_request_duration_seconds"); err != nil || n == 0 {
		t.Errorf("no HTTP request durations recorded (%d, %v)", n, err)
	}

	// The whole scrape, as Prometheus sees it.
	req, _ := http.NewRequest(http.MethodGet, ts.base+"/metrics", nil)
	req.Header.Set("User-Agent", testAgent)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	scrape := readResponse(t, resp)
	if scrape.status != http.StatusOK {
		t.Fatalf("/metrics = %d", scrape.status)
	}
	problems, err := promlint.New(bytes.NewReader(scrape.body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	for _, name := range []string{
		"confdash_viewers", "confdash_connections_opened_total", "confdash_connections_closed_total",
		"confdash_messages_sent_total", "confdash_messages_dropped_total", "confdash_broadcast_duration_seconds",
		"confdash_schedule_transitions_total", "confdash_track_delay_seconds", "confdash_session_peak_viewers",
		"confdash_schedule_info", "confdash_last_transition_timestamp_seconds", "confdash_build_info",
		"confdash_http_request_duration_seconds", "confdash_announcements",
		"go_goroutines", "process_start_time_seconds",
	} {
		if !bytes.Contains(scrape.body, []byte("\n# TYPE "+name+" ")) {
			t.Errorf("the scrape lacks %s", name)
		}
	}

	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var shape []string
	for _, mf := range families {
		var labels []string
		for _, mm := range mf.GetMetric() {
			for _, lp := range mm.GetLabel() {
				checkLabel(t, mf.GetName(), lp)
			}
			if len(labels) == 0 {
				for _, lp := range mm.GetLabel() {
					labels = append(labels, lp.GetName())
				}
			}
		}
		if strings.HasPrefix(mf.GetName(), "confdash_") {
			sort.Strings(labels)
			shape = append(shape, fmt.Sprintf("%s %s %s", mf.GetName(), mf.GetType(), strings.Join(labels, ",")))
		}
	}
	// The names, types and label names of confdash's own metrics: a rename
	// breaks dashboards, so it must be deliberate (go test -update).
	golden(t, "metrics.golden", []byte(strings.Join(shape, "\n")+"\n"))
}

// checkLabel fails on a label value that is an address, a user agent or a
// raw request path: labels must stay bounded.
func checkLabel(t *testing.T, metric string, lp *dto.LabelPair) {
	t.Helper()
	v := lp.GetValue()
	host := v
	if h, _, err := net.SplitHostPort(v); err == nil {
		host = h
	}
	switch {
	case net.ParseIP(host) != nil:
		t.Errorf("%s{%s=%q}: an IP address as a label value", metric, lp.GetName(), v)
	case strings.Contains(v, "Mozilla") || strings.Contains(v, "Go-http-client") || strings.Contains(v, "confdash-metrics-test"):
		t.Errorf("%s{%s=%q}: a user agent as a label value", metric, lp.GetName(), v)
	case strings.Contains(v, "garbage-path") || strings.Contains(v, "wp-login"):
		t.Errorf("%s{%s=%q}: a raw request path as a label value", metric, lp.GetName(), v)
	}
}
