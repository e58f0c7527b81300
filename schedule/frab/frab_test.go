package frab

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/google/go-cmp/cmp"
)

func TestFrabNestedTitleIsNotTheTitle(t *testing.T) {
	src := schedtest.FrabHead + `
  <day index="1" date="2025-12-27" start="2025-12-27T10:00:00+01:00" end="2025-12-28T04:00:00+01:00">
    <room name="One">
      <event id="1" guid="g1">
        <date>2025-12-27T16:00:00+01:00</date>
        <start>16:00</start>
        <duration>01:00</duration>
        <room>One</room>
        <attachments>
          <attachment href="/x.webp"><type>related</type><title>a crack one word wide</title></attachment>
        </attachments>
        <title>The real title</title>
        <persons><person id="7">Q Misell</person></persons>
        <links><link href="https://x"><title>link title</title></link></links>
      </event>
    </room>
  </day>
</schedule>`
	s, _, err := Parse("t.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := schedtest.Session(t, s, "1")
	if got.Title != "The real title" {
		t.Fatalf("title = %q, want the event's own <title>", got.Title)
	}
	if diff := cmp.Diff([]schedule.Speaker{{Name: "Q Misell"}}, got.Speakers); diff != "" {
		t.Errorf("speakers (-want +got):\n%s", diff)
	}
}

func TestFrabEvent(t *testing.T) {
	src := schedtest.FrabHead + `
  <day index="1" date="2025-12-27" start="2025-12-27T10:00:00+01:00" end="2025-12-28T04:00:00+01:00">
    <room name="Saal Zürich">
      <event id="42" guid="g42">
        <date>2025-12-27T11:00:00+01:00</date>
        <start>11:00</start>
        <duration>00:45</duration>
        <room>Saal Zürich</room>
        <title> Opening </title>
        <subtitle>sub</subtitle>
        <track>CCC &amp; Community</track>
        <type>Keynote</type>
        <abstract>Hello &nbsp;world</abstract>
        <url>https://example.org/42</url>
        <persons><person id="1">Ann</person><person id="2"> Bob </person></persons>
      </event>
    </room>
  </day>
</schedule>`
	s, warns, err := Parse("t.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := schedule.Session{
		ID: "42", Track: "saal-zuerich", Title: "Opening",
		Speakers: []schedule.Speaker{{Name: "Ann"}, {Name: "Bob"}}, Kind: schedule.KindKeynote,
		Start: schedtest.UTC(t, "2025-12-27T10:00:00Z"), End: schedtest.UTC(t, "2025-12-27T10:45:00Z"),
		Abstract: "Hello \u00a0world", URL: "https://example.org/42", Tags: []string{"CCC & Community"},
		Subtitle: "sub", Type: "Keynote",
	}
	got := schedtest.Session(t, s, "42")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]schedule.Track{{ID: "saal-zuerich", Name: "Saal Zürich"}}, s.Tracks); diff != "" {
		t.Errorf("tracks (-want +got):\n%s", diff)
	}
	if got, want := s.Name, "Test Congress"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if got, want := s.TimeZone, "Europe/Berlin"; got != want || s.ZoneAssumed {
		t.Errorf("timezone = %q (assumed %v), want %q stated", got, s.ZoneAssumed, want)
	}
	if got, want := s.Format, schedule.FormatFrabXML; got != want {
		t.Errorf("format = %q, want %q", got, want)
	}
	// <days>2</days> but one <day>: said, with the day's line.
	if !schedtest.Warned(warns, "t.xml:9", "says it has 2 days but the file lists 1") {
		t.Errorf("no day-count warning at line 9 in %v", warns)
	}
}

