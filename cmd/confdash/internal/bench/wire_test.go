package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBenchWire runs `bench wire` on FOSDEM 2024's Saturday (the schedule
// corpus beside the repository) at --speed 3600: the all-tracks tab gets at
// most 300 KB over protocol 2 (6.1 MB over 1), and every viewer the same
// number of changes over both.
func TestBenchWire(t *testing.T) {
	if testing.Short() {
		t.Skip("follows a conference day (8 s) after building confdash")
	}
	corpus := filepath.Join("..", "..", "..", "..", "..", "shared", "schedules", "frab-fosdem-2024.xml")
	if _, err := os.Stat(corpus); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the schedule corpus must be beside the repository in CI: %v", err)
		}
		t.Skipf("the schedule corpus is not beside the repository: %v", err)
	}
	e := testEnv(t)
	var out bytes.Buffer
	e.Stdout = &out
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.Main(ctx, []string{"wire", "--schedule", corpus, "--day", "2024-02-03", "--speed", "3600", "--json"}); err != nil {
		t.Fatal(err)
	}
	var rep wireReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if len(rep.Viewers) != 4 {
		t.Fatalf("%d viewers, want a tab and a room screen over protocols 1 and 2", len(rep.Viewers))
	}
	changes := func(v wireViewer) int { return v.Messages["state"] + v.Messages["delta"] }
	for i := 0; i < 4; i += 2 {
		v1, v2 := rep.Viewers[i], rep.Viewers[i+1]
		if v1.Protocol != 1 || v2.Protocol != 2 || v2.Messages["state"] != 1 || changes(v1) != changes(v2) || changes(v1) < 10 {
			t.Errorf("%s: %+v over protocol 1, %+v over 2: want the same changes, all but the first a delta over 2", v1.Name, v1, v2)
		}
		if v2.Bytes >= v1.Bytes {
			t.Errorf("%s: %d bytes over protocol 2, %d over 1", v1.Name, v2.Bytes, v1.Bytes)
		}
	}
	if tab := rep.Viewers[1]; tab.Bytes > 300_000 {
		t.Errorf("all-tracks tab: %d bytes over protocol 2 for the day, want at most 300 KB", tab.Bytes)
	}
	t.Logf("tab %d -> %d bytes, room screen %d -> %d bytes", rep.Viewers[0].Bytes, rep.Viewers[1].Bytes, rep.Viewers[2].Bytes, rep.Viewers[3].Bytes)
}
