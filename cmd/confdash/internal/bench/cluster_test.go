package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/server"
	"github.com/google/go-cmp/cmp"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startTestNATS runs a NATS server with JetStream in this process, on
// loopback, until the test ends, and returns its URL.
func startTestNATS(t *testing.T) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		ServerName: "confdash-bench-test", Host: "127.0.0.1", Port: -1,
		JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatalf("NATS server: %v", err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start within 10 s")
	}
	return fmt.Sprintf("nats://127.0.0.1:%d", ns.Addr().(*net.TCPAddr).Port)
}

// waitTestReady waits until the instance at base says "ready" on /readyz.
func waitTestReady(t *testing.T, base string) {
	t.Helper()
	var status, reason string
	var err error
	if !testserver.Eventually(10*time.Second, func() bool {
		status, reason, err = readyz(t.Context(), http.DefaultClient, base)
		return err == nil && status == "ready"
	}) {
		t.Fatalf("%s not ready within 10 s: %q %s %v", base, status, reason, err)
	}
}

// TestBenchSeveralInstances runs the bench over three confdash instances of
// one cluster: announcements posted to the first reach the viewers of all
// three, and the report accounts for each.
func TestBenchSeveralInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	natsURL := startTestNATS(t)
	var urls []string
	for i := range 3 {
		u := startTestConfdashConfig(t, server.Config{AdminToken: "t",
			Cluster: server.ClusterConfig{URL: natsURL, Bucket: "bench-test", InstanceID: fmt.Sprint("i", i)}})
		waitTestReady(t, u)
		urls = append(urls, u)
	}
	o := smallRun(urls[0], "t", 300, 1)
	o.URLs, o.Broadcasts = urls, 2
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	rep, err := testEnv(t).runBench(t.Context(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, rep, 300, 2)
	if got, want := rep.URL, urls[0]; got != want {
		t.Errorf("report's URL %s, want the first, where the announcements went: %s", got, want)
	}
	if len(rep.Instances) != 3 {
		t.Fatalf("%d instances in the report, want 3", len(rep.Instances))
	}
	var connected, deliveries int
	for i, in := range rep.Instances {
		if in.URL != urls[i] || in.Viewers != 100 || in.Connected != 100 || in.ConnectFailed != 0 {
			t.Errorf("instance %d: %s with %d viewers, %d connected, %d failed; want %s with 100 connected", i, in.URL, in.Viewers, in.Connected, in.ConnectFailed, urls[i])
		}
		if in.Missing != 0 || in.Dropped != 0 || in.Deliveries != 200 || in.Latency == nil {
			t.Errorf("instance %d: %d deliveries, %d missing, %d dropped, latency %v; want every viewer's 2", i, in.Deliveries, in.Missing, in.Dropped, in.Latency)
		}
		connected += in.Connected
		deliveries += in.Deliveries
	}
	if connected != rep.Connected || deliveries != rep.Deliveries {
		t.Errorf("instances add up to %d connected and %d deliveries, the run to %d and %d", connected, deliveries, rep.Connected, rep.Deliveries)
	}
	var out bytes.Buffer
	rep.print(&out)
	for _, want := range append([]string{"3 instances; announcements posted to " + urls[0], "by instance"}, urls...) {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the printed report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBenchCluster runs `bench cluster` end to end: two instances as child
// processes on an embedded NATS server, the viewers in two worker processes
// (one an instance), figures from each instance's process, a graceful stop,
// and the run's buckets removed.
func TestBenchCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	natsURL := startTestNATS(t)
	t.Setenv("CONFDASH_ADMIN_TOKEN", "")
	var out bytes.Buffer
	// The workers write their stderr from goroutines of their own.
	var errOut testserver.LockedBuffer
	e := testEnv(t)
	e.Stdout, e.Stderr = &out, &errOut
	err := e.Main(t.Context(), []string{"cluster", "--nats", natsURL, "--instances", "2",
		"--viewers", "200", "--broadcasts", "2", "--procs", "2", "--per-source", "150",
		"--settle", "0", "--gap", "100ms", "--timeout", "30s", "--json"})
	if err != nil {
		t.Fatalf("bench cluster: %v\n%s", err, errOut.String())
	}
	var rep clusterReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	b := rep.Bench
	checkRun(t, b, 200, 2)
	if b.Procs != 2 || b.Sources != 2 {
		t.Errorf("%d processes, %d source addresses; want 2 and 2", b.Procs, b.Sources)
	}
	if len(rep.Instances) != 2 || len(b.Instances) != 2 {
		t.Fatalf("%d instances started, %d in the bench; want 2", len(rep.Instances), len(b.Instances))
	}
	var rss int64
	for i, in := range b.Instances {
		started := rep.Instances[i]
		if in.URL != started.URL || in.Connected != 100 || in.Missing != 0 || in.Deliveries != 200 {
			t.Errorf("instance %d: %s, %d connected, %d deliveries, %d missing; want %s, 100, 200, 0", i, in.URL, in.Connected, in.Deliveries, in.Missing, started.URL)
		}
		if in.Server == nil || in.Server.PID != started.PID || in.Server.RSSIdle <= 0 || in.Server.CPUBroadcastSeconds < 0 {
			t.Errorf("instance %d: server figures %+v, want those of pid %d", i, in.Server, started.PID)
		} else {
			rss += in.Server.RSSIdle
		}
		if started.Exit != "exit status 0" {
			t.Errorf("instance %d ended with %q, want a graceful stop", i, started.Exit)
		}
	}
	if s := b.Server; s == nil || s.PID != 0 || s.RSSIdle != rss {
		t.Errorf("sum of the servers' figures %+v, want no pid and RSS %d, the instances' sum", s, rss)
	}

	// The run's buckets are gone.
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range js.KeyValueStoreNames(t.Context()).Name() {
		names = append(names, name)
	}
	if len(names) != 0 {
		t.Errorf("buckets left after the run: %q (the run's: %s)", names, rep.Bucket)
	}
}

// TestBenchClusterWithoutJetStream: a NATS server without JetStream is
// refused before any instance starts.
func TestBenchClusterWithoutJetStream(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start within 10 s")
	}
	started := false
	e := testEnv(t)
	e.ServerCommand = func(context.Context, string, []string) (*exec.Cmd, error) {
		started = true
		return nil, errors.New("no instance should start")
	}
	url := fmt.Sprintf("nats://127.0.0.1:%d", ns.Addr().(*net.TCPAddr).Port)
	err = e.Main(t.Context(), []string{"cluster", "--nats", url, "--instances", "2", "--viewers", "10"})
	if err == nil || !strings.Contains(err.Error(), "-js") || started {
		t.Fatalf("err = %v (an instance started: %v), want a word about JetStream (-js) and no instance", err, started)
	}
}

