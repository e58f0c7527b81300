package schedulejson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/build"
)

// schedule.json (frab, pretalx and c3voc: schedule.conference.days[].rooms,
// an object mapping room name to events) and "schedule2" (the CCC hub's flat
// schedule.events[] with ISO start/end, room objects and participants).
//
// Almost no real file validates against the c3voc schemas, so the JSON is
// walked member by member rather than decoded into structs: a field of the
// wrong type costs a warning, not the file; rooms keep the order the file
// gives them (a Go map would lose it); and every event knows its line.

// member is one value of a JSON object (with its key) or array, with its
// absolute byte offset in the source for line numbers.
type member struct {
	key string
	val json.RawMessage
	off int
}

// reader walks one JSON source.
type reader struct {
	b  *build.Builder
	nl []int // offsets of the source's newlines
}

func (r *reader) line(off int) int {
	return sort.SearchInts(r.nl, off) + 1
}

// open checks the whole source is JSON and returns its top-level object.
func open(b *build.Builder, data []byte) (*reader, []member, error) {
	r := &reader{b: b}
	for i, c := range data {
		if c == '\n' {
			r.nl = append(r.nl, i)
		}
	}
	base := 0
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		base = 3
	}
	if !json.Valid(data[base:]) {
		// Unmarshal checks the whole input before decoding: its error
		// says where the syntax breaks.
		err := json.Unmarshal(data[base:], &struct{}{})
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, nil, schedule.Errors{{File: b.File, Line: r.line(base + int(se.Offset)), Message: "not valid JSON: " + se.Error()}}
		}
		return nil, nil, schedule.Errors{{File: b.File, Message: "not valid JSON"}}
	}
	start := base
	for start < len(data) && strings.IndexByte(" \t\r\n", data[start]) >= 0 {
		start++
	}
	end := len(data)
	for end > start && strings.IndexByte(" \t\r\n", data[end-1]) >= 0 {
		end--
	}
	top, ok := object(member{val: data[start:end], off: start})
	if !ok {
		return nil, nil, schedule.Errors{{File: b.File, Line: r.line(start), Message: "the top level is not a JSON object"}}
	}
	return r, top, nil
}

// object lists an object's members in the file's order; ok is false when
// v is not an object.
func object(v member) ([]member, bool) { return members(v, '{') }

// array lists an array's elements; ok is false when v is not an array.
func array(v member) ([]member, bool) { return members(v, '[') }

// members lists what v holds when it opens with delim: an object's members
// with their keys, or an array's elements, each with its offset.
func members(v member, delim json.Delim) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(v.val))
	if tok, err := dec.Token(); err != nil || tok != delim {
		return nil, false
	}
	var out []member
	for dec.More() {
		var key string
		if delim == '{' {
			tok, err := dec.Token()
			k, isKey := tok.(string)
			if err != nil || !isKey {
				return out, false
			}
			key = k
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return out, false
		}
		out = append(out, member{key: key, val: val, off: v.off + int(dec.InputOffset()) - len(val)})
	}
	return out, true
}

// fields indexes an object's members by key; the last of repeated keys
// wins, as with encoding/json.
func fields(ms []member) map[string]member {
	out := make(map[string]member, len(ms))
	for _, m := range ms {
		out[m.key] = m
	}
	return out
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }

// text reads a string, a number (ids are numbers in frab, strings in
// pretalx) or null (empty). ok is false for objects, arrays and booleans.
func text(v json.RawMessage) (string, bool) {
	if isNull(v) {
		return "", true
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", false
		}
		return s, true
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(v), true
	}
	return "", false
}

// str reads a text field of an object, warning (once per field name) when
// it has another type.
func (r *reader) str(f map[string]member, key, what string) string {
	m, ok := f[key]
	if !ok {
		return ""
	}
	s, ok := text(m.val)
	if !ok {
		r.b.Count(r.line(m.off), fmt.Sprintf("%s field %q is not a string: ignored", what, schedule.ClipValue(key)))
	}
	return s
}

