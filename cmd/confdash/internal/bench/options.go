package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

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
