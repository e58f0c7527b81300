package schedule_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/confdash/confdash/schedule/load"
	"github.com/google/go-cmp/cmp"
)

// nowNextSource: on main, a and b back to back, a gap, c, then d across
// midnight; on side, one long session.
const nowNextSource = `name: Now/Next
timezone: America/Los_Angeles
tracks:
  - {id: main, name: Main}
  - {id: side, name: Side}
  - {id: empty, name: Empty}
sessions:
  - {id: a, track: main, title: A, start: 2021-10-06 09:00, end: 2021-10-06 09:30}
  - {id: b, track: main, title: B, start: 2021-10-06 09:30, end: 2021-10-06 10:00}
  - {id: c, track: main, title: C, start: 2021-10-06 10:30, end: 2021-10-06 11:00}
  - {id: d, track: main, title: D, start: 2021-10-06 23:30, end: 2021-10-07 00:30}
  - {id: s1, track: side, title: S1, start: 2021-10-06 09:00, end: 2021-10-06 10:00}
`

// nnLA is a wall-clock time in Los Angeles; "" is the zero instant.
// nnParse loads a native source that must be valid.
func nnParse(t testing.TB, src string) *schedule.Schedule {
	t.Helper()
	s, _, err := load.Parse("test.yaml", []byte(src), schedule.Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func nnLA(t testing.TB, wall string) time.Time {
	t.Helper()
	if wall == "" {
		return time.Time{}
	}
	return schedtest.Wall(t, "America/Los_Angeles", wall)
}

func TestCompute(t *testing.T) {
	s := nnParse(t, nowNextSource)
	tests := []struct {
		name           string
		at             string
		now, next      string // on main
		change         string // main's next change
		sideNow        string
		overallChanges string // State.NextChange
	}{
		{"before first", "2021-10-06 08:00", "", "a", "2021-10-06 09:00", "", "2021-10-06 09:00"},
		{"at first start", "2021-10-06 09:00", "a", "b", "2021-10-06 09:30", "s1", "2021-10-06 09:30"},
		{"running", "2021-10-06 09:10", "a", "b", "2021-10-06 09:30", "s1", "2021-10-06 09:30"},
		{"back-to-back boundary", "2021-10-06 09:30", "b", "c", "2021-10-06 10:00", "s1", "2021-10-06 10:00"},
		{"gap", "2021-10-06 10:10", "", "c", "2021-10-06 10:30", "", "2021-10-06 10:30"},
		{"end of c", "2021-10-06 11:00", "", "d", "2021-10-06 23:30", "", "2021-10-06 23:30"},
		{"across midnight", "2021-10-07 00:10", "d", "", "2021-10-07 00:30", "", "2021-10-07 00:30"},
		{"end of last", "2021-10-07 00:30", "", "", "", "", ""},
		{"after last", "2021-10-08 12:00", "", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := nnLA(t, tt.at)
			st := schedule.Compute(s, schedule.Adjustments{}, at)
			if !st.At.Equal(at) {
				t.Errorf("At = %v, want %v", st.At, at)
			}
			var ids []string
			for _, ts := range st.Tracks {
				ids = append(ids, ts.Track.ID)
			}
			if diff := cmp.Diff([]string{"main", "side", "empty"}, ids); diff != "" {
				t.Fatalf("tracks not in schedule order (-want +got):\n%s", diff)
			}
			main, side, empty := st.Tracks[0], st.Tracks[1], st.Tracks[2]
			if got := schedtest.ID(main.Now); got != tt.now {
				t.Errorf("main now = %q, want %q", got, tt.now)
			}
			if got := schedtest.ID(main.Next); got != tt.next {
				t.Errorf("main next = %q, want %q", got, tt.next)
			}
			if got, want := main.NextChange, nnLA(t, tt.change); !got.Equal(want) {
				t.Errorf("main next change = %s, want %s", schedtest.Show(got), schedtest.Show(want))
			}
			if got := schedtest.ID(side.Now); got != tt.sideNow {
				t.Errorf("side now = %q, want %q", got, tt.sideNow)
			}
			if empty.Now != nil || empty.Next != nil || !empty.NextChange.IsZero() {
				t.Errorf("empty track = %+v, want nothing", empty)
			}
			if got, want := st.NextChange, nnLA(t, tt.overallChanges); !got.Equal(want) {
				t.Errorf("state next change = %s, want %s", schedtest.Show(got), schedtest.Show(want))
			}
			if st.Announcements == nil {
				t.Errorf("Announcements is nil, want an empty list")
			}
			if main.Now != nil && (!main.Now.EstStart.Equal(main.Now.Start) || !main.Now.EstEnd.Equal(main.Now.End) || main.Now.DelayMinutes != 0) {
				t.Errorf("now without delay = %+v, want estimates equal to the schedule", *main.Now)
			}

			// ComputeTrack agrees with Compute.
			ts, ok := schedule.ComputeTrack(s, schedule.Adjustments{}, "main", at)
			if !ok {
				t.Fatal("ComputeTrack(main) not found")
			}
			if diff := cmp.Diff(main, ts); diff != "" {
				t.Errorf("ComputeTrack differs from Compute (-Compute +ComputeTrack):\n%s", diff)
			}
		})
	}
	if _, ok := schedule.ComputeTrack(s, schedule.Adjustments{}, "nowhere", nnLA(t, "2021-10-06 09:00")); ok {
		t.Errorf("ComputeTrack(nowhere) found a track")
	}
}

// On 2026-10-25 Berlin goes from 03:00 CEST back to 02:00 CET. A session
// from 01:30 to 03:30 lasts three hours, and the change instants are the
// real ones, not wall-clock arithmetic.
func TestComputeAcrossDSTEnd(t *testing.T) {
	s := nnParse(t, `name: DST
timezone: Europe/Berlin
tracks: [{id: main, name: Main}]
sessions:
  - {id: evening, track: main, title: Evening, start: 2026-10-24 23:00, end: 2026-10-25 01:30}
  - {id: night, track: main, title: Night, start: 2026-10-25 01:30, end: 2026-10-25 03:30}
  - {id: dawn, track: main, title: Dawn, start: 2026-10-25 03:30, duration: 30m}
`)
	utc := func(h, m int) time.Time { return time.Date(2026, 10, 25, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name      string
		at        time.Time
		now, next string
		change    time.Time
	}{
		{"evening", time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), "evening", "night", time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC)},
		{"first 02:30 (CEST)", utc(0, 30), "night", "dawn", utc(2, 30)},
		{"second 02:30 (CET)", utc(1, 30), "night", "dawn", utc(2, 30)},
		{"03:29 CET", utc(2, 29), "night", "dawn", utc(2, 30)},
		{"03:30 CET", utc(2, 30), "dawn", "", utc(3, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, _ := schedule.ComputeTrack(s, schedule.Adjustments{}, "main", tt.at)
			if got := schedtest.ID(ts.Now); got != tt.now {
				t.Errorf("now = %q, want %q", got, tt.now)
			}
			if got := schedtest.ID(ts.Next); got != tt.next {
				t.Errorf("next = %q, want %q", got, tt.next)
			}
			if !ts.NextChange.Equal(tt.change) {
				t.Errorf("next change = %s, want %s", schedtest.Show(ts.NextChange), schedtest.Show(tt.change))
			}
		})
	}
	night := s.Sessions[1]
	if got, want := night.End.Sub(night.Start), 3*time.Hour; night.ID != "night" || got != want {
		t.Errorf("%s lasts %v, want night lasting %v", night.ID, got, want)
	}
	if got, want := s.Days[0].Date, "2026-10-24"; len(s.Days) != 1 || got != want {
		t.Errorf("days = %+v, want one, %s (before 04:00 is the day before)", s.Days, want)
	}
}

