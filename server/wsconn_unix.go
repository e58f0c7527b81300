//go:build unix

package server

import "syscall"

// tryWrite writes as much of frame as the socket takes with one
// non-blocking write(2): Go keeps its sockets in non-blocking mode beneath
// the poller, and RawConn.Write with a function that reports done never
// waits for the socket to become writable.
func tryWrite(raw syscall.RawConn, frame []byte) (int, error) {
	var n int
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), frame)
			if werr != syscall.EINTR {
				return true // done, whatever happened: never wait for the socket here
			}
		}
	})
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
