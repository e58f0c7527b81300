// Package schedule is confdash's domain: the vocabulary every other package
// speaks, as plain types and pure functions.
//
// A Schedule is a conference (tracks, sessions, days, its time zone). The
// formats live in sub-packages that all produce these types: native
// (docs/schedule-format.md), frab, schedulejson and ical, sharing one
// builder (build); load detects a source's format and is what callers use,
// and demo is the built-in demo schedule. This package imports none of
// them. A Schedule never changes once loaded. Adjustments are the organizers' live changes on top of it
// (announcements, per-track delays, when sessions really started and ended), changed only through pure operations
// that return new values. Compute turns (schedule, adjustments, instant) into
// a State: what each track plays now and next, and the next instant anything
// changes, at which the caller computes again.
//
// The package must not know about the network, the wall clock, goroutines,
// Fiber, websockets or the hub: every instant is a parameter (time.Now is
// never called), every function returns the same result for the same
// arguments, and values may be shared read-only between goroutines. The
// server owns the clock and the single goroutine that sleeps until
// State.NextChange.
package schedule

// The IANA database is embedded: a schedule's zone and iCalendar TZID
// parameters must resolve on hosts without /usr/share/zoneinfo (scratch and
// distroless images); the embedded copy is used only when the system has none.
import _ "time/tzdata"
