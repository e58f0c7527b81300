package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// schedule.json (frab, pretalx and c3voc: schedule.conference.days[].rooms,
// an object mapping room name to events) and "schedule2" (the CCC hub's flat
// schedule.events[] with ISO start/end, room objects and participants).
//
// Almost no real file validates against the c3voc schemas, so the JSON is
// walked member by member rather than decoded into structs: a field of the
// wrong type costs a warning, not the file; rooms keep the order the file
// gives them (a Go map would lose it); and every event knows its line.

// sjMember is one value of a JSON object (with its key) or array, with its
// absolute byte offset in the source for line numbers.
type sjMember struct {
	key string
	val json.RawMessage
	off int
}

// sjReader walks one JSON source.
type sjReader struct {
	b  *impBuilder
	nl []int // offsets of the source's newlines
}

func (r *sjReader) line(off int) int {
	return sort.SearchInts(r.nl, off) + 1
}

// sjOpen checks the whole source is JSON and returns its top-level object.
func sjOpen(b *impBuilder, data []byte) (*sjReader, []sjMember, error) {
	r := &sjReader{b: b}
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
			return nil, nil, Errors{{File: b.file, Line: r.line(base + int(se.Offset)), Message: "not valid JSON: " + se.Error()}}
		}
		return nil, nil, Errors{{File: b.file, Message: "not valid JSON"}}
	}
	start := base
	for start < len(data) && strings.IndexByte(" \t\r\n", data[start]) >= 0 {
		start++
	}
	end := len(data)
	for end > start && strings.IndexByte(" \t\r\n", data[end-1]) >= 0 {
		end--
	}
	top, ok := sjObject(sjMember{val: data[start:end], off: start})
	if !ok {
		return nil, nil, Errors{{File: b.file, Line: r.line(start), Message: "the top level is not a JSON object"}}
	}
	return r, top, nil
}

// sjObject lists an object's members in the file's order; ok is false when
// v is not an object.
func sjObject(v sjMember) ([]sjMember, bool) {
	dec := json.NewDecoder(bytes.NewReader(v.val))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []sjMember
	for dec.More() {
		tok, err := dec.Token()
		key, isKey := tok.(string)
		if err != nil || !isKey {
			return out, false
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return out, false
		}
		out = append(out, sjMember{key: key, val: val, off: v.off + int(dec.InputOffset()) - len(val)})
	}
	return out, true
}

// sjArray lists an array's elements; ok is false when v is not an array.
func sjArray(v sjMember) ([]sjMember, bool) {
	dec := json.NewDecoder(bytes.NewReader(v.val))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, false
	}
	var out []sjMember
	for dec.More() {
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return out, false
		}
		out = append(out, sjMember{val: val, off: v.off + int(dec.InputOffset()) - len(val)})
	}
	return out, true
}

// sjFields indexes an object's members by key; the last of repeated keys
// wins, as with encoding/json.
func sjFields(ms []sjMember) map[string]sjMember {
	out := make(map[string]sjMember, len(ms))
	for _, m := range ms {
		out[m.key] = m
	}
	return out
}

func sjIsNull(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }

// sjText reads a string, a number (ids are numbers in frab, strings in
// pretalx) or null (empty). ok is false for objects, arrays and booleans.
func sjText(v json.RawMessage) (string, bool) {
	if sjIsNull(v) {
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
func (r *sjReader) str(f map[string]sjMember, key, what string) string {
	m, ok := f[key]
	if !ok {
		return ""
	}
	s, ok := sjText(m.val)
	if !ok {
		r.b.count(r.line(m.off), fmt.Sprintf("%s field %q is not a string: ignored", what, clipValue(key)))
	}
	return s
}

// localized reads a string or a {"en": ..., "de": ...} map (schedule2's
// LocalizableString), preferring lang, then English, then the first.
func (r *sjReader) localized(f map[string]sjMember, key, what, lang string) string {
	m, ok := f[key]
	if !ok {
		return ""
	}
	if s, ok := sjText(m.val); ok {
		return s
	}
	if ms, ok := sjObject(m); ok {
		byLang := sjFields(ms)
		for _, l := range []string{lang, "en"} {
			if v, ok := byLang[l]; ok {
				if s, ok := sjText(v.val); ok && s != "" {
					return s
				}
			}
		}
		for _, v := range ms {
			if s, ok := sjText(v.val); ok && s != "" {
				return s
			}
		}
		return ""
	}
	r.b.count(r.line(m.off), fmt.Sprintf("%s field %q is neither a string nor a translation map: ignored", what, key))
	return ""
}

// unknown warns, once per key, about members not in known.
func (r *sjReader) unknown(ms []sjMember, known map[string]bool, what string) {
	for _, m := range ms {
		if !known[m.key] {
			r.b.count(r.line(m.off), fmt.Sprintf("%s field %q is not part of the format: ignored", what, m.key))
		}
	}
}

func sjSet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

var (
	sjKnownTop        = sjSet("$schema", "generator", "schedule")
	sjKnownSchedule   = sjSet("version", "base_url", "url", "conference", "rooms", "events", "persons")
	sjKnownConference = sjSet("acronym", "title", "description", "start", "end", "daysCount", "timeslot_duration",
		"time_zone_name", "logo", "colors", "keywords", "url", "tracks", "rooms", "meta", "days", "languages", "defaults")
	sjKnownDay   = sjSet("index", "date", "day_start", "day_end", "rooms", "start", "end")
	sjKnownEvent = sjSet("guid", "code", "id", "logo", "date", "start", "end", "duration", "room", "slug", "url",
		"title", "subtitle", "track", "type", "language", "abstract", "description", "recording_license",
		"do_not_record", "do_not_stream", "persons", "links", "feedback_url", "origin_url", "attachments")
	sjKnownEvent2 = sjSet("guid", "code", "id", "logo", "start", "end", "duration", "room", "slug", "url", "title",
		"subtitle", "track", "type", "language", "abstract", "description", "participants", "links",
		"attachments", "state", "feedback_url", "origin_url", "persons", "do_not_record", "do_not_stream")
)

// sjHead is what both JSON formats share above the events.
type sjHead struct {
	r        *sjReader
	schedule map[string]sjMember
	conf     map[string]sjMember
	confLine int
}

func sjStart(b *impBuilder, data []byte) (*sjHead, error) {
	r, top, err := sjOpen(b, data)
	if err != nil {
		return nil, err
	}
	r.unknown(top, sjKnownTop, "top-level")
	h := &sjHead{r: r}
	sm, ok := sjFields(top)["schedule"]
	var sms []sjMember
	if ok {
		sms, ok = sjObject(sm)
	}
	if !ok {
		return nil, Errors{{File: b.file, Line: 1, Field: "schedule", Message: "no \"schedule\" object: this is not a schedule.json"}}
	}
	r.unknown(sms, sjKnownSchedule, "schedule")
	h.schedule = sjFields(sms)
	cm, ok := h.schedule["conference"]
	var cms []sjMember
	if ok {
		cms, ok = sjObject(cm)
	}
	if !ok {
		return nil, Errors{{File: b.file, Line: r.line(sm.off), Field: "schedule.conference", Message: "no \"conference\" object: this is not a schedule.json"}}
	}
	r.unknown(cms, sjKnownConference, "conference")
	h.conf = sjFields(cms)
	h.confLine = r.line(cm.off)

	b.name = r.str(h.conf, "title", "conference")
	if strings.TrimSpace(b.name) == "" {
		b.name = r.str(h.conf, "acronym", "conference")
	}
	tzLine := h.confLine
	if m, ok := h.conf["time_zone_name"]; ok {
		tzLine = r.line(m.off)
	}
	b.setZone(r.str(h.conf, "time_zone_name", "conference"), tzLine, "conference.time_zone_name")
	if m, ok := h.conf["daysCount"]; ok {
		var n int
		if json.Unmarshal(m.val, &n) == nil && n > 0 {
			b.declaredDays = n
		}
	}
	return h, nil
}

// day records one entry of conference.days and returns its fields.
func (h *sjHead) day(m sjMember) (map[string]sjMember, bool) {
	r, b := h.r, h.b()
	ms, ok := sjObject(m)
	if !ok {
		b.warn(r.line(m.off), "conference.days", "a day is not an object: ignored")
		return nil, false
	}
	r.unknown(ms, sjKnownDay, "day")
	f := sjFields(ms)
	d := impDay{line: r.line(m.off)}
	if date := strings.TrimSpace(r.str(f, "date", "day")); date != "" {
		if _, ok := impDate(date); ok {
			d.date = date
		} else {
			b.warn(d.line, "day.date", "%q is not a YYYY-MM-DD date: the day is taken from its events", date)
		}
	}
	for _, k := range []string{"day_start", "start"} {
		if t, hasOff, ok := impInstant(r.str(f, k, "day")); ok && hasOff {
			d.start = t
			break
		}
	}
	for _, k := range []string{"day_end", "end"} {
		if t, hasOff, ok := impInstant(r.str(f, k, "day")); ok && hasOff {
			d.end = t
			break
		}
	}
	b.days = append(b.days, d)
	return f, true
}

func (h *sjHead) b() *impBuilder { return h.r.b }

func parseScheduleJSON(name string, data []byte, opts Options) (*Schedule, []Diagnostic, error) {
	b := newImpBuilder(name, "schedule-json", opts)
	h, err := sjStart(b, data)
	if err != nil {
		return nil, b.warns, err
	}
	r := h.r
	dm, ok := h.conf["days"]
	var days []sjMember
	if ok {
		days, ok = sjArray(dm)
	}
	if !ok {
		return nil, b.warns, Errors{{File: name, Line: h.confLine, Field: "conference.days", Message: "no usable session: conference.days is missing or not a list"}}
	}
	for _, dmem := range days {
		f, ok := h.day(dmem)
		if !ok {
			continue
		}
		dayIndex := len(b.days) - 1
		rm, ok := f["rooms"]
		if !ok || sjIsNull(rm.val) {
			continue
		}
		rooms, ok := sjObject(rm)
		if !ok {
			b.warn(r.line(rm.off), "day.rooms", "rooms is not an object of room name to events: this day's events are skipped")
			continue
		}
		for _, room := range rooms {
			if sjIsNull(room.val) {
				continue
			}
			events, ok := sjArray(room)
			if !ok {
				b.warn(r.line(room.off), "day.rooms", "room %q does not hold a list of events: skipped", room.key)
				continue
			}
			for _, ev := range events {
				sjEvent(r, ev, room.key, dayIndex)
			}
		}
	}
	return b.finish()
}

// sjEvent reads one schedule.json event listed under a day and room.
func sjEvent(r *sjReader, m sjMember, roomKey string, dayIndex int) {
	b := r.b
	line := r.line(m.off)
	ms, ok := sjObject(m)
	if !ok {
		b.skip(line, "event", "an event is not an object")
		return
	}
	r.unknown(ms, sjKnownEvent, "event")
	f := sjFields(ms)
	id := strings.TrimSpace(r.str(f, "id", "event"))
	for _, k := range []string{"guid", "code", "slug"} {
		if id == "" {
			id = strings.TrimSpace(r.str(f, k, "event"))
		}
	}
	title := r.str(f, "title", "event")
	label := impLabel(id, strings.TrimSpace(title))
	s := impSession{srcID: id, title: title, kind: impKind(r.str(f, "type", "event")), url: r.str(f, "url", "event"), line: line, day: dayIndex}
	if strings.TrimSpace(s.title) == "" {
		s.title = r.str(f, "subtitle", "event")
	}
	s.room = strings.TrimSpace(r.str(f, "room", "event"))
	if s.room == "" {
		s.room = roomKey
	}
	s.abstract = strings.TrimSpace(r.str(f, "abstract", "event"))
	if s.abstract == "" {
		s.abstract = r.str(f, "description", "event")
	}
	if tag := strings.TrimSpace(sjTrackName(r, f, nil)); tag != "" {
		s.tags = []string{tag}
	}
	s.speakers = sjPersons(r, f, nil)

	dateStr, startStr := r.str(f, "date", "event"), r.str(f, "start", "event")
	if t, hasOff, ok := impInstant(dateStr); ok {
		s.start, s.hasOffset = sjLocal(b, t, hasOff), hasOff
	} else if t, hasOff, ok := impInstant(startStr); ok {
		s.start, s.hasOffset = sjLocal(b, t, hasOff), hasOff
	} else if t, ok := sjDayClock(b, dayIndex, startStr); ok {
		s.start = t
	} else {
		b.skip(line, "date", "event %s has no usable \"date\" or \"start\" (%q, %q)", label, impShort(dateStr), impShort(startStr))
		return
	}
	if !sjEnd(r, f, &s, label) {
		return
	}
	b.add(s)
}

// sjLocal reads a date-time without offset in the conference zone.
func sjLocal(b *impBuilder, t time.Time, hasOffset bool) time.Time {
	if hasOffset {
		return t
	}
	return b.local(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second())
}

// sjDayClock reads an "HH:MM" start on the day the event is listed under;
// a time before the day's beginning is on the next calendar date.
func sjDayClock(b *impBuilder, dayIndex int, clock string) (time.Time, bool) {
	h, mi, sec, ok := impClock(clock)
	if !ok || dayIndex < 0 || dayIndex >= len(b.days) || b.days[dayIndex].date == "" {
		return time.Time{}, false
	}
	day := b.days[dayIndex]
	d, _ := impDate(day.date)
	begin := dayBoundaryHour * 60
	if !day.start.IsZero() {
		lt := day.start.In(b.loc)
		begin = lt.Hour()*60 + lt.Minute()
	}
	if h*60+mi < begin {
		d = d.AddDate(0, 0, 1)
	}
	return b.local(d.Year(), d.Month(), d.Day(), h, mi, sec), true
}

// sjEnd sets the session's end from "end" or "duration"; false when the
// event was skipped.
func sjEnd(r *sjReader, f map[string]sjMember, s *impSession, label string) bool {
	b := r.b
	if endStr := r.str(f, "end", "event"); strings.TrimSpace(endStr) != "" {
		if t, hasOff, ok := impInstant(endStr); ok {
			s.end = sjLocal(b, t, hasOff)
			return true
		}
		if _, ok := f["duration"]; !ok {
			b.skip(s.line, "end", "event %s has end %q, not a date-time", label, impShort(endStr))
			return false
		}
	}
	durStr := r.str(f, "duration", "event")
	if strings.TrimSpace(durStr) == "" {
		b.skip(s.line, "duration", "event %s has neither \"end\" nor \"duration\"", label)
		return false
	}
	d, err := impDuration(durStr)
	if err != nil {
		b.skip(s.line, "duration", "event %s has duration %q, not HH:MM", label, impShort(durStr))
		return false
	}
	s.end = s.start.Add(d)
	return true
}

// sjTrackName reads an event's topic: a string (schedule.json) or a
// {"slug": ...} reference to conference.tracks (schedule2).
func sjTrackName(r *sjReader, f map[string]sjMember, bySlug map[string]string) string {
	m, ok := f["track"]
	if !ok || sjIsNull(m.val) {
		return ""
	}
	if s, ok := sjText(m.val); ok {
		return s
	}
	ms, ok := sjObject(m)
	if !ok {
		r.b.count(r.line(m.off), "event field \"track\" is neither a name nor a reference: ignored")
		return ""
	}
	tf := sjFields(ms)
	if n := r.str(tf, "name", "track"); n != "" {
		return n
	}
	slug := r.str(tf, "slug", "track")
	if n, ok := bySlug[slug]; ok {
		return n
	}
	return slug
}

// sjPersons reads speakers from "persons" (schedule.json: public_name or
// name) and "participants" (schedule2: name, or looked up by guid, with a
// role; contributors are not on stage).
func sjPersons(r *sjReader, f map[string]sjMember, byGUID map[string]string) []Speaker {
	var out []Speaker
	for _, key := range []string{"persons", "participants"} {
		m, ok := f[key]
		if !ok || sjIsNull(m.val) {
			continue
		}
		list, ok := sjArray(m)
		if !ok {
			r.b.count(r.line(m.off), fmt.Sprintf("event field %q is not a list: ignored", key))
			continue
		}
		for _, p := range list {
			if s, ok := sjText(p.val); ok {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, Speaker{Name: s})
				}
				continue
			}
			ps, ok := sjObject(p)
			if !ok {
				r.b.count(r.line(p.off), fmt.Sprintf("an entry of %q is neither a name nor an object: ignored", key))
				continue
			}
			pf := sjFields(ps)
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
				r.b.count(r.line(p.off), "a person has no name: ignored")
				continue
			}
			out = append(out, Speaker{Name: name})
		}
	}
	return out
}

