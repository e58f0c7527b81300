package cluster

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The cluster's viewer counts: each instance publishes its own under its
// own key, and adds the others' to what it shows.

// viewerCounts are what one instance publishes: its total and per-track
// viewers (the same numbers as its own viewers message).
type viewerCounts struct {
	Total  int64          `json:"total"`
	Tracks map[string]int `json:"tracks,omitempty"`
}

type remoteCounts struct {
	viewerCounts
	seen time.Time // when this instance last received them
}

// allTracks is the cluster gauge's label for the viewers of pages that watch
// no track in particular (the server's topic of all tracks).
const allTracks = "all"

// Viewers adds the other instances' counts to this instance's (total, and
// tracks in place), records this instance's for publishing, and sets the
// cluster gauge. It returns the cluster's total.
func (cl *Cluster) Viewers(total int64, tracks map[string]int) int64 {
	mine := viewerCounts{Total: total, Tracks: map[string]int{}}
	for t, n := range tracks {
		if n != 0 {
			mine.Tracks[t] = n
		}
	}
	cl.vmu.Lock()
	changed := !equalCounts(mine, cl.local)
	cl.local = mine
	for _, r := range cl.remote {
		total += r.Total
		for t, n := range r.Tracks {
			if _, ok := tracks[t]; ok {
				tracks[t] += n
			}
		}
	}
	cl.vmu.Unlock()
	if changed {
		select {
		case cl.viewersSignal <- struct{}{}:
		default:
		}
	}
	rest := total
	for t, n := range tracks {
		cl.viewersGauge.WithLabelValues(t).Set(float64(n))
		rest -= int64(n)
	}
	cl.viewersGauge.WithLabelValues(allTracks).Set(float64(rest))
	cl.vmu.Lock()
	for t := range cl.gaugeTracks { // tracks a reload removed
		if _, ok := tracks[t]; !ok {
			cl.viewersGauge.DeleteLabelValues(t)
			delete(cl.gaugeTracks, t)
		}
	}
	for t := range tracks {
		cl.gaugeTracks[t] = true
	}
	cl.vmu.Unlock()
	return total
}

func equalCounts(a, b viewerCounts) bool {
	return a.Total == b.Total && maps.Equal(a.Tracks, b.Tracks)
}

// applyViewers records another instance's counts (or its leaving). The nil
// that ends the watch's replay drops instances the replay did not mention:
// they left while this instance was disconnected.
func (cl *Cluster) applyViewers(e jetstream.KeyValueEntry, replayStarted time.Time) {
	changed := false
	cl.vmu.Lock()
	switch {
	case e == nil:
		for id, r := range cl.remote {
			if r.seen.Before(replayStarted) {
				delete(cl.remote, id)
				changed = true
			}
		}
	case !strings.HasPrefix(e.Key(), viewersKeyPfx):
	case e.Key() == viewersKeyPfx+cl.cfg.InstanceID:
		// This instance's own counts are taken fresh, not from the bucket.
	case e.Operation() != jetstream.KeyValuePut:
		_, changed = cl.remote[strings.TrimPrefix(e.Key(), viewersKeyPfx)]
		delete(cl.remote, strings.TrimPrefix(e.Key(), viewersKeyPfx))
	default:
		var vc viewerCounts
		if err := json.Unmarshal(e.Value(), &vc); err != nil {
			break
		}
		id := strings.TrimPrefix(e.Key(), viewersKeyPfx)
		old, ok := cl.remote[id]
		changed = !ok || !equalCounts(old.viewerCounts, vc)
		cl.remote[id] = remoteCounts{viewerCounts: vc, seen: time.Now()}
	}
	cl.vmu.Unlock()
	if changed {
		cl.host.ViewersChanged()
	}
}

// expireViewers drops instances that stopped writing their counts without
// saying goodbye (a crash): the bucket expires their key without telling
// watchers. It runs only while connected, so an outage keeps the last known
// counts.
func (cl *Cluster) expireViewers(now time.Time) {
	changed := false
	cl.vmu.Lock()
	for id, r := range cl.remote {
		if now.Sub(r.seen) > viewersTTL {
			delete(cl.remote, id)
			changed = true
		}
	}
	cl.vmu.Unlock()
	if changed {
		cl.host.ViewersChanged()
	}
}

// Instances lists the other instances whose viewer counts are summed.
func (cl *Cluster) Instances() []string {
	cl.vmu.Lock()
	defer cl.vmu.Unlock()
	return slices.Sorted(maps.Keys(cl.remote))
}
