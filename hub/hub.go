package hub

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is one websocket connection as the hub sees it: a socket that takes whole websocket frames,
// which the hub encodes itself (see the package doc for why). The hub calls its methods from one
// goroutine at a time (one concurrent writer per connection, as gorilla/websocket and
// fasthttp/websocket require), and never after the client's Done channel is closed.
type Conn interface {
	// TryWriteFrame writes as much of frame as the connection takes without waiting and returns how
	// many bytes that was (0 when it takes none now). The hub writes the rest with WriteFrame. frame
	// is shared with every other subscriber of the topic: it must not be modified or retained.
	TryWriteFrame(frame []byte) (int, error)
	// WriteFrame writes frame (or the rest of one), waiting until deadline at most. A deadline that
	// has already passed must fail at once, without waiting on the connection.
	WriteFrame(frame []byte, deadline time.Time) error
	// Close is called once, last, when the hub is done with the connection (after the close frame,
	// when there is one, or after a failed write). It must make the connection's reader fail
	// promptly (e.g. by setting a past read deadline), so that the server's handler returns and
	// releases the socket.
	Close() error
}

// Reason says why a client left the hub. The set is fixed (Reasons) so that it can be a metric
// label.
type Reason string

// The reasons a client leaves the hub.
const (
	ReasonClient       Reason = "client"        // the connection ended on the client's side (Unsubscribe)
	ReasonPongTimeout  Reason = "pong_timeout"  // the server's reader saw no pong in time
	ReasonSlowConsumer Reason = "slow_consumer" // the client's queue was full
	ReasonShutdown     Reason = "shutdown"      // Hub.Close
	ReasonPolicy       Reason = "policy"        // the server closed it for a protocol violation
	ReasonWriteError   Reason = "write_error"   // a write to the connection failed (or timed out)
)

// Reasons returns every Reason, e.g. to give each metric label its zero before the first event.
func Reasons() []Reason {
	return []Reason{ReasonClient, ReasonPongTimeout, ReasonSlowConsumer, ReasonShutdown, ReasonPolicy, ReasonWriteError}
}

// Close codes and reasons the hub sends on its own (see the wire protocol).
const (
	CloseGoingAway     = 1001 // Hub.Close
	CloseInternal      = 1011 // a write failed; the peer will rarely see this frame
	CloseTryAgainLater = 1013 // slow consumer: the client could not keep up and should reconnect

	shutdownReason = "server shutting down"
)

// Defaults for Options fields left at zero.
const (
	DefaultQueueSize    = 64
	DefaultWriteTimeout = 10 * time.Second
	// DefaultPingPeriod must stay below the 60 s idle timeout of common reverse proxies (and of the
	// server's pong wait) so that an idle but healthy connection is never cut.
	DefaultPingPeriod = 25 * time.Second
)

// Options configure a Hub. The zero value is usable.
type Options struct {
	QueueSize    int           // per-client bounded queue, in messages; default 64
	WriteTimeout time.Duration // deadline of each write; default 10 s
	PingPeriod   time.Duration // time between pings; default 25 s, below proxies' 60 s idle timeout
	Observer     Observer      // optional metrics hooks; nil means none
}

// Observer receives metrics events. Its methods are called from the hub's and the writers'
// goroutines, often thousands of times per publish: they must be cheap, non-blocking and safe for
// concurrent use.
type Observer interface {
	Sent(topic string, n int)                                 // n messages written to a connection
	Dropped(topic string, n int)                              // n messages not delivered because the client left
	Disconnected(topic string, reason Reason)                 // a client's writer stopped, once per client
	Broadcast(topic string, subscribers int, d time.Duration) // d from Publish until every subscriber had the message written or queued
}

type noObserver struct{}

func (noObserver) Sent(string, int)                     {}
func (noObserver) Dropped(string, int)                  {}
func (noObserver) Disconnected(string, Reason)          {}
func (noObserver) Broadcast(string, int, time.Duration) {}

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = errors.New("hub: closed: the server is shutting down")

