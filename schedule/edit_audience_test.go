package schedule

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAddAnnouncementAudienceAndSchedule(t *testing.T) {
	sc := &Schedule{Tracks: []Track{{ID: "main", Name: "Main"}}}
	now := time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC)
	at := func(m int) *time.Time { x := now.Add(time.Duration(m) * time.Minute); return &x }
	tests := []struct {
		name string
		an   Announcement
		ttl  time.Duration
		want Announcement
	}{
		{
			name: "defaults: room, lobby, tab; info; shown now",
			an:   Announcement{ID: "a"},
			want: Announcement{ID: "a", Audience: []string{"room", "lobby", "tab"}, Level: LevelInfo, Created: now},
		},
		{
			name: "audience in protocol order without repeats",
			an:   Announcement{ID: "a", Audience: []string{"tab", "stage", "tab"}, Level: LevelEmergency},
			want: Announcement{ID: "a", Audience: []string{"stage", "tab"}, Level: LevelEmergency, Created: now},
		},
		{
			name: "scheduled: the time to live counts from when it appears",
			an:   Announcement{ID: "a", StartsAt: at(60)},
			ttl:  5 * time.Minute,
			want: Announcement{ID: "a", Audience: DefaultAudience(), Level: LevelInfo, Created: now, StartsAt: at(60), Expires: at(65)},
		},
		{
			name: "a start already reached is now",
			an:   Announcement{ID: "a", StartsAt: at(0)},
			ttl:  5 * time.Minute,
			want: Announcement{ID: "a", Audience: DefaultAudience(), Level: LevelInfo, Created: now, Expires: at(5)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adj, err := AddAnnouncement(tt.an, tt.ttl)(sc, Adjustments{}, now)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Announcement{tt.want}, adj.Announcements); diff != "" {
				t.Fatalf("announcements (-want +got):\n%s", diff)
			}
		})
	}
}

// A scheduled announcement is pending, not shown, until its start, and its
// start is a change of the state: the server's clock wakes for it.
func TestComputeScheduledAnnouncement(t *testing.T) {
	sc := &Schedule{Tracks: []Track{{ID: "main", Name: "Main"}}}
	now := time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC)
	adj, err := AddAnnouncement(Announcement{ID: "later", Text: "Q&A now", StartsAt: ptr(now.Add(time.Hour))}, 10*time.Minute)(sc, Adjustments{}, now)
	if err != nil {
		t.Fatal(err)
	}
	before := Compute(sc, adj, now.Add(time.Hour-time.Second))
	if len(before.Announcements) != 0 || len(before.Pending) != 1 {
		t.Fatalf("before its start: shown %v, pending %v; want none shown, one pending", before.Announcements, before.Pending)
	}
	if got, want := before.NextChange, now.Add(time.Hour); !got.Equal(want) {
		t.Fatalf("next change %v, want the announcement's start %v", got, want)
	}
	after := Compute(sc, adj, now.Add(time.Hour))
	if len(after.Announcements) != 1 || len(after.Pending) != 0 {
		t.Fatalf("at its start: shown %v, pending %v; want it shown", after.Announcements, after.Pending)
	}
	if got, want := after.NextChange, now.Add(70*time.Minute); !got.Equal(want) {
		t.Fatalf("next change %v, want its expiry %v", got, want)
	}
}

func ptr[T any](v T) *T { return &v }
