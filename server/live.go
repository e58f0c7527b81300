package server

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/confdash/confdash/hub"
	"github.com/confdash/confdash/schedule"
)

// topicAll is the track label of the viewers who watch no track in
// particular (the hub's topics are in audience.go).
const topicAll = "all"

// live is the running day: the schedule, the organizers' adjustments, and the
// encoded documents every client is sent. Its methods are the only way in:
// each takes mu, which also orders publishing against subscribing, so that a
// new client's first state and the broadcasts after it never cross.
type live struct {
	hub   *hub.Hub
	m     *metrics
	clock Clock
	log   *slog.Logger
	wake  func() // re-arms the clock loop after a change

	mu      sync.Mutex
	sched   *schedule.Schedule
	adj     schedule.Adjustments
	changes []schedule.Change     // latest schedule changes, newest reload first
	changed map[string]seenChange // by session id: the recent ones, flagged in documents
	recent  time.Duration         // how long a change stays flagged; <= 0: never
	// renames are the rooms the last reload renamed (old id -> id), shown
	// as aliases until the store's edit makes them adjustments (rooms.go).
	renames map[string]string

	states   map[string][]byte // topic -> state message, encoded once (docOfState gives the document)
	v2       v2State           // protocol version 2's deltas (delta.go)
	schedDoc []byte            // the schedule document, re-encoded when sched or adj change
	schedZ   *compressedDoc    // schedDoc, compressed on demand
	ics      *icsFeeds         // the iCalendar feeds, replaced when sched or adj change
	icsHist  icsHistory        // what the feeds remember of each session (SEQUENCE, cancelled ones)
	nowIDs   map[string]string // track -> id of the session playing (for transitions)
	stats    map[string]*sessionStats
	viewers  map[string]int // track -> viewers now (tabs watching it, screens, overlays)
	lastAcc  time.Time      // when viewer-seconds were last accumulated
}

// seenChange is a schedule change with the instant (schedule clock) of the
// reload that brought it; gone is a cancelled session as it was, shown in
// its slot while the change is recent.
type seenChange struct {
	schedule.Change
	Seen time.Time
	gone *schedule.Session
}

func newLive(h *hub.Hub, m *metrics, clock Clock, log *slog.Logger, wake func(), sc *schedule.Schedule, adj schedule.Adjustments, recent time.Duration) *live {
	l := &live{
		hub: h, m: m, clock: clock, log: log, wake: wake,
		sched: sc, adj: adj, recent: recent,
		changed: map[string]seenChange{},
		nowIDs:  map[string]string{},
		stats:   map[string]*sessionStats{},
		viewers: map[string]int{},
	}
	l.setScheduleMetrics()
	l.refresh(clock.Now())
	return l
}

// sessionStats is what the report gives per session.
type sessionStats struct {
	Peak          int
	ViewerSeconds float64
}

// schedule is the running schedule.
func (l *live) schedule() *schedule.Schedule {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sched
}

// snapshot is the running schedule with the adjustments shown on it.
func (l *live) snapshot() (*schedule.Schedule, schedule.Adjustments) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sched, l.adj
}

// state is the encoded state message of a topic; false for a track the
// schedule does not have.
func (l *live) state(topic string) ([]byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	msg, ok := l.states[topic]
	return msg, ok
}

// scheduleDoc is the encoded schedule document.
func (l *live) scheduleDoc() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.schedDoc
}

// compressedScheduleDoc is the encoded schedule document, compressed on
// demand.
func (l *live) compressedScheduleDoc() *compressedDoc {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.schedZ
}

// icsFeeds are the iCalendar feeds of the running schedule and adjustments.
func (l *live) icsFeeds() *icsFeeds {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ics
}

// recentChanges are the latest schedule changes, newest reload first.
func (l *live) recentChanges() []schedule.Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changes
}

// report gives each session's audience up to now.
func (l *live) report(now time.Time) []reportRow {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.accumulateLocked(now)
	rows := make([]reportRow, 0, len(l.sched.Sessions))
	for _, t := range l.sched.Timed(l.adj) {
		st := l.stats[t.ID]
		r := reportRow{Track: t.Track, Session: t.ID, Title: t.Title, Start: t.Start.UTC(), DelayMinutes: t.DelayMinutes}
		if st != nil {
			r.PeakViewers, r.ViewerMinutes = st.Peak, float64(int(st.ViewerSeconds/60*10))/10
		}
		rows = append(rows, r)
	}
	return rows
}

// subscribe registers conn with the hub on topic, with head's messages
// (given the running schedule's version), the topic's current state and
// tail queued first, under the lock: no broadcast can come between them.
// The hub's error means it is shutting down.
func (l *live) subscribe(topic string, conn hub.Conn, head func(version string) [][]byte, tail ...[]byte) (*hub.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var initial [][]byte
	if head != nil {
		initial = head(l.sched.Version)
	}
	initial = append(initial, l.v2.initial(topic, l.states))
	initial = append(initial, tail...)
	return l.hub.Subscribe(topic, conn, initial...)
}

