package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/confdash/confdash/schedule"
)

// convert writes any supported schedule in confdash's own format (or as
// iCalendar), so an organizer can import once and then edit by hand.
func convert(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("convert", "convert FILE --to yaml|json|ics [--timezone ZONE] [-o OUT]", stderr)
	to := fs.String("to", "yaml", "output format: yaml, json or ics")
	out := fs.String("o", "", "write to this file instead of standard output")
	sc, _, _, err := loadArg(fs, args, stderr)
	if err != nil {
		return err
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	switch strings.ToLower(*to) {
	case "yaml", "json":
		err = schedule.WriteNative(w, sc, strings.ToLower(*to))
	case "ics":
		err = schedule.WriteICS(w, sc, sc.Timed(schedule.Adjustments{}))
	default:
		return fmt.Errorf("--to %q: use yaml, json or ics", *to)
	}
	return err
}