// localized reads a string or a {"en": ..., "de": ...} map (schedule2's
// LocalizableString), preferring lang, then English, then the first.
func (r *reader) localized(f map[string]member, key, what, lang string) string {
	m, ok := f[key]
	if !ok {
		return ""
	}
	if s, ok := text(m.val); ok {
		return s
	}
	if ms, ok := object(m); ok {
		byLang := fields(ms)
		for _, l := range []string{lang, "en"} {
			if v, ok := byLang[l]; ok {
				if s, ok := text(v.val); ok && s != "" {
					return s
				}
			}
		}
		for _, v := range ms {
			if s, ok := text(v.val); ok && s != "" {
				return s
			}
		}
		return ""
	}
	r.b.Count(r.line(m.off), fmt.Sprintf("%s field %q is neither a string nor a translation map: ignored", what, key))
	return ""
}

// unknown warns, once per key, about members not in known.
func (r *reader) unknown(ms []member, known map[string]bool, what string) {
	for _, m := range ms {
		if !known[m.key] {
			r.b.Count(r.line(m.off), fmt.Sprintf("%s field %q is not part of the format: ignored", what, m.key))
		}
	}
}

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

var (
	knownTop        = set("$schema", "generator", "schedule")
	knownSchedule   = set("version", "base_url", "url", "conference", "rooms", "events", "persons")
	knownConference = set("acronym", "title", "description", "start", "end", "daysCount", "timeslot_duration",
		"time_zone_name", "logo", "colors", "keywords", "url", "tracks", "rooms", "meta", "days", "languages", "defaults")
	knownDay   = set("index", "date", "day_start", "day_end", "rooms", "start", "end")
	knownEvent = set("guid", "code", "id", "logo", "date", "start", "end", "duration", "room", "slug", "url",
		"title", "subtitle", "track", "type", "language", "abstract", "description", "recording_license",
		"do_not_record", "do_not_stream", "persons", "links", "feedback_url", "origin_url", "attachments")
	knownEvent2 = set("guid", "code", "id", "logo", "start", "end", "duration", "room", "slug", "url", "title",
		"subtitle", "track", "type", "language", "abstract", "description", "participants", "links",
		"attachments", "state", "feedback_url", "origin_url", "persons", "do_not_record", "do_not_stream")
)

// head is what both JSON formats share above the events.
type head struct {
	r        *reader
	schedule map[string]member
	conf     map[string]member
	confLine int
}

// readHead starts reading either JSON format: the conference, its name and
// its zone.
func readHead(name string, format schedule.Format, data []byte, opts schedule.Options) (*head, *build.Builder, error) {
	b := build.New(name, format, opts)
	r, top, err := open(b, data)
	if err != nil {
		return nil, b, err
	}
	r.unknown(top, knownTop, "top-level")
	h := &head{r: r}
	sm, ok := fields(top)["schedule"]
	var sms []member
	if ok {
		sms, ok = object(sm)
	}
	if !ok {
		return nil, b, schedule.Errors{{File: b.File, Line: 1, Field: "schedule", Message: "no \"schedule\" object: this is not a schedule.json"}}
	}
	r.unknown(sms, knownSchedule, "schedule")
	h.schedule = fields(sms)
	cm, ok := h.schedule["conference"]
	var cms []member
	if ok {
		cms, ok = object(cm)
	}
	if !ok {
		return nil, b, schedule.Errors{{File: b.File, Line: r.line(sm.off), Field: "schedule.conference", Message: "no \"conference\" object: this is not a schedule.json"}}
	}
	r.unknown(cms, knownConference, "conference")
	h.conf = fields(cms)
	h.confLine = r.line(cm.off)

	b.Name = r.str(h.conf, "title", "conference")
	if strings.TrimSpace(b.Name) == "" {
		b.Name = r.str(h.conf, "acronym", "conference")
	}
	tzLine := h.confLine
	if m, ok := h.conf["time_zone_name"]; ok {
		tzLine = r.line(m.off)
	}
	b.SetZone(r.str(h.conf, "time_zone_name", "conference"), tzLine, "conference.time_zone_name")
	if m, ok := h.conf["daysCount"]; ok {
		var n int
		if json.Unmarshal(m.val, &n) == nil && n > 0 {
			b.DeclaredDays = n
		}
	}
	return h, b, nil
}

