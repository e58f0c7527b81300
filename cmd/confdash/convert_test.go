package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestConvertOutput: -o writes the file; a target that cannot take the bytes
// (/dev/full: every write fails with ENOSPC, here at the final flush) fails
// the command and names the file; a bad --to leaves an existing file as it
// was.
func TestConvertOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.yaml")
	if _, errOut, err := runCmd(t, "convert", "testdata/good.yaml", "-o", out); err != nil {
		t.Fatalf("convert -o %s: %v\n%s", out, err, errOut)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), "Cmdconf") {
		t.Fatalf("the written file = %q, %v; want the converted schedule", b, err)
	}

	if _, err := os.Stat("/dev/full"); err != nil {
		t.Fatalf("this test needs /dev/full: %v", err)
	}
	for _, to := range []string{"yaml", "json", "ics"} {
		_, _, err := runCmd(t, "convert", "testdata/good.yaml", "--to", to, "-o", "/dev/full")
		if err == nil {
			t.Fatalf("convert --to %s -o /dev/full succeeded, want an error", to)
		}
		if !strings.Contains(err.Error(), "/dev/full") || !strings.Contains(err.Error(), syscall.ENOSPC.Error()) ||
			!strings.Contains(err.Error(), "choose another -o") {
			t.Errorf("convert --to %s -o /dev/full: %v, want the file, the cause and what to do", to, err)
		}
	}

	const precious = "an earlier conversion\n"
	if err := os.WriteFile(out, []byte(precious), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, "convert", "testdata/good.yaml", "--to", "pdf", "-o", out); err == nil {
		t.Fatal("convert --to pdf succeeded")
	}
	if b, _ := os.ReadFile(out); string(b) != precious {
		t.Errorf("after a refused --to, the -o file holds %q, want it untouched (%q)", b, precious)
	}
}
