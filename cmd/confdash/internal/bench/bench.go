package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/confdash/confdash/cmd/confdash/internal/bench/proc"
)

const benchUsage = `Usage:
  confdash bench [flags]                 measure a running server (or the instances of a cluster: --url A --url B):
                                         open N viewers, broadcast, time every delivery
  confdash bench floor [--addr ADDR]     run the reference broadcaster (net/http + gorilla/websocket)
  confdash bench compare [flags]         alternate runs against confdash and the floor (each started here)
  confdash bench http [flags]            requests/s of GET /api/v1/state over keep-alive connections
  confdash bench cluster --nats URL      start N instances sharing state through NATS, measure them together

Everything runs on loopback only. Run 'confdash bench -h' (or 'bench compare -h', ...) for the flags.
`

// Bounds: a run is finite in viewers, broadcasts and time.
const (
	maxBenchViewers = 100000
	// maxBroadcasts also bounds a worker's results line: 19,000 viewers ×
	// 100 receipt times is under 40 MB of JSON.
	maxBroadcasts = 100
)

// Env is what the bench takes from the program that runs it: its standard
// streams, its command-line conventions, and how to start the child
// processes it needs. Tests build one that starts their own binary.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// FlagSet and Parse are the program's flag conventions (every flag with
	// an environment twin), so that `bench -h` reads like every command's.
	FlagSet func(name, synopsis string, stderr io.Writer) *flag.FlagSet
	Parse   func(fs *flag.FlagSet, args []string) (positional []string, err error)
	// ServerCommand builds the command that starts a target server, "confdash"
	// (as `confdash serve ARGS`) or "floor" (as `confdash bench floor ARGS`).
	ServerCommand func(ctx context.Context, target string, args []string) (*exec.Cmd, error)
	// WorkerCommand builds the command that starts a viewer worker, as
	// `confdash bench worker --config CONFIG`.
	WorkerCommand func(ctx context.Context, config string) (*exec.Cmd, error)
}

// SelfCommands sets ServerCommand and WorkerCommand to start this very
// executable, which must be confdash.
func (e *Env) SelfCommands() {
	e.ServerCommand = func(ctx context.Context, target string, args []string) (*exec.Cmd, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		if target == "floor" {
			return exec.CommandContext(ctx, exe, append([]string{"bench", "floor"}, args...)...), nil
		}
		return exec.CommandContext(ctx, exe, append([]string{"serve"}, args...)...), nil
	}
	e.WorkerCommand = func(ctx context.Context, config string) (*exec.Cmd, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		return exec.CommandContext(ctx, exe, "bench", "worker", "--config", config), nil
	}
}

