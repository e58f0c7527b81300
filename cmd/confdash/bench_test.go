package main

import (
	"strings"
	"testing"
)

// TestBenchCommand: `confdash bench` reaches the load generator with
// confdash's flag conventions (each flag's environment twin) and refuses a
// bad run before it opens anything.
func TestBenchCommand(t *testing.T) {
	out, _, err := runCmd(t, "bench", "help")
	if err != nil || !strings.Contains(out, "confdash bench compare") {
		t.Errorf("bench help = %v\n%s", err, out)
	}
	t.Setenv("CONFDASH_VIEWERS", "100001")
	if _, _, err := runCmd(t, "bench", "--token", "t"); err == nil || !strings.Contains(err.Error(), "--viewers 100001") {
		t.Errorf("bench with CONFDASH_VIEWERS=100001: %v, want the --viewers bound", err)
	}
	if _, _, err := runCmd(t, "bench", "floor", "--addr", "0.0.0.0:8081"); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("bench floor on 0.0.0.0: %v, want a refusal", err)
	}
}
