package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confdash/confdash/hub"
	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/server/cluster"
	"github.com/gofiber/fiber/v2"
)

// Config is everything the server needs; cmd/confdash fills it from flags.
type Config struct {
	Schedule *schedule.Schedule // the schedule to run (required)
	// Source is re-read by POST /api/v1/reload (and every Refresh when it is
	// a URL); nil for the built-in demo, which cannot be reloaded.
	Source *Source
	// SchedulePath is a shorthand for a file Source.
	SchedulePath    string
	ScheduleOptions schedule.Options
	// Refresh is how often a URL source is fetched again (0: never).
	Refresh time.Duration
	// StatePath is where announcements and delays are kept across restarts.
	StatePath  string
	Clock      Clock        // nil: the wall clock
	AdminToken string       // empty: the admin API answers 403
	Logger     *slog.Logger // nil: discard
	// AllowedOrigins are origins, besides the server's own, allowed to open
	// websockets ("https://example.org"); "*" allows every origin.
	AllowedOrigins []string
	// Cluster shares the live state with other instances through NATS
	// (cluster.go); the zero value runs one instance on its state file.
	Cluster ClusterConfig
	// MaxViewers bounds websocket connections; 0 means no bound.
	MaxViewers int
	// MaxViewersPerAddress bounds the websockets one remote address holds at
	// once (beyond, 429 before the upgrade); 0 means no bound. See
	// DefaultMaxViewersPerAddress.
	MaxViewersPerAddress int
	// ConnRate and ConnBurst limit new websockets per remote address (a token
	// bucket: ConnBurst at once, then ConnRate a second; beyond, 429), and
	// AdminRate and AdminBurst admin API requests, before the token is
	// checked. A rate of 0 means no limit; see DefaultConnRate and the rest.
	ConnRate  float64
	ConnBurst int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// real client for the per-address limits; empty: the peer is the client.
	TrustedProxies []netip.Prefix
	AdminRate      float64
	AdminBurst     int
	// SeparateMetrics keeps /metrics off the public listener: they are then
	// served only by ServeMetrics, on an internal address.
	SeparateMetrics bool
	// PingPeriod is how often every websocket is pinged (default 25 s, below
	// the 60 s idle timeout of common proxies); PongWait is how long a peer
	// may stay silent before it is closed as gone (default 60 s: two missed
	// pings, since PongWait must exceed PingPeriod). Tests shorten them.
	PingPeriod time.Duration
	PongWait   time.Duration
	// ChangesRecent is how long after a reload its schedule changes are
	// flagged on the pages (badges; a cancelled session kept in its slot):
	// 0 means DefaultChangesRecent, a negative value flags none.
	ChangesRecent time.Duration
	// PublicViewerCounts sends the viewer counts to every page; off, only
	// the admin console gets them (and /metrics has them): a public "0
	// watching" on a quiet track tells attendees nothing they need.
	PublicViewerCounts bool
}

// DefaultChangesRecent: a change stays flagged for two hours, long enough
// for everyone in the building to pass a screen, short enough that
// yesterday's edits do not fill today's screens.
const DefaultChangesRecent = 2 * time.Hour

func (c Config) changesRecent() time.Duration {
	if c.ChangesRecent == 0 {
		return DefaultChangesRecent
	}
	return max(c.ChangesRecent, -1)
}

