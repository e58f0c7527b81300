package main

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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const benchUsage = `Usage:
  confdash bench [flags]                 measure a running server: open N viewers, broadcast, time every delivery
  confdash bench floor [--addr ADDR]     run the reference broadcaster (net/http + gorilla/websocket)
  confdash bench compare [flags]         alternate runs against confdash and the floor (each started here)
  confdash bench http [flags]            requests/s of GET /api/v1/state over keep-alive connections

Everything runs on loopback only. Run 'confdash bench -h' (or 'bench compare -h', ...) for the flags.
`

// Bounds: a run is finite in viewers, broadcasts and time.
const (
	maxBenchViewers = 100000
	// maxBroadcasts also bounds a worker's results line: 19,000 viewers ×
	// 100 receipt times is under 40 MB of JSON.
	maxBroadcasts = 100
)

// bench is `confdash bench ...`.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "floor":
			return benchFloor(ctx, args[1:], stdout, stderr)
		case "compare":
			return benchCompare(ctx, args[1:], stdout, stderr)
		case "http":
			return benchHTTP(ctx, args[1:], stdout, stderr)
		case "worker":
			return benchWorker(ctx, args[1:], os.Stdin, stdout)
		case "help":
			fmt.Fprint(stdout, benchUsage)
			return nil
		}
	}
	var o benchOptions
	fs := newFlagSet("bench", "bench [flags]   (also: bench floor | compare | http)", stderr)
	o.register(fs)
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	pos, err := parseFlags(fs, args)
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
	rep, err := runBench(ctx, o, stderr)
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
	URL            string
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
	ServerPID      int
	Cleanup        bool
	Progress       bool

	ProgressTo io.Writer `json:"-"` // nil: no progress bar
}

func (o *benchOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080", "the server (loopback only)")
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
	fs.IntVar(&o.ServerPID, "server-pid", 0, "the server's process id, for memory and CPU (0: find the process listening on the port; -1: do not measure)")
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
	if _, err := loopbackURL(o.URL); err != nil {
		return err
	}
	if o.Procs == 0 {
		o.Procs = (o.Viewers + 17999) / 18000
	}
	if per := (o.Viewers + o.Procs - 1) / o.Procs; per > maxViewersPerProcess {
		return fmt.Errorf("--viewers %d over --procs %d is %d a process: one process may hold only 20,000 files; use --procs %d or more",
			o.Viewers, o.Procs, per, (o.Viewers+maxViewersPerProcess-1)/maxViewersPerProcess)
	}
	if o.Procs > o.Viewers {
		o.Procs = o.Viewers
	}
	return nil
}

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
	URL            string        `json:"url"`
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

	Server *serverFigures `json:"server,omitempty"`
	// LoadAverage is /proc/loadavg's 1-minute figure at the start and the
	// end: other work on the machine shows in every figure above.
	LoadAverage [2]float64 `json:"load_average"`
}

// connectStep is one burst of connections.
type connectStep struct {
	Viewers      int     `json:"viewers"`
	Connected    int     `json:"connected"`
	Failed       int     `json:"failed"`
	FirstError   string  `json:"-"`
	Seconds      float64 `json:"seconds"`
	RSS          int64   `json:"rss_bytes,omitempty"`            // the server's, after --settle
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
	PID       int   `json:"pid"`
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
	// connected, in percent of one core.
	IdleSeconds    float64 `json:"idle_seconds,omitempty"`
	IdleCPUPercent float64 `json:"idle_cpu_percent_of_core,omitempty"`
	// InProcess: the server is this very process, so memory and CPU include
	// the viewers'.
	InProcess bool `json:"in_process,omitempty"`
}

