package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/confdash/confdash/cmd/confdash/internal/bench/floor"
)

// benchFloor is `confdash bench floor`.
func (e *Env) benchFloor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := e.FlagSet("bench floor", "bench floor [--addr 127.0.0.1:8081]", stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "loopback address to listen on")
	stateBytes := fs.Int("state-bytes", 3000, "padding in the state document, to make it as large as confdash's (compare sets it from confdash's own)")
	changeBytes := fs.Int("change-bytes", 4300, "size of the one message each change broadcasts, to match what confdash sends a viewer for a change (compare measures it from confdash)")
	if _, err := e.Parse(fs, args); err != nil {
		return err
	}
	if err := checkLoopbackAddr(*addr); err != nil {
		return err
	}
	if *stateBytes < 0 || *stateBytes > 1<<20 {
		return fmt.Errorf("--state-bytes %d: use 0 to 1048576", *stateBytes)
	}
	if *changeBytes < 0 || *changeBytes > 1<<20 {
		return fmt.Errorf("--change-bytes %d: use 0 to 1048576", *changeBytes)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	token := os.Getenv("CONFDASH_ADMIN_TOKEN")
	if token == "" {
		log.Warn("CONFDASH_ADMIN_TOKEN is not set: POST /api/v1/announcements answers 403")
	}
	log.Info("floor listening", slog.String("addr", ln.Addr().String()))
	return floor.Serve(ctx, ln, floor.New(token, *stateBytes, *changeBytes), log)
}
