package server

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/confdash/confdash/hub"
	"github.com/confdash/confdash/schedule"
)

// Protocol version 2 (docs/protocol.md): after one full state, a change
// reaches a page as one small delta per topic. Version 1 pages (no proto=2)
// keep their frames, unchanged, on the topics of audience.go; version 2 pages
// subscribe to a twin topic of their own (v2Topic), whose frames are built
// here, once per topic and change, from the documents the change produced.

const (
	protocolV1 = 1
	protocolV2 = 2
)

// v2Topic is the hub topic of the version 2 pages of a view's topic. The hub
// knows nothing of protocols: to it this is another topic.
func v2Topic(topic string) string { return topic + "@2" }

// wireDocs are the state documents of one refresh: each topic's document as
// encoded bytes (what GET /api/v1/state serves) and as the value it was
// encoded from (what deltas are computed from); topics whose documents have
// the same bytes share both. tracks holds each track's own encoding, by id,
// shared by every topic that lists the track.
type wireDocs struct {
	bytes  map[string][]byte
	docs   map[string]*stateDoc
	tracks map[string][]byte
}

// sessionRef is a session of a delta: the page holds the schedule document,
// where every session of the same schedule_version has the same title,
// speakers, abstract and the rest, so a delta names it by id and carries only
// what the schedule document may not have right yet (the estimates, what was
// said on stage, the change flag). On FOSDEM 2024 that is about 150 bytes
// instead of 1 to 3 KB (the abstracts).
type sessionRef struct {
	Ref          string     `json:"ref"`
	EstStart     time.Time  `json:"est_start"`
	EstEnd       time.Time  `json:"est_end"`
	DelayMinutes int        `json:"delay_minutes,omitempty"`
	Change       *changeDoc `json:"change,omitempty"`
	Live         *liveDoc   `json:"live,omitempty"`
}

func refOf(s *sessionDoc) *sessionRef {
	if s == nil {
		return nil
	}
	return &sessionRef{Ref: s.ID, EstStart: s.EstStart, EstEnd: s.EstEnd, DelayMinutes: s.DelayMinutes, Change: s.Change, Live: s.Live}
}

// trackDelta is a track of a delta: its state document with now and next as
// references.
type trackDelta = trackState[*sessionRef]

// deltaMsg is the version 2 change frame. Every field but type, seq, base and
// next_change is omitted when it did not change.
type deltaMsg struct {
	Type string `json:"type"` // "delta"
	Seq  uint64 `json:"seq"`
	Base uint64 `json:"base"` // the seq of the state this applies to
	// Tracks are the tracks whose document changed, in full but for their
	// sessions (sessionRef); the others stay as they are.
	Tracks []trackDelta `json:"tracks,omitempty"`
	// Added are the announcements new or edited (an edited one replaces the
	// one with its id, in place), Removed the ids of those gone. When the
	// resulting order would differ from the document's, Announcements
	// carries the whole list instead.
	Added         []schedule.Announcement  `json:"added,omitempty"`
	Removed       []string                 `json:"removed,omitempty"`
	Announcements *[]schedule.Announcement `json:"announcements,omitempty"`
	Pending       *[]schedule.Announcement `json:"pending,omitempty"` // the console's: the whole list, when it changed
	NextChange    *time.Time               `json:"next_change"`
}

// makeDelta is the delta from old to cur, the documents of one topic in two
// consecutive refreshes, where oldTracks and curTracks are the refreshes'
// track encodings. It returns false when only a full state will do: another
// schedule (version, conference) or another set or order of tracks.
func makeDelta(old, cur *stateDoc, oldTracks, curTracks map[string][]byte, seq, base uint64) (deltaMsg, bool) {
	d := deltaMsg{Type: "delta", Seq: seq, Base: base, NextChange: cur.NextChange}
	if old.ScheduleVersion != cur.ScheduleVersion || old.Conference != cur.Conference || len(old.Tracks) != len(cur.Tracks) {
		return d, false
	}
	for i := range cur.Tracks {
		t := &cur.Tracks[i]
		if old.Tracks[i].ID != t.ID {
			return d, false
		}
		if bytes.Equal(oldTracks[t.ID], curTracks[t.ID]) {
			continue
		}
		d.Tracks = append(d.Tracks, trackDelta{
			ID: t.ID, Name: t.Name, Now: refOf(t.Now), Next: refOf(t.Next),
			DelayMinutes: t.DelayMinutes, NextChange: t.NextChange, Timing: t.Timing, Status: t.Status,
		})
	}
	d.Added, d.Removed = diffAnnouncements(old.Announcements, cur.Announcements)
	if !slices.EqualFunc(applyAnnouncements(old.Announcements, d.Added, d.Removed), cur.Announcements, sameAnnouncementJSON) {
		all := cur.Announcements
		d.Added, d.Removed, d.Announcements = nil, nil, &all
	}
	if !slices.EqualFunc(old.Pending, cur.Pending, sameAnnouncementJSON) {
		p := cur.Pending
		if p == nil {
			p = []schedule.Announcement{}
		}
		d.Pending = &p
	}
	return d, true
}

