package main

import (
	"context"
	"io"
	"os"

	"github.com/confdash/confdash/cmd/confdash/internal/bench"
)

// benchCommand is `confdash bench ...`: the load generator, which reads its
// flags the way every confdash command does and starts this same binary for
// the servers and viewer workers it needs.
func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := bench.Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, FlagSet: newFlagSet, Parse: parseFlags}
	e.SelfCommands()
	return e.Main(ctx, args)
}
