package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
	"unicode/utf8"

	"github.com/confdash/confdash/hub"
	"github.com/fasthttp/websocket"
)

// wsReader reads a connection's frames from its client (RFC 6455 5) for the
// connection's whole life, then ends it. It reads the hijacked connection
// itself rather than through fasthttp/websocket's NextReader: an idle
// viewer's cost is mostly the stack of the goroutine parked in its read, and
// a goroutine keeps a stack it once grew (the runtime halves a stack at a
// collection only when under a quarter of it is in use, which a parked
// reader never is). So the goroutine that waits for frames does nothing
// deep: its frames down to the socket's read fit in the 2 KB a goroutine
// starts with. Anything deeper (answering a ping, a protocol message or a
// close, extending the read deadline) runs on that goroutine, which then
// hands the connection to a fresh one and ends: a client sends one message
// every half minute, and starting a goroutine costs less than answering it.
//
// Only one goroutine reads at a time, as with any websocket reader: the
// next one starts when the previous has finished with the connection.
type wsReader struct {
	s      *Server
	nc     net.Conn // the hijacked connection: it reads what fasthttp buffered first
	conn   *wsConn
	client *hub.Client
	p      *wsParams
	watch  string

	budget   pingBudget
	pongWait time.Duration
	lastPong time.Time // or the connection's start: the read deadline is this plus pongWait
	deep     bool      // this goroutine did something deep: hand the connection on
	between  bool      // reading a frame's first bytes: none of it read yet

	hdr [14]byte // a frame's header: 2 bytes, up to 8 of length, 4 of mask
	msg []byte   // the text message being assembled; nil between messages
	op  byte     // the opcode of the message being assembled, 0 for none
}

// A frame's opcodes (RFC 6455 5.2).
const (
	opContinuation = 0
	opText         = 1
	opBinary       = 2
	opClose        = 8
	opPing         = 9
	opPong         = 10
)

// errProtocol is a frame the protocol forbids: the connection is closed
// with 1002 and the reason.
type errProtocol string

func (e errProtocol) Error() string { return string(e) }

// errOversized is a message over maxClientMessage; rest bytes of its frame
// have not been read, and fin tells whether it is the message's last.
type errOversized struct {
	rest uint64
	fin  bool
}

func (errOversized) Error() string { return errTooLarge.Error() }

// run waits for frames until one needs more than a pong's bookkeeping,
// handles it, and hands the connection to a fresh goroutine (or ends it).
// Its frames are what an idle viewer costs: keep them small.
func (r *wsReader) run() {
	for {
		op, payload, err := r.frame()
		if err == nil && op == opPong && !r.deep {
			// The client's answer to the hub's ping; the deadline is
			// extended only when it passes (read), which is rarer.
			r.lastPong = time.Now()
			continue
		}
		if r.handle(op, payload, err) {
			r.deep = false
			go r.run()
			return
		}
		r.end()
		return
	}
}

// frame reads one frame. It returns a control frame's payload, and
// appends a data frame's to r.msg.
func (r *wsReader) frame() (byte, []byte, error) {
	h0, n, mask, err := r.header()
	if err != nil {
		return 0, nil, err
	}
	fin, op := h0&0x80 != 0, h0&0x0f
	switch op {
	case opClose, opPing, opPong:
		if !fin || n > 125 {
			return 0, nil, errProtocol("control frames must be whole and at most 125 bytes")
		}
		b := make([]byte, n)
		if err := r.read(b); err != nil {
			return 0, nil, err
		}
		unmask(b, mask)
		return op, b, nil
	case opContinuation:
		if r.op == 0 {
			return 0, nil, errProtocol("continuation frame without a message")
		}
	case opText, opBinary:
		if r.op != 0 {
			return 0, nil, errProtocol("new message inside a fragmented one")
		}
		r.op = op
	default:
		return 0, nil, errProtocol(fmt.Sprintf("unknown opcode %d", op))
	}
	have := uint64(len(r.msg))
	if n > maxClientMessage-have {
		return 0, nil, errOversized{rest: n, fin: fin}
	}
	if r.msg == nil {
		// Allocated per message, not per connection: an idle viewer holds
		// no buffer.
		r.msg = make([]byte, 0, maxClientMessage)
	}
	r.msg = r.msg[:have+n]
	if err := r.read(r.msg[have:]); err != nil {
		return 0, nil, err
	}
	unmask(r.msg[have:], mask)
	if !fin {
		return opContinuation, nil, nil
	}
	return r.op, nil, nil
}

// header reads a frame's header: its first byte (FIN, RSV, opcode), its
// payload's length and its mask.
func (r *wsReader) header() (byte, uint64, []byte, error) {
	h := r.hdr[:2]
	r.between = true
	err := r.read(h)
	r.between = false
	if err != nil {
		return 0, 0, nil, err
	}
	masked, n := h[1]&0x80 != 0, uint64(h[1]&0x7f)
	switch {
	case h[0]&0x70 != 0:
		return 0, 0, nil, errProtocol("unexpected reserved bits")
	case !masked:
		return 0, 0, nil, errProtocol("client frames must be masked")
	}
	ext := 0
	switch n {
	case 126:
		ext = 2
	case 127:
		ext = 8
	}
	h = r.hdr[2 : 2+ext+4]
	if err := r.read(h); err != nil {
		return 0, 0, nil, err
	}
	switch ext {
	case 2:
		n = uint64(binary.BigEndian.Uint16(h))
	case 8:
		n = binary.BigEndian.Uint64(h)
	}
	return r.hdr[0], n, h[ext:], nil
}