// shards is the number of independently locked subscriber lists per topic. A fan-out holds one
// shard's read lock at a time, so a Subscribe or Unsubscribe waits for at most 1/shards of a fan-out
// (a few hundred µs at 20,000 subscribers) instead of all of it; more shards would only add
// per-topic memory and per-publish lock operations. See BenchmarkSubscribeDuringPublish.
//
// Subscribers go to the shards in runs of shardRun rather than one by one: a fan-out then walks
// memory (clients, channels, goroutines) in roughly the order it was allocated. At 10,000
// subscribers that measured about 3 times faster to enqueue, and twice as fast to deliver, than the
// stride-16 walk of plain round-robin.
const (
	shards   = 16
	shardRun = 64
)

// message is one queued item. Queues hold pointers, not slices, so that a queue slot costs 8 bytes
// instead of 24 (at 64 slots, 1 KiB less per idle client); the one allocation per publish is shared
// by every subscriber.
type message struct {
	frame []byte // the whole websocket frame
	kind  kind
}

// pingMsg is delivered by the shared ticker to make a writer send a ping. It goes through the same
// path as the data so that a client whose queue is full (it has data to write anyway) is not pinged.
var pingMsg = newMessage(kindPing, nil)

// Hub is a set of topics, each with its subscribers. All methods are safe for concurrent use.
type Hub struct {
	queueSize    int
	writeTimeout time.Duration
	obs          Observer

	mu     sync.RWMutex // guards topics and closed; held (for reading) while adding a subscriber
	topics map[string]*topic
	closed bool

	total atomic.Int64

	// Publishes wait in pending for the fan-out goroutine, which delivers them in order: a caller
	// never waits for the system calls of a fan-out (it may hold a lock that new subscribers need).
	// pending is not bounded: publishes come from the schedule clock and organizers, a few a
	// second at most, and a fan-out never waits for a connection.
	pubMu     sync.Mutex
	pending   []job
	pubClosed bool          // Close has begun: later publishes are dropped
	seq       atomic.Uint64 // the last publish's sequence number; assigned under pubMu
	pubWake   chan struct{} // capacity 1: there is something in pending
	fanQuit   chan struct{} // closed by Close after pubClosed: drain pending and stop
	fanDone   chan struct{} // closed when the fan-out goroutine and its helpers have stopped

	// A large topic's fan-out is shared by the fan-out goroutine and helpers (GOMAXPROCS-1 of
	// them, persistent): each takes the next shard not yet taken until none is left, so the socket
	// writes of one publish run on every core, as in the least a broadcaster can cost, and a
	// socket that is slow to take a frame holds up only the rest of its own shard. The fan-out
	// goroutine waits until every shard is done before the next publish: a client is in one shard,
	// so it still gets every message in publish order.
	work    chan *fanTask  // one send per helper per parallel publish; closed when the fan-out stops
	helpers sync.WaitGroup // the helpers, until work is closed
	task    fanTask        // the publish being fanned out in parallel; reused, one at a time
	// parallelMin is the subscriber count from which a topic's fan-out is shared (the constant;
	// benchmarks move it to compare both ways at one size).
	parallelMin int64

	quit     chan struct{}  // closed by Close: stops the pinger
	running  sync.WaitGroup // the pinger and every client until it finishes
	stopped  chan struct{}  // closed when running reaches zero after Close
	stopOnce sync.Once
}

// topic is the subscribers of one topic, split in shards.
type topic struct {
	hub    *Hub
	name   string
	n      atomic.Int64  // subscribers over all shards
	next   atomic.Uint32 // counts subscribers to pick the next one's shard
	framed atomic.Pointer[framedInitial]
	shards [shards]shard
}

// framedInitial is the last large initial message of a topic's subscribers, framed once (frameOf).
type framedInitial struct {
	src []byte // the caller's slice: kept, so that no other message can take its address
	m   *message
}

