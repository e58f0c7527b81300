package schedule_test

import (
	"errors"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
)

// timingSource: on main, a and b back to back, a 10-minute gap, c, a
// 20-minute break, e, an hour's gap, f; on side, one session.
const timingSource = `name: Timing
timezone: America/Los_Angeles
tracks:
  - {id: main, name: Main}
  - {id: side, name: Side}
sessions:
  - {id: a, track: main, title: A, start: 2021-10-06 09:00, end: 2021-10-06 09:30}
  - {id: b, track: main, title: B, start: 2021-10-06 09:30, end: 2021-10-06 10:00}
  - {id: c, track: main, title: C, start: 2021-10-06 10:10, end: 2021-10-06 10:40}
  - {id: brk, track: main, title: Coffee, kind: break, start: 2021-10-06 10:40, end: 2021-10-06 11:00}
  - {id: e, track: main, title: E, start: 2021-10-06 11:00, end: 2021-10-06 11:30}
  - {id: f, track: main, title: F, start: 2021-10-06 12:30, end: 2021-10-06 13:00}
  - {id: s1, track: side, title: S1, start: 2021-10-06 09:00, end: 2021-10-06 10:00}
`

// timingEdit is one organizer's call at a wall-clock time on 2021-10-06.
type timingEdit struct {
	at   string
	edit schedule.Edit
}

