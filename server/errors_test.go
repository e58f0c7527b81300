package server

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/gofiber/fiber/v2"
)

// TestToAPIErr: every domain error maps to its status, stable code and
// message (docs/protocol.md and clients rely on them), wrapped or not;
// anything else is a fault.
func TestToAPIErr(t *testing.T) {
	_, unknown := schedule.SetDelay("nope", 5)(&schedule.Schedule{}, schedule.Adjustments{}, testNow)
	tests := []struct {
		err     error
		status  int
		code    string
		message string
		header  map[string]string
	}{
		{unknown, http.StatusNotFound, "unknown_track", `no track "nope" in the schedule; see /api/v1/schedule for the track ids`, nil},
		{schedule.ErrNoSuchAnnouncement, http.StatusNotFound, "not_found", "no such announcement (it may have expired or been removed already)", nil},
		{&conflictError{based: 3, current: 5}, http.StatusConflict, "conflict",
			`the announcements and delays changed since revision 3 (now 5), probably by another organizer: look at the current state, then send the change again with If-Match: "5"`,
			map[string]string{"ETag": `"5"`}},
		{errStoreUnavailable, http.StatusServiceUnavailable, "nats_unavailable", errStoreUnavailable.Error(), map[string]string{"Retry-After": "5"}},
		{&stateWriteError{errors.New("disk full")}, http.StatusInternalServerError, "state_write_failed",
			"the change was not saved, so it was not applied: disk full; check the disk holding the state file", nil},
		{badJSON("send JSON"), http.StatusBadRequest, "bad_json", "send JSON", nil},
		{fiber.ErrRequestEntityTooLarge, http.StatusRequestEntityTooLarge, "request_entity_too_large", "the body is larger than the server accepts (16 KB)", nil},
	}
	for _, tt := range tests {
		for _, err := range []error{tt.err, fmt.Errorf("wrapped: %w", tt.err)} {
			got, ok := toAPIErr(err)
			if !ok {
				t.Errorf("%v: no answer", err)
				continue
			}
			if got.Status != tt.status || got.Code != tt.code || got.Message != tt.message {
				t.Errorf("%v: %d %q %q, want %d %q %q", err, got.Status, got.Code, got.Message, tt.status, tt.code, tt.message)
			}
			for k, v := range tt.header {
				if got.Header[k] != v {
					t.Errorf("%v: header %s = %q, want %q", err, k, got.Header[k], v)
				}
			}
		}
	}
	if _, ok := toAPIErr(errors.New("boom")); ok {
		t.Error("an unknown error got an answer of its own; it is a fault (500 internal, logged)")
	}
}
