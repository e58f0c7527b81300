package server

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/confdash/confdash/hub"
	"github.com/fasthttp/websocket"
	contrib "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
)

const (
	// defaultPongWait is how long a silent peer may stay connected: the hub
	// pings every 25 s (below the 60 s idle timeout of common proxies), so a
	// peer that misses two pings in a row is gone (a half-open connection).
	defaultPongWait = 60 * time.Second
	// maxClientMessage bounds what a client may send: a ping is ~50 bytes.
	maxClientMessage = 512
	// drainLimit is how much of an oversized message is read and dropped so
	// that its sender gets the 1009 close cleanly; beyond it, a reset.
	drainLimit = 64 << 10
	drainWait  = time.Second
)

// views are the pages that connect, and the metrics' view label: a fixed set.
var views = map[string]bool{"tab": true, "screen": true, "overlay": true, "stage": true, "admin": true}

// wsParams are a subscription's parameters, checked before the upgrade so a
// bad request gets an HTTP error rather than a websocket that closes at once.
type wsParams struct {
	track, watch, view, assets string
	proto                      int        // the protocol version the page speaks: 1, or 2 with proto=2 (delta.go)
	topic                      string     // the view's topic (audience.go)
	addr                       netip.Addr // as the per-address limits key it
	device                     screenInfo // what the page says about itself (screens.go)
	listed                     bool       // it sent a device id: the fleet lists it
}

// wsPrecheck validates the upgrade request: origin, parameters, capacity.
func (s *Server) wsPrecheck(c *fiber.Ctx) error {
	if !contrib.IsWebSocketUpgrade(c) {
		return apiError(fiber.StatusUpgradeRequired, "upgrade_required", "this endpoint speaks websocket: connect with a websocket client")
	}
	// Every attempt costs a token, refused or not: the limit is on how fast
	// an address may try.
	if ok, err := s.limitUpgrade(c); !ok {
		return err
	}
	if !s.originAllowed(c) {
		s.m.upgradesRejected.WithLabelValues("origin").Inc()
		return apiError(fiber.StatusForbidden, "origin_not_allowed", "websocket connections are accepted from this server's own pages; add your origin with --allowed-origins")
	}
	p := wsParams{
		track:  c.Query("track"),
		watch:  c.Query("watch"),
		view:   c.Query("view", "tab"),
		assets: c.Query("v"),
		proto:  protocolV1,
	}
	switch c.Query("proto") {
	case "", "1":
	case "2":
		p.proto = protocolV2
	default:
		s.m.upgradesRejected.WithLabelValues("bad_request").Inc()
		return apiError(fiber.StatusBadRequest, "bad_protocol", "proto must be 1 or 2 (docs/protocol.md); leave it out for 1")
	}
	if !views[p.view] {
		s.m.upgradesRejected.WithLabelValues("bad_request").Inc()
		return apiError(fiber.StatusBadRequest, "bad_view", "view must be one of tab, screen, overlay, stage, admin")
	}
	if p.view == "admin" {
		// The console's topic carries pending announcements, crew notes and
		// viewer counts: the admin token, checked before the upgrade.
		if err := s.checkAdmin(c, wsBearer(c), "offer the admin token (the server's CONFDASH_ADMIN_TOKEN) as the websocket subprotocol 'bearer.' followed by the token in base64url, beside 'confdash.v1'; never in the URL"); err != nil {
			return err
		}
	}
	for _, id := range []*string{&p.track, &p.watch} {
		if *id == "" {
			continue
		}
		cur, ok := s.live.resolveTrack(*id) // a renamed room's former id too
		if !ok {
			s.m.upgradesRejected.WithLabelValues("bad_request").Inc()
			return unknownTrack(*id)
		}
		*id = cur
	}
	// The view's topic for the room's current id (audience.go).
	topic, err := viewTopic(p.view, p.track)
	if err != nil {
		s.m.upgradesRejected.WithLabelValues("bad_request").Inc()
		return err
	}
	// One address is held to its share before the server's total is
	// checked: a host opening sockets in a loop must not take the places of
	// real screens. wsHandler counts the connection (and refuses it if a
	// racing upgrade took the last place meanwhile).
	addr := s.remoteAddr(c)
	if s.lim.sockets.full(addr) {
		s.m.upgradesRejected.WithLabelValues("per_address").Inc()
		return apiError(fiber.StatusTooManyRequests, "too_many_connections",
			fmt.Sprintf("your address holds %d connections, the most one address may: close some tabs or screens, then retry", s.cfg.MaxViewersPerAddress))
	}
	if max := s.cfg.MaxViewers; max > 0 && s.viewerTotal.Load() >= int64(max) {
		s.m.upgradesRejected.WithLabelValues("max_viewers").Inc()
		return apiError(fiber.StatusServiceUnavailable, "server_full", "this server holds its maximum number of viewers; try again shortly")
	}
	// The connection outlives the request: copy what it keeps.
	kept := wsParams{
		track: keep(p.track), watch: keep(p.watch),
		view: keep(p.view), assets: keep(p.assets), topic: keep(topic), addr: addr, proto: p.proto,
	}
	if kept.view != "admin" {
		info, ok, aerr := parseScreenInfo(func(k string) string { return c.Query(k) }, kept.view, kept.track, kept.assets)
		if aerr != nil {
			s.m.upgradesRejected.WithLabelValues("bad_request").Inc()
			return aerr
		}
		kept.device, kept.listed = info, ok
	}
	c.Locals("ws", kept)
	keepUpgradeHeaders(c)
	return c.Next()
}

