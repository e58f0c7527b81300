package ical

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/build"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/google/go-cmp/cmp"
)

func TestICalPretalx(t *testing.T) {
	// A VTIMEZONE with wrong whole-hour offsets (as pretalx shipped): the
	// TZID name is the truth. Folded lines, escapes, speakers in SUMMARY.
	src := schedtest.ICal(
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//pretalx//pretalx.com//",
		"BEGIN:VTIMEZONE",
		"TZID:Australia/Adelaide",
		"BEGIN:STANDARD",
		"DTSTART:20000326T030000",
		"TZOFFSETFROM:+1000",
		"TZOFFSETTO:+0900",
		"END:STANDARD",
		"END:VTIMEZONE",
		"BEGIN:VEVENT",
		"UID:pretalx-pyconau-2023-EJWEMK@pretalx.com",
		"DTSTART;TZID=Australia/Adelaide:20230818T090000",
		"DTEND;TZID=Australia/Adelaide:20230818T092000",
		"DESCRIPTION:This year\\, all four special tracks will share a combined openi",
		" ng address!\\nSee you\\; there \\\\o/",
		"LOCATION:Hall C (Plenary)",
		"SUMMARY:Specialist Tracks Combined Opening Address - Pedro Junqueira\\, Jack",
		"  Skinner",
		"URL:https://pretalx.com/pyconau-2023/talk/EJWEMK/",
		"BEGIN:VALARM",
		"ACTION:DISPLAY",
		"DESCRIPTION:Reminder, not the abstract",
		"END:VALARM",
		"END:VEVENT",
		"END:VCALENDAR",
	)
	s, warns, err := Parse("p.ics", src, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := schedule.Session{
		ID: "pretalx-pyconau-2023-EJWEMK@pretalx.com", Track: "hall-c-plenary",
		Title: "Specialist Tracks Combined Opening Address - Pedro Junqueira, Jack Skinner",
		Kind:  schedule.KindTalk,
		Start: schedtest.UTC(t, "2023-08-17T23:30:00Z"), End: schedtest.UTC(t, "2023-08-17T23:50:00Z"),
		Abstract: "This year, all four special tracks will share a combined opening address!\nSee you; there \\o/",
		URL:      "https://pretalx.com/pyconau-2023/talk/EJWEMK/",
	}
	if diff := cmp.Diff(want, s.Sessions[0]); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	if s.TimeZone != "Australia/Adelaide" || s.ZoneAssumed {
		t.Errorf("timezone %q assumed %v, want Australia/Adelaide from the TZID", s.TimeZone, s.ZoneAssumed)
	}
	if diff := cmp.Diff([]schedule.Track{{ID: "hall-c-plenary", Name: "Hall C (Plenary)"}}, s.Tracks); diff != "" {
		t.Errorf("tracks (-want +got):\n%s", diff)
	}
	if len(warns) != 1 || !schedtest.Warned(warns, "1 of 1 sessions name no speaker") {
		t.Errorf("warnings = %v, want only the speaker summary", warns)
	}
}

func TestICalTimes(t *testing.T) {
	berlin := schedtest.Zone(t, "Europe/Berlin")
	src := schedtest.ICal(
		"BEGIN:VCALENDAR",
		"BEGIN:VEVENT",
		"UID:utc",
		"DTSTART:20150918T070000Z",
		"DTEND:20150918T083000Z",
		"SUMMARY:Z times",
		"LOCATION:Cafeteria",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"UID:floating",
		"DTSTART:20150918T100000",
		"DURATION:PT1H15M",
		"SUMMARY:Floating",
		"LOCATION:Cafeteria",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"UID:vendor",
		`DTSTART;TZID="/mozilla.org/20050126_1/America/New_York":20150918T090000`,
		"DTEND;TZID=/mozilla.org/20050126_1/America/New_York:20150918T100000",
		"SUMMARY:Vendor TZID",
		"LOCATION:Room 2",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"UID:unknown",
		"DTSTART;TZID=Mars/Olympus:20150918T120000",
		"DTEND;TZID=Mars/Olympus:20150918T130000",
		"SUMMARY:Unknown zone",
		"LOCATION:Room 2",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"UID:instant",
		"DTSTART:20150918T160000Z",
		"SUMMARY:End of conference",
		"LOCATION:Cafeteria",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"UID:allday",
		"DTSTART;VALUE=DATE:20150918",
		"SUMMARY:Day one",
		"END:VEVENT",
		"END:VCALENDAR",
	)
	s, warns, err := Parse("t.ics", src, schedule.Options{Zone: berlin})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ id, start, end string }{
		{"utc", "2015-09-18T07:00:00Z", "2015-09-18T08:30:00Z"},
		{"floating", "2015-09-18T08:00:00Z", "2015-09-18T09:15:00Z"},
		{"vendor", "2015-09-18T13:00:00Z", "2015-09-18T14:00:00Z"},
		{"unknown", "2015-09-18T10:00:00Z", "2015-09-18T11:00:00Z"},
		{"instant", "2015-09-18T16:00:00Z", "2015-09-18T16:00:00Z"},
	} {
		got := schedtest.Session(t, s, tc.id)
		if !got.Start.Equal(schedtest.UTC(t, tc.start)) || !got.End.Equal(schedtest.UTC(t, tc.end)) {
			t.Errorf("%s: %v – %v, want %s – %s", tc.id, got.Start.UTC(), got.End.UTC(), tc.start, tc.end)
		}
	}
	if got, want := len(s.Sessions), 5; got != want {
		t.Errorf("sessions = %d, want %d (the all-day event is not one)", got, want)
	}
	if s.TimeZone != "Europe/Berlin" || !s.ZoneAssumed {
		t.Errorf("timezone %q assumed %v, want the given Europe/Berlin, assumed", s.TimeZone, s.ZoneAssumed)
	}
	for _, want := range [][]string{
		{"t.ics:25", `"Mars/Olympus" is not an IANA name`, "read in Europe/Berlin"},
		{"t.ics:30", "without DTEND or DURATION", "instant"},
		{"t.ics:38", "lasts all day", "skipped"},
		{"t.ics:9", "session floating", "overlaps utc"},
	} {
		if !schedtest.Warned(warns, want...) {
			t.Errorf("no warning with %q in:\n%v", want, warns)
		}
	}
}

