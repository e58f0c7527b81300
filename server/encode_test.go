package server

import (
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/demo"
)

// BenchmarkEncodeStates measures what one transition costs before the hub:
// now/next for every track of the demo day and the state document of every
// topic, encoded once.
func BenchmarkEncodeStates(b *testing.B) {
	now := time.Date(2026, 10, 6, 16, 40, 0, 0, time.UTC)
	sc := demo.Schedule(now)
	adj := schedule.Adjustments{}.
		WithAnnouncement(schedule.Announcement{ID: "a", Text: "Lunch is served in the lounge", Created: now}).
		WithDelay("track-a", "", 7, now)
	b.ReportAllocs()
	for b.Loop() {
		st := schedule.Compute(sc, adj, now)
		if docs := encodeStates(sc, schedule.Adjustments{}, st, nil); len(docs) != len(perTrackClasses)*len(sc.Tracks)+len(wholeClasses) {
			b.Fatalf("%d documents, want one per track and class and one per whole-conference class", len(docs))
		}
	}
}

// BenchmarkEncodeSchedule is the document re-encoded on every organizer
// change and reload (not at transitions).
func BenchmarkEncodeSchedule(b *testing.B) {
	now := time.Date(2026, 10, 6, 16, 40, 0, 0, time.UTC)
	sc := demo.Schedule(now)
	b.ReportAllocs()
	for b.Loop() {
		encodeSchedule(sc, schedule.Adjustments{}, nil, DefaultChangesRecent)
	}
}
