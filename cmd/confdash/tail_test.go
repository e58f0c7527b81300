package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confdash/confdash/internal/testserver"
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
		exited <- run(ctx, append([]string{"serve", "--state", filepath.Join(t.TempDir(), "state.json")}, args...), stdout, new(testserver.LockedBuffer))
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

// hostile is a schedule whose texts try to drive the terminal: set the
// window title (OSC 0), clear the screen, reverse the text that follows.
const hostile = `name: "Evil\e]0;pwn\aConf"
timezone: America/Los_Angeles
tracks:
  - {id: hall, name: "Hall\u202e"}
sessions:
  - id: s
    track: hall
    title: "Talk \x1b]0;pwn\x07 then \x1b[2J clear"
    start: 2026-10-06 09:00
    end: 2026-10-06 10:00
    speakers:
      - {name: "Cy\u2066 Example\x9b"}
`

// TestTerminalEscapes: check and tail print a schedule's texts with their
// control characters shown, not sent to the terminal.
func TestTerminalEscapes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hostile.yaml")
	if err := os.WriteFile(path, []byte(hostile), 0o644); err != nil {
		t.Fatal(err)
	}
	checkOut, checkErr, err := runCmd(t, "check", path)
	if err != nil {
		t.Fatalf("check: %v\n%s", err, checkErr)
	}
	url := serveInProcess(t, "--addr", "127.0.0.1:0", "--schedule", path, "--at", "2026-10-06T09:30:00-07:00")
	tailOut, tailErr, err := runCmd(t, "tail", "--once", url)
	if err != nil {
		t.Fatalf("tail: %v\n%s", err, tailErr)
	}
	for name, out := range map[string]string{"check": checkOut + checkErr, "tail": tailOut + tailErr} {
		if i := strings.IndexFunc(out, func(r rune) bool { return r != '\n' && unsafeRune(r) }); i >= 0 {
			t.Errorf("%s printed the control character %U:\n%q", name, []rune(out[i:])[0], out)
		}
	}
	if want := `Evil\x1b]0;pwn\x07Conf`; !strings.Contains(checkOut, want) {
		t.Errorf("check output lacks %s:\n%s", want, checkOut)
	}
	for _, want := range []string{`Evil\x1b]0;pwn\x07Conf`, `Hall\u202e`, `Talk \x1b]0;pwn\x07 then \x1b[2J clear`, `Cy\u2066 Example\x9b`} {
		if !strings.Contains(tailOut, want) {
			t.Errorf("tail output lacks %s:\n%s", want, tailOut)
		}
	}
}

func TestTermSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcode — fine": "plain text, ünïcode — fine",
		"a\x1b[2Jb":                  `a\x1b[2Jb`,
		"line\nbreak\ttab\x7f":       `line\x0abreak\x09tab\x7f`,
		"\u202aLRE\u2069":            `\u202aLRE\u2069`,
		"bad \xff byte":              "bad \uFFFD byte",
	} {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
	if got, want := termSafeLines("one\x1b\ntwo"), "one\\x1b\ntwo"; got != want {
		t.Errorf("termSafeLines = %q, want %q", got, want)
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