// sjCancelled are schedule2 event states that mean "not happening".
var sjCancelled = sjSet("CANCELED", "CANCELLED", "WITHDRAWN", "DELETED", "REJECTED")

func parseSchedule2JSON(name string, data []byte, opts Options) (*Schedule, []Diagnostic, error) {
	b := newImpBuilder(name, "schedule2-json", opts)
	h, err := sjStart(b, data)
	if err != nil {
		return nil, b.warns, err
	}
	r := h.r
	// Source days carry instants; events are assigned to the day whose
	// window holds their start (impBuilder.buildDays).
	if dm, ok := h.conf["days"]; ok && !sjIsNull(dm.val) {
		if days, ok := sjArray(dm); ok {
			for _, d := range days {
				h.day(d)
			}
		} else {
			b.warn(r.line(dm.off), "conference.days", "days is not a list: ignored")
		}
	}
	roomByRef := map[string]string{}
	for _, m := range sjList(r, h.conf, "rooms") {
		f := sjFields(m)
		n := strings.TrimSpace(r.str(f, "name", "room"))
		for _, k := range []string{"guid", "slug"} {
			if ref := r.str(f, k, "room"); ref != "" && n != "" {
				roomByRef[ref] = n
			}
		}
	}
	trackBySlug := map[string]string{}
	for _, m := range sjList(r, h.conf, "tracks") {
		f := sjFields(m)
		if slug, n := r.str(f, "slug", "track"), r.str(f, "name", "track"); slug != "" && n != "" {
			trackBySlug[slug] = n
		}
	}
	personByGUID := map[string]string{}
	for _, m := range sjList(r, h.schedule, "persons") {
		f := sjFields(m)
		if g, n := r.str(f, "guid", "person"), r.str(f, "name", "person"); g != "" && n != "" {
			personByGUID[g] = n
		}
	}
	lang := ""
	if dm, ok := h.conf["defaults"]; ok {
		if ms, ok := sjObject(dm); ok {
			lang = r.str(sjFields(ms), "language", "defaults")
		}
	}

	em, ok := h.schedule["events"]
	var events []sjMember
	if ok {
		events, ok = sjArray(em)
	}
	if !ok {
		return nil, b.warns, Errors{{File: name, Line: h.confLine, Field: "schedule.events", Message: "no usable session: schedule.events is missing or not a list"}}
	}
	for _, ev := range events {
		sj2Event(r, ev, roomByRef, trackBySlug, personByGUID, lang)
	}
	return b.finish()
}

