package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule"
	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// testNATS is a real NATS server with JetStream, embedded in the test
// process on loopback, that a test can stop and start again on the same
// port with the same storage.
type testNATS struct {
	t    *testing.T
	dir  string
	port int
	ns   *natsserver.Server
}

func startTestNATS(t *testing.T) *testNATS {
	t.Helper()
	n := &testNATS{t: t, dir: t.TempDir(), port: -1}
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *testNATS) start() {
	n.t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		ServerName: "confdash-test", Host: "127.0.0.1", Port: n.port,
		JetStream: true, StoreDir: n.dir, NoLog: true, NoSigs: true,
	})
	if err != nil {
		n.t.Fatalf("NATS server: %v", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		n.t.Fatalf("the NATS server on port %d did not start", n.port)
	}
	n.port = ns.Addr().(*net.TCPAddr).Port
	n.ns = ns
}

func (n *testNATS) stop() {
	if n.ns != nil {
		n.ns.Shutdown()
		n.ns.WaitForShutdown()
		n.ns = nil
	}
}

func (n *testNATS) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

// startClusterNode runs one confdash instance of the cluster, with its own
// copy of the test day (so a reload on one instance proves that the others
// get the schedule from NATS, not from their own file).
func startClusterNode(t *testing.T, natsURL, id string, statePath string) (*testServer, string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "day.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc, path := parseTestSchedule(t, string(src))
	ts := startServer(t, Config{
		Schedule: sc, SchedulePath: path, StatePath: statePath, AdminToken: adminToken,
		Cluster: ClusterConfig{URL: natsURL, Bucket: "confdash-test", InstanceID: id},
		// The pages are sent the cluster's counts, which the test reads.
		PublicViewerCounts: true,
	})
	return ts, path
}

type readyAnswer struct {
	Status, Reason string
}

func readyStatus(t *testing.T, ts *testServer) string {
	t.Helper()
	var r readyAnswer
	if err := json.Unmarshal(ts.get(t, "/readyz"), &r); err != nil {
		t.Fatal(err)
	}
	return r.Status
}

// waitReady waits until every instance reports want on /readyz.
func waitReady(t *testing.T, want string, within time.Duration, nodes ...*testServer) {
	t.Helper()
	for i, ts := range nodes {
		if !testserver.Eventually(within, func() bool { return readyStatus(t, ts) == want }) {
			t.Fatalf("instance %d: /readyz says %q after %v, want %q", i, readyStatus(t, ts), within, want)
		}
	}
}

// waitMsg reads cl's messages until one satisfies match, and fails the test
// when none has within the deadline. It returns the message and how long
// the wait took.
func waitMsg(t *testing.T, cl *client, within time.Duration, what string, match func(m wsMsg, raw []byte) bool) (wsMsg, time.Duration) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for {
		m, raw, err := cl.read(time.Until(deadline))
		if err != nil {
			t.Fatalf("%s: no %s within %v: %v", cl.name, what, within, err)
		}
		if match(m, raw) {
			return m, time.Since(start)
		}
	}
}

type viewersMsg struct {
	Type   string         `json:"type"`
	Total  int            `json:"total"`
	Tracks map[string]int `json:"tracks"`
}

func isViewers(total int, tracks map[string]int) func(wsMsg, []byte) bool {
	return func(m wsMsg, raw []byte) bool {
		var v viewersMsg
		return m.Type == "viewers" && json.Unmarshal(raw, &v) == nil && v.Total == total && cmp.Equal(v.Tracks, tracks)
	}
}

func isAnnouncement(action, id string) func(wsMsg, []byte) bool {
	return func(m wsMsg, _ []byte) bool { return m.Type == "announcement" && m.Action == action && m.ID == id }
}

