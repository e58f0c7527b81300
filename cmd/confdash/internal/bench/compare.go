package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/confdash/confdash/cmd/confdash/internal/bench/floor"
	"github.com/gorilla/websocket"
)

// compareTargets are the servers `bench compare` alternates between.
var compareTargets = []string{"confdash", "floor"}

// compareRun is one measured run of one target.
type compareRun struct {
	Target string       `json:"target"`
	Run    int          `json:"run"`
	Bench  *benchReport `json:"bench"`
	HTTP   *httpReport  `json:"http,omitempty"`
}

// compareReport is `bench compare`'s result: every run, the medians per
// target and confdash's ratios to the floor.
type compareReport struct {
	Options    compareOptions `json:"options"`
	StateBytes int            `json:"floor_state_padding_bytes"`
	// ChangeBytes is the floor's message per change: confdash's bytes per
	// change to a viewer, unless --change-bytes set it.
	ChangeBytes int `json:"floor_change_bytes"`
	// ChangeFrames is how many messages confdash sent a viewer for the
	// change it measured ChangeBytes from (0: not measured): one with
	// protocol 2, as the floor's.
	ChangeFrames int                           `json:"confdash_change_frames,omitempty"`
	Runs         []compareRun                  `json:"runs"`
	Medians      map[string]map[string]float64 `json:"medians"`
	Ratios       map[string]float64            `json:"ratios"` // confdash / floor
}

type compareOptions struct {
	Runs         int           `json:"runs"`
	Viewers      int           `json:"viewers"`
	Broadcasts   int           `json:"broadcasts"`
	Idle         time.Duration `json:"idle_ns"`
	HTTPDuration time.Duration `json:"http_duration_ns"`
	HTTPConns    int           `json:"http_conns"`
	StateBytes   int           `json:"state_bytes"`
	ChangeBytes  int           `json:"change_bytes"`
	ServeFlags   string        `json:"serve_flags,omitempty"`
}

// benchCompare is `confdash bench compare`.
func (e *Env) benchCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o benchOptions
	var c compareOptions
	fs := e.FlagSet("bench compare", "bench compare [--runs 5] [--viewers 10000] [flags]", stderr)
	o.register(fs)
	// The target's address and process are the ones compare starts.
	hide(fs, "compare", "url", "token", "server-pid", "cleanup")
	fs.IntVar(&c.Runs, "runs", 5, "runs of each target (at most 50)")
	fs.DurationVar(&c.HTTPDuration, "http-duration", 0, "after each run, also measure GET /api/v1/state for this long (e.g. 10s)")
	fs.IntVar(&c.HTTPConns, "http-conns", 64, "keep-alive connections for the GET /api/v1/state measure")
	// Every viewer comes from loopback: the per-address limit on new
	// connections would refuse all but the first few hundred.
	fs.StringVar(&c.ServeFlags, "serve-flags", "--conn-rate 0 --max-viewers-per-address 0", "extra flags for confdash serve, space-separated")
	fs.IntVar(&c.StateBytes, "state-bytes", -1, "padding of the floor's state document (-1: make it as large as confdash's)")
	fs.IntVar(&c.ChangeBytes, "change-bytes", -1, "size of the floor's one message per change (-1: what confdash sends a viewer for one change, measured before the first floor run)")
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	if _, err := e.Parse(fs, args); err != nil {
		return err
	}
	if c.Runs < 1 || c.Runs > 50 {
		return fmt.Errorf("--runs %d: use 1 to 50", c.Runs)
	}
	var tok [16]byte
	rand.Read(tok[:])
	o.Token = hex.EncodeToString(tok[:])
	o.URLs, o.ServerPIDs, o.Cleanup = []string{"http://127.0.0.1:1"}, []int{0}, false
	if err := o.check(); err != nil {
		return err
	}
	o.ProgressTo = progressWriter(stderr, o.Progress)
	c.Viewers, c.Broadcasts, c.Idle = o.Viewers, o.Broadcasts, o.Idle

	dir, err := os.MkdirTemp("", "confdash-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rep := &compareReport{Options: c, StateBytes: c.StateBytes, ChangeBytes: c.ChangeBytes}
	for i := range c.Runs {
		// Alternate which target goes first, so that neither always runs
		// on a machine just warmed (or tired) by the other.
		order := slices.Clone(compareTargets)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, target := range order {
			if target == "floor" && (rep.StateBytes < 0 || rep.ChangeBytes < 0) {
				// The floor's messages match confdash's: measure them first.
				state, change, frames, err := e.confdashSizes(ctx, dir, o, c.ServeFlags)
				if err != nil {
					return err
				}
				if rep.StateBytes < 0 {
					rep.StateBytes = max(0, state-floor.StateBytes())
				}
				if rep.ChangeBytes < 0 {
					rep.ChangeBytes, rep.ChangeFrames = change, frames
				}
			}
			fmt.Fprintf(stderr, "run %d/%d: %s\n", i+1, c.Runs, target)
			run, err := e.compareOnce(ctx, target, i, dir, o, c, rep.StateBytes, rep.ChangeBytes, stderr)
			if err != nil {
				return fmt.Errorf("run %d, %s: %w", i+1, target, err)
			}
			rep.Runs = append(rep.Runs, run)
		}
	}
	rep.summarize()
	return writeReport(stdout, *jsonOut, rep)
}

