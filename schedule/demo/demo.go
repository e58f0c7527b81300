// Package demo is the built-in demo schedule: P99 CONF 2021 in the native
// format, loaded like any file and shifted so that a newcomer lands in the
// middle of a conference day.
package demo

import (
	"bytes"
	_ "embed"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
)

// source is P99 CONF 2021 in the native format (see the file's header for
// what in it is the event's and what is illustrative).
//
//go:embed p99conf-2021.yaml
var source []byte

const (
	// progress is how far into Day One a newcomer lands: far enough for
	// talks to be running on every track, with a countdown and a next talk.
	progress = 0.35
	// step keeps shifted times on round minutes, as a real programme.
	step = 5 * time.Minute
)

// Source returns the built-in demo schedule's source (a copy), for
// `confdash convert` and the documentation.
func Source() []byte {
	return bytes.Clone(source)
}

// Schedule returns the built-in demo schedule shifted by a whole number of
// steps so that now falls about 35% into Day One. Its Version changes with
// the shift.
func Schedule(now time.Time) *schedule.Schedule {
	s, _, err := load.Parse("built-in demo schedule", source, schedule.Options{})
	if err != nil {
		// The file is compiled in and tested: this is a build mistake.
		panic("demo: the built-in demo does not parse: " + err.Error())
	}
	day := s.Days[0]
	target := day.Start.Add(time.Duration(float64(day.End.Sub(day.Start)) * progress))
	return s.Shift(now.Sub(target).Round(step))
}
