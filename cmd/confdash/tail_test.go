package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// serveInProcess runs `confdash serve` through run() with args until the
// test ends, and returns the URL it serves on.
func serveInProcess(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout := newLineWriter()
	exited := make(chan error, 1)
	t.Setenv("CONFDASH_ADMIN_TOKEN", "")
	t.Setenv("CONFDASH_ADMIN_TOKEN_FILE", "")
	go func() {
		exited <- run(ctx, append([]string{"serve", "--state", filepath.Join(t.TempDir(), "state.json")}, args...), stdout, &lockedWriter{w: new(strings.Builder)})
	}()
	url := servingURL(t, stdout.lines, exited)
	t.Cleanup(func() {
		cancel()
		if err := <-exited; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return url
}

// TestTailIPv6: tail and healthcheck reach a server listening on the IPv6
// loopback, given as a bare [::1]:PORT the way --addr takes it.
func TestTailIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatalf("this test needs IPv6 on the loopback: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	url := serveInProcess(t, "--addr", addr, "--schedule", "testdata/good.yaml", "--at", "2026-10-06T09:40:00-07:00")
	if want := "http://" + addr; url != want {
		t.Fatalf("serving on %s, want %s", url, want)
	}
	out, _, err := runCmd(t, "tail", "--once", addr)
	if err != nil || !strings.Contains(out, "A Deep Dive") {
		t.Errorf("tail --once %s = %v\n%s", addr, err, out)
	}
	out, _, err = runCmd(t, "healthcheck", "--addr", addr)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Errorf("healthcheck --addr %s = %q, %v; want ok", addr, out, err)
	}
}

func TestWSURL(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"http://localhost:8080", "ws://localhost:8080/ws?view=tab"},
		{"https://conf.example.org/dash/", "wss://conf.example.org/dash/ws?view=tab"},
		{"[::1]:8080", "ws://[::1]:8080/ws?view=tab"},
		{"http://[::1]:8080", "ws://[::1]:8080/ws?view=tab"},
		{"localhost:8080", "ws://localhost:8080/ws?view=tab"},
	} {
		if got, err := wsURL(tc.base, ""); err != nil || got != tc.want {
			t.Errorf("wsURL(%q) = %q, %v; want %q", tc.base, got, err, tc.want)
		}
	}
	for _, bad := range []string{"ftp://host/", ":8080", "http://"} {
		if got, err := wsURL(bad, ""); err == nil {
			t.Errorf("wsURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestLocalURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080",
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"[::]:8080":      "http://[::1]:8080",
		"[::1]:8080":     "http://[::1]:8080",
		"10.0.0.5:8080":  "http://10.0.0.5:8080",
		"localhost:9000": "http://localhost:9000",
	} {
		if got, err := localURL(addr); err != nil || got != want {
			t.Errorf("localURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if got, err := localURL("8080"); err == nil {
		t.Errorf("localURL(8080) = %q, want an error", got)
	}
}
