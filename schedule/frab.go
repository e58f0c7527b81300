package schedule

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// frab schedule XML: schedule/conference/day/room/event, as frab, pretalx,
// the CCC hub and pentabarf (FOSDEM) write it. Files seen in the wild:
//   - frab and pretalx: each event has <date> with an offset; that wins.
//   - pentabarf (FOSDEM): no <date>, no time zone, <start> HH:MM local and
//     <duration> HH:MM:SS; the zone comes from Options.
//   - legacy frab: events directly under <day>, without a <room> wrapper.
// Events are decoded with encoding/xml into structs of their direct children
// only, so an <attachment><title> nested in an event is never its title.

// frabMaxDepth bounds element nesting: a schedule is about six deep, and a
// bound keeps a hostile file from growing the walker's stack without end.
const frabMaxDepth = 64

type frabConference struct {
	Acronym      string `xml:"acronym"`
	Title        string `xml:"title"`
	Days         string `xml:"days"`
	DayChange    string `xml:"day_change"`
	TimeZoneName string `xml:"time_zone_name"`
}

type frabPerson struct {
	Name       string `xml:",chardata"`
	PublicName string `xml:"public_name,attr"`
}

// frabAny catches the direct children no field names, to warn about them.
type frabAny struct {
	XMLName xml.Name
}

type frabEvent struct {
	ID          string       `xml:"id,attr"`
	GUID        string       `xml:"guid,attr"`
	Date        string       `xml:"date"`
	Start       string       `xml:"start"`
	Duration    string       `xml:"duration"`
	End         string       `xml:"end"`
	Room        string       `xml:"room"`
	Title       string       `xml:"title"`
	Subtitle    string       `xml:"subtitle"`
	Track       string       `xml:"track"`
	Type        string       `xml:"type"`
	Abstract    string       `xml:"abstract"`
	Description string       `xml:"description"`
	URL         string       `xml:"url"`
	Slug        string       `xml:"slug"`
	Persons     []frabPerson `xml:"persons>person"`
	Other       []frabAny    `xml:",any"`
}

// frabKnown are event children that frab, pretalx, the hub and pentabarf
// write and confdash has no use for: ignored without a warning.
var frabKnown = map[string]bool{
	"language": true, "recording": true, "links": true, "attachments": true, "logo": true,
	"code": true, "origin_url": true, "feedback_url": true, "video_download_url": true,
	"persons": true, "do_not_record": true, "optout": true, "license": true, "answers": true,
}

type frabRaw struct {
	ev   frabEvent
	day  int    // index into the builder's days; -1: not under a <day>
	room string // the enclosing <room name=...>
	line int
}