// Main is `confdash bench ARGS`.
func (e *Env) Main(ctx context.Context, args []string) error {
	stdout, stderr := e.Stdout, e.Stderr
	if len(args) > 0 {
		switch args[0] {
		case "floor":
			return e.benchFloor(ctx, args[1:], stdout, stderr)
		case "compare":
			return e.benchCompare(ctx, args[1:], stdout, stderr)
		case "http":
			return e.benchHTTP(ctx, args[1:], stdout, stderr)
		case "cluster":
			return e.benchCluster(ctx, args[1:], stdout, stderr)
		case "worker":
			return benchWorker(ctx, args[1:], e.Stdin, stdout)
		case "help":
			fmt.Fprint(stdout, benchUsage)
			return nil
		}
	}
	var o benchOptions
	fs := e.FlagSet("bench", "bench [flags]   (also: bench floor | compare | http | cluster)", stderr)
	o.register(fs)
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	pos, err := e.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprint(stderr, benchUsage)
		return fmt.Errorf("bench: unknown argument %q", pos[0])
	}
	if err := o.check(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	o.ProgressTo = progressWriter(stderr, o.Progress)
	rep, err := e.runBench(ctx, o, stderr)
	if err != nil {
		return err
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(stdout)
	return nil
}

// benchOptions are the load generator's parameters.
type benchOptions struct {
	// URLs are the servers: the viewers are spread evenly over them, and
	// announcements are posted to the first.
	URLs           []string
	Viewers        int
	Broadcasts     int
	Track, View    string
	Token          string
	Timeout        time.Duration // the whole run
	DeliverTimeout time.Duration // one broadcast
	Gap            time.Duration // between broadcasts
	Settle         time.Duration // after connecting, before measuring memory
	Idle           time.Duration // measure idle CPU this long
	Warmup         float64       // share of the viewers connected in a first step
	TextBytes      int
	Procs          int
	PerSource      int
	Concurrency    int
	ServerPIDs     []int // in the order of URLs; one 0 or -1 stands for every URL
	Cleanup        bool
	Progress       bool

	ProgressTo io.Writer `json:"-"` // nil: no progress bar
}

func (o *benchOptions) register(fs *flag.FlagSet) {
	o.URLs = []string{"http://127.0.0.1:8080"}
	fs.Var(&listFlag[string]{vals: &o.URLs, parse: parseString}, "url",
		"the server (loopback only); several instances of one cluster: repeat --url or separate with commas. The viewers are spread evenly over them and every one's latency is measured from the same announcement, posted to the first")
	fs.IntVar(&o.Viewers, "viewers", 1000, "viewers to open (at most 100000)")
	fs.IntVar(&o.Broadcasts, "broadcasts", 5, "announcements to post and time (at most 100)")
	fs.StringVar(&o.Track, "track", "", "subscribe the viewers to this track (default: all tracks)")
	fs.StringVar(&o.View, "view", "screen", "the viewers' view: tab, screen or overlay")
	// The default is read after parsing, not shown here: usage must not
	// print a secret.
	fs.StringVar(&o.Token, "token", "", "admin token for posting announcements (default: $CONFDASH_ADMIN_TOKEN, the better place for it)")
	fs.DurationVar(&o.Timeout, "timeout", 3*time.Minute, "bound on the whole run")
	fs.DurationVar(&o.DeliverTimeout, "deliver-timeout", 10*time.Second, "how long one broadcast may take to reach every viewer; later is missing")
	fs.DurationVar(&o.Gap, "gap", 500*time.Millisecond, "pause between broadcasts")
	fs.DurationVar(&o.Settle, "settle", 3*time.Second, "pause after connecting, before measuring the server's memory")
	fs.DurationVar(&o.Idle, "idle", 0, "measure the server's CPU with every viewer connected and idle for this long (e.g. 30s)")
	fs.Float64Var(&o.Warmup, "warmup", 0.5, "connect this share of the viewers first, then the rest; memory per viewer is measured on the second step (0: one step)")
	fs.IntVar(&o.TextBytes, "text-bytes", 170, "announcement text length (170 makes confdash's announcement message about 300 bytes)")
	fs.IntVar(&o.Procs, "procs", 0, "spread the viewers over this many child processes (0: one per 18,000 viewers; 1: this process)")
	fs.IntVar(&o.PerSource, "per-source", 16000, "viewers per source address when the run needs more than one (127.0.0.2, 127.0.0.3, ...)")
	fs.IntVar(&o.Concurrency, "concurrency", 256, "websocket handshakes in flight")
	o.ServerPIDs = []int{0}
	fs.Var(&listFlag[int]{vals: &o.ServerPIDs, parse: strconv.Atoi}, "server-pid",
		"the server's process id, for memory and CPU (0: find the process listening on the port; -1: do not measure); with several --url, one id per URL in the same order, comma-separated")
	fs.BoolVar(&o.Cleanup, "cleanup", true, "delete the posted announcements at the end")
	fs.BoolVar(&o.Progress, "progress", false, "show the progress bar even when stderr is not a terminal")
}

func (o *benchOptions) check() error {
	if o.Token == "" {
		o.Token = os.Getenv("CONFDASH_ADMIN_TOKEN")
	}
	switch {
	case o.Viewers < 1 || o.Viewers > maxBenchViewers:
		return fmt.Errorf("--viewers %d: use 1 to %d", o.Viewers, maxBenchViewers)
	case o.Broadcasts < 0 || o.Broadcasts > maxBroadcasts:
		return fmt.Errorf("--broadcasts %d: use 0 to %d", o.Broadcasts, maxBroadcasts)
	case o.Timeout <= 0 || o.DeliverTimeout <= 0 || o.Gap < 0 || o.Settle < 0 || o.Idle < 0:
		return errors.New("--timeout and --deliver-timeout must be positive; --gap, --settle and --idle not negative")
	case o.TextBytes < 0 || o.TextBytes > 250:
		return fmt.Errorf("--text-bytes %d: use 0 to 250 (confdash takes at most 280 characters, with the marker)", o.TextBytes)
	case o.Warmup < 0 || o.Warmup >= 1:
		return fmt.Errorf("--warmup %v: use 0 (connect all at once) up to, not including, 1", o.Warmup)
	// At least 100 a source keeps the addresses within 127.0.0.2 to 127.0.3.233.
	case o.Procs < 0 || o.PerSource < 100 || o.Concurrency < 1 || o.Concurrency > 10000:
		return errors.New("--procs must not be negative, --per-source at least 100, --concurrency 1 to 10000")
	case o.Broadcasts > 0 && o.Token == "":
		return errors.New("no admin token: set CONFDASH_ADMIN_TOKEN (the server's) or pass --token, or use --broadcasts 0")
	}
	if o.View != "tab" && o.View != "screen" && o.View != "overlay" {
		return fmt.Errorf("--view %q: use tab, screen or overlay (admin connections are not viewers)", o.View)
	}
	n := len(o.URLs)
	if n == 0 {
		return errors.New("--url: name the server, e.g. http://127.0.0.1:8080")
	}
	seen := map[string]string{}
	for _, raw := range o.URLs {
		u, err := loopbackURL(raw)
		if err != nil {
			return err
		}
		if prev, ok := seen[u.Host]; ok {
			return fmt.Errorf("--url %q and %q are the same server: give each instance once", prev, raw)
		}
		seen[u.Host] = raw
	}
	if o.Viewers < n {
		return fmt.Errorf("--viewers %d over %d URLs: give every URL at least one viewer", o.Viewers, n)
	}
	switch pids := o.ServerPIDs; {
	case len(pids) == 0:
		o.ServerPIDs = []int{0}
	case len(pids) == 1 && n > 1 && pids[0] > 0:
		return fmt.Errorf("--server-pid %d names one process for %d URLs: give one id per --url, comma-separated in the same order, or 0 to find each", pids[0], n)
	case len(pids) != 1 && len(pids) != n:
		return fmt.Errorf("--server-pid gives %d ids for %d URLs: give one per --url, in the same order", len(pids), n)
	}
	if o.Procs == 0 {
		o.Procs = (o.Viewers + 17999) / 18000
		if o.Procs > 1 && n > 1 {
			// Each child process opens the viewers of one URL.
			o.Procs = 0
			for _, v := range evenSplit(o.Viewers, n) {
				o.Procs += (v + 17999) / 18000
			}
		}
	}
	if o.Procs > 1 && o.Procs < n {
		return fmt.Errorf("--procs %d for %d URLs: each child process opens the viewers of one URL; use --procs 1 (this process) or %d or more", o.Procs, n, n)
	}
	if per := maxGroup(o.Viewers, n, o.Procs); per > maxViewersPerProcess {
		need := o.Procs + 1
		for ; maxGroup(o.Viewers, n, need) > maxViewersPerProcess; need++ {
		}
		return fmt.Errorf("--viewers %d over --procs %d is %d a process: one process may hold only 20,000 files; use --procs %d or more",
			o.Viewers, o.Procs, per, max(need, n))
	}
	if o.Procs > o.Viewers {
		o.Procs = o.Viewers
	}
	return nil
}

// groupPlan is one group of viewers: n viewers of URL number target, held
// by one child process (or, with --procs 1, all groups by this process).
type groupPlan struct{ target, n int }

// plan spreads the viewers evenly over the URLs, and each URL's viewers
// evenly over its share of the processes. The groups are listed URL by URL:
// a viewer's index among all the run's (which picks its source address) is
// the sizes of the groups before its own plus its index in its group.
func (o *benchOptions) plan() []groupPlan {
	n := len(o.URLs)
	procs := evenSplit(o.Procs, n)
	var out []groupPlan
	for u, v := range evenSplit(o.Viewers, n) {
		p := 1
		if o.Procs > 1 {
			p = min(procs[u], v)
		}
		for _, size := range evenSplit(v, p) {
			out = append(out, groupPlan{target: u, n: size})
		}
	}
	return out
}

// maxGroup is the most viewers one process holds for the given spread.
func maxGroup(viewers, urls, procs int) int {
	if procs <= 1 {
		return viewers
	}
	o := benchOptions{Viewers: viewers, URLs: make([]string, urls), Procs: procs}
	most := 0
	for _, g := range o.plan() {
		most = max(most, g.n)
	}
	return most
}

// evenSplit divides total into parts sizes differing by at most one, the
// larger first.
func evenSplit(total, parts int) []int {
	out := make([]int, max(parts, 0))
	for i := range out {
		out[i] = total / parts
		if i < total%parts {
			out[i]++
		}
	}
	return out
}

// listFlag is a flag that may be repeated and takes comma-separated values:
// --url A --url B,C. The first value given replaces the default.
type listFlag[T any] struct {
	vals  *[]T
	parse func(string) (T, error)
	given bool
}

func (f *listFlag[T]) String() string {
	if f == nil || f.vals == nil {
		return ""
	}
	parts := make([]string, len(*f.vals))
	for i, v := range *f.vals {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ",")
}

func (f *listFlag[T]) Set(s string) error {
	if !f.given {
		*f.vals, f.given = nil, true
	}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		v, err := f.parse(part)
		if err != nil {
			return err
		}
		*f.vals = append(*f.vals, v)
	}
	return nil
}

