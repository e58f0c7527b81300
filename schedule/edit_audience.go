package schedule

import (
	"slices"
	"time"
)

// An announcement's audience is the set of views that show it. The server
// delivers it to those views only (a message for the speaker never reaches
// an attendee's browser, a fire-alarm test never reaches the live stream).
const (
	AudienceRoom   = "room"   // a room's screens (/screen/{track})
	AudienceLobby  = "lobby"  // the lobby screens (/screen)
	AudienceStage  = "stage"  // the confidence monitor facing the speaker (/stage/{track})
	AudienceStream = "stream" // the live stream's overlay (/overlay/{track})
	AudienceTab    = "tab"    // attendees' browsers (/)
)

// Audiences are the audience names in the order the protocol lists them.
var Audiences = []string{AudienceRoom, AudienceLobby, AudienceStage, AudienceStream, AudienceTab}

// DefaultAudience is who sees an announcement that names no audience: the
// venue and the attendees, never the live stream nor the speaker's monitor
// unless asked for.
func DefaultAudience() []string { return []string{AudienceRoom, AudienceLobby, AudienceTab} }

// Level is how insistently an announcement is shown.
type Level string

const (
	LevelInfo      Level = "info"      // the default: shown in its band
	LevelUrgent    Level = "urgent"    // highlighted
	LevelEmergency Level = "emergency" // takes over every targeted screen while it shows
)

// Levels are the levels in increasing insistence.
var Levels = []Level{LevelInfo, LevelUrgent, LevelEmergency}

// For reports whether audience is among a's.
func (a Announcement) For(audience string) bool { return slices.Contains(a.Audience, audience) }

// Normalized is an with what a caller left out filled in (the default
// audience, level info) and the audience in the order of Audiences without
// repeats, so that equal audiences are equal slices. AddAnnouncement stores
// announcements so; a state file written before audiences existed is read
// so.
func (an Announcement) Normalized() Announcement {
	if len(an.Audience) == 0 {
		an.Audience = DefaultAudience()
	} else {
		var aud []string
		for _, name := range Audiences {
			if slices.Contains(an.Audience, name) {
				aud = append(aud, name)
			}
		}
		an.Audience = aud
	}
	if an.Level == "" {
		an.Level = LevelInfo
	}
	return an
}

// scheduleAnnouncement sets an's times for a post at now: created now,
// appearing at StartsAt when that is still ahead (else now), and expiring
// ttl after it appears (a scheduled "Q&A now" for 5 minutes shows for 5
// minutes whenever it starts).
func scheduleAnnouncement(an Announcement, ttl time.Duration, now time.Time) Announcement {
	an.Created = now
	if an.StartsAt != nil {
		if !an.StartsAt.After(now) {
			an.StartsAt = nil
		} else {
			at := *an.StartsAt
			an.StartsAt = &at
		}
	}
	an.Expires = nil
	if ttl > 0 {
		exp := an.Shown().Add(ttl)
		an.Expires = &exp
	}
	return an
}
