package floor

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The floor is the reference the benchmarks compare confdash with: the least
// a Go server must do for the same work on the same machine. It is
// gorilla/websocket's chat example reduced to a broadcast: net/http, one
// reader and one writer goroutine per connection, a bounded queue (64
// messages, as confdash's hub, where the example has 256), each message encoded once and written to every connection, and
// nothing else (no schedule, no metrics, no logging per connection, no
// persistence). It speaks just enough of docs/protocol.md for the same load
// generator to measure it: hello, a state, and POST /api/v1/announcements
// (with confdash's token check) broadcasting an announcement followed by the
// new state, as confdash does.
const (
	floorQueue      = 64 // messages per connection, as confdash's hub
	floorPingPeriod = 25 * time.Second
	floorPongWait   = 60 * time.Second
	floorWriteWait  = 10 * time.Second
	floorMaxMessage = 512
	// shutdownTimeout bounds a graceful stop, as confdash serve's does.
	shutdownTimeout = 5 * time.Second
)

// Floor is the reference broadcaster; New makes one, Serve runs it.
type Floor struct {
	token      string
	stateBytes int // padding that makes the state document as large as confdash's
	upgrader   websocket.Upgrader

	mu      sync.Mutex
	clients map[*floorClient]struct{}
	anns    []floorAnnouncement
	state   []byte // the state message, encoded once per change
	closed  bool
}

type floorClient struct {
	conn *websocket.Conn
	send chan []byte
}

type floorAnnouncement struct {
	ID      string    `json:"id"`
	Text    string    `json:"text"`
	Created time.Time `json:"created"`
}

// New returns a floor whose admin API takes token, with stateBytes of
// padding in its state document.
func New(token string, stateBytes int) *Floor {
	f := &Floor{
		token:      token,
		stateBytes: stateBytes,
		clients:    map[*floorClient]struct{}{},
		// The chat example's buffers: larger messages go out in several
		// frames, and the handler returns, so net/http's own per-connection
		// buffers and goroutine are released.
		upgrader: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024},
	}
	f.state = f.encodeState()
	return f
}

// encodeState is called with mu held (or before the floor is shared).
func (f *Floor) encodeState() []byte {
	b, _ := json.Marshal(map[string]any{"type": "state", "state": map[string]any{
		"schedule_version": "floor",
		"at":               time.Now().UTC(),
		"conference":       map[string]string{"name": "floor", "timezone": "UTC"},
		"tracks":           []any{},
		"announcements":    f.anns,
		"next_change":      nil,
		"padding":          strings.Repeat("x", f.stateBytes),
	}})
	return b
}

func (f *Floor) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /ws", f.serveWS)
	mux.HandleFunc("GET /api/v1/state", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		doc := f.state
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		// A length, not chunks: net/http chunks bodies over 2 KB otherwise.
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		w.Write(doc)
	})
	mux.HandleFunc("GET /api/v1/admin", f.admin(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	mux.HandleFunc("POST /api/v1/announcements", f.admin(f.postAnnouncement))
	mux.HandleFunc("DELETE /api/v1/announcements/{id}", f.admin(f.deleteAnnouncement))
	return mux
}

// admin is confdash's token check: constant time over hashes.
func (f *Floor) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if f.token == "" {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"code":"admin_disabled","message":"set CONFDASH_ADMIN_TOKEN"}}`)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got, want := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(f.token))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !ok {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"code":"unauthorized","message":"wrong token"}}`)
			return
		}
		next(w, r)
	}
}

func (f *Floor) postAnnouncement(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<10)).Decode(&req); err != nil || req.Text == "" {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"code":"bad_json","message":"send {\"text\":\"...\"}"}}`)
		return
	}
	var id [6]byte
	rand.Read(id[:])
	a := floorAnnouncement{ID: hex.EncodeToString(id[:]), Text: req.Text, Created: time.Now().UTC()}
	msg, _ := json.Marshal(map[string]any{"type": "announcement", "action": "add", "id": a.ID, "announcement": a})
	f.mu.Lock()
	f.anns = append(f.anns, a)
	f.state = f.encodeState()
	f.broadcastLocked(msg)
	f.broadcastLocked(f.state)
	f.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(a)
}

func (f *Floor) deleteAnnouncement(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	msg, _ := json.Marshal(map[string]any{"type": "announcement", "action": "remove", "id": id})
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, a := range f.anns {
		if a.ID == id {
			f.anns = append(f.anns[:i:i], f.anns[i+1:]...)
			f.state = f.encodeState()
			f.broadcastLocked(msg)
			f.broadcastLocked(f.state)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, `{"error":{"code":"not_found","message":"no such announcement"}}`)
}

// broadcastLocked queues msg for every client; a client whose queue is full
// is dropped, as in the chat example.
func (f *Floor) broadcastLocked(msg []byte) {
	for c := range f.clients {
		select {
		case c.send <- msg:
		default:
			f.removeLocked(c)
		}
	}
}

func (f *Floor) removeLocked(c *floorClient) {
	if _, ok := f.clients[c]; ok {
		delete(f.clients, c)
		close(c.send)
	}
}

func (f *Floor) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := f.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	c := &floorClient{conn: conn, send: make(chan []byte, floorQueue)}
	hello, _ := json.Marshal(map[string]any{"type": "hello", "protocol": 1, "server_time_ms": time.Now().UnixMilli(), "schedule_version": "floor", "assets": "floor"})
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		conn.Close()
		return
	}
	c.send <- hello
	c.send <- f.state
	f.clients[c] = struct{}{}
	f.mu.Unlock()
	go c.writePump()
	go f.readPump(c)
}

// readPump discards what the client sends; it is there to answer pongs and to
// notice the end of the connection.
func (f *Floor) readPump(c *floorClient) {
	defer func() {
		f.mu.Lock()
		f.removeLocked(c)
		f.mu.Unlock()
	}()
	c.conn.SetReadLimit(floorMaxMessage)
	c.conn.SetReadDeadline(time.Now().Add(floorPongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(floorPongWait)) })
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}

func (c *floorClient) writePump() {
	ticker := time.NewTicker(floorPingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(floorWriteWait))
			if !ok {
				c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""))
				return
			}
			if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		case <-ticker.C:
			c.conn.SetWriteDeadline(time.Now().Add(floorWriteWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// shutdown closes every websocket with 1001 (net/http's Shutdown leaves
// hijacked connections alone).
func (f *Floor) shutdown() {
	f.mu.Lock()
	f.closed = true
	for c := range f.clients {
		f.removeLocked(c)
	}
	f.mu.Unlock()
}

// Serve runs the floor on ln until ctx ends.
func Serve(ctx context.Context, ln net.Listener, f *Floor, log *slog.Logger) error {
	srv := &http.Server{Handler: f.handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	f.shutdown()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	return err
}

// StateBytes is the size of the state message of a floor without padding:
// what `bench compare` subtracts from confdash's to size the padding.
func StateBytes() int { return len(New("", 0).state) }
