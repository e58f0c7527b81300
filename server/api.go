package server

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/ical"
	contrib "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Limits of what organizers may post: a screen shows an announcement in huge
// type, so it stays short.
const (
	maxAnnouncementRunes = 280
	maxTTL               = 7 * 24 * time.Hour
	maxDelayMinutes      = 720
	maxBodyBytes         = 16 << 10
)

func (s *Server) newApp() *fiber.App {
	// A token read from a file or pasted into an environment file often
	// ends in a newline or a space that no client sends.
	s.cfg.AdminToken = strings.TrimSpace(s.cfg.AdminToken)
	if why := weakToken(s.cfg.AdminToken); s.cfg.AdminToken != "" && why != "" {
		s.log.Warn("the admin token is weak: anyone who guesses it can post to every screen; set CONFDASH_ADMIN_TOKEN to a long random value (openssl rand -hex 24)",
			slog.String("why", why))
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Bits() < 8 || (p.Addr().Is6() && p.Bits() < 32) {
			s.log.Warn("a trusted proxy range this wide takes in clients, which can then name any address in X-Forwarded-For and escape the per-address limits; list only the proxies' own addresses",
				slog.String("trusted_proxies", p.String()))
		}
	}
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		AppName:               "confdash",
		BodyLimit:             maxBodyBytes,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          15 * time.Second,
		IdleTimeout:           90 * time.Second,
		ErrorHandler:          s.errorHandler,
		// Releases fasthttp's per-connection read buffer once a request is
		// read. Without it a websocket keeps that 4 KB buffer for its whole
		// life beneath the websocket's own (the hijack inherits it).
		ReduceMemoryUsage: true,
	})
	// A websocket's handler returns once the connection is subscribed, and
	// the connection lives on (see wsHandler): fasthttp must not close it.
	app.Server().KeepHijackedConns = true
	app.Use(recover.New())
	app.Use(s.observeHTTP)
	app.Use(securityHeaders)
	app.Use(compress.New(compress.Config{Next: func(c *fiber.Ctx) bool {
		// Assets and pages are stored compressed; the state document is
		// small and served at high rates from memory; /ws is hijacked.
		p := c.Path()
		return p == "/ws" || p == "/api/v1/state" || p == "/metrics" || strings.HasPrefix(p, "/assets/") || c.Method() != fiber.MethodGet
	}}))

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.readyz)
	if !s.cfg.SeparateMetrics {
		metrics := s.metricsHandler()
		app.Get("/metrics", func(c *fiber.Ctx) error {
			// Fiber matches routes ignoring case and a trailing slash: the
			// proxies in deploy/ hide exactly /metrics, so the server answers
			// exactly /metrics and nothing like it (/METRICS, /metrics/).
			if c.Path() != "/metrics" {
				return c.Next()
			}
			return metrics(c)
		})
	}
	app.Get("/ws", s.wsPrecheck, contrib.New(s.wsHandler, contrib.Config{
		// Origin is checked in wsPrecheck (same-origin plus --allowed-origins).
		// A client sends only pings of about 50 bytes: a small read buffer
		// (larger messages take a few reads). The write buffer is never
		// used: the hub writes whole frames to the socket itself.
		ReadBufferSize: 256, WriteBufferSize: 256,
	}))

	api := app.Group("/api/v1")
	api.Get("/state", s.getState)
	api.Get("/schedule", s.getSchedule)
	api.Get("/report", s.getReport)
	api.Get("/changes", s.getChanges)
	// The admin guard is on each admin route, not on a group: a group's
	// handlers run for every path under its prefix, so an unknown path or a
	// wrong method would ask for a token (and spend the admin budget)
	// instead of answering 404 or 405.
	admin := func(h fiber.Handler) []fiber.Handler { return []fiber.Handler{s.requireAdmin, s.clusterAdmin, h} }
	api.Get("/admin", admin(func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) })...)
	api.Post("/announcements", admin(s.postAnnouncement)...)
	api.Delete("/announcements/:id", admin(s.deleteAnnouncement)...)
	api.Post("/tracks/:track/delay", admin(s.postDelay)...)
	api.Post("/reload", admin(s.postReload)...)
	app.Get("/schedule.ics", s.getICS)

	app.Get("/", s.page("tab"))
	app.Get("/screen", s.page("screen"))
	app.Get("/screen/:track", s.trackPage("screen"))
	app.Get("/overlay/:track", s.trackPage("overlay"))
	app.Get("/admin", s.page("admin"))
	app.Get("/assets/:version/*", s.getAsset)
	var routes []fiber.Route // filled below, once every route is registered
	app.Use(func(c *fiber.Ctx) error { return noRoute(c, routes) })
	routes = app.GetRoutes(true)
	return app
}

// apiError writes the project's one error shape.
func apiError(c *fiber.Ctx, status int, code, message string) error {
	return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": message}})
}

