package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/confdash/confdash/schedule"
	"github.com/gofiber/fiber/v2"
)

// What organizers may send, checked before a change is made: the admin
// API's bodies, and the state file's entries at start-up (the same checks).

// Limits of what organizers may post: a screen shows an announcement in huge
// type, so it stays short.
const (
	maxAnnouncementRunes = 280
	maxTTL               = 7 * 24 * time.Hour
	maxDelayMinutes      = 720
	maxBodyBytes         = 16 << 10
)

// decodeJSONBody decodes body, which must be exactly one JSON object, into
// v. Unknown fields are errors, so a typo ("minute") is not silently
// ignored.
func decodeJSONBody(body []byte, v any) error {
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return badJSON("the body must be a JSON object as documented in docs/protocol.md")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badJSON("the body must be a JSON object as documented in docs/protocol.md: " + err.Error())
	}
	// Only white space may follow (Decoder.More would let a stray "}" by).
	if len(bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")) != 0 {
		return badJSON("the body must hold exactly one JSON object")
	}
	return nil
}

type announcementRequest struct {
	Text       string         `json:"text"`
	Track      string         `json:"track"`
	TTLSeconds int            `json:"ttl_seconds"`
	Audience   []string       `json:"audience"`  // nil: the default
	Level      schedule.Level `json:"level"`     // "": info
	StartsAt   *time.Time     `json:"starts_at"` // nil: now
}

// parseAnnouncement decodes and checks the body of POST /api/v1/announcements
// posted at now (whether the track exists is checked against the running
// schedule later, by checkAnnouncement). The text comes back as screens
// show it (checkAnnouncementText).
func parseAnnouncement(body []byte, now time.Time) (announcementRequest, error) {
	var req announcementRequest
	if err := decodeJSONBody(body, &req); err != nil {
		return req, err
	}
	text, err := checkAnnouncementText(req.Text)
	if err != nil {
		return req, err
	}
	req.Text = text
	// Compared in seconds: a huge ttl_seconds times time.Second would
	// overflow and pass as a short one.
	if req.TTLSeconds < 0 || req.TTLSeconds > int(maxTTL/time.Second) {
		return req, invalid("bad_ttl", "ttl_seconds must be between 0 (until removed) and 604800 (a week)")
	}
	if err := checkAudience(req.Audience, req.Level); err != nil {
		return req, err
	}
	return req, checkStartsAt(req.StartsAt, now)
}

// checkAudience checks an announcement's audience and level, for the admin
// API and the state file alike: every audience name known and at least one
// of them (an empty list is refused; leaving the field out means the
// default), and a known level (empty means info).
func checkAudience(audience []string, level schedule.Level) error {
	if audience != nil && len(audience) == 0 {
		return invalid("bad_audience", `audience must name at least one of "room", "lobby", "stage", "stream", "tab"; leave it out for the default ["room","lobby","tab"]`)
	}
	for _, a := range audience {
		if !slices.Contains(schedule.Audiences, a) {
			return invalid("bad_audience", "audience "+quote(a)+` is unknown: use "room" (room screens), "lobby", "stage" (the speaker's monitor), "stream" (the overlay) or "tab"`)
		}
	}
	if level != "" && !slices.Contains(schedule.Levels, level) {
		return invalid("bad_level", "level "+quote(string(level))+` is unknown: use "info" (the default), "urgent" (highlighted) or "emergency" (takes over every targeted screen)`)
	}
	return nil
}

// maxStartsAhead bounds how far ahead a message may be scheduled, and
// startsAtSlack how far behind: a console's clock and a minute-precision
// time field may put "now" a little in the past, which means now.
const (
	maxStartsAhead = 7 * 24 * time.Hour
	startsAtSlack  = time.Minute
)

// checkStartsAt checks the instant a message posted at now is to appear.
func checkStartsAt(at *time.Time, now time.Time) error {
	switch {
	case at == nil:
		return nil
	case at.Before(now.Add(-startsAtSlack)):
		return invalid("bad_starts_at", "starts_at "+at.UTC().Format(time.RFC3339)+" has passed (the server's time is "+now.UTC().Format(time.RFC3339)+"): leave it out to show the message now")
	case at.After(now.Add(maxStartsAhead)):
		return invalid("bad_starts_at", "starts_at may be at most a week ahead: post the message later")
	}
	return nil
}

