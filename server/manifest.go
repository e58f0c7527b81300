package server

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// The web app manifest of the attendee's tab (/manifest.webmanifest): what
// a phone needs to install the tab as an app of its own, named after the
// conference the server is running. The colours are tab.css's (app.css
// --accent and --bg), the icons the embedded ones: icon.svg and the same
// drawing as PNG at 192 and 512 pixels, its content inside the central 80 %
// circle so that a launcher may crop it to any shape (maskable).

// shortNameMax is the length a launcher shows under an icon without cutting.
const shortNameMax = 12

type manifestIcon struct {
	Src     string `json:"src"`
	Sizes   string `json:"sizes"`
	Type    string `json:"type"`
	Purpose string `json:"purpose"`
}

type webManifest struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	ShortName       string         `json:"short_name"`
	Description     string         `json:"description"`
	StartURL        string         `json:"start_url"`
	Scope           string         `json:"scope"`
	Display         string         `json:"display"`
	ThemeColor      string         `json:"theme_color"`
	BackgroundColor string         `json:"background_color"`
	Icons           []manifestIcon `json:"icons"`
}

func (s *Server) getManifest(c *fiber.Ctx) error {
	name := strings.TrimSpace(s.live.schedule().Name)
	if name == "" {
		name = "confdash"
	}
	a := "/assets/" + s.assets.version + "/"
	m := webManifest{
		ID:              "/",
		Name:            name,
		ShortName:       shortName(name),
		Description:     "What is on now and next, on every track.",
		StartURL:        "/",
		Scope:           "/",
		Display:         "standalone",
		ThemeColor:      "#0a57a6",
		BackgroundColor: "#f5f6f8",
		Icons: []manifestIcon{
			{Src: a + "icon.svg", Sizes: "any", Type: "image/svg+xml", Purpose: "any"},
			{Src: a + "icon-192.png", Sizes: "192x192", Type: "image/png", Purpose: "any"},
			{Src: a + "icon-512.png", Sizes: "512x512", Type: "image/png", Purpose: "any"},
			{Src: a + "icon-512.png", Sizes: "512x512", Type: "image/png", Purpose: "maskable"},
		},
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	// The name follows a schedule reload and the icons a deployment.
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, "application/manifest+json")
	return c.Send(b)
}

// shortName is the name under the installed icon: the conference's name
// if it fits, else as many of its first words as fit, else its first word
// cut short.
func shortName(name string) string {
	if utf8.RuneCountInString(name) <= shortNameMax {
		return name
	}
	short := ""
	for _, w := range strings.Fields(name) {
		next := strings.TrimSpace(short + " " + w)
		if utf8.RuneCountInString(next) > shortNameMax {
			break
		}
		short = next
	}
	if short == "" {
		short = string([]rune(name)[:shortNameMax-1]) + "…"
	}
	return short
}