// noRoute answers a request no route took: 405 with Allow when the path
// is known under other methods, else 404 (JSON, so that an API client reads
// it as the API's own answer). Neither needs a token nor spends a budget.
func noRoute(c *fiber.Ctx, routes []fiber.Route) error {
	var allow []string
	for _, r := range routes {
		if routeMatches(r.Path, c.Path()) && !slices.Contains(allow, r.Method) {
			allow = append(allow, r.Method)
		}
	}
	// A route that declined its own path (/METRICS) is no reason for 405.
	if len(allow) > 0 && !slices.Contains(allow, c.Method()) {
		c.Set(fiber.HeaderAllow, strings.Join(allow, ", "))
		return apiError(c, fiber.StatusMethodNotAllowed, "method_not_allowed", "this path answers only "+strings.Join(allow, ", "))
	}
	if p := strings.ToLower(c.Path()); p == "/api" || strings.HasPrefix(p, "/api/") {
		return apiError(c, fiber.StatusNotFound, "not_found", "no such API endpoint: docs/protocol.md lists them")
	}
	return apiError(c, fiber.StatusNotFound, "not_found", "no such page: the views are /, /screen/{track}, /overlay/{track} and /admin")
}

// routeMatches reports whether path falls under the route pattern as Fiber
// matches it (case-insensitive, a trailing slash ignored, ":name" one
// segment, "*" the rest).
func routeMatches(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range ps {
		if p == "*" {
			return true
		}
		if i >= len(xs) {
			return false
		}
		if strings.HasPrefix(p, ":") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if !strings.EqualFold(p, xs[i]) {
			return false
		}
	}
	return len(ps) == len(xs)
}

// keep copies a string Fiber handed out for this request (c.Method, c.Path,
// c.Route().Path, c.Params, c.Query, c.Get, c.Body): those point into
// fasthttp's buffers, which the next request on the same keep-alive
// connection overwrites. A string that outlives the handler (a metrics
// label, a log attribute, a map key, an error, anything another goroutine
// reads) goes through keep first; one stored without it changes under the
// store's feet (a label "GET" becomes "PUT", and every scrape fails on the
// duplicate series).
func keep(s string) string { return strings.Clone(s) }

// methodLabel bounds the method label to the methods confdash knows: any
// other is "other" (a client may send any token as a method). The values
// are constants, so nothing of the request is kept.
func methodLabel(m string) string {
	for _, known := range []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut,
		fiber.MethodDelete, fiber.MethodPatch, fiber.MethodOptions} {
		if m == known {
			return known
		}
	}
	return "other"
}

// errorMessages are the answers to errors raised before or outside the
// handlers. They are fixed: fasthttp's error for a malformed request quotes
// the request itself (headers, Authorization included), which must never go
// back out or into a log.
var errorMessages = map[int]string{
	fiber.StatusBadRequest:                  "the request is not valid HTTP; nothing was done",
	fiber.StatusRequestEntityTooLarge:       "the body is larger than the server accepts (16 KB)",
	fiber.StatusRequestHeaderFieldsTooLarge: "the request headers are larger than the server accepts (4 KB)",
	fiber.StatusRequestTimeout:              "the request took too long to arrive",
}

func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	// Errors found before routing (a body or headers too large) never went
	// through the middleware.
	setSecurityHeaders(c)
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code := strings.ToLower(strings.ReplaceAll(utils.StatusMessage(fe.Code), " ", "_"))
		msg, ok := errorMessages[fe.Code]
		if !ok {
			msg = utils.StatusMessage(fe.Code)
		}
		return apiError(c, fe.Code, code, msg)
	}
	s.log.Error("request failed", slog.String("path", keep(c.Path())), slog.Any("err", err))
	return apiError(c, fiber.StatusInternalServerError, "internal", "the server failed to answer; the log says why")
}

func securityHeaders(c *fiber.Ctx) error {
	setSecurityHeaders(c)
	return c.Next()
}

func setSecurityHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
}

// observeHTTP records request durations by route pattern (bounded), never
// by raw path.
func (s *Server) observeHTTP(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if c.Path() == "/ws" && c.Response().StatusCode() == fiber.StatusSwitchingProtocols {
		return err // a websocket's life is not a request duration
	}
	status := c.Response().StatusCode()
	if err != nil {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			status = fe.Code
		} else {
			status = fiber.StatusInternalServerError
		}
	}
	// The route is a pattern from the route table, except when the
	// catch-all answered ("/" for any path): then it is "unmatched".
	route := keep(c.Route().Path)
	if route == "/" && c.Path() != "/" {
		route = "unmatched"
	}
	s.m.httpDuration.WithLabelValues(route, methodLabel(c.Method()), strconv.Itoa(status)).Observe(time.Since(start).Seconds())
	return err
}

func metricsHandler(reg *prometheus.Registry) fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
}