func TestICalSpeakers(t *testing.T) {
	src := schedtest.ICal(
		"BEGIN:VCALENDAR",
		"X-WR-CALNAME:Con\\, 2024",
		"X-WR-TIMEZONE:Europe/London",
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240301T100000",
		"DTEND:20240301T110000",
		"SUMMARY:Talk A - Ann",
		"ORGANIZER;CN=Con Team:mailto:team@example.org",
		"ATTENDEE;CN=\"Ann, PhD\";ROLE=CHAIR:mailto:ann@example.org",
		"CATEGORIES:Python,Data\\, Science",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"UID:b",
		"DTSTART:20240301T110000",
		"DTEND:20240301T120000",
		"SUMMARY:Talk B",
		"ORGANIZER;CN=Con Team:mailto:team@example.org",
		"X-CONFDASH-SPEAKER;X-AFFILIATION=\"Acme; Inc\":Bea",
		"X-CONFDASH-KIND:keynote",
		"X-SOMETHING:ignored quietly",
		"FOO:not quietly",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"UID:c",
		"DTSTART:20240301T120000",
		"DTEND:20240301T130000",
		"SUMMARY:Lunch",
		"STATUS:CANCELLED",
		"END:VEVENT",
		"END:VCALENDAR",
	)
	s, warns, err := Parse("s.ics", src, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "Con, 2024" || s.TimeZone != "Europe/London" || s.ZoneAssumed {
		t.Errorf("name %q zone %q assumed %v", s.Name, s.TimeZone, s.ZoneAssumed)
	}
	a, b := schedtest.Session(t, s, "a"), schedtest.Session(t, s, "b")
	// The shared organizer is the conference; the attendee is the speaker;
	// the title stays whole.
	if diff := cmp.Diff([]schedule.Speaker{{Name: "Ann, PhD"}}, a.Speakers); diff != "" {
		t.Errorf("a speakers (-want +got):\n%s", diff)
	}
	if a.Title != "Talk A - Ann" {
		t.Errorf("title = %q, want it whole", a.Title)
	}
	if diff := cmp.Diff([]string{"Python", "Data, Science"}, a.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]schedule.Speaker{{Name: "Bea", Affiliation: "Acme; Inc"}}, b.Speakers); diff != "" {
		t.Errorf("b speakers (-want +got):\n%s", diff)
	}
	if b.Kind != schedule.KindKeynote {
		t.Errorf("kind = %q, want keynote", b.Kind)
	}
	if got, want := a.Start, schedtest.UTC(t, "2024-03-01T10:00:00Z"); !got.Equal(want) {
		t.Errorf("floating start in X-WR-TIMEZONE = %v, want %v", got, want)
	}
	if len(s.Sessions) != 2 {
		t.Errorf("sessions = %d, want 2 (the cancelled one dropped)", len(s.Sessions))
	}
	for _, want := range [][]string{
		{"s.ics:22", "property FOO is not used"},
		{"s.ics:24", "STATUS:CANCELLED: not imported"},
	} {
		if !schedtest.Warned(warns, want...) {
			t.Errorf("no warning with %q in:\n%v", want, warns)
		}
	}
	if schedtest.Warned(warns, "X-SOMETHING") {
		t.Errorf("an X- property was warned about: %v", warns)
	}
}

