package server

import (
	"slices"
	"strings"

	"github.com/confdash/confdash/schedule"
	"github.com/gofiber/fiber/v2"
)

// Delivery by audience. Every connection (and every GET /api/v1/state)
// belongs to one class of view, and every class sees only the announcements
// whose audience names it: a message for the speaker never reaches an
// attendee's browser, and nothing reaches the live stream unless asked for.
// The hub knows nothing of this: each (class, track) is a topic of its own,
// with a state document of its own, and announcement events are published
// to the topics of their audience only.
//
//	view=tab                  tab      (tab:ID with track=ID)
//	view=screen, no track     lobby
//	view=screen&track=ID      room:ID
//	view=stage&track=ID       stage:ID (a track is required)
//	view=overlay              stream   (stream:ID with track=ID)
//	view=admin                admin    (every announcement, and the pending ones)
const (
	classTab    = schedule.AudienceTab
	classLobby  = schedule.AudienceLobby
	classRoom   = schedule.AudienceRoom
	classStage  = schedule.AudienceStage
	classStream = schedule.AudienceStream
	classAdmin  = "admin"
)

// topic is a class's topic for one track, or for the whole conference when
// track is empty.
func topic(class, track string) string {
	if track == "" {
		return class
	}
	return class + ":" + track
}

// perTrackClasses have a topic per track, wholeClasses one for the whole
// conference (the lobby shows every room; the console every track).
var (
	perTrackClasses = []string{classRoom, classStage, classStream, classTab}
	wholeClasses    = []string{classLobby, classStream, classTab, classAdmin}
)

// viewTopic is the topic of a view (a ws or GET /api/v1/state view= value)
// on track ("" for the whole conference), or an error saying what to send.
// The track itself is checked by the caller.
func viewTopic(view, track string) (string, error) {
	switch view {
	case "tab":
		return topic(classTab, track), nil
	case "screen":
		if track == "" {
			return classLobby, nil
		}
		return topic(classRoom, track), nil
	case "stage":
		if track == "" {
			return "", apiError(fiber.StatusBadRequest, "track_required", "view=stage shows one stage: add track=ID (a track id of the schedule)")
		}
		return topic(classStage, track), nil
	case "overlay":
		return topic(classStream, track), nil
	case "admin":
		// The console sees every track.
		return classAdmin, nil
	}
	return "", apiError(fiber.StatusBadRequest, "bad_view", "view must be one of tab, screen, stage, overlay, admin")
}

// announcementTopics are the topics an announcement is delivered to: the
// console's, and for each class of its audience the topics of its track
// (every track's when it has none) and the class's whole-conference topic.
// The lobby shows every room's announcements, as it always has.
func announcementTopics(a schedule.Announcement, tracks []schedule.Track) []string {
	out := []string{classAdmin}
	for _, class := range a.Audience {
		if slices.Contains(wholeClasses, class) {
			out = append(out, class)
		}
		if !slices.Contains(perTrackClasses, class) {
			continue
		}
		if a.Track != "" {
			out = append(out, topic(class, a.Track))
			continue
		}
		for _, t := range tracks {
			out = append(out, topic(class, t.ID))
		}
	}
	return out
}

// shows reports whether the topic's document lists announcement a (the
// console's lists them all).
func shows(topicName string, a schedule.Announcement) bool {
	class, track, _ := strings.Cut(topicName, ":")
	if class == classAdmin {
		return true
	}
	return a.For(class) && (track == "" || a.Track == "" || a.Track == track)
}