func (s *Server) readyz(c *fiber.Ctx) error {
	if s.ctx.Err() != nil {
		return apiError(c, fiber.StatusServiceUnavailable, "shutting_down", "the server is shutting down")
	}
	s.live.mu.Lock()
	v := s.live.sched.Version
	s.live.mu.Unlock()
	if s.cluster != nil && !s.cluster.ready() {
		// 200, not 503: a load balancer must keep sending viewers to an
		// instance that serves the last known state while NATS is away.
		return c.JSON(fiber.Map{"status": "degraded", "schedule_version": v, "reason": s.cluster.status()})
	}
	return c.JSON(fiber.Map{"status": "ready", "schedule_version": v})
}

// getState serves the pre-encoded state document: no encoding per request.
func (s *Server) getState(c *fiber.Ctx) error {
	topic := topicAll
	if t := c.Query("track"); t != "" {
		topic = trackTopic(t)
	}
	s.live.mu.Lock()
	msg, ok := s.live.states[topic]
	s.live.mu.Unlock()
	doc := docOfState(msg)
	if !ok {
		return apiError(c, fiber.StatusNotFound, "unknown_track", "no track "+quote(c.Query("track"))+" in the schedule; see /api/v1/schedule for the track ids")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(doc)
}

func (s *Server) getSchedule(c *fiber.Ctx) error {
	s.live.mu.Lock()
	doc := s.live.schedDoc
	s.live.mu.Unlock()
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(doc)
}

func (s *Server) getICS(c *fiber.Ctx) error {
	track := c.Query("track")
	s.live.mu.Lock()
	sc, adj := s.live.sched, s.live.adj
	s.live.mu.Unlock()
	if _, ok := sc.Track(track); track != "" && !ok {
		return apiError(c, fiber.StatusNotFound, "unknown_track", "no track "+quote(track)+" in the schedule")
	}
	var sessions []schedule.Timed
	for _, t := range sc.Timed(adj) {
		if track == "" || t.Track == track {
			sessions = append(sessions, t)
		}
	}
	var buf bytes.Buffer
	if err := ical.Write(&buf, sc, sessions); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="schedule.ics"`)
	return c.Send(buf.Bytes())
}

func (s *Server) getChanges(c *fiber.Ctx) error {
	s.live.mu.Lock()
	changes := s.live.changes
	s.live.mu.Unlock()
	if changes == nil {
		changes = []schedule.Change{}
	}
	return c.JSON(fiber.Map{"changes": changes})
}

type reportRow struct {
	Track         string    `json:"track"`
	Session       string    `json:"session"`
	Title         string    `json:"title"`
	Start         time.Time `json:"start"`
	PeakViewers   int       `json:"peak_viewers"`
	ViewerMinutes float64   `json:"viewer_minutes"`
	DelayMinutes  int       `json:"delay_minutes"`
}

func (s *Server) getReport(c *fiber.Ctx) error {
	s.live.mu.Lock()
	s.live.accumulateLocked(s.clock.Now())
	sc, adj := s.live.sched, s.live.adj
	rows := make([]reportRow, 0, len(sc.Sessions))
	for _, t := range sc.Timed(adj) {
		st := s.live.stats[t.ID]
		r := reportRow{Track: t.Track, Session: t.ID, Title: t.Title, Start: t.Start.UTC(), DelayMinutes: t.DelayMinutes}
		if st != nil {
			r.PeakViewers, r.ViewerMinutes = st.Peak, float64(int(st.ViewerSeconds/60*10))/10
		}
		rows = append(rows, r)
	}
	s.live.mu.Unlock()
	if c.Query("format") != "csv" {
		return c.JSON(fiber.Map{"sessions": rows})
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"track", "session", "title", "start", "peak_viewers", "viewer_minutes", "delay_minutes"})
	for _, r := range rows {
		w.Write([]string{csvText(r.Track), csvText(r.Session), csvText(r.Title), r.Start.Format(time.RFC3339), strconv.Itoa(r.PeakViewers),
			strconv.FormatFloat(r.ViewerMinutes, 'f', 1, 64), strconv.Itoa(r.DelayMinutes)})
	}
	w.Flush()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="confdash-report.csv"`)
	return c.Send(buf.Bytes())
}

