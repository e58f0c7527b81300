package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
)

const benchUsage = `Usage:
  confdash bench [flags]                 measure a running server (or the instances of a cluster: --url A --url B):
                                         open N viewers, broadcast, time every delivery
  confdash bench floor [--addr ADDR]     run the reference broadcaster (net/http + gorilla/websocket)
  confdash bench compare [flags]         alternate runs against confdash and the floor (each started here)
  confdash bench http [flags]            requests/s of GET /api/v1/state over keep-alive connections
  confdash bench cluster --nats URL      start N instances sharing state through NATS, measure them together
  confdash bench wire --schedule FILE    the bytes a tab and a room screen receive for one day, protocol 1 and 2

Everything runs on loopback only. Run 'confdash bench -h' (or 'bench compare -h', ...) for the flags.
`

// Bounds: a run is finite in viewers, broadcasts and time.
const (
	maxBenchViewers = 100000
	// maxBroadcasts also bounds a worker's results line: 19,000 viewers ×
	// 100 receipt times is under 40 MB of JSON.
	maxBroadcasts = 100
)

// Env is what the bench takes from the program that runs it: its standard
// streams, its command-line conventions, and how to start the child
// processes it needs. Tests build one that starts their own binary.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// FlagSet and Parse are the program's flag conventions (every flag with
	// an environment twin), so that `bench -h` reads like every command's.
	FlagSet func(name, synopsis string, stderr io.Writer) *flag.FlagSet
	Parse   func(fs *flag.FlagSet, args []string) (positional []string, err error)
	// ServerCommand builds the command that starts a target server, "confdash"
	// (as `confdash serve ARGS`) or "floor" (as `confdash bench floor ARGS`).
	ServerCommand func(ctx context.Context, target string, args []string) (*exec.Cmd, error)
	// WorkerCommand builds the command that starts a viewer worker, as
	// `confdash bench worker --config CONFIG`.
	WorkerCommand func(ctx context.Context, config string) (*exec.Cmd, error)
}

// SelfCommands sets ServerCommand and WorkerCommand to start this very
// executable, which must be confdash.
func (e *Env) SelfCommands() {
	e.ServerCommand = func(ctx context.Context, target string, args []string) (*exec.Cmd, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		if target == "floor" {
			return exec.CommandContext(ctx, exe, append([]string{"bench", "floor"}, args...)...), nil
		}
		return exec.CommandContext(ctx, exe, append([]string{"serve"}, args...)...), nil
	}
	e.WorkerCommand = func(ctx context.Context, config string) (*exec.Cmd, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		return exec.CommandContext(ctx, exe, "bench", "worker", "--config", config), nil
	}
}

// Main is `confdash bench ARGS`.
func (e *Env) Main(ctx context.Context, args []string) error {
	stdout, stderr := e.Stdout, e.Stderr
	if len(args) > 0 {
		switch args[0] {
		case "floor":
			return e.benchFloor(ctx, args[1:], stdout, stderr)
		case "compare":
			return e.benchCompare(ctx, args[1:], stdout, stderr)
		case "http":
			return e.benchHTTP(ctx, args[1:], stdout, stderr)
		case "cluster":
			return e.benchCluster(ctx, args[1:], stdout, stderr)
		case "wire":
			return e.benchWire(ctx, args[1:], stdout, stderr)
		case "worker":
			return benchWorker(ctx, args[1:], e.Stdin, stdout)
		case "help":
			fmt.Fprint(stdout, benchUsage)
			return nil
		}
	}
	var o benchOptions
	fs := e.FlagSet("bench", "bench [flags]   (also: bench floor | compare | http | cluster)", stderr)
	o.register(fs)
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	pos, err := e.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprint(stderr, benchUsage)
		return fmt.Errorf("bench: unknown argument %q", pos[0])
	}
	if err := o.check(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	o.ProgressTo = progressWriter(stderr, o.Progress)
	rep, err := e.runBench(ctx, o, stderr)
	if err != nil {
		return err
	}
	return writeReport(stdout, *jsonOut, rep)
}