func parseString(s string) (string, error) { return s, nil }

// loopbackURL parses an http URL and refuses any host that is not a loopback
// address: the bench opens thousands of connections and must not be turned
// on someone else's server.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "ws") || u.Host == "" {
		return nil, fmt.Errorf("--url %q: use http://127.0.0.1:PORT", raw)
	}
	if err := checkLoopbackHost(u.Hostname()); err != nil {
		return nil, fmt.Errorf("--url %q: %w", raw, err)
	}
	return u, nil
}

// checkLoopbackAddr accepts host:port where host is a loopback IP or
// "localhost".
func checkLoopbackAddr(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("%q: use HOST:PORT, e.g. 127.0.0.1:8081", hostport)
	}
	return checkLoopbackHost(host)
}

func checkLoopbackHost(host string) error {
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address: the bench runs against this machine only (127.0.0.1)", host)
	}
	return nil
}

// benchReport is what a run measured. Latencies are in milliseconds, memory
// in bytes.
type benchReport struct {
	URL            string        `json:"url"` // with several URLs, the first: where announcements were posted
	Viewers        int           `json:"viewers"`
	Procs          int           `json:"procs"`
	Sources        int           `json:"source_addresses"`
	Connected      int           `json:"connected"`
	ConnectFailed  int           `json:"connect_failed"`
	ConnectError   string        `json:"connect_error,omitempty"`
	ConnectSeconds float64       `json:"connect_seconds"` // the steps' sum
	ConnectRate    float64       `json:"connect_rate"`    // viewers subscribed per second
	ConnectSteps   []connectStep `json:"connect_steps"`

	Broadcasts        int            `json:"broadcasts"`
	AnnouncementBytes int            `json:"announcement_bytes"`
	Deliveries        int            `json:"deliveries"`
	Missing           int            `json:"missing"`
	Dropped           int            `json:"dropped"`
	DropReasons       map[string]int `json:"drop_reasons,omitempty"`
	Latency           *latencies     `json:"latency_ms,omitempty"`
	ByBroadcast       []latencies    `json:"latency_ms_by_broadcast,omitempty"`
	// PostMS is how long each POST took to be answered.
	PostMS []float64 `json:"post_ms,omitempty"`

	// Server is the server's figures; with several URLs, the sums over
	// their processes (no pid), given only when every one was measured.
	Server *serverFigures `json:"server,omitempty"`
	// Instances is each URL's share of a run over several (none for one).
	Instances []instanceReport `json:"instances,omitempty"`
	// LoadAverage is /proc/loadavg's 1-minute figure at the start and the
	// end: other work on the machine shows in every figure above.
	LoadAverage [2]float64 `json:"load_average"`
}