// wsProtocol is the subprotocol the console offers beside its token, and
// the one the server selects: a browser fails a handshake whose answer
// names none of the subprotocols it offered, and the token must never be
// echoed.
const wsProtocol = "confdash.v1"

// wsBearerPrefix starts the subprotocol that carries the admin token,
// base64url-encoded without padding (a subprotocol is an HTTP token): a
// browser's WebSocket can set no Authorization header, and a token in the
// URL ends up in the access logs of every proxy on the way. Kubernetes'
// API server takes its bearer token the same way
// (base64url.bearer.authorization.k8s.io.TOKEN).
const wsBearerPrefix = "bearer."

// wsBearer is the admin token an upgrade request offers as a subprotocol,
// as an Authorization value ("" when none). The subprotocol header keeps
// the other subprotocols only, so the token is neither kept with the
// connection's headers (keepUpgradeHeaders) nor ever selected.
func wsBearer(c *fiber.Ctx) string {
	tok := ""
	var others []string
	for _, p := range strings.Split(c.Get(fiber.HeaderSecWebSocketProtocol), ",") {
		p = strings.TrimSpace(p)
		if enc, ok := strings.CutPrefix(p, wsBearerPrefix); ok {
			if b, err := base64.RawURLEncoding.DecodeString(enc); err == nil {
				tok = string(b)
			}
		} else if p != "" {
			others = append(others, p)
		}
	}
	if len(others) == 0 {
		c.Request().Header.Del(fiber.HeaderSecWebSocketProtocol)
	} else {
		c.Request().Header.Set(fiber.HeaderSecWebSocketProtocol, strings.Join(others, ", "))
	}
	if tok == "" {
		return ""
	}
	return "Bearer " + tok
}

// upgradeHeaders are the request headers the websocket upgrade reads.
var upgradeHeaders = map[string]bool{
	"Connection": true, "Upgrade": true, "Origin": true, "Host": true,
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true,
	"Sec-Websocket-Protocol": true, "Sec-Websocket-Extensions": true,
}

// keepUpgradeHeaders drops every other request header before the upgrade:
// contrib/websocket copies all headers and cookies into maps that live as
// long as the connection, and a browser sends a kilobyte of them (user
// agent, languages, cookies) that confdash never reads. Everything needed
// has been read by now.
func keepUpgradeHeaders(c *fiber.Ctx) {
	h := &c.Request().Header
	var drop []string
	h.VisitAll(func(k, _ []byte) {
		if !upgradeHeaders[string(k)] {
			drop = append(drop, string(k))
		}
	})
	for _, k := range drop {
		h.Del(k)
	}
}