// resync sends a protocol version 2 client of topic the full state, when it
// asked because it could not apply a delta (delta.go). Under the lock: every
// delta published before it has a seq at most the state's (the page drops
// those), every one after it comes after it.
func (l *live) resync(topic string, c *hub.Client) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.Send(l.v2.state(topic, l.states[topic]))
}

// onAdjustments makes adj what every client sees: the announcement events
// between the adjustments shown and adj, then the new state. It is the one
// way changes come back from a store (the state file's or the cluster's),
// called once the change is saved.
func (l *live) onAdjustments(adj schedule.Adjustments) {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.adj
	l.adj = adj
	l.publishAnnouncementEvents(old, adj, l.clock.Now())
	for _, t := range l.sched.Tracks { // the tracks stay: no Reset, which a scrape could see
		l.m.delay.WithLabelValues(t.ID).Set(float64(adj.Delays[t.ID].Minutes * 60))
	}
	l.refreshLocked(l.clock.Now(), showsOnSchedule(old, adj))
	l.wake()
}

// showsOnSchedule reports whether the adjustments differ in what the
// schedule document and the calendar feeds show: delays, rooms' statuses,
// renamed rooms and what happened on stage. An announcement alone changes
// neither, and re-encoding them was most of what an announcement cost the
// server on a large schedule (FOSDEM 2024: 3.4 ms, 0.7 ms without them;
// BenchmarkAnnouncementFOSDEM). When unsure (equal instants written
// differently) it says they differ.
func showsOnSchedule(old, cur schedule.Adjustments) bool {
	return !reflect.DeepEqual(old.Delays, cur.Delays) || !reflect.DeepEqual(old.Statuses, cur.Statuses) ||
		!reflect.DeepEqual(old.Aliases, cur.Aliases) || !reflect.DeepEqual(old.Live, cur.Live)
}

// setSchedule replaces the running schedule, records what changed, and
// pushes the new state at once. It reports whether the schedule differs
// from the running one.
func (l *live) setSchedule(sc *schedule.Schedule) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if sc.Version == l.sched.Version {
		l.m.reloads.WithLabelValues("unchanged").Inc()
		return false
	}
	changes := schedule.Diff(l.sched, sc)
	l.renames = schedule.Renames(l.sched, sc)
	now := l.clock.Now()
	if l.recent > 0 {
		// A session's latest change replaces an earlier one; the others
		// stay flagged until they age out (refreshLocked).
		old := map[string]*schedule.Session{}
		for i := range l.sched.Sessions {
			old[l.sched.Sessions[i].ID] = &l.sched.Sessions[i]
		}
		for _, ch := range changes {
			sc := seenChange{Change: ch, Seen: now}
			if ch.Type == schedule.ChangeCancelled {
				sc.gone = old[ch.SessionID]
			}
			l.changed[ch.SessionID] = sc
		}
	}
	l.sched = sc
	l.changes = append(changes, l.changes...)
	if len(l.changes) > 200 {
		l.changes = l.changes[:200]
	}
	l.m.reloads.WithLabelValues("changed").Inc()
	l.setScheduleMetrics()
	l.refreshLocked(l.clock.Now(), true)
	l.wake()
	l.log.Info("schedule loaded", slog.String("version", sc.Version), slog.Int("sessions", len(sc.Sessions)), slog.Int("changes", len(changes)))
	return true
}

func (l *live) setScheduleMetrics() {
	l.m.scheduleInfo.Reset()
	l.m.scheduleInfo.WithLabelValues(l.sched.Version, string(l.sched.Format)).Set(1)
	l.m.delay.Reset()
	for _, t := range l.sched.Tracks {
		l.m.transitions.WithLabelValues(t.ID)
		l.m.delay.WithLabelValues(t.ID).Set(float64(l.adj.Delays[t.ID].Minutes * 60))
	}
}

