package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/confdash/confdash/schedule"
)

// Rooms: their status in the documents, and rooms that a reload renames or
// removes. A renamed room (the same GUID under a new slug) keeps its old id
// as an alias: pages redirect from it, the state and websocket accept it,
// and sockets opened under it before the rename keep receiving the room's
// state (live.refreshLocked). A removed room's sockets get one last state
// without their track, with the new schedule version: the page fetches the
// schedule document and says the room is gone.

// adoptSchedule runs sc (SetSchedule) and then, through the store so that
// it is saved and shared, moves the live changes of renamed rooms to their
// new ids and drops those of removed rooms (schedule.ReconcileRooms). It
// returns whether the schedule changed and a warning for each removed room
// whose delay, status or announcements were dropped.
func (s *Server) adoptSchedule(ctx context.Context, sc *schedule.Schedule) (bool, []schedule.Diagnostic) {
	old, adj := s.live.snapshot()
	if !s.SetSchedule(sc) {
		return false, nil
	}
	renames := schedule.Renames(old, sc)
	orphans := schedule.Orphans(sc, adj, renames)
	var warns []schedule.Diagnostic
	file := ""
	if s.cfg.Source != nil {
		file = s.cfg.Source.Location
	}
	for _, o := range orphans {
		d := schedule.Diagnostic{File: file, Field: "tracks", Message: orphanMessage(o)}
		warns = append(warns, d)
		s.log.Warn("schedule reload: "+d.Message, slog.String("track", o.Track))
	}
	for _, id := range slices.Sorted(maps.Keys(renames)) {
		s.log.Info("room renamed; its old id stays an alias", slog.String("from", id), slog.String("to", renames[id]))
	}
	if len(renames) == 0 && len(orphans) == 0 {
		return true, warns
	}
	if _, _, err := s.store.apply(ctx, ifMatch{}, schedule.ReconcileRooms(renames)); err != nil {
		msg := "the live changes of renamed and removed rooms were not moved (" + err.Error() + "): reload again, or set the delays and statuses again"
		s.log.Error("schedule reload: "+msg, slog.Any("err", err))
		warns = append(warns, schedule.Diagnostic{File: file, Field: "tracks", Message: msg})
	}
	return true, warns
}

// orphanMessage says what a removed room's reload dropped, and what to do.
func orphanMessage(o schedule.Orphan) string {
	var what []string
	if o.Delay != nil {
		what = append(what, fmt.Sprintf("its delay of %d minutes", o.Delay.Minutes))
	}
	if o.Status != nil {
		st := fmt.Sprintf("its status %q", o.Status.Status)
		if o.Status.MovedTo != "" {
			st += " (moved to " + quote(o.Status.MovedTo) + ", which is gone)"
		}
		what = append(what, st)
	}
	if o.Announcements > 0 {
		what = append(what, fmt.Sprintf("%d announcements for it", o.Announcements))
	}
	if o.Live > 0 {
		what = append(what, fmt.Sprintf("the live timing (started, ended) of %d of its sessions", o.Live))
	}
	return fmt.Sprintf("room %s is no longer in the schedule: %s were cleared; set them again on the room that takes its sessions", quote(o.Track), strings.Join(what, ", "))
}

// checkRoomEntries is checkState for the rooms' entries of the state file:
// statuses (checkStatus) and former ids (checkAlias).
func checkRoomEntries(sf rawStateFile, sc *schedule.Schedule, adj schedule.Adjustments, dropped []droppedEntry) (schedule.Adjustments, []droppedEntry) {
	for _, track := range slices.Sorted(maps.Keys(sf.Adjustments.Statuses)) {
		field := "adjustments.statuses." + quote(track)
		var st schedule.RoomStatus
		err := json.Unmarshal(sf.Adjustments.Statuses[track], &st)
		if err != nil {
			err = fmt.Errorf("not a room status (%v): it needs a status and a since instant in RFC 3339", err)
		} else {
			st, err = checkStatus(track, st, sc)
		}
		if err != nil {
			dropped = append(dropped, droppedEntry{clip(field), clip(err.Error())})
			continue
		}
		if adj.Statuses == nil {
			adj.Statuses = map[string]schedule.RoomStatus{}
		}
		adj.Statuses[track] = st
	}
	for _, old := range slices.Sorted(maps.Keys(sf.Adjustments.Aliases)) {
		cur := sf.Adjustments.Aliases[old]
		if err := checkAlias(old, cur, sc); err != nil {
			dropped = append(dropped, droppedEntry{clip("adjustments.aliases." + quote(old)), clip(err.Error())})
			continue
		}
		if adj.Aliases == nil {
			adj.Aliases = map[string]string{}
		}
		adj.Aliases[old] = cur
	}
	return adj, dropped
}

// statusDoc is a room's status in the state document's track: the
// organizer's, the moved-to room's name, and for a full room the other
// rooms whose session now shares a topic with its own (where its audience
// may go instead).
type statusDoc struct {
	schedule.RoomStatus
	MovedToName string     `json:"moved_to_name,omitempty"`
	Suggestions []trackRef `json:"suggestions,omitempty"`
}

type trackRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// newStatusDoc is the status of st.Tracks[i]; nil for an open room.
func newStatusDoc(st schedule.State, i int) *statusDoc {
	ts := st.Tracks[i]
	if ts.Status == nil {
		return nil
	}
	d := &statusDoc{RoomStatus: *ts.Status}
	d.Since = d.Since.UTC()
	for _, o := range st.Tracks {
		if o.Track.ID == ts.Status.MovedTo {
			d.MovedToName = o.Track.Name
		}
	}
	if ts.Status.Status != schedule.StatusFull {
		return d
	}
	mine := ts.Now
	if mine == nil {
		mine = ts.Next
	}
	if mine == nil || len(mine.Tags) == 0 {
		return d
	}
	for j, o := range st.Tracks {
		if j == i || o.Now == nil || o.Status != nil { // a full, closed or moved room is no alternative
			continue
		}
		if slices.ContainsFunc(o.Now.Tags, func(t string) bool { return slices.Contains(mine.Tags, t) }) {
			d.Suggestions = append(d.Suggestions, trackRef{ID: o.Track.ID, Name: o.Track.Name})
		}
	}
	return d
}

// scheduleTrackDoc is a track of the schedule document: the track and its
// status (nil when open).
type scheduleTrackDoc struct {
	schedule.Track
	Status *schedule.RoomStatus `json:"status,omitempty"`
}

func scheduleTracks(s *schedule.Schedule, adj schedule.Adjustments) []scheduleTrackDoc {
	out := make([]scheduleTrackDoc, len(s.Tracks))
	for i, t := range s.Tracks {
		out[i].Track = t
		if st, ok := adj.Statuses[t.ID]; ok {
			st.Since = st.Since.UTC()
			out[i].Status = &st
		}
	}
	return out
}
