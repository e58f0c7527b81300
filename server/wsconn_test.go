package server

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/hub"
	fws "github.com/fasthttp/websocket"
	"github.com/gorilla/websocket"
)

// TestWSConnOverSocket runs the hub over wsConn on a real socket, both ways
// it can write: trying each frame without waiting first (direct), and
// without that, every frame written by the hub's writer goroutine with its
// deadline (blocking, what platforms without non-blocking socket writes
// do). A message far larger than the socket buffers is cut into partial
// writes; the client must still read every message whole and in order, then
// the hub's close frame, and Close must make the server's reader fail.
func TestWSConnOverSocket(t *testing.T) {
	for _, direct := range []bool{true, false} {
		name := "blocking"
		if direct {
			name = "direct"
		}
		t.Run(name, func(t *testing.T) {
			accepted := make(chan *fws.Conn, 1)
			up := fws.Upgrader{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := up.Upgrade(w, r, nil)
				if err != nil {
					t.Errorf("upgrade: %v", err)
					return
				}
				accepted <- c
			}))
			defer srv.Close()
			client, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			sc := <-accepted
			defer sc.Close()

			w := newWSConn(sc)
			switch {
			case !direct:
				w.raw = nil
			case w.raw == nil:
				t.Fatal("the accepted socket offers no syscall.RawConn")
			}
			h := hub.New(hub.Options{PingPeriod: time.Hour})
			defer h.Close(context.Background())
			cl, err := h.Subscribe("main", w, []byte("hello"))
			if err != nil {
				t.Fatal(err)
			}
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
			h.Publish("main", big)
			h.Publish("main", []byte("after"))
			readErr := make(chan error, 1)
			go func() {
				_, _, err := sc.NextReader()
				readErr <- err
			}()

			for i, want := range [][]byte{[]byte("hello"), big, []byte("after")} {
				client.SetReadDeadline(time.Now().Add(10 * time.Second))
				mt, got, err := client.ReadMessage()
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if mt != websocket.TextMessage || !bytes.Equal(got, want) {
					t.Fatalf("message %d: type %d, %d bytes, want a text message of %d bytes", i, mt, len(got), len(want))
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := h.Close(ctx); err != nil {
				t.Fatal(err)
			}
			<-cl.Done()
			// The server's reader fails at once, before the client has even
			// read the close frame (so it has not answered it).
			select {
			case err := <-readErr:
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("server reader ended with %v, want the timeout Close sets", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the server's reader still reads after the hub closed the connection")
			}
			_, _, err = client.ReadMessage()
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway || ce.Text != "server shutting down" {
				t.Errorf("client read %v, want close 1001 \"server shutting down\"", err)
			}
		})
	}
}
