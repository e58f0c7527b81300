package server

import (
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/confdash/confdash/schedule"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// apiErr is the project's one HTTP error: handlers and middleware return
// it, and errorHandler writes it as
//
//	{"error": {"code": "...", "message": "...", "details": ...}}
//
// with Status. Code is stable (clients and docs/protocol.md rely on it);
// Message says what to do next.
type apiErr struct {
	Status  int
	Code    string
	Message string
	Details any               // omitted when nil
	Header  map[string]string // set on the answer (Retry-After, ETag)
}

func (e *apiErr) Error() string { return e.Message }

// apiError makes an apiErr.
func apiError(status int, code, message string) *apiErr {
	return &apiErr{Status: status, Code: code, Message: message}
}

// unknownTrack is a track id the schedule does not have, wherever it came
// from (a query, a path, a state file entry).
func unknownTrack(id string) *apiErr {
	return apiError(fiber.StatusNotFound, "unknown_track", "no track "+quote(id)+" in the schedule; see /api/v1/schedule for the track ids")
}

func etag(rev uint64) string { return `"` + strconv.FormatUint(rev, 10) + `"` }

// toAPIErr is the one mapping of errors to answers: the schedule's edit
// errors, the store's (conflict, unavailable, write failure), Fiber's own.
// false for an error that has no answer of its own: a fault.
func toAPIErr(err error) (*apiErr, bool) {
	var ae *apiErr
	var fe *fiber.Error
	var ut *schedule.UnknownTrackError
	var ce *conflictError
	var we *stateWriteError
	switch {
	case errors.As(err, &ae):
		return ae, true
	case errors.As(err, &fe):
		code := strings.ToLower(strings.ReplaceAll(utils.StatusMessage(fe.Code), " ", "_"))
		msg, ok := errorMessages[fe.Code]
		if !ok {
			msg = utils.StatusMessage(fe.Code)
		}
		return apiError(fe.Code, code, msg), true
	case errors.As(err, &ut):
		return unknownTrack(ut.Track), true
	case errors.Is(err, schedule.ErrBadMovedTo):
		return apiError(fiber.StatusUnprocessableEntity, "bad_moved_to", err.Error()), true
	case errors.Is(err, schedule.ErrNothingOnStage):
		return apiError(fiber.StatusConflict, "nothing_on_stage", err.Error()), true
	case errors.Is(err, schedule.ErrNoSuchAnnouncement):
		return apiError(fiber.StatusNotFound, "not_found", schedule.ErrNoSuchAnnouncement.Error()), true
	case errors.As(err, &ce):
		e := apiError(fiber.StatusConflict, "conflict", ce.Error())
		e.Header = map[string]string{fiber.HeaderETag: etag(ce.current)}
		return e, true
	case errors.Is(err, errStoreUnavailable):
		e := apiError(fiber.StatusServiceUnavailable, "nats_unavailable", errStoreUnavailable.Error())
		e.Header = map[string]string{fiber.HeaderRetryAfter: "5"}
		return e, true
	case errors.As(err, &we):
		return apiError(fiber.StatusInternalServerError, "state_write_failed", "the change was not saved, so it was not applied: "+we.Error()+"; check the disk holding the state file"), true
	}
	return nil, false
}

// errorMessages are the answers to errors raised before or outside the
// handlers. They are fixed: fasthttp's error for a malformed request quotes
// the request itself (headers, Authorization included), which must never go
// back out or into a log.
var errorMessages = map[int]string{
	fiber.StatusBadRequest:                  "the request is not valid HTTP; nothing was done",
	fiber.StatusRequestEntityTooLarge:       "the body is larger than the server accepts (16 KB)",
	fiber.StatusRequestHeaderFieldsTooLarge: "the request headers are larger than the server accepts (4 KB)",
	fiber.StatusRequestTimeout:              "the request took too long to arrive",
}

// statusOf is the status an error is answered with.
func statusOf(err error) int {
	if ae, ok := toAPIErr(err); ok {
		return ae.Status
	}
	return fiber.StatusInternalServerError
}

// errorHandler answers every error a handler returns (and those Fiber finds
// before routing) in the project's error shape.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	// Errors found before routing (a body or headers too large) never went
	// through the middleware.
	setSecurityHeaders(c)
	ae, ok := toAPIErr(err)
	if !ok {
		s.log.Error("request failed", slog.String("path", keep(c.Path())), slog.Any("err", err))
		ae = apiError(fiber.StatusInternalServerError, "internal", "the server failed to answer; the log says why")
	}
	for k, v := range ae.Header {
		c.Set(k, v)
	}
	body := fiber.Map{"code": ae.Code, "message": ae.Message}
	if ae.Details != nil {
		body["details"] = ae.Details
	}
	return c.Status(ae.Status).JSON(fiber.Map{"error": body})
}

// noRoute answers a request no route took: 405 with Allow when the path
// is known under other methods, else 404 (JSON, so that an API client reads
// it as the API's own answer). Neither needs a token nor spends a budget.
func noRoute(c *fiber.Ctx, routes []fiber.Route) error {
	var allow []string
	for _, r := range routes {
		if routeMatches(r.Path, c.Path()) && !slices.Contains(allow, r.Method) {
			allow = append(allow, r.Method)
		}
	}
	// A route that declined its own path (/METRICS) is no reason for 405.
	if len(allow) > 0 && !slices.Contains(allow, c.Method()) {
		c.Set(fiber.HeaderAllow, strings.Join(allow, ", "))
		return apiError(fiber.StatusMethodNotAllowed, "method_not_allowed", "this path answers only "+strings.Join(allow, ", "))
	}
	if p := strings.ToLower(c.Path()); p == "/api" || strings.HasPrefix(p, "/api/") {
		return apiError(fiber.StatusNotFound, "not_found", "no such API endpoint: docs/protocol.md lists them")
	}
	return apiError(fiber.StatusNotFound, "not_found", "no such page: the views are /, /screen/{track}, /overlay/{track} and /admin")
}

// routeMatches reports whether path falls under the route pattern as Fiber
// matches it (case-insensitive, a trailing slash ignored, ":name" one
// segment, "*" the rest).
func routeMatches(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range ps {
		if p == "*" {
			return true
		}
		if i >= len(xs) {
			return false
		}
		if strings.HasPrefix(p, ":") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if !strings.EqualFold(p, xs[i]) {
			return false
		}
	}
	return len(ps) == len(xs)
}