// originAllowed implements same-origin by default: a browser sends Origin on
// every websocket upgrade, and a page from another site must not be able to
// open one with the user's network position (cross-site websocket
// hijacking). Non-browser clients send no Origin and are allowed. The
// server's own origin is its host with https, or with http when the request
// came over http; host and scheme are taken from X-Forwarded-Host and -Proto
// only when a trusted proxy sent them (requestHost, requestScheme).
func (s *Server) originAllowed(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	host, ok := s.requestHost(c)
	if !ok {
		return false
	}
	// An https page of this host is always its own: a TLS proxy that is not
	// (yet) in --trusted-proxies forwards plain http, and refusing its pages
	// would break every screen behind it. A plain-http page is its own only
	// when the request itself came over http: on an https site it could be a
	// page injected on the way.
	return strings.EqualFold(origin, "https://"+host) ||
		(s.requestScheme(c) == "http" && strings.EqualFold(origin, "http://"+host))
}

// wsHandler runs on fasthttp's goroutine for the hijacked connection: it
// subscribes the connection (the deep one-time work: the hello, the state,
// the first writes), hands it to a reader goroutine of its own (wsReader)
// and returns. Returning releases what fasthttp and contrib/websocket hold
// for the handler's duration (the request context with its parsed headers
// and arguments, contrib's copies of them: about 4.5 KB a viewer); the
// server runs with KeepHijackedConns, so the connection stays open and the
// reader closes it. From here on only the fasthttp/websocket Conn and the
// connection beneath are used: contrib's Conn goes back to its pool.
func (s *Server) wsHandler(c *contrib.Conn) {
	p, _ := c.Locals("ws").(wsParams)
	ws := c.Conn
	watch := p.track
	if watch == "" {
		watch = p.watch
	}
	counted := p.view != "admin"

	// The read deadline is extended by the reader when it passes and the
	// client has answered a ping since (wsReader.read).
	ws.SetReadDeadline(time.Now().Add(s.cfg.PongWait))

	if !s.lim.sockets.acquire(p.addr) {
		// Another upgrade from the address took its last place since
		// wsPrecheck looked.
		s.m.upgradesRejected.WithLabelValues("per_address").Inc()
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "too many connections from your address"), time.Now().Add(time.Second))
		ws.Close()
		return
	}
	conn := newWSConn(ws)
	client := s.subscribe(conn, p, watch, counted)
	if client == nil {
		s.lim.sockets.release(p.addr)
		ws.Close()
		return
	}
	now := time.Now()
	r := &wsReader{
		s: s, nc: ws.NetConn(), conn: conn, client: client, p: &p, watch: watch,
		budget: newPingBudget(now), pongWait: s.cfg.PongWait, lastPong: now,
	}
	go r.run()
}

// subscribe registers a new connection with the hub, its hello, the
// current state and viewer counts queued first, and counts it. It returns
// nil, having sent 1001, when the server is shutting down.
func (s *Server) subscribe(conn *wsConn, p wsParams, watch string, counted bool) *hub.Client {
	// The current counts, so an admin console that just signed in does not
	// wait for the next arrival to see them; a page that is not sent counts
	// gets none here either (publishViewers).
	var tail [][]byte
	if s.seesViewers(p.view) {
		tail = append(tail, s.currentViewersMessage())
	}
	// Counted before the hello is queued: whoever has read the hello sees
	// this viewer in the counts and the metrics.
	s.m.connOpened.WithLabelValues(p.view).Inc()
	if counted {
		s.viewerTotal.Add(1)
		s.viewerDelta(watch, p.view, 1)
	}
	hubTopic := p.topic
	if p.proto == protocolV2 {
		hubTopic = v2Topic(p.topic)
	}
	client, err := s.live.subscribe(hubTopic, conn, func(version string) [][]byte {
		head := [][]byte{mustJSON(helloMsg{"hello", p.proto, s.clock.Now().UnixMilli(), version, s.assets.version})}
		if p.assets != "" && p.assets != s.assets.version {
			head = append(head, []byte(`{"type":"reload"}`))
		}
		return head
	}, tail...)
	if err != nil { // shutting down
		if counted {
			s.viewerTotal.Add(-1)
			s.viewerDelta(watch, p.view, -1)
		}
		conn.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		return nil
	}
	if p.listed {
		s.screens.connected(p.device, client, s.assets.version, time.Now())
	}
	return client
}

