package bench

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confdash/confdash/cmd/confdash/internal/bench/floor"
	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule/demo"
	"github.com/confdash/confdash/server"
)

// benchWorkerEnv makes this test binary a bench worker: the multi-process
// test starts it again as a child, the way confdash starts itself.
const benchWorkerEnv = "CONFDASH_BENCH_TEST_WORKER"

func init() {
	if cfg, ok := os.LookupEnv(benchWorkerEnv); ok {
		err := benchWorker(context.Background(), []string{"--config", cfg}, os.Stdin, os.Stdout)
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// testEnv is the bench as this test binary runs it: flags parsed by the
// standard library (confdash's own conventions, with their environment
// twins, are tested with its commands), viewer workers started as this
// binary again, and target servers started from a confdash binary built for
// the tests.
func testEnv(t *testing.T) *Env {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Env{
		Stdin: os.Stdin, Stdout: io.Discard, Stderr: io.Discard,
		FlagSet: func(name, _ string, stderr io.Writer) *flag.FlagSet {
			fs := flag.NewFlagSet(name, flag.ContinueOnError)
			fs.SetOutput(stderr)
			return fs
		},
		Parse: func(fs *flag.FlagSet, args []string) ([]string, error) {
			err := fs.Parse(args)
			return fs.Args(), err
		},
		ServerCommand: func(ctx context.Context, target string, args []string) (*exec.Cmd, error) {
			bin := confdashBinary(t)
			if target == "floor" {
				return exec.CommandContext(ctx, bin, append([]string{"bench", "floor"}, args...)...), nil
			}
			return exec.CommandContext(ctx, bin, append([]string{"serve"}, args...)...), nil
		},
		WorkerCommand: func(ctx context.Context, config string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, exe)
			cmd.Env = append(os.Environ(), benchWorkerEnv+"="+config)
			return cmd, nil
		},
	}
}

var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

// confdashBinary builds confdash once for the tests that start it as a
// child process, the way `bench cluster` and `bench compare` do.
func confdashBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "confdash-bench-test-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "confdash")
		out, err := exec.Command("go", "build", "-o", built.bin, "github.com/confdash/confdash/cmd/confdash").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// startTestFloor runs the floor on 127.0.0.1:0 until the test ends.
func startTestFloor(t *testing.T, token string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- floor.Serve(ctx, ln, floor.New(token, 2000, 0), slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("floor: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// startTestConfdash runs the real server in this process.
func startTestConfdash(t *testing.T, token string) string {
	t.Helper()
	return startTestConfdashConfig(t, server.Config{AdminToken: token})
}

// startTestConfdashConfig runs the real server in this process with cfg, the
// demo schedule and a state file of its own.
func startTestConfdashConfig(t *testing.T, cfg server.Config) string {
	t.Helper()
	cfg.Schedule, cfg.StatePath = demo.Schedule(time.Now()), filepath.Join(t.TempDir(), "s.json")
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return testserver.Start(t, srv).Base
}

func smallRun(url, token string, viewers, procs int) benchOptions {
	return benchOptions{
		URLs: []string{url}, Viewers: viewers, Broadcasts: 3, View: "screen", Token: token,
		Timeout: time.Minute, DeliverTimeout: 10 * time.Second, Warmup: 0.5,
		TextBytes: 170, Procs: procs, PerSource: 16000, Concurrency: 32,
		ServerPIDs: []int{-1}, // the server shares this process: its figures would include the viewers
		Cleanup:    true,
	}
}

// checkRun asserts that every viewer got every broadcast and that the
// latency figures make sense.
func checkRun(t *testing.T, rep *benchReport, viewers, broadcasts int) {
	t.Helper()
	if got, want := rep.Connected, viewers; got != want {
		t.Fatalf("connected %d viewers, want %d (%s)", got, want, rep.ConnectError)
	}
	if rep.Missing != 0 || rep.Dropped != 0 {
		t.Fatalf("%d deliveries missing, %d viewers dropped (%v), want none", rep.Missing, rep.Dropped, rep.DropReasons)
	}
	if got, want := rep.Deliveries, viewers*broadcasts; got != want {
		t.Fatalf("%d deliveries, want %d", got, want)
	}
	l := rep.Latency
	if l == nil {
		t.Fatal("no latency figures")
	}
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Fatalf("latency percentiles out of order or not positive: %+v", *l)
	}
	if rep.AnnouncementBytes < 250 || rep.AnnouncementBytes > 400 {
		t.Fatalf("announcement message of %d bytes, want about 300", rep.AnnouncementBytes)
	}
	if rep.ConnectRate <= 0 || len(rep.ConnectSteps) != 2 {
		t.Fatalf("connect rate %v over %d steps, want a positive rate over 2", rep.ConnectRate, len(rep.ConnectSteps))
	}
}

func TestBenchAgainstFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	url := startTestFloor(t, "t")
	rep, err := testEnv(t).runBench(t.Context(), smallRun(url, "t", 200, 1), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, rep, 200, 3)
}

func TestBenchAgainstConfdash(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	url := startTestConfdash(t, "t")
	rep, err := testEnv(t).runBench(t.Context(), smallRun(url, "t", 200, 1), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, rep, 200, 3)
	// One URL: the report keeps its shape.
	if rep.Instances != nil {
		t.Fatalf("a run over one URL reported instances: %+v", rep.Instances)
	}
}

// TestBenchWorkers spreads the viewers over two child processes, as a run of
// more than one process's files does, and over source addresses.
// TestConfdashSizes measures what `bench compare` sizes the floor's
// messages from: confdash's state message, and everything a viewer receives
// for one change, which carries at least the announcement's text, in one
// protocol 2 delta.
func TestConfdashSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts confdash; runs without -short")
	}
	o := smallRun("http://127.0.0.1:1", "t", 1, 1)
	state, change, frames, err := testEnv(t).confdashSizes(t.Context(), t.TempDir(), o, "--conn-rate 0 --max-viewers-per-address 0")
	if err != nil {
		t.Fatal(err)
	}
	if state < 1000 || change < o.TextBytes+100 {
		t.Fatalf("state %d bytes, change %d bytes: want a demo state document (over 1 KB) and a change carrying the %d-byte announcement text",
			state, change, o.TextBytes)
	}
	// The viewers speak protocol 2: a change is one delta, as the floor's
	// one frame, and much smaller than the state.
	if frames != 1 || change >= state {
		t.Fatalf("change of %d bytes in %d messages, state %d bytes: want one delta, smaller than the state", change, frames, state)
	}
	t.Logf("state %d bytes, change %d bytes in %d messages", state, change, frames)
}