// Imported schedules may have a long session around shorter ones on one
// track; the one that started last is running, the long one fills the gaps.
func TestComputeOverlapping(t *testing.T) {
	la := func(wall string) time.Time { return nnLA(t, "2021-10-06 "+wall) }
	// Built by hand, unsorted and unindexed: Compute must cope.
	s := &schedule.Schedule{
		Tracks: []schedule.Track{{ID: "hall", Name: "Hall"}},
		Sessions: []schedule.Session{
			{ID: "short", Track: "hall", Start: la("11:00"), End: la("11:30")},
			{ID: "long", Track: "hall", Start: la("10:00"), End: la("18:00")},
		},
	}
	tests := []struct{ at, now, next, change string }{
		{"10:30", "long", "short", "11:00"},
		{"11:10", "short", "", "11:30"},
		{"12:00", "long", "", "18:00"},
	}
	for _, tt := range tests {
		ts, _ := schedule.ComputeTrack(s, schedule.Adjustments{}, "hall", la(tt.at))
		if schedtest.ID(ts.Now) != tt.now || schedtest.ID(ts.Next) != tt.next || !ts.NextChange.Equal(la(tt.change)) {
			t.Errorf("at %s: now %q next %q change %s, want %q %q %s", tt.at, schedtest.ID(ts.Now), schedtest.ID(ts.Next), schedtest.Show(ts.NextChange), tt.now, tt.next, tt.change)
		}
	}
}

