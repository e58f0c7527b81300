package schedule_test

import (
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/google/go-cmp/cmp"
)

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
