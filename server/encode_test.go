package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/confdash/confdash/hub"
	"github.com/confdash/confdash/internal/testserver"
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

// BenchmarkAnnouncementFOSDEM is what the server does for one announcement
// posted on FOSDEM 2024 (26 rooms), before the hub writes it: the
// adjustments change, every topic's state and delta is encoded, and
// whatever else an organizer's change rebuilds.
func BenchmarkAnnouncementFOSDEM(b *testing.B) {
	sc := corpusSchedule(b, "frab-fosdem-2024.xml")
	now := time.Date(2024, 2, 3, 10, 0, 0, 0, time.UTC)
	clock := testserver.NewClock(now)
	l := newLive(hub.New(hub.Options{PingPeriod: time.Hour}), newMetrics(), clock, slog.New(slog.DiscardHandler), func() {}, sc, schedule.Adjustments{}, DefaultChangesRecent)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		a := schedule.Announcement{ID: fmt.Sprint("a", i), Text: "Lunch is served in the lounge", Created: now, Audience: schedule.Audiences}
		l.onAdjustments(schedule.Adjustments{Announcements: []schedule.Announcement{a}})
	}
}

// TestAnnouncementKeepsScheduleDocument: an announcement leaves the schedule
// document and the calendar feeds as they were (not even re-encoded), and
// each of what they show (a delay, a room's status, what happened on stage,
// a renamed room) makes them anew.
func TestAnnouncementKeepsScheduleDocument(t *testing.T) {
	now := time.Date(2026, 10, 6, 16, 40, 0, 0, time.UTC)
	sc := demo.Schedule(now)
	l := newLive(hub.New(hub.Options{PingPeriod: time.Hour}), newMetrics(), testserver.NewClock(now), slog.New(slog.DiscardHandler), func() {}, sc, schedule.Adjustments{}, DefaultChangesRecent)
	track, session := sc.Tracks[0].ID, sc.Sessions[0].ID
	adj := schedule.Adjustments{}
	step := func(what string, next schedule.Adjustments, anew bool) {
		t.Helper()
		doc, feeds := l.scheduleDoc(), l.icsFeeds()
		l.onAdjustments(next)
		adj = next
		if got := &l.scheduleDoc()[0] != &doc[0]; got != anew {
			t.Errorf("after %s, the schedule document was encoded anew: %v, want %v", what, got, anew)
		}
		if got := l.icsFeeds() != feeds; got != anew {
			t.Errorf("after %s, the calendar feeds were made anew: %v, want %v", what, got, anew)
		}
	}
	step("an announcement", adj.WithAnnouncement(schedule.Announcement{ID: "a", Text: "Lunch is served", Created: now}), false)
	step("its removal", schedule.Adjustments{}, false)
	step("a delay", adj.WithDelay(track, "", 5, now), true)
	step("a second announcement", adj.WithAnnouncement(schedule.Announcement{ID: "b", Text: "Coffee", Created: now}), false)
	full := adj
	full.Statuses = map[string]schedule.RoomStatus{track: {Status: schedule.StatusFull, Since: now}}
	step("a full room", full, true)
	step("a session started", adj.WithLive(session, schedule.Live{Track: track, Started: &now}), true)
	renamed := adj
	renamed.Aliases = map[string]string{"old-room": track}
	step("a renamed room", renamed, true)
	if !bytes.Contains(l.scheduleDoc(), []byte(`"minutes":5`)) {
		t.Errorf("the schedule document does not carry the delay: %.300s", l.scheduleDoc())
	}
}
