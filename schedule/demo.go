package schedule

import (
	"bytes"
	_ "embed"
	"time"
)

// demoSource is P99 CONF 2021 in the native format (see the file's header
// for what in it is the event's and what is illustrative).
//
//go:embed demo/p99conf-2021.yaml
var demoSource []byte

const (
	// demoProgress is how far into Day One a newcomer lands: far enough for
	// talks to be running on every track, with a countdown and a next talk.
	demoProgress = 0.35
	// demoStep keeps shifted times on round minutes, as a real programme.
	demoStep = 5 * time.Minute
)

// DemoSource returns the built-in demo schedule's source (a copy), for
// `confdash convert` and the documentation.
func DemoSource() []byte {
	return bytes.Clone(demoSource)
}

// Demo returns the built-in demo schedule shifted by a whole number of
// demoStep so that now falls about demoProgress into Day One. Its Version
// changes with the shift.
func Demo(now time.Time) *Schedule {
	s, _, err := Parse("built-in demo schedule", demoSource, Options{})
	if err != nil {
		// The file is compiled in and tested: this is a build mistake.
		panic("schedule: the built-in demo does not parse: " + err.Error())
	}
	day := s.Days[0]
	target := day.Start.Add(time.Duration(float64(day.End.Sub(day.Start)) * demoProgress))
	return s.Shift(now.Sub(target).Round(demoStep))
}