// TestBenchPlan: the viewers are spread evenly over the URLs, each child
// process opens one URL's viewers, and the default keeps every process
// under the file limit.
func TestBenchPlan(t *testing.T) {
	urls := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("http://127.0.0.1:%d", 8081+i))
		}
		return out
	}
	for _, tc := range []struct {
		viewers, urls, procs int
		wantProcs            int
		want                 []groupPlan
	}{
		{40000, 1, 0, 3, []groupPlan{{0, 13334}, {0, 13333}, {0, 13333}}},
		{10000, 5, 0, 1, []groupPlan{{0, 2000}, {1, 2000}, {2, 2000}, {3, 2000}, {4, 2000}}},
		{95000, 5, 0, 10, []groupPlan{{0, 9500}, {0, 9500}, {1, 9500}, {1, 9500}, {2, 9500}, {2, 9500}, {3, 9500}, {3, 9500}, {4, 9500}, {4, 9500}}},
		{95000, 5, 6, 6, []groupPlan{{0, 9500}, {0, 9500}, {1, 19000}, {2, 19000}, {3, 19000}, {4, 19000}}},
		{7, 3, 1, 1, []groupPlan{{0, 3}, {1, 2}, {2, 2}}},
		{5, 2, 9, 5, []groupPlan{{0, 1}, {0, 1}, {0, 1}, {1, 1}, {1, 1}}},
	} {
		o := benchOptions{URLs: urls(tc.urls), Viewers: tc.viewers, Procs: tc.procs, View: "screen",
			Timeout: time.Minute, DeliverTimeout: time.Second, PerSource: 16000, Concurrency: 64}
		if err := o.check(); err != nil {
			t.Errorf("%d viewers over %d URLs, --procs %d: %v", tc.viewers, tc.urls, tc.procs, err)
			continue
		}
		if o.Procs != tc.wantProcs {
			t.Errorf("%d viewers over %d URLs, --procs %d: %d processes, want %d", tc.viewers, tc.urls, tc.procs, o.Procs, tc.wantProcs)
		}
		if diff := cmp.Diff(tc.want, o.plan(), cmp.AllowUnexported(groupPlan{})); diff != "" {
			t.Errorf("%d viewers over %d URLs, --procs %d (-want +got):\n%s", tc.viewers, tc.urls, tc.procs, diff)
		}
	}
}

func TestURLFlag(t *testing.T) {
	var o benchOptions
	e := testEnv(t)
	fs := e.FlagSet("bench", "bench", io.Discard)
	o.register(fs)
	if got, want := fs.Lookup("url").DefValue, "http://127.0.0.1:8080"; got != want {
		t.Errorf("--url default %q, want %q", got, want)
	}
	if _, err := e.Parse(fs, []string{"--url", "http://127.0.0.1:1, http://127.0.0.1:2", "--url", "http://127.0.0.1:3", "--server-pid", "4,5,6"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"}, o.URLs); diff != "" {
		t.Errorf("--url (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{4, 5, 6}, o.ServerPIDs); diff != "" {
		t.Errorf("--server-pid (-want +got):\n%s", diff)
	}
	if _, err := e.Parse(fs, []string{"--server-pid", "x"}); err == nil {
		t.Error("--server-pid x parsed")
	}
}