// invalid is a field refused with 422: by the admin API in its answer, or
// by the state file's check at start-up in a warning.
func invalid(code, message string) error {
	return apiError(fiber.StatusUnprocessableEntity, code, message)
}

// badJSON is a body that is not the JSON object documented.
func badJSON(msg string) error { return apiError(fiber.StatusBadRequest, "bad_json", msg) }

// checkAnnouncement is the state file's check of an announcement at
// start-up, the same as an organizer's post meets (parseAnnouncement, then
// schedule.AddAnnouncement for the track): a sound id, a text screens can
// show (checkAnnouncementText), a start within a week of its posting and a
// life within a week of its start, a known audience and level
// (checkAudience), and a track of the schedule sc. It returns the announcement with its text as screens
// show it.
func checkAnnouncement(a schedule.Announcement, sc *schedule.Schedule) (schedule.Announcement, error) {
	if !validAnnouncementID(a.ID) {
		return a, invalid("bad_id", "the id must be 1 to 64 letters, digits, '-' or '_'")
	}
	text, err := checkAnnouncementText(a.Text)
	if err != nil {
		return a, err
	}
	a.Text = text
	if a.Created.IsZero() {
		return a, invalid("bad_time", "created must be the RFC 3339 instant the announcement was posted")
	}
	if a.StartsAt != nil && (a.StartsAt.Before(a.Created) || a.StartsAt.Sub(a.Created) > maxStartsAhead) {
		return a, invalid("bad_starts_at", "starts_at must lie after created, by a week at most; leave it out to show the announcement from created")
	}
	if a.Expires != nil && (!a.Expires.After(a.Shown()) || a.Expires.Sub(a.Shown()) > maxTTL) {
		return a, invalid("bad_ttl", "expires must lie after starts_at (or created), by a week at most; leave it out to show the announcement until it is removed")
	}
	if err := checkAudience(a.Audience, a.Level); err != nil {
		return a, err
	}
	// A file written before audiences existed: the default audience, info.
	return a.Normalized(), checkTrack(sc, a.Track, true)
}

// checkDelay is the state file's check of a track's delay; the admin API
// checks the same with parseDelay and schedule.SetDelay.
func checkDelay(track string, d schedule.Delay, sc *schedule.Schedule) error {
	if err := checkDelayMinutes(d.Minutes); err != nil {
		return err
	}
	if d.From.IsZero() {
		return invalid("bad_time", "from must be the RFC 3339 instant the delay was set")
	}
	if err := checkTrack(sc, track, false); err != nil {
		return err
	}
	if d.Session != "" && !hasSession(sc, track, d.Session) {
		return invalid("unknown_session", "session "+quote(d.Session)+" is not on track "+quote(track)+" in the schedule: set the delay again from the admin console")
	}
	return nil
}

// checkLive is the state file's check of what was said about a session on
// stage; the admin API makes the same with schedule.Started and Ended.
func checkLive(id string, l schedule.Live, sc *schedule.Schedule) error {
	if err := checkTrack(sc, l.Track, false); err != nil {
		return err
	}
	if !hasSession(sc, l.Track, id) {
		return invalid("unknown_session", "session "+quote(id)+" is not on track "+quote(l.Track)+" in the schedule")
	}
	switch {
	case l.Started == nil && l.Ended == nil:
		return invalid("bad_time", "started or ended must be an RFC 3339 instant")
	case l.Started != nil && l.Started.IsZero(), l.Ended != nil && l.Ended.IsZero():
		return invalid("bad_time", "started and ended must be RFC 3339 instants")
	case l.Started != nil && l.Ended != nil && l.Ended.Before(*l.Started):
		return invalid("bad_time", "ended lies before started")
	}
	return nil
}

// hasSession reports whether the schedule has a session with that id on
// that track (session ids are unique across a schedule).
func hasSession(sc *schedule.Schedule, track, id string) bool {
	for i := range sc.Sessions {
		if sc.Sessions[i].ID == id {
			return sc.Sessions[i].Track == track
		}
	}
	return false
}

// parseEmpty checks the body of a call that takes none: an empty object,
// or nothing at all.
func parseEmpty(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var req struct{}
	return decodeJSONBody(body, &req)
}

