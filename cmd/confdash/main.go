// Command confdash is a live conference-day dashboard: it runs the day's
// schedule clock and pushes what is playing now and next on every track to
// browsers, venue screens and stream overlays.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // zones inside the binary: the distroless image has none
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee exitError
		if !errors.As(err, &ee) {
			fmt.Fprintln(os.Stderr, "confdash:", err)
		}
		os.Exit(1)
	}
}

// exitError ends the program with status 1 after the command already said
// why (e.g. `check` printed every error).
type exitError struct{}

func (exitError) Error() string { return "exit status 1" }

const usage = `confdash: a live conference-day dashboard

Usage:
  confdash [serve] [flags]          run the server (default: the built-in demo day on :8080)
  confdash check [--json] FILE      validate a schedule and print a summary
  confdash convert FILE --to yaml|json|ics
                                    write any supported schedule in confdash's own format
  confdash tail [URL|HOST:PORT]     print now/next per track as it changes (default http://localhost:8080)
  confdash healthcheck [URL]        exit 0 when the server answers /healthz
  confdash bench [floor|http|compare|cluster] [flags]
                                    load-test a running server on this machine (see BENCHMARKS.md);
                                    'bench cluster --nats URL' starts several instances sharing NATS
  confdash version                  print the version

Run 'confdash COMMAND -h' for a command's flags.
`

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "check":
		return check(args, stdout, stderr)
	case "convert":
		return convert(args, stdout, stderr)
	case "tail":
		return tail(ctx, args, stdout, stderr)
	case "bench":
		return benchCommand(ctx, args, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "confdash", version())
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
