package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/nats-io/nats.go/jetstream"
)

// The shared schedule: a reload on any instance publishes the source bytes,
// and every instance parses exactly those.

// scheduleRecord is the value under keySchedule: the source bytes, so that
// every instance parses exactly what the instance that reloaded read, even
// when its own copy of the file (or its fetch of the URL) differs.
type scheduleRecord struct {
	Version  string `json:"version"`
	Location string `json:"location"` // names the source in diagnostics
	Gzip     []byte `json:"gzip"`     // the source bytes, gzipped (the largest frab file is over NATS's 1 MB message limit)
}

// seedSchedule publishes this instance's schedule when the bucket has none
// yet. When it has one, that one wins: an instance joining a running cluster
// adopts the cluster's schedule (a reload on any instance replaces it).
func (cl *cluster) seedSchedule(ctx context.Context, kv jetstream.KeyValue) {
	src := cl.s.cfg.Source
	if src == nil {
		return // the built-in demo: every instance computes the same one
	}
	rec, _, err := readScheduleRecord(src)
	if err != nil {
		cl.log.Warn("the schedule cannot be shared through NATS; each instance runs its own", slog.Any("err", err))
		return
	}
	octx, cancel := context.WithTimeout(ctx, clusterOpTimeout)
	defer cancel()
	if _, err := kv.Create(octx, keySchedule, rec); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		cl.log.Warn("schedule not published to NATS", slog.Any("err", err))
	}
}

// readScheduleRecord reads the source's bytes again (the file, or a URL's
// last good copy) and encodes them for the bucket, with the schedule they
// parse to.
func readScheduleRecord(src *Source) ([]byte, *schedule.Schedule, error) {
	path := src.Location
	if src.IsURL() {
		if src.CachePath == "" {
			return nil, nil, fmt.Errorf("a URL schedule is shared through its last good copy on disk, and %s has none", src.Location)
		}
		path = src.CachePath
	}
	data, err := readSourceFile(path)
	if err != nil {
		return nil, nil, err
	}
	sc, _, err := load.Parse(src.Location, data, src.Options)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return mustJSON(scheduleRecord{Version: sc.Version, Location: src.Location, Gzip: buf.Bytes()}), sc, nil
}

// parseScheduleRecord decodes and parses a schedule from the bucket with this
// instance's options (all instances run with the same flags).
func (s *Server) parseScheduleRecord(data []byte) (*schedule.Schedule, string, error) {
	var rec scheduleRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, "", err
	}
	if rec.Version == s.runningVersion() {
		return nil, rec.Version, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(rec.Gzip))
	if err != nil {
		return nil, rec.Version, err
	}
	src, err := load.ReadLimited(zr, rec.Location)
	if err != nil {
		return nil, rec.Version, err
	}
	opts := s.cfg.ScheduleOptions
	if s.cfg.Source != nil {
		opts = s.cfg.Source.Options
	}
	sc, _, err := load.Parse(rec.Location, src, opts)
	if err != nil {
		return nil, rec.Version, err
	}
	if sc.Version != rec.Version {
		return nil, rec.Version, fmt.Errorf("the source bytes hash to %s, not %s", sc.Version, rec.Version)
	}
	return sc, rec.Version, nil
}

func (s *Server) runningVersion() string {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	return s.live.sched.Version
}

// applySchedule loads the schedule the bucket holds, unless it runs already.
func (cl *cluster) applySchedule(rev uint64, data []byte, force bool) {
	cl.schedMu.Lock()
	defer cl.schedMu.Unlock()
	if rev <= cl.schedRev && !force {
		return
	}
	cl.schedRev = rev
	sc, version, err := cl.s.parseScheduleRecord(data)
	if err != nil {
		cl.s.m.reloads.WithLabelValues("invalid").Inc()
		cl.log.Error("the cluster's schedule cannot be loaded here; this instance keeps its own (are all instances the same version, with the same --timezone?)",
			slog.String("version", version), slog.Any("err", err))
		return
	}
	if sc == nil {
		return // running already
	}
	if src := cl.s.cfg.Source; src != nil {
		// This instance's own source may still be at the old version: make
		// its next refresh fetch the whole document rather than a 304.
		src.Forget()
	}
	cl.s.setSchedule(sc)
}

// proposeSchedule is SetSchedule in cluster mode: a schedule read from the
// source (reload or refresh) goes to the bucket first, so that every instance
// runs the same version; it runs here only once NATS has it.
func (cl *cluster) proposeSchedule(sc *schedule.Schedule) bool {
	s := cl.s
	if sc.Version == s.runningVersion() {
		return s.setSchedule(sc) // counted as unchanged
	}
	fail := func(msg string, err error) bool {
		s.m.reloads.WithLabelValues("failed").Inc()
		s.log.Warn(msg, slog.String("version", sc.Version), slog.Any("err", err))
		if s.cfg.Source != nil {
			s.cfg.Source.Forget() // the next refresh tries again
		}
		return false
	}
	kvp := cl.kv.Load()
	if kvp == nil || s.cfg.Source == nil {
		return fail("schedule change not applied: it must go through NATS so that every instance runs it, and NATS is unreachable", errClusterUnavailable)
	}
	rec, read, err := readScheduleRecord(s.cfg.Source)
	if err == nil && read.Version != sc.Version {
		err = fmt.Errorf("the source changed while it was loaded (%s, then %s): reload again", sc.Version, read.Version)
	}
	if err != nil {
		return fail("schedule change not applied", err)
	}
	cl.schedMu.Lock()
	defer cl.schedMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	rev, err := (*kvp).Put(ctx, keySchedule, rec)
	if err != nil {
		return fail("schedule change not applied: NATS did not take it", err)
	}
	cl.schedRev = max(cl.schedRev, rev)
	return s.setSchedule(sc)
}