func TestICalUnfoldLF(t *testing.T) {
	// LF-only line ends, a tab continuation, a UTF-8 sequence split by the
	// fold (folding counts octets).
	src := "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:20240301T100000Z\nDTEND:20240301T110000Z\nSUMMARY:Gr\xc3\n \xb6\xc3\x9fe\n\tn\nEND:VEVENT\nEND:VCALENDAR"
	s, _, err := Parse("u.ics", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Sessions[0].Title, "Größen"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got, want := s.Tracks[0].Name, build.NoRoom; got != want {
		t.Errorf("track without LOCATION = %q, want %q", got, want)
	}
}

func TestICalRefuses(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"no calendar", "BEGIN:VEVENT\r\nEND:VEVENT\r\n", "no BEGIN:VCALENDAR"},
		{"cut off", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20240301T100000Z\r\n", "cut off"},
		{"no events", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "no usable session: the file lists no events"},
		{"bad dtstart", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:tomorrow\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "not a date-time"},
		{"end before start", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20240301T100000Z\r\nDTEND:20240301T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "not after its start"},
		{"deep", "BEGIN:VCALENDAR\r\n" + strings.Repeat("BEGIN:X\r\n", 40), "nested deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse("r.ics", []byte(tc.src), schedule.Options{})
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

func TestICalParseLine(t *testing.T) {
	for _, tc := range []struct {
		in     string
		name   string
		params map[string]string
		value  string
		ok     bool
	}{
		{"SUMMARY:a:b", "SUMMARY", nil, "a:b", true},
		{`ATTENDEE;CN="Doe, J: x";ROLE=CHAIR:mailto:j@x`, "ATTENDEE", map[string]string{"CN": "Doe, J: x", "ROLE": "CHAIR"}, "mailto:j@x", true},
		{"dtstart;tzid=Europe/Berlin:20240101T100000", "DTSTART", map[string]string{"TZID": "Europe/Berlin"}, "20240101T100000", true},
		{"X-A;P=a,\"b;c\":v", "X-A", map[string]string{"P": "a,b;c"}, "v", true},
		{"novalue", "", nil, "", false},
		{`X;P="unclosed:v`, "", nil, "", false},
		{"X;P:v", "", nil, "", false},
		{":v", "", nil, "", false},
	} {
		p, ok := parseLine(tc.in)
		if ok != tc.ok || p.name != tc.name || p.value != tc.value || !cmp.Equal(p.params, tc.params, cmpEmptyMapsEqual) {
			t.Errorf("parseLine(%q) = %+v, %v", tc.in, p, ok)
		}
	}
}

var cmpEmptyMapsEqual = cmp.FilterValues(func(a, b map[string]string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Comparer(func(a, b map[string]string) bool { return true }))

func TestICalZoneIsNotTheMachines(t *testing.T) {
	src := schedtest.ICal("BEGIN:VCALENDAR", "X-WR-TIMEZONE:Local", "BEGIN:VEVENT", "DTSTART;TZID=Local:20240301T100000",
		"DTEND;TZID=Local:20240301T110000", "END:VEVENT", "END:VCALENDAR")
	s, warns, err := Parse("l.ics", src, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.TimeZone != "UTC" || !s.ZoneAssumed || !s.Sessions[0].Start.Equal(time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("zone %q assumed %v start %v: \"Local\" must not mean this machine's zone", s.TimeZone, s.ZoneAssumed, s.Sessions[0].Start)
	}
	if !schedtest.Warned(warns, `"Local" is not an IANA`) {
		t.Errorf("no warning about Local in %v", warns)
	}
}

func TestICalLatin1(t *testing.T) {
	src := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20240301T100000Z\r\nDTEND:20240301T110000Z\r\nSUMMARY:K\xe4se\r\nLOCATION:Gro\xdfer Saal\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	s, warns, err := Parse("l.ics", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Sessions[0].Title, "Käse"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got, want := s.Tracks[0].ID, "grosser-saal"; got != want {
		t.Errorf("track = %q, want %q", got, want)
	}
	if !schedtest.Warned(warns, "l.ics:5", "not UTF-8") {
		t.Errorf("no encoding warning in %v", warns)
	}
}
