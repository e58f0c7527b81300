package server

import (
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
)

// wsConn is a websocket connection as the hub sees it (a hub.Conn): the
// hub writes whole frames to the socket beneath, and wsReader reads the
// client's frames from it. The fasthttp/websocket Conn only closes it: its
// reader and writer (and their buffers) are never used.
type wsConn struct {
	c   *websocket.Conn
	nc  net.Conn        // the TCP connection beneath
	raw syscall.RawConn // nc's, for writes that do not wait; nil when nc has none
	// closing tells the reader that its read deadline passed because the
	// hub ends the connection, not for want of a pong (wsReader.extend).
	closing atomic.Bool
}

func newWSConn(c *websocket.Conn) *wsConn {
	w := &wsConn{c: c, nc: c.NetConn()}
	// fasthttp's hijacked connection wraps the TCP one.
	if u, ok := w.nc.(interface{ UnsafeConn() net.Conn }); ok {
		w.nc = u.UnsafeConn()
	}
	if sc, ok := w.nc.(syscall.Conn); ok {
		w.raw, _ = sc.SyscallConn()
	}
	return w
}

// TryWriteFrame writes as much of frame as the socket's send buffer takes
// now. Where the socket offers no write that does not wait, it takes
// nothing, and the hub writes the frame with WriteFrame.
func (w *wsConn) TryWriteFrame(frame []byte) (int, error) {
	if w.raw == nil {
		return 0, nil
	}
	return tryWrite(w.raw, frame)
}

// WriteFrame writes frame, waiting for the socket until deadline. The
// deadline is cleared afterwards: TryWriteFrame would fail on a passed one.
func (w *wsConn) WriteFrame(frame []byte, deadline time.Time) error {
	w.nc.SetWriteDeadline(deadline)
	_, err := w.nc.Write(frame)
	w.nc.SetWriteDeadline(time.Time{})
	return err
}

// Close fails the reader with a past deadline so that it ends and closes
// the connection.
func (w *wsConn) Close() error {
	w.closing.Store(true)
	return w.c.SetReadDeadline(time.Unix(1, 0))
}