func TestBenchWorkers(t *testing.T) {
	url := startTestFloor(t, "t")
	o := smallRun(url, "t", 300, 2)
	o.PerSource = 150 // two source addresses, few enough files for any CI
	rep, err := testEnv(t).runBench(t.Context(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, rep, 300, 3)
	if got, want := rep.Sources, 2; got != want {
		t.Fatalf("%d source addresses, want %d", got, want)
	}
}

func TestBenchRefusesWrongToken(t *testing.T) {
	url := startTestFloor(t, "t")
	_, err := testEnv(t).runBench(t.Context(), smallRun(url, "wrong", 10, 1), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v, want the server's 401", err)
	}
}

func TestBenchFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--url", "http://10.1.2.3:8080", "--token", "t"}, "not a loopback address"},
		{[]string{"--url", "http://example.org:8080", "--token", "t"}, "not a loopback address"},
		{[]string{"--viewers", "100001", "--token", "t"}, "--viewers"},
		{[]string{"--viewers", "40000", "--procs", "2", "--token", "t"}, "--procs 3 or more"},
		{[]string{"--warmup", "1", "--token", "t"}, "--warmup"},
		{[]string{"floor", "--addr", "0.0.0.0:8081"}, "not a loopback address"},
		{[]string{"http", "--url", "http://192.168.1.1/api/v1/state"}, "not a loopback address"},
		// Several URLs.
		{[]string{"--url", "http://127.0.0.1:8081,http://10.1.2.3:8082", "--token", "t"}, `"10.1.2.3" is not a loopback address`},
		{[]string{"--url", "http://127.0.0.1:8081", "--url", "http://example.org:8082", "--token", "t"}, `"example.org" is not a loopback address`},
		{[]string{"--url", "http://127.0.0.1:8081,http://127.0.0.1:8081", "--token", "t"}, "the same server"},
		{[]string{"--url", "http://127.0.0.1:8081,http://127.0.0.1:8082", "--viewers", "1", "--token", "t"}, "at least one viewer"},
		{[]string{"--url", "http://127.0.0.1:8081,http://127.0.0.1:8082", "--server-pid", "42", "--token", "t"}, "one id per --url"},
		{[]string{"--url", "http://127.0.0.1:8081,http://127.0.0.1:8082", "--server-pid", "1,2,3", "--token", "t"}, "3 ids for 2 URLs"},
		{[]string{"--url", "http://127.0.0.1:8081,http://127.0.0.1:8082,http://127.0.0.1:8083", "--procs", "2", "--token", "t"}, "--procs 1 (this process) or 3 or more"},
		{[]string{"--url", "http://127.0.0.1:8081,http://127.0.0.1:8082,http://127.0.0.1:8083,http://127.0.0.1:8084,http://127.0.0.1:8085",
			"--viewers", "96000", "--procs", "6", "--token", "t"}, "--procs 10 or more"},
		// bench cluster: refused before anything starts.
		{[]string{"cluster"}, "needs --nats"},
		{[]string{"cluster", "--nats", "nats://10.0.0.1:4222"}, `"10.0.0.1" is not a loopback address`},
		{[]string{"cluster", "--nats", "http://127.0.0.1:4222"}, "use nats://"},
		{[]string{"cluster", "--nats", "nats://127.0.0.1:4222", "--instances", "0"}, "--instances 0"},
		{[]string{"cluster", "--nats", "nats://127.0.0.1:4222", "--instances", "4"}, "use --instances 5 or more"},
	} {
		err := testEnv(t).Main(t.Context(), tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bench %q: err = %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
}

func TestBenchHTTP(t *testing.T) {
	for name, start := range map[string]func(*testing.T, string) string{
		"floor": startTestFloor, "confdash": startTestConfdash,
	} {
		t.Run(name, func(t *testing.T) {
			url := start(t, "t")
			rep, err := runHTTPBench(t.Context(), url+"/api/v1/state", 300*time.Millisecond, 4, -1)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Requests == 0 || rep.Errors != 0 || rep.BodyBytes < 100 {
				t.Fatalf("%d requests, %d errors (%s), %d-byte body: want requests, no error, a state document",
					rep.Requests, rep.Errors, rep.FirstError, rep.BodyBytes)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	ms := make([]float64, 1000)
	for i := range ms {
		ms[len(ms)-1-i] = float64(i + 1) // 1000 down to 1: summarize sorts
	}
	l := summarize(ms)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"p50", l.P50, 500}, {"p90", l.P90, 900}, {"p99", l.P99, 990}, {"p99.9", l.P999, 999}, {"max", l.Max, 1000}, {"mean", l.Mean, 500.5},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if summarize(nil) != nil {
		t.Error("summarize(nil) != nil")
	}
}

func TestMarkerIndices(t *testing.T) {
	p := newViewerPool(poolConfig{Marker: "cdbench-ab12-", Broadcasts: 3})
	for _, tc := range []struct {
		msg  string
		want []int
	}{
		{`{"action":"add","announcement":{"text":"cdbench-ab12-2 ~~~"},"id":"x","type":"announcement"}`, []int{2}},
		{`{"type":"announcement","action":"add","announcement":{"text":"cdbench-ab12-17 ~"}}`, []int{17}},
		// Protocol 2: the delta carries the new announcement.
		{`{"type":"delta","seq":13,"base":3,"added":[{"id":"d7","text":"cdbench-ab12-1 ~"}],"next_change":null}`, []int{1}},
		{`{"type":"delta","seq":14,"base":13,"announcements":[{"text":"cdbench-ab12-0 ~"},{"text":"cdbench-ab12-1 ~"}]}`, []int{0, 1}},
		// A state lists the announcement too: not a delivery.
		{`{"type":"state","state":{"announcements":[{"text":"cdbench-ab12-2 ~"}]}}`, nil},
		{`{"type":"state","seq":3,"state":{"announcements":[{"text":"cdbench-ab12-2 ~"}]}}`, nil},
		{`{"type":"announcement","announcement":{"text":"cdbench-ffff-2 ~"}}`, nil},
	} {
		got := slices.Collect(p.markerIndices([]byte(tc.msg)))
		if !slices.Equal(got, tc.want) {
			t.Errorf("markerIndices(%s) = %v; want %v", tc.msg, got, tc.want)
		}
	}
}

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		resp    string
		n       int
		wantErr string
	}{
		{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 5\r\n\r\nhello", 5, ""},
		{"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}", 0, "status 404"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0, "chunked"},
	} {
		n, err := readResponse(bufio.NewReader(strings.NewReader(tc.resp)))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err = %v, want %q", tc.resp, err, tc.wantErr)
			}
			continue
		}
		if err != nil || n != tc.n {
			t.Errorf("%q: %d, %v; want %d", tc.resp, n, err, tc.n)
		}
	}
}

func TestSourceAddr(t *testing.T) {
	if a := sourceAddr(5, 0); a != nil {
		t.Fatalf("sourceAddr without spreading = %v, want nil (the kernel's choice)", a)
	}
	for _, tc := range []struct {
		i    int
		want string
		per  int
	}{{0, "127.0.0.2", 16000}, {15999, "127.0.0.2", 16000}, {16000, "127.0.0.3", 16000}, {99999, "127.0.0.8", 16000}, {99999, "127.0.3.233", 100}} {
		if got := sourceAddr(tc.i, tc.per).IP.String(); got != tc.want {
			t.Errorf("sourceAddr(%d) = %s, want %s", tc.i, got, tc.want)
		}
	}
}

func TestAnnouncementText(t *testing.T) {
	s := announcementText("cdbench-ab12-", 3, 170)
	if len(s) != 170 || !strings.HasPrefix(s, "cdbench-ab12-3 ") {
		t.Fatalf("text %q (%d bytes): want the marker, the index and padding to 170 bytes", s, len(s))
	}
}
