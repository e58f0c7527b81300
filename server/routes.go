package server

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	contrib "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// newApp wires the HTTP API: middleware, public reads, the admin routes,
// pages and assets, and the fallback. The handlers are in public.go,
// admin.go and pages.go, the middleware in api.go, errors and the fallback
// (noRoute) in errors.go.
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

	// Public reads.
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
		// used: the hub writes whole frames to the socket itself. Giving it
		// a pool (never drawn from) keeps newConn from allocating one per
		// connection (288 bytes).
		ReadBufferSize: 256, WriteBufferSize: 256, WriteBufferPool: &sync.Pool{},
		// Selected when the console offers it with its token (ws.go).
		Subprotocols: []string{wsProtocol},
	}))

	api := app.Group("/api/v1")
	api.Get("/state", s.getState)
	api.Get("/schedule", s.getSchedule)
	api.Get("/report", s.getReport)
	api.Get("/changes", s.getChanges)
	app.Get("/schedule.ics", s.getICS)

	// The organizers' changes (admin.go). The admin guard is on each admin
	// route, not on a group: a group's handlers run for every path under
	// its prefix, so an unknown path or a wrong method would ask for a
	// token (and spend the admin budget) instead of answering 404 or 405.
	admin := func(h fiber.Handler) []fiber.Handler { return []fiber.Handler{s.requireAdmin, s.adminRevision, h} }
	api.Get("/admin", admin(func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) })...)
	api.Post("/announcements", admin(s.postAnnouncement)...)
	api.Delete("/announcements/:id", admin(s.deleteAnnouncement)...)
	api.Post("/tracks/:track/delay", admin(s.postDelay)...)
	api.Post("/tracks/:track/started", admin(s.postStarted)...)
	api.Post("/tracks/:track/ended", admin(s.postEnded)...)
	api.Post("/tracks/:track/status", admin(s.postStatus)...)
	api.Post("/reload", admin(s.postReload)...)
	api.Get("/screens", admin(s.getScreens)...)
	api.Post("/screens/:id/reload", admin(s.postScreenReload)...)
	api.Get("/qr", s.getQR)

	// Pages and their assets (pages.go), then the fallback.
	app.Get("/", s.page("tab"))
	app.Get("/screen", s.page("screen"))
	app.Get("/screen/:track", s.trackPage("screen"))
	app.Get("/overlay/:track", s.trackPage("overlay"))
	app.Get("/stage/:track", s.trackPage("stage"))
	app.Get("/admin", s.page("admin"))
	app.Get("/assets/:version/*", s.getAsset)
	// The service worker (offline reloads of the views) must sit at the root
	// for its scope to cover every page, and may change with any deployment.
	app.Get("/sw.js", func(c *fiber.Ctx) error {
		err := s.assets.files["sw.js"].serve(c)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return err
	})
	// The tab's web app manifest (manifest.go): at the root, beside the worker.
	app.Get("/manifest.webmanifest", s.getManifest)
	var routes []fiber.Route // filled below, once every route is registered
	app.Use(func(c *fiber.Ctx) error { return noRoute(c, routes) })
	routes = app.GetRoutes(true)
	return app
}
