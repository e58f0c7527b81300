package hub

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Client is one subscription: a connection and, while there is something to write that the
// connection did not take at once, its bounded queue and writer goroutine. It is kept small because
// a conference has thousands of idle tabs and screens: 144 bytes (TestIdleClientMemory). An idle
// client holds no queue: the fan-out writes its frames straight to the socket, and a queue exists
// only while a writer goroutine is catching up (a channel of 64 slots, allocated at subscribe time,
// was about 0.6 KiB of every idle viewer). Its done channel is made when Done is first called,
// which the server does when the connection has ended.
type Client struct {
	topic *topic
	shard *shard
	conn  Conn
	// since is the sequence number of the last publish before this client subscribed: the fan-out
	// skips it for that one and every earlier one (its initial messages are newer). Set under the
	// shard's write lock before the client is added.
	since uint64
	idx   int32 // index in shard.clients, -1 once unregistered; guarded by shard.mu
	// phase is read without a lock by the writer between messages; it and code, reason and why
	// are written under wmu, and only the first move out of phaseOpen sets them.
	phase atomic.Int32

	// wmu makes one goroutine at a time the connection's writer: a deliverer trying a write without
	// waiting (under wmu), or the writer goroutine (while busy). It guards the fields below. (The
	// fields are in the order that packs them: the size of every idle client.)
	wmu  sync.Mutex
	busy bool // a writer goroutine owns the connection; it ends when the queue is empty
	// closed is set by unregister, under the shard's write lock; every push happens under its read
	// lock while idx >= 0, so nothing is queued after it. The writer drains the queue and finishes.
	closed bool
	// finished says the client has finished; done, made by the first Done, is closed then.
	finished bool
	code     int32 // of the close frame; a close code is 16 bits
	// partMsg is a message the connection took only the first partOff bytes of at once: the rest
	// is the writer's first job.
	partMsg *message
	partOff int
	// queue is what the writer has still to write after partMsg, oldest first, at most the hub's
	// queueSize messages. It is nil whenever no writer runs: the writer drops it when it has drained
	// it, so a client that caught up holds no memory for its next burst.
	queue  []*message
	reason string
	why    Reason
	done   chan struct{}
}

const (
	phaseOpen    = iota
	phaseClosing // stop writing data, send a close frame (after the queue, if graceful)
	phaseGone    // the connection ended: write nothing more
)

// errSlow is the failure of a client whose queue was full.
var errSlow = errors.New("hub: queue full")

// Topic returns the topic the client is subscribed to.
func (c *Client) Topic() string { return c.topic.name }

// Done is closed when the writer has stopped (dropped, closed, unsubscribed or shut down). From then
// on the hub never touches the Conn again: the server's handler waits for it before returning, since
// the websocket library may reuse the connection afterwards.
func (c *Client) Done() <-chan struct{} {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.finished {
			close(c.done)
		}
	}
	return c.done
}

// Send delivers msg (a text message) to this client only, e.g. a pong. It does not block: it returns
// false if the client has left, or if its queue is full, in which case the client is dropped as a
// slow consumer.
func (c *Client) Send(msg []byte) bool { return c.send(newMessage(kindText, msg)) }

// SendPong delivers a pong control frame with data (at most 125 bytes), the answer to a websocket
// ping, like Send.
func (c *Client) SendPong(data []byte) bool {
	if len(data) > 125 {
		data = data[:125]
	}
	return c.send(newMessage(kindPong, data))
}

func (c *Client) send(m *message) bool {
	s := c.shard
	s.mu.RLock()
	if c.idx < 0 {
		s.mu.RUnlock()
		return false
	}
	wrote, err := c.deliver(m)
	s.mu.RUnlock()
	if err != nil {
		c.fail(err)
		return false
	}
	if wrote && m.kind == kindText {
		c.topic.hub.obs.Sent(c.topic.name, 1)
	}
	return true
}

