package floor

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func startFloor(t *testing.T, f *Floor) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, f, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "127.0.0.1:" + strings.Split(ln.Addr().String(), ":")[1]
}

func post(t *testing.T, addr, text string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/announcements", strings.NewReader(`{"text":"`+text+`"}`))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %s", resp.Status)
	}
}

// TestOneFramePerChange: each change reaches every viewer as one message of
// exactly the size asked for (confdash's bytes per change), and nothing else
// (the next message a viewer reads is the next change's).
func TestOneFramePerChange(t *testing.T) {
	const changeBytes = 4321
	addr := startFloor(t, New("tok", 100, changeBytes))
	var viewers []*websocket.Conn
	for range 3 {
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws?view=screen", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for _, want := range []string{`"type":"hello"`, `"type":"state"`} {
			if _, msg, err := ws.ReadMessage(); err != nil || !bytes.Contains(msg, []byte(want)) {
				t.Fatalf("first messages: %.80s, %v; want %s", msg, err, want)
			}
		}
		viewers = append(viewers, ws)
	}
	post(t, addr, "first")
	post(t, addr, "second")
	for i, ws := range viewers {
		for _, text := range []string{"first", "second"} {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("viewer %d: %v", i, err)
			}
			if len(msg) != changeBytes || !bytes.Contains(msg, []byte(`"type":"announcement"`)) || !bytes.Contains(msg, []byte(`"text":"`+text+`"`)) {
				t.Fatalf("viewer %d: %d-byte message %.120s; want the %q announcement in %d bytes", i, len(msg), msg, text, changeBytes)
			}
		}
	}
}

// TestGoneViewerRemoved: a viewer that leaves is removed by its reader, and
// a broadcast afterwards has nobody to write to.
func TestGoneViewerRemoved(t *testing.T) {
	f := New("tok", 0, 0)
	addr := startFloor(t, f)
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.conns)
		f.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still held 10 s after the viewer left", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	post(t, addr, "nobody")
}