// checkTrack refuses a track id the schedule does not have; an empty one
// means every track where that is allowed.
func checkTrack(sc *schedule.Schedule, track string, emptyMeansAll bool) error {
	if track == "" && emptyMeansAll {
		return nil
	}
	if _, ok := sc.Track(track); !ok {
		return unknownTrack(track)
	}
	return nil
}

// validAnnouncementID accepts the ids the server makes (12 hex digits) and
// any like them: they appear in URLs (DELETE /api/v1/announcements/{id}) and
// logs, so nothing that needs escaping there.
func validAnnouncementID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// checkAnnouncementText checks an announcement's text and returns it as
// screens show it: one line, trimmed. Screens show it in huge type on one
// line, so line breaks and tabs (pressed or pasted in the admin console's
// text box) become one space each run; any other control character is
// refused, as is a text with nothing visible (only spaces and invisible
// format characters such as U+200B or U+FEFF) and one whose direction
// controls are not closed in order (U+202A..U+202E, U+2066..U+2069): one
// left open can reverse what a screen shows after the text.
func checkAnnouncementText(text string) (string, error) {
	var b strings.Builder
	var open []rune // the embeddings and isolates not closed yet
	inBreak, visible, i := false, false, 0
	for _, r := range text {
		i++ // the character's position, for the messages
		if isLineBreak(r) {
			if !inBreak {
				b.WriteByte(' ')
			}
			inBreak = true
			continue
		}
		inBreak = false
		switch {
		case unicode.IsControl(r):
			return "", invalid("control_character", fmt.Sprintf("text contains the control character U+%04X at character %d: remove it (announcements are plain text)", r, i))
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			var ok bool
			if open, ok = balanceBidi(open, r); !ok {
				return "", invalid("unbalanced_bidi", fmt.Sprintf("text has an unmatched direction control U+%04X at character %d: remove it, or close each U+202A..U+202E with U+202C and each U+2066..U+2068 with U+2069, innermost first", r, i))
			}
		case !unicode.IsSpace(r) && !invisible(r):
			visible = true
		}
		b.WriteRune(r)
	}
	if len(open) > 0 {
		return "", invalid("unbalanced_bidi", fmt.Sprintf("text leaves the direction control U+%04X open: close it (U+202C for U+202A..U+202E, U+2069 for U+2066..U+2068) or remove it", open[len(open)-1]))
	}
	text = strings.TrimSpace(b.String())
	switch {
	case text == "":
		return "", invalid("empty_text", "text is required: write the announcement's words")
	case !visible:
		return "", invalid("no_visible_text", "text has no visible characters, only spaces or invisible formatting characters (such as U+200B): write the announcement's words")
	case utf8.RuneCountInString(text) > maxAnnouncementRunes:
		return "", invalid("text_too_long", fmt.Sprintf("text is limited to %d characters: screens show it in huge type", maxAnnouncementRunes))
	}
	return text, nil
}

