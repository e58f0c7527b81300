package server

import (
	"fmt"
	"html"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The views (HTML pages) and their assets.

// page serves one of the views.
func (s *Server) page(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, ok := s.assets.pages[name]
		if !ok {
			return apiError(fiber.StatusNotFound, "not_found", "no such page")
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
		sc := s.live.schedule()
		if _, ok := sc.Track(c.Params("track")); ok {
			return serve(c)
		}
		// A renamed room's former id, or an id in another case: one URL
		// per room, so the page, its socket and its snapshot agree.
		if id, ok := s.live.resolveTrack(c.Params("track")); ok {
			to := "/" + name + "/" + id
			if q := c.Request().URI().QueryString(); len(q) > 0 {
				to += "?" + string(q)
			}
			c.Set(fiber.HeaderCacheControl, "no-store") // an alias can become a room again
			return c.Redirect(to, fiber.StatusFound)
		}
		var b strings.Builder
		b.WriteString("<!doctype html><html lang=en><meta charset=utf-8><title>Unknown track</title><h1>No such track</h1><p>This schedule has these tracks:</p><ul>")
		for _, t := range sc.Tracks {
			fmt.Fprintf(&b, `<li><a href="/%s/%s">%s</a></li>`, name, t.ID, html.EscapeString(t.Name))
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

func (s *Server) getAsset(c *fiber.Ctx) error {
	if c.Params("version") != s.assets.version {
		return apiError(fiber.StatusNotFound, "stale_asset", "this asset version is not served any more: reload the page")
	}
	a, ok := s.assets.files[c.Params("*")]
	if !ok {
		return apiError(fiber.StatusNotFound, "not_found", "no such asset")
	}
	return a.serve(c)
}
