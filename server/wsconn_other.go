//go:build !unix

package server

import "syscall"

// tryWrite takes nothing here: outside Unix the standard library offers no
// socket write that returns instead of waiting, so the hub's writer
// goroutine writes every frame with WriteFrame and its deadline. That costs
// a goroutine while a connection has something to write, and nothing when
// it is idle.
func tryWrite(syscall.RawConn, []byte) (int, error) { return 0, nil }
