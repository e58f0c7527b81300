package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/server/cluster"
)

// Cluster mode (package cluster): several confdash instances behind one
// load balancer share the organizers' adjustments, the running schedule and
// their viewer counts through NATS. This file links a Server to it.

// ClusterConfig turns on cluster mode; the zero value is a single instance
// that keeps its state in the state file.
type ClusterConfig = cluster.Config

// newCluster connects this server to the cluster; the state file's
// adjustments are imported once into an empty bucket.
func (s *Server) newCluster(imported schedule.Adjustments) (*cluster.Cluster, error) {
	return cluster.New(cluster.Options{
		Config:    s.cfg.Cluster,
		Host:      clusterHost{s},
		Logger:    s.log,
		Registry:  s.m.reg,
		Imported:  imported,
		StatePath: s.cfg.StatePath,
	})
}

// clusterHost is what the cluster sees of the server.
type clusterHost struct{ s *Server }

func (h clusterHost) Now() time.Time                                   { return h.s.clock.Now() }
func (h clusterHost) Schedule() *schedule.Schedule                     { return h.s.live.schedule() }
func (h clusterHost) ViewersChanged()                                  { h.s.markViewersDirty() }
func (h clusterHost) OnAdjustments(_ uint64, adj schedule.Adjustments) { h.s.live.onAdjustments(adj) }

// ScheduleRecord reads the source's bytes again (the file, or a URL's last
// good copy) and encodes them for the bucket, with the version they parse
// to.
func (h clusterHost) ScheduleRecord() ([]byte, string, error) {
	src := h.s.cfg.Source
	if src == nil {
		return nil, "", nil // the built-in demo
	}
	path := src.Location
	if src.IsURL() {
		if src.CachePath == "" {
			return nil, "", fmt.Errorf("a URL schedule is shared through its last good copy on disk, and %s has none", src.Location)
		}
		path = src.CachePath
	}
	data, err := readSourceFile(path)
	if err != nil {
		return nil, "", err
	}
	sc, _, err := load.Parse(src.Location, data, src.Options)
	if err != nil {
		return nil, "", err
	}
	rec, err := cluster.EncodeSchedule(src.Location, sc.Version, data)
	return rec, sc.Version, err
}

// LoadSchedule runs the schedule another instance published, parsed with
// this instance's options (all instances run with the same flags), unless
// it runs already.
func (h clusterHost) LoadSchedule(rec []byte) {
	s := h.s
	version, err := cluster.ScheduleVersion(rec)
	if err == nil && version == s.live.schedule().Version {
		return
	}
	var sc *schedule.Schedule
	if err == nil {
		sc, err = parseScheduleRecord(rec, s.cfg)
	}
	if err != nil {
		s.m.reloads.WithLabelValues("invalid").Inc()
		s.log.Error("the cluster's schedule cannot be loaded here; this instance keeps its own (are all instances the same version, with the same --timezone?)",
			slog.String("version", version), slog.Any("err", err))
		return
	}
	if src := s.cfg.Source; src != nil {
		// This instance's own source may still be at the old version: make
		// its next refresh fetch the whole document rather than a 304.
		src.Forget()
	}
	s.live.setSchedule(sc)
}

func parseScheduleRecord(rec []byte, cfg Config) (*schedule.Schedule, error) {
	location, version, gz, err := cluster.DecodeSchedule(rec)
	if err != nil {
		return nil, err
	}
	data, err := load.ReadLimited(gz, location)
	if err != nil {
		return nil, err
	}
	opts := cfg.ScheduleOptions
	if cfg.Source != nil {
		opts = cfg.Source.Options
	}
	sc, _, err := load.Parse(location, data, opts)
	if err != nil {
		return nil, err
	}
	if sc.Version != version {
		return nil, fmt.Errorf("the source bytes hash to %s, not %s", sc.Version, version)
	}
	return sc, nil
}

// proposeSchedule is SetSchedule in cluster mode: a schedule read from the
// source (reload or refresh) goes to NATS first, so that every instance
// runs the same version; it runs here only once NATS has it.
func (s *Server) proposeSchedule(sc *schedule.Schedule) bool {
	if sc.Version == s.live.schedule().Version {
		return s.live.setSchedule(sc) // counted as unchanged
	}
	changed := false
	err := s.cluster.ProposeSchedule(sc.Version, func() { changed = s.live.setSchedule(sc) })
	if err != nil {
		s.m.reloads.WithLabelValues("failed").Inc()
		msg := "schedule change not applied"
		if errors.Is(err, cluster.ErrUnavailable) {
			msg = "schedule change not applied: it must go through NATS so that every instance runs it, and NATS is unreachable"
		}
		s.log.Warn(msg, slog.String("version", sc.Version), slog.Any("err", err))
		if s.cfg.Source != nil {
			s.cfg.Source.Forget() // the next refresh tries again
		}
	}
	return changed
}

// clusterStore is the cluster as the admin API's store: its errors in the
// store's terms.
type clusterStore struct{ cl *cluster.Cluster }

func (c clusterStore) revision() uint64 { return c.cl.Revision() }
func (c clusterStore) ready() bool      { return c.cl.Ready() }

func (c clusterStore) apply(ctx context.Context, cond ifMatch, edit schedule.Edit) (uint64, schedule.Adjustments, error) {
	rev, adj, err := c.cl.Apply(ctx, cond.rev, cond.set, edit)
	var ce *cluster.ConflictError
	switch {
	case errors.As(err, &ce):
		return 0, adj, &conflictError{based: ce.Based, current: ce.Current}
	case errors.Is(err, cluster.ErrUnavailable):
		return 0, adj, errStoreUnavailable
	}
	return rev, adj, err
}