// sjList returns the objects of a list field, skipping (with a warning)
// anything else.
func sjList(r *sjReader, f map[string]sjMember, key string) [][]sjMember {
	m, ok := f[key]
	if !ok || sjIsNull(m.val) {
		return nil
	}
	list, ok := sjArray(m)
	if !ok {
		r.b.warn(r.line(m.off), key, "%s is not a list: ignored", key)
		return nil
	}
	var out [][]sjMember
	for _, e := range list {
		if ms, ok := sjObject(e); ok {
			out = append(out, ms)
		}
	}
	return out
}

// sj2Event reads one schedule2 event.
func sj2Event(r *sjReader, m sjMember, roomByRef, trackBySlug, personByGUID map[string]string, lang string) {
	b := r.b
	line := r.line(m.off)
	ms, ok := sjObject(m)
	if !ok {
		b.skip(line, "event", "an event is not an object")
		return
	}
	r.unknown(ms, sjKnownEvent2, "event")
	f := sjFields(ms)
	id := ""
	for _, k := range []string{"id", "code", "guid", "slug"} {
		if id == "" {
			id = strings.TrimSpace(r.str(f, k, "event"))
		}
	}
	title := r.localized(f, "title", "event", lang)
	label := impLabel(id, strings.TrimSpace(title))
	if state := strings.ToUpper(strings.TrimSpace(r.str(f, "state", "event"))); sjCancelled[state] {
		b.count(line, fmt.Sprintf("event state %s: not imported", state))
		return
	}
	s := impSession{srcID: id, title: title, kind: impKind(r.str(f, "type", "event")), url: r.str(f, "url", "event"), line: line, day: -1}
	if strings.TrimSpace(s.title) == "" {
		s.title = r.localized(f, "subtitle", "event", lang)
	}
	s.room = sj2Room(r, f, roomByRef)
	s.abstract = strings.TrimSpace(r.localized(f, "abstract", "event", lang))
	if s.abstract == "" {
		s.abstract = r.localized(f, "description", "event", lang)
	}
	if tag := strings.TrimSpace(sjTrackName(r, f, trackBySlug)); tag != "" {
		s.tags = []string{tag}
	}
	s.speakers = sjPersons(r, f, personByGUID)

	startStr := r.str(f, "start", "event")
	t, hasOff, ok := impInstant(startStr)
	if !ok {
		b.skip(line, "start", "event %s has start %q, not a date-time", label, impShort(startStr))
		return
	}
	s.start, s.hasOffset = sjLocal(b, t, hasOff), hasOff
	if !sjEnd(r, f, &s, label) {
		return
	}
	b.add(s)
}