func TestShift(t *testing.T) {
	s := nnParse(t, nowNextSource)
	orig := nnParse(t, nowNextSource)
	const d = 24*time.Hour*365 + 3*time.Hour + 5*time.Minute
	sh := s.Shift(d)

	if diff := cmp.Diff(orig, s, schedtest.CmpSchedule); diff != "" {
		t.Errorf("Shift changed its receiver (-before +after):\n%s", diff)
	}
	if got, want := sh.Version, s.Version+"-s31547100"; got != want {
		t.Errorf("Version = %q, want %q", got, want)
	}
	for i := range s.Sessions {
		if !sh.Sessions[i].Start.Equal(s.Sessions[i].Start.Add(d)) || !sh.Sessions[i].End.Equal(s.Sessions[i].End.Add(d)) {
			t.Errorf("session %s not shifted by %v", s.Sessions[i].ID, d)
		}
	}
	if got, want := sh.Days[0].Date, "2022-10-06"; got != want {
		t.Errorf("day date = %q, want %q", got, want)
	}
	// The shifted schedule answers like the original at shifted instants,
	// through its own index.
	for _, wall := range []string{"2021-10-06 08:00", "2021-10-06 09:30", "2021-10-06 10:10", "2021-10-07 00:10"} {
		at := nnLA(t, wall)
		a, b := schedule.Compute(s, schedule.Adjustments{}, at), schedule.Compute(sh, schedule.Adjustments{}, at.Add(d))
		for i := range a.Tracks {
			if schedtest.ID(a.Tracks[i].Now) != schedtest.ID(b.Tracks[i].Now) || schedtest.ID(a.Tracks[i].Next) != schedtest.ID(b.Tracks[i].Next) {
				t.Errorf("at %s: shifted %s shows %q/%q, want %q/%q", wall, a.Tracks[i].Track.ID,
					schedtest.ID(b.Tracks[i].Now), schedtest.ID(b.Tracks[i].Next), schedtest.ID(a.Tracks[i].Now), schedtest.ID(a.Tracks[i].Next))
			}
		}
		if !b.NextChange.Equal(a.NextChange.Add(d)) && !a.NextChange.IsZero() {
			t.Errorf("at %s: shifted next change %s, want %s", wall, schedtest.Show(b.NextChange), schedtest.Show(a.NextChange.Add(d)))
		}
	}
	if got := s.Shift(0).Version; got != s.Version {
		t.Errorf("Shift(0).Version = %q, want unchanged %q", got, s.Version)
	}
}

// nnBenchSchedule is 10 tracks of 100 sessions each: 20-minute talks with
// 5-minute gaps, every fifth track staggered by 10 minutes.
func nnBenchSchedule(b *testing.B) *schedule.Schedule {
	var src strings.Builder
	src.WriteString("name: Bench\ntimezone: Europe/Berlin\ntracks:\n")
	for tr := range 10 {
		fmt.Fprintf(&src, "  - {id: t%d, name: T%d}\n", tr, tr)
	}
	src.WriteString("sessions:\n")
	day := time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC)
	for tr := range 10 {
		for i := range 100 {
			start := day.Add(time.Duration(i*25+tr%5*2) * time.Minute)
			fmt.Fprintf(&src, "  - {track: t%d, title: Talk %d, start: %s, duration: 20m}\n", tr, i, start.Format("2006-01-02 15:04"))
		}
	}
	s, _, err := load.Parse("bench.yaml", []byte(src.String()), schedule.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if len(s.Sessions) != 1000 {
		b.Fatalf("%d sessions", len(s.Sessions))
	}
	return s
}

func BenchmarkCompute(b *testing.B) {
	s := nnBenchSchedule(b)
	start := s.Sessions[0].Start
	adj := schedule.Adjustments{}.
		WithDelay("t3", "", 7, start.Add(10*time.Hour)).
		WithAnnouncement(schedule.Announcement{ID: "a", Text: "x", Created: start})
	// Talks start every 25 minutes (plus up to 8 minutes of stagger) and
	// last 20: minute 12 of a slot is inside a talk on every track, minute
	// 23 is in a gap on most. After the last talk, nothing follows.
	instants := func(offset time.Duration) []time.Time {
		var ats []time.Time
		for i := range 97 {
			ats = append(ats, start.Add(time.Duration(i)*25*time.Minute+offset))
		}
		return ats
	}
	after := []time.Time{start.Add(100 * 25 * time.Minute)}
	for _, bc := range []struct {
		name string
		ats  []time.Time
	}{
		{"running", instants(12 * time.Minute)},
		{"gap", instants(23 * time.Minute)},
		{"after-last", after},
	} {
		b.Run(bc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				st := schedule.Compute(s, adj, bc.ats[i%len(bc.ats)])
				if len(st.Tracks) != 10 {
					b.Fatal(len(st.Tracks))
				}
				i++
			}
		})
	}
}
