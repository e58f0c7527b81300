package hub

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// parseFrames splits a server's byte stream into frames ("opcode:payload"), failing on anything that
// is not a whole, final, unmasked frame.
func parseFrames(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for len(b) > 0 {
		op, payload, n, err := nextFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("a frame is cut at %d bytes: %q", len(b), b)
		}
		out = append(out, fmt.Sprintf("%x:%s", op, payload))
		b = b[n:]
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
func TestWritesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{PingPeriod: time.Hour})
		defer closeHub(t, h)
		conns := make([]*fakeConn, 100)
		for i := range conns {
			conns[i] = &fakeConn{}
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
func TestPartialWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{PingPeriod: time.Hour})
		defer closeHub(t, h)
		fast := &fakeConn{}
		part := &fakeConn{limited: true, room: 5, release: make(chan struct{})}
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
		// The writer has given the connection back (whose peer reads again): the next message is
		// written directly.
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
func TestSlowConsumerWhileFanOutWritesOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		h := New(Options{PingPeriod: time.Hour, QueueSize: 4, Observer: rec})
		defer closeHub(t, h)
		fast := &fakeConn{}
		stuck := stalledConn()
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
func TestPingWrittenAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(Options{PingPeriod: 20 * time.Millisecond})
		defer closeHub(t, h)
		c := &fakeConn{}
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

// The hub encodes close frames too: the code, then the reason cut to what a control frame holds, at a
// character boundary; a peer's close without a code (1005) is echoed as an empty close frame.
func TestCloseFrame(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	for _, tc := range []struct {
		code   int
		reason string
		want   string
	}{
		{1001, "server shutting down", "8:\x03\xe9server shutting down"},
		{1013, "", "8:\x03\xf5"},
		{1005, "", "8:"},
		{1008, long, "8:\x03\xf0" + strings.Repeat("é", 61)},
	} {
		got := parseFrames(t, closeFrame(tc.code, tc.reason))
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("closeFrame(%d, %d bytes) = %q, want %q", tc.code, len(tc.reason), got, tc.want)
		}
		if p := len(closeFrame(tc.code, tc.reason)) - 2; p > maxControlPayload {
			t.Errorf("closeFrame(%d, %d bytes) carries %d bytes, more than a control frame may", tc.code, len(tc.reason), p)
		}
	}
}