// shareInitial is the size from which an initial message is framed once per topic rather than per
// subscriber: a state document (33 KB on FOSDEM 2024 for an all-tracks page) would otherwise be
// copied into a frame of its own for every viewer that connects.
const shareInitial = 1024

// frameOf is data as a frame. A large one is shared with the topic's other subscribers that start
// with the same slice (the same array and length: the server passes its current state, unchanged
// until it is replaced).
func (t *topic) frameOf(data []byte) *message {
	if len(data) < shareInitial {
		return newMessage(kindText, data)
	}
	if f := t.framed.Load(); f != nil && len(f.src) == len(data) && &f.src[0] == &data[0] {
		return f.m
	}
	m := newMessage(kindText, data)
	t.framed.Store(&framedInitial{src: data, m: m})
	return m
}

type shard struct {
	mu      sync.RWMutex
	clients []*Client // unordered; each client knows its index
}

// New returns a running hub. Call Close to stop it: it owns a goroutine that sends the pings.
func New(opts Options) *Hub {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.PingPeriod <= 0 {
		opts.PingPeriod = DefaultPingPeriod
	}
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	h := &Hub{
		queueSize:    opts.QueueSize,
		writeTimeout: opts.WriteTimeout,
		obs:          opts.Observer,
		topics:       make(map[string]*topic),
		quit:         make(chan struct{}),
		stopped:      make(chan struct{}),
		pubWake:      make(chan struct{}, 1),
		fanQuit:      make(chan struct{}),
		fanDone:      make(chan struct{}),
		parallelMin:  parallelMin,
	}
	if n := runtime.GOMAXPROCS(0) - 1; n > 0 {
		h.work = make(chan *fanTask, n)
		h.helpers.Add(n)
		for range n {
			go h.helper()
		}
	}
	h.running.Add(1)
	go h.pinger(opts.PingPeriod)
	go h.fanout()
	return h
}

// Subscribe registers conn under topic and has its initial messages written. The initial messages (e.g.
// hello, then the current state) are queued first, under the same lock as the registration, so that
// no broadcast can come between them or before them. The client gets every message published after
// Subscribe, and none published before it, even if the fan-out has not reached it yet: a caller that
// serializes "read the current state + Subscribe" with "store the new state + Publish" (both return
// without waiting for any connection) gives every client each state once, in order, from the one it
// started with. Subscribe fails after Close, or when there are more initial messages than the queue
// holds. An initial message must not be modified after Subscribe: a large one is framed once and the
// frame shared by the topic's subscribers that start with the same slice.
func (h *Hub) Subscribe(topic string, conn Conn, initial ...[]byte) (*Client, error) {
	if conn == nil {
		return nil, errors.New("hub: Subscribe with a nil Conn")
	}
	if len(initial) > h.queueSize {
		return nil, fmt.Errorf("hub: %d initial messages do not fit the queue of %d: raise Options.QueueSize",
			len(initial), h.queueSize)
	}
	c := &Client{conn: conn, idx: -1}
	if err := h.register(topic, c, initial); err != nil {
		return nil, err
	}
	return c, nil
}

// register adds c to the topic, creating it if needed. Adding happens under h.mu (read-locked on the
// common path) so that Close, which write-locks h.mu, sees every registered client, and so that an
// empty topic can be deleted safely.
func (h *Hub) register(name string, c *Client, initial [][]byte) error {
	h.mu.RLock()
	if h.closed {
		h.mu.RUnlock()
		return ErrClosed
	}
	if t := h.topics[name]; t != nil {
		t.add(c, initial)
		h.mu.RUnlock()
		return nil
	}
	h.mu.RUnlock()

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	t := h.topics[name]
	if t == nil {
		t = &topic{hub: h, name: name}
		h.topics[name] = t
	}
	t.add(c, initial)
	return nil
}

