package schedule_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	at := func(s string) time.Time { return schedtest.UTC(t, "2024-12-27T"+s+":00Z") }
	sess := func(id, track, title, start, end string, speakers ...string) schedule.Session {
		ss := schedule.Session{ID: id, Track: track, Title: title, Kind: schedule.KindTalk, Start: at(start), End: at(end)}
		for _, n := range speakers {
			ss.Speakers = append(ss.Speakers, schedule.Speaker{Name: n})
		}
		return ss
	}
	old := &schedule.Schedule{Sessions: []schedule.Session{
		sess("same", "a", "Same", "09:00", "10:00", "Ann"),
		sess("moved", "a", "Moved", "10:00", "11:00"),
		sess("longer", "a", "Longer", "11:00", "11:30"),
		sess("room", "a", "Room", "12:00", "13:00"),
		sess("both", "a", "Both", "13:00", "14:00"),
		sess("renamed", "b", "Old title", "09:00", "10:00"),
		sess("gone", "b", "Gone", "10:00", "11:00"),
		sess("a-2024-12-27-1100", "b", "Derived id", "11:00", "12:00", "Bo", "Cy"),
		sess("abstract", "b", "Abstract", "12:00", "13:00"),
	}}
	new := &schedule.Schedule{Sessions: []schedule.Session{
		sess("same", "a", "Same", "09:00", "10:00", "Ann"),
		sess("moved", "a", "Moved", "14:30", "15:30"),
		sess("longer", "a", "Longer", "11:00", "11:45"),
		sess("room", "b", "Room", "12:00", "13:00"),
		sess("both", "b", "Both", "15:00", "16:00"),
		sess("renamed", "b", "New title", "09:00", "10:00"),
		// Same talk under an id derived from its new room and start.
		sess("c-2024-12-27-1600", "c", " derived  ID", "16:00", "17:00", "cy", "Bo"),
		sess("fresh", "c", "Fresh", "17:00", "18:00"),
		sess("abstract", "b", "Abstract", "12:00", "13:00"),
	}}
	new.Sessions[8].Abstract = "now with an abstract"
	want := []schedule.Change{
		{Type: schedule.ChangeRetitled, SessionID: "renamed", Title: "New title", PreviousTitle: "Old title", Track: "b", Start: at("09:00"), End: at("10:00")},
		{Type: schedule.ChangeCancelled, SessionID: "gone", Title: "Gone", Track: "b", Start: at("10:00"), End: at("11:00")},
		{Type: schedule.ChangeMoved, SessionID: "longer", Title: "Longer", Track: "a", Start: at("11:00"), End: at("11:45"), PreviousStart: at("11:00"), PreviousEnd: at("11:30")},
		{Type: schedule.ChangeRoom, SessionID: "room", Title: "Room", Track: "b", PreviousTrack: "a", Start: at("12:00"), End: at("13:00")},
		{Type: schedule.ChangeMoved, SessionID: "moved", Title: "Moved", Track: "a", Start: at("14:30"), End: at("15:30"), PreviousStart: at("10:00"), PreviousEnd: at("11:00")},
		{Type: schedule.ChangeMoved, SessionID: "both", Title: "Both", Track: "b", PreviousTrack: "a", Start: at("15:00"), End: at("16:00"), PreviousStart: at("13:00"), PreviousEnd: at("14:00")},
		{Type: schedule.ChangeMoved, SessionID: "c-2024-12-27-1600", Title: " derived  ID", PreviousTitle: "Derived id", Track: "c", PreviousTrack: "b", Start: at("16:00"), End: at("17:00"), PreviousStart: at("11:00"), PreviousEnd: at("12:00")},
		{Type: schedule.ChangeNew, SessionID: "fresh", Title: "Fresh", Track: "c", Start: at("17:00"), End: at("18:00")},
	}
	if diff := cmp.Diff(want, schedule.Diff(old, new)); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	if got := schedule.Diff(old, old); len(got) != 0 {
		t.Errorf("Diff of a schedule with itself = %v, want none", got)
	}
	if got, want := len(schedule.Diff(nil, new)), len(new.Sessions); got != want {
		t.Errorf("Diff from nothing: %d changes, want %d new", got, want)
	}
	if got := schedule.Diff(old, nil); len(got) != len(old.Sessions) || got[0].Type != schedule.ChangeCancelled {
		t.Errorf("Diff to nothing = %v, want every session cancelled", got)
	}
}

func TestDiffFallbackPicksNearestStart(t *testing.T) {
	at := func(s string) time.Time { return schedtest.UTC(t, "2024-12-27T"+s+":00Z") }
	// Two sessions with the same title and no speakers (a recurring
	// "Lightning talks" slot); ids changed. Each pairs with the nearest.
	old := &schedule.Schedule{Sessions: []schedule.Session{
		{ID: "x1", Track: "a", Title: "Lightning talks", Start: at("10:00"), End: at("11:00")},
		{ID: "x2", Track: "a", Title: "Lightning talks", Start: at("16:00"), End: at("17:00")},
	}}
	new := &schedule.Schedule{Sessions: []schedule.Session{
		{ID: "y1", Track: "a", Title: "Lightning talks", Start: at("10:00"), End: at("11:00")},
		{ID: "y2", Track: "a", Title: "Lightning talks", Start: at("16:30"), End: at("17:30")},
	}}
	got := schedule.Diff(old, new)
	if len(got) != 1 || got[0].SessionID != "y2" || got[0].Type != schedule.ChangeMoved || !got[0].PreviousStart.Equal(at("16:00")) {
		t.Errorf("Diff = %+v, want only y2 moved from 16:00", got)
	}
}

func TestDiffChangeJSON(t *testing.T) {
	at := schedtest.UTC(t, "2024-12-27T14:30:00Z")
	b, err := json.Marshal(schedule.Change{Type: schedule.ChangeRoom, SessionID: "s", Title: "T", Track: "b", PreviousTrack: "a", Start: at, End: at.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"room","session_id":"s","title":"T","track":"b","previous_track":"a","start":"2024-12-27T14:30:00Z","end":"2024-12-27T15:30:00Z"}`
	if got := string(b); got != want {
		t.Errorf("JSON = %s\nwant   %s", got, want)
	}
}
