package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// closeRecord is a close frame fakeConn received.
type closeRecord struct {
	Code   int
	Reason string
}

// fakeConn is an in-memory Conn: a socket that decodes the frames the hub writes to it and records
// them. By default it takes every frame at once, like a socket with room in its send buffer. With
// limited set, TryWriteFrame takes at most room more bytes; with release set, WriteFrame waits until
// release is closed or its deadline passes, like a write to a peer that stopped reading, and once
// release is closed the connection takes everything at once again. It also checks the hub's
// promises: one writer at a time, whole frames in order, nothing after the close frame or Close,
// nothing after the test sealed it (once Done was closed), and Close called once.
type fakeConn struct {
	limited bool
	room    int
	release chan struct{}
	err     error // returned by writes of text frames (a connection that breaks while data is sent)

	writing    atomic.Int32
	sealed     atomic.Bool
	violations atomic.Int32
	tries      atomic.Int32 // calls to TryWriteFrame
	waits      atomic.Int32 // calls to WriteFrame

	mu        sync.Mutex
	stream    []byte // every byte written
	rest      []byte // the bytes of a frame not yet whole
	texts     []string
	pings     []time.Time // when each ping was written
	pongs     []string
	deadlines []time.Duration // of each WriteFrame, from the call
	closes    []closeRecord
	closeDL   time.Time // the deadline the close frame was written with
	closed    int       // calls to Close
}

// stalledConn returns a fakeConn whose peer has stopped reading: it takes nothing until release is
// closed.
func stalledConn() *fakeConn { return &fakeConn{limited: true, release: make(chan struct{})} }

func (f *fakeConn) enter() {
	if f.writing.Add(1) != 1 || f.sealed.Load() {
		f.violations.Add(1)
	}
	f.mu.Lock()
	if len(f.closes) > 0 || f.closed > 0 {
		f.violations.Add(1)
	}
	f.mu.Unlock()
}

func (f *fakeConn) leave() { f.writing.Add(-1) }

func (f *fakeConn) released() bool {
	select {
	case <-f.release:
		return true
	default:
		return false
	}
}

// failText returns f.err if frame starts a text frame.
func (f *fakeConn) failText(frame []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil && len(f.rest) == 0 && len(frame) > 0 && frame[0]&0x0F == opText {
		return f.err
	}
	return nil
}

func (f *fakeConn) TryWriteFrame(frame []byte) (int, error) {
	f.enter()
	defer f.leave()
	f.tries.Add(1)
	if err := f.failText(frame); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(frame)
	if f.limited && !f.released() {
		n = min(f.room, n)
		f.room -= n
	}
	f.take(frame[:n], time.Time{})
	return n, nil
}

func (f *fakeConn) WriteFrame(frame []byte, deadline time.Time) error {
	f.enter()
	defer f.leave()
	f.waits.Add(1)
	if err := f.failText(frame); err != nil {
		return err
	}
	if f.release != nil {
		select {
		case <-f.release:
		case <-time.After(time.Until(deadline)):
			return errors.New("write timeout")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deadlines = append(f.deadlines, time.Until(deadline))
	f.take(frame, deadline)
	return nil
}

// take records b and every frame it completes. Called with f.mu held.
func (f *fakeConn) take(b []byte, deadline time.Time) {
	f.stream = append(f.stream, b...)
	f.rest = append(f.rest, b...)
	for {
		op, payload, n, err := nextFrame(f.rest)
		if err != nil {
			f.violations.Add(1)
			f.rest = nil
			return
		}
		if n == 0 {
			return
		}
		if len(f.closes) > 0 {
			f.violations.Add(1) // a frame after the close frame
		}
		switch op {
		case opText:
			f.texts = append(f.texts, string(payload))
		case opPing:
			f.pings = append(f.pings, time.Now())
		case opPong:
			f.pongs = append(f.pongs, string(payload))
		case opClose:
			var c closeRecord
			if len(payload) >= 2 {
				c = closeRecord{int(payload[0])<<8 | int(payload[1]), string(payload[2:])}
			}
			f.closes = append(f.closes, c)
			f.closeDL = deadline
		default:
			f.violations.Add(1)
		}
		f.rest = f.rest[n:]
	}
}

func (f *fakeConn) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed > 0 || f.sealed.Load() || f.writing.Load() != 0 {
		f.violations.Add(1)
	}
	f.closed++
	return nil
}

// nextFrame decodes the first frame of b: its opcode, payload and length, or n == 0 when b does not
// hold a whole frame yet. Anything but a final, unmasked frame is an error.
func nextFrame(b []byte) (op byte, payload []byte, n int, err error) {
	if len(b) < 2 {
		return 0, nil, 0, nil
	}
	if b[0]&0x80 == 0 || b[0]&0x70 != 0 || b[1]&0x80 != 0 {
		return 0, nil, 0, fmt.Errorf("not a final unmasked frame at %q", b)
	}
	size, h := int(b[1]&0x7F), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return 0, nil, 0, nil
		}
		size, h = int(b[2])<<8|int(b[3]), 4
	case 127:
		if len(b) < 10 {
			return 0, nil, 0, nil
		}
		size, h = 0, 10
		for _, x := range b[2:10] {
			size = size<<8 | int(x)
		}
	}
	if len(b) < h+size {
		return 0, nil, 0, nil
	}
	return b[0] & 0x0F, b[h : h+size], h + size, nil
}

