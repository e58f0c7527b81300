package ical

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/build"
)

// iCalendar (RFC 5545): VEVENTs with DTSTART, DTEND or DURATION, SUMMARY,
// LOCATION (the room, so the track), DESCRIPTION and URL. Lines are unfolded
// and TEXT values unescaped. A TZID names an IANA zone, resolved through the
// database: a VTIMEZONE block's offsets are ignored, because exporters get
// them wrong (pretalx shipped whole-hour offsets for Adelaide, +09:30).
//
// SUMMARY stays whole: "Title - Speaker" cannot be split safely (titles hold
// dashes too). Speakers are taken only where the file marks them: ATTENDEE or
// ORGANIZER with CN, or an X- property named ...SPEAKER or ...SPEAKERS (as
// Write writes them).

// maxDepth bounds component nesting (VCALENDAR > VEVENT > VALARM is 3).
const maxDepth = 32

type prop struct {
	name   string            // upper case
	params map[string]string // upper-case names; a multi-valued one joined by commas
	value  string
	line   int
}

type event struct {
	props []prop
	line  int
}

// known are VEVENT properties read, or deliberately ignored without a
// warning. X- properties are always ignored quietly unless read.
var known = map[string]bool{
	"UID": true, "DTSTART": true, "DTEND": true, "DURATION": true, "SUMMARY": true, "LOCATION": true,
	"DESCRIPTION": true, "URL": true, "CATEGORIES": true, "STATUS": true, "ATTENDEE": true, "ORGANIZER": true,
	"DTSTAMP": true, "CREATED": true, "LAST-MODIFIED": true, "SEQUENCE": true, "CLASS": true, "TRANSP": true,
	"PRIORITY": true, "GEO": true, "RRULE": true, "RDATE": true, "EXDATE": true, "RECURRENCE-ID": true,
	"ATTACH": true, "COMMENT": true, "CONTACT": true, "RELATED-TO": true, "RESOURCES": true,
	"REQUEST-STATUS": true, "COLOR": true, "IMAGE": true, "CONFERENCE": true,
}

type contentLine struct {
	text string
	line int
}

// unfold joins folded lines (a line starting with a space or tab
// continues the previous one) and records where each logical line starts.
func unfold(data []byte) []contentLine {
	var out []contentLine
	var cur strings.Builder
	start := 0
	flush := func() {
		if start > 0 {
			out = append(out, contentLine{text: cur.String(), line: start})
		}
		cur.Reset()
	}
	n := 0
	for len(data) > 0 {
		n++
		i := bytes.IndexByte(data, '\n')
		var raw []byte
		if i < 0 {
			raw, data = data, nil
		} else {
			raw, data = data[:i], data[i+1:]
		}
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		if len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') && start > 0 {
			cur.Write(raw[1:])
			continue
		}
		flush()
		cur.Write(raw)
		start = n
	}
	flush()
	return out
}

func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// parseLine splits "NAME;PARAM=a,"b;c":value".
func parseLine(s string) (prop, bool) {
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return prop{}, false
	}
	p := prop{name: strings.ToUpper(strings.TrimSpace(s[:i]))}
	rest := s[i:]
	for rest[0] == ';' {
		rest = rest[1:]
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return prop{}, false
		}
		pname := strings.ToUpper(strings.TrimSpace(rest[:eq]))
		rest = rest[eq+1:]
		var val strings.Builder
		for {
			if strings.HasPrefix(rest, `"`) {
				end := strings.IndexByte(rest[1:], '"')
				if end < 0 {
					return prop{}, false
				}
				val.WriteString(rest[1 : 1+end])
				rest = rest[end+2:]
			} else {
				j := strings.IndexAny(rest, ",;:")
				if j < 0 {
					return prop{}, false
				}
				val.WriteString(rest[:j])
				rest = rest[j:]
			}
			if !strings.HasPrefix(rest, ",") {
				break
			}
			val.WriteByte(',')
			rest = rest[1:]
		}
		if p.params == nil {
			p.params = map[string]string{}
		}
		if _, dup := p.params[pname]; !dup {
			p.params[pname] = val.String()
		}
		if rest == "" {
			return prop{}, false
		}
	}
	if rest[0] != ':' {
		return prop{}, false
	}
	p.value = rest[1:]
	return p, true
}

// unescape reads a TEXT value: \\ \; \, \n (and \N).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		default:
			// \\ \; \, and, leniently, any other escaped character
			// (some exporters write "\:").
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// split splits a TEXT list on unescaped commas and unescapes each item.
func split(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ',':
			out = append(out, unescape(s[start:i]))
			start = i + 1
		}
	}
	return append(out, unescape(s[start:]))
}

