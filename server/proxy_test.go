package server

import (
	"io"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestRemoteAddrBehindProxies: only a trusted proxy's X-Forwarded-For is
// believed, and only its rightmost untrusted hop (the rest is the client's).
func TestRemoteAddrBehindProxies(t *testing.T) {
	app := fiber.New()
	var s Server
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString(s.remoteAddr(c).String()) })
	peer := func() string { // the address app.Test's in-memory connection reports
		s.cfg.TrustedProxies = nil
		resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}()
	trusted, err := ParsePrefixes(peer + ", 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		xff     string
		want    string
	}{
		{"no proxy configured: the header is ignored", nil, "203.0.113.9", peer},
		{"trusted proxy: its client", trusted, "203.0.113.9", "203.0.113.9"},
		{"client-forged hops left of the real one are ignored", trusted, "1.2.3.4, 203.0.113.9", "203.0.113.9"},
		{"chained trusted proxies are skipped", trusted, "203.0.113.9, 10.1.2.3", "203.0.113.9"},
		{"garbage stops at the last trusted hop", trusted, "203.0.113.9, not-an-ip", peer},
		{"no header: the proxy itself", trusted, "", peer},
		// Every hop inside the trusted range: the request came from inside
		// it, and the leftmost hop, not the proxy, tells its clients apart.
		{"every hop trusted: the leftmost", trusted, "10.9.9.9, 10.1.2.3", "10.9.9.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.cfg.TrustedProxies = tc.trusted
			req := httptest.NewRequest("GET", "/", nil)
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			resp, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if got := string(b); got != tc.want {
				t.Fatalf("remoteAddr = %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := ParsePrefixes("10.0.0.0/8, nonsense"); err == nil {
		t.Fatal("ParsePrefixes accepted nonsense")
	}
}
