package server

import (
	"runtime/debug"
	"time"

	"github.com/confdash/confdash/hub"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are confdash's Prometheus metrics, on a private registry. Every
// label is bounded: track ids come from the schedule, views and reasons from
// fixed sets, routes from the route table. Never IPs, user agents or text.
type metrics struct {
	reg *prometheus.Registry

	viewers           *prometheus.GaugeVec   // track, view
	connOpened        *prometheus.CounterVec // view
	connClosed        *prometheus.CounterVec // reason
	upgradesRejected  *prometheus.CounterVec // reason
	messagesSent      prometheus.Counter
	messagesDropped   prometheus.Counter
	broadcastDuration prometheus.Histogram
	transitions       *prometheus.CounterVec // track
	delay             *prometheus.GaugeVec   // track
	sessionPeak       *prometheus.GaugeVec   // track, session
	scheduleInfo      *prometheus.GaugeVec   // version, format
	lastTransition    prometheus.Gauge
	nextTransition    prometheus.Gauge
	reloads           *prometheus.CounterVec // result
	stateWriteErrors  prometheus.Counter
	httpDuration      *prometheus.HistogramVec // route, method, code
	announcements     prometheus.Gauge
	screens           *prometheus.GaugeVec // view, state
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		viewers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "confdash_viewers", Help: "Connected viewers now, by track (\"all\" for all-track pages) and view.",
		}, []string{"track", "view"}),
		connOpened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "confdash_connections_opened_total", Help: "Websocket connections accepted, by view.",
		}, []string{"view"}),
		connClosed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "confdash_connections_closed_total", Help: "Websocket connections closed, by reason (client, pong_timeout, slow_consumer, shutdown, policy, write_error).",
		}, []string{"reason"}),
		upgradesRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "confdash_upgrades_rejected_total", Help: "Websocket upgrades refused, by reason (origin, max_viewers, per_address, rate_limit, bad_request).",
		}, []string{"reason"}),
		messagesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "confdash_messages_sent_total", Help: "Websocket messages written to clients.",
		}),
		messagesDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "confdash_messages_dropped_total", Help: "Websocket messages not delivered because their client was disconnected as too slow.",
		}),
		broadcastDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "confdash_broadcast_duration_seconds", Help: "Time from publishing one message until every subscriber of a topic has it written to its socket or queued.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 4, 10),
		}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "confdash_schedule_transitions_total", Help: "Changes of a track's now/next pushed to clients, by track.",
		}, []string{"track"}),
		delay: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "confdash_track_delay_seconds", Help: "Current delay of a track set by the organizers.",
		}, []string{"track"}),
		sessionPeak: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "confdash_session_peak_viewers", Help: "Most concurrent viewers of a track while a session was playing, by track and session id.",
		}, []string{"track", "session"}),
		scheduleInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "confdash_schedule_info", Help: "The running schedule: always 1, labelled with its version and source format.",
		}, []string{"version", "format"}),
		lastTransition: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "confdash_last_transition_timestamp_seconds", Help: "Unix time (schedule clock) of the last now/next change pushed to clients.",
		}),
		nextTransition: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "confdash_next_transition_timestamp_seconds",
			Help: "Wall-clock Unix time at which the next now/next change is due (0 when the schedule has none left); an alert compares it with time() to catch a transition that did not happen.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "confdash_schedule_reloads_total", Help: "Schedule reloads and refreshes, by result (changed, unchanged, invalid, failed).",
		}, []string{"result"}),
		stateWriteErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "confdash_state_write_errors_total", Help: "Failed writes of the state file (announcements and delays).",
		}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "confdash_http_request_duration_seconds", Help: "HTTP request duration by route pattern, method and status code.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9),
		}, []string{"route", "method", "code"}),
		announcements: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "confdash_announcements", Help: "Announcements currently shown.",
		}),
		screens: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "confdash_screens", Help: "Pages that said who they are (the screens fleet), by view (tab, screen, overlay) and state (online, offline: disconnected within the last 24 h).",
		}, []string{"view", "state"}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "confdash_build_info", Help: "Build of the running binary: always 1.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(Version(), goVersion()).Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build, m.viewers, m.connOpened, m.connClosed, m.upgradesRejected, m.messagesSent, m.messagesDropped,
		m.broadcastDuration, m.transitions, m.delay, m.sessionPeak, m.scheduleInfo, m.lastTransition, m.nextTransition,
		m.reloads, m.stateWriteErrors, m.httpDuration, m.announcements, m.screens,
	)
	// Counters start at 0 for every known label, so that increase() and
	// changes() see the first event.
	for _, r := range hub.Reasons() {
		m.connClosed.WithLabelValues(string(r))
	}
	for _, r := range []string{"changed", "unchanged", "invalid", "failed"} {
		m.reloads.WithLabelValues(r)
	}
	return m
}

// hubObserver feeds the hub's events into the metrics. It is called from hub
// goroutines and only touches atomic counters.
type hubObserver struct{ m *metrics }

func (o hubObserver) Sent(topic string, n int)    { o.m.messagesSent.Add(float64(n)) }
func (o hubObserver) Dropped(topic string, n int) { o.m.messagesDropped.Add(float64(n)) }
func (o hubObserver) Disconnected(topic string, reason hub.Reason) {
	o.m.connClosed.WithLabelValues(string(reason)).Inc()
}
func (o hubObserver) Broadcast(topic string, subscribers int, d time.Duration) {
	o.m.broadcastDuration.Observe(d.Seconds())
}

// Version is the module version of the running binary, or "devel".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown"
}