// read fills b. When the read deadline passes and the client has answered a
// ping since it was set, it extends the deadline and reads on: the deadline
// is lastPong plus pongWait, set when it passes rather than on every pong.
func (r *wsReader) read(b []byte) error {
	for len(b) > 0 {
		n, err := r.nc.Read(b)
		b = b[n:]
		if err == nil {
			continue
		}
		if len(b) == 0 {
			return nil // bytes and an error together: the error comes again next read
		}
		if !r.extend(err) {
			return err
		}
		if r.between && len(b) == 2 {
			// Between frames, as an idle connection is: the next wait is
			// a fresh goroutine's, not this one's with its grown stack.
			return errExtended
		}
	}
	return nil
}

// errExtended ends a read between frames whose deadline was extended.
var errExtended = errors.New("read deadline extended")

// extend reports whether err is a read deadline that passed while the
// connection is alive, and if so sets the next one. It is deep (timers):
// the reader hands the connection on afterwards.
func (r *wsReader) extend(err error) bool {
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || r.conn.closing.Load() {
		return false
	}
	next := r.lastPong.Add(r.pongWait)
	if !next.After(time.Now()) {
		return false
	}
	r.deep = true
	return r.nc.SetReadDeadline(next) == nil
}

// unmask unmasks b, a frame's payload (each frame is masked from its own
// first byte, RFC 6455 5.3).
func unmask(b, mask []byte) {
	for i := range b {
		b[i] ^= mask[i&3]
	}
}

// handle deals with a frame that needs more than the wait for the next one,
// or with the read's error. It reports whether the connection goes on.
func (r *wsReader) handle(op byte, payload []byte, err error) bool {
	client := r.client
	if err == errExtended {
		return true
	}
	if err != nil {
		var pe errProtocol
		var big errOversized
		var ne net.Error
		switch {
		case errors.As(err, &pe):
			client.Close(websocket.CloseProtocolError, string(pe), hub.ReasonPolicy)
		case errors.As(err, &big):
			// Read (and drop) the rest of a moderately oversized message
			// first: closing a socket with unread data makes the kernel send
			// a reset, and the client would see "broken pipe" instead of 1009.
			r.drain(big)
			client.Close(websocket.CloseMessageTooBig, errTooLarge.Error(), hub.ReasonPolicy)
		case errors.As(err, &ne) && ne.Timeout():
			client.Close(websocket.CloseGoingAway, "no pong", hub.ReasonPongTimeout)
		default:
			client.Unsubscribe()
		}
		return false
	}
	switch op {
	case opPong: // after a deadline was extended: only the hand-over
		r.lastPong = time.Now()
		return true
	case opPing:
		// The hub is the connection's only writer (see package hub): a
		// websocket ping is answered through it. Websocket pings and the
		// protocol's pings share one budget.
		if !r.budget.take(time.Now()) {
			client.Close(websocket.ClosePolicyViolation, errPingFlood.Error(), hub.ReasonPolicy)
			return false
		}
		client.SendPong(payload)
		return true
	case opClose:
		// Echo the code (RFC 6455 5.5.1), through the hub too.
		code := websocket.CloseNoStatusReceived
		if len(payload) >= 2 {
			code = int(binary.BigEndian.Uint16(payload))
			if !validCloseCode(code) || !utf8.Valid(payload[2:]) {
				client.Close(websocket.CloseProtocolError, "invalid close code or reason", hub.ReasonPolicy)
				return false
			}
		} else if len(payload) == 1 {
			client.Close(websocket.CloseProtocolError, "invalid close frame", hub.ReasonPolicy)
			return false
		}
		client.Close(code, "", hub.ReasonClient)
		return false
	case opContinuation: // a fragment of a message: read on
		return true
	case opBinary:
		client.Close(websocket.ClosePolicyViolation, "binary messages are not understood", hub.ReasonPolicy)
		return false
	}
	msg := r.msg
	r.msg, r.op = nil, 0
	return r.s.answer(client, &r.budget, msg, *r.p)
}

// drain reads and drops the rest of an oversized message, its further
// fragments too, up to drainLimit bytes and for drainWait at most.
func (r *wsReader) drain(big errOversized) {
	r.lastPong = time.Time{} // read must not extend the drain's deadline
	r.nc.SetReadDeadline(time.Now().Add(drainWait))
	left := int64(drainLimit)
	rest, fin := big.rest, big.fin
	for {
		n, err := io.CopyN(io.Discard, r.nc, int64(min(rest, uint64(left))))
		left -= n
		if err != nil || fin || left <= 0 {
			return
		}
		h0, next, _, err := r.header()
		if err != nil {
			return
		}
		rest, fin = next, h0&0x80 != 0
	}
}

// validCloseCode reports whether a client may send code in a close frame
// (RFC 6455 7.4.1; the registered codes as fasthttp/websocket accepts them):
// 1004 to 1006 and 1015 are never sent in a close frame.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1013:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// end waits for the hub to finish with the connection, closes it, and
// takes it off the counts.
func (r *wsReader) end() {
	<-r.client.Done()
	if r.p.listed {
		r.s.screens.disconnected(r.p.device.ID, r.client, time.Now())
	}
	if r.p.view != "admin" {
		r.s.viewerTotal.Add(-1)
		r.s.viewerDelta(r.watch, r.p.view, -1)
	}
	r.s.lim.sockets.release(r.p.addr)
	r.conn.c.Close()
}
