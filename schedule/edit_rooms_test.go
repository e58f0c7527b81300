package schedule

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSetStatus(t *testing.T) {
	sc := &Schedule{Tracks: []Track{{ID: "main", Name: "Main"}, {ID: "side", Name: "Side"}}}
	t0 := time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC)
	now := t0.Add(30 * time.Minute)
	full := Adjustments{Statuses: map[string]RoomStatus{"main": {Status: StatusFull, Since: t0}}}
	tests := []struct {
		name    string
		base    Adjustments
		edit    Edit
		want    map[string]RoomStatus
		wantErr error
	}{
		{name: "full", edit: SetStatus("main", RoomStatus{Status: StatusFull, Note: "Overflow in Side"}),
			want: map[string]RoomStatus{"main": {Status: StatusFull, Note: "Overflow in Side", Since: now}}},
		{name: "full again keeps its instant", base: full, edit: SetStatus("main", RoomStatus{Status: StatusFull, Note: "still"}),
			want: map[string]RoomStatus{"main": {Status: StatusFull, Note: "still", Since: t0}}},
		{name: "open clears", base: full, edit: SetStatus("main", RoomStatus{Status: StatusOpen}), want: map[string]RoomStatus{}},
		{name: "moved", edit: SetStatus("main", RoomStatus{Status: StatusMoved, MovedTo: "side"}),
			want: map[string]RoomStatus{"main": {Status: StatusMoved, MovedTo: "side", Since: now}}},
		{name: "moved to itself", edit: SetStatus("main", RoomStatus{Status: StatusMoved, MovedTo: "main"}), wantErr: ErrBadMovedTo},
		{name: "moved to no track", edit: SetStatus("main", RoomStatus{Status: StatusMoved, MovedTo: "nope"}), wantErr: ErrBadMovedTo},
		{name: "unknown track", edit: SetStatus("nope", RoomStatus{Status: StatusFull}), wantErr: ErrUnknownTrack},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.edit(sc, tc.base, now)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Statuses, cmpEmptyMap); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if len(tc.base.Statuses) > 0 && tc.base.Statuses["main"].Since != t0 {
				t.Error("the edit changed the adjustments it was given")
			}
		})
	}
}

var cmpEmptyMap = cmp.FilterValues(func(a, b map[string]RoomStatus) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

// A reload that renames a room (same GUID, new slug) moves its live changes
// to the new id and keeps the old one as an alias; a room that is gone
// loses them, and Orphans lists them first.
func TestRenamesAndReconcile(t *testing.T) {
	old := &Schedule{Tracks: []Track{
		{ID: "room-a", Name: "Room A", GUID: "g-a"},
		{ID: "room-b", Name: "Room B", GUID: "g-b"},
		{ID: "hall", Name: "Hall"},
		{ID: "annex", Name: "Annex", GUID: "g-x"},
	}}
	next := &Schedule{Tracks: []Track{
		{ID: "auditorium", Name: "Auditorium", GUID: "g-a"}, // renamed
		{ID: "room-b", Name: "Room B", GUID: "g-b"},         // kept
		{ID: "hall-2", Name: "Hall 2"},                      // no GUID: not a rename
		// annex is gone
	}}
	renames := Renames(old, next)
	if diff := cmp.Diff(map[string]string{"room-a": "auditorium"}, renames); diff != "" {
		t.Fatalf("renames (-want +got):\n%s", diff)
	}
	t0 := time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC)
	adj := Adjustments{
		Announcements: []Announcement{{ID: "x", Text: "in A", Track: "room-a", Created: t0}, {ID: "y", Text: "in annex", Track: "annex", Created: t0}, {ID: "z", Text: "all", Created: t0}},
		Delays:        map[string]Delay{"room-a": {Minutes: 7, From: t0}, "hall": {Minutes: 5, From: t0}},
		Statuses: map[string]RoomStatus{
			"room-a": {Status: StatusFull, Since: t0},
			"room-b": {Status: StatusMoved, MovedTo: "room-a", Since: t0},
			"annex":  {Status: StatusClosed, Since: t0},
		},
		Aliases: map[string]string{"a-old": "room-a", "hall-2": "hall"},
		Live:    map[string]Live{"talk-a": {Track: "room-a", Started: &t0}, "talk-x": {Track: "annex", Started: &t0}},
	}
	five, closed := adj.Delays["hall"], adj.Statuses["annex"]
	wantOrphans := []Orphan{{Track: "annex", Status: &closed, Announcements: 1, Live: 1}, {Track: "hall", Delay: &five}}
	if diff := cmp.Diff(wantOrphans, Orphans(next, adj, renames)); diff != "" {
		t.Errorf("orphans (-want +got):\n%s", diff)
	}
	got, err := ReconcileRooms(renames)(next, adj, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := Adjustments{
		Announcements: []Announcement{{ID: "x", Text: "in A", Track: "auditorium", Created: t0}, {ID: "z", Text: "all", Created: t0}},
		Delays:        map[string]Delay{"auditorium": {Minutes: 7, From: t0}},
		Statuses: map[string]RoomStatus{
			"auditorium": {Status: StatusFull, Since: t0},
			"room-b":     {Status: StatusMoved, MovedTo: "auditorium", Since: t0},
		},
		// a-old followed room-a to its new id; hall-2 is a room again.
		Aliases: map[string]string{"a-old": "auditorium", "room-a": "auditorium"},
		Live:    map[string]Live{"talk-a": {Track: "auditorium", Started: &t0}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reconciled (-want +got):\n%s", diff)
	}
	if adj.Announcements[0].Track != "room-a" || adj.Delays["room-a"].Minutes != 7 {
		t.Error("the edit changed the adjustments it was given")
	}

	for _, tc := range []struct{ in, want string }{
		{"auditorium", "auditorium"}, {"room-a", "auditorium"}, {"Room-A", "auditorium"},
		{"ROOM-B", "room-b"}, {"A-OLD", "auditorium"}, {"annex", ""},
	} {
		id, ok := ResolveTrack(next, got, tc.in)
		if id != tc.want || ok != (tc.want != "") {
			t.Errorf("ResolveTrack(%q) = %q, %v; want %q", tc.in, id, ok, tc.want)
		}
	}
}
