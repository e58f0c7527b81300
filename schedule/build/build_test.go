package build

import (
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
)

func TestKindOf(t *testing.T) {
	for typ, want := range map[string]schedule.Kind{
		"lecture": schedule.KindTalk, "Talk": schedule.KindTalk, "Talk 30 min + 10min Q&A": schedule.KindTalk, "LIGHTNING_TALK": schedule.KindTalk,
		"keynote": schedule.KindKeynote, "Keynote talk": schedule.KindKeynote, "panel": schedule.KindPanel, "Podium": schedule.KindPanel,
		"break": schedule.KindBreak, "Coffee break": schedule.KindBreak, "Kaffeepause": schedule.KindBreak, "Breakout session": schedule.KindOther,
		"workshop": schedule.KindOther, "DJ Set": schedule.KindOther, "": schedule.KindTalk,
	} {
		if got := KindOf(typ); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", typ, got, want)
		}
	}
}

func TestSlug(t *testing.T) {
	for name, want := range map[string]string{
		"Saal 1": "saal-1", "r3s - Monheim/Rhein": "r3s-monheim-rhein", "Fireplace (Workshop THM)": "fireplace-workshop-thm",
		"Ça Größe": "ca-groesse", "会议室": "room", "  --  ": "room",
		strings.Repeat("long ", 20): strings.TrimRight(strings.Repeat("long-", 9), "-"),
	} {
		if got := Slug(name); got != want {
			t.Errorf("Slug(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"00:30": 30 * time.Minute, "1:30": 90 * time.Minute, "00:25:00": 25 * time.Minute, "12:59": 12*time.Hour + 59*time.Minute,
		"26:00": 26 * time.Hour, "PT1H30M": 90 * time.Minute, "P1D": 24 * time.Hour, "PT45S": 45 * time.Second,
	} {
		got, err := Duration(in)
		if err != nil || got != want {
			t.Errorf("Duration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "90", "1:60", "a:b", "-1:00", "1:2:3:4", "P", "PT", "P1M", "PT1H2", "P1Y", "999999:00:00:00"} {
		if got, err := Duration(in); err == nil {
			t.Errorf("Duration(%q) = %v, want an error", in, got)
		}
	}
}
