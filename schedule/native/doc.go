// Package native reads and writes confdash's own schedule format
// (docs/schedule-format.md), YAML or the same structure as JSON: Parse
// reports every mistake with its line and field, and Write turns any
// schedule, imported or not, into a file an organizer edits by hand and
// Parse reads back to the same instants.
//
// Callers read sources through package load, which detects the format and
// validates the result. Track ids follow build's one slug rule.
package native
