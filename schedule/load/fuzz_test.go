package load_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/frab"
	"github.com/confdash/confdash/schedule/ical"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/schedule/native"
	"github.com/confdash/confdash/schedule/schedulejson"
)

// Fuzz targets: no input may panic or hang a parser, and a schedule a parser
// returns is sane. The seeds run as ordinary tests; `go test -fuzz FuzzX`
// explores from them.

// fuzzCheck asserts the contract of every parser on any input.
func fuzzCheck(t *testing.T, s *schedule.Schedule, warns []schedule.Diagnostic, err error) {
	t.Helper()
	if err != nil {
		if s != nil {
			t.Fatalf("a schedule and an error: %v", err)
		}
		var errs schedule.Errors
		if errors.As(err, &errs) && len(errs) == 0 {
			t.Fatal("empty Errors")
		}
		return
	}
	if s == nil {
		t.Fatal("no schedule and no error")
	}
	if len(s.Sessions) == 0 && s.Format != "native" {
		t.Fatal("an import without sessions was accepted")
	}
	checkSane(t, s)
	for _, d := range warns {
		if d.Message == "" {
			t.Fatalf("warning without a message: %+v", d)
		}
	}
	// Whatever was imported can be written.
	if err := native.Write(&bytes.Buffer{}, s, "yaml"); err != nil {
		t.Fatalf("native.Write: %v", err)
	}
	ts := make([]schedule.Timed, len(s.Sessions))
	for i, ss := range s.Sessions {
		ts[i] = schedule.Timed{Session: ss, EstStart: ss.Start, EstEnd: ss.End}
	}
	if err := ical.Write(&bytes.Buffer{}, s, ts); err != nil {
		t.Fatalf("ical.Write: %v", err)
	}
	fuzzServable(t, s)
}

// fuzzServable checks what the server does with a schedule: states at the
// edges of the day, with and without the largest delay the admin API takes
// (720 minutes), encode as JSON, and so does the iCalendar feed of the
// delayed times. The server's own encoder is fuzzed in the server package.
func fuzzServable(t *testing.T, s *schedule.Schedule) {
	t.Helper()
	if len(s.Sessions) == 0 {
		return
	}
	first, last := s.Sessions[0].Start, s.Sessions[0].End
	for _, ss := range s.Sessions {
		if ss.End.After(last) {
			last = ss.End
		}
	}
	delayed := schedule.Adjustments{Delays: map[string]schedule.Delay{}}
	for _, tr := range s.Tracks {
		delayed.Delays[tr.ID] = schedule.Delay{Minutes: 720, From: first.Add(-time.Hour)}
	}
	for _, adj := range []schedule.Adjustments{{}, delayed} {
		for _, at := range []time.Time{first.Add(-time.Hour), first, last, last.Add(13 * time.Hour)} {
			if _, err := json.Marshal(schedule.Compute(s, adj, at)); err != nil {
				t.Fatalf("state at %s does not encode: %v", at, err)
			}
		}
		if _, err := json.Marshal(s.Timed(adj)); err != nil {
			t.Fatalf("timed sessions do not encode: %v", err)
		}
		if err := ical.Write(&bytes.Buffer{}, s, s.Timed(adj)); err != nil {
			t.Fatalf("ical.Write with delays: %v", err)
		}
	}
}

func fuzzZone(t *testing.T, withZone bool) schedule.Options {
	if !withZone {
		return schedule.Options{}
	}
	return schedule.Options{Zone: schedtest.Zone(t, "Europe/Brussels")}
}

var fuzzFrabSeeds = []string{
	schedtest.FrabHead + `<day index="1" date="2025-12-27" start="2025-12-27T10:00:00+01:00"><room name="One"><event id="1" guid="g">` +
		`<date>2025-12-27T16:00:00+01:00</date><start>16:00</start><duration>01:00</duration><room>One</room><title>T</title>` +
		`<type>lecture</type><persons><person id="1">A</person></persons><attachments><attachment><title>x</title></attachment></attachments></event></room></day></schedule>`,
	`<schedule><conference><day_change>09:00:00</day_change></conference><day date="2024-02-03"><room name="J"><event id="2"><start>10:30</start><duration>00:25:00</duration><title>F</title></event></room></day></schedule>`,
	`<schedule><day date="2014-12-27" start="2014-12-27T11:00:00+01:00"><event id="3"><start>01:30</start><duration>0:30</duration><room>S</room><title>L</title></event></day></schedule>`,
	`<schedule><day date="2024-10-27"><room name="R"><event><start>02:30</start><duration>1:00</duration><title>DST</title></event><event><start>02:30</start><duration>1:00</duration><title>DST</title></event></room></day></schedule>`,
	`<schedule><day date="x"><room name=""><event id=""><date>2025-13-45T99:00:00+99:00</date><duration>99999:00</duration></event></room></day></schedule>`,
	`<?xml version="1.0" encoding="latin1"?><schedule><day date="2020-01-01"><event><start>10:00</start><duration>PT30M</duration><title>&nbsp;&amp;</title></event></day></schedule>`,
	`<iCalendar/>`,
	`<`,
}

