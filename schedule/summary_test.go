package schedule_test

import (
	"encoding/json"
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
)

func TestSummary(t *testing.T) {
	s := schedtest.Sample(t)
	// A declared track without sessions is not counted.
	s.Tracks = append(s.Tracks, schedule.Track{ID: "empty", Name: "Empty"})
	s.Days = []schedule.Day{{Date: "2024-10-26"}, {Date: "2024-10-27"}}
	s.ZoneAssumed = true
	b, err := json.Marshal(schedule.Summarize(s))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format":"frab-xml","name":"Test; Con, 2024","days":2,"tracks":2,"sessions":4,"timezone":"Europe/Berlin",` +
		`"zone_assumed":true,"first_start":"2024-10-26T08:00:00Z","last_end":"2024-10-27T02:30:00Z"}`
	if got := string(b); got != want {
		t.Errorf("summary = %s\nwant      %s", got, want)
	}
}