// invisible reports the characters that show nothing on their own: format
// characters (U+200B), spaces, the rest of Unicode's default-ignorable code
// points (U+034F, the Hangul fillers U+115F, U+3164, U+FFA0) and variation
// selectors, and the braille blank U+2800, which fonts draw empty and which
// is the usual way to post a "blank" text where one is refused.
func invisible(r rune) bool {
	return r == 0x2800 || unicode.In(r, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// isLineBreak reports the characters an announcement's text turns into a
// space: tabs, line and paragraph breaks (including NEL, U+2028, U+2029).
func isLineBreak(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// balanceBidi applies one direction control to the stack of open ones: an
// embedding or override (U+202A, U+202B, U+202D, U+202E) or an isolate
// (U+2066..U+2068) opens; U+202C closes the innermost if it is an
// embedding, U+2069 if it is an isolate. Anything else is unmatched.
func balanceBidi(open []rune, r rune) ([]rune, bool) {
	isolate := func(r rune) bool { return r >= 0x2066 && r <= 0x2068 }
	if r != 0x202C && r != 0x2069 {
		return append(open, r), true
	}
	if len(open) == 0 || isolate(open[len(open)-1]) != (r == 0x2069) {
		return open, false
	}
	return open[:len(open)-1], true
}

// parseDelay decodes and checks the body of POST /api/v1/tracks/{track}/delay.
func parseDelay(body []byte) (int, error) {
	var req struct {
		Minutes *int `json:"minutes"`
	}
	if err := decodeJSONBody(body, &req); err != nil {
		return 0, err
	}
	if req.Minutes == nil {
		return 0, errBadMinutes
	}
	return *req.Minutes, checkDelayMinutes(*req.Minutes)
}

var errBadMinutes = invalid("bad_minutes", fmt.Sprintf("minutes must be a number from 0 (clears the delay) to %d", maxDelayMinutes))

func checkDelayMinutes(m int) error {
	if m < 0 || m > maxDelayMinutes {
		return errBadMinutes
	}
	return nil
}

// maxStatusNoteRunes bounds a room status's note: screens show it in the
// status ribbon, on one line beside the room's name.
const maxStatusNoteRunes = 140

// parseStatus decodes and checks the body of POST
// /api/v1/tracks/{track}/status (whether moved_to is another track of the
// running schedule is checked by schedule.SetStatus). The note comes back
// as screens show it.
func parseStatus(body []byte) (schedule.RoomStatus, error) {
	var req struct {
		Status  *schedule.Status `json:"status"`
		Note    string           `json:"note"`
		MovedTo string           `json:"moved_to"`
	}
	if err := decodeJSONBody(body, &req); err != nil {
		return schedule.RoomStatus{}, err
	}
	if req.Status == nil {
		return schedule.RoomStatus{}, errBadStatus
	}
	return checkStatusFields(schedule.RoomStatus{Status: *req.Status, Note: req.Note, MovedTo: req.MovedTo})
}

var errBadStatus = invalid("bad_status", "status must be one of open (clears it), full, closed, moved")

// checkStatusFields is what parseStatus and the state file's check share:
// a status of schedule.Statuses, a note screens can show (the
// announcements' checks, and at most maxStatusNoteRunes characters), and
// moved_to exactly when the room moved. It returns st with its note as
// screens show it.
func checkStatusFields(st schedule.RoomStatus) (schedule.RoomStatus, error) {
	if !st.Status.Valid() {
		return st, errBadStatus
	}
	if st.Note != "" {
		if st.Status == schedule.StatusOpen {
			return st, invalid("bad_note", "an open room shows no note: leave note out, or give the status it explains")
		}
		note, err := checkAnnouncementText(st.Note)
		if ae, ok := err.(*apiErr); ok {
			e := *ae // the message speaks of the text: say which
			e.Message = "note: " + e.Message
			return st, &e
		}
		if utf8.RuneCountInString(note) > maxStatusNoteRunes {
			return st, invalid("note_too_long", fmt.Sprintf("note is limited to %d characters: screens show it on one line beside the room's name", maxStatusNoteRunes))
		}
		st.Note = note
	}
	switch {
	case st.Status == schedule.StatusMoved && st.MovedTo == "":
		return st, invalid("bad_moved_to", "moved_to is required with status moved: name the track the room's sessions move to")
	case st.Status != schedule.StatusMoved && st.MovedTo != "":
		return st, invalid("bad_moved_to", "moved_to goes with status moved only: leave it out, or set status to moved")
	}
	return st, nil
}

// checkStatus is the state file's check of a room's status; the admin API
// checks the same with parseStatus and schedule.SetStatus.
func checkStatus(track string, st schedule.RoomStatus, sc *schedule.Schedule) (schedule.RoomStatus, error) {
	st, err := checkStatusFields(st)
	if err != nil {
		return st, err
	}
	if st.Status == schedule.StatusOpen {
		return st, invalid("bad_status", "an open room is not stored: remove the entry")
	}
	if st.Since.IsZero() {
		return st, invalid("bad_time", "since must be the RFC 3339 instant the status was set")
	}
	if err := checkTrack(sc, track, false); err != nil {
		return st, err
	}
	if _, ok := sc.Track(st.MovedTo); st.Status == schedule.StatusMoved && (!ok || st.MovedTo == track) {
		return st, invalid("bad_moved_to", (&schedule.MovedToError{Track: track, MovedTo: st.MovedTo}).Error())
	}
	return st, nil
}

// checkAlias is the state file's check of a renamed room's former id: not
// a track of the schedule any more, and naming one that is.
func checkAlias(old, cur string, sc *schedule.Schedule) error {
	if _, ok := sc.Track(old); ok || !validAnnouncementID(old) {
		return invalid("bad_alias", "a former id must be a slug that is no longer a track of the schedule")
	}
	return checkTrack(sc, cur, false)
}
