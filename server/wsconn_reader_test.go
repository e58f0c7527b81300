package server

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/gorilla/websocket"
)

// TestWSIdleReaderStack: an idle viewer's reader goroutine keeps the 2 KB
// stack a goroutine starts with after everything a viewer does: the
// handshake with its hello and state, a websocket ping (answered with a
// pong), a protocol ping (answered with a JSON pong) and a websocket pong.
// The server's stack memory per connection is measured at many idle
// connections whose clients hold no goroutine, so that only the server's
// goroutines are counted. A reader that grew its stack once (to 4 KB: the
// runtime shrinks a parked stack only when under a quarter is in use) fails.
func TestWSIdleReaderStack(t *testing.T) {
	viewers := 2000
	if testing.Short() {
		viewers = 400
	}
	// The read deadline is extended when it passes (wsReader.extend): the
	// viewers answer pings for three PongWaits, and stay, at 2 KB.
	t.Run("deadline extended", func(t *testing.T) { testReaderStack(t, viewers, time.Second) })
	t.Run("idle", func(t *testing.T) { testReaderStack(t, viewers, 0) })
}

// testReaderStack measures the server's stack per idle viewer. With a
// pongWait, the viewers then send pongs for three of it before the
// measurement, which must find every one of them still connected.
func testReaderStack(t *testing.T, viewers int, pongWait time.Duration) {
	cfg := Config{MaxViewersPerAddress: 2 * viewers, ConnBurst: 2 * viewers, ConnRate: DefaultConnRate}
	if pongWait > 0 {
		cfg.PongWait, cfg.PingPeriod = pongWait, pongWait/2
	}
	ts := startServer(t, cfg)
	d := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}

	// A first connection and its exchange, then a settled runtime: what is
	// measured is what each further viewer adds.
	exchange := func(i int) *websocket.Conn {
		c, resp, err := d.Dial(ts.ws+"?view=tab", nil)
		if err != nil {
			if resp != nil {
				t.Fatalf("viewer %d: dial: %v (HTTP %d)", i, err, resp.StatusCode)
			}
			t.Fatalf("viewer %d: dial: %v", i, err)
		}
		pongs := 0
		c.SetPongHandler(func(string) error { pongs++; return nil })
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := c.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(time.Second)); err != nil {
			t.Fatalf("viewer %d: ping: %v", i, err)
		}
		if err := c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","client_time_ms":7}`)); err != nil {
			t.Fatalf("viewer %d: protocol ping: %v", i, err)
		}
		// A pong the server did not ask for is allowed (RFC 6455 5.5.3) and
		// takes the path of the answer to the hub's ping.
		if err := c.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second)); err != nil {
			t.Fatalf("viewer %d: pong: %v", i, err)
		}
		for jsonPong := false; !jsonPong || pongs == 0; {
			_, data, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("viewer %d: reading the answers (%d pong frames so far): %v", i, pongs, err)
			}
			var m struct{ Type string }
			json.Unmarshal(data, &m)
			jsonPong = jsonPong || m.Type == "pong"
		}
		return c
	}
	first := exchange(-1)
	defer first.Close()
	settle := func(want int) (stack uint64, goroutines int) {
		t.Helper()
		if !testserver.Eventually(10*time.Second, func() bool { return ts.hub.Total() == want }) {
			t.Fatalf("%d subscribers, want %d", ts.hub.Total(), want)
		}
		var ms runtime.MemStats
		for range 3 { // dead goroutines' stacks are freed at a collection
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		return ms.StackInuse, runtime.NumGoroutine()
	}
	stack0, g0 := settle(1)
	conns := make([]*websocket.Conn, viewers)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	// Pongs from every viewer connected so far, at a quarter of pongWait,
	// as browsers answer the hub's pings: from the first viewer on, so that
	// none misses its deadline while the others connect on a busy machine.
	var connected atomic.Int64 // conns[:connected] are open
	var pongErr atomic.Value
	stop := make(chan struct{})
	var ponging sync.WaitGroup
	stopPonging := sync.OnceFunc(func() { close(stop); ponging.Wait() })
	defer stopPonging() // before the viewers close, also when the test fails
	if pongWait > 0 {
		ponging.Add(1)
		go func() {
			defer ponging.Done()
			tick := time.NewTicker(pongWait / 4)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				first.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second))
				for i, c := range conns[:connected.Load()] {
					if err := c.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second)); err != nil {
						pongErr.CompareAndSwap(nil, fmt.Errorf("viewer %d: pong: %w", i, err))
						return
					}
				}
			}
		}()
	}
	for i := range conns {
		conns[i] = exchange(i)
		connected.Store(int64(i + 1))
	}
	if pongWait > 0 {
		// Every reader's deadline passes and is extended at least twice.
		time.Sleep(3 * pongWait)
	}
	stopPonging()
	if err, _ := pongErr.Load().(error); err != nil {
		t.Fatal(err)
	}
	stack1, g1 := settle(viewers + 1)
	perConn := float64(stack1-stack0) / float64(viewers)
	perG := float64(g1-g0) / float64(viewers)
	t.Logf("%d idle viewers: %.0f bytes of stack and %.2f goroutines each (StackInuse %d -> %d, goroutines %d -> %d)",
		viewers, perConn, perG, stack0, stack1, g0, g1)
	if perG > 1.05 {
		t.Errorf("%.2f goroutines a viewer, want one (its reader)", perG)
	}
	// One 2 KB stack a viewer, and some slack for stacks the runtime keeps
	// in its caches; a grown reader is 4 KB. The race detector's
	// instrumentation deepens every frame: there, only the rest is checked.
	if limit := 2048 * 1.25; perConn > limit && !resRace {
		t.Errorf("%.0f bytes of goroutine stack a viewer, want at most %.0f: the reader's stack grew past 2 KB", perConn, limit)
	}
}
