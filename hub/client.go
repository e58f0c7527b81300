package hub

import (
	"sync"
	"sync/atomic"
	"time"
)

// Client is one subscription: a connection, its bounded queue and its writer goroutine. It is kept
// small because a conference has thousands of idle tabs and screens: about 100 bytes here, plus the
// queue (8 bytes a slot), the done channel and the writer's stack.
type Client struct {
	topic *topic
	shard *shard
	conn  Conn
	// queue is closed by unregister, under the shard's write lock; every send happens under its read
	// lock while idx >= 0, so no send can hit a closed queue.
	queue chan *message
	done  chan struct{}
	idx   int32 // index in shard.clients, -1 once unregistered; guarded by shard.mu

	// phase is read without the lock by the writer between messages; it and the fields below are
	// written under mu, and only the first move out of phaseOpen sets them.
	phase  atomic.Int32
	mu     sync.Mutex
	code   int
	reason string
	why    Reason
}

const (
	phaseOpen    = iota
	phaseClosing // stop writing data, send a close frame (after the queue, if graceful)
	phaseGone    // the connection ended: write nothing more
)

// Topic returns the topic the client is subscribed to.
func (c *Client) Topic() string { return c.topic.name }

// Done is closed when the writer has stopped (dropped, closed, unsubscribed or shut down). From then
// on the hub never touches the Conn again: the server's handler waits for it before returning, since
// the websocket library may reuse the connection afterwards.
func (c *Client) Done() <-chan struct{} { return c.done }

// Send queues msg for this client only (e.g. a pong). It does not block: it returns false if the
// client has left, or if its queue is full, in which case the client is dropped as a slow consumer.
func (c *Client) Send(msg []byte) bool {
	m := &message{data: msg}
	s := c.shard
	s.mu.RLock()
	if c.idx < 0 {
		s.mu.RUnlock()
		return false
	}
	select {
	case c.queue <- m:
		s.mu.RUnlock()
		return true
	default:
	}
	s.mu.RUnlock()
	c.dropSlow()
	return false
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
	c.mu.Lock()
	if c.phase.Load() == phaseOpen {
		c.why = ReasonClient
	}
	c.phase.Store(phaseGone)
	c.mu.Unlock()
	c.unregister()
}

// startClosing moves the client from open to closing and reports whether this call did.
func (c *Client) startClosing(code int, reason string, why Reason) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.phase.Load() != phaseOpen {
		return false
	}
	c.code, c.reason, c.why = code, reason, why
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

// run is the client's writer: the only goroutine that writes to its Conn. It holds no buffer of its
// own: an idle writer is blocked on an empty channel, and costs its stack (2 KiB, or 4 KiB once the
// runtime has raised the initial stack size of new goroutines, which it does in a busy process).
// Starting a writer only when there is something to write would save that stack, but it measured
// 2.5 times slower to fan out (a goroutine start instead of a wake-up) and allocates once per
// subscriber per publish, so the writer stays for the connection's lifetime, as in the gorilla chat
// example.
func (c *Client) run() {
	h := c.topic.hub
	defer h.running.Done()
	name := c.topic.name

	sent := 0
	failed := false
	var pending *message // received after the client began closing
	for m := range c.queue {
		if c.phase.Load() != phaseOpen {
			pending = m
			break
		}
		if err := c.write(m, time.Now().Add(h.writeTimeout)); err != nil {
			failed, pending = true, m
			break
		}
		if m != pingMsg {
			sent++
		}
		// Report once per burst rather than once per message: the Observer is called for every
		// subscriber of every publish.
		if sent > 0 && len(c.queue) == 0 {
			h.obs.Sent(name, sent)
			sent = 0
		}
	}
	if failed {
		c.startClosing(CloseInternal, string(ReasonWriteError), ReasonWriteError)
	}
	c.unregister() // no-op unless the writer is the one ending it; afterwards the queue is closed

	c.mu.Lock()
	code, reason, why := c.code, c.reason, c.why
	c.mu.Unlock()

	flush := !failed && graceful(why)
	undelivered := 0
	finish := func(m *message) {
		if m == pingMsg {
			return // pings are not worth sending on a closing connection
		}
		if flush && c.phase.Load() == phaseClosing {
			if err := c.write(m, time.Now().Add(h.writeTimeout)); err == nil {
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
	for m := range c.queue {
		finish(m)
	}

	if c.phase.Load() == phaseClosing {
		deadline := time.Now().Add(h.writeTimeout)
		if failed {
			// The connection is stuck or broken: do not wait another WriteTimeout for a frame the peer
			// will not read, but let WriteClose still make the reader fail.
			deadline = time.Now()
		}
		_ = c.conn.WriteClose(code, reason, deadline)
	}

	if sent > 0 {
		h.obs.Sent(name, sent)
	}
	if undelivered > 0 {
		h.obs.Dropped(name, undelivered)
	}
	h.obs.Disconnected(name, why)
	close(c.done)
}

func (c *Client) write(m *message, deadline time.Time) error {
	if m == pingMsg {
		return c.conn.WritePing(deadline)
	}
	return c.conn.WriteText(m.data, deadline)
}
