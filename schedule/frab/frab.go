package frab

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/build"
)

// frab schedule XML: schedule/conference/day/room/event, as frab, pretalx,
// the CCC hub and pentabarf (FOSDEM) write it. Files seen in the wild:
//   - frab and pretalx: each event has <date> with an offset; that wins.
//   - pentabarf (FOSDEM): no <date>, no time zone, <start> HH:MM local and
//     <duration> HH:MM:SS; the zone comes from Options.
//   - legacy frab: events directly under <day>, without a <room> wrapper.
// Events are decoded with encoding/xml into structs of their direct children
// only, so an <attachment><title> nested in an event is never its title.

// maxDepth bounds element nesting: a schedule is about six deep, and a
// bound keeps a hostile file from growing the walker's stack without end.
const maxDepth = 64

type conference struct {
	Acronym      string `xml:"acronym"`
	Title        string `xml:"title"`
	Days         string `xml:"days"`
	DayChange    string `xml:"day_change"`
	TimeZoneName string `xml:"time_zone_name"`
}

type person struct {
	Name       string `xml:",chardata"`
	PublicName string `xml:"public_name,attr"`
}

// anyElement catches the direct children no field names, to warn about them.
type anyElement struct {
	XMLName xml.Name
}

type event struct {
	ID          string    `xml:"id,attr"`
	GUID        string    `xml:"guid,attr"`
	Date        string    `xml:"date"`
	Start       string    `xml:"start"`
	Duration    string    `xml:"duration"`
	End         string    `xml:"end"`
	Room        string    `xml:"room"`
	Title       string    `xml:"title"`
	Subtitle    string    `xml:"subtitle"`
	Track       string    `xml:"track"`
	Type        string    `xml:"type"`
	Abstract    string    `xml:"abstract"`
	Description string    `xml:"description"`
	URL         string    `xml:"url"`
	Slug        string    `xml:"slug"`
	Language    string    `xml:"language"`
	FeedbackURL string    `xml:"feedback_url"`
	Recording   recording `xml:"recording"`
	// Some exports put the opt-out directly in the event.
	DoNotRecord string       `xml:"do_not_record"`
	Optout      string       `xml:"optout"`
	Persons     []person     `xml:"persons>person"`
	Other       []anyElement `xml:",any"`
}

// recording is frab's <recording><license/><optout>true</optout></recording>:
// optout true means the speaker does not want the session recorded.
type recording struct {
	Optout string `xml:"optout"`
}

// known are event children that frab, pretalx, the hub and pentabarf
// write and confdash has no use for: ignored without a warning.
var known = map[string]bool{
	"links": true, "attachments": true, "logo": true,
	"code": true, "origin_url": true, "video_download_url": true,
	"persons": true, "license": true, "answers": true,
}

type raw struct {
	ev   event
	day  int    // index into the builder's days; -1: not under a <day>
	room string // the enclosing <room name=...>
	line int
}

