package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bounds of `bench cluster`'s own steps; the bench itself is bounded by
// --timeout, and starting one instance by startTarget's 20 s.
const (
	maxClusterInstances = 20
	// clusterReadyTimeout is how long the instances may take, all started,
	// to report "ready" on /readyz: connected to NATS and synchronized.
	clusterReadyTimeout = 30 * time.Second
	// natsCheckTimeout bounds the bench's own NATS calls: the check that
	// JetStream is there, and the removal of the run's buckets.
	natsCheckTimeout = 5 * time.Second
)

// natsServerHint says how to run the NATS server the bench needs: the
// module requires nats-server already (the tests embed it), so it builds
// from the source tree at the version in go.mod.
const natsServerHint = "From the confdash source tree: go build -o /tmp/nats-server github.com/nats-io/nats-server/v2 && " +
	"/tmp/nats-server -js -sd /tmp/nats-data -a 127.0.0.1"

// clusterReport is `bench cluster`'s result: the instances it ran and the
// bench over all of them.
type clusterReport struct {
	NATS         string            `json:"nats"`
	Bucket       string            `json:"bucket"`
	ReadySeconds float64           `json:"ready_seconds"` // from the first start until every instance was ready
	Instances    []clusterInstance `json:"instances"`
	Bench        *benchReport      `json:"bench"`
}

type clusterInstance struct {
	URL  string `json:"url"`
	PID  int    `json:"pid"`
	Exit string `json:"exit"` // how it ended after SIGTERM: "exit status 0" is a graceful stop
}