func parseFrabXML(name string, data []byte, opts Options) (*Schedule, []Diagnostic, error) {
	b := newImpBuilder(name, "frab-xml", opts)
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Entity = xml.HTMLEntity // wiki exports carry &nbsp; and friends
	dec.CharsetReader = frabCharsetReader

	var (
		conf     frabConference
		confLine int
		stack    []string
		day      = -1 // the <day> the walker is inside
		room     string
		raws     []frabRaw
		root     string
	)
	syntaxErr := func(err error) error {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return Errors{{File: name, Line: se.Line, Message: "not well-formed XML: " + se.Msg}}
		}
		line, _ := dec.InputPos()
		return Errors{{File: name, Line: line, Message: "cannot read XML: " + err.Error()}}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, b.warns, syntaxErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := dec.InputPos()
			el := t.Name.Local
			if root == "" {
				root = el
				if el != "schedule" {
					if strings.EqualFold(el, "icalendar") {
						return nil, nil, Errors{{File: name, Line: line, Message: "this is xCal, which confdash does not read: export the schedule as schedule.xml, schedule.json or schedule.ics"}}
					}
					b.warn(line, el, "the root element is <%s>, not <schedule>: reading its events anyway", el)
				}
			}
			switch {
			case el == "conference" && day < 0:
				confLine = line
				if err := dec.DecodeElement(&conf, &t); err != nil {
					return nil, b.warns, syntaxErr(err)
				}
				continue
			case el == "event":
				var ev frabEvent
				if err := dec.DecodeElement(&ev, &t); err != nil {
					return nil, b.warns, syntaxErr(err)
				}
				raws = append(raws, frabRaw{ev: ev, day: day, room: room, line: line})
				continue
			case el == "day" && day < 0:
				day = frabStartDay(b, t, line)
			case el == "room" && day >= 0 && len(stack) > 0 && stack[len(stack)-1] == "day":
				room = strings.TrimSpace(frabAttr(t, "name"))
			}
			stack = append(stack, el)
			if len(stack) > frabMaxDepth {
				return nil, b.warns, Errors{{File: name, Line: line, Message: fmt.Sprintf("elements nested deeper than %d: not a schedule", frabMaxDepth)}}
			}
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			switch stack[len(stack)-1] {
			case "day":
				day, room = -1, ""
			case "room":
				room = ""
			}
			stack = stack[:len(stack)-1]
		}
	}
	if root == "" {
		return nil, nil, Errors{{File: name, Message: "no XML element found: the file is empty or not XML"}}
	}

	b.name = strings.TrimSpace(conf.Title)
	if b.name == "" {
		b.name = strings.TrimSpace(conf.Acronym)
	}
	b.setZone(conf.TimeZoneName, confLine, "time_zone_name")
	if n, err := strconv.Atoi(strings.TrimSpace(conf.Days)); err == nil && n > 0 {
		b.declaredDays = n
	}
	dayChange := -1
	if h, m, _, ok := impClock(conf.DayChange); ok {
		dayChange = h*60 + m
	}
	for _, r := range raws {
		frabAdd(b, r, dayChange)
	}
	if len(raws) == 0 && root != "schedule" {
		return nil, b.warns, Errors{{File: name, Message: fmt.Sprintf("no usable session: the root element is <%s> and there is no <event>: not a frab schedule XML", root)}}
	}
	return b.finish()
}

func frabAttr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// frabStartDay records a <day date=... start=... end=...> and returns its
// index.
func frabStartDay(b *impBuilder, t xml.StartElement, line int) int {
	d := impDay{line: line}
	if date := strings.TrimSpace(frabAttr(t, "date")); date != "" {
		if _, ok := impDate(date); ok {
			d.date = date
		} else {
			b.warn(line, "day.date", "%q is not a YYYY-MM-DD date: the day is taken from its events", date)
		}
	}
	if st, hasOff, ok := impInstant(frabAttr(t, "start")); ok && hasOff {
		d.start = st
	}
	if en, hasOff, ok := impInstant(frabAttr(t, "end")); ok && hasOff {
		d.end = en
	}
	b.days = append(b.days, d)
	return len(b.days) - 1
}