// deliver writes m now if the connection takes it whole without waiting, or else leaves it to the
// writer goroutine, starting one if none is running. It reports whether m was written, or an error:
// errSlow when the queue is full, or the write's. It is called with the shard's read lock held
// while the client is registered.
func (c *Client) deliver(m *message) (bool, error) {
	return c.offer(m, false)
}

// deliverIfRoom is deliver, except that a client whose queue is full is left as it is.
func (c *Client) deliverIfRoom(m *message) (bool, error) {
	return c.offer(m, true)
}

// offer is deliver; with ifRoom, a full queue is no error: m is left undelivered.
func (c *Client) offer(m *message, ifRoom bool) (bool, error) {
	c.wmu.Lock()
	if c.busy {
		// The writer owns the connection: queue behind what it has.
		if len(c.queue) >= c.topic.hub.queueSize {
			c.wmu.Unlock()
			if ifRoom {
				return false, nil
			}
			return false, errSlow
		}
		c.queue = append(c.queue, m)
		c.wmu.Unlock()
		return false, nil
	}
	if c.phase.Load() == phaseOpen {
		n, err := c.conn.TryWriteFrame(m.frame)
		if err != nil {
			c.wmu.Unlock()
			return false, err
		}
		if n == len(m.frame) {
			c.wmu.Unlock()
			return true, nil
		}
		c.partMsg, c.partOff = m, n
	} else {
		c.queue = append(c.queue, m) // the queue is empty when no writer runs
	}
	c.busy = true
	c.wmu.Unlock()
	go c.run()
	return false, nil
}

// fail closes a client that could not take a message: a slow consumer (1013) or a failed write
// (1011, and no further wait on the connection).
func (c *Client) fail(err error) {
	if err == errSlow {
		c.dropSlow()
		return
	}
	c.Close(CloseInternal, string(ReasonWriteError), ReasonWriteError)
}

// wake starts the writer if none is running, so that it finishes a client whose queue was closed.
func (c *Client) wake() {
	c.wmu.Lock()
	start := !c.busy
	c.busy = true
	c.wmu.Unlock()
	if start {
		go c.run()
	}
}

// Close removes the client from its topic and asks the writer to send a close frame with code and
// reason and to stop; why is what the Observer is told. Messages already queued are written first,
// unless why says the client cannot take them (slow_consumer, pong_timeout, write_error). Only the
// first Close or Unsubscribe counts. Close does not wait: see Done.
func (c *Client) Close(code int, reason string, why Reason) {
	if c.startClosing(code, reason, why) {
		c.unregister()
	}
}

// Unsubscribe is called by the reader when the connection has ended: the client is removed from its
// topic and the writer stops without writing anything more (the peer is gone). Unsubscribe does not
// wait: see Done.
func (c *Client) Unsubscribe() {
	c.wmu.Lock()
	if c.phase.Load() == phaseOpen {
		c.why = ReasonClient
	}
	c.phase.Store(phaseGone)
	c.wmu.Unlock()
	c.unregister()
}

// startClosing moves the client from open to closing and reports whether this call did.
func (c *Client) startClosing(code int, reason string, why Reason) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.phase.Load() != phaseOpen {
		return false
	}
	c.code, c.reason, c.why = int32(code), reason, why
	c.phase.Store(phaseClosing)
	return true
}

// dropSlow closes a client whose queue was full and counts the message that did not fit.
func (c *Client) dropSlow() {
	c.Close(CloseTryAgainLater, string(ReasonSlowConsumer), ReasonSlowConsumer)
	c.topic.hub.obs.Dropped(c.topic.name, 1)
}

// graceful reports whether a client closed for why can still be sent what was queued for it.
func graceful(why Reason) bool {
	switch why {
	case ReasonSlowConsumer, ReasonPongTimeout, ReasonWriteError:
		return false
	}
	return true
}

