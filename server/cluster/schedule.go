package cluster

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

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

// EncodeSchedule makes the bucket's record of a schedule's source bytes:
// location names the source, version is what the bytes parse to.
func EncodeSchedule(location, version string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return mustJSON(scheduleRecord{Version: version, Location: location, Gzip: buf.Bytes()}), nil
}

// ScheduleVersion reads the version a record announces, without its bytes.
func ScheduleVersion(rec []byte) (string, error) {
	var r scheduleRecord
	err := json.Unmarshal(rec, &r)
	return r.Version, err
}

// DecodeSchedule gives back the location and announced version of a
// record, and its source bytes to read (uncompressed as they are read: the
// reader bounds how much it takes, as it would from a file).
func DecodeSchedule(rec []byte) (location, version string, data io.Reader, err error) {
	var r scheduleRecord
	if err := json.Unmarshal(rec, &r); err != nil {
		return "", "", nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.Gzip))
	if err != nil {
		return r.Location, r.Version, nil, err
	}
	return r.Location, r.Version, zr, nil
}

// seedSchedule publishes this instance's schedule when the bucket has none
// yet. When it has one, that one wins: an instance joining a running cluster
// adopts the cluster's schedule (a reload on any instance replaces it).
func (cl *Cluster) seedSchedule(ctx context.Context, kv jetstream.KeyValue) {
	rec, _, err := cl.host.ScheduleRecord()
	if err != nil {
		cl.log.Warn("the schedule cannot be shared through NATS; each instance runs its own", slog.Any("err", err))
		return
	}
	if rec == nil {
		return // the built-in demo: every instance computes the same one
	}
	octx, cancel := context.WithTimeout(ctx, clusterOpTimeout)
	defer cancel()
	if _, err := kv.Create(octx, keySchedule, rec); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		cl.log.Warn("schedule not published to NATS", slog.Any("err", err))
	}
}

// applySchedule loads the schedule the bucket holds, unless it runs already.
func (cl *Cluster) applySchedule(rev uint64, data []byte, force bool) {
	cl.schedMu.Lock()
	defer cl.schedMu.Unlock()
	if rev <= cl.schedRev && !force {
		return
	}
	cl.schedRev = rev
	cl.host.LoadSchedule(data)
}

// ProposeSchedule shares a schedule read from the source (reload or
// refresh) of the given version: the source's record (Host.ScheduleRecord)
// goes to the bucket first, so that every instance runs the same version,
// and run (which makes it run here) is called only once NATS has it, in
// order with the watch's deliveries. A schedule is not shared while NATS is
// unreachable (ErrUnavailable), nor one whose source changed since it was
// read.
func (cl *Cluster) ProposeSchedule(version string, run func()) error {
	kvp := cl.kv.Load()
	if kvp == nil {
		return ErrUnavailable
	}
	rec, read, err := cl.host.ScheduleRecord()
	if err == nil && rec == nil {
		err = ErrUnavailable
	}
	if err == nil && read != version {
		err = fmt.Errorf("the source changed while it was loaded (%s, then %s): reload again", version, read)
	}
	if err != nil {
		return err
	}
	cl.schedMu.Lock()
	defer cl.schedMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	rev, err := (*kvp).Put(ctx, keySchedule, rec)
	if err != nil {
		return fmt.Errorf("NATS did not take it: %w", err)
	}
	cl.schedRev = max(cl.schedRev, rev)
	run()
	return nil
}