// publishAnnouncementEvents sends the announcement events between two
// versions of the adjustments at instant now, each to the topics of the
// announcement's audience only (audience.go): a remove for each one gone
// (removed or expired), an add for each new or edited one. One scheduled
// for later is announced to the console only; its audience gets it with
// the state pushed when it starts. Every instance of a cluster calls it
// when its store delivers a change, so every client gets the same events
// whichever instance it is connected to.
func (l *live) publishAnnouncementEvents(old, cur schedule.Adjustments, now time.Time) {
	reach := func(a schedule.Announcement) []string {
		if a.Shown().After(now) {
			return []string{classAdmin}
		}
		return announcementTopics(a, l.sched.Tracks)
	}
	for _, a := range old.Announcements {
		b, ok := findAnnouncement(cur, a.ID)
		remove := reach(a)
		if ok {
			// Edited: the topics it no longer reaches are told it is gone.
			remove = slices.DeleteFunc(remove, func(t string) bool { return slices.Contains(reach(b), t) })
		}
		msg := mustJSON(map[string]any{"type": "announcement", "action": "remove", "id": a.ID})
		for _, t := range remove {
			l.hub.Publish(t, msg)
		}
	}
	for _, a := range cur.Announcements {
		if b, ok := findAnnouncement(old, a.ID); ok && sameAnnouncement(a, b) {
			continue
		}
		msg := mustJSON(map[string]any{"type": "announcement", "action": "add", "id": a.ID, "announcement": a})
		for _, t := range reach(a) {
			l.hub.Publish(t, msg)
		}
	}
}

// sameAnnouncement reports whether a and b show the same.
func sameAnnouncement(a, b schedule.Announcement) bool {
	return a.Text == b.Text && a.Track == b.Track && a.Level == b.Level &&
		slices.Equal(a.Audience, b.Audience) && a.Shown().Equal(b.Shown())
}

func findAnnouncement(adj schedule.Adjustments, id string) (schedule.Announcement, bool) {
	for _, a := range adj.Announcements {
		if a.ID == id {
			return a, true
		}
	}
	return schedule.Announcement{}, false
}

// refresh recomputes the state at now, publishes every topic whose
// document changed, and returns the next instant anything changes.
func (l *live) refresh(now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refreshLocked(now, false)
}

func (l *live) refreshLocked(now time.Time, scheduleChanged bool) time.Time {
	st := schedule.Compute(l.sched, l.adj, now)
	l.accumulateLocked(now)
	expires := l.expireChangesLocked(now)
	if expires.scheduleChanged {
		scheduleChanged = true
	}
	wd := encodeStateDocs(l.sched, l.adj, st, l.changed)
	docs := wd.bytes
	msgs := make(map[string][]byte, len(docs))
	l.v2.seq++
	var v2 v2Frames
	for topic, doc := range docs {
		if old, ok := l.states[topic]; ok && bytes.Equal(docOfState(old), doc) {
			msgs[topic] = old
			continue
		}
		msgs[topic] = wrapState(doc)
		l.hub.Publish(topic, msgs[topic])
		l.v2.publish(l.hub, &v2, topic, wd)
	}
	l.publishRoomTopicsLocked(msgs, st)
	l.states = msgs
	l.v2.docs, l.v2.tracks = wd.docs, wd.tracks
	if scheduleChanged || l.schedDoc == nil {
		withAliases := l.adj // and the last reload's renames, before its edit is saved
		withAliases.Aliases = l.aliasesLocked()
		l.schedDoc = encodeSchedule(l.sched, withAliases, l.changed, l.recent)
		l.schedZ = newCompressedDoc(l.schedDoc)
		l.ics = newICSFeeds(l.sched, l.adj, &l.icsHist, now)
	}
	for _, ts := range st.Tracks {
		id := ""
		if ts.Now != nil {
			id = ts.Now.ID
		}
		prev, seen := l.nowIDs[ts.Track.ID]
		if seen && prev != id {
			l.m.transitions.WithLabelValues(ts.Track.ID).Inc()
			l.m.lastTransition.Set(float64(now.UnixMilli()) / 1000)
		}
		l.nowIDs[ts.Track.ID] = id
		if id != "" {
			l.notePeakLocked(ts.Track.ID, id)
		}
	}
	l.m.announcements.Set(float64(len(st.Announcements)))
	// The alert on a missed transition compares this with the wall clock, so
	// it holds under --at/--speed too.
	if st.NextChange.IsZero() {
		l.m.nextTransition.Set(0)
	} else {
		l.m.nextTransition.Set(float64(time.Now().Add(l.clock.Until(st.NextChange)).Unix()))
	}
	// The clock loop also wakes when a change ages out, so its badge (and a
	// cancelled session) leaves the documents on time.
	if !expires.next.IsZero() && (st.NextChange.IsZero() || expires.next.Before(st.NextChange)) {
		return expires.next
	}
	return st.NextChange
}

type changeExpiry struct {
	scheduleChanged bool      // a change aged out: the documents lose it
	next            time.Time // when the next one ages out (zero: none left)
}

// expireChangesLocked forgets the changes seen more than recent ago.
func (l *live) expireChangesLocked(now time.Time) changeExpiry {
	var e changeExpiry
	for id, c := range l.changed {
		end := c.Seen.Add(l.recent)
		if !now.Before(end) {
			delete(l.changed, id)
			e.scheduleChanged = true
			continue
		}
		if e.next.IsZero() || end.Before(e.next) {
			e.next = end
		}
	}
	return e
}

