package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Cluster mode: several confdash instances behind one load balancer, no
// sticky sessions. Each instance computes now/next from the same schedule and
// its own (NTP-synchronised) clock, so transitions need no coordination. What
// organizers change is shared through two NATS JetStream key-value buckets:
//
//	Bucket            "adjustments"  announcements and delays, one JSON value
//	                                 written by compare-and-set on its revision
//	                  "schedule"     the source bytes of the running schedule
//	Bucket-viewers    "viewers.ID"   each instance's viewer counts; the bucket's
//	                                 MaxAge drops an instance that stops writing
//
// Every instance watches both buckets and applies what the watch delivers,
// its own writes included, so an admin call on any instance reaches every
// instance's clients within the watch's latency (milliseconds). Without NATS an
// instance serves the last state it saw, refuses admin writes (ErrUnavailable) and
// reports itself degraded; on reconnecting it watches again, and the watch
// replays the current values.

// Config turns on cluster mode. The zero value is a single instance that
// keeps its state in the state file.
type Config struct {
	// URL lists the NATS servers ("nats://host:4222", comma-separated);
	// user and password may be given in it. Empty: no cluster.
	URL string
	// CredsFile is a NATS credentials file (JWT and NKey seed).
	CredsFile string
	// Bucket names the key-value bucket of shared state (default
	// "confdash"); viewer counts go to Bucket+"-viewers".
	Bucket string
	// Replicas is the buckets' replication factor when they are created
	// (default 1; 3 on a NATS cluster of three). Existing buckets are used
	// as they are.
	Replicas int
	// InstanceID names this instance's viewer counts (default
	// hostname-pid). Characters other than letters, digits, '-' and '_'
	// become '_'.
	InstanceID string
}

const (
	keyAdjustments = "adjustments"
	keySchedule    = "schedule"
	viewersKeyPfx  = "viewers."

	// viewersHeartbeat is how often an instance rewrites its counts even
	// when they do not change; viewersTTL (the viewers bucket's MaxAge, and
	// how long a silent instance's counts are still summed) is three
	// heartbeats, so one lost write does not drop an instance's viewers.
	viewersHeartbeat = 5 * time.Second
	viewersTTL       = 3 * viewersHeartbeat

	// natsReconnectWait is the pause between reconnection attempts, and
	// between attempts to watch again when JetStream is not ready yet after
	// a NATS restart.
	natsReconnectWait = time.Second
	// natsPingInterval detects a NATS server that vanished without closing
	// the connection (a host that died) in about two intervals, rather than
	// the client's default four minutes.
	natsPingInterval = 10 * time.Second
	// clusterOpTimeout bounds one admin write (including compare-and-set
	// retries): past it the write fails with ErrUnavailable.
	clusterOpTimeout = 3 * time.Second
	// casAttempts is how often a write without a revision condition is
	// applied again on top of a newer value before it is a conflict.
	casAttempts = 5

	// recordVersion is the version of the adjustments' value in the bucket
	// (the same document as a single instance's state file, without its
	// revision: the bucket keeps that).
	recordVersion = 1
)

// Host is what the cluster needs of the instance it links. Its methods are
// called from the cluster's goroutine and from Apply's caller.
type Host interface {
	// Now is the instance's clock: edits are made at its instant.
	Now() time.Time
	// Schedule is the running schedule, which edits are checked against.
	Schedule() *schedule.Schedule
	// OnAdjustments shows adj, at revision rev of the bucket, to this
	// instance's clients. Calls are ordered by revision.
	OnAdjustments(rev uint64, adj schedule.Adjustments)
	// ScheduleRecord reads the running schedule's source again and encodes
	// it with EncodeSchedule, with the version it parses to; nil when the
	// schedule has no source to share (the built-in demo, which every
	// instance computes alike).
	ScheduleRecord() (record []byte, version string, err error)
	// LoadSchedule runs the schedule of a record (DecodeSchedule) that
	// another instance published, unless it runs already.
	LoadSchedule(record []byte)
	// ViewersChanged says that other instances' viewer counts changed:
	// the next viewers message should be computed again (Viewers).
	ViewersChanged()
}

// Options are a cluster's configuration and its links to the instance.
type Options struct {
	Config
	Host     Host
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Imported are the adjustments of the instance's state file, put into
	// the bucket once if it has none yet; StatePath names that file in logs.
	Imported  schedule.Adjustments
	StatePath string
}

