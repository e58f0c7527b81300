//go:build race

package hub

// The race detector makes goroutine stacks bigger, so memory limits in tests are relaxed under it.
const raceEnabled = true