func (f *fakeConn) Texts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.texts...)
}

func (f *fakeConn) Closes() []closeRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]closeRecord(nil), f.closes...)
}

func (f *fakeConn) Pongs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.pongs...)
}

func (f *fakeConn) bytes() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bytes.Clone(f.stream)
}

func (f *fakeConn) Pings() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.pings...)
}

// check fails the test if the hub broke one of its promises to this connection.
func (f *fakeConn) check(t *testing.T) {
	t.Helper()
	if n := f.violations.Load(); n != 0 {
		t.Errorf("%d writes were concurrent, not whole frames, after the close frame, after Close or after Done", n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.rest) != 0 {
		t.Errorf("the stream ends in %d bytes of a frame cut short", len(f.rest))
	}
}

// checkClosed is check, and that the hub has called Close once: a client whose Done is closed.
func (f *fakeConn) checkClosed(t *testing.T) {
	t.Helper()
	f.check(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed != 1 {
		t.Errorf("Close called %d times, want once", f.closed)
	}
}

// recorder is an Observer that adds everything up.
type recorder struct {
	mu           sync.Mutex
	sent         map[string]int
	dropped      map[string]int
	disconnected map[Reason]int
	broadcasts   map[string]int // subscribers reached, summed over publishes
}

func newRecorder() *recorder {
	return &recorder{sent: map[string]int{}, dropped: map[string]int{}, disconnected: map[Reason]int{},
		broadcasts: map[string]int{}}
}

func (r *recorder) Sent(topic string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent[topic] += n
}

func (r *recorder) Dropped(topic string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropped[topic] += n
}

func (r *recorder) Disconnected(topic string, reason Reason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.disconnected[reason]++
}

func (r *recorder) Broadcast(topic string, subscribers int, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.broadcasts[topic] += subscribers
}

func (r *recorder) get(m *map[string]int, topic string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return (*m)[topic]
}

func (r *recorder) reasons() map[Reason]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[Reason]int{}
	for k, v := range r.disconnected {
		out[k] = v
	}
	return out
}

func mustSubscribe(t *testing.T, h *Hub, topic string, conn Conn, initial ...string) *Client {
	t.Helper()
	var msgs [][]byte
	for _, s := range initial {
		msgs = append(msgs, []byte(s))
	}
	c, err := h.Subscribe(topic, conn, msgs...)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", topic, err)
	}
	return c
}

func closeHub(t testing.TB, h *Hub) {
	t.Helper()
	if err := h.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func isDone(c *Client) bool {
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

// Thousands of subscribers and one that stopped reading: every healthy one gets every message in
// order, the stalled one is dropped with 1013 without holding anyone up.
func TestSlowConsumerIsDroppedOthersGetEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const subscribers, queue, rounds, perRound = 5000, 8, 5, 4
		rec := newRecorder()
		h := New(Options{QueueSize: queue, PingPeriod: time.Hour, Observer: rec})
		conns := make([]*fakeConn, subscribers)
		for i := range conns {
			conns[i] = &fakeConn{}
			mustSubscribe(t, h, "main", conns[i], "hello")
		}
		stalled := stalledConn()
		sc := mustSubscribe(t, h, "main", stalled, "hello")

		want := []string{"hello"}
		for r := range rounds {
			for i := range perRound {
				msg := "m" + strconv.Itoa(r*perRound+i)
				h.Publish("main", []byte(msg))
				want = append(want, msg)
			}
			// Let the healthy writers drain (the queue holds 8): only the stalled one falls behind.
			synctest.Wait()
		}

		if got, want := h.Count("main"), subscribers; got != want {
			t.Fatalf("Count after the drop = %d, want %d", got, want)
		}
		if isDone(sc) {
			t.Fatal("the stalled writer stopped while blocked in WriteFrame")
		}
		close(stalled.release)
		<-sc.Done()
		if diff := cmp.Diff([]string{"hello"}, stalled.Texts()); diff != "" {
			t.Errorf("stalled connection texts (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]closeRecord{{1013, "slow_consumer"}}, stalled.Closes()); diff != "" {
			t.Errorf("stalled connection close frames (-want +got):\n%s", diff)
		}
		for i, c := range conns {
			if diff := cmp.Diff(want, c.Texts()); diff != "" {
				t.Fatalf("connection %d texts (-want +got):\n%s", i, diff)
			}
			c.check(t)
		}
		stalled.checkClosed(t)

		// Undelivered to the stalled one: the message that did not fit plus the 8 queued behind hello.
		if got, want := rec.get(&rec.dropped, "main"), queue+1; got != want {
			t.Errorf("Dropped = %d, want %d", got, want)
		}
		if got, want := rec.get(&rec.sent, "main"), subscribers*len(want)+1; got != want {
			t.Errorf("Sent = %d, want %d", got, want)
		}
		if diff := cmp.Diff(map[Reason]int{ReasonSlowConsumer: 1}, rec.reasons()); diff != "" {
			t.Errorf("Disconnected reasons (-want +got):\n%s", diff)
		}
		closeHub(t, h)
	})
}

