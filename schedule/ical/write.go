package ical

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/build"
)

// The iCalendar writer, for GET /schedule.ics and `confdash convert --to ics`.

// maxLine is RFC 5545's limit on a content line, in octets, without the
// CRLF; longer lines are folded.
const maxLine = 75

// Write writes sessions as an RFC 5545 calendar. Each event's UID is
// derived from the session id and the conference name, so it is stable
// across runs and calendar apps update events instead of duplicating them.
// Times are the estimated ones (the scheduled ones when no delay applies),
// in UTC. Speakers and kind are also written as X-CONFDASH-SPEAKER and
// X-CONFDASH-KIND, which confdash reads back; other apps ignore them.
//
// DTSTAMP, which RFC 5545 requires, is the earliest scheduled start rather
// than the clock: the package has no clock, and an unchanged schedule then
// gives a byte-identical file (cacheable, comparable).
func Write(w io.Writer, s *schedule.Schedule, sessions []schedule.Timed) error {
	return WriteFeed(w, s, sessions, Feed{})
}

// Feed is what a calendar to subscribe to carries beyond the sessions
// (GET /schedule.ics): how often apps should poll, and each event's
// revision, so that an app updates the events it has instead of keeping
// them or duplicating them.
type Feed struct {
	// Name replaces the schedule's name as X-WR-CALNAME when set.
	Name string
	// Refresh is written as REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL
	// (the older name apps read); 0 writes neither.
	Refresh time.Duration
	// Revisions are the events' revisions by session id; nil writes none
	// (Write's plain export).
	Revisions map[string]Revision
}

// Revision is one event's place in its history (RFC 5545 3.8.7).
type Revision struct {
	// Sequence only grows: an app keeps the event with the higher one.
	Sequence int
	// Modified is LAST-MODIFIED and DTSTAMP: when the event last changed,
	// so an unchanged event gives the same bytes.
	Modified time.Time
	// Cancelled writes STATUS:CANCELLED (else STATUS:CONFIRMED).
	Cancelled bool
}

// WriteFeed is Write with f's calendar properties and revisions.
func WriteFeed(w io.Writer, s *schedule.Schedule, sessions []schedule.Timed, f Feed) error {
	bw := bufio.NewWriter(w)
	line := func(name, value string) {
		fold(bw, name+":"+value)
	}
	domain := "schedule"
	if s.Name != "" {
		domain = build.Slug(s.Name)
	}
	domain += ".confdash"
	var stamp time.Time
	for _, t := range sessions {
		if stamp.IsZero() || t.Start.Before(stamp) {
			stamp = t.Start
		}
	}
	if stamp.IsZero() {
		stamp = time.Unix(0, 0)
	}
	names := make(map[string]string, len(s.Tracks))
	for _, tr := range s.Tracks {
		names[tr.ID] = tr.Name
	}

	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//confdash//confdash schedule//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	if f.Name != "" {
		line("X-WR-CALNAME", escape(f.Name))
	} else if s.Name != "" {
		line("X-WR-CALNAME", escape(s.Name))
	}
	if f.Refresh > 0 {
		d := "PT" + strconv.Itoa(int(f.Refresh/time.Minute)) + "M"
		line("REFRESH-INTERVAL;VALUE=DURATION", d)
		line("X-PUBLISHED-TTL", d)
	}
	if s.TimeZone != "" {
		line("X-WR-TIMEZONE", escape(s.TimeZone))
	}
	for _, t := range sessions {
		start, end := t.EstStart, t.EstEnd
		if start.IsZero() || end.IsZero() {
			start, end = t.Start, t.End
		}
		line("BEGIN", "VEVENT")
		line("UID", escape(t.ID+"@"+domain))
		if r, ok := f.Revisions[t.ID]; ok {
			modified := r.Modified
			if modified.IsZero() {
				modified = stamp
			}
			line("DTSTAMP", utc(modified))
			line("LAST-MODIFIED", utc(modified))
			line("SEQUENCE", strconv.Itoa(r.Sequence))
			if r.Cancelled {
				line("STATUS", "CANCELLED")
			} else {
				line("STATUS", "CONFIRMED")
			}
		} else {
			line("DTSTAMP", utc(stamp))
		}
		line("DTSTART", utc(start))
		line("DTEND", utc(end))
		summary := "SUMMARY"
		if t.Language != "" {
			summary += ";LANGUAGE=" + param(t.Language)
		}
		line(summary, escape(t.Title))
		if n := names[t.Track]; n != "" {
			line("LOCATION", escape(n))
		} else if t.Track != "" {
			line("LOCATION", escape(t.Track))
		}
		if d := description(t.Session); d != "" {
			line("DESCRIPTION", escape(d))
		}
		if u := clean(t.URL); u != "" {
			line("URL", u)
		}
		if len(t.Tags) > 0 {
			tags := make([]string, len(t.Tags))
			for i, tag := range t.Tags {
				tags[i] = escape(tag)
			}
			line("CATEGORIES", strings.Join(tags, ","))
		}
		if t.Kind != "" {
			line("X-CONFDASH-KIND", escape(string(t.Kind)))
		}
		for _, sp := range t.Speakers {
			name := "X-CONFDASH-SPEAKER"
			if sp.Affiliation != "" {
				name += ";X-AFFILIATION=" + param(sp.Affiliation)
			}
			line(name, escape(sp.Name))
		}
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return bw.Flush()
}

// description is what a calendar app shows under the title: speakers,
// then the abstract.
func description(ss schedule.Session) string {
	var parts []string
	if len(ss.Speakers) > 0 {
		names := make([]string, len(ss.Speakers))
		for i, sp := range ss.Speakers {
			names[i] = sp.Name
			if sp.Affiliation != "" {
				names[i] += " (" + sp.Affiliation + ")"
			}
		}
		parts = append(parts, strings.Join(names, ", "))
	}
	if ss.Abstract != "" {
		parts = append(parts, ss.Abstract)
	}
	return strings.Join(parts, "\n\n")
}

func utc(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// escape writes a TEXT value: backslash, semicolon, comma and newline are
// escaped (RFC 5545 3.3.11); other control characters are not allowed.
func escape(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			// dropped: CTLs are not allowed in a TEXT value
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clean drops the control characters a URI value may not hold.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// param writes a parameter value, quoted when it holds a character that
// would end it; a double quote cannot appear even quoted, so it becomes a
// single one.
func param(s string) string {
	s = strings.ReplaceAll(clean(s), `"`, "'")
	if strings.ContainsAny(s, ":;,") {
		return `"` + s + `"`
	}
	return s
}

// fold writes one content line, folded so that no line exceeds
// maxLine octets; a fold never splits a UTF-8 sequence.
func fold(w *bufio.Writer, line string) {
	limit := maxLine
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		w.WriteString(line[:cut])
		w.WriteString("\r\n ")
		line = line[cut:]
		limit = maxLine - 1 // the continuation's leading space counts
	}
	w.WriteString(line)
	w.WriteString("\r\n")
}