// run is the client's writer goroutine: it writes what the connection did not take at once and what
// was queued behind it, and returns when the queue is empty, giving the connection back to the
// deliverers (busy false). Once the queue is closed it finishes the client (close frame, Observer,
// Done) and leaves busy true, so that no other writer starts.
func (c *Client) run() {
	h := c.topic.hub
	name := c.topic.name
	sent := 0
	for {
		c.wmu.Lock()
		pm, off := c.partMsg, c.partOff
		c.partMsg, c.partOff = nil, 0
		var m *message
		ok := true
		if pm == nil {
			switch {
			case len(c.queue) > 0:
				m = c.queue[0]
				c.queue[0] = nil // do not keep the message alive in the array
				c.queue = c.queue[1:]
			case c.closed:
				ok = false
			default:
				// Empty and open: drop the queue's array and hand the connection back.
				c.queue = nil
				c.busy = false
				c.wmu.Unlock()
				if sent > 0 {
					h.obs.Sent(name, sent)
				}
				return
			}
		}
		c.wmu.Unlock()

		if pm != nil {
			// The rest of a frame must go out whatever happens next, or the stream is corrupt.
			if err := c.conn.WriteFrame(pm.frame[off:], time.Now().Add(h.writeTimeout)); err != nil {
				c.finish(sent, nil, true)
				return
			}
			if pm.kind == kindText {
				sent++
			}
			continue
		}
		switch {
		case !ok: // the queue is closed and drained
			c.finish(sent, nil, false)
			return
		case c.phase.Load() != phaseOpen:
			c.finish(sent, m, false)
			return
		}
		if err := c.conn.WriteFrame(m.frame, time.Now().Add(h.writeTimeout)); err != nil {
			c.finish(sent, m, true)
			return
		}
		if m.kind == kindText {
			sent++
		}
	}
}

// finish ends the client: it unregisters it if the writer is the one ending it, writes what is
// still queued when the close is graceful, sends the close frame, and reports. pending is a message
// received but not written; failed says a write failed.
func (c *Client) finish(sent int, pending *message, failed bool) {
	h := c.topic.hub
	defer h.running.Done()
	name := c.topic.name
	if failed {
		c.startClosing(CloseInternal, string(ReasonWriteError), ReasonWriteError)
	}
	c.unregister() // no-op unless the writer is the one ending it; afterwards the queue is closed

	c.wmu.Lock()
	code, reason, why := c.code, c.reason, c.why
	c.wmu.Unlock()

	flush := !failed && graceful(why)
	undelivered := 0
	finish := func(m *message) {
		if m.kind != kindText {
			return // pings and pongs are not worth sending on a closing connection
		}
		if flush && c.phase.Load() == phaseClosing {
			if err := c.conn.WriteFrame(m.frame, time.Now().Add(h.writeTimeout)); err == nil {
				sent++
				return
			}
			failed, flush = true, false
		}
		undelivered++
	}
	if pending != nil {
		finish(pending)
	}
	c.wmu.Lock()
	rest := c.queue // closed: nothing more is queued
	c.queue = nil
	c.wmu.Unlock()
	for _, m := range rest {
		finish(m)
	}

	if c.phase.Load() == phaseClosing {
		deadline := time.Now().Add(h.writeTimeout)
		if failed || why == ReasonWriteError {
			// The connection is stuck or broken: do not wait another WriteTimeout for a frame the peer
			// will not read (Close below still makes the reader fail).
			deadline = time.Now()
		}
		_ = c.conn.WriteFrame(closeFrame(int(code), reason), deadline)
	}
	_ = c.conn.Close()

	if sent > 0 {
		h.obs.Sent(name, sent)
	}
	if undelivered > 0 {
		h.obs.Dropped(name, undelivered)
	}
	h.obs.Disconnected(name, why)
	c.wmu.Lock()
	c.finished = true
	if c.done != nil {
		close(c.done)
	}
	c.wmu.Unlock()
}
