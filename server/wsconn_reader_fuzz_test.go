package server

import (
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/fasthttp/websocket"
)

// FuzzWSFrames: whatever bytes a client sends after the upgrade (frames
// whole, cut short, fragmented, oversized, unmasked, or noise), the server's
// frame reader neither panics nor keeps the connection once the client has
// stopped sending, and the server goes on serving. The seeds run with every
// `go test`; `go test ./server/ -run '^$' -fuzz FuzzWSFrames` searches on.
func FuzzWSFrames(f *testing.F) {
	ping := []byte(`{"type":"ping","client_time_ms":5}`)
	x300 := []byte(strings.Repeat("x", 300))
	for _, seed := range [][]byte{
		resFrame(true, websocket.TextMessage, ping),
		slices.Concat(resFrame(false, websocket.TextMessage, ping[:10]), resFrame(true, websocket.PingMessage, []byte("hi")), resFrame(true, 0, ping[10:])),
		slices.Concat(resFrame(false, websocket.TextMessage, x300), resFrame(true, 0, x300)),
		{0x81, 0x80 | 127, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4},
		{0x81, 0x80 | 126, 0xff},
		resFrame(true, websocket.TextMessage, ping, true),
		resFrame(true, websocket.PingMessage, x300[:126]),
		resFrame(true, websocket.CloseMessage, []byte{3, 0xe8, 0xff}),
		resFrame(true, websocket.CloseMessage, []byte{3}),
		resFrame(true, websocket.PongMessage, nil),
		resFrame(true, websocket.BinaryMessage, ping),
		resFrame(true, 0, ping),
		resFrame(true, websocket.TextMessage, ping)[:7],
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ts := startServer(t, Config{AdminToken: adminToken})
		addr := strings.TrimPrefix(ts.base, "http://")
		conn, br := resRawUpgrade(t, addr, "")
		// Read what the server sends while writing, as a client does: a
		// client that does not read is another test (the slow consumer).
		// It ends with a close frame and EOF, or a reset when the server
		// stopped reading before the end of what was sent; not a timeout.
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		read := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, br)
			read <- err
		}()
		if _, err := conn.Write(data); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the server stopped reading %d bytes of frames: %v", len(data), err)
		}
		conn.(*net.TCPConn).CloseWrite() // nothing more comes: the reader must end
		if err := <-read; errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the server kept the connection after the client stopped sending: %v", err)
		}
		if !testserver.Eventually(5*time.Second, func() bool { return ts.hub.Total() == 0 }) {
			t.Fatalf("%d connections left after the client went", ts.hub.Total())
		}
		ts.get(t, "/healthz")
	})
}
