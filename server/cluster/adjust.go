package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/confdash/confdash/schedule"
	"github.com/nats-io/nats.go/jetstream"
)

// The shared announcements and delays: compare-and-set writes, and the watch
// applying them.

// ErrUnavailable is a write refused because NATS is unreachable (or this
// instance has not caught up with it yet): the change would reach only this
// instance, so it is not made at all.
var ErrUnavailable = errors.New("NATS is unreachable")

// ConflictError is a compare-and-set that lost: the adjustments changed
// since the revision the write was based on (Based), and are now at
// Current.
type ConflictError struct{ Based, Current uint64 }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the shared adjustments changed since revision %d (now %d)", e.Based, e.Current)
}

// applyAdjustments makes adj, at revision rev, what this instance shows.
// During a watch's replay (force) the value is taken whatever its revision:
// after a NATS restart with lost storage revisions start again from 1.
func (cl *Cluster) applyAdjustments(rev uint64, adj schedule.Adjustments, force bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if rev <= cl.rev && !force {
		return // already shown (this instance's own write, echoed by the watch)
	}
	cl.rev, cl.adj = rev, adj
	cl.host.OnAdjustments(rev, adj)
}

// resetRevision follows a bucket that has no adjustments (new, or NATS lost
// its storage): the next write creates the key, on top of what this instance
// shows.
func (cl *Cluster) resetRevision() {
	cl.mu.Lock()
	cl.rev = 0
	cl.mu.Unlock()
}

// Apply makes an organizer's change: read-modify-write of the shared value
// by compare-and-set. The edit runs on the value this instance last saw;
// when the revision moved, a change without a condition (ifMatch false) is
// computed again on the newer value, and one based on revision want is a
// *ConflictError. Only a successful write is applied (here at once,
// elsewhere by the watch). It returns the new revision and adjustments; the
// edit's own error (an unknown track...) comes back as it is.
func (cl *Cluster) Apply(ctx context.Context, want uint64, ifMatch bool, edit schedule.Edit) (uint64, schedule.Adjustments, error) {
	kvp := cl.kv.Load()
	if kvp == nil || !cl.nc.IsConnected() {
		return 0, schedule.Adjustments{}, ErrUnavailable
	}
	kv := *kvp
	ctx, cancel := context.WithTimeout(ctx, clusterOpTimeout)
	defer cancel()

	cl.mu.Lock()
	base, rev := cl.adj, cl.rev
	cl.mu.Unlock()
	var err error
	if ifMatch && want != rev { // this instance may lag behind: ask NATS
		if base, rev, err = cl.latest(ctx, kv); err != nil {
			return 0, schedule.Adjustments{}, err
		}
		if want != rev {
			cl.conflicts.Inc()
			return 0, schedule.Adjustments{}, &ConflictError{Based: want, Current: rev}
		}
	}
	for attempt := 1; ; attempt++ {
		next, err := edit(cl.host.Schedule(), base, cl.host.Now())
		if err != nil {
			return 0, schedule.Adjustments{}, err // the request itself is wrong (unknown track...)
		}
		data := mustJSON(record{Version: recordVersion, Adjustments: next})
		newRev, err := kv.Update(ctx, keyAdjustments, data, rev)
		if err == nil {
			cl.applyAdjustments(newRev, next, false)
			return newRev, next, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			cl.log.Warn("admin write not shared", slog.Any("err", err))
			return 0, schedule.Adjustments{}, ErrUnavailable
		}
		cl.conflicts.Inc()
		based := rev
		if base, rev, err = cl.latest(ctx, kv); err != nil {
			return 0, schedule.Adjustments{}, err
		}
		if ifMatch || attempt == casAttempts {
			return 0, schedule.Adjustments{}, &ConflictError{Based: based, Current: rev}
		}
	}
}

// latest reads the current adjustments and their revision from NATS.
func (cl *Cluster) latest(ctx context.Context, kv jetstream.KeyValue) (schedule.Adjustments, uint64, error) {
	e, err := kv.Get(ctx, keyAdjustments)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		// Never written, or deleted by hand: the watch knows the revision of
		// the delete marker, if any.
		return schedule.Adjustments{}, cl.Revision(), nil
	}
	if err != nil {
		return schedule.Adjustments{}, 0, ErrUnavailable
	}
	var sf record
	if err := json.Unmarshal(e.Value(), &sf); err != nil {
		return schedule.Adjustments{}, 0, fmt.Errorf("the shared announcements and delays are unreadable: %w", err)
	}
	return sf.Adjustments, e.Revision(), nil
}
