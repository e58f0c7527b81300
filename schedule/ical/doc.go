// Package ical reads and writes iCalendar (RFC 5545): Parse imports a
// calendar's VEVENTs as sessions through the shared build.Builder, and Write
// publishes a schedule as a calendar (GET /schedule.ics, `confdash convert
// --to ics`) that Parse reads back.
//
// Callers read sources through package load, which detects the format and
// validates the result; this package knows only its own syntax.
package ical
