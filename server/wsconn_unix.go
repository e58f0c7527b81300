//go:build unix

package server

import (
	"sync"
	"syscall"
)

// tryWrite writes as much of frame as the socket takes with one
// non-blocking write(2): Go keeps its sockets in non-blocking mode beneath
// the poller, and RawConn.Write with a function that reports done never
// waits for the socket to become writable.
func tryWrite(raw syscall.RawConn, frame []byte) (int, error) {
	w := rawWrites.Get().(*rawWrite)
	w.frame = frame
	err := raw.Write(w.fn)
	n, werr := w.n, w.err
	w.frame, w.n, w.err = nil, 0, nil
	rawWrites.Put(w)
	if n < 0 {
		n = 0
	}
	switch {
	case err != nil:
		return n, err
	case werr == syscall.EAGAIN:
		return n, nil
	}
	return n, werr
}

// rawWrite is one write's function for RawConn.Write and its results. They
// are pooled because a broadcast makes one write per viewer: a closure over
// the results cost three allocations (72 bytes) a write, 30,000 a change at
// 10,000 viewers.
type rawWrite struct {
	frame []byte
	n     int
	err   error
	fn    func(fd uintptr) bool // write, bound once
}

var rawWrites = sync.Pool{New: func() any {
	w := new(rawWrite)
	w.fn = w.write
	return w
}}

func (w *rawWrite) write(fd uintptr) bool {
	for {
		w.n, w.err = syscall.Write(int(fd), w.frame)
		if w.err != syscall.EINTR {
			return true // done, whatever happened: never wait for the socket here
		}
	}
}
