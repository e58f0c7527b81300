package server

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestAdminSocketNeedsToken: the console's topic (pending announcements,
// crew notes, viewer counts) is the organizers'. A socket asking for it
// without the admin token, or with a wrong one, or with the token in the URL,
// is refused with 401 before the upgrade and gets nothing of the topic; each
// refusal spends the address's admin budget, as the HTTP API's do, so
// guessing through the socket is no faster. The right token, offered as a
// subprotocol the way the console does, opens the console's socket at once
// (and is never rate-limited), and the server selects confdash.v1, never
// echoing the token. The console's state over HTTP asks for the token too.
func TestAdminSocketNeedsToken(t *testing.T) {
	ts := startServer(t, Config{AdminToken: adminToken, AdminRate: 0.001, AdminBurst: 4})
	bearer := func(tok string) http.Header {
		return http.Header{"Sec-WebSocket-Protocol": {"confdash.v1, bearer." + base64.RawURLEncoding.EncodeToString([]byte(tok))}}
	}
	refused := func(name, query string, h http.Header, want int) {
		t.Helper()
		c, resp, err := websocket.DefaultDialer.Dial(ts.ws+"?"+query, h)
		if err == nil {
			c.Close()
			t.Fatalf("%s: the console's socket opened", name)
		}
		if resp == nil {
			t.Fatalf("%s: %v, want HTTP %d", name, err, want)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s: HTTP %d %s, want %d", name, resp.StatusCode, body, want)
		}
		if strings.Contains(string(body), `"type"`) || strings.Contains(string(body), adminToken) {
			t.Errorf("%s: the refusal carries data: %s", name, body)
		}
		if want == http.StatusUnauthorized && !strings.Contains(string(body), "subprotocol") {
			t.Errorf("%s: the refusal does not say how to send the token: %s", name, body)
		}
	}
	refused("no token", "view=admin", nil, http.StatusUnauthorized)
	refused("a wrong token", "view=admin", bearer("not-the-token"), http.StatusUnauthorized)
	refused("the token in the URL", "view=admin&token="+adminToken+"&access_token="+adminToken, nil, http.StatusUnauthorized)
	refused("the token, not encoded", "view=admin", http.Header{"Sec-WebSocket-Protocol": {"confdash.v1, bearer." + adminToken + "!"}}, http.StatusUnauthorized)
	// The budget of 4 is spent: the next wrong try waits.
	refused("a fifth wrong try", "view=admin", bearer("still-not-it"), http.StatusTooManyRequests)

	// The right token passes with the budget spent.
	c, resp, err := websocket.DefaultDialer.Dial(ts.ws+"?view=admin", bearer(adminToken))
	if err != nil {
		t.Fatalf("the console's socket with the token: %v (%v)", err, resp)
	}
	t.Cleanup(func() { c.Close() })
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != wsProtocol {
		t.Errorf("selected subprotocol %q, want %q", got, wsProtocol)
	}
	cl := &client{t: t, name: "console", c: c}
	if m := cl.next(); m.Type != "hello" {
		t.Fatalf("first message %q, want hello", m.Type)
	}
	if m := cl.next(); m.Type != "state" {
		t.Fatalf("second message %q, want state", m.Type)
	}

	// The other views need no token, and a tab offering none is served.
	ts.dial(t, "tab", "view=tab")

	// The same state over HTTP.
	if r := ts.do(t, http.MethodGet, "/api/v1/state?view=admin", "", ""); r.status != http.StatusTooManyRequests && r.status != http.StatusUnauthorized {
		t.Errorf("GET state?view=admin without the token = %d %s, want 401 (or 429 with the budget spent)", r.status, r.body)
	}
	if r := ts.do(t, http.MethodGet, "/api/v1/state?view=admin", adminToken, ""); r.status != http.StatusOK {
		t.Errorf("GET state?view=admin with the token = %d %s, want 200", r.status, r.body)
	}
}
