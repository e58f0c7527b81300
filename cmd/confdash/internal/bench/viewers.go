package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// poolConfig describes one group of viewers: those one process holds.
type poolConfig struct {
	WSURL string // ws://127.0.0.1:8080/ws?view=screen
	N     int    // viewers in this group
	// First is the index of the group's first viewer among all the run's
	// viewers; it picks the source addresses, so that groups in different
	// processes never share one.
	First int
	// PerSource bounds the viewers per source address; 0 dials from the
	// default address (127.0.0.1) only.
	PerSource   int
	Concurrency int    // handshakes in flight
	Marker      string // announcement texts carry Marker followed by the broadcast's index
	Broadcasts  int
}

// viewerGroup is a set of viewers the coordinator drives: a viewerPool in
// this process, or a workerProc in a child process.
type viewerGroup interface {
	// connect opens the group's next n viewers and returns once each is
	// subscribed (it received its first state) or has failed. progress is
	// called now and then with the step's running counts.
	connect(ctx context.Context, n int, progress func(connected, failed int)) (connectStats, error)
	// waitDelivered waits until every live viewer received broadcast k, or
	// until timeout; it returns how many did and how many are live.
	waitDelivered(ctx context.Context, k int, timeout time.Duration) (got, alive int, err error)
	results(ctx context.Context) (groupResults, error)
	close() error
}

type connectStats struct {
	Connected  int    `json:"connected"`
	Failed     int    `json:"failed"`
	StartNS    int64  `json:"start_ns"` // wall clock: comparable across processes
	EndNS      int64  `json:"end_ns"`
	FirstError string `json:"first_error,omitempty"`
}

type groupResults struct {
	// Recv[k][i] is when viewer i received broadcast k (Unix nanoseconds,
	// wall clock), 0 if it did not; only subscribed viewers are listed.
	Recv [][]int64 `json:"recv"`
	// AnnouncementBytes is the size of one received announcement message.
	AnnouncementBytes int            `json:"announcement_bytes"`
	Dropped           int            `json:"dropped"` // subscribed viewers whose connection ended during the run
	DropReasons       map[string]int `json:"drop_reasons,omitempty"`
}

// viewerPool holds a group's viewers in this process. Each viewer is one
// gorilla/websocket client and one reader goroutine; the client never writes
// except to answer pings (gorilla does that inside the read) and to close.
type viewerPool struct {
	cfg    poolConfig
	marker []byte

	mu      sync.Mutex
	conns   []*websocket.Conn // index: the viewer's slot among the subscribed
	reasons map[string]int

	opened   int              // viewers attempted so far (connect steps)
	recv     [][]atomic.Int64 // [broadcast][slot]
	counts   []atomic.Int64   // receipts per broadcast
	alive    atomic.Int64
	dropped  atomic.Int64
	annBytes atomic.Int64
	closing  atomic.Bool
	readers  sync.WaitGroup
}

var (
	typeState        = []byte(`"type":"state"`)
	typeAnnouncement = []byte(`"type":"announcement"`) // protocol 1, and the floor's one frame
	typeDelta        = []byte(`"type":"delta"`)        // protocol 2: the change with its announcement
)

func newViewerPool(cfg poolConfig) *viewerPool {
	p := &viewerPool{cfg: cfg, marker: []byte(cfg.Marker), reasons: map[string]int{}}
	p.recv = make([][]atomic.Int64, cfg.Broadcasts)
	for k := range p.recv {
		p.recv[k] = make([]atomic.Int64, cfg.N)
	}
	p.counts = make([]atomic.Int64, cfg.Broadcasts)
	return p
}

// sourceAddr is the local address viewer i (among all the run's viewers)
// dials from: 127.0.0.2, 127.0.0.3, ... each taking PerSource viewers, since
// one source address has only ~28,000 ephemeral ports towards one server
// address. nil means the kernel's choice (127.0.0.1).
func sourceAddr(i, perSource int) *net.TCPAddr {
	if perSource <= 0 {
		return nil
	}
	n := 2 + i/perSource // at most 2 + 99,999/100 = 1001: 127.0.3.233
	return &net.TCPAddr{IP: net.IPv4(127, 0, byte(n/256), byte(n%256))}
}

