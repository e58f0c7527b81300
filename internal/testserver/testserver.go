// Package testserver is what the tests of several packages need to run a
// confdash server for real: a listener on the loopback interface, a server
// shut down when the test ends, a schedule clock that stands still until the
// test moves it, and a bounded wait for a condition that has no event.
//
// It must not import the server package: the server's own tests use it, and
// a package cannot import one that imports it. It speaks to a server through
// Serve and Shutdown, which *server.Server has.
package testserver

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// Clock is a schedule clock (server.Clock) that stands still until a test
// moves it, so every document the server encodes is reproducible.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Until is the schedule distance: the server's clock loop sleeps that long in
// real time, which outlasts a test when the next change is minutes away.
func (c *Clock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// Set moves the clock to now. The server sees it at its next computation (a
// request that recomputes the state, or the clock loop's next wake-up).
func (c *Clock) Set(now time.Time) {
	c.mu.Lock()
	c.now = now
	c.mu.Unlock()
}

// Server is what a test serves: *server.Server.
type Server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// Running is a server serving on a loopback listener.
type Running struct {
	Addr string // 127.0.0.1:PORT
	Base string // http://127.0.0.1:PORT
	WS   string // ws://127.0.0.1:PORT/ws

	t    testing.TB
	srv  Server
	done chan struct{}
	err  error // Serve's result, once done is closed
	once sync.Once
}

// shutdownWithin bounds a shutdown: a server that has not closed its
// connections by then fails the test instead of hanging the run.
const shutdownWithin = 15 * time.Second

// Start serves srv on 127.0.0.1:0 and shuts it down when the test ends.
func Start(t testing.TB, srv Server) *Running {
	t.Helper()
	return StartOn(t, srv, Listen(t, "127.0.0.1:0"))
}

// StartOn serves srv on ln and shuts it down when the test ends (or at Stop).
func StartOn(t testing.TB, srv Server, ln net.Listener) *Running {
	t.Helper()
	addr := ln.Addr().String()
	r := &Running{
		Addr: addr, Base: "http://" + addr, WS: "ws://" + addr + "/ws",
		t: t, srv: srv, done: make(chan struct{}),
	}
	r.serve(ln)
	t.Cleanup(r.Stop)
	return r
}

// Stop shuts the server down (every websocket gets 1001) and waits for Serve
// to return. Calling it again does nothing.
func (r *Running) Stop() {
	r.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownWithin)
		defer cancel()
		if err := r.srv.Shutdown(ctx); err != nil {
			r.t.Errorf("Shutdown: %v", err)
		}
		select {
		case <-r.done:
		case <-ctx.Done():
			r.t.Errorf("Serve did not return within %v of Shutdown", shutdownWithin)
		}
	})
}

// Restart serves srv on the address a Stop freed, so that clients reconnect
// to the address they know. The cleanup that Start registered stops it, in
// its place among the test's cleanups: after those registered since (a
// browser tab opened on the first server is closed before the server stops,
// as it was before the restart).
func (r *Running) Restart(srv Server) {
	r.t.Helper()
	select {
	case <-r.done: // Serve has returned: r is stopped
	case <-time.After(shutdownWithin):
		r.t.Fatalf("restart: the server's Serve did not return (was it stopped?)")
	}
	ln := Listen(r.t, r.Addr)
	r.srv, r.err, r.once = srv, nil, sync.Once{}
	r.done = make(chan struct{})
	r.serve(ln)
}

func (r *Running) serve(ln net.Listener) {
	done := r.done
	go func() {
		r.err = r.srv.Serve(ln)
		close(done)
	}()
}

// Done is closed when Serve has returned.
func (r *Running) Done() <-chan struct{} { return r.done }

// Err is Serve's result once Done is closed.
func (r *Running) Err() error {
	<-r.done
	return r.err
}

// Listen listens on addr, waiting up to five seconds while a server that was
// just stopped still holds it (the kernel releases a port asynchronously), so
// that a test can serve again on the address its clients know.
func Listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	var err error
	if !Eventually(5*time.Second, func() bool {
		ln, err = net.Listen("tcp", addr)
		return err == nil
	}) {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	return ln
}

// Eventually polls cond until it holds, and reports false if within passes
// first. It is for effects that cross a goroutine or a process and have no
// change notification (a counter, a metric, a port, a proxy coming up): the
// deadline makes a missing effect a failure, not a hang. The pause between
// polls starts at 5 ms and doubles up to 50 ms, so a quick effect is seen
// at once and a slow one costs little.
func Eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	pause := 5 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
	return true
}

// LockedBuffer is a bytes.Buffer that a server's or a child process's
// goroutines may write while the test reads it (a log, a command's output).
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *LockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}
