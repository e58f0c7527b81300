package server

import "testing"

// The name under an installed icon: the conference's if a launcher shows it
// whole, else its first words that fit, else its first word cut short.
func TestShortName(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"FOSDEM 2024", "FOSDEM 2024"},
		{"31. Chaos Communication Congress", "31. Chaos"},
		{"PyCon AU 2023 Adelaide", "PyCon AU"},
		{"Datenspuren-Konferenz 2024", "Datenspuren…"},
		{"Café Ünïcödé", "Café Ünïcödé"}, // 12 characters, more bytes
	} {
		if got := shortName(c.name); got != c.want {
			t.Errorf("shortName(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