func FuzzFrabXML(f *testing.F) {
	for _, s := range fuzzFrabSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, withZone bool) {
		s, warns, err := frab.Parse("f.xml", data, fuzzZone(t, withZone))
		fuzzCheck(t, s, warns, err)
	})
}

var fuzzJSONSeeds = []string{
	schedtest.ScheduleJSONDoc,
	schedtest.Schedule2JSONDoc,
	`{"schedule": {"conference": {"time_zone_name": "Europe/Berlin", "days": [{"date": "2024-10-27", "day_start": "2024-10-27T04:00:00+02:00", "rooms": {"R": [{"id": 1, "start": "02:30", "duration": "01:00", "title": "x"}]}}]}}}`,
	`{"schedule": {"conference": {"days": [{"rooms": {"": [{"date": "2020-01-01T10:00:00", "end": "2020-01-01T09:00:00", "title": ""}]}}]}}}`,
	`{"schedule": {"conference": {"rooms": [{"guid": "r"}]}, "events": [{"start": "2024-12-28T00:15:00+01:00", "duration": "P1W", "room": "r", "participants": [{"guid": "p"}]}], "persons": [{"guid": "p", "name": "N"}]}}`,
	`{"schedule": {"conference": {"days": [null, 1, {"rooms": []}]}}}`,
	`{"schedule": 1}`,
	`[]`,
}

func FuzzScheduleJSON(f *testing.F) {
	for _, s := range fuzzJSONSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, withZone bool) {
		opts := fuzzZone(t, withZone)
		// Both JSON parsers, whatever Detect would say: each must cope
		// with the other's files.
		s, warns, err := schedulejson.Parse("s.json", data, opts)
		fuzzCheck(t, s, warns, err)
		s, warns, err = schedulejson.Parse2("s.json", data, opts)
		fuzzCheck(t, s, warns, err)
		_ = schedulejson.Detect(data)
	})
}

var fuzzICalSeeds = []string{
	string(schedtest.ICal("BEGIN:VCALENDAR", "X-WR-TIMEZONE:Europe/Berlin", "BEGIN:VEVENT", "UID:a", "DTSTART;TZID=Australia/Adelaide:20230818T090000",
		"DTEND;TZID=Australia/Adelaide:20230818T092000", "SUMMARY:A\\, b - C", " continued", "LOCATION:Hall C", "ATTENDEE;CN=\"X, Y\":mailto:x",
		"BEGIN:VALARM", "DESCRIPTION:no", "END:VALARM", "END:VEVENT", "END:VCALENDAR")),
	string(schedtest.ICal("BEGIN:VCALENDAR", "BEGIN:VEVENT", "DTSTART:20150921T160000Z", "SUMMARY:End", "END:VEVENT",
		"BEGIN:VEVENT", "DTSTART:20241027T023000", "DURATION:PT1H", "END:VEVENT", "BEGIN:VEVENT", "DTSTART;VALUE=DATE:20240101", "END:VEVENT", "END:VCALENDAR")),
	"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=\"/x/Europe/Paris\":20240301T100000\nDTEND:20240301T1100Z\nX-CONFDASH-KIND:panel\nX-SPEAKERS:a\\,b,c\nEND:VEVENT\nEND:VCALENDAR\n",
	"BEGIN:VCALENDAR\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2024-03-01T10:00:00Z\r\nDURATION:-PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
}

func FuzzICal(f *testing.F) {
	for _, s := range fuzzICalSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, withZone bool) {
		s, warns, err := ical.Parse("c.ics", data, fuzzZone(t, withZone))
		fuzzCheck(t, s, warns, err)
	})
}

// FuzzParse goes through format detection and every parser, the native
// one included.
func FuzzParse(f *testing.F) {
	seeds := append(append(append([]string{}, fuzzFrabSeeds...), fuzzJSONSeeds...), fuzzICalSeeds...)
	seeds = append(seeds, "name: x\ntimezone: Europe/Berlin\ntracks: [{id: a, name: A}]\nsessions: [{track: a, title: t, start: 2024-01-01 10:00, end: 2024-01-01 11:00}]\n", "", "\ufeff")
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		var (
			s     *schedule.Schedule
			warns []schedule.Diagnostic
			err   error
		)
		go func() {
			defer close(done)
			s, warns, err = load.Parse("p", data, schedule.Options{})
		}()
		// A parser that loops is a failure, not a stuck fuzzer.
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Parse of %d bytes did not return within 10s", len(data))
		}
		if err == nil && s.Format == "native" {
			checkSane(t, s)
			fuzzServable(t, s)
			return
		}
		fuzzCheck(t, s, warns, err)
	})
}
