package build

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/confdash/confdash/schedule"
)

// KindOf maps a source's session type ("lecture", "Talk 30 min + Q&A",
// "LIGHTNING_TALK", "Coffee break"...) to a Kind. An empty type is a talk,
// the native default; a type that names nothing known is other.
func KindOf(typ string) schedule.Kind {
	words := strings.FieldsFunc(strings.ToLower(typ), func(r rune) bool { return !unicode.IsLetter(r) })
	if len(words) == 0 {
		return schedule.KindTalk
	}
	has := func(pred func(w string) bool) bool {
		for _, w := range words {
			if pred(w) {
				return true
			}
		}
		return false
	}
	switch {
	case has(func(w string) bool { return strings.Contains(w, "keynote") }):
		return schedule.KindKeynote
	case has(func(w string) bool { return w == "panel" || w == "panels" || w == "podium" }):
		return schedule.KindPanel
	case has(func(w string) bool {
		return w == "break" || w == "pause" || w == "lunch" || w == "coffee" || strings.HasSuffix(w, "pause")
	}):
		return schedule.KindBreak
	case has(func(w string) bool {
		return strings.HasSuffix(w, "talk") || strings.HasSuffix(w, "talks") || w == "lecture" || w == "lectures" || w == "vortrag"
	}):
		return schedule.KindTalk
	}
	return schedule.KindOther
}

// Flag reads a yes/no the way exports write it: "true"/"false", "1"/"0",
// "yes"/"no", any case. An empty value is false; ok is false for anything
// else, which the caller warns about.
func Flag(v string) (yes, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no", "":
		return false, true
	}
	return false, false
}

// Clock parses a wall-clock time "15:04", "9:30" or "15:04:05".
func Clock(s string) (h, m, sec int, ok bool) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, false
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || len(p) > 2 || len(p) == 0 {
			return 0, 0, 0, false
		}
		v[i] = n
	}
	if v[0] > 23 || v[1] > 59 || v[2] > 59 {
		return 0, 0, 0, false
	}
	return v[0], v[1], v[2], true
}

var errDuration = errors.New("not a duration")

// ErrNegativeDuration is returned for a duration written with a minus sign
// ("-00:30", "-PT30M"). It is told apart from an unreadable one because
// dropping the sign would give the session a length nobody wrote.
var ErrNegativeDuration = errors.New("negative duration")

// Duration parses the durations schedules write: "0:30", "01:30",
// "00:25:00" (frab and pentabarf), "90" is refused; ISO 8601 "PT1H30M"
// (schedule2, iCalendar) is accepted too. A readable duration with a minus
// sign is ErrNegativeDuration.
func Duration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "P") || strings.HasPrefix(s, "+P") || strings.HasPrefix(s, "-P") {
		return ISODuration(s)
	}
	if rest, neg := strings.CutPrefix(s, "-"); neg {
		// The sign is checked before the parts: parsed alone, "-00" of
		// "-00:30" is zero hours and the duration would come out positive.
		if _, err := Duration(rest); err != nil || strings.HasPrefix(rest, "-") {
			return 0, errDuration
		}
		return 0, ErrNegativeDuration
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, errDuration
	}
	var v [3]int64
	for i, p := range parts {
		if len(p) == 0 || len(p) > 5 {
			return 0, errDuration
		}
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 || i > 0 && n > 59 {
			return 0, errDuration
		}
		v[i] = n
	}
	return time.Duration(v[0])*time.Hour + time.Duration(v[1])*time.Minute + time.Duration(v[2])*time.Second, nil
}

// ISODuration parses an ISO 8601 / RFC 5545 duration such as "PT1H30M",
// "P1D" or "P2W". Years and months are refused: their length depends on the
// calendar, and no session lasts that long. A readable duration with a minus
// sign ("-PT30M", which RFC 5545 allows for alarms, not for events) is
// ErrNegativeDuration.
func ISODuration(s string) (time.Duration, error) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, errDuration
	}
	s = s[1:]
	var d time.Duration
	inTime, num, seen := false, "", false
	for _, r := range s {
		switch {
		case r == 'T':
			if inTime || num != "" {
				return 0, errDuration
			}
			inTime = true
		case r >= '0' && r <= '9':
			if len(num) >= 6 {
				return 0, errDuration
			}
			num += string(r)
		default:
			if num == "" {
				return 0, errDuration
			}
			n, _ := strconv.ParseInt(num, 10, 64)
			var unit time.Duration
			switch {
			case r == 'W' && !inTime:
				unit = 7 * 24 * time.Hour
			case r == 'D' && !inTime:
				unit = 24 * time.Hour
			case r == 'H' && inTime:
				unit = time.Hour
			case r == 'M' && inTime:
				unit = time.Minute
			case r == 'S' && inTime:
				unit = time.Second
			default:
				return 0, errDuration
			}
			d += time.Duration(n) * unit
			num, seen = "", true
			if d > 1000*schedule.MaxSessionDuration {
				return 0, errDuration
			}
		}
	}
	if num != "" || !seen {
		return 0, errDuration
	}
	if neg {
		return 0, ErrNegativeDuration
	}
	return d, nil
}

// Date parses a "2006-01-02" date.
func Date(s string) (time.Time, bool) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	return t, err == nil
}

// Instant parses a date-time with an offset ("2014-12-27T11:00:00+01:00",
// also with a space, without seconds, or with Z). Without an offset the time
// is local: ok is true and hasOffset false, and the caller reads it in the
// conference zone.
func Instant(s string) (t time.Time, hasOffset, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 16 {
		return time.Time{}, false, false
	}
	if s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, true
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, false, true
		}
	}
	return time.Time{}, false, false
}

// WebURL reports whether v is a link a page may show: an absolute http or
// https address on one line, never javascript:, data: or a value with
// control characters that could break out of where it is written.
func WebURL(v string) bool {
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return false
	}
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// LoadZone resolves an IANA zone name. "Local" is refused: it would make
// the schedule depend on the machine reading it.
func LoadZone(name string) (*time.Location, bool) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// LocalCandidates returns, earliest first, the instants whose wall clock in
// loc reads as w's does in UTC: none in a skipped hour, two in a repeated
// one. Go's time.Date picks one of two without saying which.
func LocalCandidates(w time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	// Offsets a day either side bracket any single transition.
	for _, probe := range []time.Duration{-24 * time.Hour, 0, 24 * time.Hour} {
		_, off := w.Add(probe).In(loc).Zone()
		c := w.Add(-time.Duration(off) * time.Second).In(loc)
		if wall(c) != w || slices.ContainsFunc(out, c.Equal) {
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// wall is t's wall clock as a UTC time, for comparing readings.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}
