package build

import (
	"sort"
	"time"

	"github.com/confdash/confdash/schedule"
)

// DayBoundaryHour is the local hour before which a session belongs to the
// previous conference day when the source does not say otherwise: a 01:30
// talk after a day's last one is part of that day (the pretalx convention,
// used by the native format and the importers alike).
const DayBoundaryHour = 4

// DayDate is the conference day (YYYY-MM-DD) of an instant: its date in loc,
// or the date before when it is earlier than DayBoundaryHour.
func DayDate(t time.Time, loc *time.Location) string {
	l := t.In(loc)
	if l.Hour() < DayBoundaryHour {
		// Noon keeps the date arithmetic clear of any zone transition.
		l = time.Date(l.Year(), l.Month(), l.Day()-1, 12, 0, 0, 0, time.UTC)
	}
	return l.Format("2006-01-02")
}

// Days settles the conference days of sessions and sets each session's Day:
// the one day builder of every format. listed are the days the source lists
// (none for the native format), and listedIn[i] the index into listed of the
// day session i is listed under, or -1 (listedIn may be nil: all -1). A
// session under no listed day goes to the listed day whose window holds its
// start, else to DayDate of its start. A day runs from its first start to its
// last end, or from the listed bounds when they hold its sessions. Days are
// sorted by date.
func Days(sessions []schedule.Session, loc *time.Location, listed []SourceDay, listedIn []int) []schedule.Day {
	type dayAcc struct {
		start, end       time.Time
		srcStart, srcEnd time.Time
	}
	byDate := map[string]*dayAcc{}
	dateOf := make([]string, len(sessions))
	for i, ss := range sessions {
		var d SourceDay
		found := false
		if i < len(listedIn) && listedIn[i] >= 0 && listedIn[i] < len(listed) {
			d, found = listed[listedIn[i]], true
		} else {
			// A source day whose window holds the start (schedule2 lists
			// days with instants but events outside them).
			for _, sd := range listed {
				if !sd.Start.IsZero() && !sd.End.IsZero() && !ss.Start.Before(sd.Start) && ss.Start.Before(sd.End) {
					d, found = sd, true
					break
				}
			}
		}
		date := d.Date
		if !found || date == "" {
			date = DayDate(ss.Start, loc)
		}
		dateOf[i] = date
		acc := byDate[date]
		if acc == nil {
			acc = &dayAcc{start: ss.Start, end: ss.End}
			byDate[date] = acc
		}
		if found {
			if acc.srcStart.IsZero() && !d.Start.IsZero() {
				acc.srcStart = d.Start
			}
			if acc.srcEnd.IsZero() && !d.End.IsZero() {
				acc.srcEnd = d.End
			}
		}
		if ss.Start.Before(acc.start) {
			acc.start = ss.Start
		}
		if ss.End.After(acc.end) {
			acc.end = ss.End
		}
	}
	dates := make([]string, 0, len(byDate))
	for d := range byDate {
		dates = append(dates, d)
	}
	sort.Strings(dates)
	days := make([]schedule.Day, len(dates))
	index := make(map[string]int, len(dates))
	for i, date := range dates {
		acc := byDate[date]
		day := schedule.Day{Date: date, Start: acc.start, End: acc.end}
		// The source's day bounds are kept when they hold its sessions.
		if !acc.srcStart.IsZero() && !acc.srcStart.After(acc.start) {
			day.Start = acc.srcStart
		}
		if !acc.srcEnd.IsZero() && !acc.srcEnd.Before(acc.end) {
			day.End = acc.srcEnd
		}
		days[i] = day
		index[date] = i
	}
	for i := range sessions {
		sessions[i].Day = index[dateOf[i]]
	}
	return days
}