// benchCluster is `confdash bench cluster`: it starts several confdash
// instances sharing their live state through NATS, spreads the viewers over
// them, posts the announcements to the first and times their delivery to the
// viewers of every instance.
func (e *Env) benchCluster(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o benchOptions
	fs := e.FlagSet("bench cluster",
		"bench cluster --nats nats://127.0.0.1:4222 [--instances 5] [--viewers 95000] [flags]", stderr)
	o.register(fs)
	// The instances' addresses and processes are the ones cluster starts,
	// and their buckets are removed at the end, announcements included.
	hide(fs, "cluster", "url", "server-pid", "cleanup")
	fs.Lookup("token").Usage = "admin token given to the instances and used to post (default: $CONFDASH_ADMIN_TOKEN, else a random one)"
	o.Viewers = 95000
	fs.Lookup("viewers").DefValue = "95000"
	natsURL := fs.String("nats", "", "NATS server with JetStream on this machine (required, loopback only; also CONFDASH_NATS_URL). "+natsServerHint)
	instances := fs.Int("instances", 5, "confdash serve instances to start, each on a free loopback port (at most 20)")
	serveFlags := fs.String("serve-flags", "--conn-rate 0 --max-viewers-per-address 0", "extra flags for every confdash serve, space-separated")
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	pos, err := e.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("bench cluster: unknown argument %q", pos[0])
	}
	if *natsURL == "" {
		*natsURL = os.Getenv("CONFDASH_NATS_URL")
	}
	if *natsURL == "" {
		return errors.New("bench cluster needs --nats nats://127.0.0.1:4222, a nats-server with JetStream on this machine. " + natsServerHint)
	}
	nu, err := loopbackNATS(*natsURL)
	if err != nil {
		return err
	}
	n := *instances
	if n < 1 || n > maxClusterInstances {
		return fmt.Errorf("--instances %d: use 1 to %d", n, maxClusterInstances)
	}
	if per := (o.Viewers + n - 1) / n; per > maxViewersPerProcess {
		return fmt.Errorf("--viewers %d over --instances %d is %d an instance: one process may hold only 20,000 files; use --instances %d or more",
			o.Viewers, n, per, (o.Viewers+maxViewersPerProcess-1)/maxViewersPerProcess)
	}
	if o.Token == "" {
		o.Token = os.Getenv("CONFDASH_ADMIN_TOKEN")
	}
	if o.Token == "" {
		var tok [16]byte
		rand.Read(tok[:])
		o.Token = hex.EncodeToString(tok[:])
	}
	// The instances' URLs are known once they run; the checks need only
	// as many.
	o.URLs, o.ServerPIDs, o.Cleanup = nil, []int{0}, false
	for i := range n {
		o.URLs = append(o.URLs, "http://127.0.0.1:"+strconv.Itoa(i+1))
	}
	if err := o.check(); err != nil {
		return err
	}
	o.ProgressTo = progressWriter(stderr, o.Progress)

	js, closeNATS, err := connectBenchNATS(ctx, *natsURL)
	if err != nil {
		return err
	}
	defer closeNATS()

	var runID [4]byte
	rand.Read(runID[:])
	// A bucket of its own: a run does not see another's announcements, and
	// removing it at the end leaves the NATS server as it was.
	rep := &clusterReport{NATS: nu.Redacted(), Bucket: "confdash-bench-" + hex.EncodeToString(runID[:])}
	defer removeBuckets(ctx, js, rep.Bucket, stderr)

	dir, err := os.MkdirTemp("", "confdash-bench-cluster-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	servers, err := e.startCluster(ctx, dir, o.Token, *serveFlags, *natsURL, rep.Bucket, n, stderr)
	if err != nil {
		return err
	}
	rep.ReadySeconds = time.Since(servers[0].started).Seconds()

	o.URLs, o.ServerPIDs = nil, nil
	for _, s := range servers {
		o.URLs = append(o.URLs, s.url)
		o.ServerPIDs = append(o.ServerPIDs, s.cmd.Process.Pid)
	}
	bctx, cancel := context.WithTimeout(ctx, o.Timeout)
	rep.Bench, err = e.runBench(bctx, o, stderr)
	cancel()
	exits := stopCluster(servers)
	for i, s := range servers {
		rep.Instances = append(rep.Instances, clusterInstance{URL: s.url, PID: s.cmd.Process.Pid, Exit: exitString(exits[i])})
	}
	if err != nil {
		for i, s := range servers {
			fmt.Fprintf(stderr, "instance %d (%s) log:\n%s\n", i+1, s.url, s.logs.String())
		}
		return err
	}

	if err := writeReport(stdout, *jsonOut, rep); err != nil {
		return err
	}
	var bad []string
	for i, e := range exits {
		if e != nil {
			bad = append(bad, fmt.Sprintf("instance %d: %v", i+1, e))
			fmt.Fprintf(stderr, "instance %d (%s) log:\n%s\n", i+1, servers[i].url, servers[i].logs.String())
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("not every instance stopped gracefully after SIGTERM (%s)", strings.Join(bad, "; "))
	}
	return nil
}

// loopbackNATS parses a NATS URL and refuses any host that is not a loopback
// address, as the bench does for its targets.
func loopbackNATS(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "nats" || u.Host == "" {
		return nil, fmt.Errorf("--nats %q: use nats://127.0.0.1:4222 (one nats-server with JetStream on this machine)", raw)
	}
	if err := checkLoopbackHost(u.Hostname()); err != nil {
		return nil, fmt.Errorf("--nats %q: %w", u.Redacted(), err)
	}
	return u, nil
}

// connectBenchNATS connects to NATS and checks that JetStream answers,
// so that a missing server or a server without -js fails at once rather
// than as instances that never become ready.
func connectBenchNATS(ctx context.Context, natsURL string) (jetstream.JetStream, func(), error) {
	opts := []nats.Option{nats.Name("confdash bench cluster"), nats.Timeout(natsCheckTimeout)}
	if creds := os.Getenv("CONFDASH_NATS_CREDS"); creds != "" {
		opts = append(opts, nats.UserCredentials(creds))
	}
	redacted := natsURL
	if u, err := url.Parse(natsURL); err == nil {
		redacted = u.Redacted()
	}
	nc, err := nats.Connect(natsURL, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("NATS at %s: %w. Start a nats-server with JetStream. %s", redacted, err, natsServerHint)
	}
	js, err := jetstream.New(nc)
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, natsCheckTimeout)
		_, err = js.AccountInfo(cctx)
		cancel()
	}
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("NATS at %s has no JetStream (%w): start the nats-server with -js", redacted, err)
	}
	return js, nc.Close, nil
}

