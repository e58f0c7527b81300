package native_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/schedule/native"
)

// stageDoc is a one-track schedule whose track carries the lines given.
func stageDoc(trackLines string) string {
	return "name: x\ntimezone: UTC\ntracks:\n  - id: a\n    name: A\n" + trackLines +
		"sessions: [{track: a, title: t, start: 2026-01-01 10:00, duration: 1h}]\n"
}

// TestParseNativeStageThresholds: a track's stage_warn_minutes and
// stage_danger_minutes are read, written back, and refused with the line
// and what to write when they would turn the stage view red before amber.
func TestParseNativeStageThresholds(t *testing.T) {
	ok := []struct {
		name                   string
		lines                  string
		warn, danger           int // as stored: 0 is the default
		effectiveW, effectiveD int
	}{
		{"none: the defaults", "", 0, 0, 5, 2},
		{"both", "    stage_warn_minutes: 10\n    stage_danger_minutes: 3\n", 10, 3, 10, 3},
		{"warn alone, above the default danger", "    stage_warn_minutes: 3\n", 3, 0, 3, 2},
		{"danger alone, below the default warn", "    stage_danger_minutes: 1\n", 0, 1, 5, 1},
		{"the most", "    stage_warn_minutes: 120\n    stage_danger_minutes: 119\n", 120, 119, 120, 119},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			s := nativeTestParse(t, stageDoc(tt.lines))
			tr := s.Tracks[0]
			if tr.StageWarnMinutes != tt.warn || tr.StageDangerMinutes != tt.danger {
				t.Errorf("stored %d/%d, want %d/%d", tr.StageWarnMinutes, tr.StageDangerMinutes, tt.warn, tt.danger)
			}
			if w, d := tr.StageThresholds(); w != tt.effectiveW || d != tt.effectiveD {
				t.Errorf("thresholds %d/%d, want %d/%d", w, d, tt.effectiveW, tt.effectiveD)
			}
			// The writer keeps what the organizer wrote, and only that.
			var buf bytes.Buffer
			if err := native.Write(&buf, s, "yaml"); err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Contains(buf.String(), "stage_warn_minutes"), tt.warn != 0; got != want {
				t.Errorf("written file has stage_warn_minutes: %v, want %v:\n%s", got, want, buf.String())
			}
			back, _, err := load.Parse("w.yaml", buf.Bytes(), schedule.Options{})
			if err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			if back.Tracks[0] != tr {
				t.Errorf("read back %+v, want %+v", back.Tracks[0], tr)
			}
		})
	}

	bad := []struct {
		name, lines string
		line        int
		field, msg  string
	}{
		{"zero", "    stage_warn_minutes: 0\n", 6, "tracks[0].stage_warn_minutes", `"0" is not a number of minutes: write a whole number from 1 to 120`},
		{"over two hours", "    stage_danger_minutes: 121\n", 6, "tracks[0].stage_danger_minutes", "from 1 to 120"},
		{"not a number", "    stage_warn_minutes: 5m\n", 6, "tracks[0].stage_warn_minutes", `"5m" is not a number of minutes`},
		{"fraction", "    stage_warn_minutes: 2.5\n", 6, "tracks[0].stage_warn_minutes", "whole number"},
		{"red before amber", "    stage_warn_minutes: 3\n    stage_danger_minutes: 4\n", 7, "tracks[0].stage_danger_minutes",
			"turns red at 4 minutes left, which must come after it turns amber at 3: make stage_danger_minutes smaller than stage_warn_minutes"},
		{"equal", "    stage_warn_minutes: 4\n    stage_danger_minutes: 4\n", 7, "tracks[0].stage_danger_minutes", "must come after"},
		{"warn alone at the default danger", "    stage_warn_minutes: 2\n", 6, "tracks[0].stage_warn_minutes", "(defaults 2 and 5)"},
		{"danger alone at the default warn", "    stage_danger_minutes: 5\n", 6, "tracks[0].stage_danger_minutes", "turns red at 5 minutes left"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := native.Parse("t.yaml", []byte(stageDoc(tt.lines)))
			var errs schedule.Errors
			if s != nil || !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("got %v, %v; want one error", s != nil, err)
			}
			if d := errs[0]; d.Line != tt.line || d.Field != tt.field || !strings.Contains(d.Message, tt.msg) {
				t.Errorf("error = %s\nwant t.yaml:%d: %s: ...%s...", d, tt.line, tt.field, tt.msg)
			}
		})
	}
}