// The initial messages come first even while another goroutine is publishing, and the broadcasts a
// subscriber gets after them are an unbroken run up to the last one.
func TestInitialMessagesComeFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const publishes, subscribers = 300, 200
		h := New(Options{QueueSize: publishes + 2, PingPeriod: time.Hour})
		published := make(chan struct{})
		go func() {
			defer close(published)
			for i := range publishes {
				h.Publish("main", []byte(strconv.Itoa(i)))
				runtime.Gosched()
			}
		}()
		conns := make([]*fakeConn, subscribers)
		for i := range conns {
			conns[i] = &fakeConn{}
			mustSubscribe(t, h, "main", conns[i], "hello", "state")
			runtime.Gosched()
		}
		<-published
		synctest.Wait()
		for i, c := range conns {
			got := c.Texts()
			if len(got) < 2 || got[0] != "hello" || got[1] != "state" {
				t.Fatalf("connection %d starts with %q, want hello, state", i, got[:min(len(got), 2)])
			}
			for j, s := range got[2:] {
				n, err := strconv.Atoi(s)
				if err != nil {
					t.Fatalf("connection %d got %q after the initial messages", i, s)
				}
				if want := publishes - len(got[2:]) + j; n != want {
					t.Fatalf("connection %d broadcast %d = %d, want %d (an unbroken run to the end): %q",
						i, j, n, want, got[2:])
				}
			}
		}
		closeHub(t, h)
	})
}

func TestPublishAllReachesEveryTopic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		h := New(Options{Observer: rec})
		topics := []string{"", "general", "workshop", "admin"}
		conns := map[string][]*fakeConn{}
		for _, topic := range topics {
			for range 3 {
				c := &fakeConn{}
				conns[topic] = append(conns[topic], c)
				mustSubscribe(t, h, topic, c)
			}
		}
		h.Publish("general", []byte("only general"))
		h.PublishAll([]byte("everyone"))
		synctest.Wait()
		for _, topic := range topics {
			want := []string{"everyone"}
			if topic == "general" {
				want = []string{"only general", "everyone"}
			}
			for i, c := range conns[topic] {
				if diff := cmp.Diff(want, c.Texts()); diff != "" {
					t.Errorf("topic %q connection %d (-want +got):\n%s", topic, i, diff)
				}
			}
			if got, want := rec.get(&rec.sent, topic), len(want)*3; got != want {
				t.Errorf("Sent(%q) = %d, want %d", topic, got, want)
			}
		}
		if got, want := rec.get(&rec.broadcasts, "general"), 6; got != want {
			t.Errorf("Broadcast subscribers for general = %d, want %d", got, want)
		}
		h.Publish("nobody", []byte("x")) // a topic without subscribers is not an error
		closeHub(t, h)
	})
}

func TestCloseSendsGoingAwayToEveryone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		h := New(Options{Observer: rec})
		var conns []*fakeConn
		var clients []*Client
		for i := range 90 {
			c := &fakeConn{}
			conns = append(conns, c)
			clients = append(clients, mustSubscribe(t, h, "track"+strconv.Itoa(i%3), c, "hello"))
		}
		// Queued but unwritten when Close comes: still delivered before the close frame.
		h.PublishAll([]byte("last state"))
		closeHub(t, h)

		for i, c := range conns {
			if !isDone(clients[i]) {
				t.Fatalf("client %d not done after Close returned", i)
			}
			if diff := cmp.Diff([]string{"hello", "last state"}, c.Texts()); diff != "" {
				t.Errorf("connection %d texts (-want +got):\n%s", i, diff)
			}
			if diff := cmp.Diff([]closeRecord{{1001, "server shutting down"}}, c.Closes()); diff != "" {
				t.Errorf("connection %d close frames (-want +got):\n%s", i, diff)
			}
			c.sealed.Store(true)
		}
		if diff := cmp.Diff(map[Reason]int{ReasonShutdown: 90}, rec.reasons()); diff != "" {
			t.Errorf("Disconnected reasons (-want +got):\n%s", diff)
		}
		if got := h.Total(); got != 0 {
			t.Errorf("Total after Close = %d, want 0", got)
		}
		if _, err := h.Subscribe("track0", &fakeConn{}); !errors.Is(err, ErrClosed) {
			t.Errorf("Subscribe after Close: err = %v, want ErrClosed", err)
		}
		h.PublishAll([]byte("too late")) // no-op, no panic on closed queues
		h.Publish("track0", []byte("too late"))
		if err := h.Close(context.Background()); err != nil {
			t.Errorf("second Close: %v", err)
		}
		for _, c := range conns {
			c.checkClosed(t)
		}
	})
}

// A writer stuck in a write longer than Close's ctx (its deadline is further) makes Close give up at ctx's end;
// once it is released it still sends the close frame, and a second Close sees it stop.
func TestCloseGivesUpAtContextEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{})
		stuck := stalledConn()
		c := mustSubscribe(t, h, "main", stuck, "hello")
		synctest.Wait()

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		err := h.Close(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Close = %v, want DeadlineExceeded", err)
		}
		if got, want := time.Since(start), 5*time.Second; got != want {
			t.Errorf("Close returned after %v, want %v", got, want)
		}
		close(stuck.release)
		closeHub(t, h)
		if !isDone(c) {
			t.Fatal("client not done")
		}
		if diff := cmp.Diff([]closeRecord{{1001, "server shutting down"}}, stuck.Closes()); diff != "" {
			t.Errorf("close frames (-want +got):\n%s", diff)
		}
		stuck.checkClosed(t)
	})
}