// Parse reads frab schedule XML. name is used in diagnostics; it returns the
// schedule and the warnings, or Errors for a source that cannot be read.
func Parse(name string, data []byte, opts schedule.Options) (*schedule.Schedule, []schedule.Diagnostic, error) {
	b := build.New(name, schedule.FormatFrabXML, opts)
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Entity = xml.HTMLEntity // wiki exports carry &nbsp; and friends
	dec.CharsetReader = charsetReader

	var (
		conf     conference
		confLine int
		stack    []string
		day      = -1 // the <day> the walker is inside
		room     string
		raws     []raw
		root     string
	)
	syntaxErr := func(err error) error {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return schedule.Errors{{File: name, Line: se.Line, Message: "not well-formed XML: " + se.Msg}}
		}
		line, _ := dec.InputPos()
		return schedule.Errors{{File: name, Line: line, Message: "cannot read XML: " + err.Error()}}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, b.Warns, syntaxErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := dec.InputPos()
			el := t.Name.Local
			if root == "" {
				root = el
				if el != "schedule" {
					if strings.EqualFold(el, "icalendar") {
						return nil, nil, schedule.Errors{{File: name, Line: line, Message: "this is xCal, which confdash does not read: export the schedule as schedule.xml, schedule.json or schedule.ics"}}
					}
					b.Warn(line, el, "the root element is <%s>, not <schedule>: reading its events anyway", el)
				}
			}
			switch {
			case el == "conference" && day < 0:
				confLine = line
				if err := dec.DecodeElement(&conf, &t); err != nil {
					return nil, b.Warns, syntaxErr(err)
				}
				continue
			case el == "event":
				var ev event
				if err := dec.DecodeElement(&ev, &t); err != nil {
					return nil, b.Warns, syntaxErr(err)
				}
				raws = append(raws, raw{ev: ev, day: day, room: room, line: line})
				continue
			case el == "day" && day < 0:
				day = startDay(b, t, line)
			case el == "room" && day >= 0 && len(stack) > 0 && stack[len(stack)-1] == "day":
				room = strings.TrimSpace(attr(t, "name"))
				b.SetRoomGUID(room, attr(t, "guid"))
			}
			stack = append(stack, el)
			if len(stack) > maxDepth {
				return nil, b.Warns, schedule.Errors{{File: name, Line: line, Message: fmt.Sprintf("elements nested deeper than %d: not a schedule", maxDepth)}}
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
		return nil, nil, schedule.Errors{{File: name, Message: "no XML element found: the file is empty or not XML"}}
	}

	b.Name = strings.TrimSpace(conf.Title)
	if b.Name == "" {
		b.Name = strings.TrimSpace(conf.Acronym)
	}
	b.SetZone(conf.TimeZoneName, confLine, "time_zone_name")
	if n, err := strconv.Atoi(strings.TrimSpace(conf.Days)); err == nil && n > 0 {
		b.DeclaredDays = n
	}
	dayChange := -1
	if h, m, _, ok := build.Clock(conf.DayChange); ok {
		dayChange = h*60 + m
	}
	for _, r := range raws {
		add(b, r, dayChange)
	}
	if len(raws) == 0 && root != "schedule" {
		return nil, b.Warns, schedule.Errors{{File: name, Message: fmt.Sprintf("no usable session: the root element is <%s> and there is no <event>: not a frab schedule XML", root)}}
	}
	return b.Finish()
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// startDay records a <day date=... start=... end=...> and returns its
// index.
func startDay(b *build.Builder, t xml.StartElement, line int) int {
	d := build.SourceDay{Line: line}
	if date := strings.TrimSpace(attr(t, "date")); date != "" {
		if _, ok := build.Date(date); ok {
			d.Date = date
		} else {
			b.Warn(line, "day.date", "%q is not a YYYY-MM-DD date: the day is taken from its events", date)
		}
	}
	if st, hasOff, ok := build.Instant(attr(t, "start")); ok && hasOff {
		d.Start = st
	}
	if en, hasOff, ok := build.Instant(attr(t, "end")); ok && hasOff {
		d.End = en
	}
	b.Days = append(b.Days, d)
	return len(b.Days) - 1
}

// add turns one decoded event into a session.
func add(b *build.Builder, r raw, dayChange int) {
	ev := r.ev
	id := strings.TrimSpace(ev.ID)
	if id == "" {
		id = strings.TrimSpace(ev.GUID)
	}
	label := schedule.Label(id, strings.TrimSpace(ev.Title))
	for _, o := range ev.Other {
		if n := o.XMLName.Local; !known[n] {
			b.Count(r.line, fmt.Sprintf("element <%s> is not part of frab XML: ignored", schedule.ClipValue(n)))
		}
	}
	s := build.Session{SourceID: id, Title: ev.Title, Kind: build.KindOf(ev.Type), URL: ev.URL, Line: r.line, Day: r.day}
	// The event's own <room> names its room; the enclosing <room name>
	// is the fallback (legacy files have only the first, some only the
	// second).
	s.Room = strings.TrimSpace(ev.Room)
	if s.Room == "" {
		s.Room = r.room
	}
	s.Abstract = strings.TrimSpace(ev.Abstract)
	if s.Abstract == "" {
		s.Abstract = strings.TrimSpace(ev.Description)
	}
	if tag := strings.TrimSpace(ev.Track); tag != "" {
		s.Tags = []string{tag}
	}
	for _, p := range ev.Persons {
		n := strings.TrimSpace(p.PublicName)
		if n == "" {
			n = strings.TrimSpace(p.Name)
		}
		if n != "" {
			s.Speakers = append(s.Speakers, schedule.Speaker{Name: n})
		}
	}
	s.Subtitle, s.Language, s.Type, s.FeedbackURL = ev.Subtitle, ev.Language, ev.Type, ev.FeedbackURL
	for _, v := range []string{ev.Recording.Optout, ev.DoNotRecord, ev.Optout} {
		if yes, ok := build.Flag(v); ok && yes {
			s.DoNotRecord = true
		} else if !ok {
			b.Count(r.line, fmt.Sprintf("recording opt-out %q is not true or false: read as false", schedule.ClipValue(strings.TrimSpace(v))))
		}
	}
	if strings.TrimSpace(s.Title) == "" {
		s.Title = strings.TrimSpace(ev.Subtitle)
	}

	// The instant: the event's own <date> with its offset; else the day's
	// date and <start> in the conference zone.
	start, ok := startOf(b, r, dayChange)
	if !ok {
		b.Skip(r.line, "date", "event %s has no usable <date> or <start> (%q, %q)", label, schedule.Short(ev.Date), schedule.Short(ev.Start))
		return
	}
	s.Start, s.HasOffset = start.t, start.hasOffset
	switch {
	case strings.TrimSpace(ev.Duration) != "":
		d, err := build.Duration(ev.Duration)
		if err != nil {
			b.SkipDuration(r.line, "duration", label, ev.Duration, err, "H:MM or H:MM:SS")
			return
		}
		s.End = s.Start.Add(d)
	case strings.TrimSpace(ev.End) != "":
		end, hasOff, ok := build.Instant(ev.End)
		if !ok {
			b.Skip(r.line, "end", "event %s has end %q, not a date-time", label, schedule.Short(ev.End))
			return
		}
		if !hasOff {
			end = time.Date(end.Year(), end.Month(), end.Day(), end.Hour(), end.Minute(), end.Second(), 0, b.Loc)
		}
		s.End = end
	default:
		b.Skip(r.line, "duration", "event %s has no <duration>", label)
		return
	}
	b.Add(s)
}

type instant struct {
	t         time.Time
	hasOffset bool
}

func startOf(b *build.Builder, r raw, dayChange int) (instant, bool) {
	ev := r.ev
	if t, hasOff, ok := build.Instant(ev.Date); ok {
		if hasOff {
			return instant{t, true}, true
		}
		return instant{b.Local(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second()), false}, true
	}
	// <start> may itself be a full date-time in some exports.
	if t, hasOff, ok := build.Instant(ev.Start); ok {
		if hasOff {
			return instant{t, true}, true
		}
		return instant{b.Local(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second()), false}, true
	}
	h, m, sec, ok := build.Clock(ev.Start)
	if !ok {
		return instant{}, false
	}
	// A <date> holding only a date gives the calendar date itself.
	if d, ok := build.Date(ev.Date); ok {
		return instant{b.Local(d.Year(), d.Month(), d.Day(), h, m, sec), false}, true
	}
	if r.day < 0 || b.Days[r.day].Date == "" {
		return instant{}, false
	}
	d, _ := build.Date(b.Days[r.day].Date)
	// Times before the day's beginning are after midnight: the source lists
	// them under the day they belong to, on the next calendar date (an
	// event at 01:00 under a day starting at 10:00 is the next morning).
	begin := dayChange
	if st := b.Days[r.day].Start; !st.IsZero() {
		lt := st.In(b.Loc)
		begin = lt.Hour()*60 + lt.Minute()
	}
	if begin < 0 {
		begin = build.DayBoundaryHour * 60
	}
	if h*60+m < begin {
		d = d.AddDate(0, 0, 1)
	}
	return instant{b.Local(d.Year(), d.Month(), d.Day(), h, m, sec), false}, true
}

// charsetReader reads the legacy single-byte encodings old exports
// declare; UTF-8 needs no reader.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
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
