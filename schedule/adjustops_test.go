package schedule

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func adjTestBase() Adjustments {
	t0 := time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC)
	exp := t0.Add(10 * time.Minute)
	return Adjustments{
		Announcements: []Announcement{
			{ID: "a1", Text: "Coffee", Created: t0, Expires: &exp},
			{ID: "a2", Text: "Lunch", Track: "main", Created: t0.Add(time.Minute)},
		},
		Delays: map[string]Delay{"main": {Minutes: 7, From: t0}},
	}
}

// Every operation leaves its receiver as it was: the server may have
// published or persisted it.
func TestAdjustmentsOpsArePure(t *testing.T) {
	at := time.Date(2026, 10, 6, 9, 30, 0, 0, time.UTC)
	ops := map[string]func(Adjustments) Adjustments{
		"WithAnnouncement new": func(a Adjustments) Adjustments {
			return a.WithAnnouncement(Announcement{ID: "a3", Text: "x", Created: at})
		},
		"WithAnnouncement replace": func(a Adjustments) Adjustments {
			return a.WithAnnouncement(Announcement{ID: "a1", Text: "y", Created: at})
		},
		"WithoutAnnouncement": func(a Adjustments) Adjustments {
			out, _ := a.WithoutAnnouncement("a1")
			return out
		},
		"WithDelay set":   func(a Adjustments) Adjustments { return a.WithDelay("side", "s1", 5, at) },
		"WithDelay clear": func(a Adjustments) Adjustments { return a.WithDelay("main", "", 0, at) },
		"Prune":           func(a Adjustments) Adjustments { return a.Prune(at) },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			in := adjTestBase()
			// Spare capacity would let an append write into in's array.
			in.Announcements = append(make([]Announcement, 0, 8), in.Announcements...)
			out := op(in)
			if diff := cmp.Diff(adjTestBase(), in); diff != "" {
				t.Errorf("receiver changed (-before +after):\n%s", diff)
			}
			// Writing to the result must not reach the receiver either.
			if len(out.Announcements) > 0 {
				out.Announcements[0].Text = "changed"
			}
			out.Announcements = append(out.Announcements, Announcement{ID: "zz"})
			if out.Delays != nil {
				out.Delays["main"] = Delay{Minutes: 99}
			}
			if diff := cmp.Diff(adjTestBase(), in); diff != "" {
				t.Errorf("receiver shares memory with the result (-before +after):\n%s", diff)
			}
		})
	}
}

func TestWithAnnouncement(t *testing.T) {
	at := time.Date(2026, 10, 6, 9, 30, 0, 0, time.UTC)
	got := adjTestBase().WithAnnouncement(Announcement{ID: "a1", Text: "Coffee moved", Created: at})
	if len(got.Announcements) != 2 || got.Announcements[0].Text != "Coffee moved" {
		t.Errorf("replacing a1 gave %+v", got.Announcements)
	}
	got = Adjustments{}.WithAnnouncement(Announcement{ID: "n", Text: "New", Created: at})
	if len(got.Announcements) != 1 || got.Announcements[0].ID != "n" {
		t.Errorf("adding to empty gave %+v", got.Announcements)
	}
}

func TestWithoutAnnouncement(t *testing.T) {
	got, ok := adjTestBase().WithoutAnnouncement("a1")
	if !ok || len(got.Announcements) != 1 || got.Announcements[0].ID != "a2" {
		t.Errorf("removing a1 = %+v, %v", got.Announcements, ok)
	}
	got, ok = got.WithoutAnnouncement("a2")
	if !ok || got.Announcements == nil || len(got.Announcements) != 0 {
		t.Errorf("removing the last = %#v, %v; want an empty, non-nil list", got.Announcements, ok)
	}
	if _, ok := adjTestBase().WithoutAnnouncement("nope"); ok {
		t.Errorf("removing an unknown id reported success")
	}
}

func TestWithDelay(t *testing.T) {
	t0 := time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	tests := []struct {
		name string
		adj  Adjustments
		want map[string]Delay
	}{
		{"new delay starts now", Adjustments{}.WithDelay("main", "a", 7, t0), map[string]Delay{"main": {7, t0, "a"}}},
		{"change keeps From", Adjustments{}.WithDelay("main", "a", 7, t0).WithDelay("main", "a", 12, t1), map[string]Delay{"main": {12, t0, "a"}}},
		{"another session, From is new", Adjustments{}.WithDelay("main", "a", 7, t0).WithDelay("main", "b", 12, t1), map[string]Delay{"main": {12, t1, "b"}}},
		{"clear", Adjustments{}.WithDelay("main", "a", 7, t0).WithDelay("main", "", 0, t1), map[string]Delay{}},
		{"after a clear, From is new", Adjustments{}.WithDelay("main", "a", 7, t0).WithDelay("main", "", 0, t1).WithDelay("main", "a", 3, t1), map[string]Delay{"main": {3, t1, "a"}}},
		{"tracks are independent", Adjustments{}.WithDelay("main", "a", 7, t0).WithDelay("side", "s1", 2, t1), map[string]Delay{"main": {7, t0, "a"}, "side": {2, t1, "s1"}}},
		{"clearing nothing", Adjustments{}.WithDelay("main", "", 0, t0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.adj.Delays); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	base := adjTestBase()
	exp := *base.Announcements[0].Expires
	tests := []struct {
		at   time.Time
		want []string
	}{
		{exp.Add(-time.Second), []string{"a1", "a2"}},
		{exp, []string{"a2"}}, // expired at the instant, as Active says
		{exp.Add(time.Hour), []string{"a2"}},
	}
	for _, tt := range tests {
		var got []string
		for _, a := range base.Prune(tt.at).Announcements {
			got = append(got, a.ID)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Prune(%v) (-want +got):\n%s", tt.at, diff)
		}
	}
	if got := base.Prune(exp).Delays; !cmp.Equal(got, base.Delays) {
		t.Errorf("Prune changed delays: %v", got)
	}
}
