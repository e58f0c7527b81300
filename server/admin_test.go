package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/confdash/confdash/internal/testserver"
)

// adminCalls are every admin endpoint with a body it would accept.
var adminCalls = []struct{ method, path, body string }{
	{http.MethodGet, "/api/v1/admin", ""},
	{http.MethodPost, "/api/v1/announcements", `{"text": "hi"}`},
	{http.MethodDelete, "/api/v1/announcements/abc", ""},
	{http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 3}`},
	{http.MethodPost, "/api/v1/tracks/main/started", `{}`},
	{http.MethodPost, "/api/v1/tracks/main/ended", `{}`},
	{http.MethodPost, "/api/v1/reload", ""},
}

// TestAdminDisabled: with no token configured every admin call answers 403
// with a message saying how to enable it, whatever the request carries.
func TestAdminDisabled(t *testing.T) {
	ts := startServer(t, Config{})
	for _, c := range adminCalls {
		for _, tok := range []string{"", adminToken} {
			r := ts.do(t, c.method, c.path, tok, c.body)
			checkAPIError(t, r, http.StatusForbidden, "admin_disabled")
			if !bytes.Contains(r.body, []byte("CONFDASH_ADMIN_TOKEN")) {
				t.Errorf("%s %s: the 403 does not say how to enable the admin API: %s", c.method, c.path, r.body)
			}
		}
	}
	if d := stateDocOf(t, ts.get(t, "/api/v1/state")); len(d.Announcements) != 0 || d.Tracks[0].DelayMinutes != 0 {
		t.Errorf("refused calls changed the state: %+v", d)
	}
}

// TestAdminWithToken runs the admin checks on one server with a token
// configured, logging everything at debug level, and checks at the end that
// no token reached the log.
func TestAdminWithToken(t *testing.T) {
	var log testserver.LockedBuffer
	ts := startServer(t, Config{AdminToken: adminToken, Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	const wrong = "not-the-token-but-secret-too"
	ts.do(t, http.MethodGet, "/api/v1/admin", wrong, "")
	t.Run("auth", func(t *testing.T) { testAdminAuth(t, ts) })
	t.Run("bad requests", func(t *testing.T) { testAdminBadRequests(t, ts) })
	ts.announce(t, "hello", "")
	ts.admin(t, http.MethodPost, "/api/v1/tracks/side/delay", `{"minutes": 4}`, http.StatusOK)
	if log.Len() == 0 {
		t.Fatal("nothing was logged: the test would not see a leak")
	}
	for _, secret := range []string{adminToken, wrong} {
		if strings.Contains(log.String(), secret) {
			t.Errorf("the log holds a token:\n%s", log.String())
		}
	}
}

// testAdminAuth: a missing, malformed or wrong token answers 401 on every
// admin call; the right one is accepted.
func testAdminAuth(t *testing.T, ts *testServer) {
	for _, c := range adminCalls {
		for _, auth := range []string{
			"",
			"Bearer ",
			"Bearer wrong",
			"Bearer " + adminToken + "x",
			"Bearer " + adminToken[:len(adminToken)-1],
			"bearer" + adminToken,
			"Basic " + adminToken,
			adminToken,
		} {
			req, err := http.NewRequest(c.method, ts.base+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r := readResponse(t, resp)
			checkAPIError(t, r, http.StatusUnauthorized, "unauthorized")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s with %q: 401 without WWW-Authenticate", c.method, c.path, auth)
			}
		}
	}
	if d := stateDocOf(t, ts.get(t, "/api/v1/state")); len(d.Announcements) != 0 || d.Tracks[0].DelayMinutes != 0 {
		t.Errorf("refused calls changed the state: %+v", d)
	}
	if got := ts.admin(t, http.MethodGet, "/api/v1/admin", "", http.StatusOK); !bytes.Contains(got, []byte(`"ok":true`)) {
		t.Errorf("GET /api/v1/admin with the token = %s, want {\"ok\":true}", got)
	}
}

// testAdminBadRequests: every malformed call gets the JSON error shape with
// the right status, and changes nothing.
func testAdminBadRequests(t *testing.T, ts *testServer) {
	long := strings.Repeat("é", maxAnnouncementRunes+1)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"not json", http.MethodPost, "/api/v1/announcements", `text=hi`, 400, "bad_json"},
		{"truncated json", http.MethodPost, "/api/v1/announcements", `{"text": "hi"`, 400, "bad_json"},
		{"unknown field", http.MethodPost, "/api/v1/announcements", `{"text": "hi", "colour": "red"}`, 400, "bad_json"},
		{"two objects", http.MethodPost, "/api/v1/announcements", `{"text": "hi"} {"text": "ho"}`, 400, "bad_json"},
		{"wrong type", http.MethodPost, "/api/v1/announcements", `{"text": 42}`, 400, "bad_json"},
		{"empty body", http.MethodPost, "/api/v1/announcements", ``, 400, "bad_json"},
		{"empty text", http.MethodPost, "/api/v1/announcements", `{"text": "   "}`, 422, "empty_text"},
		{"text too long", http.MethodPost, "/api/v1/announcements", `{"text": "` + long + `"}`, 422, "text_too_long"},
		{"negative ttl", http.MethodPost, "/api/v1/announcements", `{"text": "hi", "ttl_seconds": -1}`, 422, "bad_ttl"},
		{"ttl over a week", http.MethodPost, "/api/v1/announcements", `{"text": "hi", "ttl_seconds": 604801}`, 422, "bad_ttl"},
		{"ttl overflowing", http.MethodPost, "/api/v1/announcements", `{"text": "hi", "ttl_seconds": 9223372036854775}`, 422, "bad_ttl"},
		{"trailing garbage", http.MethodPost, "/api/v1/announcements", `{"text": "hi"}}`, 400, "bad_json"},
		{"array body", http.MethodPost, "/api/v1/announcements", `[{"text": "hi"}]`, 400, "bad_json"},
		{"announcement unknown track", http.MethodPost, "/api/v1/announcements", `{"text": "hi", "track": "nope"}`, 404, "unknown_track"},
		{"delay unknown track", http.MethodPost, "/api/v1/tracks/nope/delay", `{"minutes": 5}`, 404, "unknown_track"},
		{"delay typo", http.MethodPost, "/api/v1/tracks/main/delay", `{"minute": 5}`, 400, "bad_json"},
		{"delay missing minutes", http.MethodPost, "/api/v1/tracks/main/delay", `{}`, 422, "bad_minutes"},
		{"delay negative", http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": -5}`, 422, "bad_minutes"},
		{"delay too long", http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 100000}`, 422, "bad_minutes"},
		{"delete unknown", http.MethodDelete, "/api/v1/announcements/nope", ``, 404, "not_found"},
		{"reload without a file", http.MethodPost, "/api/v1/reload", ``, 409, "no_schedule_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkAPIError(t, ts.do(t, tc.method, tc.path, adminToken, tc.body), tc.status, tc.code)
		})
	}
	if d := stateDocOf(t, ts.get(t, "/api/v1/state")); len(d.Announcements) != 0 || d.Tracks[0].DelayMinutes != 0 {
		t.Errorf("refused calls changed the state: %+v", d)
	}
}
