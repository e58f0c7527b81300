package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The middleware every request, or every admin request, goes through; the
// routes are in routes.go.

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
		status = statusOf(err) // answered by errorHandler, after this
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

// requireAdmin guards the admin API. The token comes only from the
// environment; it is compared in constant time (hashes of equal length, so
// not even its length leaks) and never logged. The right token is checked
// first and never rate-limited: an organizer behind the venue's NAT must
// not be locked out by attendees (or by anyone, behind a proxy without
// --trusted-proxies). Only a request without it spends its address's admin
// budget, so guessing the token is as slow as that budget.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	if err := s.checkAdmin(c, c.Get(fiber.HeaderAuthorization), sendBearer); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// sendBearer is what a request without the right token is told to do.
const sendBearer = "send the admin token as 'Authorization: Bearer TOKEN' (the server's CONFDASH_ADMIN_TOKEN)"

// checkAdmin is requireAdmin's check of an Authorization value, for the
// other ways the token arrives too (the console's websocket, ws.go): nil
// for the right token; otherwise the error to answer, which says how to
// send it, after spending the address's admin budget.
func (s *Server) checkAdmin(c *fiber.Ctx, authorization, how string) error {
	if s.cfg.AdminToken == "" {
		return apiError(fiber.StatusForbidden, "admin_disabled", "the admin API is off: set CONFDASH_ADMIN_TOKEN in the server's environment and restart it")
	}
	if s.validToken(authorization) {
		return nil
	}
	if ok, err := s.limitAdminFailure(c); !ok {
		return err
	}
	s.lim.adminRejected.WithLabelValues("unauthorized").Inc()
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="confdash"`)
	return apiError(fiber.StatusUnauthorized, "unauthorized", how)
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
