package demo

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/schedule/native"
	"github.com/google/go-cmp/cmp"
)

// The embedded file passes the strict rules without a single warning.
func TestDemoSourceIsClean(t *testing.T) {
	s, warns, err := load.Parse("demo", Source(), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if got, want := len(s.Days), 2; got != want {
		t.Fatalf("%d days, want %d", got, want)
	}
	if got, want := s.Days[0].Date+" "+s.Days[1].Date, "2021-10-06 2021-10-07"; got != want {
		t.Errorf("days %s, want %s", got, want)
	}
	// Day One had 18 sessions with speakers; Day Two opens with Dor Laor's
	// intro and Bryan Cantrill's keynote.
	talks := 0
	var dayTwo []string
	for _, ss := range s.Sessions {
		if ss.Day == 0 && len(ss.Speakers) > 0 {
			talks++
		}
		if ss.Day == 1 && ss.Track == "general" {
			dayTwo = append(dayTwo, ss.ID)
		}
	}
	if got, want := talks, 18; got != want {
		t.Errorf("Day One has %d sessions with speakers, want %d", got, want)
	}
	if len(dayTwo) < 2 || dayTwo[0] != "dor-laor-day-two" || dayTwo[1] != "bryan-cantrill-keynote" {
		t.Errorf("Day Two general track = %v, want the intro then the keynote", dayTwo)
	}
	for _, ss := range s.Sessions {
		if ss.URL != "" && ss.URL != "https://www.p99conf.io/" {
			t.Errorf("%s links to %s: the demo links only to the event's site", ss.ID, ss.URL)
		}
	}
	// The copy is the caller's.
	Source()[0] = 'X'
	if !bytes.HasPrefix(Source(), []byte("# ")) {
		t.Errorf("Source hands out the embedded bytes")
	}
}

// Whenever the demo starts, a newcomer lands about 35% into Day One, with
// something running on every track, a countdown and a next talk.
func TestDemo(t *testing.T) {
	base, _, err := load.Parse("demo", Source(), schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nows := []time.Time{
		time.Date(2026, 5, 1, 14, 2, 0, 0, time.UTC),
		time.Date(2026, 3, 8, 10, 2, 30, 0, time.UTC),   // the morning US clocks go forward
		time.Date(2026, 10, 25, 1, 7, 29, 0, time.UTC),  // Europe's clocks go back
		time.Date(2026, 11, 1, 8, 31, 0, 0, time.UTC),   // Day One across Los Angeles' repeated hour
		time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),     // midnight
		time.Date(2021, 10, 6, 16, 31, 0, 0, time.UTC),  // the real Day One, 09:31 PDT
		time.Date(2019, 2, 28, 23, 57, 31, 0, time.UTC), // odd seconds
	}
	for _, now := range nows {
		t.Run(now.Format(time.RFC3339), func(t *testing.T) {
			s := Schedule(now)
			shift := s.Sessions[0].Start.Sub(base.Sessions[0].Start)
			if shift%(5*time.Minute) != 0 {
				t.Errorf("shifted by %v, not a whole number of 5-minute steps", shift)
			}
			day := s.Days[0]
			if p := float64(now.Sub(day.Start)) / float64(day.End.Sub(day.Start)); p < 0.33 || p > 0.37 {
				t.Errorf("now is %.3f into Day One, want about 0.35", p)
			}
			st := schedule.Compute(s, schedule.Adjustments{}, now)
			for _, ts := range st.Tracks {
				if ts.Now == nil {
					t.Errorf("%s: nothing running", ts.Track.ID)
					continue
				}
				if ts.Now.Day != 0 {
					t.Errorf("%s: running %s from day %d, want Day One", ts.Track.ID, ts.Now.ID, ts.Now.Day)
				}
				if ts.Track.ID != "general" && (ts.Now.Kind == schedule.KindOther || ts.Next == nil) {
					t.Errorf("%s: running %s (%s), next %v: want a talk and a next one", ts.Track.ID, ts.Now.ID, ts.Now.Kind, schedtest.ID(ts.Next))
				}
				if ts.NextChange.IsZero() || ts.NextChange.Sub(now) > 90*time.Minute {
					t.Errorf("%s: next change %s, want a countdown", ts.Track.ID, schedtest.Show(ts.NextChange))
				}
			}
			if shift != 0 && !strings.HasPrefix(s.Version, base.Version+"-s") {
				t.Errorf("Version %q, want %q with a shift suffix", s.Version, base.Version)
			}

			// The shifted schedule, written back in the native format,
			// passes the strict rules and reads the same.
			var src bytes.Buffer
			if err := native.Write(&src, s, "yaml"); err != nil {
				t.Fatal(err)
			}
			again, _, err := native.Parse("shifted.yaml", src.Bytes())
			if err != nil {
				t.Fatalf("the shifted demo does not parse: %v", err)
			}
			again.Index()
			type key struct {
				ID, Track, Title string
				Kind             schedule.Kind
				Start, End       time.Time
			}
			keys := func(s *schedule.Schedule) []key {
				var out []key
				for _, ss := range s.Sessions {
					out = append(out, key{ss.ID, ss.Track, ss.Title, ss.Kind, ss.Start.UTC(), ss.End.UTC()})
				}
				return out
			}
			if diff := cmp.Diff(keys(s), keys(again)); diff != "" {
				t.Errorf("shifted demo does not read back the same (-shifted +read):\n%s", diff)
			}
		})
	}
}
