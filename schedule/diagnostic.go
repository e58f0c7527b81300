package schedule

import (
	"fmt"
	"strings"
)

// Diagnostic is one problem found in a schedule source, located precisely
// enough that an organizer can fix it: file, line and field.
type Diagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d", d.Line)
	}
	b.WriteString(": ")
	if d.Field != "" {
		b.WriteString(d.Field)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Errors is every error found in a source, reported at once.
type Errors []Diagnostic

// Error lists the first maxReported diagnostics and counts the rest.
func (e Errors) Error() string {
	shown := capDiagnostics(e)
	lines := make([]string, len(shown))
	for i, d := range shown {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// maxReported caps the diagnostics one source reports: an organizer fixes
// the first ones and checks again, and a generated file with a mistake on
// every line must not turn into a response of megabytes.
const maxReported = 50

// maxValueRunes caps a value quoted from the source in a diagnostic: enough
// to recognise it, never a whole one-line file.
const maxValueRunes = 80

// ClipValue shortens a value from the source for a diagnostic.
func ClipValue(v string) string {
	n := 0
	for i := range v {
		if n == maxValueRunes {
			return v[:i] + "…"
		}
		n++
	}
	return v
}

// clipArgs shortens every string among the arguments of a diagnostic's
// format, so that no quoted value can be long, whichever verb quotes it.
func clipArgs(args []any) []any {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = ClipValue(s)
		}
	}
	return args
}

// CapDiagnostics keeps the first diagnostics of a long list (enough to act
// on) and says how many more there were, for a report to a person.
func CapDiagnostics[T ~[]Diagnostic](ds T) T {
	return capDiagnostics(ds)
}

func capDiagnostics[T ~[]Diagnostic](ds T) T {
	if len(ds) <= maxReported {
		return ds
	}
	more := len(ds) - maxReported
	out := append(T(nil), ds[:maxReported]...)
	return append(out, Diagnostic{File: ds[0].File, Message: fmt.Sprintf("and %d more: fix these first, then check again", more)})
}

// Diagnosticf makes a diagnostic whose message is format applied to args,
// every string argument clipped to a recognisable length: the one way the
// parsers quote a value from the source. An error argument is not clipped
// (its text is the program's, not the source's).
func Diagnosticf(file string, line int, field, format string, args ...any) Diagnostic {
	return Diagnostic{File: file, Line: line, Field: field, Message: fmt.Sprintf(format, clipArgs(args)...)}
}
