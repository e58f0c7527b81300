package server

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/confdash/confdash/schedule"
)

const topicAll = "all"

func trackTopic(id string) string { return "track:" + id }

// live is the running day: the schedule, the organizers' adjustments, and the
// encoded documents every client is sent. All fields are guarded by mu, which
// also orders publishing against subscribing, so that a new client's first
// state and the broadcasts after it never cross.
type live struct {
	mu      sync.Mutex
	sched   *schedule.Schedule
	adj     schedule.Adjustments
	changes []schedule.Change          // latest schedule changes, newest reload first
	changed map[string]schedule.Change // by session id, flags shown in documents

	states   map[string][]byte // topic -> state message, encoded once (docOfState gives the document)
	schedDoc []byte            // the schedule document, re-encoded when sched or adj change
	schedZ   *compressedDoc    // schedDoc, compressed on demand
	ics      *icsFeeds         // the iCalendar feeds, replaced when sched or adj change
	nowIDs   map[string]string // track -> id of the session playing (for transitions)
	stats    map[string]*sessionStats
	viewers  map[string]int // track -> viewers now (tabs watching it, screens, overlays)
	lastAcc  time.Time      // when viewer-seconds were last accumulated
}

// sessionStats is what the report gives per session.
type sessionStats struct {
	Peak          int
	ViewerSeconds float64
}

// refreshLocked recomputes the state at now, publishes every topic whose
// document changed, and returns the next instant anything changes.
func (s *Server) refreshLocked(now time.Time, scheduleChanged bool) time.Time {
	l := &s.live
	st := schedule.Compute(l.sched, l.adj, now)
	l.accumulateLocked(now)
	docs := encodeStates(l.sched, st, l.changed)
	msgs := make(map[string][]byte, len(docs))
	for topic, doc := range docs {
		if old, ok := l.states[topic]; ok && bytes.Equal(docOfState(old), doc) {
			msgs[topic] = old
			continue
		}
		msgs[topic] = wrapState(doc)
		s.hub.Publish(topic, msgs[topic])
	}
	l.states = msgs
	if scheduleChanged || l.schedDoc == nil {
		l.schedDoc = encodeSchedule(l.sched, l.adj, l.changed)
		l.schedZ = newCompressedDoc(l.schedDoc)
		l.ics = newICSFeeds(l.sched, l.adj)
	}
	for _, ts := range st.Tracks {
		id := ""
		if ts.Now != nil {
			id = ts.Now.ID
		}
		prev, seen := l.nowIDs[ts.Track.ID]
		if seen && prev != id {
			s.m.transitions.WithLabelValues(ts.Track.ID).Inc()
			s.m.lastTransition.Set(float64(now.UnixMilli()) / 1000)
		}
		l.nowIDs[ts.Track.ID] = id
		if id != "" {
			l.notePeakLocked(s, ts.Track.ID, id)
		}
	}
	s.m.announcements.Set(float64(len(st.Announcements)))
	// The alert on a missed transition compares this with the wall clock, so
	// it holds under --at/--speed too.
	if st.NextChange.IsZero() {
		s.m.nextTransition.Set(0)
	} else {
		s.m.nextTransition.Set(float64(time.Now().Add(s.clock.Until(st.NextChange)).Unix()))
	}
	return st.NextChange
}

// accumulateLocked adds viewer-seconds since the last call to the session
// playing on each track.
func (l *live) accumulateLocked(now time.Time) {
	if !l.lastAcc.IsZero() && now.After(l.lastAcc) {
		dt := now.Sub(l.lastAcc).Seconds()
		for track, id := range l.nowIDs {
			if id == "" || l.viewers[track] == 0 {
				continue
			}
			l.statsFor(id).ViewerSeconds += dt * float64(l.viewers[track])
		}
	}
	l.lastAcc = now
}

func (l *live) statsFor(id string) *sessionStats {
	st := l.stats[id]
	if st == nil {
		st = &sessionStats{}
		l.stats[id] = st
	}
	return st
}

func (l *live) notePeakLocked(s *Server, track, id string) {
	st := l.statsFor(id)
	if n := l.viewers[track]; n > st.Peak {
		st.Peak = n
		s.m.sessionPeak.WithLabelValues(track, id).Set(float64(n))
	}
}

// viewerDelta records a viewer arriving (+1) or leaving (-1) on a track
// ("" for a page that watches no track in particular).
func (s *Server) viewerDelta(track, view string, d int) {
	label := track
	if label == "" {
		label = topicAll
	}
	s.m.viewers.WithLabelValues(label, view).Add(float64(d))
	if track != "" {
		l := &s.live
		l.mu.Lock()
		l.accumulateLocked(s.clock.Now())
		l.viewers[track] += d
		if id := l.nowIDs[track]; id != "" && d > 0 {
			l.notePeakLocked(s, track, id)
		}
		l.mu.Unlock()
	}
	select {
	case s.viewersDirty <- struct{}{}:
	default:
	}
}

// clockLoop is the one goroutine that sleeps until the schedule's next change
// (no polling, no per-second ticks), recomputes, and publishes. Admin changes
// wake it early so that it re-arms for the new next change.
func (s *Server) clockLoop(ctx context.Context) {
	for {
		s.live.mu.Lock()
		next := s.refreshLocked(s.clock.Now(), false)
		s.live.mu.Unlock()
		var fire <-chan time.Time
		var timer *time.Timer
		if !next.IsZero() {
			timer = time.NewTimer(max(s.clock.Until(next), 0))
			fire = timer.C
		}
		select {
		case <-fire:
		case <-s.wake:
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

func (s *Server) wakeClock() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// viewersLoop sends the viewer counts to every client when they change, at
// most once per viewersPeriod, so a keynote's arrival burst is one message.
func (s *Server) viewersLoop(ctx context.Context) {
	var last []byte
	var sent time.Time
	for {
		select {
		case <-s.viewersDirty:
		case <-ctx.Done():
			return
		}
		if wait := viewersPeriod - time.Since(sent); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		msg := s.viewersMessage()
		if !bytes.Equal(msg, last) {
			s.hub.PublishAll(msg)
			s.viewersMsg.Store(&msg)
			last = msg
			sent = time.Now()
		}
	}
}

// viewersPeriod bounds how often viewer counts are pushed (protocol: at most
// one viewers message per 2 s).
const viewersPeriod = 2 * time.Second

// currentViewersMessage is the viewers message every client has: the last one
// sent, encoded once (a reconnect storm must not encode one per client).
func (s *Server) currentViewersMessage() []byte {
	if m := s.viewersMsg.Load(); m != nil {
		return *m
	}
	return s.viewersMessage()
}

func (s *Server) viewersMessage() []byte {
	l := &s.live
	l.mu.Lock()
	tracks := make(map[string]int, len(l.sched.Tracks))
	for _, t := range l.sched.Tracks {
		tracks[t.ID] = l.viewers[t.ID]
	}
	l.mu.Unlock()
	total := s.viewerTotal.Load()
	if s.cluster != nil {
		total = s.cluster.viewers(total, tracks) // plus the other instances'
	}
	return mustJSON(struct {
		Type   string         `json:"type"`
		Total  int64          `json:"total"`
		Tracks map[string]int `json:"tracks"`
	}{"viewers", total, tracks})
}