// One shared ticker makes every client ping each PingPeriod: written at once to a connection with
// room, and by the writer goroutine, with the write deadline, to one that is behind.
func TestPingEveryPeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const period, timeout = 25 * time.Second, 3 * time.Second
		h := New(Options{PingPeriod: period, WriteTimeout: timeout})
		start := time.Now()
		a := &fakeConn{}
		b := &fakeConn{limited: true} // takes nothing without waiting, everything when waited on
		mustSubscribe(t, h, "main", a)
		mustSubscribe(t, h, "other", b)

		time.Sleep(period - time.Nanosecond)
		synctest.Wait()
		if got := len(a.Pings()); got != 0 {
			t.Fatalf("%d pings before the first period ended", got)
		}
		time.Sleep(time.Nanosecond + 2*period)
		synctest.Wait()
		want := []time.Time{start.Add(period), start.Add(2 * period), start.Add(3 * period)}
		for _, c := range []*fakeConn{a, b} {
			if diff := cmp.Diff(want, c.Pings()); diff != "" {
				t.Errorf("ping times (-want +got):\n%s", diff)
			}
		}
		a.mu.Lock()
		if len(a.deadlines) != 0 {
			t.Errorf("%d waiting writes to the connection with room, want the pings written at once", len(a.deadlines))
		}
		a.mu.Unlock()
		b.mu.Lock()
		if len(b.deadlines) != len(want) {
			t.Errorf("%d waiting writes to the connection that is behind, want %d", len(b.deadlines), len(want))
		}
		for _, d := range b.deadlines {
			if d != timeout {
				t.Errorf("write deadline %v after the write, want %v", d, timeout)
			}
		}
		b.mu.Unlock()
		closeHub(t, h)
	})
}

func TestSendGoesToOneClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{})
		a, b := &fakeConn{}, &fakeConn{}
		ca := mustSubscribe(t, h, "main", a, "hello")
		mustSubscribe(t, h, "main", b, "hello")
		if !ca.Send([]byte("pong")) {
			t.Fatal("Send = false on an open client")
		}
		synctest.Wait()
		if diff := cmp.Diff([]string{"hello", "pong"}, a.Texts()); diff != "" {
			t.Errorf("a (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"hello"}, b.Texts()); diff != "" {
			t.Errorf("b (-want +got):\n%s", diff)
		}
		ca.Unsubscribe()
		<-ca.Done()
		if ca.Send([]byte("pong")) {
			t.Error("Send = true after Unsubscribe")
		}
		closeHub(t, h)
	})
}

func TestSendToFullQueueDropsClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		h := New(Options{QueueSize: 2, Observer: rec})
		stalled := stalledConn()
		c := mustSubscribe(t, h, "main", stalled, "hello")
		synctest.Wait() // hello is being written: the queue is empty
		for i, want := range []bool{true, true, false, false} {
			if got := c.Send([]byte("pong")); got != want {
				t.Fatalf("Send #%d = %v, want %v", i, got, want)
			}
		}
		if got := h.Count("main"); got != 0 {
			t.Errorf("Count after the drop = %d, want 0", got)
		}
		close(stalled.release)
		<-c.Done()
		if diff := cmp.Diff([]closeRecord{{1013, "slow_consumer"}}, stalled.Closes()); diff != "" {
			t.Errorf("close frames (-want +got):\n%s", diff)
		}
		if got, want := rec.get(&rec.dropped, "main"), 3; got != want {
			t.Errorf("Dropped = %d, want %d (one that did not fit, two queued)", got, want)
		}
		closeHub(t, h)
	})
}

// Closing a client for a policy violation still delivers what was queued before it (e.g. an error
// message), then the close frame; a dead peer (pong timeout) is not sent the backlog.
func TestClientClose(t *testing.T) {
	for _, tc := range []struct {
		why     Reason
		code    int
		texts   []string
		dropped int
	}{
		{ReasonPolicy, 1008, []string{"hello", "a", "b"}, 0},
		{ReasonPongTimeout, 1001, []string{"hello"}, 2},
	} {
		t.Run(string(tc.why), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := newRecorder()
				h := New(Options{Observer: rec})
				f := stalledConn()
				c := mustSubscribe(t, h, "main", f, "hello")
				synctest.Wait()
				c.Send([]byte("a"))
				h.Publish("main", []byte("b"))
				synctest.Wait()
				c.Close(tc.code, "bye", tc.why)
				c.Close(1000, "second close is ignored", ReasonClient)
				if got := h.Count("main"); got != 0 {
					t.Errorf("Count after Close = %d, want 0", got)
				}
				close(f.release)
				<-c.Done()
				f.sealed.Store(true)
				if diff := cmp.Diff(tc.texts, f.Texts()); diff != "" {
					t.Errorf("texts (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]closeRecord{{tc.code, "bye"}}, f.Closes()); diff != "" {
					t.Errorf("close frames (-want +got):\n%s", diff)
				}
				if got := rec.get(&rec.dropped, "main"); got != tc.dropped {
					t.Errorf("Dropped = %d, want %d", got, tc.dropped)
				}
				if diff := cmp.Diff(map[Reason]int{tc.why: 1}, rec.reasons()); diff != "" {
					t.Errorf("Disconnected reasons (-want +got):\n%s", diff)
				}
				closeHub(t, h)
				f.checkClosed(t)
			})
		})
	}
}