// day records one entry of conference.days and returns its fields.
func (h *head) day(m member) (map[string]member, bool) {
	r, b := h.r, h.b()
	ms, ok := object(m)
	if !ok {
		b.Warn(r.line(m.off), "conference.days", "a day is not an object: ignored")
		return nil, false
	}
	r.unknown(ms, knownDay, "day")
	f := fields(ms)
	d := build.SourceDay{Line: r.line(m.off)}
	if date := strings.TrimSpace(r.str(f, "date", "day")); date != "" {
		if _, ok := build.Date(date); ok {
			d.Date = date
		} else {
			b.Warn(d.Line, "day.date", "%q is not a YYYY-MM-DD date: the day is taken from its events", date)
		}
	}
	for _, k := range []string{"day_start", "start"} {
		if t, hasOff, ok := build.Instant(r.str(f, k, "day")); ok && hasOff {
			d.Start = t
			break
		}
	}
	for _, k := range []string{"day_end", "end"} {
		if t, hasOff, ok := build.Instant(r.str(f, k, "day")); ok && hasOff {
			d.End = t
			break
		}
	}
	b.Days = append(b.Days, d)
	return f, true
}

func (h *head) b() *build.Builder { return h.r.b }

// requiredList returns the list under key of obj (field names it in
// messages), or the error that refuses a source without it: the sessions are
// found through that list, so without it nothing can be imported.
func (h *head) requiredList(obj map[string]member, key, field string) ([]member, error) {
	m, ok := obj[key]
	var items []member
	if ok {
		items, ok = array(m)
	}
	if !ok {
		return nil, schedule.Errors{{File: h.b().File, Line: h.confLine, Field: field, Message: "no usable session: " + field + " is missing or not a list"}}
	}
	return items, nil
}

// Parse reads a schedule.json source. name is used in diagnostics; it returns
// the schedule and the warnings, or Errors for a source that cannot be read.
func Parse(name string, data []byte, opts schedule.Options) (*schedule.Schedule, []schedule.Diagnostic, error) {
	h, b, err := readHead(name, schedule.FormatScheduleJSON, data, opts)
	if err != nil {
		return nil, b.Warns, err
	}
	r := h.r
	days, err := h.requiredList(h.conf, "days", "conference.days")
	if err != nil {
		return nil, b.Warns, err
	}
	// pretalx lists its rooms with their guid beside the days.
	for _, m := range objects(r, h.conf, "rooms") {
		f := fields(m)
		b.SetRoomGUID(r.str(f, "name", "room"), r.str(f, "guid", "room"))
	}
	for _, dmem := range days {
		f, ok := h.day(dmem)
		if !ok {
			continue
		}
		dayIndex := len(b.Days) - 1
		rm, ok := f["rooms"]
		if !ok || isNull(rm.val) {
			continue
		}
		rooms, ok := object(rm)
		if !ok {
			b.Warn(r.line(rm.off), "day.rooms", "rooms is not an object of room name to events: this day's events are skipped")
			continue
		}
		for _, room := range rooms {
			if isNull(room.val) {
				continue
			}
			events, ok := array(room)
			if !ok {
				b.Warn(r.line(room.off), "day.rooms", "room %q does not hold a list of events: skipped", room.key)
				continue
			}
			for _, ev := range events {
				event(r, ev, room.key, dayIndex)
			}
		}
	}
	return b.Finish()
}

