package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The resilience tests put real gorilla clients against a real server on
// loopback, in numbers (scaled down under the race detector, see resRace),
// and wait on events with deadlines. The crash test runs the server in a
// child process: this test binary, started again with resChildAddr set.

const (
	resChildAddr  = "CONFDASH_TEST_CHILD_ADDR"  // listen here and serve, instead of testing
	resChildState = "CONFDASH_TEST_CHILD_STATE" // the child's state file
	resChildClock = "CONFDASH_TEST_CHILD_CLOCK" // schedule time minus wall time, in ns
)

// init turns the test binary into a plain server when the crash test starts
// it as a child. It is an init, not a TestMain, so that the package's other
// test files stay free to have one.
func init() {
	if addr := os.Getenv(resChildAddr); addr != "" {
		offset, _ := strconv.ParseInt(os.Getenv(resChildClock), 10, 64)
		os.Exit(resChildServe(addr, os.Getenv(resChildState), resOffsetClock(offset)))
	}
}

// resChildServe runs the test day with a state file, as `confdash serve`
// would, prints "listening ADDR" once it accepts connections, and serves
// until it is killed or its parent goes away (stdin closes).
func resChildServe(addr, state string, clock Clock) int {
	sc, _, err := load.ParseFile(filepath.Join("testdata", "day.yaml"), schedule.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	srv, err := New(Config{Schedule: sc, StatePath: state, AdminToken: adminToken, Clock: clock})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("listening %s\n", ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return 1
}

// resOffsetClock is the schedule clock of the child servers: the wall clock
// moved by a fixed offset, so that it goes on across a restart (a rehearsal
// clock from --at would start again, and announcements made before the
// restart would lie in its future).
type resOffsetClock time.Duration

func (c resOffsetClock) Now() time.Time                  { return time.Now().Add(time.Duration(c)) }
func (c resOffsetClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// resChild is a server in a child process.
type resChild struct {
	cmd    *exec.Cmd
	addr   string
	stdin  io.Closer
	stderr *bytes.Buffer // read only after Wait
	waited chan struct{}
}

// resStartChild starts a child server on addr ("127.0.0.1:0" for any port)
// and returns once it listens.
func resStartChild(t *testing.T, addr, state string, clock resOffsetClock) *resChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), resChildAddr+"="+addr, resChildState+"="+state, resChildClock+"="+strconv.FormatInt(int64(clock), 10))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	ch := &resChild{cmd: cmd, stdin: stdin, stderr: &bytes.Buffer{}, waited: make(chan struct{})}
	cmd.Stderr = ch.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(ch.waited) }()
	t.Cleanup(ch.kill)
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		a, ok := strings.CutPrefix(strings.TrimSpace(s), "listening ")
		if !ok {
			ch.kill()
			t.Fatalf("child server did not start: %q\n%s", s, ch.stderr)
		}
		ch.addr = a
	case <-time.After(90 * time.Second): // about 4 s under -race on an idle machine
		ch.kill()
		t.Fatalf("child server not listening after 90 s:\n%s", ch.stderr)
	}
	return ch
}

// kill ends the child with SIGKILL, as a crash would, and waits for it.
func (ch *resChild) kill() {
	ch.cmd.Process.Kill()
	<-ch.waited
	ch.stdin.Close()
}

// resDialer opens the load tests' viewers: small buffers, since there are
// thousands, and a handshake timeout so that a stuck server fails the test.
var resDialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 1024}