// Parse reads an iCalendar source. name is used in diagnostics; it returns
// the schedule and the warnings, or Errors for a source that cannot be read.
func Parse(name string, data []byte, opts schedule.Options) (*schedule.Schedule, []schedule.Diagnostic, error) {
	b := build.New(name, schedule.FormatICal, opts)
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var (
		stack    []string
		events   []event
		cur      *event
		calName  string
		calZone  string
		zoneLine int
		sawCal   bool
	)
	lines := unfold(data)
	// RFC 5545 says UTF-8, but old exporters wrote Latin-1. Checked after
	// unfolding: a fold may split a UTF-8 sequence.
	for _, ln := range lines {
		if !utf8.ValidString(ln.text) {
			b.Warn(ln.line, "", "the file is not UTF-8: read as Latin-1")
			for i := range lines {
				lines[i].text = latin1(lines[i].text)
			}
			break
		}
	}
	for _, ln := range lines {
		if strings.TrimSpace(ln.text) == "" {
			continue
		}
		p, ok := parseLine(ln.text)
		if !ok {
			b.Count(ln.line, "a line is not NAME:value: ignored")
			continue
		}
		p.line = ln.line
		switch p.name {
		case "BEGIN":
			comp := strings.ToUpper(strings.TrimSpace(p.value))
			if comp == "VCALENDAR" {
				sawCal = true
			}
			stack = append(stack, comp)
			if len(stack) > maxDepth {
				return nil, b.Warns, schedule.Errors{{File: name, Line: ln.line, Message: fmt.Sprintf("components nested deeper than %d: not a calendar", maxDepth)}}
			}
			if comp == "VEVENT" && cur == nil {
				cur = &event{line: ln.line}
			}
			continue
		case "END":
			comp := strings.ToUpper(strings.TrimSpace(p.value))
			idx := -1
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i] == comp {
					idx = i
					break
				}
			}
			if idx < 0 {
				b.Count(ln.line, fmt.Sprintf("END:%s without BEGIN: ignored", shortName(comp)))
				continue
			}
			if idx != len(stack)-1 {
				b.Warn(ln.line, "END", "BEGIN:%s is not closed before END:%s", shortName(stack[len(stack)-1]), shortName(comp))
			}
			stack = stack[:idx]
			if cur != nil && !inside(stack, "VEVENT") {
				events = append(events, *cur)
				cur = nil
			}
			continue
		}
		top := ""
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch {
		case top == "VEVENT" && cur != nil:
			cur.props = append(cur.props, p)
		case top == "VCALENDAR":
			switch p.name {
			case "X-WR-CALNAME", "NAME":
				if calName == "" {
					calName = unescape(p.value)
				}
			case "X-WR-TIMEZONE":
				calZone, zoneLine = strings.TrimSpace(unescape(p.value)), ln.line
			}
		}
	}
	if !sawCal {
		return nil, b.Warns, schedule.Errors{{File: name, Line: 1, Message: "no BEGIN:VCALENDAR: this is not an iCalendar file"}}
	}
	if len(stack) > 0 {
		// A cut-off download must not replace a good schedule with half of it.
		return nil, b.Warns, schedule.Errors{{File: name, Message: fmt.Sprintf("the calendar is cut off: BEGIN:%s is never closed", shortName(stack[len(stack)-1]))}}
	}
	b.Name = calName

	// The conference zone: the calendar's own X-WR-TIMEZONE; else the zone
	// most of its events name, unless some times float (those are read in
	// the caller's zone, which is then the conference's); else the caller's.
	zones := &zones{b: b, cache: map[string]*time.Location{}}
	if calZone == "" && !floats(events) {
		calZone, zoneLine = zones.common(events)
	}
	b.SetZone(calZone, zoneLine, "X-WR-TIMEZONE")

	organizers := map[string]int{}
	withOrganizer := 0
	for _, ev := range events {
		for _, p := range ev.props {
			if p.name == "ORGANIZER" && p.params["CN"] != "" {
				organizers[p.params["CN"]]++
				withOrganizer++
				break
			}
		}
	}
	// One organizer on every event is the conference, not a speaker.
	sharedOrganizer := len(organizers) == 1 && withOrganizer > 1
	for _, ev := range events {
		add(b, zones, ev, sharedOrganizer)
	}
	return b.Finish()
}

// floats reports whether any event's DTSTART or DTEND is a floating
// local time (no Z, no TZID).
func floats(events []event) bool {
	for _, ev := range events {
		for _, p := range ev.props {
			if p.name != "DTSTART" && p.name != "DTEND" {
				continue
			}
			v := strings.TrimSpace(p.value)
			if p.params["TZID"] == "" && len(v) > 8 && !strings.HasSuffix(strings.ToUpper(v), "Z") {
				return true
			}
		}
	}
	return false
}

