package server

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/ical"
	"github.com/gofiber/fiber/v2"
)

// The calendar to subscribe to: GET /schedule.ics, the whole schedule, one
// track (?track=), the sessions a person starred (?sessions=ID,ID,...), or
// both filters at once (the starred sessions of that track). Calendar apps
// poll it (REFRESH-INTERVAL), so it carries the estimated times of the day
// as it runs, and each event a SEQUENCE that grows whenever what an app
// shows of it changes: its estimated start or end (a delay, started,
// ended), its room, its title, or its cancellation.
const (
	// icsRefresh is how often the feed asks apps to poll: a delay reaches
	// a subscribed phone within that (the apps poll less often when they
	// choose to; Google's calendar takes hours whatever the feed says).
	icsRefresh = 15 * time.Minute
	// maxICSSessions bounds ?sessions=: a person's starred set, with room
	// to spare (FOSDEM has about a thousand sessions; nobody attends 500).
	maxICSSessions = 500
	// maxICSSessionID bounds one id, well above the sources' (a pretalx
	// code, a frab number, a UUID).
	maxICSSessionID = 200
	// maxICSCacheBytes bounds the per-query feeds kept until the next
	// change: the whole schedule and each track are always kept (there are
	// few); starred sets beyond this are encoded per request, which a
	// starred set's size keeps cheap.
	maxICSCacheBytes = 8 << 20
	// maxICSGone bounds the cancelled sessions the feed keeps announcing.
	maxICSGone = 1000
)

// sequenceEpoch is where SEQUENCE's seconds count from: a SEQUENCE is an
// integer that apps keep in 32 bits, which seconds since 2000 fit until 2068.
var sequenceEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// icsHistory is what the feed remembers of each session, to give it a
// SEQUENCE that only grows. A session's SEQUENCE is the second (of the
// server's clock, since sequenceEpoch) at which the server last saw it
// change, or one more than its last SEQUENCE if that is larger. Counting
// seconds rather than changes is what keeps it growing across a restart,
// without a counter to persist (the state file and the cluster's store hold
// the organizers' adjustments, not the feed's bookkeeping): the server
// starts with every session at its start-up second, above any SEQUENCE the
// previous run published, so even a schedule edited while it was down
// reaches the apps. A restart thus bumps every event once: an app re-reads
// events it already has, which costs nothing. Cancelled sessions (gone from
// a reloaded schedule) stay in the feed as STATUS:CANCELLED while this run
// of the server knows them (maxICSGone at most), so subscribed apps strike
// them out rather than silently keep them. live owns it, under its lock.
type icsHistory struct {
	seen map[string]*icsSeen
}

type icsSeen struct {
	key  icsKey
	rev  ical.Revision
	last schedule.Timed // as last known: a cancelled session is written so
}

// icsKey is what a calendar app shows of a session and follows.
type icsKey struct {
	start, end   int64 // estimated, Unix nanoseconds
	track, title string
	cancelled    bool
}

func keyOf(t schedule.Timed) icsKey {
	return icsKey{start: t.EstStart.UnixNano(), end: t.EstEnd.UnixNano(), track: t.Track, title: t.Title}
}

// nextSequence is the SEQUENCE of a change at now after prev.
func nextSequence(prev int, now time.Time) int {
	return max(prev+1, int(max(0, now.Sub(sequenceEpoch)/time.Second)))
}

