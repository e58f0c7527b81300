package native_test

import (
	"strings"
	"testing"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
)

const languageSource = `name: Sprachtest
timezone: Europe/Berlin
language: %s
tracks:
  - id: main
    name: Saal 1
sessions:
  - id: a
    track: main
    title: Eröffnung
    start: 2026-03-10 09:00
    duration: 30m
`

// TestNativeLanguage reads the optional conference language, normalised,
// writes it back, and names a value that is no language tag.
func TestNativeLanguage(t *testing.T) {
	for _, c := range []struct{ in, want string }{{"de", "de"}, {"pt-br", "pt-BR"}, {"EN", "en"}, {`""`, ""}} {
		s, _, err := load.Parse("lang.yaml", []byte(strings.Replace(languageSource, "%s", c.in, 1)), schedule.Options{})
		if err != nil {
			t.Fatalf("language: %s: %v", c.in, err)
		}
		if s.Language != c.want {
			t.Errorf("language: %s read as %q, want %q", c.in, s.Language, c.want)
		}
		back, out := writeBack(t, s, "yaml")
		if back.Language != c.want {
			t.Errorf("language: %s written and read back as %q, want %q\n%s", c.in, back.Language, c.want, out)
		}
	}
	_, _, err := load.Parse("lang.yaml", []byte(strings.Replace(languageSource, "%s", "German", 1)), schedule.Options{})
	if err == nil || !strings.Contains(err.Error(), "lang.yaml:3: language:") || !strings.Contains(err.Error(), "language: de") {
		t.Fatalf("language: German: got %v, want an error on line 3 naming the field and an example", err)
	}
}