func inside(stack []string, comp string) bool {
	for _, c := range stack {
		if c == comp {
			return true
		}
	}
	return false
}

func shortName(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// zones resolves TZID parameters once each, warning once per bad name.
type zones struct {
	b     *build.Builder
	cache map[string]*time.Location // nil value: unresolvable
}

func (z *zones) resolve(tzid string, line int) *time.Location {
	tzid = strings.TrimSpace(tzid)
	if loc, ok := z.cache[tzid]; ok {
		return loc
	}
	loc := loadZone(tzid)
	z.cache[tzid] = loc
	if loc == nil {
		z.b.Warn(line, "TZID", "time zone %q is not an IANA name: its times are read in %s", schedule.Short(tzid), z.zoneName())
	}
	return loc
}

func (z *zones) zoneName() string {
	if z.b.ZoneName != "" {
		return z.b.ZoneName
	}
	return "the conference zone"
}

// loadZone resolves a TZID: an IANA name, or one with a vendor prefix
// ("/mozilla.org/20050126_1/Europe/Berlin") whose tail is one.
func loadZone(tzid string) *time.Location {
	if loc, ok := build.LoadZone(tzid); ok {
		return loc
	}
	parts := strings.Split(strings.Trim(tzid, "/"), "/")
	for i := 1; i < len(parts) && i < 8; i++ {
		if loc, ok := build.LoadZone(strings.Join(parts[i:], "/")); ok {
			return loc
		}
	}
	return nil
}

// common returns the TZID most DTSTARTs name (the first, on a tie), if it
// resolves.
func (z *zones) common(events []event) (string, int) {
	counts := map[string]int{}
	first := map[string]int{}
	var order []string
	for _, ev := range events {
		for _, p := range ev.props {
			if p.name != "DTSTART" {
				continue
			}
			if tz := strings.TrimSpace(p.params["TZID"]); tz != "" {
				if _, ok := counts[tz]; !ok {
					order = append(order, tz)
					first[tz] = p.line
				}
				counts[tz]++
			}
			break
		}
	}
	best := ""
	for _, tz := range order {
		if counts[tz] > counts[best] {
			best = tz
		}
	}
	if best == "" {
		return "", 0
	}
	loc := loadZone(best)
	if loc == nil {
		return "", 0
	}
	return loc.String(), first[best]
}

// when is a parsed DTSTART or DTEND.
type when struct {
	t         time.Time
	hasOffset bool
	allDay    bool
}

// time parses a DATE-TIME (UTC with Z, with a TZID, or floating) or a DATE.
func (z *zones) time(p prop) (when, bool) {
	v := strings.TrimSpace(p.value)
	// Leniently accept ISO 8601 punctuation some exporters write.
	v = strings.NewReplacer("-", "", ":", "").Replace(v)
	if strings.EqualFold(p.params["VALUE"], "DATE") || len(v) == 8 {
		d, err := time.Parse("20060102", v)
		if err != nil {
			return when{}, false
		}
		return when{t: d, allDay: true}, true
	}
	if strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z") {
		for _, layout := range []string{"20060102T150405", "20060102T1504"} {
			if t, err := time.Parse(layout, v[:len(v)-1]); err == nil {
				return when{t: t}, true
			}
		}
		return when{}, false
	}
	var w time.Time
	ok := false
	for _, layout := range []string{"20060102T150405", "20060102T1504"} {
		if t, err := time.Parse(layout, v); err == nil {
			w, ok = t, true
			break
		}
	}
	if !ok {
		return when{}, false
	}
	if tzid := p.params["TZID"]; tzid != "" {
		if loc := z.resolve(tzid, p.line); loc != nil {
			return when{t: z.b.WallIn(w, loc), hasOffset: true}, true
		}
	}
	// Floating (or an unknown zone): the conference zone.
	return when{t: z.b.Local(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second())}, true
}

