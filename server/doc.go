// Package server runs one confdash instance: the clock loop that sleeps
// until the schedule's next change, the HTTP API and pages (Fiber), the
// websocket upgrade, the metrics, and the organizers' changes.
//
// How the files divide:
//
//   - server.go: Config, New, Serve, Shutdown, SetSchedule.
//   - live.go: the live day (schedule, adjustments, encoded documents,
//     viewer counts). Only its methods take its lock; the clock and viewers
//     loops.
//   - store.go: the state file, and adjStore, where every organizer change
//     is applied: fileStore for a single instance, clusterStore (cluster.go,
//     linking package cluster) for several instances sharing NATS. Both
//     apply a schedule.Edit by compare-and-set on a revision and hand the
//     result back through live.onAdjustments.
//   - routes.go: the wiring. api.go: middleware (metrics, security
//     headers, the admin token, host checks). public.go: reads.
//     admin.go: the organizers' calls. validate.go: what they may send.
//     pages.go: the views and assets. errors.go: the one API error type and
//     the mapping of every domain error to it.
//   - ws.go, wsconn*.go: websockets, handed to package hub. audience.go:
//     the topic of each view and the announcements each may see.
//   - limits.go, source.go, encode.go, metrics*.go, assets.go, clock.go.
//
// It must not know how schedules are parsed (package schedule), how
// messages are fanned out (package hub) or how NATS is spoken (package
// cluster).
package server
