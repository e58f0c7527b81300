package load_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/internal/schedtest"
	"github.com/confdash/confdash/schedule/load"
)

// TestCorpusCrewFields checks what the real files tell the crew: the
// recording opt-outs (counted in the files by hand: <optout>true</optout>
// in frab XML, "do_not_record": true in schedule.json) and real values of
// subtitle, language, the source's type and the feedback link.
func TestCorpusCrewFields(t *testing.T) {
	dir := corpusDir(t)
	byFile := map[string]*schedule.Schedule{}
	for _, c := range corpusCases {
		s, _ := corpusParse(t, dir, c)
		byFile[c.file] = s
	}
	optouts := map[string]int{
		"frab-31c3-2014.xml":                 2,
		"frab-39c3-2025.xml":                 6,
		"schedulejson-pretalx-democon.json":  2,
		"schedulejson-pretalx-rc3-2020.json": 3,
		"schedulejson-camp2019-stages.json":  6,
		"schedulejson-invalid-example.json":  1,
		"schedulejson-frab-camp2019.json":    0,
		"frab-fosdem-2024.xml":               0,
	}
	for file, want := range optouts {
		got := 0
		for _, ss := range byFile[file].Sessions {
			if ss.DoNotRecord {
				got++
			}
		}
		if got != want {
			t.Errorf("%s: %d sessions do not record, want %d", file, got, want)
		}
	}

	type crew struct {
		Subtitle, Language, Type, FeedbackURL string
		DoNotRecord                           bool
	}
	spot := []struct {
		file, id string
		want     crew
	}{
		{"frab-39c3-2025.xml", "1463", crew{Language: "en", Type: "Talk", FeedbackURL: "https://cfp.cccv.de/39c3/talk/CASXCP/feedback/", DoNotRecord: true}},
		{"frab-39c3-2025.xml", "2161", crew{Language: "de", Type: "Game show", FeedbackURL: "https://cfp.cccv.de/39c3/talk/F3NXNE/feedback/", DoNotRecord: true}},
		{"frab-31c3-2014.xml", "6226", crew{Subtitle: "Neue Spiele, neue Musik und noch mehr Luftballons", Language: "de", Type: "other", DoNotRecord: true}},
		{"frab-31c3-2014.xml", "6154", crew{Language: "en", Type: "lecture"}},
		// pretalx: a workshop is a "Workshop", not a talk, and this one
		// must not be recorded.
		{"schedulejson-pretalx-democon.json", "39", crew{Language: "en", Type: "Workshop", DoNotRecord: true}},
		{"schedulejson-pretalx-rc3-2020.json", "164", crew{Language: "de", Type: "Workshop 60 Min"}},
	}
	for _, c := range spot {
		s := byFile[c.file]
		ss := schedtest.Session(t, s, c.id)
		if got := (crew{ss.Subtitle, ss.Language, ss.Type, ss.FeedbackURL, ss.DoNotRecord}); got != c.want {
			t.Errorf("%s %s = %+v, want %+v", c.file, c.id, got, c.want)
		}
	}
	// The hub sample's events have no ids: its talk is found by title.
	found := false
	for _, ss := range byFile["schedulejson-hub-schedule2-example.json"].Sessions {
		if strings.HasPrefix(ss.Title, "A Competitive Time-Trial AI") {
			found = true
			if got, want := (crew{ss.Subtitle, ss.Language, ss.Type, ss.FeedbackURL, ss.DoNotRecord}),
				(crew{Subtitle: "Most Wanted Using Deep Reinforcement Learning", Language: "en", Type: "TALK"}); got != want {
				t.Errorf("hub talk = %+v, want %+v", got, want)
			}
		}
	}
	if !found {
		t.Error("hub sample: no talk titled \"A Competitive Time-Trial AI...\"")
	}
	workshops := 0
	for _, ss := range byFile["schedulejson-pretalx-democon.json"].Sessions {
		if ss.Type == "Workshop" {
			workshops++
		}
	}
	if workshops != 9 {
		t.Errorf("democon: %d workshops, want 9", workshops)
	}
}

// TestCorpusGivenZone: democon names UTC while every event is +01:00. A
// given zone with those offsets is the one the screens show; one without
// them is refused, saying why and what to do.
func TestCorpusGivenZone(t *testing.T) {
	dir := corpusDir(t)
	path := filepath.Join(dir, "schedulejson-pretalx-democon.json")

	s, warns, err := load.ParseFile(path, schedule.Options{Zone: schedtest.Zone(t, "Europe/Berlin")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.TimeZone, "Europe/Berlin"; got != want {
		t.Errorf("timezone = %q, want %q", got, want)
	}
	if s.ZoneAssumed {
		t.Error("zone assumed, want given")
	}
	if got, want := s.Sessions[0].Start.UTC().Format("2006-01-02T15:04Z"), "2020-12-14T08:00Z"; got != want {
		t.Errorf("first start = %s, want %s: a display zone must not move instants", got, want)
	}
	if !schedtest.Warned(warns, `names time zone "UTC" but every event carries offsets of Europe/Berlin`) {
		t.Errorf("no warning about the zone used in %v", warns)
	}
	if schedtest.Warned(warns, "differ from the zone") {
		t.Errorf("offsets still said to differ from the zone: %v", warns)
	}

	_, _, err = load.ParseFile(path, schedule.Options{Zone: schedtest.Zone(t, "America/New_York")})
	var errs schedule.Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("America/New_York: err = %v, want one located error", err)
	}
	for _, part := range []string{"America/New_York does not agree with the file's offsets", "+01:00", "-05:00", "show the times in UTC"} {
		if !strings.Contains(errs[0].Message, part) {
			t.Errorf("error %q does not say %q", errs[0].Message, part)
		}
	}

	// rc3 names no zone and every event is +01:00: a zone without that
	// offset is refused there too.
	_, _, err = load.ParseFile(filepath.Join(dir, "schedulejson-pretalx-rc3-2020.json"), schedule.Options{Zone: schedtest.Zone(t, "America/New_York")})
	if err == nil || !strings.Contains(err.Error(), "show the times in the zone of their offsets") {
		t.Errorf("rc3 with America/New_York: err = %v, want a refusal", err)
	}
	s, _, err = load.ParseFile(filepath.Join(dir, "schedulejson-pretalx-rc3-2020.json"), schedule.Options{Zone: schedtest.Zone(t, "Europe/Berlin")})
	if err != nil {
		t.Errorf("rc3 with Europe/Berlin: %v", err)
	} else if s.TimeZone != "Europe/Berlin" {
		t.Errorf("rc3 with Europe/Berlin: shown in %s", s.TimeZone)
	}

	// FOSDEM gives local times only: the given zone reads them, as before.
	s, _, err = load.ParseFile(filepath.Join(dir, "frab-fosdem-2024.xml"), schedule.Options{Zone: schedtest.Zone(t, "Europe/Brussels")})
	if err != nil {
		t.Fatalf("fosdem: %v", err)
	}
	if s.TimeZone != "Europe/Brussels" {
		t.Errorf("fosdem: shown in %s, want Europe/Brussels", s.TimeZone)
	}
}