// add registers c in one shard, with its initial messages queued first. Called with h.mu held.
func (t *topic) add(c *Client, initial [][]byte) {
	h := t.hub
	h.running.Add(1) // done when the client finishes; Close cannot be waiting yet (h.mu is held)
	h.total.Add(1)
	t.n.Add(1)
	s := &t.shards[(t.next.Add(1)/shardRun)%shards]
	c.topic = t
	c.shard = s
	s.mu.Lock()
	c.since = h.seq.Load()
	if len(initial) > 0 {
		// No other goroutine knows c yet: no need for wmu. len(initial) <= queueSize (Subscribe).
		c.queue = make([]*message, len(initial))
		for i, m := range initial {
			c.queue[i] = t.frameOf(m)
		}
		c.busy = true
		go c.run()
	}
	c.idx = int32(len(s.clients))
	s.clients = append(s.clients, c)
	s.mu.Unlock()
}

// unregister removes c from its shard and closes its queue, once. Every push to a queue happens
// under the shard's read lock while the client is registered, so after this no message can be
// queued: the writer can drain what is left and stop.
func (c *Client) unregister() {
	s := c.shard
	s.mu.Lock()
	i := c.idx
	if i < 0 {
		s.mu.Unlock()
		return
	}
	last := len(s.clients) - 1
	moved := s.clients[last]
	s.clients[i] = moved
	moved.idx = i
	s.clients[last] = nil // let the client be collected
	s.clients = s.clients[:last]
	c.idx = -1
	c.wmu.Lock()
	c.closed = true
	c.wmu.Unlock()
	s.mu.Unlock()
	c.wake() // the writer finishes the client

	t := c.topic
	h := t.hub
	h.total.Add(-1)
	if t.n.Add(-1) == 0 {
		// Delete the empty topic so that topics do not pile up. Subscribers are added under h.mu, so
		// with the write lock held the count cannot grow under us.
		h.mu.Lock()
		if t.n.Load() == 0 && h.topics[t.name] == t {
			delete(h.topics, t.name)
		}
		h.mu.Unlock()
	}
}

func (h *Hub) lookup(name string) *topic {
	h.mu.RLock()
	t := h.topics[name]
	h.mu.RUnlock()
	return t
}

// snapshot returns the current topics, appended to buf.
func (h *Hub) snapshot(buf []*topic) []*topic {
	h.mu.RLock()
	for _, t := range h.topics {
		buf = append(buf, t)
	}
	h.mu.RUnlock()
	return buf
}

// Publish delivers msg to every subscriber of topic, in the order of the calls to Publish and
// PublishAll, and returns without waiting: the hub's fan-out goroutine writes it right away to every
// connection that takes it without waiting and queues it for the others. A subscriber whose queue is
// full is dropped as a slow consumer (close 1013). msg is copied into the frame before Publish
// returns. After Close, Publish does nothing.
func (h *Hub) Publish(topic string, msg []byte) {
	h.enqueue(job{topic: topic, m: newMessage(kindText, msg)})
}

// PublishAll delivers msg to every subscriber of every topic, like Publish.
func (h *Hub) PublishAll(msg []byte) {
	h.enqueue(job{all: true, m: newMessage(kindText, msg)})
}

// job is one publish waiting for the fan-out.
type job struct {
	m     *message
	topic string
	all   bool // every topic
	seq   uint64
	at    time.Time // when Publish was called
}

func (h *Hub) enqueue(j job) {
	j.at = time.Now()
	h.pubMu.Lock()
	if h.pubClosed {
		h.pubMu.Unlock()
		return
	}
	j.seq = h.seq.Add(1)
	h.pending = append(h.pending, j)
	h.pubMu.Unlock()
	select {
	case h.pubWake <- struct{}{}:
	default: // already signalled
	}
}

