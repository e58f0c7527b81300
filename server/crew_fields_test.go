package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/google/go-cmp/cmp"
)

// crewDay has, at the test clock's 09:40 in Berlin, a workshop on main
// that must be neither recorded nor streamed, and a plain talk next.
const crewDay = `name: Crew Day
timezone: Europe/Berlin
tracks:
  - {id: main, name: Main Hall}
sessions:
  - id: ws
    track: main
    title: Soldering
    subtitle: for beginners
    kind: other
    type: Workshop
    language: de
    do_not_record: true
    do_not_stream: true
    feedback_url: https://cfp.example.org/talk/WS/feedback/
    start: 2026-10-06 09:00
    end: 2026-10-06 10:00
  - {id: plain, track: main, title: Plain, start: 2026-10-06 10:00, end: 2026-10-06 10:30}
`

// TestCrewFieldsInDocuments: the state and schedule documents carry what
// the source tells the crew, and leave out what it does not say.
func TestCrewFieldsInDocuments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crew.yaml")
	if err := os.WriteFile(path, []byte(crewDay), 0o600); err != nil {
		t.Fatal(err)
	}
	sc, _, err := load.ParseFile(path, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Schedule: sc})

	crew := func(doc map[string]any) map[string]any {
		out := map[string]any{}
		for _, k := range []string{"subtitle", "language", "type", "do_not_record", "do_not_stream", "feedback_url"} {
			if v, ok := doc[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	want := map[string]any{
		"subtitle": "for beginners", "language": "de", "type": "Workshop",
		"do_not_record": true, "do_not_stream": true, "feedback_url": "https://cfp.example.org/talk/WS/feedback/",
	}

	var state struct {
		Tracks []struct {
			Now, Next map[string]any
		}
	}
	if err := json.Unmarshal(ts.get(t, "/api/v1/state?track=main"), &state); err != nil {
		t.Fatal(err)
	}
	if len(state.Tracks) != 1 || state.Tracks[0].Now == nil || state.Tracks[0].Next == nil {
		t.Fatalf("state = %+v, want ws now and plain next", state)
	}
	if diff := cmp.Diff(want, crew(state.Tracks[0].Now)); diff != "" {
		t.Errorf("state: now (-want +got):\n%s", diff)
	}
	if got := crew(state.Tracks[0].Next); len(got) != 0 {
		t.Errorf("state: next carries %v, want none of the crew fields", got)
	}

	var sched struct{ Sessions []map[string]any }
	if err := json.Unmarshal(ts.get(t, "/api/v1/schedule"), &sched); err != nil {
		t.Fatal(err)
	}
	if len(sched.Sessions) != 2 {
		t.Fatalf("schedule lists %d sessions, want 2", len(sched.Sessions))
	}
	if diff := cmp.Diff(want, crew(sched.Sessions[0])); diff != "" {
		t.Errorf("schedule: ws (-want +got):\n%s", diff)
	}
	if got := crew(sched.Sessions[1]); len(got) != 0 {
		t.Errorf("schedule: plain carries %v, want none of the crew fields", got)
	}
}
