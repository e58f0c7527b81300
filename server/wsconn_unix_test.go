//go:build unix

package server

import (
	"io"
	"net"
	"syscall"
	"testing"
)

// rawSocket returns a TCP connection to a peer that reads and discards
// everything, as its RawConn.
func rawSocket(t testing.TB) syscall.RawConn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(io.Discard, c)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A broadcast makes one tryWrite per viewer: it must not allocate.
func TestTryWriteAllocatesNothing(t *testing.T) {
	if resRace {
		t.Log("the race detector makes sync.Pool drop items at random: allocations not counted")
	}
	raw := rawSocket(t)
	frame := make([]byte, 300)
	allocs := testing.AllocsPerRun(1000, func() {
		if n, err := tryWrite(raw, frame); err != nil || n != len(frame) {
			t.Fatalf("tryWrite = %d, %v; want %d bytes written", n, err, len(frame))
		}
	})
	if allocs > 0 && !resRace {
		t.Errorf("tryWrite makes %.1f allocations a write, want none", allocs)
	}
}

// BenchmarkTryWrite is one viewer's share of a broadcast: a 300-byte frame
// written to a socket without waiting.
func BenchmarkTryWrite(b *testing.B) {
	raw := rawSocket(b)
	frame := make([]byte, 300)
	b.ReportAllocs()
	for b.Loop() {
		tryWrite(raw, frame)
	}
}
