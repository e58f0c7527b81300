package schedule_test

import (
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/google/go-cmp/cmp"
)

func TestComputeDelays(t *testing.T) {
	s := nnParse(t, nowNextSource)
	la := func(wall string) time.Time { return nnLA(t, "2021-10-06 "+wall) }
	type est struct{ start, end string } // wall clock on 2021-10-06
	tests := []struct {
		name  string
		adj   schedule.Adjustments
		at    string
		now   string
		next  string
		chg   string
		delay int
		want  map[string]est // estimated times by session id
	}{
		{
			// Set while a runs: a keeps its start and ends 7 minutes late,
			// everything after it moves.
			name: "running session", adj: schedule.Adjustments{}.WithDelay("main", 7, la("09:10")),
			at: "09:35", now: "a", next: "b", chg: "09:37", delay: 7,
			want: map[string]est{"a": {"09:00", "09:37"}, "b": {"09:37", "10:07"}, "c": {"10:37", "11:07"}},
		},
		{
			name: "boundary after a delay", adj: schedule.Adjustments{}.WithDelay("main", 7, la("09:10")),
			at: "09:37", now: "b", next: "c", chg: "10:07", delay: 7,
		},
		{
			// Set in a gap: what ended keeps its times, the next session moves.
			name: "gap", adj: schedule.Adjustments{}.WithDelay("main", 7, la("10:10")),
			at: "10:32", now: "", next: "c", chg: "10:37", delay: 7,
			want: map[string]est{"a": {"09:00", "09:30"}, "b": {"09:30", "10:00"}, "c": {"10:37", "11:07"}},
		},
		{
			// Set while b runs: a had ended and keeps its times.
			name: "ended before From", adj: schedule.Adjustments{}.WithDelay("main", 5, la("09:45")),
			at: "09:45", now: "b", next: "c", chg: "10:05", delay: 5,
			want: map[string]est{"a": {"09:00", "09:30"}, "b": {"09:30", "10:05"}, "c": {"10:35", "11:05"}},
		},
		{
			// 7 then 12 later on: From stays where the delay began, so c
			// (due to run at the second call) moves instead of keeping its
			// start, and a, which ran when the delay began, ends 12 late.
			name: "7 then 12 keeps From", adj: schedule.Adjustments{}.WithDelay("main", 7, la("09:10")).WithDelay("main", 12, la("10:40")),
			at: "10:40", now: "", next: "c", chg: "10:42", delay: 12,
			want: map[string]est{"a": {"09:00", "09:42"}, "b": {"09:42", "10:12"}, "c": {"10:42", "11:12"}},
		},
		{
			name: "cleared", adj: schedule.Adjustments{}.WithDelay("main", 7, la("09:10")).WithDelay("main", 0, la("09:20")),
			at: "09:30", now: "b", next: "c", chg: "10:00", delay: 0,
			want: map[string]est{"a": {"09:00", "09:30"}, "b": {"09:30", "10:00"}, "c": {"10:30", "11:00"}},
		},
		{
			name: "early", adj: schedule.Adjustments{}.WithDelay("main", -10, la("09:10")),
			at: "09:20", now: "b", next: "c", chg: "09:50", delay: -10,
			want: map[string]est{"a": {"09:00", "09:20"}, "b": {"09:20", "09:50"}, "c": {"10:20", "10:50"}},
		},
		{
			// Far too early: nothing moves before the moment it was said.
			name: "early, clamped", adj: schedule.Adjustments{}.WithDelay("main", -45, la("09:10")),
			at: "09:10", now: "b", next: "c", chg: "09:15", delay: -45,
			want: map[string]est{"a": {"09:00", "09:10"}, "b": {"09:10", "09:15"}, "c": {"09:45", "10:15"}},
		},
		{
			name: "other track", adj: schedule.Adjustments{}.WithDelay("side", 10, la("09:10")),
			at: "09:10", now: "a", next: "b", chg: "09:30", delay: 0,
			want: map[string]est{"a": {"09:00", "09:30"}, "s1": {"09:00", "10:10"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, _ := schedule.ComputeTrack(s, tt.adj, "main", la(tt.at))
			if got := schedtest.ID(ts.Now); got != tt.now {
				t.Errorf("now = %q, want %q", got, tt.now)
			}
			if got := schedtest.ID(ts.Next); got != tt.next {
				t.Errorf("next = %q, want %q", got, tt.next)
			}
			if !ts.NextChange.Equal(la(tt.chg)) {
				t.Errorf("next change = %s, want %s", schedtest.Show(ts.NextChange), tt.chg)
			}
			if ts.DelayMinutes != tt.delay {
				t.Errorf("DelayMinutes = %d, want %d", ts.DelayMinutes, tt.delay)
			}
			for _, tm := range s.Timed(tt.adj) {
				w, ok := tt.want[tm.ID]
				if !ok {
					continue
				}
				got := est{tm.EstStart.In(s.Location).Format("15:04"), tm.EstEnd.In(s.Location).Format("15:04")}
				if got != w {
					t.Errorf("%s estimated %v, want %v", tm.ID, got, w)
				}
				moved := !tm.EstStart.Equal(tm.Start) || !tm.EstEnd.Equal(tm.End)
				if moved != (tm.DelayMinutes != 0) {
					t.Errorf("%s: DelayMinutes %d for estimates %v (scheduled %s to %s)", tm.ID, tm.DelayMinutes, got, tm.Start.In(s.Location).Format("15:04"), tm.End.In(s.Location).Format("15:04"))
				}
			}
		})
	}
}

func TestComputeAnnouncements(t *testing.T) {
	s := nnParse(t, nowNextSource)
	la := func(wall string) time.Time { return nnLA(t, "2021-10-06 "+wall) }
	exp := func(wall string) *time.Time { e := la(wall); return &e }
	adj := schedule.Adjustments{}.
		WithAnnouncement(schedule.Announcement{ID: "coffee", Text: "Coffee in the hall", Created: la("09:05"), Expires: exp("09:20")}).
		WithAnnouncement(schedule.Announcement{ID: "side-mic", Text: "Side: mic fixed", Track: "side", Created: la("09:01")}).
		WithAnnouncement(schedule.Announcement{ID: "lunch", Text: "Lunch at noon", Created: la("09:15")})
	tests := []struct {
		at     string
		active []string
		change string
	}{
		{"09:00", nil, "09:01"},                                     // the first announcement appearing
		{"09:10", []string{"side-mic", "coffee"}, "09:15"},          // sorted by Created; lunch appears next
		{"09:16", []string{"side-mic", "coffee", "lunch"}, "09:20"}, // coffee's expiry comes before a's end
		{"09:20", []string{"side-mic", "lunch"}, "09:30"},           // expired at the instant; back to the tracks
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			st := schedule.Compute(s, adj, la(tt.at))
			var got []string
			for _, a := range st.Announcements {
				got = append(got, a.ID)
			}
			if diff := cmp.Diff(tt.active, got); diff != "" {
				t.Errorf("active (-want +got):\n%s", diff)
			}
			if !st.NextChange.Equal(la(tt.change)) {
				t.Errorf("next change = %s, want %s", schedtest.Show(st.NextChange), tt.change)
			}
		})
	}
	// A per-track announcement keeps its track for the server to route it.
	st := schedule.Compute(s, adj, la("09:10"))
	if got, want := st.Announcements[0].Track, "side"; got != want {
		t.Errorf("track of side-mic = %q, want %q", got, want)
	}
}
