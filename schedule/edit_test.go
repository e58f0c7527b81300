package schedule

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEdits(t *testing.T) {
	sc := &Schedule{Tracks: []Track{{ID: "main", Name: "Main"}, {ID: "side", Name: "Side"}}}
	t0 := time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC)
	now := t0.Add(30 * time.Minute) // a1 (expires at t0+10m) has expired
	exp := now.Add(time.Hour)
	tests := []struct {
		name    string
		edit    Edit
		want    Adjustments // when no error
		wantErr error       // errors.Is
	}{
		{
			name: "add for every track, with a time to live",
			edit: AddAnnouncement(Announcement{ID: "a3", Text: "Doors close"}, time.Hour),
			want: Adjustments{
				Announcements: []Announcement{adjTestBase().Announcements[1], {ID: "a3", Text: "Doors close", Audience: DefaultAudience(), Level: LevelInfo, Created: now, Expires: &exp}},
				Delays:        adjTestBase().Delays,
			},
		},
		{
			name: "add replaces the same id, until removed",
			edit: AddAnnouncement(Announcement{ID: "a2", Text: "Lunch moved", Track: "side"}, 0),
			want: Adjustments{
				Announcements: []Announcement{{ID: "a2", Text: "Lunch moved", Track: "side", Audience: DefaultAudience(), Level: LevelInfo, Created: now}},
				Delays:        adjTestBase().Delays,
			},
		},
		{
			name:    "add for an unknown track",
			edit:    AddAnnouncement(Announcement{ID: "a3", Text: "x", Track: "nope"}, 0),
			wantErr: ErrUnknownTrack,
		},
		{
			name: "remove",
			edit: RemoveAnnouncement("a2"),
			want: Adjustments{Announcements: []Announcement{}, Delays: adjTestBase().Delays},
		},
		{
			name:    "remove an expired one",
			edit:    RemoveAnnouncement("a1"),
			wantErr: ErrNoSuchAnnouncement,
		},
		{
			name:    "remove one never posted",
			edit:    RemoveAnnouncement("zz"),
			wantErr: ErrNoSuchAnnouncement,
		},
		{
			name:    "delay an unknown track",
			edit:    SetDelay("nope", 5),
			wantErr: ErrUnknownTrack,
		},
		{
			name:    "no empty track for a delay",
			edit:    SetDelay("", 5),
			wantErr: ErrUnknownTrack,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := adjTestBase()
			got, err := tt.edit(sc, in, now)
			if diff := cmp.Diff(adjTestBase(), in); diff != "" {
				t.Errorf("the edit changed its input (-before +after):\n%s", diff)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("adjustments (-want +got):\n%s", diff)
			}
		})
	}
}

// The error for an unknown track names it, and is typed so that a caller
// can find the id.
func TestUnknownTrackError(t *testing.T) {
	_, err := SetDelay("ma\"in", 5)(&Schedule{}, Adjustments{}, time.Time{})
	var ut *UnknownTrackError
	if !errors.As(err, &ut) || ut.Track != "ma\"in" {
		t.Fatalf("error %#v, want an UnknownTrackError for the track", err)
	}
	if got, want := err.Error(), `no track "ma\"in" in the schedule`; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}
