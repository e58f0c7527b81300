package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ServeMetrics serves GET /metrics, and nothing else, on ln until Shutdown.
// With Config.SeparateMetrics it is the only place the metrics are served:
// give it an internal address (--metrics-addr) that the public cannot reach,
// since the metrics tell how many people watch and how the server fares.
func (s *Server) ServeMetrics(ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{Registry: s.m.reg}))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			mux.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       90 * time.Second,
	}
	if !s.metricsSrv.add(srv) {
		ln.Close()
		return nil // already shut down
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// shutdownMetrics stops every metrics listener, letting scrapes in flight
// finish.
func (s *Server) shutdownMetrics(ctx context.Context) error {
	var errs []error
	for _, srv := range s.metricsSrv.close() {
		errs = append(errs, srv.Shutdown(ctx))
	}
	return errors.Join(errs...)
}