func sourceKey(a *net.TCPAddr) string {
	if a == nil {
		return ""
	}
	return a.IP.String()
}

func (p *viewerPool) dialer(local *net.TCPAddr) *websocket.Dialer {
	nd := &net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}
	if local != nil {
		nd.Control = bindNoPort
	}
	return &websocket.Dialer{
		NetDialContext:   nd.DialContext,
		HandshakeTimeout: 10 * time.Second,
		// Small buffers: the viewers share the machine with the server
		// under test; larger messages are simply read in several pieces.
		ReadBufferSize:  2048,
		WriteBufferSize: 512,
	}
}

func (p *viewerPool) connect(ctx context.Context, n int, progress func(connected, failed int)) (connectStats, error) {
	from := p.opened
	n = min(n, p.cfg.N-from)
	p.opened += n
	st := connectStats{StartNS: time.Now().UnixNano()}
	var connected, failed atomic.Int64
	var firstErr atomic.Value
	// One dialer per source address, built before the workers read the map.
	dialers := map[string]*websocket.Dialer{}
	for i := from; i < from+n; i++ {
		a := sourceAddr(p.cfg.First+i, p.cfg.PerSource)
		if key := sourceKey(a); dialers[key] == nil {
			dialers[key] = p.dialer(a)
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	workers := max(1, min(p.cfg.Concurrency, n))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := p.open(ctx, dialers, i); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				connected.Add(1)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := from; i < from+n; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				close(next)
				return
			}
		}
		close(next)
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
loop:
	for {
		select {
		case <-tick.C:
			if progress != nil {
				progress(int(connected.Load()), int(failed.Load()))
			}
		case <-finished:
			break loop
		}
	}
	<-done
	st.EndNS = time.Now().UnixNano()
	st.Connected, st.Failed = int(connected.Load()), int(failed.Load())
	if progress != nil {
		progress(st.Connected, st.Failed)
	}
	if e, ok := firstErr.Load().(string); ok {
		st.FirstError = e
	}
	return st, ctx.Err()
}

// open dials viewer i and waits for its first state: only then is it
// subscribed, and only then does a broadcast reach it.
func (p *viewerPool) open(ctx context.Context, dialers map[string]*websocket.Dialer, i int) error {
	d := dialers[sourceKey(sourceAddr(p.cfg.First+i, p.cfg.PerSource))]
	c, resp, err := d.DialContext(ctx, p.cfg.WSURL, nil)
	if err != nil {
		if resp != nil {
			if resp.StatusCode == http.StatusTooManyRequests {
				return fmt.Errorf("websocket upgrade answered %s: the server limits new connections per address; benchmark it with that limit off", resp.Status)
			}
			return fmt.Errorf("websocket upgrade answered %s", resp.Status)
		}
		return err
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			c.Close()
			return fmt.Errorf("before the first state: %w", err)
		}
		if bytes.Contains(msg, typeState) {
			break
		}
	}
	c.SetReadDeadline(time.Time{})
	p.mu.Lock()
	slot := len(p.conns)
	p.conns = append(p.conns, c)
	p.mu.Unlock()
	p.alive.Add(1)
	p.readers.Add(1)
	go p.read(c, slot)
	return nil
}

// read is a viewer's reader: it stamps every announcement that carries the
// run's marker with the time of receipt.
func (p *viewerPool) read(c *websocket.Conn, slot int) {
	defer p.readers.Done()
	for {
		_, r, err := c.NextReader()
		var buf *bytes.Buffer
		if err == nil {
			// A pooled buffer, not one per viewer: an idle viewer then holds
			// no message memory.
			buf = msgBuffers.Get().(*bytes.Buffer)
			buf.Reset()
			if _, err = buf.ReadFrom(r); err != nil {
				msgBuffers.Put(buf)
			}
		}
		if err != nil {
			p.alive.Add(-1)
			if !p.closing.Load() {
				p.dropped.Add(1)
				p.mu.Lock()
				p.reasons[dropReason(err)]++
				p.mu.Unlock()
			}
			return
		}
		now := time.Now().UnixNano()
		msg := buf.Bytes()
		for k := range p.markerIndices(msg) {
			if k < len(p.recv) && p.recv[k][slot].CompareAndSwap(0, now) {
				p.counts[k].Add(1)
				p.annBytes.Store(int64(len(msg)))
			}
		}
		msgBuffers.Put(buf)
	}
}

var msgBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// markerIndices yields the broadcast index after each of the run's markers
// in a message that delivers announcements: an `announcement` (protocol 1,
// the floor) or a `delta` (protocol 2, whose added announcements carry the
// text). A delta may list earlier announcements too (a whole list, when the
// order changes): the caller stamps only a broadcast's first receipt. A state
// message also carries the texts (in its announcements list) and is not a
// delivery.
func (p *viewerPool) markerIndices(msg []byte) iter.Seq[int] {
	return func(yield func(int) bool) {
		if !bytes.Contains(msg, typeAnnouncement) && !bytes.Contains(msg, typeDelta) {
			return
		}
		for {
			i := bytes.Index(msg, p.marker)
			if i < 0 {
				return
			}
			msg = msg[i+len(p.marker):]
			n := 0
			for n < len(msg) && msg[n] >= '0' && msg[n] <= '9' {
				n++
			}
			if k, err := strconv.Atoi(string(msg[:n])); err == nil && !yield(k) {
				return
			}
		}
	}
}

func dropReason(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return "close " + strconv.Itoa(ce.Code)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "connection ended"
}

func (p *viewerPool) waitDelivered(ctx context.Context, k int, timeout time.Duration) (int, int, error) {
	return pollDelivered(ctx, timeout, func() (int, int) {
		return int(p.counts[k].Load()), int(p.alive.Load())
	})
}

// pollDelivered polls rather than waking on each receipt: the receipt times
// are stamped by the readers, so the poll's period only delays the next
// broadcast, not the figures.
func pollDelivered(ctx context.Context, timeout time.Duration, counts func() (got, alive int)) (int, int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		got, alive := counts()
		if got >= alive {
			return got, alive, nil
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			got, alive := counts()
			return got, alive, nil
		case <-ctx.Done():
			return got, alive, ctx.Err()
		}
	}
}

func (p *viewerPool) results(context.Context) (groupResults, error) {
	p.mu.Lock()
	n := len(p.conns)
	reasons := make(map[string]int, len(p.reasons))
	for r, c := range p.reasons {
		reasons[r] = c
	}
	p.mu.Unlock()
	res := groupResults{
		Recv:              make([][]int64, len(p.recv)),
		AnnouncementBytes: int(p.annBytes.Load()),
		Dropped:           int(p.dropped.Load()),
		DropReasons:       reasons,
	}
	for k := range p.recv {
		res.Recv[k] = make([]int64, n)
		for i := range n {
			res.Recv[k][i] = p.recv[k][i].Load()
		}
	}
	return res, nil
}

// close says goodbye to every viewer (1000) and waits for the readers.
func (p *viewerPool) close() error {
	p.closing.Store(true)
	p.mu.Lock()
	conns := p.conns
	p.mu.Unlock()
	bye := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bench done")
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, c := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.WriteControl(websocket.CloseMessage, bye, time.Now().Add(time.Second))
			c.Close()
		}()
	}
	wg.Wait()
	p.readers.Wait()
	return nil
}

// checkUpgrade makes one websocket connection to see that the server is there
// and accepts viewers, so that a wrong URL fails at once rather than after
// N refused dials.
func checkUpgrade(ctx context.Context, wsURL string) error {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.DialContext(ctx, wsURL, nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("%s: the websocket upgrade answered %s", wsURL, resp.Status)
		}
		return fmt.Errorf("%s: %w (is the server running?)", wsURL, err)
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return c.Close()
}

// sortedReasons renders drop reasons stably, for the report.
func sortedReasons(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d", k, m[k])
	}
	return b.String()
}