func TestFrabPentabarfLocalTimes(t *testing.T) {
	// FOSDEM: no <date>, no zone, HH:MM:SS durations, a top-level <tracks>,
	// an empty room that is not a track.
	src := `<?xml version="1.0" encoding="UTF-8"?>
<schedule>
  <conference><title>FOSDEM</title><days>1</days><day_change>09:00:00</day_change></conference>
  <tracks><track online_qa="false">Go devroom</track></tracks>
  <day index="1" date="2024-02-03">
    <room name="Janson"></room>
    <room name="UD2.218A">
      <event id="1"><start>10:30</start><duration>00:25:00</duration><room>UD2.218A</room><title>A</title><track>Go devroom</track><type>devroom</type></event>
      <event id="2"><start>11:00</start><duration>0:30</duration><room>UD2.218A</room><title>B</title><type>lightningtalk</type></event>
    </room>
  </day>
</schedule>`
	brussels := schedtest.Zone(t, "Europe/Brussels")
	s, _, err := Parse("f.xml", []byte(src), schedule.Options{Zone: brussels})
	if err != nil {
		t.Fatal(err)
	}
	if !s.ZoneAssumed || s.TimeZone != "Europe/Brussels" {
		t.Errorf("timezone %q assumed %v, want Europe/Brussels assumed", s.TimeZone, s.ZoneAssumed)
	}
	a, b := schedtest.Session(t, s, "1"), schedtest.Session(t, s, "2")
	if got, want := a.Start, schedtest.UTC(t, "2024-02-03T09:30:00Z"); !got.Equal(want) {
		t.Errorf("start = %v, want %v", got, want)
	}
	if got, want := a.End.Sub(a.Start), 25*time.Minute; got != want {
		t.Errorf("duration = %v, want %v", got, want)
	}
	if got, want := b.End.Sub(b.Start), 30*time.Minute; got != want {
		t.Errorf("H:MM duration = %v, want %v", got, want)
	}
	if a.Kind != schedule.KindOther || b.Kind != schedule.KindTalk {
		t.Errorf("kinds = %q, %q; want other (devroom), talk (lightningtalk)", a.Kind, b.Kind)
	}
	if diff := cmp.Diff([]schedule.Track{{ID: "ud2-218a", Name: "UD2.218A"}}, s.Tracks); diff != "" {
		t.Errorf("tracks (-want +got):\n%s", diff)
	}

	// Without a zone: UTC, and still assumed.
	s, _, err = Parse("f.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.ZoneAssumed || s.TimeZone != "UTC" {
		t.Errorf("timezone %q assumed %v, want UTC assumed", s.TimeZone, s.ZoneAssumed)
	}
	if got, want := schedtest.Session(t, s, "1").Start, schedtest.UTC(t, "2024-02-03T10:30:00Z"); !got.Equal(want) {
		t.Errorf("start in UTC = %v, want %v", got, want)
	}
}

