package hub

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// frameConn is an in-memory FrameWriter: a socket whose send buffer takes room more bytes without
// waiting (TryWriteFrame), and which then takes the rest only once released (WriteFrame blocks on
// release, as a write to a peer that stopped reading). It records the byte stream and checks that
// at most one goroutine writes at a time.
type frameConn struct {
	fakeConn
	mu2     sync.Mutex
	room    int
	release chan struct{}
	stream  bytes.Buffer
	tries   atomic.Int32
	waits   atomic.Int32
}

func (f *frameConn) TryWriteFrame(frame []byte) (int, error) {
	f.enter()
	defer f.leave()
	f.tries.Add(1)
	f.mu2.Lock()
	defer f.mu2.Unlock()
	n := min(f.room, len(frame))
	f.room -= n
	f.stream.Write(frame[:n])
	return n, nil
}

func (f *frameConn) WriteFrame(frame []byte, deadline time.Time) error {
	f.enter()
	defer f.leave()
	f.waits.Add(1)
	if f.release != nil {
		select {
		case <-f.release:
		case <-time.After(time.Until(deadline)):
			return errors.New("write timeout")
		}
	}
	f.mu2.Lock()
	defer f.mu2.Unlock()
	f.stream.Write(frame)
	return nil
}

func (f *frameConn) bytes() []byte {
	f.mu2.Lock()
	defer f.mu2.Unlock()
	return bytes.Clone(f.stream.Bytes())
}

// parseFrames splits a server's byte stream into frames, failing on anything that is not a whole,
// final, unmasked frame.
func parseFrames(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for len(b) > 0 {
		if len(b) < 2 || b[0]&0x80 == 0 || b[1]&0x80 != 0 {
			t.Fatalf("not a final unmasked frame at %q", b)
		}
		op, n, h := b[0]&0x0F, int(b[1]&0x7F), 2
		switch n {
		case 126:
			n, h = int(b[2])<<8|int(b[3]), 4
		case 127:
			n, h = 0, 10
			for _, x := range b[2:10] {
				n = n<<8 | int(x)
			}
		}
		if len(b) < h+n {
			t.Fatalf("a frame of %d bytes is cut at %d", h+n, len(b))
		}
		out = append(out, fmt.Sprintf("%x:%s", op, b[h:h+n]))
		b = b[h+n:]
	}
	return out
}

func TestAppendFrameLengths(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		f := AppendFrame(nil, opText, bytes.Repeat([]byte("x"), n))
		got := parseFrames(t, f)
		if len(got) != 1 || len(got[0]) != n+2 {
			t.Errorf("%d bytes: parsed %d frames, first of %d", n, len(got), len(got[0]))
		}
	}
}

// A connection with room takes every message from the fan-out itself: the frames are on the socket
// once the publishes are delivered, and no writer goroutine is ever started.
func TestFrameWriterWritesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{PingPeriod: time.Hour})
		defer closeHub(t, h)
		conns := make([]*frameConn, 100)
		for i := range conns {
			conns[i] = &frameConn{room: 1 << 20}
			mustSubscribe(t, h, "main", conns[i])
		}
		before := runtime.NumGoroutine()
		for i := range 5 {
			h.Publish("main", []byte(fmt.Sprintf("m%d", i)))
		}
		synctest.Wait()
		if after := runtime.NumGoroutine(); after > before {
			t.Errorf("%d goroutines after the publishes, %d before: writers were started", after, before)
		}
		want := []string{"1:m0", "1:m1", "1:m2", "1:m3", "1:m4"}
		for i, c := range conns {
			if got := parseFrames(t, c.bytes()); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("conn %d got %q, want %q", i, got, want)
			}
			if c.waits.Load() != 0 {
				t.Errorf("conn %d: %d waiting writes, want none", i, c.waits.Load())
			}
			c.check(t)
		}
	})
}