// diffAnnouncements are the announcements of cur that old has not (or has
// otherwise), and the ids of old's that cur has not.
func diffAnnouncements(old, cur []schedule.Announcement) (added []schedule.Announcement, removed []string) {
	for _, a := range old {
		if !slices.ContainsFunc(cur, func(b schedule.Announcement) bool { return b.ID == a.ID }) {
			removed = append(removed, a.ID)
		}
	}
	for _, a := range cur {
		i := slices.IndexFunc(old, func(b schedule.Announcement) bool { return b.ID == a.ID })
		if i < 0 || !sameAnnouncementJSON(old[i], a) {
			added = append(added, a)
		}
	}
	return added, removed
}

// applyAnnouncements is what a page makes of a delta's announcements: the
// removed ones dropped, an edited one replaced in place, new ones appended.
// live.js does the same.
func applyAnnouncements(list, added []schedule.Announcement, removed []string) []schedule.Announcement {
	out := make([]schedule.Announcement, 0, len(list)+len(added))
	for _, a := range list {
		if !slices.Contains(removed, a.ID) {
			out = append(out, a)
		}
	}
	for _, a := range added {
		if i := slices.IndexFunc(out, func(b schedule.Announcement) bool { return b.ID == a.ID }); i >= 0 {
			out[i] = a
		} else {
			out = append(out, a)
		}
	}
	return out
}

func sameAnnouncementJSON(a, b schedule.Announcement) bool {
	return bytes.Equal(mustJSON(a), mustJSON(b))
}

// wrapStateV2 is the version 2 state message: the state document with the
// sequence number deltas count from.
func wrapStateV2(doc []byte, seq uint64) []byte {
	head := `{"type":"state","seq":` + strconv.FormatUint(seq, 10) + `,"state":`
	msg := make([]byte, 0, len(head)+len(doc)+1)
	msg = append(msg, head...)
	msg = append(msg, doc...)
	return append(msg, '}')
}

// deltaKey identifies a delta's bytes within one refresh: topics whose old
// and new documents are the same values (encodeStateDocs shares them) and
// that last changed at the same seq get the same frame.
type deltaKey struct {
	old, cur *stateDoc
	base     uint64
}

// v2Frames builds the version 2 frame of every topic whose document changed
// in a refresh and that has version 2 subscribers: a delta, or the full state
// when a delta cannot say the change or would be larger. Frames are encoded
// once per distinct (old, new, base) and shared.
type v2Frames struct {
	cache map[deltaKey][]byte
}

func (f *v2Frames) frame(old, cur *stateDoc, curBytes []byte, oldTracks, curTracks map[string][]byte, seq, base uint64) []byte {
	k := deltaKey{old, cur, base}
	if msg, ok := f.cache[k]; ok {
		return msg
	}
	var msg []byte
	if old != nil {
		if d, ok := makeDelta(old, cur, oldTracks, curTracks, seq, base); ok {
			msg = mustJSON(d)
		}
	}
	if msg == nil || len(msg) > len(curBytes) {
		msg = wrapStateV2(curBytes, seq)
	}
	if f.cache == nil {
		f.cache = map[deltaKey][]byte{}
	}
	f.cache[k] = msg
	return msg
}

// v2State is the live fields of protocol version 2, kept in live under its
// mutex: each topic's document and track encodings of the last refresh (the
// base of the next deltas), the seq of each topic's last change, and the
// version 2 state messages, encoded on first use after a change.
type v2State struct {
	seq     uint64               // the last refresh's
	docs    map[string]*stateDoc // topic -> the document of the last refresh
	tracks  map[string][]byte    // track id -> its encoding in the last refresh
	seqs    map[string]uint64    // topic -> seq of its last change
	states2 map[string][]byte    // topic -> version 2 state message
}

// publish sends the version 2 pages of topic, whose document changed in
// this refresh (wd, numbered seq), their frame. Called under live's mutex.
func (v *v2State) publish(h *hub.Hub, f *v2Frames, topic string, wd wireDocs) {
	base := v.seqs[topic]
	if v.seqs == nil {
		v.seqs = map[string]uint64{}
	}
	v.seqs[topic] = v.seq
	delete(v.states2, topic)
	// Nobody to tell: the next version 2 page of the topic starts from a
	// full state. Subscribing takes live's mutex too, so none can arrive
	// meanwhile.
	if h.Count(v2Topic(topic)) == 0 {
		return
	}
	h.Publish(v2Topic(topic), f.frame(v.docs[topic], wd.docs[topic], wd.bytes[topic], v.tracks, wd.tracks, v.seq, base))
}

// state is the version 2 state message of topic, whose version 1 message
// is v1. Called under live's mutex.
func (v *v2State) state(topic string, v1 []byte) []byte {
	if msg, ok := v.states2[topic]; ok {
		return msg
	}
	msg := wrapStateV2(docOfState(v1), v.seqs[topic])
	if v.states2 == nil {
		v.states2 = map[string][]byte{}
	}
	v.states2[topic] = msg
	return msg
}

// initial is the state message a new subscriber of hub topic t gets first:
// version 2's for a v2Topic. states are the version 1 messages by topic.
// Called under live's mutex.
func (v *v2State) initial(t string, states map[string][]byte) []byte {
	if base, ok := strings.CutSuffix(t, "@2"); ok {
		return v.state(base, states[base])
	}
	return states[t]
}