// instanceReport is one server of a run over several URLs: its viewers and
// their deliveries, and its process's figures.
type instanceReport struct {
	URL           string         `json:"url"`
	Viewers       int            `json:"viewers"`
	Connected     int            `json:"connected"`
	ConnectFailed int            `json:"connect_failed"`
	Deliveries    int            `json:"deliveries"`
	Missing       int            `json:"missing"`
	Dropped       int            `json:"dropped"`
	Latency       *latencies     `json:"latency_ms,omitempty"`
	Server        *serverFigures `json:"server,omitempty"`
}

// connectStep is one burst of connections.
type connectStep struct {
	Viewers      int     `json:"viewers"`
	Connected    int     `json:"connected"`
	Failed       int     `json:"failed"`
	FirstError   string  `json:"-"`
	Seconds      float64 `json:"seconds"`
	RSS          int64   `json:"rss_bytes,omitempty"`            // the server's (the servers' sum), after --settle
	RSSPerViewer float64 `json:"rss_per_viewer_bytes,omitempty"` // its growth over the step, per viewer
}

type latencies struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// serverFigures come from /proc/PID of the server process.
type serverFigures struct {
	PID       int   `json:"pid,omitempty"`    // none for a sum over several servers
	RSSBefore int64 `json:"rss_before_bytes"` // before the viewers connected
	RSSIdle   int64 `json:"rss_idle_bytes"`   // every viewer connected, after --settle
	RSSAfter  int64 `json:"rss_after_bytes"`  // after the broadcasts
	// RSSPerViewer is (RSSIdle - RSSBefore) / connected; it is flattered
	// by memory the server had freed before the run and reused.
	RSSPerViewer float64 `json:"rss_per_viewer_bytes"`
	// RSSPerViewerMarginal is the growth over the last connect step per
	// viewer of that step: what one more viewer costs.
	RSSPerViewerMarginal float64 `json:"rss_per_viewer_marginal_bytes"`
	// CPUPerDelivery is the server's CPU time from the first broadcast to the
	// last delivery, divided by the deliveries, in microseconds.
	CPUBroadcastSeconds float64 `json:"cpu_broadcast_seconds"`
	CPUPerDelivery      float64 `json:"cpu_per_delivery_us"`
	// IdleCPUPercent is the server's CPU over --idle with every viewer
	// connected, in percent of one core (several servers: the sum).
	IdleSeconds    float64 `json:"idle_seconds,omitempty"`
	IdleCPUPercent float64 `json:"idle_cpu_percent_of_core,omitempty"`
	// InProcess: the server is this very process, so memory and CPU include
	// the viewers'.
	InProcess bool `json:"in_process,omitempty"`
}

// benchTarget is one server of a run, and what is measured of it.
type benchTarget struct {
	base, ws string
	pid      int            // -1: not measured
	fig      *serverFigures // nil: not measured
	rep      instanceReport

	rssPrev       int64 // after the previous connect step
	stepRSS       int64 // after this connect step; 0 if it could not be read
	stepConnected int   // viewers subscribed in this connect step
	cpu0          time.Duration
}

// benchTargets parses the URLs into the viewers' and the admin API's.
func benchTargets(o benchOptions) ([]*benchTarget, error) {
	targets := make([]*benchTarget, len(o.URLs))
	for i, raw := range o.URLs {
		base, err := loopbackURL(raw)
		if err != nil {
			return nil, err
		}
		base.Scheme = "http"
		base.Path, base.RawQuery = "", ""
		ws := *base
		ws.Scheme, ws.Path = "ws", "/ws"
		q := url.Values{"view": {o.View}}
		if o.Track != "" {
			q.Set("track", o.Track)
		}
		ws.RawQuery = q.Encode()
		targets[i] = &benchTarget{base: base.String(), ws: ws.String(), rep: instanceReport{URL: base.String()}}
	}
	return targets, nil
}

// findServers finds each target's process (the one listening on its port,
// unless pids names it) and takes its first sample. A target whose process
// cannot be read is not measured, with a word on stderr.
func findServers(targets []*benchTarget, pids []int, stderr io.Writer) error {
	owner := map[int]string{}
	for i, t := range targets {
		pid := 0
		switch len(pids) {
		case len(targets):
			pid = pids[i]
		case 1:
			pid = pids[0]
		}
		where := ""
		if len(targets) > 1 {
			where = " for " + t.base
		}
		if pid == 0 {
			u, _ := url.Parse(t.base)
			port, _ := strconv.Atoi(u.Port())
			if port == 0 {
				port = 80
			}
			var err error
			if pid, err = proc.FindListener(port); err != nil {
				fmt.Fprintf(stderr, "bench: no server memory or CPU figures%s: %v\n", where, err)
				pid = -1
			}
		}
		t.pid = pid
		if pid <= 0 {
			continue
		}
		// Two URLs of one process would count it twice in the sums.
		if prev, ok := owner[pid]; ok {
			return fmt.Errorf("--url %s and %s are served by the same process (pid %d): give each instance once", prev, t.base, pid)
		}
		owner[pid] = t.base
		before, err := proc.Read(pid)
		if err != nil {
			fmt.Fprintf(stderr, "bench: no server memory or CPU figures%s: %v\n", where, err)
			t.pid = -1
			continue
		}
		t.fig = &serverFigures{PID: pid, RSSBefore: before.RSS, InProcess: pid == os.Getpid()}
		t.rssPrev = before.RSS
	}
	return nil
}

