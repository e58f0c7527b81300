package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
)

// loadArg declares --timezone on fs, parses the command line, and loads the
// one schedule FILE it names, printing warnings and every error to stderr.
func loadArg(fs *flag.FlagSet, args []string, stderr io.Writer) (*schedule.Schedule, string, []schedule.Diagnostic, error) {
	zone := fs.String("timezone", "", "IANA time zone for schedules that give only local times, or to show one whose events carry offsets that agree with it")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, "", nil, err
	}
	if len(pos) != 1 {
		fs.Usage()
		return nil, "", nil, fmt.Errorf("%s needs exactly one FILE", fs.Name())
	}
	opts, err := scheduleOptions(*zone)
	if err != nil {
		return nil, "", nil, err
	}
	sc, warns, err := load.ParseFile(pos[0], opts)
	for _, w := range warns {
		fmt.Fprintln(stderr, "warning:", termSafe(w.String()))
	}
	if err != nil {
		fmt.Fprintln(stderr, termSafeLines(err.Error()))
		var errs schedule.Errors
		if errors.As(err, &errs) {
			fmt.Fprintf(stderr, "%d error(s): the schedule was not accepted\n", len(errs))
		}
		return nil, "", warns, exitError{}
	}
	return sc, pos[0], warns, nil
}

// check validates a schedule and prints its summary (the schedule's own
// text through termSafe: it may come from anyone); every error is printed
// at once and the exit status is 1.
func check(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", "check [--json] [--timezone ZONE] FILE", stderr)
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	sc, path, warns, err := loadArg(fs, args, stderr)
	if err != nil {
		return err
	}
	sum := schedule.Summarize(sc)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	fmt.Fprintf(stdout, "%s: %s, %s\n", path, sum.Format, termSafe(sc.Name))
	fmt.Fprintf(stdout, "  %d sessions on %d tracks over %d days\n", sum.Sessions, sum.Tracks, sum.Days)
	tz := termSafe(sum.TimeZone)
	if sum.ZoneAssumed {
		tz += " (assumed: the file names no zone; set it with --timezone)"
	}
	fmt.Fprintf(stdout, "  time zone %s\n", tz)
	if !sum.FirstStart.IsZero() {
		loc := sc.Location
		fmt.Fprintf(stdout, "  first start %s (%s), last end %s (%s)\n",
			sum.FirstStart.In(loc).Format("Mon 2006-01-02 15:04 MST"), sum.FirstStart.UTC().Format(time.RFC3339),
			sum.LastEnd.In(loc).Format("Mon 2006-01-02 15:04 MST"), sum.LastEnd.UTC().Format(time.RFC3339))
	}
	if len(warns) > 0 {
		fmt.Fprintf(stdout, "  %d warning(s), printed above\n", len(warns))
	}
	return nil
}