// answer handles one text message from a client: a ping gets a pong, and
// anything else closes the connection (it returns false then).
func (s *Server) answer(client *hub.Client, budget *pingBudget, data []byte, p wsParams) bool {
	msg, err := decodeClientMessage(data)
	if err != nil {
		client.Close(websocket.ClosePolicyViolation, err.Error(), hub.ReasonPolicy)
		return false
	}
	if !budget.take(time.Now()) {
		client.Close(websocket.ClosePolicyViolation, errPingFlood.Error(), hub.ReasonPolicy)
		return false
	}
	if msg.Type == "resync" {
		if p.proto != protocolV2 {
			client.Close(websocket.ClosePolicyViolation, errNotUnderstood.Error(), hub.ReasonPolicy)
			return false
		}
		s.live.resync(p.topic, client)
		return true
	}
	if p.listed {
		s.screens.seen(p.device.ID, client, msg.OffsetMS, time.Now())
	}
	client.Send(mustJSON(struct {
		Type         string `json:"type"`
		ClientTimeMS int64  `json:"client_time_ms"`
		ServerTimeMS int64  `json:"server_time_ms"`
	}{"pong", msg.ClientTimeMS, s.clock.Now().UnixMilli()}))
	return true
}

// clientMsg is what a client may send: the protocol has one message,
// {"type":"ping","client_time_ms":N}, which may carry the page's measured
// clock offset ("offset_ms", for the screens fleet).
type clientMsg struct {
	Type         string
	ClientTimeMS int64
	OffsetMS     *int64
}

// The reasons of the 1008 and 1009 closes for client messages (a close
// reason must fit in 123 bytes).
var (
	errNotUnderstood = errors.New(`not understood: send {"type":"ping","client_time_ms":N}`)
	errTooLarge      = errors.New("message larger than 512 bytes")
	errBadOffset     = errors.New("offset_ms must be whole milliseconds within a century")
	errPingFlood     = errors.New("too many pings: at most 10 at once, then one per 5 s")
)

// decodeClientMessage decodes one text message from a client. Anything but a
// ping with an integer client time is an error, as is a message over
// maxClientMessage bytes (the reader stops reading before that).
func decodeClientMessage(data []byte) (clientMsg, error) {
	if len(data) > maxClientMessage {
		return clientMsg{}, errTooLarge
	}
	var msg struct {
		Type         string `json:"type"`
		ClientTimeMS *int64 `json:"client_time_ms"`
		OffsetMS     *int64 `json:"offset_ms"`
	}
	// Text frames must be UTF-8 (RFC 6455); encoding/json would let invalid
	// bytes through as U+FFFD.
	if !utf8.Valid(data) || json.Unmarshal(data, &msg) != nil {
		return clientMsg{}, errNotUnderstood
	}
	if msg.Type == "resync" { // protocol version 2: send me the full state
		return clientMsg{Type: msg.Type}, nil
	}
	if msg.Type != "ping" || msg.ClientTimeMS == nil {
		return clientMsg{}, errNotUnderstood
	}
	if o := msg.OffsetMS; o != nil && (*o < -maxOffsetMS || *o > maxOffsetMS) {
		return clientMsg{}, errBadOffset
	}
	return clientMsg{Type: msg.Type, ClientTimeMS: *msg.ClientTimeMS, OffsetMS: msg.OffsetMS}, nil
}

type helloMsg struct {
	Type            string `json:"type"`
	Protocol        int    `json:"protocol"`
	ServerTimeMS    int64  `json:"server_time_ms"`
	ScheduleVersion string `json:"schedule_version"`
	Assets          string `json:"assets"`
}

func quote(s string) string { return string(mustJSON(s)) }
