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
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The floor is the reference the benchmarks compare confdash with: the least
// a Go server must do for the same work on the same machine. net/http and
// gorilla/websocket; the handler upgrades (a 512-byte read buffer, write
// buffers from one shared pool, so an idle connection holds none), writes
// the hello and the state, starts one reader goroutine and returns. A
// broadcast is encoded once (a PreparedMessage) and written to every
// connection directly by GOMAXPROCS goroutines, each over its share of the
// connections, with a write deadline: one frame per broadcast, no queue, no
// writer goroutine. A connection whose write fails or times out is closed.
// Pings go out every 25 s the same way, since a connection must survive the
// proxies' idle timeouts as confdash's do.
//
// It speaks just enough of docs/protocol.md for the same load generator to
// measure it: hello, a state, and POST /api/v1/announcements (with
// confdash's token check), which broadcasts one `announcement` frame padded
// to changeBytes: what confdash sends a viewer for one change, measured by
// `bench compare` from confdash itself, so both servers put the same bytes
// on the wire for each change.
const (
	pingPeriod = 25 * time.Second // below the proxies' 60 s idle timeout, as confdash's
	pongWait   = 60 * time.Second
	writeWait  = 10 * time.Second
	maxMessage = 512
	// shutdownTimeout bounds a graceful stop, as confdash serve's does.
	shutdownTimeout = 5 * time.Second
)

// Floor is the reference broadcaster; New makes one, Serve runs it.
type Floor struct {
	token       string
	stateBytes  int // padding that makes the state document as large as confdash's
	changeBytes int // the size of one broadcast's frame payload
	upgrader    websocket.Upgrader

	// mu serializes every write to the connections: the initial messages of
	// a new one and each broadcast's fan-out (gorilla/websocket allows one
	// writer at a time per connection), and guards conns.
	mu     sync.Mutex
	conns  []*conn
	anns   []announcement
	state  []byte // the state message, encoded once per change
	closed bool
}

type conn struct {
	ws  *websocket.Conn
	idx int // in Floor.conns; -1 once removed
}

type announcement struct {
	ID      string    `json:"id"`
	Text    string    `json:"text"`
	Created time.Time `json:"created"`
	Padding string    `json:"padding,omitempty"`
}

// New returns a floor whose admin API takes token, with stateBytes of
// padding in its state document and each broadcast's message padded to
// changeBytes (0: not padded).
func New(token string, stateBytes, changeBytes int) *Floor {
	f := &Floor{
		token:       token,
		stateBytes:  stateBytes,
		changeBytes: changeBytes,
		upgrader: websocket.Upgrader{
			ReadBufferSize:  512,
			WriteBufferPool: &sync.Pool{},
			CheckOrigin:     func(*http.Request) bool { return true },
		},
	}
	f.state = f.encodeState()
	return f
}