// runBench is one measured run.
func runBench(ctx context.Context, o benchOptions, stderr io.Writer) (*benchReport, error) {
	base, err := loopbackURL(o.URL)
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

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	if o.Broadcasts > 0 {
		if err := checkAdmin(ctx, client, base.String(), o.Token); err != nil {
			return nil, err
		}
	}
	if err := checkUpgrade(ctx, ws.String()); err != nil {
		return nil, err
	}

	rep := &benchReport{URL: base.String(), Viewers: o.Viewers, Procs: o.Procs, Broadcasts: o.Broadcasts, Sources: 1}
	rep.LoadAverage[0] = loadAverage()
	defer func() { rep.LoadAverage[1] = loadAverage() }()
	// The server's process: found before any worker exists, since the search
	// reads every process's open files.
	pid := o.ServerPID
	if pid == 0 {
		port, _ := strconv.Atoi(base.Port())
		if port == 0 {
			port = 80
		}
		if pid, err = findListenerPID(port); err != nil {
			fmt.Fprintf(stderr, "bench: no server memory or CPU figures: %v\n", err)
			pid = -1
		}
	}
	var before procSample
	if pid > 0 {
		if before, err = readProc(pid); err != nil {
			fmt.Fprintf(stderr, "bench: no server memory or CPU figures: %v\n", err)
			pid = -1
		}
	}

	var runID [4]byte
	rand.Read(runID[:])
	marker := "cdbench-" + hex.EncodeToString(runID[:]) + "-"
	perSource := 0
	if o.Viewers > o.PerSource {
		perSource = o.PerSource
		rep.Sources = (o.Viewers + o.PerSource - 1) / o.PerSource
	}
	groups := make([]viewerGroup, o.Procs)
	sizes := make([]int, o.Procs)
	first := 0
	for i := range o.Procs {
		n := o.Viewers / o.Procs
		if i < o.Viewers%o.Procs {
			n++
		}
		sizes[i] = n
		cfg := poolConfig{WSURL: ws.String(), N: n, First: first, PerSource: perSource,
			Concurrency: max(1, o.Concurrency/o.Procs), Marker: marker, Broadcasts: o.Broadcasts}
		first += n
		if o.Procs == 1 {
			groups[i] = newViewerPool(cfg)
			continue
		}
		w, err := startWorker(ctx, cfg, stderr)
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
	var fig *serverFigures
	if pid > 0 {
		fig = &serverFigures{PID: pid, RSSBefore: before.RSS, InProcess: pid == os.Getpid()}
		rep.Server = fig
	}
	rssPrev := before.RSS
	for _, step := range steps {
		st, err := connectGroups(ctx, groups, step, rep.Connected+rep.ConnectFailed, o.Viewers, o.ProgressTo)
		if err != nil {
			return nil, fmt.Errorf("connecting: %w", err)
		}
		rep.Connected += st.Connected
		rep.ConnectFailed += st.Failed
		if rep.ConnectError == "" {
			rep.ConnectError = st.FirstError
		}
		rep.ConnectSeconds += st.Seconds
		if err := sleepCtx(ctx, o.Settle); err != nil {
			return nil, err
		}
		if fig != nil {
			if s, err := readProc(pid); err == nil {
				st.RSS = s.RSS
				if st.Connected > 0 {
					st.RSSPerViewer = float64(s.RSS-rssPrev) / float64(st.Connected)
				}
				rssPrev = s.RSS
			}
		}
		rep.ConnectSteps = append(rep.ConnectSteps, st)
	}
	if rep.ConnectSeconds > 0 {
		rep.ConnectRate = float64(rep.Connected) / rep.ConnectSeconds
	}
	if rep.Connected == 0 {
		return nil, fmt.Errorf("no viewer could connect: %s", rep.ConnectError)
	}
	if fig != nil {
		last := rep.ConnectSteps[len(rep.ConnectSteps)-1]
		fig.RSSIdle = last.RSS
		fig.RSSPerViewer = float64(fig.RSSIdle-fig.RSSBefore) / float64(rep.Connected)
		fig.RSSPerViewerMarginal = last.RSSPerViewer
		if o.Idle > 0 {
			a, errA := readProc(pid)
			t0 := time.Now()
			if err := sleepCtx(ctx, o.Idle); err != nil {
				return nil, err
			}
			b, errB := readProc(pid)
			if errA == nil && errB == nil {
				fig.IdleSeconds = time.Since(t0).Seconds()
				fig.IdleCPUPercent = 100 * (b.CPU - a.CPU).Seconds() / fig.IdleSeconds
			}
		}
	}

	// The broadcasts, one at a time: each waits until every live viewer has
	// it (or --deliver-timeout), so that they do not overlap.
	triggers := make([]int64, o.Broadcasts)
	ids := make([]string, 0, o.Broadcasts)
	var cpu0 procSample
	if pid > 0 {
		cpu0, _ = readProc(pid)
	}
	for k := range o.Broadcasts {
		if k > 0 {
			if err := sleepCtx(ctx, o.Gap); err != nil {
				return nil, err
			}
		}
		text := announcementText(marker, k, o.TextBytes)
		id, at, err := postAnnouncement(ctx, client, base.String(), o.Token, text)
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
	if fig != nil && o.Broadcasts > 0 {
		if s, err := readProc(pid); err == nil {
			fig.RSSAfter = s.RSS
			fig.CPUBroadcastSeconds = (s.CPU - cpu0.CPU).Seconds()
		}
	}

	var lat []float64
	byK := make([][]float64, o.Broadcasts)
	rep.DropReasons = map[string]int{}
	for _, g := range groups {
		res, err := g.results(ctx)
		if err != nil {
			return nil, err
		}
		rep.Dropped += res.Dropped
		for r, n := range res.DropReasons {
			rep.DropReasons[r] += n
		}
		rep.AnnouncementBytes = max(rep.AnnouncementBytes, res.AnnouncementBytes)
		for k, recv := range res.Recv {
			for _, t := range recv {
				if t == 0 {
					rep.Missing++
					continue
				}
				ms := float64(t-triggers[k]) / 1e6
				lat = append(lat, ms)
				byK[k] = append(byK[k], ms)
			}
		}
	}
	rep.Deliveries = len(lat)
	rep.Latency = summarize(lat)
	for _, l := range byK {
		if s := summarize(l); s != nil {
			rep.ByBroadcast = append(rep.ByBroadcast, *s)
		}
	}
	if fig != nil && rep.Deliveries > 0 {
		fig.CPUPerDelivery = fig.CPUBroadcastSeconds * 1e6 / float64(rep.Deliveries)
	}
	if o.Cleanup {
		for _, id := range ids {
			deleteAnnouncement(ctx, client, base.String(), o.Token, id)
		}
	}
	return rep, nil
}

// connectGroups opens counts[i] more viewers in every group i at once; the
// progress bar shows done (viewers attempted before this step) plus the
// step's progress, out of total.
func connectGroups(ctx context.Context, groups []viewerGroup, counts []int, done, total int, bar io.Writer) (connectStep, error) {
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
		return st, err
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
	return st, nil
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
	fmt.Fprintf(w, "target         %s\n", r.URL)
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
		fmt.Fprintf(w, "server pid     %d%s\n", s.PID, note)
		fmt.Fprintf(w, "memory         %.1f KB per viewer on the last connect step, %.1f KB overall (RSS %.1f MB before, %.1f MB with every viewer idle, %.1f MB after the broadcasts)\n",
			s.RSSPerViewerMarginal/1024, s.RSSPerViewer/1024, mb(s.RSSBefore), mb(s.RSSIdle), mb(s.RSSAfter))
		if r.Broadcasts > 0 {
			fmt.Fprintf(w, "cpu            %.2f µs per delivery (%.2f s for the broadcasts)\n", s.CPUPerDelivery, s.CPUBroadcastSeconds)
		}
		if s.IdleSeconds > 0 {
			fmt.Fprintf(w, "idle cpu       %.2f%% of one core over %.0f s\n", s.IdleCPUPercent, s.IdleSeconds)
		}
	}
	fmt.Fprintf(w, "load average   %.2f at the start, %.2f at the end\n", r.LoadAverage[0], r.LoadAverage[1])
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