// sj2Room reads a room reference: {"name", "slug", "guid"} or a plain name.
func sj2Room(r *sjReader, f map[string]sjMember, roomByRef map[string]string) string {
	m, ok := f["room"]
	if !ok || sjIsNull(m.val) {
		return ""
	}
	if s, ok := sjText(m.val); ok {
		if n, ok := roomByRef[s]; ok {
			return n
		}
		return s
	}
	ms, ok := sjObject(m)
	if !ok {
		r.b.count(r.line(m.off), "event field \"room\" is neither a name nor a reference: ignored")
		return ""
	}
	rf := sjFields(ms)
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

// detectJSON tells schedule.json, schedule2 and the native format apart by
// their structure: a top-level "schedule" whose conference days hold rooms
// is schedule.json, one with a flat events list is schedule2; the native
// format has timezone, tracks and sessions at the top.
func detectJSON(data []byte) string {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "native"
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
				return "schedule-json"
			}
			for _, d := range sch.Conference.Days {
				if !sjIsNull(d.Rooms) {
					return "schedule-json"
				}
			}
			if ev := bytes.TrimSpace(sch.Events); len(ev) > 0 && ev[0] == '[' {
				return "schedule2-json"
			}
			return "schedule-json"
		case "timezone", "tracks", "sessions":
			return "native"
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "native"
			}
		}
	}
	return "native"
}
