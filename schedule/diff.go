package schedule

import (
	"sort"
	"strings"
	"time"
)

// ChangeKind says what happened to a session between two versions, as the
// state's session "change" flag and the admin console's list of changes
// name it (docs/protocol.md).
type ChangeKind string

const (
	ChangeMoved     ChangeKind = "moved"     // its time changed (and maybe its room)
	ChangeRoom      ChangeKind = "room"      // only its room changed
	ChangeCancelled ChangeKind = "cancelled" // gone from the new version
	ChangeNew       ChangeKind = "new"       // not in the old version
	ChangeRetitled  ChangeKind = "retitled"  // only its title changed
)

// Change is one difference between two versions of a schedule, as a screen
// says it: "moved to 14:30", "now in Saal 2", "cancelled". Track fields are
// track ids. For a cancelled session, Track, Start and End are its last
// known ones; Previous* fields are set only for what changed.
type Change struct {
	Type          ChangeKind `json:"type"`
	SessionID     string     `json:"session_id"`
	Title         string     `json:"title"`
	PreviousTitle string     `json:"previous_title,omitempty"`
	Track         string     `json:"track"`
	PreviousTrack string     `json:"previous_track,omitempty"`
	Start         time.Time  `json:"start"`
	PreviousStart time.Time  `json:"previous_start,omitzero"`
	End           time.Time  `json:"end"`
	PreviousEnd   time.Time  `json:"previous_end,omitzero"`
}

// Diff lists what changed from old to new, one Change per session at most,
// sorted by start. Sessions are matched by id; those whose id changed (a
// source that renumbers, or ids derived from room and start) are matched by
// title and speakers, nearest start first. A session whose time changed is
// "moved" even if its room changed too (PreviousTrack then says so); one
// that only changed room is "room"; one that only changed title is
// "retitled". Other edits (abstract, speakers) are not changes a screen
// announces.
func Diff(old, new *Schedule) []Change {
	var olds, news []Session
	if old != nil {
		olds = old.Sessions
	}
	if new != nil {
		news = new.Sessions
	}
	matchOld := make([]int, len(news)) // index into olds, or -1
	usedOld := make([]bool, len(olds))
	byID := make(map[string]int, len(olds))
	for i, s := range olds {
		if _, dup := byID[s.ID]; !dup {
			byID[s.ID] = i
		}
	}
	for i, s := range news {
		matchOld[i] = -1
		if j, ok := byID[s.ID]; ok && !usedOld[j] {
			matchOld[i], usedOld[j] = j, true
		}
	}
	// Fallback: title and speakers, for the sessions left on both sides.
	byKey := map[string][]int{}
	for j, s := range olds {
		if !usedOld[j] {
			k := diffKey(s)
			byKey[k] = append(byKey[k], j)
		}
	}
	for i, s := range news {
		if matchOld[i] >= 0 {
			continue
		}
		cands := byKey[diffKey(s)]
		best := -1
		for _, j := range cands {
			if usedOld[j] {
				continue
			}
			if best < 0 || diffAbs(olds[j].Start.Sub(s.Start)) < diffAbs(olds[best].Start.Sub(s.Start)) {
				best = j
			}
		}
		if best >= 0 {
			matchOld[i], usedOld[best] = best, true
		}
	}

	var out []Change
	for i, n := range news {
		j := matchOld[i]
		if j < 0 {
			out = append(out, Change{Type: ChangeNew, SessionID: n.ID, Title: n.Title, Track: n.Track, Start: n.Start, End: n.End})
			continue
		}
		o := olds[j]
		c := Change{SessionID: n.ID, Title: n.Title, Track: n.Track, Start: n.Start, End: n.End}
		if o.Track != n.Track {
			c.PreviousTrack = o.Track
		}
		if o.Title != n.Title {
			c.PreviousTitle = o.Title
		}
		timeChanged := !o.Start.Equal(n.Start) || !o.End.Equal(n.End)
		if timeChanged {
			c.PreviousStart, c.PreviousEnd = o.Start, o.End
		}
		switch {
		case timeChanged:
			c.Type = ChangeMoved
		case o.Track != n.Track:
			c.Type = ChangeRoom
		case o.Title != n.Title:
			c.Type = ChangeRetitled
		default:
			continue
		}
		out = append(out, c)
	}
	for j, o := range olds {
		if !usedOld[j] {
			out = append(out, Change{Type: ChangeCancelled, SessionID: o.ID, Title: o.Title, Track: o.Track, Start: o.Start, End: o.End})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].Start.Equal(out[b].Start) {
			return out[a].Start.Before(out[b].Start)
		}
		return out[a].SessionID < out[b].SessionID
	})
	return out
}

// diffKey identifies a session without its id: its title and speakers,
// ignoring case and spacing.
func diffKey(s Session) string {
	names := make([]string, len(s.Speakers))
	for i, sp := range s.Speakers {
		names[i] = diffNorm(sp.Name)
	}
	sort.Strings(names)
	return diffNorm(s.Title) + "\x00" + strings.Join(names, "\x00")
}

func diffNorm(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

func diffAbs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