// add turns one VEVENT into a session.
func add(b *build.Builder, z *zones, ev event, sharedOrganizer bool) {
	first := map[string]prop{}
	var organizer string
	s := build.Session{Line: ev.line, Day: -1}
	var attendees []schedule.Speaker
	var marked []schedule.Speaker
	kindSet := false
	for _, p := range ev.props {
		if _, seen := first[p.name]; !seen {
			first[p.name] = p
		}
		switch {
		case p.name == "CATEGORIES":
			for _, c := range split(p.value) {
				if c = strings.TrimSpace(c); c != "" {
					s.Tags = append(s.Tags, c)
				}
			}
		case p.name == "ATTENDEE":
			if cn := strings.TrimSpace(p.params["CN"]); cn != "" {
				attendees = append(attendees, schedule.Speaker{Name: cn})
			}
		case p.name == "ORGANIZER":
			if organizer == "" {
				organizer = strings.TrimSpace(p.params["CN"])
			}
		case strings.HasPrefix(p.name, "X-") && strings.HasSuffix(p.name, "-SPEAKER"):
			if n := strings.TrimSpace(unescape(p.value)); n != "" {
				marked = append(marked, schedule.Speaker{Name: n, Affiliation: strings.TrimSpace(p.params["X-AFFILIATION"])})
			}
		case strings.HasPrefix(p.name, "X-") && strings.HasSuffix(p.name, "-SPEAKERS"):
			for _, n := range split(p.value) {
				if n = strings.TrimSpace(n); n != "" {
					marked = append(marked, schedule.Speaker{Name: n})
				}
			}
		case strings.HasPrefix(p.name, "X-") && strings.HasSuffix(p.name, "-KIND") && !kindSet:
			v := strings.ToLower(strings.TrimSpace(unescape(p.value)))
			if k := schedule.Kind(v); k.Valid() {
				s.Kind = k
			} else {
				s.Kind = build.KindOf(v)
			}
			kindSet = true
		case !known[p.name] && !strings.HasPrefix(p.name, "X-"):
			b.Count(p.line, fmt.Sprintf("property %s is not used by confdash: ignored", shortName(p.name)))
		}
	}
	s.SourceID = unescape(first["UID"].value)
	s.Title = unescape(first["SUMMARY"].value)
	// RFC 5545 has no property for a session's language, but its LANGUAGE
	// parameter (3.2.10) says which language the title is in.
	s.Language = first["SUMMARY"].params["LANGUAGE"]
	s.Room = unescape(first["LOCATION"].value)
	s.Abstract = unescape(first["DESCRIPTION"].value)
	s.URL = strings.TrimSpace(first["URL"].value)
	switch {
	case len(marked) > 0:
		s.Speakers = marked
	case len(attendees) > 0:
		s.Speakers = attendees
	case organizer != "" && !sharedOrganizer:
		s.Speakers = []schedule.Speaker{{Name: organizer}}
	}
	label := schedule.Label(s.SourceID, strings.TrimSpace(s.Title))

	if st := strings.ToUpper(strings.TrimSpace(first["STATUS"].value)); st == "CANCELLED" || st == "CANCELED" {
		b.Count(ev.line, "event with STATUS:CANCELLED: not imported")
		return
	}
	if _, ok := first["RRULE"]; ok {
		b.Count(first["RRULE"].line, "recurring event (RRULE): only its first occurrence is imported")
	} else if _, ok := first["RDATE"]; ok {
		b.Count(first["RDATE"].line, "recurring event (RDATE): only its first occurrence is imported")
	}
	sp, ok := first["DTSTART"]
	if !ok {
		b.Skip(ev.line, "DTSTART", "event %s has no DTSTART", label)
		return
	}
	start, ok := z.time(sp)
	if !ok {
		b.Skip(sp.line, "DTSTART", "event %s has DTSTART %q, not a date-time", label, schedule.Short(sp.value))
		return
	}
	if start.allDay {
		b.Skip(sp.line, "DTSTART", "event %s lasts all day (a DATE, not a time): not a session", label)
		return
	}
	s.Start, s.HasOffset = start.t, start.hasOffset
	if ep, ok := first["DTEND"]; ok {
		end, ok := z.time(ep)
		if !ok || end.allDay {
			b.Skip(ep.line, "DTEND", "event %s has DTEND %q, not a date-time", label, schedule.Short(ep.value))
			return
		}
		s.End = end.t
	} else if dp, ok := first["DURATION"]; ok {
		d, err := build.ISODuration(strings.TrimSpace(dp.value))
		if err != nil {
			b.SkipDuration(dp.line, "DURATION", label, dp.value, err, "like PT1H30M")
			return
		}
		s.End = s.Start.Add(d)
	} else {
		// RFC 5545 3.6.1: such an event ends when it starts. Inventing a
		// length would show a closing remark as running for an hour.
		b.Count(ev.line, "event without DTEND or DURATION: kept as an instant (it ends when it starts, RFC 5545), shown as next but never as running; add a DTEND to give it a length")
		s.End, s.Marker = s.Start, true
	}
	if s.End.Equal(s.Start) {
		s.Marker = true
	}
	b.Add(s)
}