// When the reader saw the connection end, the writer stops without writing anything more.
func TestUnsubscribeWritesNothingMore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		h := New(Options{Observer: rec})
		f := stalledConn()
		c := mustSubscribe(t, h, "main", f, "hello")
		synctest.Wait()
		h.Publish("main", []byte("a"))
		h.Publish("main", []byte("b"))
		synctest.Wait()
		c.Unsubscribe()
		c.Close(1001, "ignored after Unsubscribe", ReasonShutdown)
		if got := h.Count("main"); got != 0 {
			t.Errorf("Count after Unsubscribe = %d, want 0", got)
		}
		close(f.release)
		<-c.Done()
		if diff := cmp.Diff([]string{"hello"}, f.Texts()); diff != "" {
			t.Errorf("texts (-want +got):\n%s", diff)
		}
		if got := f.Closes(); len(got) != 0 {
			t.Errorf("close frames after Unsubscribe: %v", got)
		}
		if got, want := rec.get(&rec.dropped, "main"), 2; got != want {
			t.Errorf("Dropped = %d, want %d", got, want)
		}
		if diff := cmp.Diff(map[Reason]int{ReasonClient: 1}, rec.reasons()); diff != "" {
			t.Errorf("Disconnected reasons (-want +got):\n%s", diff)
		}
		closeHub(t, h)
		f.checkClosed(t)
	})
}

// A failed write drops the client; the close frame is attempted with a deadline already past so
// that it fails at once on a broken connection, and Close still makes the reader fail.
func TestWriteErrorDropsClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		h := New(Options{Observer: rec})
		f := &fakeConn{err: errors.New("broken pipe")}
		c := mustSubscribe(t, h, "main", f, "hello", "state")
		<-c.Done()
		if diff := cmp.Diff([]closeRecord{{1011, "write_error"}}, f.Closes()); diff != "" {
			t.Errorf("close frames (-want +got):\n%s", diff)
		}
		if f.closeDL.After(time.Now()) {
			t.Errorf("close deadline %v is in the future after a failed write", f.closeDL)
		}
		if got, want := rec.get(&rec.dropped, "main"), 2; got != want {
			t.Errorf("Dropped = %d, want %d", got, want)
		}
		if diff := cmp.Diff(map[Reason]int{ReasonWriteError: 1}, rec.reasons()); diff != "" {
			t.Errorf("Disconnected reasons (-want +got):\n%s", diff)
		}
		if got := h.Total(); got != 0 {
			t.Errorf("Total = %d, want 0", got)
		}
		f.checkClosed(t)
		closeHub(t, h)
	})
}

func TestCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{})
		var general []*Client
		for range 3 {
			general = append(general, mustSubscribe(t, h, "general", &fakeConn{}))
		}
		for range 2 {
			mustSubscribe(t, h, "workshop", &fakeConn{})
		}
		if diff := cmp.Diff(map[string]int{"general": 3, "workshop": 2}, h.Counts()); diff != "" {
			t.Errorf("Counts (-want +got):\n%s", diff)
		}
		if got, want := h.Total(), 5; got != want {
			t.Errorf("Total = %d, want %d", got, want)
		}
		for _, c := range general {
			c.Unsubscribe()
			c.Unsubscribe() // idempotent
		}
		if got := h.Count("general"); got != 0 {
			t.Errorf("Count(general) = %d, want 0", got)
		}
		if diff := cmp.Diff(map[string]int{"workshop": 2}, h.Counts()); diff != "" {
			t.Errorf("Counts (-want +got):\n%s", diff)
		}
		if got, want := h.Total(), 2; got != want {
			t.Errorf("Total = %d, want %d", got, want)
		}
		h.mu.RLock()
		_, kept := h.topics["general"]
		h.mu.RUnlock()
		if kept {
			t.Error("the empty topic was kept")
		}
		// The topic comes back with a new subscriber.
		mustSubscribe(t, h, "general", &fakeConn{})
		if got, want := h.Count("general"), 1; got != want {
			t.Errorf("Count(general) = %d, want %d", got, want)
		}
		closeHub(t, h)
	})
}

func TestSubscribeRejects(t *testing.T) {
	h := New(Options{QueueSize: 2})
	defer closeHub(t, h)
	if _, err := h.Subscribe("main", nil); err == nil {
		t.Error("Subscribe with a nil Conn succeeded")
	}
	if _, err := h.Subscribe("main", &fakeConn{}, []byte("1"), []byte("2"), []byte("3")); err == nil {
		t.Error("Subscribe with more initial messages than the queue holds succeeded")
	}
	if got := h.Total(); got != 0 {
		t.Errorf("Total = %d, want 0", got)
	}
}

