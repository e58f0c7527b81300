package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

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
	route := c.Route().Path
	if status == fiber.StatusNotFound && route == "/" && c.Path() != "/" {
		route = "unmatched"
	}
	s.m.httpDuration.WithLabelValues(route, c.Method(), strconv.Itoa(status)).Observe(time.Since(start).Seconds())
	return err
}

func metricsHandler(reg *prometheus.Registry) fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
}

// requireAdmin guards the admin API. The token comes only from the
// environment; it is compared in constant time (hashes of equal length, so
// not even its length leaks) and never logged.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	if s.cfg.AdminToken == "" {
		return apiError(fiber.StatusForbidden, "admin_disabled", "the admin API is off: set CONFDASH_ADMIN_TOKEN in the server's environment and restart it")
	}
	tok, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	got, want := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(s.cfg.AdminToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !ok {
		s.lim.adminRejected.WithLabelValues("unauthorized").Inc()
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="confdash"`)
		return apiError(fiber.StatusUnauthorized, "unauthorized", "send the admin token as 'Authorization: Bearer TOKEN' (the server's CONFDASH_ADMIN_TOKEN)")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}