// Server is a running confdash: the clock loop, the hub and the HTTP app.
type Server struct {
	cfg    Config
	log    *slog.Logger
	clock  Clock
	hub    *hub.Hub
	m      *metrics
	app    *fiber.App
	assets *assetSet

	live         *live
	store        adjStore // where organizers' changes are saved
	wake         chan struct{}
	viewersDirty chan struct{}
	viewerTotal  atomic.Int64
	viewersMsg   atomic.Pointer[[]byte] // the last viewers message sent
	reloadMu     sync.Mutex             // one reload at a time
	cluster      *cluster.Cluster       // nil: a single instance
	lim          *limits
	screens      *screens                  // the fleet (screens.go)
	metricsSrv   shutdownSet[*http.Server] // what ServeMetrics runs
	listeners    shutdownSet[net.Listener] // what Serve was given

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New builds a server and starts its clock. It reads the state file; a
// damaged one is an error that says what to do.
func New(cfg Config) (*Server, error) {
	if cfg.Schedule == nil {
		return nil, errors.New("server: no schedule")
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Source == nil && cfg.SchedulePath != "" {
		cfg.Source = &Source{Location: cfg.SchedulePath, Options: cfg.ScheduleOptions}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PingPeriod <= 0 {
		cfg.PingPeriod = hub.DefaultPingPeriod
	}
	if cfg.PongWait <= 0 {
		cfg.PongWait = defaultPongWait
	}
	if cfg.PongWait <= cfg.PingPeriod {
		return nil, fmt.Errorf("server: PongWait %v must exceed PingPeriod %v, or healthy connections are closed between two pings", cfg.PongWait, cfg.PingPeriod)
	}
	s := &Server{
		cfg:          cfg,
		log:          cfg.Logger,
		clock:        cfg.Clock,
		m:            newMetrics(),
		wake:         make(chan struct{}, 1),
		viewersDirty: make(chan struct{}, 1),
	}
	s.lim = newLimits(cfg, s.m.reg)
	s.screens = newScreens(s.m.screens)
	var adj schedule.Adjustments
	var rev uint64
	if cfg.StatePath != "" {
		// In a cluster the file is only read once, into NATS.
		if cfg.Cluster.URL == "" {
			if err := checkStateWritable(cfg.StatePath); err != nil {
				return nil, err
			}
		}
		var err error
		if adj, rev, err = loadState(cfg.StatePath, cfg.Schedule, time.Now(), cfg.Logger); err != nil {
			return nil, err
		}
		adj = rebaseAnnouncements(adj, cfg.Clock.Now())
	}
	assets, err := sharedAssets()
	if err != nil {
		return nil, err
	}
	s.assets = assets
	if cfg.Cluster.URL != "" {
		// NATS holds the adjustments: the state file is only imported, once.
		if s.cluster, err = s.newCluster(adj); err != nil {
			return nil, err
		}
		adj = schedule.Adjustments{}
	}
	s.hub = hub.New(hub.Options{Observer: hubObserver{s.m}, PingPeriod: cfg.PingPeriod})
	s.live = newLive(s.hub, s.m, s.clock, s.log, s.wakeClock, cfg.Schedule, adj, cfg.changesRecent())
	if s.cluster != nil {
		s.store = clusterStore{s.cluster}
	} else {
		s.store = &fileStore{path: cfg.StatePath, live: s.live, clock: s.clock, m: s.m, log: s.log, rev: rev, adj: adj}
	}
	s.app = s.newApp()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.clockLoop(s.ctx) }()
	go func() { defer s.wg.Done(); s.viewersLoop(s.ctx) }()
	if s.cluster != nil {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.cluster.Run(s.ctx) }()
	}
	if cfg.Source != nil && cfg.Source.IsURL() && cfg.Refresh > 0 {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.refreshLoop(s.ctx, cfg.Refresh) }()
	}
	return s, nil
}

// rebaseAnnouncements keeps saved announcements visible after a restart
// whose clock starts earlier than they were posted (a rehearsal restarted
// with the same --at): each one that would lie in the future is re-dated to
// now, its time to live unchanged. Nothing an organizer posted is hidden.
func rebaseAnnouncements(adj schedule.Adjustments, now time.Time) schedule.Adjustments {
	var out []schedule.Announcement
	for _, a := range adj.Announcements {
		if a.Created.After(now) {
			if a.Expires != nil {
				exp := now.Add(a.Expires.Sub(a.Created))
				a.Expires = &exp
			}
			a.Created = now
		}
		out = append(out, a)
	}
	adj.Announcements = out
	return adj
}

// Serve answers HTTP and websocket requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if !s.listeners.add(ln) {
		ln.Close()
		return nil // already shut down
	}
	return s.app.Listener(ln)
}

// Shutdown stops the clock, sends every websocket a 1001 close, lets
// in-flight HTTP requests finish, and returns when all is done or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		lns := s.listeners.close() // a Serve from now on returns at once
		s.cancel()
		// The hub first: fasthttp's shutdown does not close hijacked
		// (websocket) connections, and waits for their handlers.
		herr := s.hub.Close(ctx)
		aerr := s.app.ShutdownWithContext(ctx)
		// fasthttp closes only the listeners its Serve has taken: one that
		// Serve was given just before (a server stopped as it starts) would
		// be served on for ever. One fasthttp closed answers an error, which
		// is not one.
		for _, ln := range lns {
			ln.Close()
		}
		merr := s.shutdownMetrics(ctx)
		s.wg.Wait()
		err = errors.Join(herr, aerr, merr)
	})
	return err
}

// shutdownSet holds what Serve and ServeMetrics were given, for Shutdown.
// Once closed it refuses more, so that a Serve that comes after Shutdown
// returns instead of serving on.
type shutdownSet[T any] struct {
	mu     sync.Mutex
	closed bool
	items  []T
}

// add keeps x, or reports false once the set is closed.
func (c *shutdownSet[T]) add(x T) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.items = append(c.items, x)
	return true
}

// close refuses any further item and returns those added.
func (c *shutdownSet[T]) close() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	items := c.items
	c.items = nil
	return items
}

// metricsHandler serves the private registry's metrics.
func (s *Server) metricsHandler() fiber.Handler { return metricsHandler(s.m.reg) }

var errNoSchedulePath = fmt.Errorf("the server runs the built-in demo: start it with --schedule FILE to reload from a file")

// SetSchedule replaces the running schedule (after a reload or a refresh of
// a live source), records what changed, and pushes the new state at once. It
// reports whether the schedule differs from the running one. In cluster
// mode the schedule goes to NATS first, and every instance loads it.
func (s *Server) SetSchedule(sc *schedule.Schedule) bool {
	if s.cluster != nil {
		return s.proposeSchedule(sc)
	}
	return s.live.setSchedule(sc)
}
