package bench

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressWriter is where the progress bar goes: stderr when it is a
// terminal, or always with --progress.
func progressWriter(stderr io.Writer, force bool) io.Writer {
	if force {
		return stderr
	}
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return stderr
		}
	}
	return nil
}

// startProgressBar redraws a bar on w every 200 ms until the returned stop is
// called: done viewers from earlier steps plus this step's counts, out of
// total. w nil draws nothing.
func startProgressBar(w io.Writer, done, total int, counts func() (connected, failed int)) (stop func()) {
	if w == nil {
		return func() {}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	t0 := time.Now()
	draw := func() {
		c, f := counts()
		const width = 30
		filled := min(width, width*(done+c+f)/max(1, total))
		rate := float64(c) / max(time.Since(t0).Seconds(), 1e-3)
		fmt.Fprintf(w, "\rconnecting [%s%s] %d/%d  %d failed  %.0f/s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done+c, total, f, rate)
	}
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				draw()
			case <-quit:
				draw()
				fmt.Fprintln(w)
				return
			}
		}
	}()
	return func() { close(quit); <-finished }
}