// Subscribes, unsubscribes and publishes from many goroutines at once, on the real scheduler, for
// the race detector; every writer must stop and every connection must see its messages in order.
func TestConcurrentUse(t *testing.T) {
	h := New(Options{QueueSize: 1024})
	const publishes = 200
	var wg sync.WaitGroup
	for p := range 2 {
		wg.Go(func() {
			for i := range publishes {
				msg := []byte(fmt.Sprintf("%d-%04d", p, i))
				if p == 0 {
					h.Publish("t"+strconv.Itoa(i%3), msg)
				} else {
					h.PublishAll(msg)
				}
			}
		})
	}
	var mu sync.Mutex
	var conns []*fakeConn
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				f := &fakeConn{}
				if i%3 == 0 {
					// Takes a few bytes at once and the rest when waited on: partial frames.
					f = &fakeConn{limited: true, room: 7}
				}
				c, err := h.Subscribe("t"+strconv.Itoa((g+i)%3), f, []byte("hello"))
				if err != nil {
					t.Errorf("Subscribe: %v", err)
					return
				}
				h.Count("t0")
				h.Counts()
				if i%2 == 0 {
					c.Unsubscribe()
				} else {
					c.Send([]byte("pong"))
				}
				mu.Lock()
				conns = append(conns, f)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.Total(); got != 0 {
		t.Errorf("Total after Close = %d", got)
	}
	for _, f := range conns {
		f.checkClosed(t)
		last := map[byte]string{}
		for _, s := range f.Texts() {
			if s == "hello" || s == "pong" {
				continue
			}
			if p := s[0]; s <= last[p] {
				t.Fatalf("%q after %q", s, last[p])
			} else {
				last[p] = s
			}
		}
	}
}

// countConn counts the frames written across many connections and signals when the count reaches
// target, so that a benchmark can wait until a publish has reached every subscriber. It takes every
// frame at once, like a socket with room in its send buffer.
type countConn struct{ *tally }

type tally struct {
	n, target atomic.Int64
	reached   chan struct{}
}

func (c countConn) count() {
	if c.n.Add(1) == c.target.Load() {
		c.reached <- struct{}{}
	}
}

func (c countConn) TryWriteFrame(f []byte) (int, error) {
	c.count()
	return len(f), nil
}

func (c countConn) WriteFrame([]byte, time.Time) error {
	c.count()
	return nil
}

func (countConn) Close() error { return nil }

// queuedConn is a countConn that takes nothing without waiting, so that every frame goes through a
// writer goroutine.
type queuedConn struct{ countConn }

func (queuedConn) TryWriteFrame([]byte) (int, error) { return 0, nil }

// fanoutTimer is an Observer that adds up the time from each Publish until its fan-out ended.
type fanoutTimer struct {
	noObserver
	d atomic.Int64
}

func (e *fanoutTimer) Broadcast(_ string, _ int, d time.Duration) { e.d.Add(int64(d)) }

// BenchmarkPublish measures a fan-out until every subscriber has been written the message (ns/op),
// and the part of it from Publish to the end of the fan-out goroutine's work (fanout-ns/op), the
// rest being the writer goroutines': over connections that take every frame at once (direct, the
// server's case when sockets keep up) and over connections that take nothing without waiting, which
// every message reaches through a writer goroutine (queued).
func BenchmarkPublish(b *testing.B) {
	for _, path := range []string{"direct", "queued"} {
		for _, n := range []int{1000, 10000} {
			b.Run(path+"/subscribers="+strconv.Itoa(n), func(b *testing.B) {
				benchmarkPublish(b, path == "direct", n)
			})
		}
	}
}

func benchmarkPublish(b *testing.B, direct bool, n int) {
	obs := &fanoutTimer{}
	h := New(Options{Observer: obs, PingPeriod: time.Hour})
	defer closeHub(b, h)
	t := &tally{reached: make(chan struct{}, 1)}
	for range n {
		var c Conn = countConn{t}
		if !direct {
			c = queuedConn{countConn{t}}
		}
		if _, err := h.Subscribe("main", c); err != nil {
			b.Fatal(err)
		}
	}
	publishUntilDelivered(b, h, t, n)
	b.ReportMetric(float64(obs.d.Load())/float64(b.N), "fanout-ns/op")
}

