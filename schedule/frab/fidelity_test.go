package frab

import (
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
)

// frabDay wraps events in one conference day of a frab file.
func frabDay(events string) string {
	return schedtest.FrabHead + `
  <day index="1" date="2025-12-27" start="2025-12-27T10:00:00+01:00" end="2025-12-28T04:00:00+01:00">
    <room name="One">` + events + `
    </room>
  </day>
</schedule>`
}

func TestFrabCrewFields(t *testing.T) {
	src := frabDay(`
      <event id="1" guid="g1">
        <date>2025-12-27T11:00:00+01:00</date>
        <duration>00:40</duration>
        <title>Opening</title>
        <subtitle>and welcome</subtitle>
        <type>Workshop</type>
        <language>de</language>
        <feedback_url>https://cfp.example.org/talk/X/feedback/</feedback_url>
        <recording><license/><optout>true</optout></recording>
      </event>
      <event id="2" guid="g2">
        <date>2025-12-27T12:00:00+01:00</date>
        <duration>00:40</duration>
        <title>Recorded</title>
        <feedback_url>javascript:alert(1)</feedback_url>
        <recording><license/><optout>false</optout></recording>
      </event>
      <event id="3" guid="g3">
        <date>2025-12-27T13:00:00+01:00</date>
        <duration>00:40</duration>
        <title>Unclear</title>
        <recording><optout>maybe</optout></recording>
      </event>`)
	s, warns, err := Parse("t.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	one := schedtest.Session(t, s, "1")
	if one.Subtitle != "and welcome" || one.Type != "Workshop" || one.Kind != schedule.KindOther || one.Language != "de" ||
		one.FeedbackURL != "https://cfp.example.org/talk/X/feedback/" || !one.DoNotRecord || one.DoNotStream {
		t.Errorf("session 1 = %+v", one)
	}
	two := schedtest.Session(t, s, "2")
	if two.DoNotRecord || two.FeedbackURL != "" {
		t.Errorf("session 2: do not record %v, feedback %q; want recorded and the javascript: link dropped", two.DoNotRecord, two.FeedbackURL)
	}
	if schedtest.Session(t, s, "3").DoNotRecord {
		t.Error("session 3: an unreadable opt-out read as an opt-out")
	}
	for _, want := range []string{`feedback link "javascript:alert(1)" is not an http(s) address: dropped`, `recording opt-out "maybe" is not true or false`} {
		if !schedtest.Warned(warns, want) {
			t.Errorf("no warning %q in %v", want, warns)
		}
	}
	for _, w := range warns {
		if w.Field == "" && (schedtest.Warned([]schedule.Diagnostic{w}, "<language>") || schedtest.Warned([]schedule.Diagnostic{w}, "<recording>")) {
			t.Errorf("a read element is called unknown: %v", w)
		}
	}
}

// TestFrabNegativeDuration: "-00:30" is a negative duration, not thirty
// minutes ("-00" alone is zero hours), and "-01:30" is not a malformed one:
// both events are skipped with a warning that says so.
func TestFrabNegativeDuration(t *testing.T) {
	src := frabDay(`
      <event id="1" guid="g1">
        <date>2025-12-27T11:00:00+01:00</date>
        <duration>-00:30</duration>
        <title>Backwards</title>
      </event>
      <event id="2" guid="g2">
        <date>2025-12-27T12:00:00+01:00</date>
        <duration>-01:30</duration>
        <title>Backwards too</title>
      </event>
      <event id="3" guid="g3">
        <date>2025-12-27T13:00:00+01:00</date>
        <duration>00:30</duration>
        <title>Forwards</title>
      </event>`)
	s, warns, err := Parse("t.xml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Sessions) != 1 || s.Sessions[0].ID != "3" {
		t.Fatalf("sessions = %+v, want only 3", s.Sessions)
	}
	for _, want := range []string{`event 1 ("Backwards") has a negative duration "-00:30"`, `event 2 ("Backwards too") has a negative duration "-01:30"`} {
		if !schedtest.Warned(warns, want, "skipped") {
			t.Errorf("no warning %q in %v", want, warns)
		}
	}
}