// eventFields opens one event: its fields, the first non-empty of idKeys as
// its id, and its line. ok is false, after the event is skipped, when it is
// not an object.
func (r *reader) eventFields(m member, known map[string]bool, idKeys ...string) (f map[string]member, id string, line int, ok bool) {
	line = r.line(m.off)
	ms, ok := object(m)
	if !ok {
		r.b.Skip(line, "event", "an event is not an object")
		return nil, "", line, false
	}
	r.unknown(ms, known, "event")
	f = fields(ms)
	for _, k := range idKeys {
		if id == "" {
			id = strings.TrimSpace(r.str(f, k, "event"))
		}
	}
	return f, id, line, true
}

// event reads one schedule.json event listed under a day and room.
func event(r *reader, m member, roomKey string, dayIndex int) {
	b := r.b
	f, id, line, ok := r.eventFields(m, knownEvent, "id", "guid", "code", "slug")
	if !ok {
		return
	}
	title := r.str(f, "title", "event")
	label := schedule.Label(id, strings.TrimSpace(title))
	s := build.Session{SourceID: id, Title: title, Kind: build.KindOf(r.str(f, "type", "event")), URL: r.str(f, "url", "event"), Line: line, Day: dayIndex}
	if strings.TrimSpace(s.Title) == "" {
		s.Title = r.str(f, "subtitle", "event")
	}
	s.Room = strings.TrimSpace(r.str(f, "room", "event"))
	if s.Room == "" {
		s.Room = roomKey
	}
	s.Abstract = strings.TrimSpace(r.str(f, "abstract", "event"))
	if s.Abstract == "" {
		s.Abstract = r.str(f, "description", "event")
	}
	if tag := strings.TrimSpace(trackName(r, f, nil)); tag != "" {
		s.Tags = []string{tag}
	}
	s.Speakers = persons(r, f, nil)
	crew(r, f, &s, "")

	dateStr, startStr := r.str(f, "date", "event"), r.str(f, "start", "event")
	if t, hasOff, ok := build.Instant(dateStr); ok {
		s.Start, s.HasOffset = local(b, t, hasOff), hasOff
	} else if t, hasOff, ok := build.Instant(startStr); ok {
		s.Start, s.HasOffset = local(b, t, hasOff), hasOff
	} else if t, ok := dayClock(b, dayIndex, startStr); ok {
		s.Start = t
	} else {
		b.Skip(line, "date", "event %s has no usable \"date\" or \"start\" (%q, %q)", label, schedule.Short(dateStr), schedule.Short(startStr))
		return
	}
	if !readEnd(r, f, &s, label) {
		return
	}
	b.Add(s)
}

// crew reads what an event tells the crew, the same in both formats:
// subtitle (a translation map in schedule2), language, the source's type,
// the recording and streaming opt-outs and the feedback link.
func crew(r *reader, f map[string]member, s *build.Session, lang string) {
	s.Subtitle = r.localized(f, "subtitle", "event", lang)
	s.Language = r.str(f, "language", "event")
	s.Type = r.str(f, "type", "event")
	s.FeedbackURL = r.str(f, "feedback_url", "event")
	s.DoNotRecord = r.flag(f, "do_not_record")
	s.DoNotStream = r.flag(f, "do_not_stream")
}

// flag reads a yes/no event field: a JSON boolean, null (no), or a string
// such as "true" (the schema allows one for do_not_stream). Anything else
// is counted in a warning and read as no.
func (r *reader) flag(f map[string]member, key string) bool {
	m, ok := f[key]
	if !ok || isNull(m.val) {
		return false
	}
	switch string(m.val) {
	case "true":
		return true
	case "false":
		return false
	}
	if v, ok := text(m.val); ok {
		if yes, ok := build.Flag(v); ok {
			return yes
		}
	}
	r.b.Count(r.line(m.off), fmt.Sprintf("event field %q is not true or false: read as false", key))
	return false
}

