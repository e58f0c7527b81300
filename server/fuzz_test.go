package server

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzClientMessage: whatever a client sends, decodeClientMessage does not
// panic, accepts only a ping that is valid JSON and UTF-8 within 512 bytes,
// and refuses with one of the close reasons (which fit a close frame).
func FuzzClientMessage(f *testing.F) {
	for _, s := range []string{
		`{"type":"ping","client_time_ms":1732550000000}`,
		`{"type":"ping","client_time_ms":-1}`,
		`{"type":"ping","client_time_ms":9223372036854775807}`,
		`{"type":"ping","client_time_ms":9223372036854775808}`,
		`{"type":"ping","client_time_ms":1.5}`,
		`{"type":"ping","client_time_ms":1e3}`,
		`{"type":"ping","client_time_ms":"1"}`,
		`{"type":"ping","client_time_ms":null}`,
		`{"type":"ping"}`,
		`{"TYPE":"ping","Client_Time_MS":1}`,
		`{"type":"ping","type":"pong","client_time_ms":1}`,
		`{"type":"subscribe","track":"main"}`,
		`{"type":"ping","client_time_ms":1} {"type":"ping","client_time_ms":2}`,
		`[{"type":"ping","client_time_ms":1}]`,
		`{"type":"ping","client_time_ms":1,"x":"` + "\xff" + `"}`,
		`{"type":"ping","client_time_ms":1,"pad":"` + strings.Repeat("x", 500) + `"}`,
		`null`, ``, `{`, "\x00\x01", `hello?`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := decodeClientMessage(data)
		if err != nil {
			if !errors.Is(err, errNotUnderstood) && !errors.Is(err, errTooLarge) {
				t.Fatalf("refused with %v, not a close reason", err)
			}
			if len(err.Error()) > 123 {
				t.Fatalf("close reason %q is longer than a close frame allows", err)
			}
			return
		}
		switch {
		case msg.Type != "ping":
			t.Fatalf("accepted type %q", msg.Type)
		case len(data) > maxClientMessage:
			t.Fatalf("accepted %d bytes", len(data))
		case !utf8.Valid(data) || !json.Valid(data):
			t.Fatalf("accepted %q, not valid UTF-8 JSON", data)
		}
		// The pong echoes the time exactly.
		var pong struct {
			ClientTimeMS int64 `json:"client_time_ms"`
		}
		if err := json.Unmarshal(mustJSON(map[string]int64{"client_time_ms": msg.ClientTimeMS}), &pong); err != nil || pong.ClientTimeMS != msg.ClientTimeMS {
			t.Fatalf("client time %d does not round-trip (%v)", msg.ClientTimeMS, err)
		}
	})
}

// FuzzAdminBodies: whatever an organizer's client sends as the body of an
// announcement or a delay, parsing does not panic; what it accepts is within
// the documented limits (a ttl that would overflow a duration included);
// what it refuses is a 400 or 422 with a code and a message.
func FuzzAdminBodies(f *testing.F) {
	for _, s := range []string{
		`{"text": "Lunch is served", "track": "main", "ttl_seconds": 600}`,
		`{"text": "  padded  "}`,
		`{"text": "` + strings.Repeat("é", maxAnnouncementRunes) + `"}`,
		`{"text": "` + strings.Repeat("é", maxAnnouncementRunes+1) + `"}`,
		`{"text": "hi", "ttl_seconds": 604800}`,
		`{"text": "hi", "ttl_seconds": 604801}`,
		`{"text": "hi", "ttl_seconds": 18446744074}`,
		`{"text": "hi", "ttl_seconds": -1}`,
		`{"text": "hi", "ttl_seconds": 1e3}`,
		`{"text": "\u0000\ud800"}`,
		`{"text": "hi"}}`, `{"text": "hi"} {"text": "ho"}`, `{"text": "hi", "colour": "red"}`,
		`{"minutes": 7}`, `{"minutes": 0}`, `{"minutes": 720}`, `{"minutes": 721}`, `{"minutes": -5}`,
		`{"minutes": 9223372036854775807}`, `{"minutes": null}`, `{"minute": 5}`, `{}`,
		`null`, `[]`, `""`, ``, "\xef\xbb\xbf{}", ` {"minutes": 1} `,
	} {
		f.Add([]byte(s))
	}
	codes := map[string]int{"bad_json": 400, "empty_text": 422, "text_too_long": 422, "bad_ttl": 422, "bad_minutes": 422,
		"control_character": 422, "no_visible_text": 422, "unbalanced_bidi": 422}
	refused := func(t *testing.T, what string, err error) {
		t.Helper()
		var ae *apiErr
		if !errors.As(err, &ae) {
			t.Fatalf("%s: refused with %T %v, not an apiErr", what, err, err)
		}
		if status, ok := codes[ae.Code]; !ok || status != ae.Status || ae.Message == "" {
			t.Fatalf("%s: refused with %d %q %q", what, ae.Status, ae.Code, ae.Message)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if req, err := parseAnnouncement(body); err != nil {
			refused(t, "announcement", err)
		} else {
			switch {
			case !json.Valid(body):
				t.Fatalf("announcement: accepted %q, not one JSON document", body)
			case req.Text == "" || req.Text != strings.TrimSpace(req.Text) || !utf8.ValidString(req.Text):
				t.Fatalf("announcement: accepted text %q", req.Text)
			case strings.ContainsFunc(req.Text, unicode.IsControl):
				t.Fatalf("announcement: accepted the control characters in %q", req.Text)
			case utf8.RuneCountInString(req.Text) > maxAnnouncementRunes:
				t.Fatalf("announcement: accepted %d characters", utf8.RuneCountInString(req.Text))
			case req.TTLSeconds < 0 || time.Duration(req.TTLSeconds)*time.Second > maxTTL ||
				time.Duration(req.TTLSeconds)*time.Second/time.Second != time.Duration(req.TTLSeconds):
				t.Fatalf("announcement: accepted ttl_seconds %d", req.TTLSeconds)
			}
		}
		if minutes, err := parseDelay(body); err != nil {
			refused(t, "delay", err)
		} else if minutes < 0 || minutes > maxDelayMinutes || !json.Valid(body) {
			t.Fatalf("delay: accepted %d minutes from %q", minutes, body)
		}
	})
}