// resConnect runs dial(i) for i in [0, n) with a bounded number of dials in
// flight, as a crowd of browsers would arrive, and returns the first error.
func resConnect(n int, dial func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ferr error
	)
	sem := make(chan struct{}, 64)
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := dial(i); err != nil {
				mu.Lock()
				if ferr == nil {
					ferr = fmt.Errorf("viewer %d: %w", i, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return ferr
}

func resClosed(s *Server, reason string) float64 {
	return testutil.ToFloat64(s.m.connClosed.WithLabelValues(reason))
}

// resSndbufListener fixes the send buffer of accepted connections.
type resSndbufListener struct {
	net.Listener
	size int
}

func (l resSndbufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		err = c.(*net.TCPConn).SetWriteBuffer(l.size)
	}
	return c, err
}

// resPercentile returns the p-th percentile (0..100) of sorted durations.
func resPercentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// TestResilienceSlowConsumers: 1% of the viewers stop reading (a tiny
// receive buffer, never read). The server's queues for them fill and they
// are dropped as slow consumers, while the others get every broadcast with a
// latency like that of a run without stalled viewers, in the same test.
func TestResilienceSlowConsumers(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	n := 1000
	if resRace {
		n = 200
	}
	stalled := n / 100
	normal := n - stalled
	const (
		warmup     = 5
		broadcasts = 30 // per measured run
		size       = 16 << 10
	)
	// The send buffer of the server's sockets is fixed at 32 KB: on loopback
	// the kernel would otherwise grow it to 4 MB and take some 240 messages
	// of 16 KB from a stalled viewer before the server's queue even began to
	// fill; fixed, it takes a few.
	srv, err := New(Config{Schedule: loadDay(t, "day.yaml"), Clock: testserver.NewClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(resSndbufListener{ln, 32 << 10})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	wsURL := "ws://" + ln.Addr().String() + "/ws"

	// Broadcast i of run r carries the id "slow-r-iiiii" at a fixed offset.
	prefix := []byte(`{"type":"announcement","action":"add","id":"slow-`)
	payload := strings.Repeat("x", size)
	message := func(run, i int) []byte {
		id := fmt.Sprintf("slow-%d-%05d", run, i)
		return fmt.Appendf(nil, `{"type":"announcement","action":"add","id":%q,"announcement":{"id":%q,"text":%q}}`, id, id, payload)
	}
	const runs = 3 // warm-up, baseline, with stalled viewers
	epoch := time.Now()
	type reader struct {
		conn *websocket.Conn
		recv []int64 // [run*broadcasts+i]: arrival, ns since epoch
		err  error
		done chan struct{}
	}
	counts := make([]atomic.Int32, runs*broadcasts)
	arrived := make([]chan struct{}, runs*broadcasts)
	for i := range arrived {
		arrived[i] = make(chan struct{})
	}
	readers := make([]*reader, normal)
	read := func(r *reader) {
		defer close(r.done)
		var head [64]byte
		for {
			_, msg, err := r.conn.NextReader()
			if err != nil {
				r.err = err
				return
			}
			n, _ := io.ReadFull(msg, head[:])
			io.Copy(io.Discard, msg)
			at := int64(time.Since(epoch))
			if n < len(prefix)+8 || !bytes.HasPrefix(head[:n], prefix) {
				continue // hello, state, viewer counts
			}
			id := head[len(prefix) : len(prefix)+7] // "r-iiiii"
			run, i := int(id[0]-'0'), 0
			for _, d := range id[2:] {
				i = i*10 + int(d-'0')
			}
			k := run*broadcasts + i
			r.recv[k] = at
			if counts[k].Add(1) == int32(normal) {
				close(arrived[k])
			}
		}
	}
	err = resConnect(normal, func(i int) error {
		c, _, err := resDialer.Dial(wsURL, nil)
		if err != nil {
			return err
		}
		r := &reader{conn: c, recv: make([]int64, runs*broadcasts), done: make(chan struct{})}
		readers[i] = r
		go read(r)
		return nil
	})
	t.Cleanup(func() {
		for _, r := range readers {
			if r != nil {
				r.conn.Close()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// A viewer is subscribed a moment after its handshake completes.
	if !testserver.Eventually(10*time.Second, func() bool { return srv.hub.Total() == normal }) {
		t.Fatalf("%d subscribers, want %d", srv.hub.Total(), normal)
	}

	// run publishes the broadcasts of a run one after the other, each once
	// the previous one reached every reader, and returns every delivery's
	// latency, sorted, and the p99 of each broadcast. before, if set, runs
	// before each broadcast.
	run := func(id, count int, before func()) (all, p99s []time.Duration) {
		t.Helper()
		lat := make([]time.Duration, 0, count*normal)
		for i := range count {
			k := id*broadcasts + i
			msg := message(id, i)
			if before != nil {
				before()
			}
			sent := int64(time.Since(epoch))
			srv.hub.PublishAll(msg)
			select {
			case <-arrived[k]:
			case <-time.After(10 * time.Second):
				t.Fatalf("run %d broadcast %d reached %d of %d viewers within 10 s", id, i, counts[k].Load(), normal)
			}
			one := make([]time.Duration, 0, normal)
			for _, r := range readers {
				one = append(one, time.Duration(r.recv[k]-sent))
			}
			lat = append(lat, one...)
			slices.Sort(one)
			p99s = append(p99s, resPercentile(one, 99))
		}
		slices.Sort(lat)
		slices.Sort(p99s)
		return lat, p99s
	}
	run(0, warmup, nil)
	base, baseEach := run(1, broadcasts, nil)

	// The stalled viewers: a receive buffer of a few KB, and no reads at all
	// (gorilla reads only when asked), so the server's writes to them block.
	stalledDialer := *resDialer
	stalledDialer.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			err = c.(*net.TCPConn).SetReadBuffer(4 << 10)
		}
		return c, err
	}
	stuck := make([]*websocket.Conn, stalled)
	for i := range stuck {
		// They watch the side track, so that they alone can be sent what
		// they miss while stalled (below).
		c, _, err := stalledDialer.Dial(wsURL+"?track=side", nil)
		if err != nil {
			t.Fatalf("stalled viewer %d: %v", i, err)
		}
		defer c.Close()
		stuck[i] = c
	}
	if !testserver.Eventually(10*time.Second, func() bool { return srv.hub.Total() == n }) {
		t.Fatalf("%d subscribers, want %d", srv.hub.Total(), n)
	}
	// While they stall, the stalled viewers are also sent messages of their
	// own (as if much happened on their track): 30 at once fill their socket
	// buffers, so their writers block, and 8 more before each broadcast fill
	// their queues within a few broadcasts, well within the write timeout
	// (10 s), which would otherwise end them first, as write errors.
	missed := fmt.Appendf(nil, `{"type":"announcement","action":"add","id":"missed","announcement":{"id":"missed","text":%q}}`, payload)
	miss := func(k int) {
		for range k {
			srv.hub.Publish(topic(classTab, "side"), missed)
		}
	}
	miss(30)
	with, withEach := run(2, broadcasts, func() {
		if srv.hub.Total() > normal {
			miss(8)
		}
	})

	// The stalled viewers were dropped during the run: the hub lets go of a
	// client as soon as its queue is full ...
	if got := srv.hub.Total(); got != normal {
		t.Errorf("after the run %d subscribers remain, want the %d that read", got, normal)
	}
	// ... and the server closes their connections once the write it was
	// blocked in times out. (Reading what is left on their side would take
	// long: with so small a window, TCP's zero-window probes back off.)
	if !testserver.Eventually(20*time.Second, func() bool { return resClosed(srv, "slow_consumer") == float64(stalled) }) {
		t.Errorf("connections closed as slow_consumer = %v, want %d", resClosed(srv, "slow_consumer"), stalled)
	}
	if !testserver.Eventually(5*time.Second, func() bool { return srv.viewerTotal.Load() == int64(normal) }) {
		t.Errorf("the server holds %d connections, want the %d that read", srv.viewerTotal.Load(), normal)
	}
	for i, r := range readers {
		select {
		case <-r.done:
			t.Errorf("viewer %d stopped reading: %v", i, r.err)
		default:
		}
	}
	for _, reason := range []string{"write_error", "client", "pong_timeout", "policy"} {
		if got := resClosed(srv, reason); got != 0 {
			t.Errorf("%v connections closed as %s, want only the stalled ones, as slow_consumer", got, reason)
		}
	}

	typb, typw := resPercentile(baseEach, 50), resPercentile(withEach, 50)
	t.Logf("%d viewers (%d stalled), %d broadcasts of %d KB each way: delivery p50/p99/max without stalled %v/%v/%v, with %v/%v/%v; median broadcast's p99 %v without, %v with",
		n, stalled, broadcasts, size>>10, resPercentile(base, 50), resPercentile(base, 99), base[len(base)-1],
		resPercentile(with, 50), resPercentile(with, 99), with[len(with)-1], typb, typw)
	// "Unaffected": a stalled viewer costs the others nothing, since Publish
	// never waits on a queue and a writer blocked on its socket uses no CPU.
	// What is compared is the p99 of the median broadcast: the p99 of all
	// deliveries is that of the worst broadcast or two (each brings 1% of
	// them), so one hiccup of the machine decides it; here runs of the same
	// work measured 33 ms and 124 ms on a busy 2-core machine. The bound is
	// loose still, 3x + 50 ms: being affected would look like a write
	// timeout (10 s) on every broadcast, far above it.
	if limit := 3*typb + 50*time.Millisecond; typw > limit {
		t.Errorf("with stalled viewers the others' median broadcast p99 is %v, above 3 x %v + 50 ms", typw, typb)
	}
}

// resBackoff is the frontend's reconnection delay (frontend/assets/live.js):
// exponential with full jitter, the first retry within a second, none longer
// than 30 s.
func resBackoff(attempt int) time.Duration {
	return time.Duration(mrand.Float64() * float64(min(30*time.Second, time.Second<<min(attempt, 16))))
}

// TestResilienceCrashRestart: a few thousand viewers on a server in a child
// process; an announcement and a delay; SIGKILL; after a supervisor's
// restart delay the server starts again on the same port. Every viewer,
// following the frontend's backoff, is back within 30 s, the reconnections
// are spread (no second takes more than a quarter of them), and the first
// state each gets holds the announcement and the delay.
func TestResilienceCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	t.Parallel()
	n := 2000
	if resRace {
		n = 500
	}
	// restartDelay is how long the server stays down (plus its start-up).
	// With a first retry within 1 s, a server back sooner than that sees
	// most viewers in its first second whatever the jitter; full jitter
	// spreads reconnections once retries pile up over a few doubled
	// windows. At 6 s, simulations of the backoff give at most ~20% in one
	// second for 500 viewers, 18% for 2,000 (30% at 3 s, 48% at 2 s).
	const restartDelay = 6 * time.Second
	state := filepath.Join(t.TempDir(), "state.json")
	clock := resOffsetClock(testNow.Sub(time.Now()))
	child := resStartChild(t, "127.0.0.1:0", state, clock)
	url := "ws://" + child.addr + "/ws"

	type arrival struct {
		viewer int
		at     time.Time
		state  []byte
	}
	var killed atomic.Bool
	connected := make(chan arrival, n)
	reconnected := make(chan arrival, n)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	viewer := func(id int) {
		defer wg.Done()
		afterKill := false // counts the first connection after the kill only
		attempt := 0
		for ctx.Err() == nil {
			c, _, err := resDialer.DialContext(ctx, url, nil)
			if err == nil {
				stop := context.AfterFunc(ctx, func() { c.Close() })
				was := killed.Load()
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				var hello, st wsMsg
				err = c.ReadJSON(&hello)
				if err == nil {
					err = c.ReadJSON(&st)
				}
				if err == nil && hello.Type == "hello" && st.Type == "state" {
					attempt = 0 // as the frontend does on hello
					a := arrival{id, time.Now(), st.State}
					switch {
					case !was:
						select {
						case connected <- a:
						case <-ctx.Done():
						}
					case !afterKill:
						afterKill = true
						reconnected <- a // once per viewer: fits
					}
					c.SetReadDeadline(time.Time{})
					for err == nil {
						_, _, err = c.ReadMessage()
					}
				}
				stop()
				c.Close()
			}
			wait := time.NewTimer(resBackoff(attempt))
			attempt++
			select {
			case <-wait.C:
			case <-ctx.Done():
				wait.Stop()
			}
		}
	}
	wg.Add(n)
	for i := range n {
		go viewer(i)
	}
	deadline := time.After(60 * time.Second)
	for i := range n {
		select {
		case <-connected:
		case <-deadline:
			t.Fatalf("%d of %d viewers connected within 60 s", i, n)
		}
	}

	post := func(path, body string) []byte {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+child.addr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s = %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	var ann schedule.Announcement
	if err := json.Unmarshal(post("/api/v1/announcements", `{"text": "Keynote moved to the Main Hall"}`), &ann); err != nil {
		t.Fatal(err)
	}
	post("/api/v1/tracks/side/delay", `{"minutes": 7}`)

	killed.Store(true)
	killedAt := time.Now()
	child.kill()
	// The supervisor's restart delay: the outage being modelled, not a wait
	// for something to happen.
	<-time.After(restartDelay - time.Since(killedAt))
	child = resStartChild(t, child.addr, state, clock)
	back := time.Now()
	t.Logf("server down %v", back.Sub(killedAt).Round(time.Millisecond))

	perSecond := map[int]int{}
	var last time.Duration
	deadline = time.After(45 * time.Second)
	for i := range n {
		var a arrival
		select {
		case a = <-reconnected:
		case <-deadline:
			t.Fatalf("%d of %d viewers back 45 s after the restart", i, n)
		}
		d := a.at.Sub(back)
		last = max(last, d)
		perSecond[int(d/time.Second)]++
		d2 := stateDocOf(t, a.state)
		if !slices.Contains(annIDs(d2.Announcements), ann.ID) {
			t.Fatalf("viewer %d: first state after the restart lacks announcement %s: %s", a.viewer, ann.ID, a.state)
		}
		for _, tr := range d2.Tracks {
			if tr.ID == "side" && tr.DelayMinutes != 7 {
				t.Fatalf("viewer %d: first state after the restart has side delayed %d min, want 7", a.viewer, tr.DelayMinutes)
			}
		}
	}
	secs := slices.Sorted(func(yield func(int) bool) {
		for s := range perSecond {
			if !yield(s) {
				return
			}
		}
	})
	var spread []string
	worst := 0
	for _, s := range secs {
		spread = append(spread, strconv.Itoa(perSecond[s]))
		worst = max(worst, perSecond[s])
	}
	t.Logf("%d viewers back, the last %v after the restart; per second: %s", n, last.Round(time.Millisecond), strings.Join(spread, " "))
	// The backoff's cap is 30 s: a viewer retries at most 30 s after its
	// last refused attempt, which came before the restart; a handshake may
	// add a moment.
	if last > 30*time.Second+time.Second {
		t.Errorf("the last viewer came back %v after the restart, want within 30 s", last)
	}
	if worst > n/4 {
		t.Errorf("%d of %d viewers came back in one second, want at most a quarter", worst, n)
	}
}

// TestResilienceGracefulStop: a few hundred viewers; Shutdown sends each what
// was queued for it, then close 1001, and returns within 5 s.
func TestResilienceGracefulStop(t *testing.T) {
	n := 300
	if resRace {
		n = 100
	}
	ts := startServer(t, Config{})
	last := []byte(`{"type":"announcement","action":"add","id":"last-words"}`)
	type result struct {
		gotLast bool
		err     error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	err := resConnect(n, func(i int) error {
		c, _, err := resDialer.Dial(ts.ws, nil)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					results[i].err = err
					return
				}
				results[i].gotLast = results[i].gotLast || bytes.Equal(msg, last)
			}
		}()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !testserver.Eventually(10*time.Second, func() bool { return ts.hub.Total() == n }) {
		t.Fatalf("%d subscribers, want %d", ts.hub.Total(), n)
	}
	ts.hub.PublishAll(last)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := ts.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	took := time.Since(start)
	wg.Wait()
	t.Logf("Shutdown with %d viewers took %v", n, took)
	if took > 5*time.Second {
		t.Errorf("Shutdown took %v, want within 5 s", took)
	}
	for i, r := range results {
		var ce *websocket.CloseError
		if !errors.As(r.err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("viewer %d: reading ended with %v, want close 1001", i, r.err)
		}
		if !r.gotLast {
			t.Errorf("viewer %d: the message queued before Shutdown did not arrive before the close", i)
		}
	}
	select {
	case <-ts.done:
	case <-time.After(5 * time.Second):
		t.Error("Serve did not return after Shutdown")
	}
}

// resRawUpgrade opens a websocket by hand on a raw TCP connection, for
// clients that misbehave below what gorilla lets one do.
func resRawUpgrade(t *testing.T, addr, query string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, br, err := rawUpgrade(&net.Dialer{Timeout: 5 * time.Second}, addr, query)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, br
}

// rawUpgrade is resRawUpgrade for goroutines other than the test's: it
// dials with d (which may set the local address) and returns the error.
func rawUpgrade(d *net.Dialer, addr, query string) (net.Conn, *bufio.Reader, error) {
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	var key [16]byte
	rand.Read(key[:])
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /ws?%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", query, addr, base64.StdEncoding.EncodeToString(key[:]))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		conn.Close()
		return nil, nil, fmt.Errorf("raw upgrade: %s", resp.Status)
	}
	conn.SetDeadline(time.Time{})
	return conn, br, nil
}

// resFrame encodes one client frame (masked, as a client must, unless
// unmasked is set).
func resFrame(fin bool, opcode byte, payload []byte, unmasked ...bool) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	masked := len(unmasked) == 0 || !unmasked[0]
	var maskBit byte
	if masked {
		maskBit = 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, maskBit|byte(n))
	case n <= math.MaxUint16:
		out = append(out, maskBit|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, maskBit|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !masked {
		return append(out, payload...)
	}
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, mask[:]...)
	for i, c := range payload {
		out = append(out, c^mask[i%4])
	}
	return out
}

// resReadFrame reads one server frame (servers do not mask).
func resReadFrame(br *bufio.Reader) (fin bool, opcode byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(br, h[:]); err != nil {
		return
	}
	fin, opcode = h[0]&0x80 != 0, h[0]&0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err = io.ReadFull(br, e[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err = io.ReadFull(br, e[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	if n > 1<<20 {
		return fin, opcode, nil, fmt.Errorf("frame of %d bytes", n)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(br, payload)
	return
}

// TestResilienceHalfOpen: peers that vanish without closing (they neither
// read nor answer pings) are closed as pong_timeout within PongWait (plus a
// ping period), counted, and a peer that answers stays.
func TestResilienceHalfOpen(t *testing.T) {
	const (
		pingPeriod = 100 * time.Millisecond
		pongWait   = 500 * time.Millisecond
	)
	ts := startServer(t, Config{PingPeriod: pingPeriod, PongWait: pongWait})
	addr := strings.TrimPrefix(ts.base, "http://")
	start := time.Now()

	// Two ways to vanish: a gorilla client that never reads (gorilla
	// answers pings only while reading), and a connection upgraded by hand
	// that goes silent.
	silent, _, err := websocket.DefaultDialer.Dial(ts.ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	resRawUpgrade(t, addr, "view=screen")

	// The bystander reads, so it answers every ping; it counts them, to know
	// when it has lived through several pong waits.
	bystander, _, err := websocket.DefaultDialer.Dial(ts.ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bystander.Close()
	var pings atomic.Int32
	answer := bystander.PingHandler()
	bystander.SetPingHandler(func(data string) error {
		pings.Add(1)
		return answer(data)
	})
	// Buffered: the reader must keep reading (that is what answers pings)
	// while the test waits on something else.
	got := make(chan []byte, 256)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			_, msg, err := bystander.ReadMessage()
			if err != nil {
				close(got)
				return
			}
			select {
			case got <- msg:
			case <-done:
			}
		}
	}()

	if !testserver.Eventually(10*time.Second, func() bool { return resClosed(ts.Server, "pong_timeout") == 2 }) {
		t.Fatalf("pong_timeout closes = %v after 10 s, want 2", resClosed(ts.Server, "pong_timeout"))
	}
	detected := time.Since(start)
	t.Logf("half-open connections detected after %v (PingPeriod %v, PongWait %v)", detected.Round(time.Millisecond), pingPeriod, pongWait)
	if detected < pongWait {
		t.Errorf("detected after %v, before PongWait %v: a quiet but alive peer would be cut", detected, pongWait)
	}
	if limit := pongWait + pingPeriod + time.Second; detected > limit {
		t.Errorf("detected after %v, want within %v", detected, limit)
	}

	// The bystander answers pings: after three pong waits' worth of them it
	// is still subscribed and gets a broadcast.
	want := int32(3 * pongWait / pingPeriod)
	if !testserver.Eventually(10*time.Second, func() bool { return pings.Load() >= want }) {
		t.Fatalf("the bystander got %d pings, want %d", pings.Load(), want)
	}
	if got := resClosed(ts.Server, "pong_timeout"); got != 2 {
		t.Errorf("pong_timeout closes = %v, want 2: a peer that answers pings was cut", got)
	}
	marker := []byte(`{"type":"announcement","action":"remove","id":"half-open-check"}`)
	ts.hub.PublishAll(marker)
	timeout := time.After(5 * time.Second)
	for {
		select {
		case msg, ok := <-got:
			if !ok {
				t.Fatal("the bystander's connection ended")
			}
			if bytes.Equal(msg, marker) {
				return
			}
		case <-timeout:
			t.Fatal("the bystander did not get the broadcast")
		}
	}
}

// TestResilienceMaxViewers: beyond --max-viewers the upgrade is refused with
// 503 and counted; the viewers already there keep getting broadcasts, and a
// place that frees up can be taken.
func TestResilienceMaxViewers(t *testing.T) {
	const maxViewers = 3
	ts := startServer(t, Config{MaxViewers: maxViewers, AdminToken: adminToken})
	var viewers []*client
	for i := range maxViewers {
		cl := ts.dial(t, fmt.Sprint("viewer ", i), "")
		cl.ping(1) // once the pong is back, the viewer has been counted
		viewers = append(viewers, cl)
	}
	for range 2 {
		c, resp, err := websocket.DefaultDialer.Dial(ts.ws, nil)
		if err == nil {
			c.Close()
			t.Fatal("a viewer beyond MaxViewers was accepted")
		}
		if resp == nil {
			t.Fatalf("dial beyond MaxViewers: %v, want HTTP 503", err)
		}
		checkAPIError(t, readResponse(t, resp), http.StatusServiceUnavailable, "server_full")
	}
	if got := testutil.ToFloat64(ts.m.upgradesRejected.WithLabelValues("max_viewers")); got != 2 {
		t.Errorf(`confdash_upgrades_rejected_total{reason="max_viewers"} = %v, want 2`, got)
	}
	a := ts.announce(t, "Still here", "")
	for _, cl := range viewers {
		if m := cl.next(); m.Type != "announcement" || m.ID != a.ID {
			t.Errorf("%s got %+v, want the announcement", cl.name, m)
		}
	}
	viewers[0].c.Close()
	if !testserver.Eventually(5*time.Second, func() bool { return ts.viewerTotal.Load() < maxViewers }) {
		t.Fatal("the closed viewer is still counted after 5 s")
	}
	ts.dial(t, "newcomer", "")
}

// TestResilienceConnRateLimit: new websockets beyond an address's burst get
// 429 with Retry-After, counted as rate_limit; the viewers already there are
// not affected.
func TestResilienceConnRateLimit(t *testing.T) {
	// A rate so low that no token comes back during the test.
	ts := startServer(t, Config{ConnRate: 0.01, ConnBurst: 3, AdminToken: adminToken})
	var viewers []*client
	for i := range 3 {
		viewers = append(viewers, ts.dial(t, fmt.Sprint("viewer ", i), ""))
	}
	c, resp, err := websocket.DefaultDialer.Dial(ts.ws, nil)
	if err == nil {
		c.Close()
		t.Fatal("a fourth connection within the burst of 3 was accepted")
	}
	if resp == nil {
		t.Fatalf("fourth dial: %v, want HTTP 429", err)
	}
	r := readResponse(t, resp)
	checkAPIError(t, r, http.StatusTooManyRequests, "rate_limited")
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 100 {
		t.Errorf("Retry-After = %q, want the seconds until a token is back (100 at 0.01/s)", r.header.Get("Retry-After"))
	}
	if got := testutil.ToFloat64(ts.m.upgradesRejected.WithLabelValues("rate_limit")); got != 1 {
		t.Errorf(`confdash_upgrades_rejected_total{reason="rate_limit"} = %v, want 1`, got)
	}
	a := ts.announce(t, "Limits hold", "")
	for _, cl := range viewers {
		if m := cl.next(); m.Type != "announcement" || m.ID != a.ID {
			t.Errorf("%s got %+v, want the announcement", cl.name, m)
		}
	}
}

// TestResilienceAdminRateLimit: admin requests without the right token
// beyond an address's burst get 429, so guessing it is as slow as the
// limit; requests with it spend nothing; both refusals are counted.
func TestResilienceAdminRateLimit(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken, AdminRate: 0.01, AdminBurst: 4})
	for range 2 {
		ts.admin(t, http.MethodGet, "/api/v1/admin", "", http.StatusOK)
	}
	for range 4 {
		checkAPIError(t, ts.do(t, http.MethodGet, "/api/v1/admin", "wrong", ""), http.StatusUnauthorized, "unauthorized")
	}
	for _, tok := range []string{"wrong", ""} {
		r := ts.do(t, http.MethodPost, "/api/v1/announcements", tok, `{"text": "hi"}`)
		checkAPIError(t, r, http.StatusTooManyRequests, "rate_limited")
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("Retry-After = %q, want whole seconds", r.header.Get("Retry-After"))
		}
	}
	if got := testutil.ToFloat64(ts.lim.adminRejected.WithLabelValues("rate_limit")); got != 2 {
		t.Errorf(`confdash_admin_requests_rejected_total{reason="rate_limit"} = %v, want 2`, got)
	}
	if got := testutil.ToFloat64(ts.lim.adminRejected.WithLabelValues("unauthorized")); got != 4 {
		t.Errorf(`confdash_admin_requests_rejected_total{reason="unauthorized"} = %v, want 4`, got)
	}
	// The public API is not limited.
	for range 10 {
		ts.get(t, "/api/v1/state")
	}
	if d := stateDocOf(t, ts.get(t, "/api/v1/state")); len(d.Announcements) != 0 {
		t.Errorf("a refused request changed the state: %+v", d.Announcements)
	}
}

// TestResilienceStateWriteFailure: when the state file cannot be written,
// the admin call answers 500 and nothing changes: not the state clients see,
// not the file, and no client hears of the change; the failure is counted.
// The disk refuses by losing the directory: the state path goes through a
// symbolic link that is removed (the tests run as root, for whom
// permissions refuse nothing), which leaves the file itself untouched.
func TestResilienceStateWriteFailure(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{AdminToken: adminToken, StatePath: filepath.Join(link, "state.json")})
	first := ts.announce(t, "Saved", "")
	cl := ts.dial(t, "tab", "")
	file := filepath.Join(real, "state.json")
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	shown := ts.get(t, "/api/v1/state")

	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	for _, call := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/announcements", `{"text": "Never saved"}`},
		{http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 9}`},
		{http.MethodDelete, "/api/v1/announcements/" + first.ID, ""},
	} {
		r := ts.do(t, call.method, call.path, adminToken, call.body)
		checkAPIError(t, r, http.StatusInternalServerError, "state_write_failed")
	}
	if got := ts.get(t, "/api/v1/state"); !bytes.Equal(got, shown) {
		t.Errorf("the state changed although nothing was saved:\nbefore %s\nafter  %s", shown, got)
	}
	if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, before) {
		t.Errorf("the state file changed (%v):\nbefore %s\nafter  %s", err, before, got)
	}
	if got := testutil.ToFloat64(ts.m.stateWriteErrors); got != 3 {
		t.Errorf("confdash_state_write_errors_total = %v, want 3", got)
	}

	// The disk is back: the next change is saved and is the first thing the
	// viewer hears since the failures.
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	second := ts.announce(t, "Saved again", "")
	if m := cl.next(); m.Type != "announcement" || m.ID != second.ID {
		t.Errorf("after the failed calls the viewer got %+v first, want the announcement %s", m, second.ID)
	}
	want := []string{first.ID, second.ID}
	slices.Sort(want)
	d := stateDocOf(t, ts.get(t, "/api/v1/state"))
	if got := slices.Sorted(slices.Values(annIDs(d.Announcements))); !slices.Equal(got, want) {
		t.Errorf("announcements = %v, want %v", got, want)
	}
	var sf stateFile
	b, err := os.ReadFile(file)
	if err != nil || json.Unmarshal(b, &sf) != nil {
		t.Fatalf("state file %s: %v", b, err)
	}
	if got := slices.Sorted(slices.Values(annIDs(sf.Adjustments.Announcements))); !slices.Equal(got, want) || len(sf.Adjustments.Delays) != 0 {
		t.Errorf("state file holds announcements %v and delays %v, want %v and none", got, sf.Adjustments.Delays, want)
	}
	if entries, _ := os.ReadDir(real); len(entries) != 1 {
		t.Errorf("the state directory holds %d files, want only state.json", len(entries))
	}
}
