package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// termSafe makes text that came from a schedule or a server safe to print on
// a terminal: control characters (C0, DEL, C1, so every ESC that could retitle
// the window, clear the screen or move the cursor) and the bidirectional
// overrides and isolates (U+202A–U+202E, U+2066–U+2069, which reorder what
// the reader sees) are written in their escaped form, \x1b or \u202e, so
// they show instead of acting. Bytes that are not UTF-8 become U+FFFD.
// Newlines are escaped too: one field stays on one line and cannot fake the
// next; text of several lines is made safe line by line (termSafeLines).
func termSafe(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case unsafeRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// termSafeLines is termSafe for text of several lines, such as an error
// listing every problem of a schedule: the line breaks stay.
func termSafeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = termSafe(l)
	}
	return strings.Join(lines, "\n")
}

func needsEscape(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			return true
		}
	}
	return false
}

func unsafeRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
