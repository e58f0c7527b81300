//go:build !race

package server

const resRace = false
