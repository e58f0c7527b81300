package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type screensAnswer struct {
	Screens []screenEntry `json:"screens"`
	Assets  string        `json:"assets"`
}

func (ts *testServer) screensList(t *testing.T) screensAnswer {
	t.Helper()
	var a screensAnswer
	if err := json.Unmarshal(ts.admin(t, http.MethodGet, "/api/v1/screens", "", http.StatusOK), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// waitScreens polls the list until ok holds for it (a disconnect is noted
// once the server's reader sees the close), or fails at readTimeout.
func (ts *testServer) waitScreens(t *testing.T, what string, ok func([]screenEntry) bool) []screenEntry {
	t.Helper()
	deadline := time.Now().Add(readTimeout)
	for {
		l := ts.screensList(t).Screens
		if ok(l) {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("screens list never showed %s: %+v", what, l)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestScreensFleet: a page that connects with a device id is listed online
// with what it said about itself, its pings update its clock offset, a
// reload reaches its socket, and once it disconnects it is listed offline
// since then; confdash_screens counts it all along.
func TestScreensFleet(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	v := ts.assets.version
	room := ts.dial(t, "main screen", "track=main&view=screen&id=room-A_1&v="+v+"&w=1920&h=1080&off=-120")
	lobby := ts.dial(t, "lobby", "view=screen&id=lobby1&w=720&h=1280")
	ts.dial(t, "script", "view=screen") // no id: served, not listed
	room.ping(1)                        // a fence: every connection is registered
	lobby.ping(1)

	l := ts.screensList(t)
	if len(l.Screens) != 2 {
		t.Fatalf("screens = %+v, want the two pages with an id", l.Screens)
	}
	byID := map[string]screenEntry{}
	for _, s := range l.Screens {
		byID[s.ID] = s
	}
	r := byID["room-A_1"]
	if !r.Online || r.View != "screen" || r.Track != "main" || r.Width != 1920 || r.Height != 1080 || r.OffsetMS == nil || *r.OffsetMS != -120 || r.Assets != v || r.Stale {
		t.Errorf("room screen entry = %+v", r)
	}
	if lb := byID["lobby1"]; !lb.Online || lb.Track != "" || lb.Width != 720 || lb.OffsetMS != nil {
		t.Errorf("lobby entry = %+v, want online, no track, 720 wide, no offset yet", lb)
	}
	if got := testutil.ToFloat64(ts.m.screens.WithLabelValues("screen", "online")); got != 2 {
		t.Errorf(`confdash_screens{view="screen",state="online"} = %v, want 2`, got)
	}

	// A ping may carry the offset the page measured.
	if err := room.c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","client_time_ms":5,"offset_ms":42}`)); err != nil {
		t.Fatal(err)
	}
	if m := room.next(); m.Type != "pong" {
		t.Fatalf("got %q, want pong", m.Type)
	}
	for _, s := range ts.screensList(t).Screens {
		if s.ID == "room-A_1" && (s.OffsetMS == nil || *s.OffsetMS != 42) {
			t.Errorf("after a ping with offset_ms 42 the entry says %v", s.OffsetMS)
		}
	}

	// The remote reload reaches that device only.
	ts.admin(t, http.MethodPost, "/api/v1/screens/room-A_1/reload", "", http.StatusOK)
	if m := room.next(); m.Type != "reload" {
		t.Fatalf("room screen got %q after the reload call, want reload", m.Type)
	}
	checkAPIError(t, ts.do(t, http.MethodPost, "/api/v1/screens/nobody/reload", adminToken, ""), http.StatusNotFound, "unknown_screen")
	checkAPIError(t, ts.do(t, http.MethodGet, "/api/v1/screens", "", ""), http.StatusUnauthorized, "unauthorized")

	// Disconnected: listed offline since then, and no longer reloadable.
	before := time.Now()
	lobby.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	lobby.waitTCPClosed()
	got := ts.waitScreens(t, "lobby1 offline", func(l []screenEntry) bool {
		for _, s := range l {
			if s.ID == "lobby1" {
				return !s.Online
			}
		}
		return false
	})
	for _, s := range got {
		if s.ID == "lobby1" && (s.Since.Before(before.Add(-time.Second)) || s.Since.After(time.Now())) {
			t.Errorf("lobby1 offline since %v, want about %v", s.Since, before)
		}
	}
	if got[0].ID != "room-A_1" {
		t.Errorf("list order = %+v, want online devices first", got)
	}
	checkAPIError(t, ts.do(t, http.MethodPost, "/api/v1/screens/lobby1/reload", adminToken, ""), http.StatusConflict, "screen_offline")
	if got := testutil.ToFloat64(ts.m.screens.WithLabelValues("screen", "offline")); got != 1 {
		t.Errorf(`confdash_screens{view="screen",state="offline"} = %v, want 1`, got)
	}
	if got := testutil.ToFloat64(ts.m.screens.WithLabelValues("screen", "online")); got != 1 {
		t.Errorf(`confdash_screens{view="screen",state="online"} = %v, want 1`, got)
	}
}

// TestScreensBadIdentity: what a page says about itself is checked before
// the upgrade, with an error that says what is expected.
func TestScreensBadIdentity(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	for _, tc := range []struct{ query, code string }{
		{"id=" + strings.Repeat("x", 65), "bad_device_id"},
		{"id=a%20b", "bad_device_id"},
		{"id=ok&w=wide", "bad_screen_size"},
		{"id=ok&h=-1", "bad_screen_size"},
		{"id=ok&off=1.5", "bad_clock_offset"},
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.base+"/ws?"+tc.query, nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		checkAPIError(t, readResponse(t, resp), http.StatusBadRequest, tc.code)
	}
	// A ping whose offset is out of bounds is refused like any bad message.
	cl := ts.dial(t, "screen", "view=screen&id=x")
	cl.c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","client_time_ms":1,"offset_ms":1e13}`))
	if code, _ := cl.expectClose(); code != websocket.ClosePolicyViolation {
		t.Errorf("close code %d, want 1008", code)
	}
}

// TestScreensRegistryBounds: the registry forgets devices offline for more
// than a day, and at its bound makes room by forgetting the one offline
// the longest.
func TestScreensRegistryBounds(t *testing.T) {
	f := newScreens(newMetrics().screens)
	t0 := time.Date(2026, 10, 6, 8, 0, 0, 0, time.UTC)
	f.connected(screenInfo{ID: "old", View: "screen"}, nil, "", t0)
	f.disconnected("old", nil, t0)
	if l := f.list(t0.Add(screensKeep)); len(l) != 1 {
		t.Fatalf("after a day offline: %+v, want it still listed", l)
	}
	if l := f.list(t0.Add(screensKeep + time.Second)); len(l) != 0 {
		t.Fatalf("after more than a day offline: %+v, want it forgotten", l)
	}
	for i := range screensMax {
		id := "d" + strconv.Itoa(i)
		f.connected(screenInfo{ID: id, View: "tab"}, nil, "", t0.Add(time.Duration(i)*time.Second))
		if i == 0 {
			f.disconnected(id, nil, t0.Add(time.Hour))
		}
	}
	f.connected(screenInfo{ID: "newcomer", View: "screen"}, nil, "", t0.Add(2*time.Hour))
	l := f.list(t0.Add(2 * time.Hour))
	if len(l) != screensMax {
		t.Fatalf("registry holds %d, want its bound %d", len(l), screensMax)
	}
	for _, s := range l {
		if !s.Online {
			t.Errorf("the offline device %q was kept over a newcomer", s.ID)
		}
	}
}

// TestQR: the server draws QR codes of its own pages as SVG, with no
// network; any other URL (another host, an API path, another scheme) is
// refused with what it accepts.
func TestQR(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken})
	host := strings.TrimPrefix(ts.base, "http://")
	for _, page := range []string{"/", "/screen", "/screen/main", "/overlay/main", "/stage/main", "/admin"} {
		r := ts.do(t, http.MethodGet, "/api/v1/qr?url="+url.QueryEscape("http://"+host+page), "", "")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("QR of %s: %d %s %s", page, r.status, r.header.Get("Content-Type"), r.body)
		}
		if !bytes.HasPrefix(r.body, []byte("<svg ")) || !bytes.Contains(r.body, []byte("M")) || len(r.body) > 64<<10 {
			t.Errorf("QR of %s: not a small SVG: %.200s", page, r.body)
		}
	}
	for _, bad := range []string{
		"https://example.org/screen/main",    // another host
		"http://" + host + "/api/v1/screens", // not a page
		"javascript:alert(1)",
		"http://user@" + host + "/",
		"",
	} {
		checkAPIError(t, ts.do(t, http.MethodGet, "/api/v1/qr?url="+url.QueryEscape(bad), "", ""), http.StatusBadRequest, "bad_qr_url")
	}
}
