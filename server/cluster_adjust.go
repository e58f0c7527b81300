package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go/jetstream"
)

// The shared announcements and delays: compare-and-set writes, the watch
// applying them, and what admin clients see of revisions (ETag, If-Match,
// 409, 503).

// errClusterUnavailable is answered as 503: the change would reach only this
// instance, so it is not made at all.
var errClusterUnavailable = errors.New("NATS is unreachable, so the change could not be shared with the other instances and was not applied; viewers keep the last known state. Try again when /readyz reports \"ready\"")

// conflictError is a compare-and-set that lost: someone else changed the
// adjustments since the revision the write was based on. Answered as 409.
type conflictError struct{ based, current uint64 }

func (e conflictError) Error() string {
	return fmt.Sprintf("the announcements and delays changed since revision %d (now %d), probably by another organizer: "+
		"look at the current state, then send the change again with If-Match: %s", e.based, e.current, etag(e.current))
}

func etag(rev uint64) string { return `"` + strconv.FormatUint(rev, 10) + `"` }

// applyAdjustments makes adj, at revision rev, what this instance shows: the
// announcement events a single instance would have sent, then the state.
func (cl *cluster) applyAdjustments(rev uint64, adj schedule.Adjustments, force bool) {
	s := cl.s
	l := &s.live
	l.mu.Lock()
	defer l.mu.Unlock()
	if rev <= cl.rev && !force {
		return // already shown (this instance's own write, echoed by the watch)
	}
	cl.rev = rev
	old := l.adj
	l.adj = adj
	s.publishAnnouncementEvents(old, adj)
	s.setScheduleMetrics(l.sched, adj)
	s.refreshLocked(s.clock.Now(), true)
	s.wakeClock()
}

// resetRevision follows a bucket that has no adjustments (new, or NATS lost
// its storage): the next write creates the key, on top of what this instance
// shows.
func (cl *cluster) resetRevision() {
	cl.s.live.mu.Lock()
	cl.rev = 0
	cl.s.live.mu.Unlock()
}

// update is updateAdjustments in cluster mode: read-modify-write of the
// shared value by compare-and-set. The change is computed by f on the value
// this instance last saw; when the revision moved, a request without
// If-Match is computed again on the newer value, and one with If-Match gets a
// conflict. Only a successful write is applied (here at once, elsewhere by
// the watch).
func (cl *cluster) update(c *fiber.Ctx, f func(l *live, now time.Time) error) error {
	kvp := cl.kv.Load()
	if kvp == nil || !cl.nc.IsConnected() {
		return errClusterUnavailable
	}
	kv := *kvp
	want, hasIfMatch, err := ifMatch(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()

	l := &cl.s.live
	l.mu.Lock()
	base, rev := l.adj, cl.rev
	l.mu.Unlock()
	if hasIfMatch && want != rev { // this instance may lag behind: ask NATS
		if base, rev, err = cl.latest(ctx, kv); err != nil {
			return err
		}
		if want != rev {
			cl.conflicts.Inc()
			return conflictError{based: want, current: rev}
		}
	}
	for attempt := 1; ; attempt++ {
		next, err := cl.prepare(base, f)
		if err != nil {
			return err // the request itself is wrong (unknown track...)
		}
		data := mustJSON(stateFile{Version: stateFileVersion, Adjustments: next})
		newRev, err := kv.Update(ctx, keyAdjustments, data, rev)
		if err == nil {
			cl.applyAdjustments(newRev, next, false)
			if c != nil {
				c.Set(fiber.HeaderETag, etag(newRev))
			}
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			cl.log.Warn("admin write not shared", slog.Any("err", err))
			return errClusterUnavailable
		}
		cl.conflicts.Inc()
		based := rev
		if base, rev, err = cl.latest(ctx, kv); err != nil {
			return err
		}
		if hasIfMatch || attempt == casAttempts {
			return conflictError{based: based, current: rev}
		}
	}
}

// prepare runs f on a copy of the live state whose adjustments are base,
// and returns the adjustments f made; the live state is left as it was.
func (cl *cluster) prepare(base schedule.Adjustments, f func(l *live, now time.Time) error) (schedule.Adjustments, error) {
	l := &cl.s.live
	l.mu.Lock()
	defer l.mu.Unlock()
	now := cl.s.clock.Now()
	shown := l.adj
	l.adj = base.Prune(now)
	err := f(l, now)
	next := l.adj
	l.adj = shown
	return next, err
}

// latest reads the current adjustments and their revision from NATS.
func (cl *cluster) latest(ctx context.Context, kv jetstream.KeyValue) (schedule.Adjustments, uint64, error) {
	e, err := kv.Get(ctx, keyAdjustments)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		// Never written, or deleted by hand: the watch knows the revision of
		// the delete marker, if any.
		return schedule.Adjustments{}, cl.revision(), nil
	}
	if err != nil {
		return schedule.Adjustments{}, 0, errClusterUnavailable
	}
	var sf stateFile
	if err := json.Unmarshal(e.Value(), &sf); err != nil {
		return schedule.Adjustments{}, 0, fmt.Errorf("the shared announcements and delays are unreadable: %w", err)
	}
	return sf.Adjustments, e.Revision(), nil
}

// ifMatch reads an optional If-Match: "<revision>" (quotes optional; "*"
// means no condition).
func ifMatch(c *fiber.Ctx) (uint64, bool, error) {
	if c == nil {
		return 0, false, nil
	}
	h := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	if h == "" || h == "*" {
		return 0, false, nil
	}
	rev, err := strconv.ParseUint(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil {
		return 0, false, badIfMatchError(keep(h))
	}
	return rev, true, nil
}

type badIfMatchError string

func (e badIfMatchError) Error() string {
	return "If-Match " + quote(string(e)) + " is not a revision: send the ETag of the last answer, such as If-Match: \"42\", or no If-Match"
}

// clusterError answers the errors of cluster writes in the project's error
// shape; ok is false for other errors.
func (s *Server) clusterError(c *fiber.Ctx, err error) (bool, error) {
	var ce conflictError
	var be badIfMatchError
	switch {
	case errors.As(err, &ce):
		c.Set(fiber.HeaderETag, etag(ce.current))
		return true, apiError(c, fiber.StatusConflict, "conflict", ce.Error())
	case errors.As(err, &be):
		return true, apiError(c, fiber.StatusBadRequest, "bad_if_match", be.Error())
	case errors.Is(err, errClusterUnavailable):
		c.Set(fiber.HeaderRetryAfter, "5")
		return true, apiError(c, fiber.StatusServiceUnavailable, "nats_unavailable", err.Error())
	}
	return false, err
}

// clusterAdmin guards the admin API in cluster mode: writes are refused
// while NATS is unreachable (they would reach this instance only), and every
// answer carries the adjustments' revision as ETag, for If-Match.
func (s *Server) clusterAdmin(c *fiber.Ctx) error {
	cl := s.cluster
	if cl == nil {
		return c.Next()
	}
	if _, _, err := ifMatch(c); err != nil {
		_, err = s.clusterError(c, err)
		return err
	}
	if c.Method() != fiber.MethodGet && !cl.ready() {
		_, err := s.clusterError(c, errClusterUnavailable)
		return err
	}
	err := c.Next()
	if len(c.Response().Header.Peek(fiber.HeaderETag)) == 0 {
		c.Set(fiber.HeaderETag, etag(cl.revision()))
	}
	return err
}
