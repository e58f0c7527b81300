// Package build is what every schedule format shares: the Builder that turns
// the sessions an importer reads into a Schedule (tracks from rooms, unique
// ids, days, warnings), and the rules all formats follow, each in one place:
// the slug of a track id (Slug), the conference day of an instant (DayDate,
// Days), the order of diagnostics (SortDiagnostics), and the readers of
// clock times, durations and instants the importers' sources write.
//
// It imports only the domain package schedule; the format packages import
// it. It knows no format's syntax.
package build
