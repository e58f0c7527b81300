package schedule

import (
	"testing"
	"time"
)

// Index sorts the sessions by start and builds the per-track lookup that
// Compute uses; the loader calls it on every schedule it returns.
func TestIndex(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 10, 6, h, 0, 0, 0, time.UTC) }
	s := &Schedule{
		Location: time.UTC,
		Tracks:   []Track{{ID: "main", Name: "Main"}},
		Sessions: []Session{
			{ID: "b", Track: "main", Title: "B", Kind: KindTalk, Start: at(10), End: at(11)},
			{ID: "a", Track: "main", Title: "A", Kind: KindTalk, Start: at(9), End: at(10)},
		},
	}
	s.Index()
	if got, want := s.Sessions[0].ID, "a"; got != want {
		t.Errorf("first session %q, want %q (sorted by start)", got, want)
	}
	if got, want := len(s.byTrack["main"]), 2; got != want {
		t.Errorf("index holds %d sessions of main, want %d", got, want)
	}
}