// publishUntilDelivered publishes a small state to "main" once per b.Loop, each time waiting until
// the n subscribers t counts have it, and reports the time a delivery.
func publishUntilDelivered(b *testing.B, h *Hub, t *tally, n int) {
	msg := []byte(`{"type":"state","state":{}}`)
	var want int64
	for b.Loop() {
		want += int64(n)
		t.target.Store(want)
		h.Publish("main", msg)
		<-t.reached
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
}

type nopConn struct{}

func (nopConn) TryWriteFrame(f []byte) (int, error) { return len(f), nil }
func (nopConn) WriteFrame([]byte, time.Time) error  { return nil }
func (nopConn) Close() error                        { return nil }

// BenchmarkSubscribeDuringPublish measures how long a Subscribe+Unsubscribe takes on a topic that
// is being fanned out to 10,000 subscribers without pause: the lock granularity shows here.
func BenchmarkSubscribeDuringPublish(b *testing.B) {
	const n = 10000
	h := New(Options{PingPeriod: time.Hour})
	defer closeHub(b, h)
	t := &tally{reached: make(chan struct{})}
	for range n {
		if _, err := h.Subscribe("main", countConn{t}); err != nil {
			b.Fatal(err)
		}
	}
	stop := make(chan struct{})
	publisher := make(chan struct{})
	go func() {
		defer close(publisher)
		msg := []byte("x")
		var want int64
		for {
			select {
			case <-stop:
				return
			default:
			}
			want += n
			t.target.Store(want)
			h.Publish("main", msg)
			<-t.reached
		}
	}()
	var worst time.Duration
	for b.Loop() {
		start := time.Now()
		c, err := h.Subscribe("main", nopConn{})
		if err != nil {
			b.Fatal(err)
		}
		c.Unsubscribe()
		worst = max(worst, time.Since(start))
		<-c.Done()
	}
	close(stop)
	<-publisher
	b.ReportMetric(float64(worst.Nanoseconds()), "worst-ns")
}

// TestIdleClientMemory measures what an idle subscriber costs the hub (its Client; no goroutine,
// since a connection that takes every frame at once never needs a writer), to keep it far below
// the product's budget of about 8 KiB per idle websocket connection.
func TestIdleClientMemory(t *testing.T) {
	const n = 2000
	h := New(Options{PingPeriod: time.Hour})
	defer closeHub(t, h)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := &tally{reached: make(chan struct{}, 1)}
	t0.target.Store(n)
	clients := make([]*Client, n)
	for i := range clients {
		c, err := h.Subscribe("main", countConn{t0})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}
	h.Publish("main", []byte("state")) // every client has been written to once: idle, not brand new
	<-t0.reached
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	used := float64(after.HeapAlloc+after.StackInuse) - float64(before.HeapAlloc+before.StackInuse)
	perClient := used / n
	t.Logf("%.0f bytes per idle client: heap %d, stacks %d", perClient,
		(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, (int64(after.StackInuse)-int64(before.StackInuse))/n)
	// 144 bytes of heap: the client alone. It holds no queue (0.6 KiB more when each client had its
	// 64 slots from the start) and no done channel (96 bytes) until the server asks for it.
	limit := 256.0
	if raceEnabled {
		limit *= 2
	}
	if perClient > limit {
		t.Errorf("an idle client costs the hub %.0f bytes, want at most %.0f", perClient, limit)
	}
	runtime.KeepAlive(clients)
}

// queued returns the length of the client's queue, the capacity of the array it holds (-1 when it
// holds none: an emptied slice of an array still keeps the array alive), and whether a writer runs.
func queued(c *Client) (n, capacity int, busy bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.queue == nil {
		return 0, -1, c.busy
	}
	return len(c.queue), cap(c.queue), c.busy
}

// An idle client, one whose socket takes every frame at once, holds no queue: not after its initial
// messages, not after publishes. The queue's memory is only for clients that are behind.
func TestIdleClientHoldsNoQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{PingPeriod: time.Hour})
		conns := make([]*fakeConn, 100)
		clients := make([]*Client, len(conns))
		for i := range conns {
			conns[i] = &fakeConn{}
			clients[i] = mustSubscribe(t, h, "main", conns[i], "hello", "s0")
		}
		synctest.Wait()
		for _, msg := range []string{"s1", "s2"} {
			h.Publish("main", []byte(msg))
			synctest.Wait()
			for i, c := range clients {
				if n, capacity, busy := queued(c); capacity >= 0 || busy {
					t.Fatalf("client %d after %s: queue %d in an array of %d, writer running %v; want no queue and no writer", i, msg, n, capacity, busy)
				}
			}
		}
		for i, f := range conns {
			if diff := cmp.Diff([]string{"hello", "s0", "s1", "s2"}, f.Texts()); diff != "" {
				t.Fatalf("client %d (-want +got):\n%s", i, diff)
			}
		}
		closeHub(t, h)
	})
}

// A client whose peer stops reading gets a queue; when the peer reads again it gets everything in
// order, its queue goes away, and the next publishes go straight to its socket, still in order.
// Falling behind again works the same way.
func TestClientThatFallsBehindCatchesUpInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const queue = 8
		h := New(Options{QueueSize: queue, PingPeriod: time.Hour})
		var want []string
		publish := func(from, to int) {
			for i := from; i < to; i++ {
				msg := fmt.Sprintf("s%d", i)
				h.Publish("main", []byte(msg))
				want = append(want, msg)
			}
			synctest.Wait()
		}
		f := stalledConn()
		c := mustSubscribe(t, h, "main", f, "s0")
		want = append(want, "s0")
		synctest.Wait() // s0 is being written, and waits for the peer
		publish(1, 1+queue)
		if n, _, busy := queued(c); n != queue || !busy {
			t.Fatalf("while the peer does not read: queue %d, writer running %v; want %d queued and a writer", n, busy, queue)
		}
		close(f.release) // the peer reads again
		synctest.Wait()
		if n, capacity, busy := queued(c); capacity >= 0 || busy {
			t.Fatalf("after catching up: queue %d in an array of %d, writer running %v; want no queue and no writer", n, capacity, busy)
		}
		waits := f.waits.Load()
		publish(1+queue, 3+queue)
		if got := f.waits.Load(); got != waits {
			t.Errorf("after catching up, %d waiting writes; want the publishes written straight away", got-waits)
		}

		// Behind again: a socket that takes 3 bytes at a time leaves every frame partly written.
		f.mu.Lock()
		f.release = make(chan struct{})
		f.room = 3
		f.mu.Unlock()
		publish(3+queue, 3+2*queue)
		if n, _, busy := queued(c); n == 0 || !busy {
			t.Fatalf("behind again: queue %d, writer running %v; want messages queued and a writer", n, busy)
		}
		close(f.release)
		synctest.Wait()
		publish(3+2*queue, 5+2*queue)
		if n, capacity, busy := queued(c); capacity >= 0 || busy {
			t.Fatalf("after catching up again: queue %d in an array of %d, writer running %v; want no queue and no writer", n, capacity, busy)
		}
		if diff := cmp.Diff(want, f.Texts()); diff != "" {
			t.Errorf("what the client got (-want +got):\n%s", diff)
		}
		if isDone(c) {
			t.Error("the client was dropped; it never had more than its queue waiting")
		}
		closeHub(t, h)
		f.check(t)
	})
}

