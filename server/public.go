package server

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/gofiber/fiber/v2"
)

// The public reads: anyone may ask, nothing changes.

func (s *Server) readyz(c *fiber.Ctx) error {
	if s.ctx.Err() != nil {
		return apiError(fiber.StatusServiceUnavailable, "shutting_down", "the server is shutting down")
	}
	v := s.live.schedule().Version
	if s.cluster != nil && !s.cluster.Ready() {
		// 200, not 503: a load balancer must keep sending viewers to an
		// instance that serves the last known state while NATS is away.
		return c.JSON(fiber.Map{"status": "degraded", "schedule_version": v, "reason": s.cluster.Status()})
	}
	return c.JSON(fiber.Map{"status": "ready", "schedule_version": v})
}

// getState serves the pre-encoded state document of a view (view=, tab by
// default; see audience.go): no encoding per request.
func (s *Server) getState(c *fiber.Ctx) error {
	track := c.Query("track")
	if track != "" {
		id, ok := s.live.resolveTrack(track) // a renamed room's former id too
		if !ok {
			return unknownTrack(track)
		}
		track = id
	}
	view := c.Query("view", "tab")
	if view == "admin" {
		// The console's state (pending announcements, crew notes) is the
		// organizers', as on its websocket (ws.go).
		if err := s.checkAdmin(c, c.Get(fiber.HeaderAuthorization), sendBearer); err != nil {
			return err
		}
	}
	topic, err := viewTopic(view, track)
	if err != nil {
		return err
	}
	msg, ok := s.live.state(topic)
	if !ok {
		return unknownTrack(c.Query("track"))
	}
	doc := docOfState(msg)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(doc)
}

func (s *Server) getSchedule(c *fiber.Ctx) error {
	doc := s.live.compressedScheduleDoc()
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return doc.send(c)
}

// getICS serves the calendar to subscribe to (ics.go): ?track=ID (a
// renamed room's former id too), ?sessions=ID,ID,... (unknown ids left
// out), both (the sessions of that track), or neither (every session).
func (s *Server) getICS(c *fiber.Ctx) error {
	var q icsQuery
	if track := c.Query("track"); track != "" {
		id, ok := s.live.resolveTrack(track)
		if !ok {
			return apiError(fiber.StatusNotFound, "unknown_track", "no track "+quote(track)+" in the schedule")
		}
		q.track = keep(id) // the id becomes a map key
	}
	if c.Request().URI().QueryArgs().Has("sessions") {
		ids, err := parseICSSessions(c.Query("sessions"))
		if err != nil {
			return err
		}
		q.sessions = ids
	}
	doc, err := s.live.icsFeeds().feed(q)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache") // revalidated: the feed changes with every delay
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="schedule.ics"`)
	return doc.send(c)
}

func (s *Server) getChanges(c *fiber.Ctx) error {
	changes := s.live.recentChanges()
	if changes == nil {
		changes = []schedule.Change{}
	}
	return c.JSON(fiber.Map{"changes": changes})
}

type reportRow struct {
	Track         string    `json:"track"`
	Session       string    `json:"session"`
	Title         string    `json:"title"`
	Start         time.Time `json:"start"`
	PeakViewers   int       `json:"peak_viewers"`
	ViewerMinutes float64   `json:"viewer_minutes"`
	DelayMinutes  int       `json:"delay_minutes"`
}

func (s *Server) getReport(c *fiber.Ctx) error {
	rows := s.live.report(s.clock.Now())
	if c.Query("format") != "csv" {
		return c.JSON(fiber.Map{"sessions": rows})
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"track", "session", "title", "start", "peak_viewers", "viewer_minutes", "delay_minutes"})
	for _, r := range rows {
		w.Write([]string{csvText(r.Track), csvText(r.Session), csvText(r.Title), r.Start.Format(time.RFC3339), strconv.Itoa(r.PeakViewers),
			strconv.FormatFloat(r.ViewerMinutes, 'f', 1, 64), strconv.Itoa(r.DelayMinutes)})
	}
	w.Flush()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="confdash-report.csv"`)
	return c.Send(buf.Bytes())
}

// csvText makes a cell of text from the schedule (a title, an id) inert in
// a spreadsheet: one starting with =, +, -, @, a tab or a carriage return
// would be read as a formula (=HYPERLINK(...) in a talk's title), so it gets
// a leading apostrophe, as the OWASP guidance on CSV injection says. The
// numbers and instants the report writes itself are never passed here and
// stay numbers.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