// csvText makes a cell of text from the schedule (a title, an id) inert in
// a spreadsheet: one starting with =, +, -, @, a tab or a carriage return
// would be read as a formula (=HYPERLINK(...) in a talk's title), so it gets
// a leading apostrophe, as the OWASP guidance on CSV injection says. The
// numbers and instants the report writes itself are never passed here and
// stay numbers.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// requireAdmin guards the admin API. The token comes only from the
// environment; it is compared in constant time (hashes of equal length, so
// not even its length leaks) and never logged. The right token is checked
// first and never rate-limited: an organizer behind the venue's NAT must
// not be locked out by attendees (or by anyone, behind a proxy without
// --trusted-proxies). Only a request without it spends its address's admin
// budget, so guessing the token is as slow as that budget.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	if s.cfg.AdminToken == "" {
		return apiError(c, fiber.StatusForbidden, "admin_disabled", "the admin API is off: set CONFDASH_ADMIN_TOKEN in the server's environment and restart it")
	}
	if s.validToken(c.Get(fiber.HeaderAuthorization)) {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Next()
	}
	if ok, err := s.limitAdminFailure(c); !ok {
		return err
	}
	s.lim.adminRejected.WithLabelValues("unauthorized").Inc()
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="confdash"`)
	return apiError(c, fiber.StatusUnauthorized, "unauthorized", "send the admin token as 'Authorization: Bearer TOKEN' (the server's CONFDASH_ADMIN_TOKEN)")
}

// validToken reports whether an Authorization header carries the admin
// token. The scheme is case-insensitive (RFC 7235: "bearer" is "Bearer").
func (s *Server) validToken(header string) bool {
	scheme, tok, _ := strings.Cut(header, " ")
	bearer := strings.EqualFold(scheme, "Bearer")
	got, want := sha256.Sum256([]byte(strings.TrimLeft(tok, " "))), sha256.Sum256([]byte(s.cfg.AdminToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1 && bearer
}

// weakTokens are placeholders that examples and habits put in a token.
var weakTokens = []string{"change-me", "changeme", "admin", "secret", "password", "token", "test"}

// weakToken says why an admin token is easy to guess, or "" when it is not.
func weakToken(tok string) string {
	switch {
	case slices.Contains(weakTokens, strings.ToLower(tok)):
		return "it is a well-known placeholder"
	case utf8.RuneCountInString(tok) < 16:
		return "it is shorter than 16 characters"
	}
	return ""
}

// bodyError is an admin request body refused before anything ran: the
// status and code of its answer, and a message saying what to send instead.
type bodyError struct {
	status        int
	code, message string
}

func (e *bodyError) Error() string { return e.message }

// answerBody writes a bodyError in the project's error shape.
func answerBody(c *fiber.Ctx, err error) error {
	var be *bodyError
	if !errors.As(err, &be) {
		return err
	}
	return apiError(c, be.status, be.code, be.message)
}

func badJSON(msg string) error { return &bodyError{fiber.StatusBadRequest, "bad_json", msg} }

// decodeJSONBody decodes body, which must be exactly one JSON object, into
// v. Unknown fields are errors, so a typo ("minute") is not silently
// ignored.
func decodeJSONBody(body []byte, v any) error {
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return badJSON("the body must be a JSON object as documented in docs/protocol.md")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badJSON("the body must be a JSON object as documented in docs/protocol.md: " + err.Error())
	}
	// Only white space may follow (Decoder.More would let a stray "}" by).
	if len(bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")) != 0 {
		return badJSON("the body must hold exactly one JSON object")
	}
	return nil
}

type announcementRequest struct {
	Text       string `json:"text"`
	Track      string `json:"track"`
	TTLSeconds int    `json:"ttl_seconds"`
}

// parseAnnouncement decodes and checks the body of POST /api/v1/announcements
// (whether the track exists is checked against the running schedule later,
// by checkAnnouncement). The text comes back as screens show it
// (checkAnnouncementText).
func parseAnnouncement(body []byte) (announcementRequest, error) {
	var req announcementRequest
	if err := decodeJSONBody(body, &req); err != nil {
		return req, err
	}
	text, err := checkAnnouncementText(req.Text)
	if err != nil {
		return req, err
	}
	req.Text = text
	// Compared in seconds: a huge ttl_seconds times time.Second would
	// overflow and pass as a short one.
	if req.TTLSeconds < 0 || req.TTLSeconds > int(maxTTL/time.Second) {
		return req, &bodyError{fiber.StatusUnprocessableEntity, "bad_ttl", "ttl_seconds must be between 0 (until removed) and 604800 (a week)"}
	}
	return req, nil
}

// invalid is a field refused with 422: by the admin API in its answer, or
// by the state file's check at start-up in a warning.
func invalid(code, message string) error {
	return &bodyError{fiber.StatusUnprocessableEntity, code, message}
}

// checkAnnouncement is the one check of an announcement, whether an
// organizer posts it or the state file brings it back at start-up: a sound
// id, a text screens can show (checkAnnouncementText), a time to live within
// a week, and a track of the schedule sc. It returns the announcement with
// its text as screens show it.
func checkAnnouncement(a schedule.Announcement, sc *schedule.Schedule) (schedule.Announcement, error) {
	if !validAnnouncementID(a.ID) {
		return a, invalid("bad_id", "the id must be 1 to 64 letters, digits, '-' or '_'")
	}
	text, err := checkAnnouncementText(a.Text)
	if err != nil {
		return a, err
	}
	a.Text = text
	if a.Created.IsZero() {
		return a, invalid("bad_time", "created must be the RFC 3339 instant the announcement was posted")
	}
	if a.Expires != nil && (!a.Expires.After(a.Created) || a.Expires.Sub(a.Created) > maxTTL) {
		return a, invalid("bad_ttl", "expires must lie after created, by a week at most; leave it out to show the announcement until it is removed")
	}
	return a, checkTrack(sc, a.Track, true)
}

// checkDelay is the state file's check of a track's delay; the admin API
// checks the same with parseDelay and checkTrack.
func checkDelay(track string, d schedule.Delay, sc *schedule.Schedule) error {
	if err := checkDelayMinutes(d.Minutes); err != nil {
		return err
	}
	if d.From.IsZero() {
		return invalid("bad_time", "from must be the RFC 3339 instant the delay was set")
	}
	return checkTrack(sc, track, false)
}

// checkTrack refuses a track id the schedule does not have; an empty one
// means every track where that is allowed.
func checkTrack(sc *schedule.Schedule, track string, emptyMeansAll bool) error {
	if track == "" && emptyMeansAll {
		return nil
	}
	if _, ok := sc.Track(track); !ok {
		return errUnknownTrack(track)
	}
	return nil
}

// validAnnouncementID accepts the ids the server makes (12 hex digits) and
// any like them: they appear in URLs (DELETE /api/v1/announcements/{id}) and
// logs, so nothing that needs escaping there.
func validAnnouncementID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// checkAnnouncementText checks an announcement's text and returns it as
// screens show it: one line, trimmed. Screens show it in huge type on one
// line, so line breaks and tabs (pressed or pasted in the admin console's
// text box) become one space each run; any other control character is
// refused, as is a text with nothing visible (only spaces and invisible
// format characters such as U+200B or U+FEFF) and one whose direction
// controls are not closed in order (U+202A..U+202E, U+2066..U+2069): one
// left open can reverse what a screen shows after the text.
func checkAnnouncementText(text string) (string, error) {
	var b strings.Builder
	var open []rune // the embeddings and isolates not closed yet
	inBreak, visible, i := false, false, 0
	for _, r := range text {
		i++ // the character's position, for the messages
		if isLineBreak(r) {
			if !inBreak {
				b.WriteByte(' ')
			}
			inBreak = true
			continue
		}
		inBreak = false
		switch {
		case unicode.IsControl(r):
			return "", invalid("control_character", fmt.Sprintf("text contains the control character U+%04X at character %d: remove it (announcements are plain text)", r, i))
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			var ok bool
			if open, ok = balanceBidi(open, r); !ok {
				return "", invalid("unbalanced_bidi", fmt.Sprintf("text has an unmatched direction control U+%04X at character %d: remove it, or close each U+202A..U+202E with U+202C and each U+2066..U+2068 with U+2069, innermost first", r, i))
			}
		case !unicode.IsSpace(r) && !unicode.In(r, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp):
			visible = true
		}
		b.WriteRune(r)
	}
	if len(open) > 0 {
		return "", invalid("unbalanced_bidi", fmt.Sprintf("text leaves the direction control U+%04X open: close it (U+202C for U+202A..U+202E, U+2069 for U+2066..U+2068) or remove it", open[len(open)-1]))
	}
	text = strings.TrimSpace(b.String())
	switch {
	case text == "":
		return "", invalid("empty_text", "text is required: write the announcement's words")
	case !visible:
		return "", invalid("no_visible_text", "text has no visible characters, only spaces or invisible formatting characters (such as U+200B): write the announcement's words")
	case utf8.RuneCountInString(text) > maxAnnouncementRunes:
		return "", invalid("text_too_long", fmt.Sprintf("text is limited to %d characters: screens show it in huge type", maxAnnouncementRunes))
	}
	return text, nil
}

// isLineBreak reports the characters an announcement's text turns into a
// space: tabs, line and paragraph breaks (including NEL, U+2028, U+2029).
func isLineBreak(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// balanceBidi applies one direction control to the stack of open ones: an
// embedding or override (U+202A, U+202B, U+202D, U+202E) or an isolate
// (U+2066..U+2068) opens; U+202C closes the innermost if it is an
// embedding, U+2069 if it is an isolate. Anything else is unmatched.
func balanceBidi(open []rune, r rune) ([]rune, bool) {
	isolate := func(r rune) bool { return r >= 0x2066 && r <= 0x2068 }
	if r != 0x202C && r != 0x2069 {
		return append(open, r), true
	}
	if len(open) == 0 || isolate(open[len(open)-1]) != (r == 0x2069) {
		return open, false
	}
	return open[:len(open)-1], true
}

// parseDelay decodes and checks the body of POST /api/v1/tracks/{track}/delay.
func parseDelay(body []byte) (int, error) {
	var req struct {
		Minutes *int `json:"minutes"`
	}
	if err := decodeJSONBody(body, &req); err != nil {
		return 0, err
	}
	if req.Minutes == nil {
		return 0, errBadMinutes
	}
	return *req.Minutes, checkDelayMinutes(*req.Minutes)
}

var errBadMinutes = invalid("bad_minutes", fmt.Sprintf("minutes must be a number from 0 (clears the delay) to %d", maxDelayMinutes))

func checkDelayMinutes(m int) error {
	if m < 0 || m > maxDelayMinutes {
		return errBadMinutes
	}
	return nil
}

func (s *Server) postAnnouncement(c *fiber.Ctx) error {
	req, err := parseAnnouncement(c.Body())
	if err != nil {
		return answerBody(c, err)
	}
	var id [6]byte
	rand.Read(id[:])
	ann := schedule.Announcement{ID: hex.EncodeToString(id[:]), Text: req.Text, Track: strings.Clone(req.Track)}
	err = s.updateAdjustments(c, func(l *live, now time.Time) error {
		ann.Created = now
		if req.TTLSeconds > 0 {
			exp := now.Add(time.Duration(req.TTLSeconds) * time.Second)
			ann.Expires = &exp
		}
		var err error
		if ann, err = checkAnnouncement(ann, l.sched); err != nil {
			return err
		}
		l.adj = l.adj.WithAnnouncement(ann)
		return nil
	})
	if err != nil {
		return s.adjustError(c, err)
	}
	s.log.Info("announcement posted", slog.String("id", ann.ID), slog.String("track", ann.Track))
	return c.Status(fiber.StatusCreated).JSON(ann)
}

func (s *Server) deleteAnnouncement(c *fiber.Ctx) error {
	id := keep(c.Params("id"))
	err := s.updateAdjustments(c, func(l *live, now time.Time) error {
		next, ok := l.adj.WithoutAnnouncement(id)
		if !ok {
			return errNotFound
		}
		l.adj = next
		return nil
	})
	if err != nil {
		return s.adjustError(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) postDelay(c *fiber.Ctx) error {
	track := keep(c.Params("track"))
	minutes, err := parseDelay(c.Body())
	if err != nil {
		return answerBody(c, err)
	}
	var d schedule.Delay
	err = s.updateAdjustments(c, func(l *live, now time.Time) error {
		if err := checkTrack(l.sched, track, false); err != nil {
			return err
		}
		l.adj = l.adj.WithDelay(track, minutes, now)
		d = l.adj.Delays[track]
		return nil
	})
	if err != nil {
		return s.adjustError(c, err)
	}
	s.m.delay.WithLabelValues(track).Set(float64(minutes * 60))
	s.log.Info("delay set", slog.String("track", track), slog.Int("minutes", minutes))
	resp := fiber.Map{"track": track, "minutes": minutes}
	if minutes > 0 {
		resp["from"] = d.From.UTC()
	}
	return c.JSON(resp)
}

type unknownTrackError string

func (e unknownTrackError) Error() string {
	return "no track " + quote(string(e)) + " in the schedule; see /api/v1/schedule for the track ids"
}
func errUnknownTrack(id string) error { return unknownTrackError(id) }

var errNotFound = errors.New("no such announcement (it may have expired or been removed already)")

type stateWriteError struct{ err error }

func (e stateWriteError) Error() string { return e.err.Error() }

func (s *Server) adjustError(c *fiber.Ctx, err error) error {
	var ut unknownTrackError
	var we stateWriteError
	if ok, cerr := s.clusterError(c, err); ok {
		return cerr // 409 conflict, 503 NATS unreachable, 400 bad If-Match
	}
	var be *bodyError
	switch {
	case errors.As(err, &be):
		return answerBody(c, err)
	case errors.As(err, &ut):
		return apiError(c, fiber.StatusNotFound, "unknown_track", err.Error())
	case errors.Is(err, errNotFound):
		return apiError(c, fiber.StatusNotFound, "not_found", err.Error())
	case errors.As(err, &we):
		return apiError(c, fiber.StatusInternalServerError, "state_write_failed", "the change was not saved, so it was not applied: "+we.Error()+"; check the disk holding the state file")
	}
	return err
}

// updateAdjustments applies one organizer change: it runs f on the live
// state under the lock, saves the result, and only then makes it visible.
// If the state file cannot be written, memory is left as it was, so the file
// and what clients see never disagree. In cluster mode NATS holds the state
// instead (cluster.update: compare-and-set, If-Match from c, ETag on c).
func (s *Server) updateAdjustments(c *fiber.Ctx, f func(l *live, now time.Time) error) error {
	if s.cluster != nil {
		return s.cluster.update(c, f)
	}
	l := &s.live
	l.mu.Lock()
	defer l.mu.Unlock()
	now := s.clock.Now()
	before := l.adj
	l.adj = l.adj.Prune(now)
	err := f(l, now)
	if err != nil {
		l.adj = before
		return err
	}
	if s.cfg.StatePath != "" {
		if err := saveState(s.cfg.StatePath, l.adj); err != nil {
			s.m.stateWriteErrors.Inc()
			s.log.Error("state file not written", slog.String("path", s.cfg.StatePath), slog.Any("err", err))
			l.adj = before
			return stateWriteError{err}
		}
	}
	// Events only after the save: a change that is not saved must not reach
	// any client either.
	s.publishAnnouncementEvents(before, l.adj)
	s.refreshLocked(now, true)
	s.wakeClock()
	return nil
}

// publishAnnouncementEvents sends the announcement events between two
// versions of the adjustments: a remove for each one gone (removed or
// expired), an add for each new or edited one. A single instance calls it
// after saving a change; in a cluster every instance calls it when the watch
// delivers one, so every client gets the same events either way.
func (s *Server) publishAnnouncementEvents(old, cur schedule.Adjustments) {
	for _, a := range old.Announcements {
		if _, ok := findAnnouncement(cur, a.ID); !ok {
			s.publishAnnouncement(a.Track, mustJSON(fiber.Map{"type": "announcement", "action": "remove", "id": a.ID}))
		}
	}
	for _, a := range cur.Announcements {
		if b, ok := findAnnouncement(old, a.ID); !ok || b.Text != a.Text || b.Track != a.Track {
			s.publishAnnouncement(a.Track, mustJSON(fiber.Map{"type": "announcement", "action": "add", "id": a.ID, "announcement": a}))
		}
	}
}

func findAnnouncement(adj schedule.Adjustments, id string) (schedule.Announcement, bool) {
	for _, a := range adj.Announcements {
		if a.ID == id {
			return a, true
		}
	}
	return schedule.Announcement{}, false
}

// publishAnnouncement sends an announcement event to the clients that show
// it: subscribers of its track and of all tracks, or everyone.
func (s *Server) publishAnnouncement(track string, msg []byte) {
	if track == "" {
		s.hub.PublishAll(msg)
		return
	}
	s.hub.Publish(topicAll, msg)
	s.hub.Publish(trackTopic(track), msg)
}

func (s *Server) postReload(c *fiber.Ctx) error {
	src := s.cfg.Source
	if src == nil {
		return apiError(c, fiber.StatusConflict, "no_schedule_file", errNoSchedulePath.Error())
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	src.Forget() // an explicit reload reads the whole source again
	sc, warns, err := src.Load(c.UserContext())
	if err != nil && sc == nil {
		s.log.Warn("schedule reload refused; the running schedule stays", slog.String("source", src.Location), slog.Any("err", err))
		var se *SourceError
		if errors.As(err, &se) {
			s.m.reloads.WithLabelValues("failed").Inc()
			return apiError(c, fiber.StatusBadGateway, "source_unavailable", "the schedule could not be read; the running schedule stays: "+err.Error())
		}
		s.m.reloads.WithLabelValues("invalid").Inc()
		errs := schedule.Errors{}
		if !errors.As(err, &errs) {
			errs = schedule.Errors{{File: src.Location, Message: err.Error()}}
		}
		return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"error": fiber.Map{
			"code":    "invalid_schedule",
			"message": "the schedule has errors; the running schedule stays. Fix them and reload:\n" + err.Error(),
			"details": schedule.CapDiagnostics(errs), // the first ones and a count: a file can hold thousands
		}})
	}
	changed := s.SetSchedule(sc)
	if warns == nil {
		warns = []schedule.Diagnostic{}
	}
	return c.JSON(fiber.Map{"schedule_version": sc.Version, "changed": changed, "warnings": schedule.CapDiagnostics(warns)})
}

// SetSchedule replaces the running schedule (after a reload or a refresh of
// a live source), records what changed, and pushes the new state at once. It
// reports whether the schedule differs from the running one. In cluster
// mode the schedule goes to NATS first, and every instance loads it.
func (s *Server) SetSchedule(sc *schedule.Schedule) bool {
	if s.cluster != nil {
		return s.cluster.proposeSchedule(sc)
	}
	return s.setSchedule(sc)
}

func (s *Server) setSchedule(sc *schedule.Schedule) bool {
	l := &s.live
	l.mu.Lock()
	defer l.mu.Unlock()
	if sc.Version == l.sched.Version {
		s.m.reloads.WithLabelValues("unchanged").Inc()
		return false
	}
	changes := schedule.Diff(l.sched, sc)
	l.sched = sc
	l.changed = make(map[string]schedule.Change, len(changes))
	for _, ch := range changes {
		l.changed[ch.SessionID] = ch
	}
	l.changes = append(changes, l.changes...)
	if len(l.changes) > 200 {
		l.changes = l.changes[:200]
	}
	s.m.reloads.WithLabelValues("changed").Inc()
	s.setScheduleMetrics(sc, l.adj)
	s.refreshLocked(s.clock.Now(), true)
	s.wakeClock()
	s.log.Info("schedule loaded", slog.String("version", sc.Version), slog.Int("sessions", len(sc.Sessions)), slog.Int("changes", len(changes)))
	return true
}

// page serves one of the views.
func (s *Server) page(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, ok := s.assets.pages[name]
		if !ok {
			return apiError(c, fiber.StatusNotFound, "not_found", "no such page")
		}
		s.pageHeaders(c, name)
		return a.serve(c)
	}
}

// trackPage serves a view of one track, or a 404 page listing the tracks
// (a typo in a kiosk's URL must be visible, not a blank screen).
func (s *Server) trackPage(name string) fiber.Handler {
	serve := s.page(name)
	return func(c *fiber.Ctx) error {
		s.live.mu.Lock()
		sc := s.live.sched
		s.live.mu.Unlock()
		if _, ok := sc.Track(c.Params("track")); ok {
			return serve(c)
		}
		var b strings.Builder
		b.WriteString("<!doctype html><html lang=en><meta charset=utf-8><title>Unknown track</title><h1>No such track</h1><p>This schedule has these tracks:</p><ul>")
		for _, t := range sc.Tracks {
			fmt.Fprintf(&b, `<li><a href="/%s/%s">%s</a></li>`, name, t.ID, htmlEscape(t.Name))
		}
		b.WriteString("</ul>")
		s.pageHeaders(c, name)
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Status(fiber.StatusNotFound).SendString(b.String())
	}
}

func (s *Server) pageHeaders(c *fiber.Ctx, name string) {
	// A host that is not a valid name[:port] never goes into the header:
	// 'self' alone still lets the page reach its own websocket.
	connect := "connect-src 'self'"
	if host, ok := s.requestHost(c); ok {
		connect += " ws://" + host + " wss://" + host
	}
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		connect + "; base-uri 'none'; form-action 'self'; object-src 'none'"
	if name == "admin" {
		csp += "; frame-ancestors 'none'"
	}
	c.Set(fiber.HeaderContentSecurityPolicy, csp)
}

// fromTrustedProxy reports whether the peer is one of --trusted-proxies,
// whose X-Forwarded-* headers are believed.
func (s *Server) fromTrustedProxy(c *fiber.Ctx) bool {
	a, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	return s.trustedProxy(a.Unmap())
}

// requestHost is the host[:port] the client asked for: the Host header, or
// the first X-Forwarded-Host a trusted proxy sent. ok is false unless it is
// a valid hostname or IP address with an optional port, so a forged value
// never reaches a header or a comparison.
func (s *Server) requestHost(c *fiber.Ctx) (string, bool) {
	host := string(c.Context().Host())
	if s.fromTrustedProxy(c) {
		if xfh := c.Get(fiber.HeaderXForwardedHost); xfh != "" {
			first, _, _ := strings.Cut(xfh, ",")
			host = strings.TrimSpace(first)
		}
	}
	return host, validHost(host)
}

// requestScheme is http or https as the client used it: TLS on this
// connection, or the X-Forwarded-Proto a trusted proxy sent.
func (s *Server) requestScheme(c *fiber.Ctx) string {
	if s.fromTrustedProxy(c) {
		switch p := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderXForwardedProto))); p {
		case "http", "https":
			return p
		}
	}
	if c.Context().IsTLS() {
		return "https"
	}
	return "http"
}

// validHost reports whether h is a DNS name, an IPv4 address or a bracketed
// IPv6 address, each with an optional port.
func validHost(h string) bool {
	name, port := h, ""
	if rest, ok := strings.CutPrefix(h, "["); ok {
		addr, after, ok := strings.Cut(rest, "]")
		if a, err := netip.ParseAddr(addr); !ok || err != nil || !a.Is6() {
			return false
		}
		if after == "" {
			return true
		}
		if port, ok = strings.CutPrefix(after, ":"); !ok {
			return false
		}
		return validPort(port)
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i+1:]
		if !validPort(port) {
			return false
		}
	}
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || strings.Trim(p, "0123456789") != "" {
		return false
	}
	n, _ := strconv.Atoi(p)
	return n >= 1 && n <= 65535
}

func (s *Server) getAsset(c *fiber.Ctx) error {
	if c.Params("version") != s.assets.version {
		return apiError(c, fiber.StatusNotFound, "stale_asset", "this asset version is not served any more: reload the page")
	}
	a, ok := s.assets.files[c.Params("*")]
	if !ok {
		return apiError(c, fiber.StatusNotFound, "not_found", "no such asset")
	}
	return a.serve(c)
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

func htmlEscape(s string) string { return htmlEscaper.Replace(s) }