// encodeState is called with mu held (or before the floor is shared).
func (f *Floor) encodeState() []byte {
	anns := make([]announcement, len(f.anns))
	for i, a := range f.anns {
		anns[i] = a
		anns[i].Padding = ""
	}
	b, _ := json.Marshal(map[string]any{"type": "state", "state": map[string]any{
		"schedule_version": "floor",
		"at":               time.Now().UTC(),
		"conference":       map[string]string{"name": "floor", "timezone": "UTC"},
		"tracks":           []any{},
		"announcements":    anns,
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
	a := announcement{ID: hex.EncodeToString(id[:]), Text: req.Text, Created: time.Now().UTC()}
	msg := f.changeMessage(map[string]any{"type": "announcement", "action": "add", "id": a.ID, "announcement": &a}, &a)
	f.mu.Lock()
	f.anns = append(f.anns, a)
	f.state = f.encodeState()
	f.broadcastLocked(msg)
	f.mu.Unlock()
	a.Padding = ""
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(a)
}

func (f *Floor) deleteAnnouncement(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var pad announcement
	msg := f.changeMessage(map[string]any{"type": "announcement", "action": "remove", "id": id, "announcement": &pad}, &pad)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, a := range f.anns {
		if a.ID == id {
			f.anns = append(f.anns[:i:i], f.anns[i+1:]...)
			f.state = f.encodeState()
			f.broadcastLocked(msg)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, `{"error":{"code":"not_found","message":"no such announcement"}}`)
}

// changeMessage encodes msg, whose announcement is a, with a's padding
// making it changeBytes long (when it is shorter).
func (f *Floor) changeMessage(msg map[string]any, a *announcement) []byte {
	b, _ := json.Marshal(msg)
	if short := f.changeBytes - len(b) - len(`,"padding":""`); short > 0 {
		a.Padding = strings.Repeat("x", short)
		b, _ = json.Marshal(msg)
	}
	return b
}

// broadcastLocked writes msg, encoded once, to every connection.
func (f *Floor) broadcastLocked(msg []byte) {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, msg)
	if err != nil {
		return
	}
	f.writeAllLocked(pm)
}

// writeAllLocked writes pm to every connection from GOMAXPROCS goroutines,
// each over a contiguous share of them; a connection whose write fails is
// closed (its reader then removes it).
func (f *Floor) writeAllLocked(pm *websocket.PreparedMessage) {
	n := runtime.GOMAXPROCS(0)
	per := (len(f.conns) + n - 1) / n
	if per == 0 {
		return
	}
	deadline := time.Now().Add(writeWait)
	var wg sync.WaitGroup
	for lo := 0; lo < len(f.conns); lo += per {
		share := f.conns[lo:min(lo+per, len(f.conns))]
		wg.Go(func() {
			for _, c := range share {
				c.ws.SetWriteDeadline(deadline)
				if err := c.ws.WritePreparedMessage(pm); err != nil {
					c.ws.Close()
				}
			}
		})
	}
	wg.Wait()
}

func (f *Floor) removeLocked(c *conn) {
	if c.idx < 0 {
		return
	}
	last := f.conns[len(f.conns)-1]
	f.conns[c.idx] = last
	last.idx = c.idx
	f.conns[len(f.conns)-1] = nil
	f.conns = f.conns[:len(f.conns)-1]
	c.idx = -1
}

func (f *Floor) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := f.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	hello, _ := json.Marshal(map[string]any{"type": "hello", "protocol": 1, "server_time_ms": time.Now().UnixMilli(), "schedule_version": "floor", "assets": "floor"})
	c := &conn{ws: ws}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		ws.Close()
		return
	}
	ws.SetWriteDeadline(time.Now().Add(writeWait))
	if ws.WriteMessage(websocket.TextMessage, hello) != nil || ws.WriteMessage(websocket.TextMessage, f.state) != nil {
		f.mu.Unlock()
		ws.Close()
		return
	}
	c.idx = len(f.conns)
	f.conns = append(f.conns, c)
	f.mu.Unlock()
	go f.read(c)
}

// read discards what the client sends; it is there to answer pings and
// close frames (gorilla's default handlers, through WriteControl, which may
// run beside a broadcast's write), to see pongs, and to notice the end of
// the connection.
func (f *Floor) read(c *conn) {
	defer func() {
		f.mu.Lock()
		f.removeLocked(c)
		f.mu.Unlock()
		c.ws.Close()
	}()
	c.ws.SetReadLimit(maxMessage)
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			return
		}
	}
}

// pinger pings every connection every pingPeriod until ctx ends.
func (f *Floor) pinger(ctx context.Context) {
	pm, _ := websocket.NewPreparedMessage(websocket.PingMessage, nil)
	t := time.NewTicker(pingPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.mu.Lock()
			f.writeAllLocked(pm)
			f.mu.Unlock()
		}
	}
}

// shutdown closes every websocket with 1001 (net/http's Shutdown leaves
// hijacked connections alone).
func (f *Floor) shutdown() {
	f.mu.Lock()
	f.closed = true
	conns := f.conns
	for _, c := range conns {
		c.idx = -1
	}
	f.conns = nil
	f.mu.Unlock()
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
	for _, c := range conns {
		c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		c.ws.Close()
	}
}

// Serve runs the floor on ln until ctx ends.
func Serve(ctx context.Context, ln net.Listener, f *Floor, log *slog.Logger) error {
	srv := &http.Server{Handler: f.handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	pctx, stopPings := context.WithCancel(ctx)
	defer stopPings()
	go f.pinger(pctx)
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
func StateBytes() int { return len(New("", 0, 0).state) }
