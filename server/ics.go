package server

import (
	"bytes"
	"sync"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/ical"
)

// icsFeeds are the iCalendar feeds (the whole schedule, or one track) of
// one schedule with one set of adjustments, each encoded on its first
// request. /schedule.ics is public and unlimited, and encoding a large
// conference takes tens of milliseconds: per request, it would let anyone
// keep the server's cores busy. live replaces its icsFeeds whenever the
// schedule or the adjustments change (refreshLocked), so a feed is never
// stale.
type icsFeeds struct {
	sched *schedule.Schedule
	adj   schedule.Adjustments

	mu    sync.Mutex                // held while a feed is encoded, so that each is encoded once
	feeds map[string]*compressedDoc // track id ("" for all) -> feed; ids are checked against sched first
}

func newICSFeeds(sc *schedule.Schedule, adj schedule.Adjustments) *icsFeeds {
	return &icsFeeds{sched: sc, adj: adj, feeds: map[string]*compressedDoc{}}
}

// feed returns the feed of track ("" for every track), encoding it the
// first time.
func (f *icsFeeds) feed(track string) (*compressedDoc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if doc, ok := f.feeds[track]; ok {
		return doc, nil
	}
	var sessions []schedule.Timed
	for _, t := range f.sched.Timed(f.adj) {
		if track == "" || t.Track == track {
			sessions = append(sessions, t)
		}
	}
	var buf bytes.Buffer
	if err := ical.Write(&buf, f.sched, sessions); err != nil {
		return nil, err
	}
	f.feeds[track] = newCompressedDoc(buf.Bytes())
	return f.feeds[track], nil
}
