package server

import (
	"bytes"
	"cmp"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/confdash/confdash/hub"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/skip2/go-qrcode"
)

// The screens fleet: the pages that said who they are when they connected
// (a stable device id kept in the browser, their view, track, asset
// version, screen size and clock offset), so that the crew sees which room
// screen went dark and can reload one from the console. It is a small type
// with its own lock: the live day knows nothing of devices.

const (
	// screensKeep is how long a disconnected device stays listed: a day
	// covers "the Room B screen went offline an hour ago" and last night's
	// rehearsal, and then forgets a laptop that once opened a screen.
	screensKeep = 24 * time.Hour
	// screensMax bounds the devices listed (online or not): a venue has tens
	// of screens; the bound holds however many phones open a tab.
	screensMax = 1000
	// screenTextMax clips the free text a page sends about itself.
	screenTextMax = 64
)

// screenViews are the views a device may report, and the metric's labels.
var screenViews = []string{"tab", "screen", "overlay"}

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// screenInfo is what a page says about itself on /ws (query parameters
// id, view, track, v, w, h, off); its strings are the server's own copies.
type screenInfo struct {
	ID       string
	View     string
	Track    string
	Assets   string
	Width    int
	Height   int
	OffsetMS *int64
}

// screenEntry is one device as GET /api/v1/screens lists it.
type screenEntry struct {
	ID       string    `json:"id"`
	View     string    `json:"view"`
	Track    string    `json:"track,omitempty"`
	Assets   string    `json:"assets"`
	Stale    bool      `json:"assets_stale"` // built with other assets than the server's
	Width    int       `json:"width,omitempty"`
	Height   int       `json:"height,omitempty"`
	OffsetMS *int64    `json:"clock_offset_ms"`
	Online   bool      `json:"online"`
	Since    time.Time `json:"since"`     // connected at, or offline since
	LastSeen time.Time `json:"last_seen"` // the last message from it (or its disconnect)
}

type screen struct {
	screenEntry
	client *hub.Client // nil while offline
}

// screens is the fleet registry. Times are the wall clock's: a device's
// "offline since" is real time even when the schedule runs on --at/--speed.
type screens struct {
	gauge *prometheus.GaugeVec // confdash_screens{view,state}

	mu   sync.Mutex
	byID map[string]*screen
}

func newScreens(gauge *prometheus.GaugeVec) *screens {
	for _, v := range screenViews {
		gauge.WithLabelValues(v, "online")
		gauge.WithLabelValues(v, "offline")
	}
	return &screens{gauge: gauge, byID: map[string]*screen{}}
}

// parseScreenInfo reads what a page says about itself from the /ws query.
// ok is false when the page sent no device id (a script, an older page):
// such a connection is served but not listed. A malformed id is an error
// that says what a valid one looks like; sizes and the offset must be
// integers. Every string is copied (Fiber's are reused).
func parseScreenInfo(q func(string) string, view, track, assets string) (screenInfo, bool, *apiErr) {
	id := q("id")
	if id == "" {
		return screenInfo{}, false, nil
	}
	if !deviceIDPattern.MatchString(id) {
		return screenInfo{}, false, apiError(fiber.StatusBadRequest, "bad_device_id", "id must be 1 to 64 letters, digits, '-' or '_': the page keeps one in localStorage; clear it to get a new one")
	}
	info := screenInfo{ID: keep(id), View: view, Track: track, Assets: keepClipped(assets)}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"w", &info.Width}, {"h", &info.Height}} {
		if s := q(f.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > 100000 {
				return screenInfo{}, false, apiError(fiber.StatusBadRequest, "bad_screen_size", f.name+" must be the screen's size in CSS pixels, a whole number from 0 to 100000")
			}
			*f.dst = n
		}
	}
	if s := q("off"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < -maxOffsetMS || n > maxOffsetMS {
			return screenInfo{}, false, apiError(fiber.StatusBadRequest, "bad_clock_offset", "off must be the page's measured clock offset in whole milliseconds, within a century")
		}
		info.OffsetMS = &n
	}
	return info, true, nil
}

// maxOffsetMS bounds a reported clock offset: a century, since a rehearsal
// clock (--at) may run years away from the screen's own.
const maxOffsetMS = 100 * 366 * 24 * 3600 * 1000

