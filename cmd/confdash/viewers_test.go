package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/gorilla/websocket"
)

// dialFrom opens a websocket to url's /ws from the local address ip, the
// way a second host (a venue screen beside a looping attacker) would.
func dialFrom(t *testing.T, url, ip string) (*websocket.Conn, int) {
	t.Helper()
	d := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		return nd.Dial(network, addr)
	}}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws?view=screen&track=hall", nil)
	code := 0
	if resp != nil {
		code = resp.StatusCode
	}
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, code
}

// TestMaxViewersLeavesRoomForOtherAddresses: with --max-viewers and the
// default per-address bound (far above it), one host opening sockets in a
// loop must not take every place: a screen from another address still gets
// in.
func TestMaxViewersLeavesRoomForOtherAddresses(t *testing.T) {
	t.Setenv("CONFDASH_ADMIN_TOKEN", "")
	t.Setenv("CONFDASH_ADMIN_TOKEN_FILE", "")
	t.Setenv("CONFDASH_MAX_VIEWERS_PER_ADDRESS", "")
	state := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	stdout := newLineWriter()
	var stderr testserver.LockedBuffer
	exited := make(chan error, 1)
	go func() {
		exited <- run(ctx, []string{"serve", "--addr", freeAddr(t), "--schedule", "testdata/good.yaml", "--state", state,
			"--at", "2026-10-06T09:10:00-07:00", "--max-viewers", "4"}, stdout, &stderr)
	}()
	t.Cleanup(func() { cancel(); <-exited })
	url := servingURL(t, stdout.lines, exited)

	opened := 0
	for range 4 {
		if _, code := dialFrom(t, url, "127.0.0.1"); code == http.StatusSwitchingProtocols {
			opened++
		}
	}
	if opened == 0 || opened >= 4 {
		t.Errorf("one address opened %d of --max-viewers 4, want some but not all", opened)
	}
	if _, code := dialFrom(t, url, "127.0.0.2"); code != http.StatusSwitchingProtocols {
		t.Fatalf("a screen from another address got %d while one address held %d places, want 101", code, opened)
	}
}

// TestServeRefusesAtBeyondServableYears: a rehearsal clock so close to the
// end of year 9999 that an announcement's week would end past it cannot save
// announcements (every post failed, blaming the disk): serve refuses such an
// --at before it listens.
func TestServeRefusesAtBeyondServableYears(t *testing.T) {
	t.Setenv("CONFDASH_ADMIN_TOKEN", "")
	t.Setenv("CONFDASH_ADMIN_TOKEN_FILE", "")
	for _, at := range []string{"9999-12-31T23:00:00Z", "0000-01-01T00:00:00Z"} {
		ctx, cancel := context.WithCancel(context.Background())
		stdout := newLineWriter()
		exited := make(chan error, 1)
		go func() {
			exited <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--schedule", "testdata/good.yaml",
				"--state", filepath.Join(t.TempDir(), "state.json"), "--at", at}, stdout, io.Discard)
		}()
		select {
		case err := <-exited:
			if err == nil || !strings.Contains(err.Error(), "--at") {
				t.Errorf("--at %s: %v, want it refused", at, err)
			}
		case l := <-stdout.lines:
			cancel()
			<-exited
			t.Errorf("--at %s: serve started (%q), want it refused", at, l)
		}
		cancel()
	}
}
