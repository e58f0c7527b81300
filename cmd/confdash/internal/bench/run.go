package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confdash/confdash/cmd/confdash/internal/bench/proc"
)

// benchTarget is one server of a run, and what is measured of it.
type benchTarget struct {
	base, ws string
	pid      int            // -1: not measured
	fig      *serverFigures // nil: not measured
	rep      instanceReport

	rssPrev       int64 // after the previous connect step
	stepRSS       int64 // after this connect step; 0 if it could not be read
	stepConnected int   // viewers subscribed in this connect step
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
		// Protocol version 2, as confdash's pages speak it: one delta frame
		// per change, the announcement in it (docs/protocol.md). The floor
		// ignores the parameter and sends its one frame.
		q := url.Values{"view": {o.View}, "proto": {"2"}}
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

// runBench is one measured run: prepare (servers checked and found, viewer
// groups started), connect, measure idle, broadcast, collect, clean up.
func (e *Env) runBench(ctx context.Context, o benchOptions, stderr io.Writer) (*benchReport, error) {
	r, err := e.prepare(ctx, o, stderr)
	if err != nil {
		return nil, err
	}
	defer r.close()
	defer func() { r.rep.LoadAverage[1] = proc.LoadAverage() }()
	if err := r.connect(ctx); err != nil {
		return nil, err
	}
	if o.Idle > 0 && slices.ContainsFunc(r.targets, func(t *benchTarget) bool { return t.fig != nil }) {
		if err := r.measureIdle(ctx, o.Idle); err != nil {
			return nil, err
		}
	}
	if err := r.broadcast(ctx); err != nil {
		return nil, err
	}
	if err := r.collect(ctx); err != nil {
		return nil, err
	}
	if o.Cleanup {
		for _, id := range r.ids {
			deleteAnnouncement(ctx, r.client, r.admin, o.Token, id)
		}
	}
	return r.rep, nil
}

// benchRun is one run's state as it goes through its phases.
type benchRun struct {
	o       benchOptions
	targets []*benchTarget
	// admin is where announcements go: the first server; the others get
	// them through the state they share with it.
	admin  string
	client *http.Client
	rep    *benchReport
	// total is the servers' figures summed, nil unless every one is
	// measured: only then do the sums stand for the servers.
	total    *serverFigures
	marker   string // in every announcement of this run
	plan     []groupPlan
	groups   []viewerGroup // one per plan entry
	triggers []int64       // when each broadcast's POST started, Unix ns
	ids      []string      // the posted announcements
}

// prepare checks the servers answer (the admin API with the token, the
// websocket upgrade), finds their processes and starts the viewer groups,
// in this process or as workers.
func (e *Env) prepare(ctx context.Context, o benchOptions, stderr io.Writer) (*benchRun, error) {
	targets, err := benchTargets(o)
	if err != nil {
		return nil, err
	}
	r := &benchRun{o: o, targets: targets, admin: targets[0].base,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}},
		rep:    &benchReport{URL: targets[0].base, Viewers: o.Viewers, Procs: o.Procs, Broadcasts: o.Broadcasts, Sources: 1},
	}
	if o.Broadcasts > 0 {
		if err := checkAdmin(ctx, r.client, r.admin, o.Token); err != nil {
			r.close()
			return nil, err
		}
	}
	for _, t := range targets {
		if err := checkUpgrade(ctx, t.ws); err != nil {
			r.close()
			return nil, err
		}
	}
	r.rep.LoadAverage[0] = proc.LoadAverage()
	// The servers' processes: found before any worker exists, since the
	// search reads every process's open files.
	if err := findServers(targets, o.ServerPIDs, stderr); err != nil {
		r.close()
		return nil, err
	}
	if !slices.ContainsFunc(targets, func(t *benchTarget) bool { return t.fig == nil }) {
		r.total = &serverFigures{}
		for _, t := range targets {
			r.total.RSSBefore += t.fig.RSSBefore
			r.total.InProcess = r.total.InProcess || t.fig.InProcess
		}
		if len(targets) == 1 {
			r.total.PID = targets[0].pid
		}
		r.rep.Server = r.total
	}

	var runID [4]byte
	rand.Read(runID[:])
	r.marker = "cdbench-" + hex.EncodeToString(runID[:]) + "-"
	perSource := 0
	if o.Viewers > o.PerSource {
		perSource = o.PerSource
		r.rep.Sources = (o.Viewers + o.PerSource - 1) / o.PerSource
	}
	r.plan = o.plan()
	r.groups = make([]viewerGroup, len(r.plan))
	first := 0
	for i, g := range r.plan {
		targets[g.target].rep.Viewers += g.n
		cfg := poolConfig{WSURL: targets[g.target].ws, N: g.n, First: first, PerSource: perSource,
			Concurrency: max(1, o.Concurrency/len(r.plan)), Marker: r.marker, Broadcasts: o.Broadcasts}
		first += g.n
		if o.Procs == 1 {
			r.groups[i] = newViewerPool(cfg)
			continue
		}
		w, err := e.startWorker(ctx, cfg, stderr)
		if err != nil {
			r.close()
			return nil, err
		}
		r.groups[i] = w
	}
	return r, nil
}

