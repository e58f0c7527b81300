package server

import (
	"strings"
	"time"

	contrib "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// newApp wires the HTTP API: middleware, public reads, the admin group,
// pages and assets, and the fallback. The handlers are in public.go,
// admin.go and pages.go, the middleware in api.go, errors in errors.go.
func (s *Server) newApp() *fiber.App {
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
		app.Get("/metrics", s.metricsHandler())
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
	app.Get("/schedule.ics", s.getICS)

	// The organizers' changes (admin.go).
	admin := api.Group("", s.limitAdmin, s.requireAdmin, s.adminRevision)
	admin.Get("/admin", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) })
	admin.Post("/announcements", s.postAnnouncement)
	admin.Delete("/announcements/:id", s.deleteAnnouncement)
	admin.Post("/tracks/:track/delay", s.postDelay)
	admin.Post("/reload", s.postReload)

	// Pages and their assets (pages.go), then the fallback.
	app.Get("/", s.page("tab"))
	app.Get("/screen", s.page("screen"))
	app.Get("/screen/:track", s.trackPage("screen"))
	app.Get("/overlay/:track", s.trackPage("overlay"))
	app.Get("/admin", s.page("admin"))
	app.Get("/assets/:version/*", s.getAsset)
	app.Use(func(c *fiber.Ctx) error {
		return apiError(fiber.StatusNotFound, "not_found", "no such page: the views are /, /screen/{track}, /overlay/{track} and /admin")
	})
	return app
}
