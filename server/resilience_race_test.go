//go:build race

package server

// resRace scales the load tests down under the race detector, which makes
// every goroutine several times slower and larger.
const resRace = true
