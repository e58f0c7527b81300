package ical

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/google/go-cmp/cmp"
)

func TestWriteICSGolden(t *testing.T) {
	s := schedtest.Sample(t)
	var buf bytes.Buffer
	if err := Write(&buf, s, schedtest.Timed(s)); err != nil {
		t.Fatal(err)
	}
	schedtest.Golden(t, "write.ics", buf.Bytes())

	// Byte-identical on a second run: UIDs and DTSTAMP are stable.
	var again bytes.Buffer
	if err := Write(&again, s, schedtest.Timed(s)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("Write is not deterministic")
	}
}

func TestWriteICSIsRFC5545(t *testing.T) {
	s := schedtest.Sample(t)
	var buf bytes.Buffer
	if err := Write(&buf, s, schedtest.Timed(s)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasSuffix(out, "END:VCALENDAR\r\n") {
		t.Errorf("calendar does not end with END:VCALENDAR CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
	folded := 0
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if len(l) > maxLine {
			t.Errorf("line %d has %d octets, more than %d: %q", i+1, len(l), maxLine, l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, l)
		}
		if strings.HasPrefix(l, " ") {
			folded++
		}
	}
	if folded == 0 {
		t.Error("nothing was folded; the test schedule has long lines")
	}
	uids := map[string]bool{}
	for _, l := range unfold(buf.Bytes()) {
		if strings.HasPrefix(l.text, "UID:") {
			if uids[l.text] {
				t.Errorf("UID repeats: %s", l.text)
			}
			uids[l.text] = true
		}
	}
	if got, want := len(uids), len(s.Sessions); got != want {
		t.Errorf("%d UIDs for %d sessions", got, want)
	}

	// confdash reads its own calendar back: titles whole, speakers and
	// kinds from the X- properties, rooms from LOCATION, instants exact.
	back, _, err := Parse("w.ics", buf.Bytes(), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Title, Room string
		Speakers    []schedule.Speaker
		Kind        schedule.Kind
		Start, End  time.Time
		Abstract    string
		URL         string
		Tags        []string
	}
	see := func(s *schedule.Schedule) []view {
		var out []view
		for _, ss := range s.Sessions {
			tr, _ := s.Track(ss.Track)
			out = append(out, view{ss.Title, tr.Name, ss.Speakers, ss.Kind, ss.Start.UTC(), ss.End.UTC(), ss.Abstract, ss.URL, ss.Tags})
		}
		return out
	}
	want := see(s)
	// The description carries the speakers before the abstract.
	want[0].Abstract = "Ann (Acme; \"Labs\"), Bo\n\n" + want[0].Abstract
	// A parameter value cannot hold a double quote (RFC 5545 3.2).
	want[0].Speakers = []schedule.Speaker{{Name: "Ann", Affiliation: "Acme; 'Labs'"}, {Name: "Bo"}}
	if diff := cmp.Diff(want, see(back)); diff != "" {
		t.Errorf("read back (-written +read):\n%s", diff)
	}
	if back.Name != s.Name || back.TimeZone != s.TimeZone || back.ZoneAssumed {
		t.Errorf("read back name %q zone %q assumed %v", back.Name, back.TimeZone, back.ZoneAssumed)
	}
}

func TestWriteICSUsesEstimatedTimes(t *testing.T) {
	s := schedtest.Sample(t)
	ts := schedtest.Timed(s)[:1]
	ts[0].EstStart, ts[0].EstEnd = ts[0].Start.Add(7*time.Minute), ts[0].End.Add(7*time.Minute)
	var buf bytes.Buffer
	if err := Write(&buf, s, ts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DTSTART:20241026T080700Z\r\n", "DTEND:20241026T083700Z\r\n", "DTSTAMP:20241026T080000Z\r\n"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("calendar lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestWriteICSEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`a,b;c\d`:        `a\,b\;c\\d`,
		"one\r\ntwo\nx":  `one\ntwo\nx`,
		"bell\a\ttab":    "bell\ttab",
		"Zürich: Saal 1": "Zürich: Saal 1",
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
		if got := unescape(escape(in)); !strings.Contains(in, "\a") && got != strings.ReplaceAll(in, "\r\n", "\n") {
			t.Errorf("unescape(escape(%q)) = %q", in, got)
		}
	}
}