// observe records the sessions (with their estimates) as the feed shows
// them at now, and returns every event's revision and the cancelled
// sessions still announced. The map and slice are new: feeds read them
// after live's lock is released.
func (h *icsHistory) observe(timed []schedule.Timed, now time.Time) (map[string]ical.Revision, []schedule.Timed) {
	if h.seen == nil {
		h.seen = make(map[string]*icsSeen, len(timed))
	}
	present := make(map[string]bool, len(timed))
	for _, t := range timed {
		present[t.ID] = true
		k := keyOf(t)
		e, ok := h.seen[t.ID]
		if !ok {
			e = &icsSeen{rev: ical.Revision{Sequence: -1}}
			h.seen[t.ID] = e
		}
		if !ok || e.key != k {
			e.key = k
			e.rev = ical.Revision{Sequence: nextSequence(e.rev.Sequence, now), Modified: now}
		}
		e.last = t
	}
	var gone []*icsSeen
	for id, e := range h.seen {
		if present[id] {
			continue
		}
		if !e.rev.Cancelled {
			e.key.cancelled = true
			e.rev = ical.Revision{Sequence: nextSequence(e.rev.Sequence, now), Modified: now, Cancelled: true}
		}
		gone = append(gone, e)
	}
	// The oldest cancellations are forgotten first; the order is by
	// scheduled start, as in the schedule.
	slices.SortFunc(gone, func(a, b *icsSeen) int { return b.rev.Modified.Compare(a.rev.Modified) })
	for _, e := range gone[min(len(gone), maxICSGone):] {
		delete(h.seen, e.last.ID)
	}
	gone = gone[:min(len(gone), maxICSGone)]
	slices.SortFunc(gone, func(a, b *icsSeen) int {
		return cmpOr(a.last.Start.Compare(b.last.Start), strings.Compare(a.last.ID, b.last.ID))
	})

	revs := make(map[string]ical.Revision, len(timed)+len(gone))
	for _, t := range timed {
		revs[t.ID] = h.seen[t.ID].rev
	}
	cancelled := make([]schedule.Timed, len(gone))
	for i, e := range gone {
		revs[e.last.ID] = e.rev
		cancelled[i] = e.last
	}
	return revs, cancelled
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// icsFeeds are the iCalendar feeds of one schedule with one set of
// adjustments, each encoded on its first request. /schedule.ics is public
// and unlimited, and encoding a large conference takes tens of
// milliseconds: per request, it would let anyone keep the server's cores
// busy. live replaces its icsFeeds whenever the schedule or the adjustments
// change (refreshLocked), so a feed is never stale.
type icsFeeds struct {
	sched *schedule.Schedule
	timed []schedule.Timed         // the sessions with their estimates
	gone  []schedule.Timed         // cancelled sessions, as last known
	revs  map[string]ical.Revision // every event's revision

	mu     sync.Mutex                // held while a feed is encoded, so that each is encoded once
	feeds  map[string]*compressedDoc // icsQuery.key() -> feed
	cached int                       // bytes of the starred sets' feeds in feeds
}

func newICSFeeds(sc *schedule.Schedule, adj schedule.Adjustments, hist *icsHistory, now time.Time) *icsFeeds {
	timed := sc.Timed(adj)
	revs, gone := hist.observe(timed, now)
	return &icsFeeds{sched: sc, timed: timed, gone: gone, revs: revs, feeds: map[string]*compressedDoc{}}
}

// icsQuery selects a feed's sessions: a track id ("" for every track) and
// session ids (nil for every session), sorted and without duplicates.
type icsQuery struct {
	track    string
	sessions []string
}

func (q icsQuery) key() string {
	if q.sessions == nil {
		return q.track
	}
	return q.track + "\x00" + strings.Join(q.sessions, ",")
}

func (q icsQuery) selects(t schedule.Timed) bool {
	if q.track != "" && t.Track != q.track {
		return false
	}
	if q.sessions != nil {
		_, ok := slices.BinarySearch(q.sessions, t.ID)
		return ok
	}
	return true
}

// feed returns the feed of q, encoding it the first time. The ids of q
// are copies: they become map keys.
func (f *icsFeeds) feed(q icsQuery) (*compressedDoc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := q.key()
	if doc, ok := f.feeds[key]; ok {
		return doc, nil
	}
	var sessions []schedule.Timed
	for _, list := range [][]schedule.Timed{f.timed, f.gone} {
		for _, t := range list {
			if q.selects(t) {
				sessions = append(sessions, t)
			}
		}
	}
	feed := ical.Feed{Refresh: icsRefresh, Revisions: f.revs}
	if name := f.sched.Name; name != "" {
		switch {
		case q.sessions != nil:
			feed.Name = name + ": starred"
		case q.track != "":
			tr, _ := f.sched.Track(q.track)
			feed.Name = name + ": " + tr.Name
		}
	}
	var buf bytes.Buffer
	if err := ical.WriteFeed(&buf, f.sched, sessions, feed); err != nil {
		return nil, err
	}
	doc := newCompressedDoc(buf.Bytes())
	if q.sessions == nil || f.cached+buf.Len() <= maxICSCacheBytes {
		f.feeds[key] = doc
		if q.sessions != nil {
			f.cached += buf.Len()
		}
	}
	return doc, nil
}

// parseICSSessions reads ?sessions=ID,ID,...: the ids sorted, without
// duplicates or empty items, copied out of the request. Unknown ids are not
// an error (the feed leaves them out): a starred set outlives schedule
// versions, and a calendar app polls silently, so a 400 for one removed
// session would stop the updates of all the others without anyone seeing
// why.
func parseICSSessions(list string) ([]string, error) {
	var ids []string
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if len(id) > maxICSSessionID {
			return nil, apiError(fiber.StatusBadRequest, "bad_sessions", "a session id in sessions is longer than "+strconv.Itoa(maxICSSessionID)+" bytes: list the ids the schedule document gives, separated by commas")
		}
		ids = append(ids, id)
		if len(ids) > maxICSSessions {
			return nil, apiError(fiber.StatusBadRequest, "bad_sessions", "sessions lists more than "+strconv.Itoa(maxICSSessions)+" ids: subscribe to the whole schedule (no sessions=) or to a track (track=ID) instead")
		}
	}
	if len(ids) == 0 {
		return nil, apiError(fiber.StatusBadRequest, "bad_sessions", "sessions is empty: list session ids separated by commas, or leave it out for the whole schedule")
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for i, id := range ids {
		ids[i] = keep(id)
	}
	return ids, nil
}
