package server

import (
	"bytes"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
)

// TestICSEncodedOncePerChange: /schedule.ics is public and unlimited, so a
// request must cost what serving stored bytes costs, like the schedule
// document, not an encoding of the whole conference (tens of milliseconds
// for FOSDEM, seconds for a very large schedule: a cheap way for anyone to
// keep the server's cores busy). The feed still follows every change: a
// delay shows in the next request.
func TestICSEncodedOncePerChange(t *testing.T) {
	sc := corpusSchedule(t, "frab-fosdem-2024.xml")
	// The clock before the first session: a delay moves every session of its
	// track that starts after it was set.
	clock := testserver.NewClock(sc.Sessions[0].Start.Add(-time.Hour))
	ts := startServer(t, Config{Schedule: sc, AdminToken: adminToken, Clock: clock})
	track := sc.Sessions[0].Track
	before := ts.get(t, "/schedule.ics")
	ts.get(t, "/schedule.ics?track="+track)

	allocs := func(path string) float64 { return testing.AllocsPerRun(5, func() { ts.get(t, path) }) }
	doc, feed, one := allocs("/api/v1/schedule"), allocs("/schedule.ics"), allocs("/schedule.ics?track="+track)
	if limit := 2*doc + 200; feed > limit || one > limit {
		t.Errorf("a request for the feed allocates %.0f times (one track: %.0f), serving the stored schedule document %.0f: the feed is encoded per request", feed, one, doc)
	}

	ts.admin(t, "POST", "/api/v1/tracks/"+track+"/delay", `{"minutes":15}`, 200)
	after := ts.get(t, "/schedule.ics")
	// What the feed is, encoded afresh from the schedule with the delay.
	ts.live.mu.Lock()
	f := ts.live.ics
	ts.live.mu.Unlock()
	if f.timed[0].EstStart.Equal(f.timed[0].Start) && f.timed[0].Track == track {
		t.Fatalf("the feeds do not have the delay")
	}
	fresh := &icsFeeds{sched: f.sched, timed: f.timed, gone: f.gone, revs: f.revs, feeds: map[string]*compressedDoc{}}
	want, err := fresh.feed(icsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(after, before) || !bytes.Equal(after, want.raw) {
		t.Errorf("after a 15-minute delay the feed is not the schedule's feed with the delay (%d bytes, was %d, want %d)", len(after), len(before), len(want.raw))
	}
}