// local reads a date-time without offset in the conference zone.
func local(b *build.Builder, t time.Time, hasOffset bool) time.Time {
	if hasOffset {
		return t
	}
	return b.Local(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second())
}

// dayClock reads an "HH:MM" start on the day the event is listed under;
// a time before the day's beginning is on the next calendar date.
func dayClock(b *build.Builder, dayIndex int, clock string) (time.Time, bool) {
	h, mi, sec, ok := build.Clock(clock)
	if !ok || dayIndex < 0 || dayIndex >= len(b.Days) || b.Days[dayIndex].Date == "" {
		return time.Time{}, false
	}
	day := b.Days[dayIndex]
	d, _ := build.Date(day.Date)
	begin := build.DayBoundaryHour * 60
	if !day.Start.IsZero() {
		lt := day.Start.In(b.Loc)
		begin = lt.Hour()*60 + lt.Minute()
	}
	if h*60+mi < begin {
		d = d.AddDate(0, 0, 1)
	}
	return b.Local(d.Year(), d.Month(), d.Day(), h, mi, sec), true
}

// readEnd sets the session's end from "end" or "duration"; false when the
// event was skipped.
func readEnd(r *reader, f map[string]member, s *build.Session, label string) bool {
	b := r.b
	if endStr := r.str(f, "end", "event"); strings.TrimSpace(endStr) != "" {
		if t, hasOff, ok := build.Instant(endStr); ok {
			s.End = local(b, t, hasOff)
			return true
		}
		if _, ok := f["duration"]; !ok {
			b.Skip(s.Line, "end", "event %s has end %q, not a date-time", label, schedule.Short(endStr))
			return false
		}
	}
	durStr := r.str(f, "duration", "event")
	if strings.TrimSpace(durStr) == "" {
		b.Skip(s.Line, "duration", "event %s has neither \"end\" nor \"duration\"", label)
		return false
	}
	d, err := build.Duration(durStr)
	if err != nil {
		b.SkipDuration(s.Line, "duration", label, durStr, err, "HH:MM")
		return false
	}
	s.End = s.Start.Add(d)
	return true
}

// reference reads an event field that names something or refers to it by
// an object ({"name", "slug", "guid"}): the name and true for a string,
// else the object's fields. All are empty when the field is missing, null,
// or (counted in a warning) neither.
func reference(r *reader, f map[string]member, key string) (name string, isText bool, obj map[string]member) {
	m, ok := f[key]
	if !ok || isNull(m.val) {
		return "", false, nil
	}
	if s, ok := text(m.val); ok {
		return s, true, nil
	}
	ms, ok := object(m)
	if !ok {
		r.b.Count(r.line(m.off), fmt.Sprintf("event field %q is neither a name nor a reference: ignored", key))
		return "", false, nil
	}
	return "", false, fields(ms)
}

// trackName reads an event's topic: a string (schedule.json) or a
// {"slug": ...} reference to conference.tracks (schedule2).
func trackName(r *reader, f map[string]member, bySlug map[string]string) string {
	s, isText, tf := reference(r, f, "track")
	if isText || tf == nil {
		return s
	}
	if n := r.str(tf, "name", "track"); n != "" {
		return n
	}
	slug := r.str(tf, "slug", "track")
	if n, ok := bySlug[slug]; ok {
		return n
	}
	return slug
}