// removeBuckets deletes the run's buckets (the instances create the shared
// state's and its viewers' bucket); a failure only leaves them behind.
func removeBuckets(ctx context.Context, js jetstream.JetStream, bucket string, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), natsCheckTimeout)
	defer cancel()
	for _, b := range []string{bucket, bucket + "-viewers"} {
		if err := js.DeleteKeyValue(ctx, b); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
			fmt.Fprintf(stderr, "bench cluster: NATS bucket %s left behind: %v\n", b, err)
		}
	}
}

// clusterServer is one instance of the run.
type clusterServer struct {
	*targetServer
	started time.Time
}

// startCluster starts n instances one after the other (each answers
// /healthz before the next starts) and waits until every one is ready. On
// an error it stops those it started.
func (e *Env) startCluster(ctx context.Context, dir, token, serveFlags, natsURL, bucket string, n int, stderr io.Writer) ([]*clusterServer, error) {
	var servers []*clusterServer
	fail := func(err error) ([]*clusterServer, error) {
		stopCluster(servers)
		return nil, err
	}
	flags := fmt.Sprintf("%s --nats %s --nats-bucket %s", serveFlags, natsURL, bucket)
	for i := range n {
		started := time.Now()
		srv, err := e.startTarget(ctx, "confdash", dir, token, flags+" --instance-id bench-"+strconv.Itoa(i+1), i, 0, 0)
		if err != nil {
			return fail(fmt.Errorf("instance %d of %d: %w", i+1, n, err))
		}
		servers = append(servers, &clusterServer{targetServer: srv, started: started})
	}
	fmt.Fprintf(stderr, "bench cluster: %d instances started; waiting until each is synchronized with NATS\n", n)
	if err := waitReady(ctx, servers, clusterReadyTimeout); err != nil {
		return fail(err)
	}
	return servers, nil
}

// waitReady waits until every instance's /readyz says "ready": connected to
// NATS and holding the shared state. "degraded" means it is not (yet).
func waitReady(ctx context.Context, servers []*clusterServer, within time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(within)
	for i, s := range servers {
		var last string
		for {
			status, reason, err := readyz(ctx, client, s.url)
			if err == nil && status == "ready" {
				break
			}
			switch {
			case err != nil:
				last = err.Error()
			case reason != "":
				last = fmt.Sprintf("%q: %s", status, reason)
			default:
				last = fmt.Sprintf("%q", status)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("instance %d (%s) not ready within %v: /readyz says %s (is the nats-server running with -js?)\n%s",
					i+1, s.url, within, last, s.logs.String())
			}
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

func readyz(ctx context.Context, client *http.Client, base string) (status, reason string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return "", "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	var r struct{ Status, Reason string }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&r); err != nil {
		return "", "", fmt.Errorf("/readyz answered %s: %w", resp.Status, err)
	}
	return r.Status, r.Reason, nil
}

// stopCluster stops every instance at once (each within its own bound) and
// returns how each ended.
func stopCluster(servers []*clusterServer) []error {
	exits := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { exits[i] = s.stop() })
	}
	wg.Wait()
	return exits
}

func exitString(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func (r *clusterReport) print(w io.Writer) {
	fmt.Fprintf(w, "nats           %s, bucket %s (removed at the end)\n", r.NATS, r.Bucket)
	fmt.Fprintf(w, "instances      %d, all ready %.1f s after the first started\n", len(r.Instances), r.ReadySeconds)
	r.Bench.print(w)
	for i, in := range r.Instances {
		fmt.Fprintf(w, "stopped        instance %d (%s, pid %d): %s\n", i+1, in.URL, in.PID, in.Exit)
	}
}
