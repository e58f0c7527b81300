package ical

import (
	"errors"
	"strings"
)

// Event is one VEVENT as a calendar writes it: the first value of each of
// its own properties (not those of a VALARM inside it), by upper-case name,
// TEXT values unescaped.
type Event map[string]string

// Events reads a calendar's own properties (cal) and its events property
// by property, for what Parse does not keep: a subscribed feed's
// REFRESH-INTERVAL, each event's SEQUENCE, STATUS and LAST-MODIFIED, and the
// cancelled events Parse leaves out of a schedule. It shares Parse's reading
// of lines (unfolding, parameters, escapes).
func Events(data []byte) (cal Event, events []Event, err error) {
	var (
		stack  []string
		cur    Event
		sawCal bool
	)
	cal = Event{}
	for _, ln := range unfold(data) {
		p, ok := parseLine(ln.text)
		if !ok {
			continue
		}
		comp := strings.ToUpper(strings.TrimSpace(p.value))
		switch p.name {
		case "BEGIN":
			stack = append(stack, comp)
			sawCal = sawCal || comp == "VCALENDAR"
			if comp == "VEVENT" && len(stack) == 2 {
				cur = Event{}
			}
			continue
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != comp {
				return nil, nil, errors.New("END:" + comp + " does not close the open component")
			}
			stack = stack[:len(stack)-1]
			if comp == "VEVENT" && len(stack) == 1 {
				events = append(events, cur)
				cur = nil
			}
			continue
		}
		into := cal
		if len(stack) == 2 && cur != nil {
			into = cur
		} else if len(stack) != 1 {
			continue
		}
		if _, dup := into[p.name]; !dup {
			into[p.name] = unescape(p.value)
		}
	}
	if !sawCal {
		return nil, nil, errors.New("no BEGIN:VCALENDAR: not an iCalendar file")
	}
	if len(stack) > 0 {
		return nil, nil, errors.New("the calendar is cut off: BEGIN:" + stack[len(stack)-1] + " is never closed")
	}
	return cal, events, nil
}