// close closes every viewer group started and the admin client's
// connections.
func (r *benchRun) close() {
	closeGroups(r.groups)
	r.client.CloseIdleConnections()
}

// connect opens the viewers in two steps (see --warmup): a Go server keeps
// memory it has freed (start-up garbage) and hands it to the first
// connections, so the memory a connection costs is measured on the second
// step.
func (r *benchRun) connect(ctx context.Context) error {
	sizes := make([]int, len(r.plan))
	for i, g := range r.plan {
		sizes[i] = g.n
	}
	steps := [][]int{sizes}
	if w := r.o.Warmup; w > 0 && r.o.Viewers >= 2 {
		a, b := make([]int, len(sizes)), make([]int, len(sizes))
		for i, n := range sizes {
			a[i] = int(math.Round(float64(n) * w))
			b[i] = n - a[i]
		}
		steps = [][]int{a, b}
	}
	rep := r.rep
	var rssPrev int64
	if r.total != nil {
		rssPrev = r.total.RSSBefore
	}
	for _, step := range steps {
		st, byGroup, err := connectGroups(ctx, r.groups, step, rep.Connected+rep.ConnectFailed, r.o.Viewers, r.o.ProgressTo)
		if err != nil {
			return fmt.Errorf("connecting: %w", err)
		}
		rep.Connected += st.Connected
		rep.ConnectFailed += st.Failed
		if rep.ConnectError == "" {
			rep.ConnectError = st.FirstError
		}
		rep.ConnectSeconds += st.Seconds
		for _, t := range r.targets {
			t.stepConnected = 0
		}
		for i, s := range byGroup {
			t := r.targets[r.plan[i].target]
			t.rep.Connected += s.Connected
			t.rep.ConnectFailed += s.Failed
			t.stepConnected += s.Connected
		}
		if err := sleepCtx(ctx, r.o.Settle); err != nil {
			return err
		}
		samples, read, all := sampleServers(r.targets)
		var rss int64
		for i, t := range r.targets {
			t.stepRSS = 0
			if !read[i] {
				continue
			}
			s := samples[i]
			t.stepRSS = s.RSS
			t.fig.RSSPerViewerMarginal = 0
			if t.stepConnected > 0 {
				t.fig.RSSPerViewerMarginal = float64(s.RSS-t.rssPrev) / float64(t.stepConnected)
			}
			t.rssPrev = s.RSS
			rss += s.RSS
		}
		if r.total != nil && all {
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
		return fmt.Errorf("no viewer could connect: %s", rep.ConnectError)
	}
	for _, t := range r.targets {
		if t.fig != nil {
			t.fig.RSSIdle = t.stepRSS
			if t.rep.Connected > 0 {
				t.fig.RSSPerViewer = float64(t.fig.RSSIdle-t.fig.RSSBefore) / float64(t.rep.Connected)
			}
		}
	}
	if r.total != nil {
		last := rep.ConnectSteps[len(rep.ConnectSteps)-1]
		r.total.RSSIdle = last.RSS
		r.total.RSSPerViewer = float64(r.total.RSSIdle-r.total.RSSBefore) / float64(rep.Connected)
		r.total.RSSPerViewerMarginal = last.RSSPerViewer
	}
	return nil
}

// sampleServers reads the process of every measured target: samples[i] is
// target i's when read[i]; all says whether every measured target was read.
func sampleServers(targets []*benchTarget) (samples []proc.Sample, read []bool, all bool) {
	samples, read, all = make([]proc.Sample, len(targets)), make([]bool, len(targets)), true
	for i, t := range targets {
		if t.fig == nil {
			continue
		}
		s, err := proc.Read(t.pid)
		if err != nil {
			all = false
			continue
		}
		samples[i], read[i] = s, true
	}
	return samples, read, all
}

// measureIdle measures the servers' CPU over d with every viewer connected
// and nothing happening; the total, when kept, gets the sum.
func (r *benchRun) measureIdle(ctx context.Context, d time.Duration) error {
	before, readBefore, _ := sampleServers(r.targets)
	t0 := time.Now()
	if err := sleepCtx(ctx, d); err != nil {
		return err
	}
	seconds := time.Since(t0).Seconds()
	after, readAfter, all := sampleServers(r.targets)
	var pct float64
	for i, t := range r.targets {
		if t.fig == nil {
			continue
		}
		if !readBefore[i] || !readAfter[i] {
			all = false
			continue
		}
		t.fig.IdleSeconds = seconds
		t.fig.IdleCPUPercent = 100 * (after[i].CPU - before[i].CPU).Seconds() / seconds
		pct += t.fig.IdleCPUPercent
	}
	if r.total != nil && all {
		r.total.IdleSeconds, r.total.IdleCPUPercent = seconds, pct
	}
	return nil
}

// broadcast posts the announcements one at a time: each waits until every
// live viewer has it (or --deliver-timeout), so that they do not overlap.
// The servers' CPU is read around them all.
func (r *benchRun) broadcast(ctx context.Context) error {
	o := r.o
	r.triggers = make([]int64, o.Broadcasts)
	cpu0, _, _ := sampleServers(r.targets)
	for k := range o.Broadcasts {
		if k > 0 {
			if err := sleepCtx(ctx, o.Gap); err != nil {
				return err
			}
		}
		text := announcementText(r.marker, k, o.TextBytes)
		id, at, err := postAnnouncement(ctx, r.client, r.admin, o.Token, text)
		r.triggers[k] = at
		if err != nil {
			return fmt.Errorf("broadcast %d: %w", k+1, err)
		}
		// The answer comes after the server saved the change and queued the
		// broadcast: its delay is part of every delivery's.
		r.rep.PostMS = append(r.rep.PostMS, float64(time.Now().UnixNano()-at)/1e6)
		r.ids = append(r.ids, id)
		var wg sync.WaitGroup
		errs := make([]error, len(r.groups))
		for i, g := range r.groups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = g.waitDelivered(ctx, k, o.DeliverTimeout)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	if o.Broadcasts == 0 {
		return nil
	}
	after, read, all := sampleServers(r.targets)
	var cpu float64
	var rss int64
	for i, t := range r.targets {
		if !read[i] {
			continue
		}
		t.fig.RSSAfter = after[i].RSS
		t.fig.CPUBroadcastSeconds = (after[i].CPU - cpu0[i].CPU).Seconds()
		rss += after[i].RSS
		cpu += t.fig.CPUBroadcastSeconds
	}
	if r.total != nil && all {
		r.total.RSSAfter, r.total.CPUBroadcastSeconds = rss, cpu
	}
	return nil
}

// collect gathers every group's receipt times into the latencies, overall,
// by broadcast and by server, and the drops.
func (r *benchRun) collect(ctx context.Context) error {
	rep, targets := r.rep, r.targets
	lat := make([][]float64, len(targets)) // by target
	byK := make([][]float64, r.o.Broadcasts)
	rep.DropReasons = map[string]int{}
	for i, g := range r.groups {
		res, err := g.results(ctx)
		if err != nil {
			return err
		}
		t := r.plan[i].target
		tr := &targets[t].rep
		rep.Dropped += res.Dropped
		tr.Dropped += res.Dropped
		for reason, n := range res.DropReasons {
			rep.DropReasons[reason] += n
		}
		rep.AnnouncementBytes = max(rep.AnnouncementBytes, res.AnnouncementBytes)
		for k, recv := range res.Recv {
			for _, at := range recv {
				if at == 0 {
					tr.Missing++
					continue
				}
				ms := float64(at-r.triggers[k]) / 1e6
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
	if r.total != nil && rep.Deliveries > 0 {
		r.total.CPUPerDelivery = r.total.CPUBroadcastSeconds * 1e6 / float64(rep.Deliveries)
	}
	if len(targets) > 1 {
		for _, t := range targets {
			rep.Instances = append(rep.Instances, t.rep)
		}
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