// runBench is one measured run.
func (e *Env) runBench(ctx context.Context, o benchOptions, stderr io.Writer) (*benchReport, error) {
	targets, err := benchTargets(o)
	if err != nil {
		return nil, err
	}
	// Announcements go to the first server; the others get them through
	// the state they share with it.
	admin := targets[0].base

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	if o.Broadcasts > 0 {
		if err := checkAdmin(ctx, client, admin, o.Token); err != nil {
			return nil, err
		}
	}
	for _, t := range targets {
		if err := checkUpgrade(ctx, t.ws); err != nil {
			return nil, err
		}
	}

	rep := &benchReport{URL: admin, Viewers: o.Viewers, Procs: o.Procs, Broadcasts: o.Broadcasts, Sources: 1}
	rep.LoadAverage[0] = proc.LoadAverage()
	defer func() { rep.LoadAverage[1] = proc.LoadAverage() }()
	// The servers' processes: found before any worker exists, since the
	// search reads every process's open files.
	if err := findServers(targets, o.ServerPIDs, stderr); err != nil {
		return nil, err
	}
	// The sums stand for the servers only when every one is measured.
	var total *serverFigures
	if !slices.ContainsFunc(targets, func(t *benchTarget) bool { return t.fig == nil }) {
		total = &serverFigures{}
		for _, t := range targets {
			total.RSSBefore += t.fig.RSSBefore
			total.InProcess = total.InProcess || t.fig.InProcess
		}
		if len(targets) == 1 {
			total.PID = targets[0].pid
		}
		rep.Server = total
	}

	var runID [4]byte
	rand.Read(runID[:])
	marker := "cdbench-" + hex.EncodeToString(runID[:]) + "-"
	perSource := 0
	if o.Viewers > o.PerSource {
		perSource = o.PerSource
		rep.Sources = (o.Viewers + o.PerSource - 1) / o.PerSource
	}
	plan := o.plan()
	groups := make([]viewerGroup, len(plan))
	sizes := make([]int, len(plan))
	first := 0
	for i, g := range plan {
		sizes[i] = g.n
		targets[g.target].rep.Viewers += g.n
		cfg := poolConfig{WSURL: targets[g.target].ws, N: g.n, First: first, PerSource: perSource,
			Concurrency: max(1, o.Concurrency/len(plan)), Marker: marker, Broadcasts: o.Broadcasts}
		first += g.n
		if o.Procs == 1 {
			groups[i] = newViewerPool(cfg)
			continue
		}
		w, err := e.startWorker(ctx, cfg, stderr)
		if err != nil {
			closeGroups(groups[:i])
			return nil, err
		}
		groups[i] = w
	}
	defer closeGroups(groups)

	// Connect in two steps (see --warmup): a Go server keeps memory it has
	// freed (start-up garbage) and hands it to the first connections, so the
	// memory a connection costs is measured on the second step.
	steps := [][]int{sizes}
	if w := o.Warmup; w > 0 && o.Viewers >= 2 {
		a, b := make([]int, len(sizes)), make([]int, len(sizes))
		for i, n := range sizes {
			a[i] = int(math.Round(float64(n) * w))
			b[i] = n - a[i]
		}
		steps = [][]int{a, b}
	}
	var rssPrev int64
	if total != nil {
		rssPrev = total.RSSBefore
	}
	for _, step := range steps {
		st, byGroup, err := connectGroups(ctx, groups, step, rep.Connected+rep.ConnectFailed, o.Viewers, o.ProgressTo)
		if err != nil {
			return nil, fmt.Errorf("connecting: %w", err)
		}
		rep.Connected += st.Connected
		rep.ConnectFailed += st.Failed
		if rep.ConnectError == "" {
			rep.ConnectError = st.FirstError
		}
		rep.ConnectSeconds += st.Seconds
		for _, t := range targets {
			t.stepConnected = 0
		}
		for i, s := range byGroup {
			t := targets[plan[i].target]
			t.rep.Connected += s.Connected
			t.rep.ConnectFailed += s.Failed
			t.stepConnected += s.Connected
		}
		if err := sleepCtx(ctx, o.Settle); err != nil {
			return nil, err
		}
		var rss int64
		read := true
		for _, t := range targets {
			t.stepRSS = 0
			if t.fig == nil {
				continue
			}
			s, err := proc.Read(t.pid)
			if err != nil {
				read = false
				continue
			}
			t.stepRSS = s.RSS
			t.fig.RSSPerViewerMarginal = 0
			if t.stepConnected > 0 {
				t.fig.RSSPerViewerMarginal = float64(s.RSS-t.rssPrev) / float64(t.stepConnected)
			}
			t.rssPrev = s.RSS
			rss += s.RSS
		}
		if total != nil && read {
			st.RSS = rss
			if st.Connected > 0 {
				st.RSSPerViewer = float64(rss-rssPrev) / float64(st.Connected)
			}
			rssPrev = rss
		}
		rep.ConnectSteps = append(rep.ConnectSteps, st)
	}
	if rep.ConnectSeconds > 0 {
		rep.ConnectRate = float64(rep.Connected) / rep.ConnectSeconds
	}
	if rep.Connected == 0 {
		return nil, fmt.Errorf("no viewer could connect: %s", rep.ConnectError)
	}
	for _, t := range targets {
		if t.fig != nil {
			t.fig.RSSIdle = t.stepRSS
			if t.rep.Connected > 0 {
				t.fig.RSSPerViewer = float64(t.fig.RSSIdle-t.fig.RSSBefore) / float64(t.rep.Connected)
			}
		}
	}
	if total != nil {
		last := rep.ConnectSteps[len(rep.ConnectSteps)-1]
		total.RSSIdle = last.RSS
		total.RSSPerViewer = float64(total.RSSIdle-total.RSSBefore) / float64(rep.Connected)
		total.RSSPerViewerMarginal = last.RSSPerViewer
	}
	if o.Idle > 0 && slices.ContainsFunc(targets, func(t *benchTarget) bool { return t.fig != nil }) {
		if err := measureIdle(ctx, targets, total, o.Idle); err != nil {
			return nil, err
		}
	}

	// The broadcasts, one at a time: each waits until every live viewer has
	// it (or --deliver-timeout), so that they do not overlap.
	triggers := make([]int64, o.Broadcasts)
	ids := make([]string, 0, o.Broadcasts)
	for _, t := range targets {
		if t.fig != nil {
			s, _ := proc.Read(t.pid)
			t.cpu0 = s.CPU
		}
	}
	for k := range o.Broadcasts {
		if k > 0 {
			if err := sleepCtx(ctx, o.Gap); err != nil {
				return nil, err
			}
		}
		text := announcementText(marker, k, o.TextBytes)
		id, at, err := postAnnouncement(ctx, client, admin, o.Token, text)
		triggers[k] = at
		if err != nil {
			return nil, fmt.Errorf("broadcast %d: %w", k+1, err)
		}
		// The answer comes after the server saved the change and queued the
		// broadcast: its delay is part of every delivery's.
		rep.PostMS = append(rep.PostMS, float64(time.Now().UnixNano()-at)/1e6)
		ids = append(ids, id)
		var wg sync.WaitGroup
		errs := make([]error, len(groups))
		for i, g := range groups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = g.waitDelivered(ctx, k, o.DeliverTimeout)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	if o.Broadcasts > 0 {
		read := true
		var cpu float64
		var rss int64
		for _, t := range targets {
			if t.fig == nil {
				continue
			}
			s, err := proc.Read(t.pid)
			if err != nil {
				read = false
				continue
			}
			t.fig.RSSAfter = s.RSS
			t.fig.CPUBroadcastSeconds = (s.CPU - t.cpu0).Seconds()
			rss += s.RSS
			cpu += t.fig.CPUBroadcastSeconds
		}
		if total != nil && read {
			total.RSSAfter, total.CPUBroadcastSeconds = rss, cpu
		}
	}

	lat := make([][]float64, len(targets)) // by target
	byK := make([][]float64, o.Broadcasts)
	rep.DropReasons = map[string]int{}
	for i, g := range groups {
		res, err := g.results(ctx)
		if err != nil {
			return nil, err
		}
		t := plan[i].target
		tr := &targets[t].rep
		rep.Dropped += res.Dropped
		tr.Dropped += res.Dropped
		for r, n := range res.DropReasons {
			rep.DropReasons[r] += n
		}
		rep.AnnouncementBytes = max(rep.AnnouncementBytes, res.AnnouncementBytes)
		for k, recv := range res.Recv {
			for _, at := range recv {
				if at == 0 {
					tr.Missing++
					continue
				}
				ms := float64(at-triggers[k]) / 1e6
				lat[t] = append(lat[t], ms)
				byK[k] = append(byK[k], ms)
			}
		}
	}
	var all []float64
	for i, t := range targets {
		t.rep.Deliveries = len(lat[i])
		rep.Deliveries += t.rep.Deliveries
		rep.Missing += t.rep.Missing
		all = append(all, lat[i]...)
		if len(targets) > 1 {
			t.rep.Latency = summarize(lat[i])
		}
		if t.fig != nil && t.rep.Deliveries > 0 {
			t.fig.CPUPerDelivery = t.fig.CPUBroadcastSeconds * 1e6 / float64(t.rep.Deliveries)
		}
		t.rep.Server = t.fig
	}
	rep.Latency = summarize(all)
	for _, l := range byK {
		if s := summarize(l); s != nil {
			rep.ByBroadcast = append(rep.ByBroadcast, *s)
		}
	}
	if total != nil && rep.Deliveries > 0 {
		total.CPUPerDelivery = total.CPUBroadcastSeconds * 1e6 / float64(rep.Deliveries)
	}
	if len(targets) > 1 {
		for _, t := range targets {
			rep.Instances = append(rep.Instances, t.rep)
		}
	}
	if o.Cleanup {
		for _, id := range ids {
			deleteAnnouncement(ctx, client, admin, o.Token, id)
		}
	}
	return rep, nil
}

// measureIdle measures the servers' CPU over d with every viewer connected
// and nothing happening; total, when not nil, gets the sum.
func measureIdle(ctx context.Context, targets []*benchTarget, total *serverFigures, d time.Duration) error {
	before := make([]proc.Sample, len(targets))
	ok := make([]bool, len(targets))
	for i, t := range targets {
		if t.fig != nil {
			s, err := proc.Read(t.pid)
			before[i], ok[i] = s, err == nil
		}
	}
	t0 := time.Now()
	if err := sleepCtx(ctx, d); err != nil {
		return err
	}
	seconds := time.Since(t0).Seconds()
	all := true
	var pct float64
	for i, t := range targets {
		if t.fig == nil {
			continue
		}
		s, err := proc.Read(t.pid)
		if err != nil || !ok[i] {
			all = false
			continue
		}
		t.fig.IdleSeconds = seconds
		t.fig.IdleCPUPercent = 100 * (s.CPU - before[i].CPU).Seconds() / seconds
		pct += t.fig.IdleCPUPercent
	}
	if total != nil && all {
		total.IdleSeconds, total.IdleCPUPercent = seconds, pct
	}
	return nil
}

// connectGroups opens counts[i] more viewers in every group i at once and
// returns the step and each group's share of it; the progress bar shows done
// (viewers attempted before this step) plus the step's progress, out of
// total.
func connectGroups(ctx context.Context, groups []viewerGroup, counts []int, done, total int, bar io.Writer) (connectStep, []connectStats, error) {
	progress := make([][2]atomic.Int64, len(groups))
	stopBar := startProgressBar(bar, done, total, func() (c, f int) {
		for i := range progress {
			c += int(progress[i][0].Load())
			f += int(progress[i][1].Load())
		}
		return c, f
	})
	stats := make([]connectStats, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stats[i], errs[i] = g.connect(ctx, counts[i], func(c, f int) {
				progress[i][0].Store(int64(c))
				progress[i][1].Store(int64(f))
			})
		}()
	}
	wg.Wait()
	stopBar()
	var st connectStep
	if err := errors.Join(errs...); err != nil {
		return st, nil, err
	}
	var start, end int64 = math.MaxInt64, 0
	for i, s := range stats {
		st.Viewers += counts[i]
		st.Connected += s.Connected
		st.Failed += s.Failed
		if st.FirstError == "" {
			st.FirstError = s.FirstError
		}
		start, end = min(start, s.StartNS), max(end, s.EndNS)
	}
	st.Seconds = float64(end-start) / 1e9
	return st, stats, nil
}