// A connection that takes part of a frame gets the rest, then what was published meanwhile, in
// order and whole, from a writer goroutine, which returns the connection to direct writes after.
func TestFrameWriterPartialWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{PingPeriod: time.Hour})
		defer closeHub(t, h)
		fast := &frameConn{room: 1 << 20}
		part := &frameConn{room: 5, release: make(chan struct{})}
		mustSubscribe(t, h, "main", fast)
		cl := mustSubscribe(t, h, "main", part)
		h.Publish("main", []byte("first message"))
		h.Publish("main", []byte("second"))
		synctest.Wait()
		cl.SendPong([]byte("p"))
		if got := parseFrames(t, fast.bytes()); len(got) != 2 {
			t.Fatalf("the fast connection got %q while the other was stuck, want both messages", got)
		}
		if got := part.bytes(); len(got) != 5 {
			t.Fatalf("the stuck connection has %d bytes, want the 5 it took", len(got))
		}
		close(part.release)
		synctest.Wait() // the writer has written the rest and ended
		want := "1:first message 1:second a:p"
		if got := strings.Join(parseFrames(t, part.bytes()), " "); got != want {
			t.Fatalf("stream %q, want %q", got, want)
		}
		if cl.busyNow() {
			t.Fatal("the writer still owns the connection with nothing left to write")
		}
		// The writer has given the connection back: the next message is written directly.
		part.mu2.Lock()
		part.room = 1 << 20
		part.mu2.Unlock()
		tries := part.tries.Load()
		h.Publish("main", []byte("third"))
		synctest.Wait()
		if part.tries.Load() != tries+1 {
			t.Errorf("the third message was not tried directly")
		}
		if got := parseFrames(t, part.bytes()); got[len(got)-1] != "1:third" {
			t.Errorf("last frame %q, want 1:third", got[len(got)-1])
		}
		part.check(t)
		fast.check(t)
	})
}

func (c *Client) busyNow() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.busy
}

// A connection that stops taking anything is dropped as a slow consumer once its queue is full,
// and the others keep getting every message directly.
func TestFrameWriterSlowConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		h := New(Options{PingPeriod: time.Hour, QueueSize: 4, Observer: rec})
		defer closeHub(t, h)
		fast := &frameConn{room: 1 << 20}
		stuck := &frameConn{release: make(chan struct{})}
		mustSubscribe(t, h, "main", fast)
		cl := mustSubscribe(t, h, "main", stuck)
		for i := range 10 {
			h.Publish("main", []byte(fmt.Sprintf("m%d", i)))
		}
		synctest.Wait()
		close(stuck.release) // let the writer's blocked write end, so that it can close the client
		select {
		case <-cl.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("the stuck client was not dropped")
		}
		if got := stuck.Closes(); len(got) != 1 || got[0].Code != CloseTryAgainLater {
			t.Errorf("close frames %+v, want one 1013", got)
		}
		if got := parseFrames(t, fast.bytes()); len(got) != 10 {
			t.Errorf("the fast connection got %d messages, want 10", len(got))
		}
		if r := rec.reasons(); r[ReasonSlowConsumer] != 1 {
			t.Errorf("disconnect reasons %v, want one slow_consumer", r)
		}
	})
}

// Pings from the shared ticker are written directly too.
func TestFrameWriterPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{PingPeriod: 20 * time.Millisecond})
		defer closeHub(t, h)
		c := &frameConn{room: 1 << 20}
		mustSubscribe(t, h, "main", c)
		time.Sleep(50 * time.Millisecond) // the bubble's clock: two ping periods, exactly
		synctest.Wait()
		if got := parseFrames(t, c.bytes()); strings.Join(got, " ") != "9: 9:" {
			t.Errorf("frames %q after two ping periods, want two pings", got)
		}
		if c.waits.Load() != 0 {
			t.Errorf("%d waiting writes, want the pings written directly", c.waits.Load())
		}
	})
}
