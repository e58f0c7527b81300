package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/demo"
	"github.com/confdash/confdash/server"
)

// shutdownTimeout bounds a graceful stop: every websocket gets 1001 and
// in-flight requests finish well within it.
const shutdownTimeout = 5 * time.Second

type serveFlags struct {
	addr, schedule, state, origins, at, logFormat, timezone string
	speed                                                   float64
	maxViewers, maxViewersPerAddress                        int
	refresh, changesRecent                                  time.Duration
	trustedProxies                                          string
	connRate                                                float64
	connBurst                                               int
	metricsAddr                                             string
	publicViewerCounts                                      bool
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f serveFlags
	fs := newFlagSet("serve", "serve [flags]", stderr)
	fs.StringVar(&f.addr, "addr", ":8080", "address to listen on")
	fs.StringVar(&f.schedule, "schedule", "", "schedule file or http(s) URL (native YAML/JSON, frab XML, schedule.json, iCalendar); empty runs the built-in demo")
	fs.StringVar(&f.state, "state", "", "state file for announcements and delays (default: beside the schedule, or confdash-state.json in the working directory)")
	fs.StringVar(&f.origins, "allowed-origins", "", "comma-separated origins besides the server's own that may open websockets (\"*\" for any)")
	fs.StringVar(&f.at, "at", "", "run the schedule clock from this RFC 3339 instant (rehearsals)")
	fs.Float64Var(&f.speed, "speed", 1, "run the schedule clock this many times faster than real time")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.timezone, "timezone", "", "IANA time zone for schedules that give only local times (e.g. Europe/Brussels), or to show one whose events carry offsets that agree with it")
	fs.IntVar(&f.maxViewers, "max-viewers", 0, "refuse websocket connections beyond this many (0: no limit); one address then holds at most half of them unless --max-viewers-per-address is given")
	fs.IntVar(&f.maxViewersPerAddress, "max-viewers-per-address", server.DefaultMaxViewersPerAddress, "refuse websocket connections from one address beyond this many open at once, with 429 (0: no limit); generous for a venue NAT. Behind a reverse proxy, set --trusted-proxies")
	fs.DurationVar(&f.refresh, "refresh", 5*time.Minute, "how often a --schedule URL is fetched again (conditional GET)")
	fs.Float64Var(&f.connRate, "conn-rate", server.DefaultConnRate, "new websocket connections a second from one address, after --conn-burst at once; beyond, 429 (0: no limit). Behind a reverse proxy, set --trusted-proxies")
	fs.StringVar(&f.trustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For names the client for the per-address limits (e.g. 127.0.0.1)")
	fs.IntVar(&f.connBurst, "conn-burst", server.DefaultConnBurst, "new websocket connections one address may open at once (a venue's NAT carries its screens and its Wi-Fi)")
	fs.DurationVar(&f.changesRecent, "changes-recent", server.DefaultChangesRecent, "how long after a reload the pages flag its schedule changes (moved, room, cancelled, new, retitled; a cancelled session stays in its slot); 0 flags none")
	fs.BoolVar(&f.publicViewerCounts, "public-viewer-counts", false, "show every page how many watch each track (\"12 watching\" on the tab's cards); off, only the admin console and /metrics have the counts")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve /metrics on this internal address (e.g. 127.0.0.1:9090) instead of on --addr")
	var cluster server.ClusterConfig
	fs.StringVar(&cluster.URL, "nats", "", "NATS URL (also CONFDASH_NATS_URL): run as one of several instances sharing announcements, delays, the schedule and viewer counts (docs/cluster.md); credentials in the URL or in the creds file CONFDASH_NATS_CREDS names")
	fs.StringVar(&cluster.Bucket, "nats-bucket", "confdash", "NATS key-value bucket of the shared state, created if missing (viewer counts go to BUCKET-viewers)")
	fs.IntVar(&cluster.Replicas, "nats-replicas", 1, "replicas of the NATS buckets when they are created (3 on a NATS cluster of three)")
	fs.StringVar(&cluster.InstanceID, "instance-id", "", "this instance's name in the cluster's viewer counts (default: hostname-pid)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if cluster.URL == "" {
		cluster.URL = os.Getenv("CONFDASH_NATS_URL")
	}
	cluster.CredsFile = os.Getenv("CONFDASH_NATS_CREDS") // a secret: never a flag
	if len(pos) > 0 {
		return fmt.Errorf("serve takes no arguments (got %q): pass the schedule with --schedule", pos[0])
	}
	log, err := newLogger(f.logFormat, stderr)
	if err != nil {
		return err
	}
	// The default per-address bound (generous for a venue NAT) is far above
	// a small --max-viewers: one host looping on connect would take every
	// place, and screens from other addresses would get 503. Unless the
	// operator chose the bound, one address gets at most half the places.
	perAddressSet := false
	fs.Visit(func(fl *flag.Flag) { perAddressSet = perAddressSet || fl.Name == "max-viewers-per-address" })
	if f.maxViewers > 0 && !perAddressSet {
		f.maxViewersPerAddress = min(f.maxViewersPerAddress, max(f.maxViewers/2, 1))
	} else if f.maxViewers > 0 && (f.maxViewersPerAddress == 0 || f.maxViewersPerAddress >= f.maxViewers) {
		log.Warn("one address may take every place of --max-viewers: set --max-viewers-per-address below it so that screens from other addresses still get in",
			slog.Int("max_viewers", f.maxViewers), slog.Int("max_viewers_per_address", f.maxViewersPerAddress))
	}
	var at time.Time
	if f.at != "" {
		if at, err = time.Parse(time.RFC3339, f.at); err != nil {
			return fmt.Errorf("--at %q: use an RFC 3339 instant such as 2026-10-06T08:30:00-07:00", f.at)
		}
		// Announcements posted at the rehearsal clock last up to a week, and
		// their instants must be written to the state file and sent.
		if err := errors.Join(schedule.CheckServable(at), schedule.CheckServable(at.AddDate(0, 0, 7))); err != nil {
			return fmt.Errorf("--at %q: the clock and a week after it must stay within the years confdash can serve: %v", f.at, err)
		}
	}
	if f.connRate < 0 || (f.connRate > 0 && f.connBurst < 1) {
		return fmt.Errorf("--conn-rate %v --conn-burst %d: use a rate of 0 (no limit) or more, with a burst of 1 or more", f.connRate, f.connBurst)
	}
	if f.maxViewersPerAddress < 0 {
		return fmt.Errorf("--max-viewers-per-address %d: use 0 (no limit) or more", f.maxViewersPerAddress)
	}
	if f.changesRecent < 0 {
		return fmt.Errorf("--changes-recent %v: use 0 (no badges) or a duration such as 2h", f.changesRecent)
	}
	changesRecent := f.changesRecent
	if changesRecent == 0 {
		changesRecent = -1 // the server's zero is its default
	}
	if f.speed <= 0 || f.speed > 10000 {
		return fmt.Errorf("--speed %v: use a factor between 0 and 10000 (1 is real time)", f.speed)
	}
	proxies, err := server.ParsePrefixes(f.trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %v", err)
	}
	token, err := adminToken()
	if err != nil {
		return err
	}
	clock := server.NewClock(at, f.speed)
	opts, err := scheduleOptions(f.timezone)
	if err != nil {
		return err
	}

	var (
		sc        *schedule.Schedule
		src       *server.Source
		statePath = f.state
	)
	if f.schedule == "" {
		sc = demo.Schedule(clock.Now())
		if statePath == "" {
			statePath = "confdash-state.json"
		}
		log.Info("running the built-in demo (P99 CONF, times illustrative); pass --schedule FILE for your own")
	} else {
		src = &server.Source{Location: f.schedule, Options: opts}
		if statePath == "" {
			statePath = "confdash-state.json"
			if !src.IsURL() {
				statePath = strings.TrimSuffix(f.schedule, filepath.Ext(f.schedule)) + ".state.json"
			}
		}
		if src.IsURL() {
			src.CachePath = strings.TrimSuffix(statePath, filepath.Ext(statePath)) + ".schedule-cache"
		}
		if sc, err = loadInitial(ctx, src, log); err != nil {
			return err
		}
	}
	var origins []string
	for _, o := range strings.Split(f.origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	srv, err := server.New(server.Config{
		Schedule: sc, Source: src, Refresh: f.refresh, StatePath: statePath,
		Clock: clock, AdminToken: token, Logger: log, AllowedOrigins: origins, MaxViewers: f.maxViewers,
		MaxViewersPerAddress: f.maxViewersPerAddress,
		TrustedProxies:       proxies,
		ConnRate:             f.connRate, ConnBurst: f.connBurst, AdminRate: server.DefaultAdminRate, AdminBurst: server.DefaultAdminBurst,
		SeparateMetrics: f.metricsAddr != "",
		Cluster:         cluster,
		ChangesRecent:   changesRecent,

		PublicViewerCounts: f.publicViewerCounts,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		srv.Shutdown(context.Background())
		return fmt.Errorf("listen on %s: %w (is another confdash running? choose another --addr)", f.addr, err)
	}
	if f.metricsAddr != "" {
		mln, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			ln.Close()
			srv.Shutdown(context.Background())
			return fmt.Errorf("listen on --metrics-addr %s: %w", f.metricsAddr, err)
		}
		go func() {
			if err := srv.ServeMetrics(mln); err != nil {
				log.Error("metrics listener stopped", slog.Any("err", err))
			}
		}()
		log.Info("metrics served apart", slog.String("addr", mln.Addr().String()))
	}
	if token == "" {
		log.Info("admin API disabled: set CONFDASH_ADMIN_TOKEN to enable it")
	}
	fmt.Fprintf(stdout, "confdash serving %q on %s\n", sc.Name, displayURL(ln.Addr()))
	log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("schedule_version", sc.Version),
		slog.Int("tracks", len(sc.Tracks)), slog.Int("sessions", len(sc.Sessions)), slog.String("state", statePath))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		srv.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// loadInitial loads the schedule at start. A URL source that is down falls
// back to the last good copy on disk, so a restart during an outage of the
// conference's site still shows the day.
func loadInitial(ctx context.Context, src *server.Source, log *slog.Logger) (*schedule.Schedule, error) {
	sc, warns, err := src.Load(ctx)
	var se *server.SourceError
	if err != nil && sc == nil && src.IsURL() && errors.As(err, &se) {
		log.Warn("schedule source unavailable; using the last good copy", slog.String("source", src.Location), slog.Any("err", err), slog.String("copy", src.CachePath))
		sc, warns, err = src.LoadCached()
		if err != nil {
			return nil, fmt.Errorf("schedule source %s unavailable (%v) and no usable copy at %s: try again when it is up", src.Location, se, src.CachePath)
		}
	}
	if err != nil && sc == nil {
		return nil, fmt.Errorf("schedule not loaded:\n%w", err)
	}
	if err != nil {
		log.Warn("schedule", slog.Any("err", err))
	}
	for _, w := range warns {
		log.Warn("schedule", slog.String("warning", w.String()))
	}
	if sc.ZoneAssumed {
		log.Warn("the schedule names no time zone; assumed " + sc.TimeZone + " (set --timezone)")
	}
	return sc, nil
}

func displayURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(tcp.Port)))
}

func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

// adminToken reads the admin token from the environment only (never a flag:
// flags show in process listings), or from the file CONFDASH_ADMIN_TOKEN_FILE
// names (container secrets).
func adminToken() (string, error) {
	// Surrounding white space is trimmed (by the server, for both): a
	// newline at the end of a file or a space in an env file is never part
	// of what a client sends.
	if t := os.Getenv("CONFDASH_ADMIN_TOKEN"); strings.TrimSpace(t) != "" {
		return t, nil
	}
	if p := os.Getenv("CONFDASH_ADMIN_TOKEN_FILE"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("CONFDASH_ADMIN_TOKEN_FILE: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

func scheduleOptions(zone string) (schedule.Options, error) {
	if zone == "" {
		return schedule.Options{}, nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return schedule.Options{}, fmt.Errorf("--timezone %q: use an IANA zone name such as Europe/Brussels", zone)
	}
	return schedule.Options{Zone: loc}, nil
}

func version() string { return server.Version() }
