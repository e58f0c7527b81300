// Package schedulejson reads schedule.json (frab, pretalx, c3voc: days
// holding rooms holding events) with Parse, and the CCC hub's flat
// "schedule2" with Parse2, through the shared build.Builder. Detect tells
// the two and the native format's JSON apart.
//
// Callers use package load, which detects the format and validates the
// result; this package knows only its own syntax.
package schedulejson