// persons reads speakers from "persons" (schedule.json: public_name or
// name) and "participants" (schedule2: name, or looked up by guid, with a
// role; contributors are not on stage).
func persons(r *reader, f map[string]member, byGUID map[string]string) []schedule.Speaker {
	var out []schedule.Speaker
	for _, key := range []string{"persons", "participants"} {
		m, ok := f[key]
		if !ok || isNull(m.val) {
			continue
		}
		list, ok := array(m)
		if !ok {
			r.b.Count(r.line(m.off), fmt.Sprintf("event field %q is not a list: ignored", key))
			continue
		}
		for _, p := range list {
			if s, ok := text(p.val); ok {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, schedule.Speaker{Name: s})
				}
				continue
			}
			ps, ok := object(p)
			if !ok {
				r.b.Count(r.line(p.off), fmt.Sprintf("an entry of %q is neither a name nor an object: ignored", key))
				continue
			}
			pf := fields(ps)
			if role := strings.ToUpper(r.str(pf, "role", "participant")); role == "CONTRIBUTOR" {
				continue
			}
			name := ""
			for _, k := range []string{"public_name", "name", "full_name"} {
				if name = strings.TrimSpace(r.str(pf, k, "person")); name != "" {
					break
				}
			}
			if name == "" {
				name = byGUID[r.str(pf, "guid", "person")]
			}
			if name == "" {
				r.b.Count(r.line(p.off), "a person has no name: ignored")
				continue
			}
			out = append(out, schedule.Speaker{Name: name})
		}
	}
	return out
}

// cancelled are schedule2 event states that mean "not happening".
var cancelled = set("CANCELED", "CANCELLED", "WITHDRAWN", "DELETED", "REJECTED")

// Parse2 reads a schedule2 source, as Parse reads schedule.json.
func Parse2(name string, data []byte, opts schedule.Options) (*schedule.Schedule, []schedule.Diagnostic, error) {
	h, b, err := readHead(name, schedule.FormatSchedule2JSON, data, opts)
	if err != nil {
		return nil, b.Warns, err
	}
	r := h.r
	// Source days carry instants; events are assigned to the day whose
	// window holds their start (build.Days).
	if dm, ok := h.conf["days"]; ok && !isNull(dm.val) {
		if days, ok := array(dm); ok {
			for _, d := range days {
				h.day(d)
			}
		} else {
			b.Warn(r.line(dm.off), "conference.days", "days is not a list: ignored")
		}
	}
	roomByRef := map[string]string{}
	for _, m := range objects(r, h.conf, "rooms") {
		f := fields(m)
		n := strings.TrimSpace(r.str(f, "name", "room"))
		b.SetRoomGUID(n, r.str(f, "guid", "room"))
		for _, k := range []string{"guid", "slug"} {
			if ref := r.str(f, k, "room"); ref != "" && n != "" {
				roomByRef[ref] = n
			}
		}
	}
	trackBySlug := map[string]string{}
	for _, m := range objects(r, h.conf, "tracks") {
		f := fields(m)
		if slug, n := r.str(f, "slug", "track"), r.str(f, "name", "track"); slug != "" && n != "" {
			trackBySlug[slug] = n
		}
	}
	personByGUID := map[string]string{}
	for _, m := range objects(r, h.schedule, "persons") {
		f := fields(m)
		if g, n := r.str(f, "guid", "person"), r.str(f, "name", "person"); g != "" && n != "" {
			personByGUID[g] = n
		}
	}
	lang := ""
	if dm, ok := h.conf["defaults"]; ok {
		if ms, ok := object(dm); ok {
			lang = r.str(fields(ms), "language", "defaults")
		}
	}

	events, err := h.requiredList(h.schedule, "events", "schedule.events")
	if err != nil {
		return nil, b.Warns, err
	}
	for _, ev := range events {
		event2(r, ev, roomByRef, trackBySlug, personByGUID, lang)
	}
	return b.Finish()
}

// objects returns the objects of a list field, skipping (with a warning)
// anything else.
func objects(r *reader, f map[string]member, key string) [][]member {
	m, ok := f[key]
	if !ok || isNull(m.val) {
		return nil
	}
	list, ok := array(m)
	if !ok {
		r.b.Warn(r.line(m.off), key, "%s is not a list: ignored", key)
		return nil
	}
	var out [][]member
	for _, e := range list {
		if ms, ok := object(e); ok {
			out = append(out, ms)
		}
	}
	return out
}