// fanout delivers the pending publishes in order until Close, then what is left.
func (h *Hub) fanout() {
	defer close(h.fanDone)
	defer h.helpers.Wait()
	if h.work != nil {
		defer close(h.work)
	}
	var batch []job
	var topics []*topic
	for {
		quit := false
		select {
		case <-h.pubWake:
		case <-h.fanQuit:
			quit = true // pubClosed is set: after this drain nothing more comes
		}
		for {
			h.pubMu.Lock()
			batch, h.pending = h.pending, batch[:0]
			h.pubMu.Unlock()
			if len(batch) == 0 {
				break
			}
			for i := range batch {
				topics = h.deliverPublish(&batch[i], topics)
			}
			clear(batch) // do not keep messages alive until the next batch
		}
		if quit {
			return
		}
	}
}

// deliverPublish delivers one publish to its topic, or to every topic (listed in buf, which it
// returns for reuse).
func (h *Hub) deliverPublish(j *job, buf []*topic) []*topic {
	if !j.all {
		n := 0
		if t := h.lookup(j.topic); t != nil {
			n = h.publish(t, j.m, j.seq)
		}
		h.obs.Broadcast(j.topic, n, time.Since(j.at))
		return buf
	}
	buf = h.snapshot(buf[:0])
	for _, t := range buf {
		h.obs.Broadcast(t.name, h.publish(t, j.m, j.seq), time.Since(j.at))
	}
	clear(buf) // do not keep deleted topics alive until the next PublishAll
	return buf
}

// parallelMin is the number of subscribers from which a topic's fan-out is shared with the
// helpers: one run of a shard, since below it every subscriber sits in the first shard and there is
// nothing to share. Above it sharing measured no slower at any size, since each delivery is a
// system call of a few µs against the wake-up of a helper: over loopback TCP on 2 cores, 3.6 vs
// 3.8-4.2 µs per delivery at 100 subscribers, 3.8 vs 4.1 at 1,000, 4.4 vs 4.7 at 2,000
// (BenchmarkFanOutSharingTCP, shared vs alone).
const parallelMin = shardRun

// fanTask is one publish to one topic, shared by the fan-out goroutine and the helpers.
type fanTask struct {
	t    *topic
	m    *message
	seq  uint64
	next atomic.Int32 // the index of the next shard to take
	n    atomic.Int64 // subscribers over the shards done
	sent atomic.Int64 // messages written at once over the shards done
	wg   sync.WaitGroup
}

// run takes shards until none is left.
func (f *fanTask) run() {
	n, sent := 0, 0
	for {
		i := int(f.next.Add(1)) - 1
		if i >= shards {
			break
		}
		sn, ss := f.t.shards[i].publish(f.m, f.seq)
		n, sent = n+sn, sent+ss
	}
	f.n.Add(int64(n))
	f.sent.Add(int64(sent))
}

// helper is one of the goroutines that share large fan-outs with the fan-out goroutine.
func (h *Hub) helper() {
	defer h.helpers.Done()
	for f := range h.work {
		f.run()
		f.wg.Done()
	}
}

// publish delivers m to every subscriber of t and returns how many there were: from the fan-out
// goroutine alone for a small topic, shared with the helpers for a large one. It returns when every
// shard is done.
func (h *Hub) publish(t *topic, m *message, seq uint64) int {
	var n, sent int
	if helpers := cap(h.work); helpers == 0 || t.n.Load() < h.parallelMin {
		for i := range t.shards {
			sn, ss := t.shards[i].publish(m, seq)
			n, sent = n+sn, sent+ss
		}
	} else {
		f := &h.task
		f.t, f.m, f.seq = t, m, seq
		f.next.Store(0)
		f.n.Store(0)
		f.sent.Store(0)
		f.wg.Add(helpers)
		for range helpers {
			h.work <- f // never waits: the channel holds one task per helper, and they are done with the last
		}
		f.run()
		f.wg.Wait()
		n, sent = int(f.n.Load()), int(f.sent.Load())
		f.t, f.m = nil, nil // do not keep the topic and message alive until the next publish
	}
	if sent > 0 && m.kind == kindText {
		h.obs.Sent(t.name, sent)
	}
	return n
}