// adminReq sends an admin call with optional extra headers.
func adminReq(t *testing.T, ts *testServer, method, path, body string, header map[string]string) apiResponse {
	t.Helper()
	r, err := adminDo(ts, method, path, body, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// adminDo is adminReq for other goroutines than the test's.
func adminDo(ts *testServer, method, path, body string, header map[string]string) (apiResponse, error) {
	req, err := http.NewRequest(method, ts.base+path, strings.NewReader(body))
	if err != nil {
		return apiResponse{}, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return apiResponse{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return apiResponse{resp.StatusCode, resp.Header, b}, err
}

func stateAnnouncements(t *testing.T, ts *testServer) []string {
	t.Helper()
	ids := annIDs(stateDocOf(t, ts.get(t, "/api/v1/state")).Announcements)
	slices.Sort(ids)
	return ids
}

// concurrently posts one announcement to each instance at the same time,
// with the body and headers req gives for its index.
func concurrently(t *testing.T, nodes []*testServer, req func(i int) (string, map[string]string)) []apiResponse {
	t.Helper()
	answers := make([]apiResponse, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, ts := range nodes {
		body, header := req(i)
		wg.Go(func() {
			answers[i], errs[i] = adminDo(ts, http.MethodPost, "/api/v1/announcements", body, header)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	return answers
}

// clusterViewers is the cluster total an instance would send now.
func clusterViewers(ts *testServer) int {
	var v viewersMsg
	json.Unmarshal(ts.viewersMessage(), &v)
	return v.Total
}

// clusterMetric is the value of one of the cluster's metrics (package
// cluster registers them on the server's registry), with the given label
// values if any, as a scrape shows it; NaN when it is not there.
func clusterMetric(t *testing.T, ts *testServer, name string, labelValues ...string) float64 {
	t.Helper()
	families, err := ts.m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var values []string
			for _, lp := range m.GetLabel() {
				values = append(values, lp.GetValue())
			}
			if !slices.Equal(values, labelValues) {
				continue
			}
			switch {
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			}
		}
	}
	return math.NaN()
}

// deliveryBound is the promise: an admin call on any instance is on
// every instance's clients within a second.
const deliveryBound = time.Second

// TestClusterSharesLiveState runs three instances on one NATS server and
// follows a conference day's incidents: announcements and delays posted on
// one instance reach the clients of the others, viewer totals agree, an
// instance stops, NATS stops and comes back, and two organizers collide.
func TestClusterSharesLiveState(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	n := startTestNATS(t)
	a, pathA := startClusterNode(t, n.url(), "a", "")
	b, _ := startClusterNode(t, n.url(), "b", "")
	c, _ := startClusterNode(t, n.url(), "c", "")
	waitReady(t, "ready", 10*time.Second, a, b, c)

	ca := a.dial(t, "tab on A", "view=tab")
	cam := a.dial(t, "screen on A", "track=main&view=screen")
	cb := b.dial(t, "tab on B", "track=side&view=tab")
	cc := c.dial(t, "tab on C", "view=tab")

	// An announcement posted on A reaches B's and C's clients.
	start := time.Now()
	ann := a.announce(t, "Keynote moves to the Main Hall", "")
	for _, cl := range []*client{cb, cc, ca} {
		waitMsg(t, cl, deliveryBound, "announcement "+ann.ID, isAnnouncement("add", ann.ID))
		t.Logf("announcement posted on A: on %s %v after the POST began", cl.name, time.Since(start))
	}

	// A delay set on B shows on A (the screen of that track).
	b.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 7}`, http.StatusOK)
	waitMsg(t, cam, deliveryBound, "state with main 7 minutes late", func(m wsMsg, _ []byte) bool {
		return m.Type == "state" && stateDocOf(t, m.State).Tracks[0].DelayMinutes == 7
	})
	if got := testutil.ToFloat64(a.m.delay.WithLabelValues("main")); got != 7*60 {
		t.Errorf("A's confdash_track_delay_seconds{track=main} = %v, want 420", got)
	}

	// Viewer totals agree: 2 viewers on A (one on main), 1 on B (side), 1
	// on C; every instance shows the cluster's 4 and exports them.
	want := map[string]int{"main": 1, "side": 1}
	for _, cl := range []*client{ca, cam, cb, cc} {
		waitMsg(t, cl, 3*viewersPeriod+time.Second, "viewers total 4", isViewers(4, want))
	}
	for i, ts := range []*testServer{a, b, c} {
		if got := clusterMetric(t, ts, "confdash_cluster_viewers", "main"); got != 1 {
			t.Errorf("instance %d: confdash_cluster_viewers{track=main} = %v, want 1", i, got)
		}
		if got := clusterMetric(t, ts, "confdash_cluster_viewers", topicAll); got != 2 {
			t.Errorf("instance %d: confdash_cluster_viewers{track=all} = %v, want 2", i, got)
		}
	}
	if got := testutil.ToFloat64(b.m.viewers.WithLabelValues("side", "tab")); got != 1 {
		t.Errorf("B's own confdash_viewers{track=side,view=tab} = %v, want 1", got)
	}

	// A reload on A (whose file changed) is loaded by B and C from NATS,
	// although their own copies still hold the old version.
	old, err := os.ReadFile(pathA)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pathA, []byte(strings.Replace(string(old), "Chasing Tail Latency", "Chasing Tail Latency, Again", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	var reload struct {
		Version string `json:"schedule_version"`
	}
	if err := json.Unmarshal(a.admin(t, http.MethodPost, "/api/v1/reload", "", http.StatusOK), &reload); err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*client{cb, cc} {
		waitMsg(t, cl, deliveryBound, "state of schedule "+reload.Version, func(m wsMsg, _ []byte) bool {
			return m.Type == "state" && stateDocOf(t, m.State).ScheduleVersion == reload.Version
		})
	}

	// Two organizers change the same revision at once: one wins, the other
	// is told so, with the current revision.
	rev := adminReq(t, a, http.MethodGet, "/api/v1/admin", "", nil).header.Get("ETag")
	if rev == "" {
		t.Fatal("GET /api/v1/admin on a cluster instance has no ETag")
	}
	answers := concurrently(t, []*testServer{a, b}, func(i int) (string, map[string]string) {
		return fmt.Sprintf(`{"text": "Organizer %d speaking"}`, i), map[string]string{"If-Match": rev}
	})
	codes := []int{answers[0].status, answers[1].status}
	slices.Sort(codes)
	if diff := cmp.Diff([]int{http.StatusCreated, http.StatusConflict}, codes); diff != "" {
		t.Fatalf("two writes with If-Match %s: statuses (-want +got):\n%s\n%s\n%s", rev, diff, answers[0].body, answers[1].body)
	}
	for _, r := range answers {
		if r.status == http.StatusConflict {
			checkAPIError(t, r, http.StatusConflict, "conflict")
			if r.header.Get("ETag") == rev || r.header.Get("ETag") == "" {
				t.Errorf("409 ETag = %q, want the new revision (not %s)", r.header.Get("ETag"), rev)
			}
		} else if r.header.Get("ETag") == rev {
			t.Errorf("201 ETag = %q, want the new revision", r.header.Get("ETag"))
		}
	}
	// Without If-Match, concurrent writes are applied on top of each other.
	answers = concurrently(t, []*testServer{b, c}, func(i int) (string, map[string]string) {
		return fmt.Sprintf(`{"text": "Both land %d"}`, i), nil
	})
	for i, r := range answers {
		if r.status != http.StatusCreated {
			t.Fatalf("write %d without If-Match = %d %s, want 201", i, r.status, r.body)
		}
	}
	if r := adminReq(t, a, http.MethodPost, "/api/v1/announcements", `{"text": "x"}`, map[string]string{"If-Match": "yesterday"}); r.status != http.StatusBadRequest {
		t.Errorf("If-Match: yesterday = %d %s, want 400", r.status, r.body)
	}
	var wantIDs []string
	if !testserver.Eventually(deliveryBound, func() bool {
		wantIDs = stateAnnouncements(t, a)
		return len(wantIDs) == 4 && cmp.Equal(wantIDs, stateAnnouncements(t, b)) && cmp.Equal(wantIDs, stateAnnouncements(t, c))
	}) {
		t.Fatalf("announcements: A %v, B %v, C %v; want the same 4 everywhere", wantIDs, stateAnnouncements(t, b), stateAnnouncements(t, c))
	}

	// C stops: its clients are told to go, reconnect to A, and find
	// everything there; C's viewers stop being counted.
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Shutdown(sctx); err != nil {
		t.Fatalf("C: Shutdown: %v", err)
	}
	if code, _ := cc.expectClose(); code != 1001 {
		t.Errorf("C's client closed with %d, want 1001", code)
	}
	moved := a.dial(t, "tab moved from C to A", "view=tab")
	if got := stateAnnouncements(t, a); !cmp.Equal(got, wantIDs) {
		t.Errorf("after C stopped, A shows %v, want %v", got, wantIDs)
	}
	_ = moved
	// A viewers message goes out only on a change, and C leaving while its
	// client arrives on A may be none: look at what the instances count.
	if !testserver.Eventually(3*viewersPeriod, func() bool {
		return clusterViewers(a) == 4 && clusterViewers(b) == 4 && !slices.Contains(b.cluster.Instances(), "c")
	}) {
		t.Errorf("after C stopped: A counts %v, B %v (C still counted: %v), want 4", clusterViewers(a), clusterViewers(b), slices.Contains(b.cluster.Instances(), "c"))
	}

	// NATS stops: everyone is still served the last state, admin writes are
	// refused with 503, readiness says degraded and the gauge 0.
	stopped := time.Now()
	n.stop()
	waitReady(t, "degraded", 5*time.Second, a, b)
	t.Logf("NATS stopped: both instances degraded after %v", time.Since(stopped))
	if got := clusterMetric(t, a, "confdash_nats_connected"); got != 0 {
		t.Errorf("confdash_nats_connected = %v while NATS is down, want 0", got)
	}
	r := adminReq(t, a, http.MethodPost, "/api/v1/announcements", `{"text": "Lost?"}`, nil)
	checkAPIError(t, r, http.StatusServiceUnavailable, "nats_unavailable")
	r = adminReq(t, b, http.MethodPost, "/api/v1/tracks/side/delay", `{"minutes": 3}`, nil)
	checkAPIError(t, r, http.StatusServiceUnavailable, "nats_unavailable")
	if err := ca.c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","client_time_ms":42}`)); err != nil {
		t.Fatalf("ping during the outage: %v", err)
	}
	waitMsg(t, ca, readTimeout, "pong during the outage", func(m wsMsg, _ []byte) bool { return m.Type == "pong" && m.ClientTimeMS == 42 })
	late := b.dial(t, "tab arriving on B during the outage", "view=tab")
	for i, ts := range []*testServer{a, b} {
		if got := stateAnnouncements(t, ts); !cmp.Equal(got, wantIDs) {
			t.Errorf("instance %d during the outage shows %v, want %v", i, got, wantIDs)
		}
	}

	// NATS comes back on the same port with the same storage: the
	// instances reconnect, catch up and share again.
	restarted := time.Now()
	n.start()
	waitReady(t, "ready", 10*time.Second, a, b)
	t.Logf("NATS restarted: both instances ready again after %v", time.Since(restarted))
	if got := clusterMetric(t, a, "confdash_nats_connected"); got != 1 {
		t.Errorf("confdash_nats_connected = %v after NATS returned, want 1", got)
	}
	start = time.Now()
	after := b.announce(t, "We are back", "side")
	waitMsg(t, ca, deliveryBound, "announcement after the outage", isAnnouncement("add", after.ID))
	t.Logf("announcement posted on B after NATS returned: on A %v after the POST began", time.Since(start))
	a.admin(t, http.MethodDelete, "/api/v1/announcements/"+ann.ID, "", http.StatusNoContent)
	waitMsg(t, late, deliveryBound, "removal after the outage", isAnnouncement("remove", ann.ID))
	if !testserver.Eventually(deliveryBound, func() bool {
		return cmp.Equal(stateAnnouncements(t, a), stateAnnouncements(t, b)) && len(stateAnnouncements(t, a)) == 4
	}) {
		t.Errorf("after NATS returned: A %v, B %v, want the same 4", stateAnnouncements(t, a), stateAnnouncements(t, b))
	}
	ra := adminReq(t, a, http.MethodGet, "/api/v1/admin", "", nil).header.Get("ETag")
	rb := adminReq(t, b, http.MethodGet, "/api/v1/admin", "", nil).header.Get("ETag")
	if ra != rb {
		t.Errorf("revisions after convergence: A %s, B %s", ra, rb)
	}
}

// TestClusterImportsStateFileOnce: the first instance of a new cluster
// brings its state file's announcements into NATS; a second one, with
// another state file, finds the bucket in use and imports nothing. Neither
// file is written in cluster mode.
func TestClusterImportsStateFileOnce(t *testing.T) {
	n := startTestNATS(t)
	created := testNow.Add(-time.Hour) // shown at the test clock's instant
	writeState := func(text string) (string, []byte) {
		path := filepath.Join(t.TempDir(), "state.json")
		adj := schedule.Adjustments{Announcements: []schedule.Announcement{{ID: text, Text: text, Created: created}}}
		if err := saveState(path, 0, adj); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return path, data
	}
	pathA, dataA := writeState("imported")
	a, _ := startClusterNode(t, n.url(), "a", pathA)
	waitReady(t, "ready", 10*time.Second, a)
	pathB, dataB := writeState("ignored")
	b, _ := startClusterNode(t, n.url(), "b", pathB)
	waitReady(t, "ready", 10*time.Second, b)

	for i, ts := range []*testServer{a, b} {
		if diff := cmp.Diff([]string{"imported"}, stateAnnouncements(t, ts)); diff != "" {
			t.Errorf("instance %d announcements (-want +got):\n%s", i, diff)
		}
	}
	b.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 4}`, http.StatusOK)
	problems, err := testutil.GatherAndLint(b.m.reg, "confdash_nats_connected", "confdash_cluster_viewers",
		"confdash_cluster_write_conflicts_total", "confdash_cluster_watch_starts_total")
	if err != nil || len(problems) > 0 {
		t.Errorf("cluster metrics: lint problems %v (err %v)", problems, err)
	}
	if got := clusterMetric(t, b, "confdash_cluster_watch_starts_total"); got != 1 {
		t.Errorf("confdash_cluster_watch_starts_total = %v, want 1", got)
	}
	for path, want := range map[string][]byte{pathA: dataA, pathB: dataB} {
		if got, err := os.ReadFile(path); err != nil || string(got) != string(want) {
			t.Errorf("state file %s changed in cluster mode: %s (err %v)", path, got, err)
		}
	}
}