// event2 reads one schedule2 event.
func event2(r *reader, m member, roomByRef, trackBySlug, personByGUID map[string]string, lang string) {
	b := r.b
	f, id, line, ok := r.eventFields(m, knownEvent2, "id", "code", "guid", "slug")
	if !ok {
		return
	}
	title := r.localized(f, "title", "event", lang)
	label := schedule.Label(id, strings.TrimSpace(title))
	if state := strings.ToUpper(strings.TrimSpace(r.str(f, "state", "event"))); cancelled[state] {
		b.Count(line, fmt.Sprintf("event state %s: not imported", state))
		return
	}
	s := build.Session{SourceID: id, Title: title, Kind: build.KindOf(r.str(f, "type", "event")), URL: r.str(f, "url", "event"), Line: line, Day: -1}
	if strings.TrimSpace(s.Title) == "" {
		s.Title = r.localized(f, "subtitle", "event", lang)
	}
	s.Room = room2(r, f, roomByRef)
	s.Abstract = strings.TrimSpace(r.localized(f, "abstract", "event", lang))
	if s.Abstract == "" {
		s.Abstract = r.localized(f, "description", "event", lang)
	}
	if tag := strings.TrimSpace(trackName(r, f, trackBySlug)); tag != "" {
		s.Tags = []string{tag}
	}
	s.Speakers = persons(r, f, personByGUID)
	crew(r, f, &s, lang)

	startStr := r.str(f, "start", "event")
	t, hasOff, ok := build.Instant(startStr)
	if !ok {
		b.Skip(line, "start", "event %s has start %q, not a date-time", label, schedule.Short(startStr))
		return
	}
	s.Start, s.HasOffset = local(b, t, hasOff), hasOff
	if !readEnd(r, f, &s, label) {
		return
	}
	b.Add(s)
}

// room2 reads a room reference: {"name", "slug", "guid"} or a plain name.
func room2(r *reader, f map[string]member, roomByRef map[string]string) string {
	s, isText, rf := reference(r, f, "room")
	if isText {
		if n, ok := roomByRef[s]; ok {
			return n
		}
		return s
	}
	if rf == nil {
		return ""
	}
	if n := strings.TrimSpace(r.str(rf, "name", "room")); n != "" {
		return n
	}
	for _, k := range []string{"guid", "slug"} {
		if n, ok := roomByRef[r.str(rf, k, "room")]; ok {
			return n
		}
	}
	return r.str(rf, "slug", "room")
}

// Detect tells schedule.json, schedule2 and the native format apart by
// their structure: a top-level "schedule" whose conference days hold rooms
// is schedule.json, one with a flat events list is schedule2; the native
// format has timezone, tracks and sessions at the top.
func Detect(data []byte) schedule.Format {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return schedule.FormatNative
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch key, _ := tok.(string); key {
		case "schedule":
			var sch struct {
				Events     json.RawMessage `json:"events"`
				Conference struct {
					Days []struct {
						Rooms json.RawMessage `json:"rooms"`
					} `json:"days"`
				} `json:"conference"`
			}
			if err := dec.Decode(&sch); err != nil {
				// Broken, but meant as schedule.json: its parser says why.
				return schedule.FormatScheduleJSON
			}
			for _, d := range sch.Conference.Days {
				if !isNull(d.Rooms) {
					return schedule.FormatScheduleJSON
				}
			}
			if ev := bytes.TrimSpace(sch.Events); len(ev) > 0 && ev[0] == '[' {
				return schedule.FormatSchedule2JSON
			}
			return schedule.FormatScheduleJSON
		case "timezone", "tracks", "sessions":
			return schedule.FormatNative
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return schedule.FormatNative
			}
		}
	}
	return schedule.FormatNative
}
