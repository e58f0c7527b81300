// Package frab reads frab schedule XML (schedule/conference/day/room/event),
// as frab, pretalx, the CCC hub and pentabarf (FOSDEM) write it, into a
// schedule.Schedule through the shared build.Builder.
//
// Callers use package load, which detects the format and validates the
// result; this package knows only its own syntax.
package frab