func closeGroups(groups []viewerGroup) {
	var wg sync.WaitGroup
	for _, g := range groups {
		if g == nil {
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); g.close() }()
	}
	wg.Wait()
}

// announcementText is the marker, the broadcast's index, and padding up to n
// bytes (at least the marker).
func announcementText(marker string, k, n int) string {
	s := marker + strconv.Itoa(k) + " "
	if pad := n - len(s); pad > 0 {
		s += strings.Repeat("~", pad)
	}
	return s
}

// summarize returns latency percentiles (nearest rank); nil for no samples.
func summarize(ms []float64) *latencies {
	if len(ms) == 0 {
		return nil
	}
	slices.Sort(ms)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(ms)))) - 1
		return ms[max(0, min(i, len(ms)-1))]
	}
	var sum float64
	for _, v := range ms {
		sum += v
	}
	return &latencies{P50: at(0.50), P90: at(0.90), P99: at(0.99), P999: at(0.999), Max: ms[len(ms)-1], Mean: sum / float64(len(ms))}
}

func checkAdmin(ctx context.Context, client *http.Client, base, token string) error {
	status, _, _, err := adminRequest(ctx, client, http.MethodGet, base+"/api/v1/admin", token, nil)
	if err != nil {
		return fmt.Errorf("%s: %w (is the server running?)", base, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("%s/api/v1/admin answered %d %s: pass the server's CONFDASH_ADMIN_TOKEN", base, status, http.StatusText(status))
	}
	return nil
}

// adminRequest sends an admin API request and returns the answer's status
// and body, and when the request that got it started (Unix nanoseconds). A
// 429 (the server's limit on admin requests) is waited out and retried.
func adminRequest(ctx context.Context, client *http.Client, method, u, token string, body []byte) (int, []byte, int64, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return 0, nil, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		at := time.Now().UnixNano()
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, at, err
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || attempt == 5 {
			return resp.StatusCode, b, at, nil
		}
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || wait < 1 || wait > 10 {
			wait = 1
		}
		if err := sleepCtx(ctx, time.Duration(wait)*time.Second); err != nil {
			return 0, nil, at, err
		}
	}
}