// frabAdd turns one decoded event into a session.
func frabAdd(b *impBuilder, r frabRaw, dayChange int) {
	ev := r.ev
	id := strings.TrimSpace(ev.ID)
	if id == "" {
		id = strings.TrimSpace(ev.GUID)
	}
	label := impLabel(id, strings.TrimSpace(ev.Title))
	for _, o := range ev.Other {
		if n := o.XMLName.Local; !frabKnown[n] {
			b.count(r.line, fmt.Sprintf("element <%s> is not part of frab XML: ignored", clipValue(n)))
		}
	}
	s := impSession{srcID: id, title: ev.Title, kind: impKind(ev.Type), url: ev.URL, line: r.line, day: r.day}
	// The event's own <room> names its room; the enclosing <room name>
	// is the fallback (legacy files have only the first, some only the
	// second).
	s.room = strings.TrimSpace(ev.Room)
	if s.room == "" {
		s.room = r.room
	}
	s.abstract = strings.TrimSpace(ev.Abstract)
	if s.abstract == "" {
		s.abstract = strings.TrimSpace(ev.Description)
	}
	if tag := strings.TrimSpace(ev.Track); tag != "" {
		s.tags = []string{tag}
	}
	for _, p := range ev.Persons {
		n := strings.TrimSpace(p.PublicName)
		if n == "" {
			n = strings.TrimSpace(p.Name)
		}
		if n != "" {
			s.speakers = append(s.speakers, Speaker{Name: n})
		}
	}
	if strings.TrimSpace(s.title) == "" {
		s.title = strings.TrimSpace(ev.Subtitle)
	}

	// The instant: the event's own <date> with its offset; else the day's
	// date and <start> in the conference zone.
	start, ok := frabStart(b, r, dayChange)
	if !ok {
		b.skip(r.line, "date", "event %s has no usable <date> or <start> (%q, %q)", label, impShort(ev.Date), impShort(ev.Start))
		return
	}
	s.start, s.hasOffset = start.t, start.hasOffset
	switch {
	case strings.TrimSpace(ev.Duration) != "":
		d, err := impDuration(ev.Duration)
		if err != nil {
			b.skip(r.line, "duration", "event %s has duration %q, not H:MM or H:MM:SS", label, impShort(ev.Duration))
			return
		}
		s.end = s.start.Add(d)
	case strings.TrimSpace(ev.End) != "":
		end, hasOff, ok := impInstant(ev.End)
		if !ok {
			b.skip(r.line, "end", "event %s has end %q, not a date-time", label, impShort(ev.End))
			return
		}
		if !hasOff {
			end = time.Date(end.Year(), end.Month(), end.Day(), end.Hour(), end.Minute(), end.Second(), 0, b.loc)
		}
		s.end = end
	default:
		b.skip(r.line, "duration", "event %s has no <duration>", label)
		return
	}
	b.add(s)
}

type frabInstant struct {
	t         time.Time
	hasOffset bool
}

func frabStart(b *impBuilder, r frabRaw, dayChange int) (frabInstant, bool) {
	ev := r.ev
	if t, hasOff, ok := impInstant(ev.Date); ok {
		if hasOff {
			return frabInstant{t, true}, true
		}
		return frabInstant{b.local(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second()), false}, true
	}
	// <start> may itself be a full date-time in some exports.
	if t, hasOff, ok := impInstant(ev.Start); ok {
		if hasOff {
			return frabInstant{t, true}, true
		}
		return frabInstant{b.local(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second()), false}, true
	}
	h, m, sec, ok := impClock(ev.Start)
	if !ok {
		return frabInstant{}, false
	}
	// A <date> holding only a date gives the calendar date itself.
	if d, ok := impDate(ev.Date); ok {
		return frabInstant{b.local(d.Year(), d.Month(), d.Day(), h, m, sec), false}, true
	}
	if r.day < 0 || b.days[r.day].date == "" {
		return frabInstant{}, false
	}
	d, _ := impDate(b.days[r.day].date)
	// Times before the day's beginning are after midnight: the source lists
	// them under the day they belong to, on the next calendar date (an
	// event at 01:00 under a day starting at 10:00 is the next morning).
	begin := dayChange
	if st := b.days[r.day].start; !st.IsZero() {
		lt := st.In(b.loc)
		begin = lt.Hour()*60 + lt.Minute()
	}
	if begin < 0 {
		begin = dayBoundaryHour * 60
	}
	if h*60+m < begin {
		d = d.AddDate(0, 0, 1)
	}
	return frabInstant{b.local(d.Year(), d.Month(), d.Day(), h, m, sec), false}, true
}

// frabCharsetReader reads the legacy single-byte encodings old exports
// declare; UTF-8 needs no reader.
func frabCharsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "iso-8859-15", "windows-1252", "cp1252", "us-ascii", "ascii":
		data, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		buf.Grow(len(data) + len(data)/8)
		for _, c := range data {
			buf.WriteRune(rune(c))
		}
		return &buf, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported: save the file as UTF-8", charset)
}
