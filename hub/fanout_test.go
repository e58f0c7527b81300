package hub

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// withProcs runs the rest of the test with at least n Ps, so that a hub made afterwards has
// helpers to share its fan-outs with even on a machine with fewer cores.
func withProcs(t testing.TB, n int) {
	if old := runtime.GOMAXPROCS(0); old < n {
		runtime.GOMAXPROCS(n)
		t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	}
}

// A publish to a large topic is shared by the fan-out goroutine and its helpers; under publishes
// from several goroutines at once, to the topic and to every topic, each subscriber still gets every
// message, each once, and all of them in the same order (the order of the calls).
func TestLargeTopicParallelFanOutKeepsOrder(t *testing.T) {
	withProcs(t, 4)
	const subscribers, publishers, perPublisher = 1024, 4, 15
	obs := newRecorder()
	h := New(Options{Observer: obs, PingPeriod: time.Hour})
	if cap(h.work) == 0 {
		t.Fatal("the hub has no helpers: the test would not share a fan-out")
	}
	conns := make([]*fakeConn, subscribers)
	for i := range conns {
		conns[i] = &fakeConn{}
		mustSubscribe(t, h, "main", conns[i], "hello")
	}
	small := &fakeConn{} // a small topic, fanned out by the fan-out goroutine alone
	mustSubscribe(t, h, "small", small, "hello")

	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range perPublisher {
				msg := []byte(fmt.Sprintf("p%d-%03d", p, i))
				if i%5 == 4 {
					h.PublishAll(msg)
				} else {
					h.Publish("main", msg)
				}
			}
		})
	}
	wg.Wait()
	closeHub(t, h) // delivers every publish, then the close frames

	want := conns[0].Texts()
	if got, wantN := len(want), 1+publishers*perPublisher; got != wantN {
		t.Fatalf("the first subscriber got %d messages, want %d (hello and every publish)", got, wantN)
	}
	last := map[byte]string{}
	for _, s := range want[1:] {
		if p := s[1]; s <= last[p] {
			t.Fatalf("%q after %q: one publisher's messages out of order", s, last[p])
		}
		last[s[1]] = s
	}
	for i, f := range conns {
		f.checkClosed(t)
		if diff := cmp.Diff(want, f.Texts()); diff != "" {
			t.Fatalf("subscriber %d got another sequence than subscriber 0 (-0 +%d):\n%s", i, i, diff)
		}
	}
	var wantSmall []string
	for _, s := range want {
		if i, err := strconv.Atoi(s[min(3, len(s)):]); s == "hello" || err == nil && i%5 == 4 {
			wantSmall = append(wantSmall, s) // hello, and what went to every topic
		}
	}
	if diff := cmp.Diff(wantSmall, small.Texts()); diff != "" {
		t.Errorf("the small topic (-want +got):\n%s", diff)
	}
	if got, wantSent := obs.get(&obs.sent, "main"), subscribers*(1+publishers*perPublisher); got != wantSent {
		t.Errorf("Observer: %d messages sent on main, want %d", got, wantSent)
	}
	if got, wantB := obs.get(&obs.broadcasts, "main"), subscribers*publishers*perPublisher; got != wantB {
		t.Errorf("Observer: broadcasts reached %d subscribers of main in all, want %d", got, wantB)
	}
}

// slowConn is a socket that takes a long time to take a frame, e.g. a large write the kernel copies
// slowly: TryWriteFrame returns only once release is closed.
type slowConn struct {
	entered chan struct{} // closed by the first TryWriteFrame
	release chan struct{}
	once    sync.Once
}

func (s *slowConn) TryWriteFrame(f []byte) (int, error) {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return len(f), nil
}
func (s *slowConn) WriteFrame([]byte, time.Time) error { <-s.release; return nil }
func (s *slowConn) Close() error                       { return nil }