// postAnnouncement posts one announcement and returns its id and the trigger
// time: when the request that succeeded started.
func postAnnouncement(ctx context.Context, client *http.Client, base, token, text string) (string, int64, error) {
	body, _ := json.Marshal(map[string]string{"text": text})
	status, b, at, err := adminRequest(ctx, client, http.MethodPost, base+"/api/v1/announcements", token, body)
	if err != nil {
		return "", at, err
	}
	if status != http.StatusCreated {
		return "", at, fmt.Errorf("POST /api/v1/announcements answered %d %s: %s", status, http.StatusText(status), bytes.TrimSpace(b))
	}
	var ann struct {
		ID string `json:"id"`
	}
	json.Unmarshal(b, &ann)
	return ann.ID, at, nil
}

func deleteAnnouncement(ctx context.Context, client *http.Client, base, token, id string) {
	if id != "" {
		adminRequest(ctx, client, http.MethodDelete, base+"/api/v1/announcements/"+url.PathEscape(id), token, nil)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// print writes the report for people.
func (r *benchReport) print(w io.Writer) {
	if len(r.Instances) > 0 {
		fmt.Fprintf(w, "targets        %d instances; announcements posted to %s, delivery timed on every instance\n", len(r.Instances), r.URL)
	} else {
		fmt.Fprintf(w, "target         %s\n", r.URL)
	}
	fmt.Fprintf(w, "viewers        %d connected of %d (%d failed) in %d process(es) from %d source address(es)\n",
		r.Connected, r.Viewers, r.ConnectFailed, r.Procs, r.Sources)
	if r.ConnectError != "" {
		fmt.Fprintf(w, "               first failure: %s\n", r.ConnectError)
	}
	fmt.Fprintf(w, "connect        %.2f s, %.0f viewers/s", r.ConnectSeconds, r.ConnectRate)
	if len(r.ConnectSteps) > 1 {
		for i, st := range r.ConnectSteps {
			sep := " ("
			if i > 0 {
				sep = ", then "
			}
			fmt.Fprintf(w, "%s%d in %.2f s", sep, st.Connected, st.Seconds)
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	if r.Broadcasts > 0 {
		fmt.Fprintf(w, "broadcasts     %d of %d bytes: %d deliveries, %d missing", r.Broadcasts, r.AnnouncementBytes, r.Deliveries, r.Missing)
		if r.Dropped > 0 {
			fmt.Fprintf(w, ", %d viewers dropped (%s)", r.Dropped, sortedReasons(r.DropReasons))
		}
		fmt.Fprintln(w)
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "latency        p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  p99.9 %.1f ms  max %.1f ms\n", l.P50, l.P90, l.P99, l.P999, l.Max)
		if len(r.ByBroadcast) > 1 {
			fmt.Fprint(w, "by broadcast  ")
			for i, b := range r.ByBroadcast {
				fmt.Fprintf(w, " #%d p50 %.0f p99 %.0f max %.0f;", i+1, b.P50, b.P99, b.Max)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprint(w, "POST answered ")
		for _, ms := range r.PostMS {
			fmt.Fprintf(w, " %.1f ms", ms)
		}
		fmt.Fprintln(w)
	}
	if s := r.Server; s != nil {
		note := ""
		if s.InProcess {
			note = " (the server runs in this process: figures include the viewers)"
		}
		if len(r.Instances) > 0 {
			pids := make([]string, len(r.Instances))
			for i, in := range r.Instances {
				pids[i] = strconv.Itoa(in.Server.PID)
			}
			fmt.Fprintf(w, "server pids    %s: the figures below are their sums%s\n", strings.Join(pids, ", "), note)
		} else {
			fmt.Fprintf(w, "server pid     %d%s\n", s.PID, note)
		}
		fmt.Fprintf(w, "memory         %.1f KB per viewer on the last connect step, %.1f KB overall (RSS %.1f MB before, %.1f MB with every viewer idle, %.1f MB after the broadcasts)\n",
			s.RSSPerViewerMarginal/1024, s.RSSPerViewer/1024, mb(s.RSSBefore), mb(s.RSSIdle), mb(s.RSSAfter))
		if r.Broadcasts > 0 {
			fmt.Fprintf(w, "cpu            %.2f µs per delivery (%.2f s for the broadcasts)\n", s.CPUPerDelivery, s.CPUBroadcastSeconds)
		}
		if s.IdleSeconds > 0 {
			fmt.Fprintf(w, "idle cpu       %.2f%% of one core over %.0f s\n", s.IdleCPUPercent, s.IdleSeconds)
		}
	}
	if len(r.Instances) > 0 {
		r.printInstances(w)
	}
	fmt.Fprintf(w, "load average   %.2f at the start, %.2f at the end\n", r.LoadAverage[0], r.LoadAverage[1])
}

// printInstances is the table of a run over several URLs, one row each.
func (r *benchReport) printInstances(w io.Writer) {
	fmt.Fprintln(w, "by instance")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "#\turl\tpid\tviewers\tconnected\tfailed\tdeliveries\tmissing\tdropped\tp50_ms\tp99_ms\tmax_ms\trss_per_viewer_kb\tcpu_per_delivery_us\tidle_cpu_pct\t\n")
	for i, in := range r.Instances {
		cells := []string{strconv.Itoa(i + 1), in.URL, "-",
			strconv.Itoa(in.Viewers), strconv.Itoa(in.Connected), strconv.Itoa(in.ConnectFailed),
			strconv.Itoa(in.Deliveries), strconv.Itoa(in.Missing), strconv.Itoa(in.Dropped)}
		if l := in.Latency; l != nil {
			cells = append(cells, formatFigure(l.P50), formatFigure(l.P99), formatFigure(l.Max))
		} else {
			cells = append(cells, "-", "-", "-")
		}
		if s := in.Server; s != nil {
			cells[2] = strconv.Itoa(s.PID)
			idle := "-"
			if s.IdleSeconds > 0 {
				idle = formatFigure(s.IdleCPUPercent)
			}
			cells = append(cells, formatFigure(s.RSSPerViewer/1024), formatFigure(s.CPUPerDelivery), idle)
		} else {
			cells = append(cells, "-", "-", "-")
		}
		fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t"))
	}
	tw.Flush()
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// progressWriter is where the progress bar goes: stderr when it is a
// terminal, or always with --progress.
func progressWriter(stderr io.Writer, force bool) io.Writer {
	if force {
		return stderr
	}
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return stderr
		}
	}
	return nil
}

// startProgressBar redraws a bar on w every 200 ms until the returned stop is
// called: done viewers from earlier steps plus this step's counts, out of
// total. w nil draws nothing.
func startProgressBar(w io.Writer, done, total int, counts func() (connected, failed int)) (stop func()) {
	if w == nil {
		return func() {}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	t0 := time.Now()
	draw := func() {
		c, f := counts()
		const width = 30
		filled := min(width, width*(done+c+f)/max(1, total))
		rate := float64(c) / max(time.Since(t0).Seconds(), 1e-3)
		fmt.Fprintf(w, "\rconnecting [%s%s] %d/%d  %d failed  %.0f/s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done+c, total, f, rate)
	}
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				draw()
			case <-quit:
				draw()
				fmt.Fprintln(w)
				return
			}
		}
	}()
	return func() { close(quit); <-finished }
}