// record is the adjustments' value in the bucket.
type record struct {
	Version     int                  `json:"version"`
	Adjustments schedule.Adjustments `json:"adjustments"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain data is encoded here
	}
	return b
}

// Cluster is one instance's link to the others through NATS.
type Cluster struct {
	host      Host
	cfg       Config
	statePath string
	log       *slog.Logger
	nc        *nats.Conn
	js        jetstream.JetStream

	events        chan struct{} // the connection changed state (capacity 1)
	viewersSignal chan struct{} // this instance's counts changed (capacity 1)

	synced atomic.Bool                        // watching, and the current values have been applied
	kv     atomic.Pointer[jetstream.KeyValue] // the state bucket while synced

	mu  sync.Mutex           // orders applying adjustments; guards rev and adj
	rev uint64               // revision of adj in the bucket
	adj schedule.Adjustments // what this instance shows (through Host.OnAdjustments)

	schedMu  sync.Mutex // orders schedule writes and watch deliveries
	schedRev uint64

	importMu  sync.Mutex
	importAdj *schedule.Adjustments // the state file, imported once into an empty bucket

	vmu    sync.Mutex
	local  viewerCounts            // this instance's counts, as last shown to its clients
	remote map[string]remoteCounts // other instances' counts, by instance id
	// gaugeTracks are the track labels of viewersGauge, so that a track a
	// reload removed is deleted without a Reset (a scrape never sees none).
	gaugeTracks map[string]bool

	connected     prometheus.GaugeFunc
	viewersGauge  *prometheus.GaugeVec // track
	conflicts     prometheus.Counter
	watchRestarts prometheus.Counter
}

// New connects to NATS. The connection retries in the background, so an
// instance starts (and serves the schedule) while NATS is down; only a
// malformed configuration is an error. Run does the rest.
func New(o Options) (*Cluster, error) {
	cfg, imported := o.Config, o.Imported
	if cfg.Bucket == "" {
		cfg.Bucket = "confdash"
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.InstanceID == "" {
		host, _ := os.Hostname()
		cfg.InstanceID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	cfg.InstanceID = sanitizeKey(cfg.InstanceID)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	cl := &Cluster{
		host: o.Host, cfg: cfg, statePath: o.StatePath, log: o.Logger.With(slog.String("instance", cfg.InstanceID)),
		events:        make(chan struct{}, 1),
		viewersSignal: make(chan struct{}, 1),
		remote:        map[string]remoteCounts{},
		gaugeTracks:   map[string]bool{},
		viewersGauge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "confdash_cluster_viewers", Help: "Viewers of the whole cluster, by track (\"all\" for all-track pages); every instance reports the same sums, so aggregate with max, not sum.",
		}, []string{"track"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "confdash_cluster_write_conflicts_total", Help: "Admin writes whose compare-and-set on the shared adjustments found a newer revision (retried, or answered 409).",
		}),
		watchRestarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "confdash_cluster_watch_starts_total", Help: "Times this instance started watching the shared state (once at start, then after each NATS reconnection).",
		}),
	}
	if len(imported.Announcements) > 0 || len(imported.Delays) > 0 || len(imported.Live) > 0 {
		cl.importAdj = &imported
	}
	// Derived from the same facts as /readyz at each scrape, so the two
	// never disagree.
	cl.connected = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "confdash_nats_connected", Help: "1 while this instance is connected to NATS and has applied the cluster's current state; 0 while it serves the last known state and refuses admin writes.",
	}, func() float64 {
		if cl.Ready() {
			return 1
		}
		return 0
	})
	o.Registry.MustRegister(cl.connected, cl.viewersGauge, cl.conflicts, cl.watchRestarts)

	signal := func(*nats.Conn) {
		select {
		case cl.events <- struct{}{}:
		default:
		}
	}
	opts := []nats.Option{
		nats.Name("confdash " + cfg.InstanceID),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(natsReconnectWait),
		nats.PingInterval(natsPingInterval),
		// No buffering while disconnected: a write must fail at once (ErrUnavailable),
		// not be sent late, after other writes.
		nats.ReconnectBufSize(-1),
		nats.ConnectHandler(signal),
		nats.ReconnectHandler(signal),
		nats.ClosedHandler(signal),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err != nil {
				cl.log.Warn("NATS connection lost; serving the last known state", slog.Any("err", err))
			}
			signal(nc)
		}),
	}
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("NATS %s: %w (check --nats)", redactURL(cfg.URL), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("NATS JetStream: %w", err)
	}
	cl.nc, cl.js = nc, js
	cl.log.Info("cluster mode: live state shared through NATS; the state file is only imported into an empty bucket",
		slog.String("nats", redactURL(cfg.URL)), slog.String("bucket", cfg.Bucket))
	return cl, nil
}

// sanitizeKey keeps a key token to the characters NATS keys allow.
func sanitizeKey(id string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, id)
}

// redactURL drops passwords and tokens from NATS URLs before they are
// logged.
func redactURL(raw string) string {
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.User(u.User.Username())
			} else {
				u.User = url.User("REDACTED") // a lone user name is a token
			}
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}

// Ready reports whether admin writes can be shared: connected, watching, and
// the current values applied.
func (cl *Cluster) Ready() bool { return cl.synced.Load() && cl.nc != nil && cl.nc.IsConnected() }

// Status explains a degraded instance for /readyz.
func (cl *Cluster) Status() string {
	switch {
	case cl.Ready():
		return ""
	case !cl.nc.IsConnected():
		return "NATS unreachable: serving the last known state; admin writes are refused until it returns"
	}
	return "connected to NATS, synchronizing the shared state"
}

// Revision is the revision of the adjustments this instance shows.
func (cl *Cluster) Revision() uint64 {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.rev
}

// Run keeps a session with NATS while ctx lives: watch, apply, publish the
// viewer counts; after a disconnection it waits for the client library to
// reconnect and starts again.
func (cl *Cluster) Run(ctx context.Context) {
	defer cl.close()
	for {
		if cl.nc.IsConnected() {
			if err := cl.session(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, errDisconnected) {
				cl.log.Warn("NATS session ended; retrying", slog.Any("err", err))
			}
			cl.synced.Store(false)
			cl.kv.Store(nil)
		}
		t := time.NewTimer(natsReconnectWait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-cl.events:
		case <-t.C:
		}
		t.Stop()
	}
}

func (cl *Cluster) close() {
	if cl.nc.IsConnected() {
		// Leaving: the others stop counting this instance's viewers now
		// rather than when its counts expire.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if vkv, err := cl.js.KeyValue(ctx, cl.cfg.Bucket+"-viewers"); err == nil {
			vkv.Delete(ctx, viewersKeyPfx+cl.cfg.InstanceID)
		}
		cancel()
	}
	cl.nc.Close()
	cl.synced.Store(false)
}

var errDisconnected = errors.New("disconnected from NATS")

// session runs while the connection lasts. Each session starts fresh
// watches, whose first deliveries are the current values: that is how an
// instance catches up after an outage.
func (cl *Cluster) session(ctx context.Context) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reconnects := cl.nc.Stats().Reconnects
	kv, vkv, err := cl.buckets(sctx)
	if err != nil {
		return err
	}
	cl.importState(sctx, kv)
	cl.seedSchedule(sctx, kv)

	w, err := kv.WatchFiltered(sctx, []string{keyAdjustments, keySchedule})
	if err != nil {
		return fmt.Errorf("watch %s: %w", cl.cfg.Bucket, err)
	}
	defer stopWatcher(w)
	vw, err := vkv.WatchAll(sctx)
	if err != nil {
		return fmt.Errorf("watch %s-viewers: %w", cl.cfg.Bucket, err)
	}
	defer stopWatcher(vw)
	cl.watchRestarts.Inc()
	started := time.Now()
	replaying, sawAdjustments := true, false

	var lastSent *viewerCounts
	publish := func(force bool) {
		cl.vmu.Lock()
		cur := cl.local
		cl.vmu.Unlock()
		if !force && lastSent != nil && equalCounts(*lastSent, cur) {
			return
		}
		wctx, cancel := context.WithTimeout(sctx, clusterOpTimeout)
		defer cancel()
		if _, err := vkv.Put(wctx, viewersKeyPfx+cl.cfg.InstanceID, mustJSON(cur)); err != nil {
			cl.log.Debug("viewer counts not published", slog.Any("err", err))
			return
		}
		lastSent = &cur
	}
	publish(true)
	tick := time.NewTicker(viewersHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cl.events:
			// Also after a reconnection this loop missed (disconnected and
			// back between two looks): watch again, to replay what the
			// outage hid.
			if !cl.nc.IsConnected() || cl.nc.Stats().Reconnects != reconnects {
				return errDisconnected
			}
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("the watch of the shared state ended")
			}
			if e == nil { // the current values have all been delivered
				if !sawAdjustments {
					cl.resetRevision()
				}
				replaying = false
				cl.kv.Store(&kv)
				cl.synced.Store(true)
				cl.log.Info("synchronized with NATS", slog.String("bucket", cl.cfg.Bucket), slog.Uint64("revision", cl.Revision()))
				continue
			}
			if e.Key() == keyAdjustments {
				sawAdjustments = true
			}
			cl.apply(e, replaying)
		case e, ok := <-vw.Updates():
			if !ok {
				return errors.New("the watch of the viewer counts ended")
			}
			cl.applyViewers(e, started)
		case <-tick.C:
			publish(true)
			cl.expireViewers(time.Now())
		case <-cl.viewersSignal:
			publish(false)
		}
	}
}

// stopWatcher ends a watch and drains what it still delivers: the library's
// callback blocks on a full channel, and would never see the close.
func stopWatcher(w jetstream.KeyWatcher) {
	w.Stop()
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case _, ok := <-w.Updates():
			if !ok {
				return
			}
		case <-t.C:
			return
		}
	}
}

// buckets binds the two buckets, creating them when missing. An existing
// bucket is used as it is: an instance started with other flags must not
// reconfigure the cluster's storage.
func (cl *Cluster) buckets(ctx context.Context) (kv, vkv jetstream.KeyValue, err error) {
	if kv, err = cl.bucket(ctx, jetstream.KeyValueConfig{
		Bucket:      cl.cfg.Bucket,
		Description: "confdash: announcements, delays and the running schedule",
		History:     5,
		Storage:     jetstream.FileStorage,
		Replicas:    cl.cfg.Replicas,
	}); err != nil {
		return nil, nil, err
	}
	vkv, err = cl.bucket(ctx, jetstream.KeyValueConfig{
		Bucket:      cl.cfg.Bucket + "-viewers",
		Description: "confdash: viewer counts of each instance",
		History:     1,
		TTL:         viewersTTL,
		Storage:     jetstream.MemoryStorage, // rewritten every few seconds; nothing to keep
		Replicas:    cl.cfg.Replicas,
	})
	return kv, vkv, err
}

func (cl *Cluster) bucket(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	octx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	kv, err := cl.js.KeyValue(octx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = cl.js.CreateKeyValue(octx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) { // another instance was faster
			kv, err = cl.js.KeyValue(octx, cfg.Bucket)
		}
		if err == nil {
			cl.log.Info("created NATS key-value bucket", slog.String("bucket", cfg.Bucket), slog.Int("replicas", cfg.Replicas))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("NATS key-value bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// importState puts the state file's adjustments into an empty bucket, once:
// Create fails when the key exists, so of several instances started from
// state files only the first is imported, and a bucket in use is never
// overwritten.
func (cl *Cluster) importState(ctx context.Context, kv jetstream.KeyValue) {
	cl.importMu.Lock()
	defer cl.importMu.Unlock()
	if cl.importAdj == nil {
		return
	}
	octx, cancel := context.WithTimeout(ctx, clusterOpTimeout)
	defer cancel()
	data := mustJSON(record{Version: recordVersion, Adjustments: *cl.importAdj})
	switch _, err := kv.Create(octx, keyAdjustments, data); {
	case err == nil:
		cl.log.Info("imported the state file's announcements and delays into NATS", slog.String("path", cl.statePath))
	case errors.Is(err, jetstream.ErrKeyExists):
		cl.log.Info("NATS already holds announcements and delays; the state file is not imported", slog.String("path", cl.statePath))
	default:
		cl.log.Warn("state file not imported yet", slog.Any("err", err))
		return // next session
	}
	cl.importAdj = nil
}

// apply handles one delivery of the state watch. During the replay that
// starts each watch the values are taken whatever their revision: after a
// NATS restart with lost storage revisions start again from 1.
func (cl *Cluster) apply(e jetstream.KeyValueEntry, replay bool) {
	switch e.Key() {
	case keyAdjustments:
		var adj schedule.Adjustments
		if e.Operation() == jetstream.KeyValuePut {
			var sf record
			err := json.Unmarshal(e.Value(), &sf)
			if err == nil && sf.Version != recordVersion {
				err = fmt.Errorf("version %d, this confdash reads %d", sf.Version, recordVersion)
			}
			if err != nil {
				cl.log.Error("the shared announcements and delays are unreadable; keeping the last good ones (was a newer confdash writing?)",
					slog.Uint64("revision", e.Revision()), slog.Any("err", err))
				return
			}
			adj = sf.Adjustments
		}
		cl.applyAdjustments(e.Revision(), adj, replay)
	case keySchedule:
		if e.Operation() == jetstream.KeyValuePut {
			cl.applySchedule(e.Revision(), e.Value(), replay)
		}
	}
}