// TestLiveTiming is the rule of docs/live-timing.md as a table: the edits
// an organizer makes, in order, then what main shows at an instant and the
// estimated times of every session.
func TestLiveTiming(t *testing.T) {
	s := nnParse(t, timingSource)
	la := func(wall string) time.Time { return nnLA(t, "2021-10-06 "+wall) }
	type est struct{ start, end string }
	scheduled := map[string]est{
		"a": {"09:00", "09:30"}, "b": {"09:30", "10:00"}, "c": {"10:10", "10:40"},
		"brk": {"10:40", "11:00"}, "e": {"11:00", "11:30"}, "f": {"12:30", "13:00"}, "s1": {"09:00", "10:00"},
	}
	tests := []struct {
		name  string
		edits []timingEdit
		at    string
		now   string
		next  string
		chg   string
		want  map[string]est // what differs from the schedule
	}{
		{name: "on time", at: "09:35", now: "b", next: "c", chg: "10:00"},
		{
			// 7 late: b is pushed 7; the 10-minute gap before c absorbs it all.
			name:  "delay absorbed by a gap",
			edits: []timingEdit{{"09:10", schedule.SetDelay("main", 7)}},
			at:    "09:35", now: "a", next: "b", chg: "09:37",
			want: map[string]est{"a": {"09:00", "09:37"}, "b": {"09:37", "10:07"}},
		},
		{
			// 25 late: the gap takes 10 (c starts 15 late), the break shrinks
			// from 20 to 10 minutes and takes 10 more, e runs 5 late, and the
			// hour before f takes the rest.
			name:  "delay across a gap and a break",
			edits: []timingEdit{{"09:10", schedule.SetDelay("main", 25)}},
			at:    "10:58", now: "brk", next: "e", chg: "11:05",
			want: map[string]est{
				"a": {"09:00", "09:55"}, "b": {"09:55", "10:25"}, "c": {"10:25", "10:55"},
				"brk": {"10:55", "11:05"}, "e": {"11:05", "11:35"},
			},
		},
		{
			// A break absorbs up to half its length and ends on time.
			name:  "break absorbs",
			edits: []timingEdit{{"10:20", schedule.SetDelay("main", 8)}},
			at:    "10:50", now: "brk", next: "e", chg: "11:00",
			want: map[string]est{"c": {"10:10", "10:48"}, "brk": {"10:48", "11:00"}},
		},
		{
			// Set in the gap: the next session, c, is the one on stage.
			name:  "delay in a gap is the next session's",
			edits: []timingEdit{{"10:02", schedule.SetDelay("main", 5)}},
			at:    "10:12", now: "", next: "c", chg: "10:15",
			want: map[string]est{"c": {"10:15", "10:45"}, "brk": {"10:45", "11:00"}},
		},
		{
			name:  "started late",
			edits: []timingEdit{{"09:07", schedule.Started("main")}},
			at:    "09:31", now: "a", next: "b", chg: "09:37",
			want: map[string]est{"a": {"09:07", "09:37"}, "b": {"09:37", "10:07"}},
		},
		{
			// Ended early: a leaves "now" at once; b does not start earlier.
			name:  "ended early",
			edits: []timingEdit{{"09:00", schedule.Started("main")}, {"09:20", schedule.Ended("main")}},
			at:    "09:20", now: "", next: "b", chg: "09:30",
			want: map[string]est{"a": {"09:00", "09:20"}},
		},
		{
			// On time, then a gap: nothing runs until c.
			name:  "ended on time before a gap",
			edits: []timingEdit{{"09:30", schedule.Started("main")}, {"10:00", schedule.Ended("main")}},
			at:    "10:00", now: "", next: "c", chg: "10:10",
		},
		{
			// Started in the gap: c starts early and keeps its length; the
			// break still starts on time.
			name:  "next started early in a gap",
			edits: []timingEdit{{"10:05", schedule.Started("main")}},
			at:    "10:36", now: "", next: "brk", chg: "10:40",
			want: map[string]est{"c": {"10:05", "10:35"}},
		},
		{
			// Started while a (already started) runs: a ends, b starts.
			name:  "started again is the next session",
			edits: []timingEdit{{"09:00", schedule.Started("main")}, {"09:32", schedule.Started("main")}},
			at:    "09:32", now: "b", next: "c", chg: "10:02",
			want: map[string]est{"a": {"09:00", "09:32"}, "b": {"09:32", "10:02"}},
		},
		{
			// a started and overran its estimate: b runs by the estimates,
			// but a is still on stage, so Ended ends a and b follows it.
			name:  "ended after an overrun",
			edits: []timingEdit{{"09:00", schedule.Started("main")}, {"09:45", schedule.Ended("main")}},
			at:    "09:45", now: "b", next: "c", chg: "10:15",
			want: map[string]est{"a": {"09:00", "09:45"}, "b": {"09:45", "10:15"}, "c": {"10:15", "10:45"}, "brk": {"10:45", "11:00"}},
		},
		{
			// A live start after a delay: the session ends at least as late
			// as the delay says.
			name:  "delay then started",
			edits: []timingEdit{{"08:55", schedule.SetDelay("main", 10)}, {"09:04", schedule.Started("main")}},
			at:    "09:35", now: "a", next: "b", chg: "09:40",
			want: map[string]est{"a": {"09:04", "09:40"}, "b": {"09:40", "10:10"}},
		},
		{
			name:  "cleared",
			edits: []timingEdit{{"09:10", schedule.SetDelay("main", 25)}, {"09:20", schedule.SetDelay("main", 0)}},
			at:    "09:35", now: "b", next: "c", chg: "10:00",
		},
		{
			name:  "other track",
			edits: []timingEdit{{"09:10", schedule.SetDelay("side", 10)}},
			at:    "09:35", now: "b", next: "c", chg: "10:00",
			want: map[string]est{"s1": {"09:00", "10:10"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var adj schedule.Adjustments
			for _, e := range tt.edits {
				var err error
				if adj, err = e.edit(s, adj, la(e.at)); err != nil {
					t.Fatalf("edit at %s: %v", e.at, err)
				}
			}
			ts, _ := schedule.ComputeTrack(s, adj, "main", la(tt.at))
			if got := schedtest.ID(ts.Now); got != tt.now {
				t.Errorf("now = %q, want %q", got, tt.now)
			}
			if got := schedtest.ID(ts.Next); got != tt.next {
				t.Errorf("next = %q, want %q", got, tt.next)
			}
			if !ts.NextChange.Equal(la(tt.chg)) {
				t.Errorf("next change = %s, want %s", schedtest.Show(ts.NextChange), tt.chg)
			}
			// Compute agrees with ComputeTrack.
			st := schedule.Compute(s, adj, la(tt.at))
			if got := schedtest.ID(st.Tracks[0].Now); got != tt.now {
				t.Errorf("Compute: now = %q, want %q", got, tt.now)
			}
			for _, tm := range s.Timed(adj) {
				w, ok := tt.want[tm.ID]
				if !ok {
					w = scheduled[tm.ID]
				}
				got := est{tm.EstStart.In(s.Location).Format("15:04"), tm.EstEnd.In(s.Location).Format("15:04")}
				if got != w {
					t.Errorf("%s estimated %v, want %v", tm.ID, got, w)
				}
				late := tm.EstStart.After(tm.Start) || tm.EstEnd.After(tm.End)
				if late != (tm.DelayMinutes > 0) {
					t.Errorf("%s: DelayMinutes %d for estimates %v", tm.ID, tm.DelayMinutes, got)
				}
			}
		})
	}
}

// What the live-timing edits refuse, and what they record.
func TestLiveTimingEdits(t *testing.T) {
	s := nnParse(t, timingSource)
	la := func(wall string) time.Time { return nnLA(t, "2021-10-06 "+wall) }
	for _, tt := range []struct {
		name string
		edit schedule.Edit
		at   string
		want error
	}{
		{"ended with nothing running", schedule.Ended("main"), "10:05", schedule.ErrNothingOnStage},
		{"started after the last session", schedule.Started("main"), "13:30", schedule.ErrNothingOnStage},
		{"started on an unknown track", schedule.Started("nope"), "09:00", schedule.ErrUnknownTrack},
		{"ended on an unknown track", schedule.Ended("nope"), "09:00", schedule.ErrUnknownTrack},
		{"delay on an unknown track", schedule.SetDelay("nope", 5), "09:00", schedule.ErrUnknownTrack},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.edit(s, schedule.Adjustments{}, la(tt.at)); !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
	adj, err := schedule.Started("main")(s, schedule.Adjustments{}, la("09:02"))
	if err != nil {
		t.Fatal(err)
	}
	if adj, err = schedule.Ended("main")(s, adj, la("09:29")); err != nil {
		t.Fatal(err)
	}
	lv := adj.Live["a"]
	if lv.Track != "main" || lv.Started == nil || !lv.Started.Equal(la("09:02")) || lv.Ended == nil || !lv.Ended.Equal(la("09:29")) {
		t.Errorf("live of a = %+v, want main, started 09:02, ended 09:29", lv)
	}
	tm := s.Timed(adj)[0]
	if tm.Live == nil || tm.Live.Started == nil {
		t.Errorf("Timed of a has no live timing: %+v", tm)
	}
	// A delay after the track's last session is kept and moves nothing.
	late, err := schedule.SetDelay("main", 5)(s, schedule.Adjustments{}, la("13:30"))
	if err != nil || late.Delays["main"].Minutes != 5 || late.Delays["main"].Session != "" {
		t.Errorf("delay after the last session: %+v, %v; want 5 minutes on no session", late.Delays, err)
	}
	for _, tm := range s.Timed(late) {
		if !tm.EstStart.Equal(tm.Start) || !tm.EstEnd.Equal(tm.End) {
			t.Errorf("a delay after the last session moved %s", tm.ID)
		}
	}
	// Changing the delay of the same session keeps when it began.
	adj, _ = schedule.SetDelay("main", 7)(s, schedule.Adjustments{}, la("09:10"))
	adj, _ = schedule.SetDelay("main", 12)(s, adj, la("09:20"))
	if d := adj.Delays["main"]; d.Session != "a" || d.Minutes != 12 || !d.From.Equal(la("09:10")) {
		t.Errorf("delay = %+v, want 12 minutes on a from 09:10", d)
	}
}
