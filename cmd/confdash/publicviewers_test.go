package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/gorilla/websocket"
)

// TestPublicViewerCounts: serve sends the viewer counts to a public page
// only with CONFDASH_PUBLIC_VIEWER_COUNTS (--public-viewer-counts).
func TestPublicViewerCounts(t *testing.T) {
	for _, env := range []string{"", "true"} {
		t.Run("env="+env, func(t *testing.T) {
			t.Setenv("CONFDASH_ADMIN_TOKEN", "")
			t.Setenv("CONFDASH_ADMIN_TOKEN_FILE", "")
			t.Setenv("CONFDASH_PUBLIC_VIEWER_COUNTS", env)
			state := filepath.Join(t.TempDir(), "state.json")
			ctx, cancel := context.WithCancel(context.Background())
			stdout := newLineWriter()
			var stderr testserver.LockedBuffer
			exited := make(chan error, 1)
			go func() {
				exited <- run(ctx, []string{"serve", "--addr", freeAddr(t), "--schedule", "testdata/good.yaml", "--state", state,
					"--at", "2026-10-06T09:40:00-07:00"}, stdout, &stderr)
			}()
			t.Cleanup(func() { cancel(); <-exited })
			url := servingURL(t, stdout.lines, exited)

			c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws?view=tab", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// The counts come right after the first state, before the pong
			// that answers a ping sent now.
			if err := c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","client_time_ms":1}`)); err != nil {
				t.Fatal(err)
			}
			viewers := false
			for {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, raw, err := c.ReadMessage()
				if err != nil {
					t.Fatalf("waiting for the pong: %v", err)
				}
				var m struct{ Type string }
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatalf("message %s: %v", raw, err)
				}
				if m.Type == "pong" {
					break
				}
				viewers = viewers || m.Type == "viewers"
			}
			if want := env == "true"; viewers != want {
				t.Errorf("CONFDASH_PUBLIC_VIEWER_COUNTS=%q: the tab was sent viewer counts: %v, want %v", env, viewers, want)
			}
		})
	}
}
