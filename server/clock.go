package server

import "time"

// Clock is the server's notion of "now" on the schedule. Every client follows
// it (hello and pong carry it), so a rehearsal with --at/--speed shows the same
// instant on every screen.
type Clock interface {
	// Now is the current instant of the schedule clock.
	Now() time.Time
	// Until is how long, in real time, until the schedule clock reaches t.
	Until(t time.Time) time.Duration
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time                  { return time.Now() }
func (RealClock) Until(t time.Time) time.Duration { return time.Until(t) }

// scaledClock runs from at, speed times faster than real time. It reads the
// monotonic clock, so wall-clock steps on the host do not move it.
type scaledClock struct {
	at    time.Time
	start time.Time
	speed float64
}

// NewClock returns a clock that reads at now and then advances speed times
// faster than real time (speed 1 is real time). A zero at means the present.
func NewClock(at time.Time, speed float64) Clock {
	if speed <= 0 {
		speed = 1
	}
	start := time.Now()
	if at.IsZero() {
		if speed == 1 {
			return RealClock{}
		}
		at = start
	}
	return &scaledClock{at: at, start: start, speed: speed}
}

func (c *scaledClock) Now() time.Time {
	return c.at.Add(time.Duration(float64(time.Since(c.start)) * c.speed))
}

func (c *scaledClock) Until(t time.Time) time.Duration {
	return time.Duration(float64(t.Sub(c.Now())) / c.speed)
}
