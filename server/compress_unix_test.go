//go:build unix

package server

import (
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// TestLargeDocsCompressedOnce: the schedule document and the iCalendar feed
// are public and large (900 KB for FOSDEM), and brotli at the compress
// middleware's level cost tens of milliseconds of CPU per request. Each is
// compressed once per change: forty compressed requests cost the server
// about what forty plain ones do.
func TestLargeDocsCompressedOnce(t *testing.T) {
	sc := corpusSchedule(t, "frab-fosdem-2024.xml")
	ts := startServer(t, Config{Schedule: sc})
	fetch := func(path, enc string) time.Duration {
		start := cpuTime(t)
		for range 40 {
			req, _ := http.NewRequest(http.MethodGet, ts.base+path, nil)
			req.Header.Set("Accept-Encoding", enc) // set by hand: the client leaves the body as sent
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Header.Get("Content-Encoding"); got != enc && enc != "identity" {
				t.Errorf("GET %s with Accept-Encoding %s: Content-Encoding %q", path, enc, got)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return cpuTime(t) - start
	}
	for _, path := range []string{"/api/v1/schedule", "/schedule.ics"} {
		fetch(path, "br") // the first request of each encoding may compress
		fetch(path, "gzip")
		plain, br, gz := fetch(path, "identity"), fetch(path, "br"), fetch(path, "gzip")
		t.Logf("%s: 40 requests cost %v of CPU plain, %v brotli, %v gzip", path, plain, br, gz)
		if limit := 3*plain + 50*time.Millisecond; br > limit || gz > limit {
			t.Errorf("40 requests for %s cost %v of CPU with brotli and %v with gzip, %v uncompressed: compressed on every request", path, br, gz, plain)
		}
	}
}

// cpuTime is the CPU time the test process has used.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