// gateObserver holds the fan-out in its first Broadcast until gate is closed.
type gateObserver struct {
	noObserver
	gate chan struct{}
	once sync.Once
}

func (g *gateObserver) Broadcast(string, int, time.Duration) {
	g.once.Do(func() { <-g.gate })
}

// Publish returns while the fan-out is behind, and a client that subscribes in the meantime gets
// exactly the messages published after it subscribed: not one it already has as its initial state,
// not one fewer.
func TestSubscribeWhileFanOutIsBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs := &gateObserver{gate: make(chan struct{})}
		h := New(Options{Observer: obs})
		a := &fakeConn{}
		mustSubscribe(t, h, "main", a, "s0")
		h.Publish("main", []byte("s1")) // the fan-out delivers it, then waits in Broadcast
		synctest.Wait()
		h.Publish("main", []byte("s2")) // waits for the fan-out
		b := &fakeConn{}
		mustSubscribe(t, h, "main", b, "s2") // the caller's state is s2 already
		h.Publish("main", []byte("s3"))
		synctest.Wait()
		if got := b.Texts(); len(got) != 1 {
			t.Fatalf("b got %q while the fan-out was held, want only its initial s2", got)
		}
		close(obs.gate)
		synctest.Wait()
		synctest.Wait()
		if diff := cmp.Diff([]string{"s0", "s1", "s2", "s3"}, a.Texts()); diff != "" {
			t.Errorf("a, subscribed first (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"s2", "s3"}, b.Texts()); diff != "" {
			t.Errorf("b, subscribed after s2 was published (-want +got):\n%s", diff)
		}
		closeHub(t, h)
	})
}

// Close delivers what was published before it, then the close frame, and drops later publishes.
func TestCloseDeliversPendingPublishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs := &gateObserver{gate: make(chan struct{})}
		h := New(Options{Observer: obs})
		f := &fakeConn{}
		mustSubscribe(t, h, "main", f)
		h.Publish("main", []byte("a"))
		synctest.Wait()
		h.Publish("main", []byte("b"))
		closed := make(chan error)
		go func() { closed <- h.Close(context.Background()) }()
		synctest.Wait()
		h.Publish("main", []byte("after close"))
		close(obs.gate)
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"a", "b"}, f.Texts()); diff != "" {
			t.Errorf("texts (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]closeRecord{{CloseGoingAway, shutdownReason}}, f.Closes()); diff != "" {
			t.Errorf("close frames (-want +got):\n%s", diff)
		}
	})
}

// Reasons is the whole fixed set: every Reason constant declared in the package, once. The server
// gives each its metric label from this list, so a reason missing here would appear on a dashboard
// only after its first event.
func TestReasons(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "hub.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); ok && id.Name == "Reason" {
				for _, val := range v.Values {
					s, err := strconv.Unquote(val.(*ast.BasicLit).Value)
					if err != nil {
						t.Fatal(err)
					}
					declared = append(declared, s)
				}
			}
		}
	}
	var listed []string
	for _, r := range Reasons() {
		listed = append(listed, string(r))
	}
	slices.Sort(declared)
	slices.Sort(listed)
	if diff := cmp.Diff(declared, listed); diff != "" || len(declared) == 0 {
		t.Errorf("Reasons() against the Reason constants in hub.go (-declared +listed):\n%s", diff)
	}
}

// A large initial message (a state document) is framed once per topic and the frame shared by the
// subscribers that start with the same slice; another slice, even of the same length, is framed
// anew; every subscriber gets its bytes.
func TestLargeInitialFramedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{PingPeriod: time.Hour})
		defer closeHub(t, h)
		state := bytes.Repeat([]byte("a"), 32<<10)
		next := bytes.Repeat([]byte("b"), 32<<10)
		conns := make([]*fakeConn, 4)
		for i := range conns {
			conns[i] = &fakeConn{}
			initial := state
			if i == 3 {
				initial = next // the state replaced: a new slice of the same length
			}
			if _, err := h.Subscribe("main", conns[i], []byte("hello"), initial); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		for i, c := range conns {
			want := []string{"hello", string(state)}
			if i == 3 {
				want[1] = string(next)
			}
			if got := c.Texts(); !slices.Equal(got, want) {
				t.Errorf("subscriber %d got %d messages, want hello and its state", i, len(got))
			}
			c.check(t)
		}

		// The copies: 200 more subscribers with the state cost far less than a frame each.
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 200 {
			if _, err := h.Subscribe("main", nopConn{}, state); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		runtime.ReadMemStats(&after)
		if got, most := after.TotalAlloc-before.TotalAlloc, uint64(200*len(state)/8); got > most {
			t.Errorf("200 subscribers with a %d-byte state allocated %d bytes, want at most %d (one frame shared)", len(state), got, most)
		}
	})
}