// publish delivers m to every client of the shard, and returns how many clients there were and to
// how many m was written at once. Clients that could not take it (queue full, or a failed write)
// are closed after the shard's read lock is released, since closing removes them from the shard.
func (s *shard) publish(m *message, seq uint64) (n, sent int) {
	var failBuf [4]failure
	failed := failBuf[:0]
	s.mu.RLock()
	for _, c := range s.clients {
		if c.since >= seq {
			continue // subscribed after this publish, with a newer initial state
		}
		switch wrote, err := c.deliver(m); {
		case err != nil:
			failed = append(failed, failure{c, err})
		case wrote:
			sent++
		}
	}
	n = len(s.clients)
	s.mu.RUnlock()
	for _, f := range failed {
		f.c.fail(f.err)
	}
	return n, sent
}

// failure is a client that could not take a message: errSlow when its queue was full, or the error
// of a write.
type failure struct {
	c   *Client
	err error
}

// pinger asks every writer to send a ping each period. One ticker for the whole hub costs far less
// than a timer per connection; the gap between two pings of a client is at most one period.
func (h *Hub) pinger(period time.Duration) {
	defer h.running.Done()
	tick := time.NewTicker(period)
	defer tick.Stop()
	var topics []*topic
	for {
		select {
		case <-h.quit:
			return
		case <-tick.C:
		}
		topics = h.snapshot(topics[:0])
		var failed []failure
		for _, t := range topics {
			for i := range t.shards {
				s := &t.shards[i]
				s.mu.RLock()
				for _, c := range s.clients {
					// A client whose queue is full of data is not pinged: it has enough to write.
					if _, err := c.deliverIfRoom(pingMsg); err != nil {
						failed = append(failed, failure{c, err})
					}
				}
				s.mu.RUnlock()
				for _, f := range failed {
					f.c.fail(f.err)
				}
				failed = failed[:0]
			}
		}
		clear(topics) // do not keep deleted topics alive until the next tick
	}
}

// Count returns the number of subscribers of topic.
func (h *Hub) Count(topic string) int {
	if t := h.lookup(topic); t != nil {
		return int(t.n.Load())
	}
	return 0
}

// Counts returns the number of subscribers of every topic that has any.
func (h *Hub) Counts() map[string]int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	counts := make(map[string]int, len(h.topics))
	for name, t := range h.topics {
		if n := t.n.Load(); n > 0 {
			counts[name] = int(n)
		}
	}
	return counts
}

// Total returns the number of subscribers of all topics.
func (h *Hub) Total() int { return int(h.total.Load()) }

// Close shuts the hub down: later Subscribes fail, every client is sent close 1001 "server shutting
// down" (after what was already queued for it), and Close waits until every writer has stopped or
// ctx is done, whichever comes first. It can be called again, e.g. with a new ctx after a timeout.
func (h *Hub) Close(ctx context.Context) error {
	h.stopOnce.Do(func() {
		// Deliver what was published before Close, then no more: it goes before the close frames.
		h.pubMu.Lock()
		h.pubClosed = true
		h.pubMu.Unlock()
		close(h.fanQuit)
		select {
		case <-h.fanDone:
		case <-ctx.Done(): // the fan-out never waits for a connection: this is not expected
		}
		h.mu.Lock()
		h.closed = true
		var clients []*Client
		for _, t := range h.topics {
			for i := range t.shards {
				s := &t.shards[i]
				s.mu.RLock()
				clients = append(clients, s.clients...)
				s.mu.RUnlock()
			}
		}
		h.mu.Unlock()
		close(h.quit)
		for _, c := range clients {
			c.Close(CloseGoingAway, shutdownReason, ReasonShutdown)
		}
		// This goroutine ends when the last writer does, which write deadlines bound even when ctx
		// ends first.
		go func() {
			h.running.Wait()
			close(h.stopped)
		}()
	})
	select {
	case <-h.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("hub: close: writers still sending close frames: %w", ctx.Err())
	}
}
