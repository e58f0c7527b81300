//go:build !linux

package bench

import "syscall"

// bindNoPort is a Linux refinement; elsewhere the kernel picks the port at
// bind time.
func bindNoPort(network, address string, c syscall.RawConn) error { return nil }