func TestFrabAfterMidnightStaysOnItsDay(t *testing.T) {
	// Legacy layout: events directly under <day>, no <room> wrapper and no
	// <date>; 01:30 under a day starting at 11:00 is the next morning.
	src := schedtest.FrabHead + `
  <day index="1" date="2014-12-27" start="2014-12-27T11:00:00+01:00" end="2014-12-28T04:00:00+01:00">
    <event id="a"><start>23:00</start><duration>01:00</duration><room>Saal 1</room><title>Late</title></event>
    <event id="b"><start>01:30</start><duration>00:30</duration><room>Saal 1</room><title>Later</title></event>
  </day>
  <day index="2" date="2014-12-28" start="2014-12-28T11:00:00+01:00" end="2014-12-29T04:00:00+01:00">
    <event id="c"><start>11:00</start><duration>00:30</duration><room>Saal 1</room><title>Morning</title></event>
  </day>
</schedule>`
	s, _, err := Parse("t.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := schedtest.Session(t, s, "b")
	if got, want := b.Start, schedtest.UTC(t, "2014-12-28T00:30:00Z"); !got.Equal(want) {
		t.Errorf("after-midnight start = %v, want %v", got, want)
	}
	if got, want := s.Days[b.Day].Date, "2014-12-27"; got != want {
		t.Errorf("after-midnight session is on day %q, want %q", got, want)
	}
	if got, want := len(s.Days), 2; got != want {
		t.Fatalf("days = %d, want %d", got, want)
	}
	// The source's day bounds are kept.
	if got, want := s.Days[0].End, schedtest.UTC(t, "2014-12-28T03:00:00Z"); !got.Equal(want) {
		t.Errorf("day end = %v, want %v", got, want)
	}
}

func TestFrabLenientAndLoud(t *testing.T) {
	src := schedtest.FrabHead + `
  <day index="1" date="2025-12-27">
    <room name="One">
      <event id="1"><date>2025-12-27T10:00:00+01:00</date><duration>01:00</duration><title>A</title><shiny>x</shiny></event>
      <event id="1"><date>2025-12-27T10:30:00+01:00</date><duration>01:00</duration><title>B</title></event>
      <event id="2"><date>2025-12-27T12:00:00+01:00</date><duration>soon</duration><title>C</title></event>
      <event id="3"><date>2025-12-27T13:00:00+01:00</date><title>D</title></event>
      <event id="4"><start>xx</start><duration>00:10</duration><title>E</title></event>
    </room>
  </day>
</schedule>`
	s, warns, err := Parse("t.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ss := range s.Sessions {
		ids = append(ids, ss.ID)
	}
	if diff := cmp.Diff([]string{"1", "1-2"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	for _, want := range [][]string{
		{"t.xml:12", `"1" is used more than once`, `"1-2"`},
		{"t.xml:11", "<shiny>", "ignored"},
		{"t.xml:13", "duration", `"soon"`, "skipped"},
		{"t.xml:14", "no <duration>", "skipped"},
		{"t.xml:15", "no usable <date> or <start>", "skipped"},
		{"t.xml:12", "overlaps", "both kept"},
	} {
		if !schedtest.Warned(warns, want...) {
			t.Errorf("no warning with %q in:\n%v", want, warns)
		}
	}
}

func TestFrabRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"no events", schedtest.FrabHead + "</schedule>", "no usable session: the file lists no events"},
		{"all skipped", schedtest.FrabHead + `<day date="2025-01-01"><room name="R"><event id="1"><title>T</title></event></room></day></schedule>`,
			"all 1 events were skipped"},
		{"not well-formed", schedtest.FrabHead + "<day>\n<room>\n</day>", "t.xml:10: not well-formed XML"},
		{"xcal", `<iCalendar xmlns="urn:ietf:params:xml:ns:xcal"><vcalendar/></iCalendar>`, "xCal"},
		{"other xml", `<html><body/></html>`, "root element is <html>"},
		{"empty", `<?xml version="1.0"?>`, "no XML element"},
		{"deep", "<schedule>" + strings.Repeat("<a>", 100), "nested deeper"},
		{"charset", `<?xml version="1.0" encoding="EBCDIC"?><schedule/>`, "EBCDIC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse("t.xml", []byte(tc.src), schedule.Options{})
			var errs schedule.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want Errors", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestFrabLatin1(t *testing.T) {
	src := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><schedule><day date=\"2020-01-01\"><room name=\"Gro\xdfer Saal\"><event id=\"1\"><start>10:00</start><duration>00:30</duration><title>K\xe4se</title></event></room></day></schedule>")
	s, _, err := Parse("t.xml", src, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Sessions[0].Title, "Käse"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]schedule.Track{{ID: "grosser-saal", Name: "Großer Saal"}}, s.Tracks); diff != "" {
		t.Errorf("tracks (-want +got):\n%s", diff)
	}
}

func TestFrabIDs(t *testing.T) {
	// Events without ids get one from track and start, as the native format
	// derives them; a source id is never taken by a derived or suffixed one.
	var ev strings.Builder
	for range 3 {
		ev.WriteString(`<event><start>10:00</start><duration>00:30</duration><title>T</title></event>`)
	}
	ev.WriteString(`<event id="one-2025-12-27-1000-2"><start>11:00</start><duration>00:30</duration><title>U</title></event>`)
	for range 2000 {
		ev.WriteString(`<event id="dup"><start>12:00</start><duration>00:30</duration><title>V</title></event>`)
	}
	src := `<schedule><day date="2025-12-27"><room name="One">` + ev.String() + `</room></day></schedule>`
	s, _, err := Parse("t.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ss := range s.Sessions[:6] {
		ids = append(ids, ss.ID)
	}
	want := []string{"one-2025-12-27-1000", "one-2025-12-27-1000-3", "one-2025-12-27-1000-4", "one-2025-12-27-1000-2", "dup", "dup-2"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if got, want := s.Sessions[len(s.Sessions)-1].ID, "dup-2000"; got != want {
		t.Errorf("last id = %q, want %q", got, want)
	}
}
