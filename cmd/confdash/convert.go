package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/ical"
	"github.com/confdash/confdash/schedule/native"
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
	var write func(io.Writer) error
	switch strings.ToLower(*to) {
	case "yaml", "json":
		write = func(w io.Writer) error { return native.Write(w, sc, strings.ToLower(*to)) }
	case "ics":
		write = func(w io.Writer) error { return ical.Write(w, sc, sc.Timed(schedule.Adjustments{})) }
	default:
		return fmt.Errorf("--to %q: use yaml, json or ics", *to)
	}
	if *out == "" {
		return write(stdout)
	}
	return writeOutput(*out, write)
}

// writeOutput writes through write to the file at path. The file is opened
// only once the conversion is known to be possible, so a bad flag never
// empties an existing file, and the last buffered bytes and the close are
// checked: a disk that fills up, or a file system that reports its errors
// only at close, fails the command instead of leaving a short file behind a
// zero exit status.
func writeOutput(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-o %s: %w", path, err)
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("-o %s: %w: the file is incomplete; free some space or choose another -o, then run convert again", path, err)
	}
	return nil
}