// A client whose socket is slow to take a frame holds up the rest of its own shard, never the
// clients of the other shards: the fan-out goroutine's helpers go on with those.
func TestSlowSocketDelaysOnlyItsShard(t *testing.T) {
	withProcs(t, 4)
	h := New(Options{PingPeriod: time.Hour})
	defer closeHub(t, h)
	slow := &slowConn{entered: make(chan struct{}), release: make(chan struct{})}
	sc := mustSubscribe(t, h, "main", slow) // the first of its shard's run: the first written to
	var others []*fakeConn
	for range shards * shardRun {
		f := &fakeConn{}
		if c := mustSubscribe(t, h, "main", f); c.shard != sc.shard {
			others = append(others, f)
		}
	}
	released := false
	release := func() {
		if !released {
			released = true
			close(slow.release)
		}
	}
	defer release()

	h.Publish("main", []byte("s1"))
	<-slow.entered
	deadline := time.Now().Add(5 * time.Second)
	for {
		waiting := 0
		for _, f := range others {
			if len(f.Texts()) == 0 {
				waiting++
			}
		}
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the %d clients of other shards still wait for s1 behind a slow socket", waiting, len(others))
		}
		time.Sleep(time.Millisecond) // polling, with the deadline above
	}
	release()
	h.Publish("main", []byte("s2"))
	closeHub(t, h)
	for _, f := range others {
		if diff := cmp.Diff([]string{"s1", "s2"}, f.Texts()); diff != "" {
			t.Fatalf("a client of another shard (-want +got):\n%s", diff)
		}
	}
}

// BenchmarkFanOutSharing measures a fan-out to subscribers that take every frame at once, shared
// with the helpers (shared) or done by the fan-out goroutine alone (alone), in memory: what sharing
// costs when a delivery is no system call.
func BenchmarkFanOutSharing(b *testing.B) {
	for _, n := range []int{100, 250, 500, 1000, 4000} {
		for _, mode := range []string{"alone", "shared"} {
			b.Run(mode+"/subscribers="+strconv.Itoa(n), func(b *testing.B) {
				h := sharingHub(b, mode)
				t := &tally{reached: make(chan struct{}, 1)}
				for range n {
					if _, err := h.Subscribe("main", countConn{t}); err != nil {
						b.Fatal(err)
					}
				}
				publishUntilDelivered(b, h, t, n)
			})
		}
	}
}

// sharingHub is a hub that shares every fan-out with its helpers (mode "shared") or none ("alone").
func sharingHub(b *testing.B, mode string) *Hub {
	h := New(Options{PingPeriod: time.Hour})
	b.Cleanup(func() { closeHub(b, h) })
	h.parallelMin = 1
	if mode == "alone" {
		h.parallelMin = 1 << 62
	}
	return h
}

// tcpConn writes each frame to a loopback TCP socket, one system call each as the server's
// connections do, and counts it.
type tcpConn struct {
	net.Conn
	t countConn
}

func (c tcpConn) TryWriteFrame(f []byte) (int, error) {
	n, err := c.Write(f)
	c.t.count()
	return n, err
}

// Close leaves the socket open for the next hub of the benchmark, which closes it at the end.
func (tcpConn) Close() error { return nil }

func (c tcpConn) WriteFrame(f []byte, _ time.Time) error {
	_, err := c.Write(f)
	c.t.count()
	return err
}

// BenchmarkFanOutSharingTCP is BenchmarkFanOutSharing over loopback TCP sockets, where each
// delivery is a system call: what parallelMin is chosen from.
func BenchmarkFanOutSharingTCP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	for _, n := range []int{100, 250, 500, 1000, 2000} {
		// Both ends of n connections, made once per size: the peers are kept so that nothing closes.
		var conns, peers []net.Conn
		for range n {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			p, err := ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			conns, peers = append(conns, c), append(peers, p)
			// A peer that reads, or the socket's buffers fill and a write waits forever.
			go io.Copy(io.Discard, p)
		}
		for _, mode := range []string{"alone", "shared"} {
			b.Run(mode+"/subscribers="+strconv.Itoa(n), func(b *testing.B) {
				h := sharingHub(b, mode)
				t := &tally{reached: make(chan struct{}, 1)}
				var clients []*Client
				for _, c := range conns {
					cl, err := h.Subscribe("main", tcpConn{c, countConn{t}})
					if err != nil {
						b.Fatal(err)
					}
					clients = append(clients, cl)
				}
				publishUntilDelivered(b, h, t, n)
			})
		}
		for _, c := range append(conns, peers...) {
			c.Close()
		}
	}
}