// keepClipped copies s cut to screenTextMax bytes on a character boundary
// (clip in store.go shortens for log lines, with an ellipsis).
func keepClipped(s string) string {
	if len(s) > screenTextMax {
		cut := screenTextMax
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return keep(s)
}

// connected records a device's new connection. A second connection with the
// same id (a reload racing the old socket's close, two tabs sharing the
// storage) takes the entry over: the newest one is the device.
func (f *screens) connected(info screenInfo, c *hub.Client, assets string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pruneLocked(now)
	sc := f.byID[info.ID]
	if sc == nil {
		if len(f.byID) >= screensMax && !f.evictLocked() {
			return // every place is held by an online device: served, not listed
		}
		sc = &screen{}
		f.byID[info.ID] = sc
	}
	sc.screenEntry = screenEntry{
		ID: info.ID, View: info.View, Track: info.Track, Assets: info.Assets,
		Stale: info.Assets != "" && info.Assets != assets,
		Width: info.Width, Height: info.Height, OffsetMS: info.OffsetMS,
		Online: true, Since: now, LastSeen: now,
	}
	sc.client = c
	f.countLocked()
}

// seen notes a message from a device's connection, with the clock offset it
// measured when it says one.
func (f *screens) seen(id string, c *hub.Client, offsetMS *int64, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if sc := f.byID[id]; sc != nil && sc.client == c {
		sc.LastSeen = now
		if offsetMS != nil {
			sc.OffsetMS = offsetMS
		}
	}
}

// disconnected marks the device offline, unless a newer connection of it
// has taken the entry over.
func (f *screens) disconnected(id string, c *hub.Client, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if sc := f.byID[id]; sc != nil && sc.client == c {
		sc.client = nil
		sc.Online, sc.Since, sc.LastSeen = false, now, now
		f.countLocked()
	}
}

// list gives the devices, online first, then by view, track and id.
func (f *screens) list(now time.Time) []screenEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pruneLocked(now)
	out := make([]screenEntry, 0, len(f.byID))
	for _, sc := range f.byID {
		out = append(out, sc.screenEntry)
	}
	slices.SortFunc(out, func(a, b screenEntry) int {
		if a.Online != b.Online {
			if a.Online {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.View, b.View), cmp.Compare(a.Track, b.Track), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// reload sends the device a reload message. known is false for an id not
// listed; sent is false when the device is offline.
func (f *screens) reload(id string) (known, sent bool) {
	f.mu.Lock()
	sc := f.byID[id]
	var c *hub.Client
	if sc != nil {
		c = sc.client
	}
	f.mu.Unlock()
	if sc == nil {
		return false, false
	}
	return true, c != nil && c.Send(reloadMsg)
}

var reloadMsg = []byte(`{"type":"reload"}`)

// pruneLocked forgets devices offline for longer than screensKeep.
func (f *screens) pruneLocked(now time.Time) {
	changed := false
	for id, sc := range f.byID {
		if !sc.Online && now.Sub(sc.Since) > screensKeep {
			delete(f.byID, id)
			changed = true
		}
	}
	if changed {
		f.countLocked()
	}
}

// evictLocked makes room by forgetting the device offline the longest;
// false when every device is online.
func (f *screens) evictLocked() bool {
	var oldest *screen
	for _, sc := range f.byID {
		if !sc.Online && (oldest == nil || sc.Since.Before(oldest.Since)) {
			oldest = sc
		}
	}
	if oldest == nil {
		return false
	}
	delete(f.byID, oldest.ID)
	return true
}

// countLocked sets confdash_screens from the registry.
func (f *screens) countLocked() {
	counts := map[[2]string]int{}
	for _, sc := range f.byID {
		state := "offline"
		if sc.Online {
			state = "online"
		}
		counts[[2]string{sc.View, state}]++
	}
	for _, v := range screenViews {
		for _, st := range []string{"online", "offline"} {
			f.gauge.WithLabelValues(v, st).Set(float64(counts[[2]string{v, st}]))
		}
	}
}

// The fleet's API (routes.go): the list and the remote reload are admin
// calls; the QR codes are public, since an <img> sends no token, and only
// encode this server's own pages.

func (s *Server) getScreens(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"screens": s.screens.list(time.Now()), "assets": s.assets.version})
}

func (s *Server) postScreenReload(c *fiber.Ctx) error {
	id := c.Params("id")
	known, sent := s.screens.reload(id)
	switch {
	case !known:
		return apiError(fiber.StatusNotFound, "unknown_screen", "no screen "+quote(id)+" is connected or was in the last 24 h; GET /api/v1/screens lists them")
	case !sent:
		return apiError(fiber.StatusConflict, "screen_offline", "screen "+quote(id)+" is offline: it cannot be told to reload; it loads the current version when it reconnects")
	}
	s.log.Info("screen reload requested", slog.String("id", keep(id)))
	return c.JSON(fiber.Map{"id": id, "sent": true})
}

// qrPages are the paths a QR code may point to: the views.
var qrPages = regexp.MustCompile(`^/(|screen|screen/[^/?#]+|overlay/[^/?#]+|stage/[^/?#]+|admin)$`)

// getQR draws a QR code for one of this server's own pages as SVG (sharp at
// any size, a few KB). Any other URL is refused: the route must not become
// a QR service for arbitrary links printed under the conference's name.
func (s *Server) getQR(c *fiber.Ctx) error {
	raw := c.Query("url")
	u, err := url.Parse(raw)
	host, ok := s.requestHost(c)
	if err != nil || !ok || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, host) || !qrPages.MatchString(u.Path) || u.User != nil || u.Fragment != "" {
		return apiError(fiber.StatusBadRequest, "bad_qr_url", "url must be one of this server's pages (/, /screen, /screen/{track}, /overlay/{track}, /stage/{track}, /admin) on this host, such as url=https://"+host+"/screen/main")
	}
	code, err := qrcode.New(raw, qrcode.Medium)
	if err != nil {
		return apiError(fiber.StatusBadRequest, "bad_qr_url", "url is too long for a QR code: "+err.Error())
	}
	c.Set(fiber.HeaderContentType, "image/svg+xml")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(qrSVG(code.Bitmap()))
}

// qrSVG draws a QR bitmap (quiet zone included) as one SVG path, one unit
// per module.
func qrSVG(bm [][]bool) []byte {
	var b bytes.Buffer
	n := len(bm)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n, n, n)
	for y, row := range bm {
		for x, on := range row {
			if on {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}