// hide marks flags that the subcommand (compare, cluster) sets itself.
func hide(fs *flag.FlagSet, subcommand string, names ...string) {
	for _, name := range names {
		if f := fs.Lookup(name); f != nil {
			f.Usage = "(set by " + subcommand + ")"
		}
	}
}

// targetServer is a target started as a child process.
type targetServer struct {
	cmd  *exec.Cmd
	url  string
	logs *tailBuffer
}

func (e *Env) startTarget(ctx context.Context, target, dir, token, serveFlags string, run, stateBytes, changeBytes int) (*targetServer, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	var args []string
	if target == "floor" {
		args = []string{"--addr", addr, "--state-bytes", strconv.Itoa(stateBytes), "--change-bytes", strconv.Itoa(changeBytes)}
	} else {
		args = []string{"--addr", addr, "--state", filepath.Join(dir, fmt.Sprintf("state-%s-%d.json", target, run))}
		args = append(args, strings.Fields(serveFlags)...)
	}
	cmd, err := e.ServerCommand(ctx, target, args)
	if err != nil {
		return nil, err
	}
	logs := &tailBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(cmd.Environ(), "CONFDASH_ADMIN_TOKEN="+token)
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &targetServer{cmd: cmd, url: "http://" + addr, logs: logs}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(t.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return t, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.stop()
			return nil, fmt.Errorf("%s did not answer /healthz within 20 s: %s", target, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop asks the server to stop (SIGTERM: a graceful stop) and kills it if it
// has not within 10 s.
func (t *targetServer) stop() error {
	t.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- t.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.cmd.Process.Kill()
		return fmt.Errorf("did not stop within 10 s after SIGTERM; killed")
	}
}

func (e *Env) compareOnce(ctx context.Context, target string, run int, dir string, o benchOptions, c compareOptions, stateBytes, changeBytes int, stderr io.Writer) (compareRun, error) {
	srv, err := e.startTarget(ctx, target, dir, o.Token, c.ServeFlags, run, stateBytes, changeBytes)
	if err != nil {
		return compareRun{}, err
	}
	defer srv.stop()
	o.URLs, o.ServerPIDs = []string{srv.url}, []int{srv.cmd.Process.Pid}
	bctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	rep, err := e.runBench(bctx, o, stderr)
	if err != nil {
		return compareRun{}, fmt.Errorf("%w (server log: %s)", err, srv.logs.String())
	}
	out := compareRun{Target: target, Run: run + 1, Bench: rep}
	if c.HTTPDuration > 0 {
		if out.HTTP, err = runHTTPBench(ctx, srv.url+"/api/v1/state", c.HTTPDuration, c.HTTPConns, srv.cmd.Process.Pid); err != nil {
			return compareRun{}, err
		}
	}
	return out, nil
}

// confdashSizes starts confdash briefly and measures what the floor must
// match: the state message a viewer gets on connecting, and the bytes a
// viewer receives for one change (an announcement of the run's size):
// every message that reaches it for that change, however many frames the
// protocol makes of it (frames counts them), with the protocol the viewers
// speak.
func (e *Env) confdashSizes(ctx context.Context, dir string, o benchOptions, serveFlags string) (state, change, frames int, err error) {
	srv, err := e.startTarget(ctx, "confdash", dir, o.Token, serveFlags, -1, 0, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	defer srv.stop()
	o.URLs = []string{srv.url}
	targets, err := benchTargets(o)
	if err != nil {
		return 0, 0, 0, err
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, _, err := d.DialContext(ctx, targets[0].ws, nil)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("measuring confdash's messages: %w", err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for state == 0 {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return 0, 0, 0, fmt.Errorf("measuring confdash's state: %w", err)
		}
		if bytes.Contains(msg, []byte(`"type":"state"`)) {
			state = len(msg)
		}
	}
	text := announcementText("cdbench-size-", 0, o.TextBytes)
	if _, _, err := postAnnouncement(ctx, http.DefaultClient, srv.url, o.Token, text); err != nil {
		return 0, 0, 0, fmt.Errorf("measuring confdash's change: %w", err)
	}
	// The change's messages come together; 500 ms of silence after the
	// first ends them (the next ping is 25 s away).
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			if change > 0 {
				return state, change, frames, nil
			}
			return 0, 0, 0, fmt.Errorf("measuring confdash's change: no message within 10 s: %w", err)
		}
		change += len(msg)
		frames++
		ws.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	}
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// compareMetrics are the figures compared, by name, with how to read each
// from a run (ok false: not measured).
var compareMetrics = []struct {
	name string
	get  func(r compareRun) (float64, bool)
}{
	// Not a figure of the server: other work on the machine.
	{"load1", func(r compareRun) (float64, bool) { return r.Bench.LoadAverage[0], true }},
	{"failed", func(r compareRun) (float64, bool) { return float64(r.Bench.ConnectFailed), true }},
	{"connect_s", func(r compareRun) (float64, bool) { return r.Bench.ConnectSeconds, true }},
	{"connect_per_s", func(r compareRun) (float64, bool) { return r.Bench.ConnectRate, true }},
	{"rss_per_viewer_kb", func(r compareRun) (float64, bool) {
		return serverFig(r, func(s *serverFigures) float64 { return s.RSSPerViewer / 1024 })
	}},
	{"p50_ms", func(r compareRun) (float64, bool) { return lat(r, func(l *latencies) float64 { return l.P50 }) }},
	{"p90_ms", func(r compareRun) (float64, bool) { return lat(r, func(l *latencies) float64 { return l.P90 }) }},
	{"p99_ms", func(r compareRun) (float64, bool) { return lat(r, func(l *latencies) float64 { return l.P99 }) }},
	{"p99.9_ms", func(r compareRun) (float64, bool) { return lat(r, func(l *latencies) float64 { return l.P999 }) }},
	{"max_ms", func(r compareRun) (float64, bool) { return lat(r, func(l *latencies) float64 { return l.Max }) }},
	{"missing", func(r compareRun) (float64, bool) { return float64(r.Bench.Missing), true }},
	{"cpu_per_delivery_us", func(r compareRun) (float64, bool) {
		return serverFig(r, func(s *serverFigures) float64 { return s.CPUPerDelivery })
	}},
	{"idle_cpu_pct", func(r compareRun) (float64, bool) {
		if r.Bench.Server == nil || r.Bench.Server.IdleSeconds == 0 {
			return 0, false
		}
		return r.Bench.Server.IdleCPUPercent, true
	}},
	{"state_rps", func(r compareRun) (float64, bool) {
		if r.HTTP == nil {
			return 0, false
		}
		return r.HTTP.PerSecond, true
	}},
}

func serverFig(r compareRun, f func(*serverFigures) float64) (float64, bool) {
	if r.Bench.Server == nil {
		return 0, false
	}
	return f(r.Bench.Server), true
}

func lat(r compareRun, f func(*latencies) float64) (float64, bool) {
	if r.Bench.Latency == nil {
		return 0, false
	}
	return f(r.Bench.Latency), true
}

func (rep *compareReport) summarize() {
	rep.Medians = map[string]map[string]float64{}
	for _, target := range compareTargets {
		med := map[string]float64{}
		for _, m := range compareMetrics {
			var vals []float64
			for _, r := range rep.Runs {
				if v, ok := m.get(r); ok && r.Target == target {
					vals = append(vals, v)
				}
			}
			if len(vals) > 0 {
				med[m.name] = median(vals)
			}
		}
		rep.Medians[target] = med
	}
	rep.Ratios = map[string]float64{}
	for _, m := range compareMetrics {
		a, okA := rep.Medians["confdash"][m.name]
		b, okB := rep.Medians["floor"][m.name]
		if okA && okB && b != 0 && m.name != "load1" && m.name != "failed" {
			rep.Ratios[m.name] = a / b
		}
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func (rep *compareReport) print(w io.Writer) {
	var names []string
	for _, m := range compareMetrics {
		if _, ok := rep.Medians["confdash"][m.name]; ok {
			names = append(names, m.name)
		} else if _, ok := rep.Medians["floor"][m.name]; ok {
			names = append(names, m.name)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "run\ttarget\t%s\t\n", strings.Join(names, "\t"))
	row := func(a, b string, get func(name string) (float64, bool)) {
		var cells []string
		for _, n := range names {
			if v, ok := get(n); ok {
				cells = append(cells, formatFigure(v))
			} else {
				cells = append(cells, "-")
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", a, b, strings.Join(cells, "\t"))
	}
	for _, r := range rep.Runs {
		row(strconv.Itoa(r.Run), r.Target, func(name string) (float64, bool) {
			for _, m := range compareMetrics {
				if m.name == name {
					return m.get(r)
				}
			}
			return 0, false
		})
	}
	for _, target := range compareTargets {
		row("median", target, func(name string) (float64, bool) { v, ok := rep.Medians[target][name]; return v, ok })
	}
	row("ratio", "confdash/floor", func(name string) (float64, bool) { v, ok := rep.Ratios[name]; return v, ok })
	tw.Flush()
	measured := "confdash's bytes to a viewer per change"
	if rep.ChangeFrames > 0 {
		measured += fmt.Sprintf(", in %d message(s)", rep.ChangeFrames)
	}
	fmt.Fprintf(w, "\n%d viewers, %d broadcasts per run; confdash's announcement message %d bytes; "+
		"the floor's one message per change %d bytes (%s); floor state padding %d bytes\n",
		rep.Options.Viewers, rep.Options.Broadcasts, firstAnnouncementBytes(rep.Runs), rep.ChangeBytes, measured, rep.StateBytes)
	for _, r := range rep.Runs {
		if r.Bench.ConnectFailed > 0 {
			fmt.Fprintf(w, "run %d, %s: %d viewers could not connect (%s): its figures are not comparable\n",
				r.Run, r.Target, r.Bench.ConnectFailed, r.Bench.ConnectError)
		}
	}
}

func firstAnnouncementBytes(runs []compareRun) int {
	for _, r := range runs {
		if r.Bench.AnnouncementBytes > 0 {
			return r.Bench.AnnouncementBytes
		}
	}
	return 0
}

func formatFigure(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// tailBuffer keeps the last max bytes written: a child server's log, shown
// when it fails.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}
