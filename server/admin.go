package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/gofiber/fiber/v2"
)

// The organizers' changes. Each handler decodes its request, builds a
// schedule.Edit and hands it to the store (store.go: the state file, or the
// cluster), which saves it with compare-and-set on a revision and shows it
// through live.onAdjustments; errors go to toAPIErr. Every admin answer
// carries the revision as ETag, and a write may send it back as If-Match:
// a stale one answers 409 and changes nothing.

// adminRevision runs around every admin call: a malformed If-Match is
// refused (400) before anything runs, a write while the store cannot save
// (a cluster without NATS) is refused (503) since it would reach this
// instance only, and every answer carries the current revision as ETag
// unless the handler set the new one.
func (s *Server) adminRevision(c *fiber.Ctx) error {
	if _, err := parseIfMatch(c); err != nil {
		return err
	}
	if c.Method() != fiber.MethodGet && !s.store.ready() {
		return errStoreUnavailable
	}
	err := c.Next()
	if len(c.Response().Header.Peek(fiber.HeaderETag)) == 0 {
		c.Set(fiber.HeaderETag, etag(s.store.revision()))
	}
	return err
}

// parseIfMatch reads an optional If-Match: "<revision>" (quotes optional;
// "*" means no condition).
func parseIfMatch(c *fiber.Ctx) (ifMatch, error) {
	h := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	if h == "" || h == "*" {
		return ifMatch{}, nil
	}
	rev, err := strconv.ParseUint(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil {
		return ifMatch{}, apiError(fiber.StatusBadRequest, "bad_if_match",
			"If-Match "+quote(h)+" is not a revision: send the ETag of the last answer, such as If-Match: \"42\", or no If-Match")
	}
	return ifMatch{rev: rev, set: true}, nil
}

// applyEdit hands an organizer's change to the store, on the condition of
// the request's If-Match, and answers the new revision as ETag.
func (s *Server) applyEdit(c *fiber.Ctx, edit schedule.Edit) (schedule.Adjustments, error) {
	cond, err := parseIfMatch(c)
	if err != nil {
		return schedule.Adjustments{}, err
	}
	rev, adj, err := s.store.apply(c.UserContext(), cond, edit)
	if err != nil {
		return schedule.Adjustments{}, err
	}
	c.Set(fiber.HeaderETag, etag(rev))
	return adj, nil
}

func (s *Server) postAnnouncement(c *fiber.Ctx) error {
	req, err := parseAnnouncement(c.Body(), s.clock.Now())
	if err != nil {
		return err
	}
	var id [6]byte
	rand.Read(id[:])
	ann := schedule.Announcement{
		ID: hex.EncodeToString(id[:]), Text: req.Text, Track: keep(req.Track),
		Audience: req.Audience, Level: req.Level, StartsAt: req.StartsAt,
	}
	adj, err := s.applyEdit(c, schedule.AddAnnouncement(ann, time.Duration(req.TTLSeconds)*time.Second))
	if err != nil {
		return err
	}
	ann, _ = findAnnouncement(adj, ann.ID)
	s.log.Info("announcement posted", slog.String("id", ann.ID), slog.String("track", ann.Track),
		slog.Any("audience", ann.Audience), slog.String("level", string(ann.Level)), slog.Time("shown", ann.Shown()))
	return c.Status(fiber.StatusCreated).JSON(ann)
}

func (s *Server) deleteAnnouncement(c *fiber.Ctx) error {
	if _, err := s.applyEdit(c, schedule.RemoveAnnouncement(keep(c.Params("id")))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) postDelay(c *fiber.Ctx) error {
	track := keep(c.Params("track"))
	minutes, err := parseDelay(c.Body())
	if err != nil {
		return err
	}
	return s.applyTiming(c, track, "delay set", schedule.SetDelay(track, minutes))
}

// postStarted and postEnded say the session on stage of a track started or
// ended now (docs/live-timing.md). The body is an empty object.
func (s *Server) postStarted(c *fiber.Ctx) error {
	track := keep(c.Params("track"))
	if err := parseEmpty(c.Body()); err != nil {
		return err
	}
	return s.applyTiming(c, track, "session started", schedule.Started(track))
}

func (s *Server) postEnded(c *fiber.Ctx) error {
	track := keep(c.Params("track"))
	if err := parseEmpty(c.Body()); err != nil {
		return err
	}
	return s.applyTiming(c, track, "session ended", schedule.Ended(track))
}

// applyTiming applies a live-timing edit of track and answers the track's
// updated timing (encodeTrackTiming).
func (s *Server) applyTiming(c *fiber.Ctx, track, what string, edit schedule.Edit) error {
	adj, err := s.applyEdit(c, edit)
	if err != nil {
		return err
	}
	doc := encodeTrackTiming(s.live.schedule(), adj, track, s.clock.Now())
	s.log.Info(what, slog.String("track", track), slog.Int("delay_minutes", doc.DelayMinutes))
	return c.JSON(doc)
}

// postStatus sets a room's status (open clears it); the answer is the
// room's status as screens show it.
func (s *Server) postStatus(c *fiber.Ctx) error {
	track := keep(c.Params("track"))
	st, err := parseStatus(c.Body())
	if err != nil {
		return err
	}
	st.Note, st.MovedTo = keep(st.Note), keep(st.MovedTo)
	adj, err := s.applyEdit(c, schedule.SetStatus(track, st))
	if err != nil {
		return err
	}
	s.log.Info("room status set", slog.String("track", track), slog.String("status", string(st.Status)))
	resp := fiber.Map{"track": track, "status": schedule.StatusOpen}
	if cur, ok := adj.Statuses[track]; ok {
		resp["status"], resp["since"] = cur.Status, cur.Since.UTC()
		if cur.Note != "" {
			resp["note"] = cur.Note
		}
		if cur.MovedTo != "" {
			resp["moved_to"] = cur.MovedTo
		}
	}
	return c.JSON(resp)
}

// postReload reads the schedule's source again and runs it if it is sound
// (in a cluster, through NATS: SetSchedule); a source that cannot be read or
// has errors leaves the running schedule as it is. It changes no
// adjustments, so their revision stays.
func (s *Server) postReload(c *fiber.Ctx) error {
	src := s.cfg.Source
	if src == nil {
		return apiError(fiber.StatusConflict, "no_schedule_file", errNoSchedulePath.Error())
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	src.Forget() // an explicit reload reads the whole source again
	sc, warns, err := src.Load(c.UserContext())
	if err != nil && sc == nil {
		s.log.Warn("schedule reload refused; the running schedule stays", slog.String("source", src.Location), slog.Any("err", err))
		var se *SourceError
		if errors.As(err, &se) {
			s.m.reloads.WithLabelValues("failed").Inc()
			return apiError(fiber.StatusBadGateway, "source_unavailable", "the schedule could not be read; the running schedule stays: "+err.Error())
		}
		s.m.reloads.WithLabelValues("invalid").Inc()
		errs := schedule.Errors{}
		if !errors.As(err, &errs) {
			errs = schedule.Errors{{File: src.Location, Message: err.Error()}}
		}
		ae := apiError(fiber.StatusUnprocessableEntity, "invalid_schedule", "the schedule has errors; the running schedule stays. Fix them and reload:\n"+err.Error())
		ae.Details = schedule.CapDiagnostics(errs) // the first ones and a count: a file can hold thousands
		return ae
	}
	changed, moved := s.adoptSchedule(c.UserContext(), sc)
	warns = append(warns, moved...)
	if warns == nil {
		warns = []schedule.Diagnostic{}
	}
	return c.JSON(fiber.Map{"schedule_version": sc.Version, "changed": changed, "warnings": schedule.CapDiagnostics(warns)})
}