// aliasesLocked are the former ids of renamed rooms: the stored ones and
// those of the last reload.
func (l *live) aliasesLocked() map[string]string {
	if len(l.renames) == 0 {
		return l.adj.Aliases
	}
	out := maps.Clone(l.adj.Aliases)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, l.renames)
	return out
}

// resolveTrack is the track a URL or query names: its id, a former id, or
// either in another case (schedule.ResolveTrack).
func (l *live) resolveTrack(id string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return schedule.ResolveTrack(l.sched, schedule.Adjustments{Aliases: l.aliasesLocked()}, id)
}

// publishRoomTopicsLocked completes the new messages msgs for the topics of
// former track ids: a renamed room's old topic gets the room's state (the
// sockets opened before the rename follow the room), and a topic whose
// track is gone gets, once, a state without it under the new schedule
// version, from which its page learns that the room is no longer in the
// schedule.
func (l *live) publishRoomTopicsLocked(msgs map[string][]byte, st schedule.State) {
	for old, cur := range l.aliasesLocked() {
		for _, class := range perTrackClasses { // each view of the room (audience.go)
			topic, m := topic(class, old), msgs[topic(class, cur)]
			if _, real := msgs[topic]; real || m == nil {
				continue
			}
			if prev, ok := l.states[topic]; !ok || !bytes.Equal(prev, m) {
				l.hub.Publish(topic, m)
				l.hub.Publish(v2Topic(topic), wrapStateV2(docOfState(m), l.v2.seq)) // a full state: rare
			}
			msgs[topic] = m
		}
	}
	var gone []byte
	for topic := range l.states {
		if _, ok := msgs[topic]; ok {
			continue
		}
		if gone == nil {
			gone = wrapState(mustJSON(stateDoc{
				ScheduleVersion: l.sched.Version, Conference: confDoc{Name: l.sched.Name, TimeZone: l.sched.TimeZone},
				Tracks: []trackDoc{}, Announcements: []schedule.Announcement{}, NextChange: optTime(st.NextChange),
			}))
		}
		l.hub.Publish(topic, gone)
		l.hub.Publish(v2Topic(topic), wrapStateV2(docOfState(gone), l.v2.seq))
	}
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

func (l *live) notePeakLocked(track, id string) {
	st := l.statsFor(id)
	if n := l.viewers[track]; n > st.Peak {
		st.Peak = n
		l.m.sessionPeak.WithLabelValues(track, id).Set(float64(n))
	}
}

// viewerDelta records a viewer of a track arriving (+1) or leaving (-1).
func (l *live) viewerDelta(track string, d int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.accumulateLocked(l.clock.Now())
	l.viewers[track] += d
	if id := l.nowIDs[track]; id != "" && d > 0 {
		l.notePeakLocked(track, id)
	}
}

// trackViewers are the viewers of each of the schedule's tracks now.
func (l *live) trackViewers() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	tracks := make(map[string]int, len(l.sched.Tracks))
	for _, t := range l.sched.Tracks {
		tracks[t.ID] = l.viewers[t.ID]
	}
	return tracks
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
		s.live.viewerDelta(track, d)
	}
	s.markViewersDirty()
}

// clockLoop is the one goroutine that sleeps until the schedule's next change
// (no polling, no per-second ticks), recomputes, and publishes. Admin changes
// wake it early so that it re-arms for the new next change.
func (s *Server) clockLoop(ctx context.Context) {
	for {
		next := s.live.refresh(s.clock.Now())
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
			s.publishViewers(msg)
			s.viewersMsg.Store(&msg)
			last = msg
			sent = time.Now()
		}
	}
}

// publishViewers sends a viewers message to the pages that show counts:
// every page with PublicViewerCounts, else the admin consoles only.
func (s *Server) publishViewers(msg []byte) {
	if s.cfg.PublicViewerCounts {
		s.hub.PublishAll(msg)
		return
	}
	s.hub.Publish(classAdmin, msg)
	s.hub.Publish(v2Topic(classAdmin), msg) // the consoles on protocol version 2 (delta.go)
}

// seesViewers reports whether a view is sent the viewer counts (see
// publishViewers).
func (s *Server) seesViewers(view string) bool {
	return view == "admin" || s.cfg.PublicViewerCounts
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
	tracks := s.live.trackViewers()
	total := s.viewerTotal.Load()
	if s.cluster != nil {
		total = s.cluster.Viewers(total, tracks) // plus the other instances'
	}
	return mustJSON(struct {
		Type   string         `json:"type"`
		Total  int64          `json:"total"`
		Tracks map[string]int `json:"tracks"`
	}{"viewers", total, tracks})
}

// markViewersDirty asks the viewers loop for a new viewers message.
func (s *Server) markViewersDirty() {
	select {
	case s.viewersDirty <- struct{}{}:
	default:
	}
}
