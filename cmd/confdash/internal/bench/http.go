package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confdash/confdash/cmd/confdash/internal/bench/proc"
)

// httpReport is `confdash bench http`'s result.
type httpReport struct {
	URL         string  `json:"url"`
	Conns       int     `json:"conns"`
	Seconds     float64 `json:"seconds"`
	Requests    int64   `json:"requests"`
	Errors      int64   `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	PerSecond   float64 `json:"requests_per_second"`
	BodyBytes   int     `json:"body_bytes"`
	ServerCPU   float64 `json:"server_cpu_percent_of_core,omitempty"`
	ServerPID   int     `json:"server_pid,omitempty"`
	CPUPerReqUS float64 `json:"server_cpu_per_request_us,omitempty"`
}

// benchHTTP is `confdash bench http`: GET one URL as fast as possible over
// keep-alive connections, the way wrk does. Go's net/http client costs more
// CPU per request than the server under test on the same two cores, so each
// connection is a plain HTTP/1.1 loop: write a fixed request, read the status
// line and headers, skip Content-Length bytes of body.
func (e *Env) benchHTTP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := e.FlagSet("bench http", "bench http [--url http://127.0.0.1:8080/api/v1/state] [flags]", stderr)
	rawURL := fs.String("url", "http://127.0.0.1:8080/api/v1/state", "the URL to GET (loopback only)")
	duration := fs.Duration("duration", 10*time.Second, "how long to run (at most 10m)")
	conns := fs.Int("conns", 64, "keep-alive connections (at most 10000)")
	pid := fs.Int("server-pid", 0, "the server's process id, for CPU (0: find the process listening on the port; -1: do not measure)")
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	if _, err := e.Parse(fs, args); err != nil {
		return err
	}
	if *duration <= 0 || *duration > 10*time.Minute || *conns < 1 || *conns > 10000 {
		return errors.New("--duration must be in (0, 10m], --conns in [1, 10000]")
	}
	rep, err := runHTTPBench(ctx, *rawURL, *duration, *conns, *pid)
	if err != nil {
		return err
	}
	return writeReport(stdout, *jsonOut, rep)
}

// print writes the report for people.
func (rep *httpReport) print(w io.Writer) {
	fmt.Fprintf(w, "GET %s over %d keep-alive connections for %.1f s\n", rep.URL, rep.Conns, rep.Seconds)
	fmt.Fprintf(w, "%d requests, %.0f requests/s, %d errors, %d-byte body\n", rep.Requests, rep.PerSecond, rep.Errors, rep.BodyBytes)
	if rep.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", rep.FirstError)
	}
	if rep.ServerPID > 0 {
		fmt.Fprintf(w, "server cpu %.0f%% of one core, %.2f µs per request\n", rep.ServerCPU, rep.CPUPerReqUS)
	}
}

func runHTTPBench(ctx context.Context, rawURL string, duration time.Duration, conns, pid int) (*httpReport, error) {
	u, err := loopbackURL(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("--url %q: use http://", rawURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	path := u.RequestURI()
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: confdash-bench\r\nAccept: */*\r\n\r\n")

	if pid == 0 {
		port, _ := strconv.Atoi(u.Port())
		if pid, err = proc.FindListener(port); err != nil {
			pid = -1
		}
	}
	var before proc.Sample
	if pid > 0 {
		if before, err = proc.Read(pid); err != nil {
			pid = -1
		}
	}

	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var requests, errs atomic.Int64
	var bodyLen atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := (&net.Dialer{}).DialContext(ctx, "tcp", host)
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
						sleepCtx(ctx, 10*time.Millisecond)
					}
					continue
				}
				stop := context.AfterFunc(ctx, func() { c.Close() })
				br := bufio.NewReaderSize(c, 16<<10)
				for {
					if _, err = c.Write(req); err != nil {
						break
					}
					var n int
					if n, err = readResponse(br); err != nil {
						break
					}
					bodyLen.Store(int64(n))
					requests.Add(1)
				}
				stop()
				c.Close()
				if ctx.Err() == nil {
					fail(err) // then reconnect, as wrk does
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	rep := &httpReport{URL: u.String(), Conns: conns, Seconds: elapsed.Seconds(), Requests: requests.Load(), Errors: errs.Load(), BodyBytes: int(bodyLen.Load())}
	rep.PerSecond = float64(rep.Requests) / rep.Seconds
	if e, ok := firstErr.Load().(string); ok {
		rep.FirstError = e
	}
	if pid > 0 {
		if after, err := proc.Read(pid); err == nil {
			rep.ServerPID = pid
			cpu := (after.CPU - before.CPU).Seconds()
			rep.ServerCPU = 100 * cpu / rep.Seconds
			if rep.Requests > 0 {
				rep.CPUPerReqUS = cpu * 1e6 / float64(rep.Requests)
			}
		}
	}
	return rep, nil
}

// readResponse reads one HTTP/1.1 response with a Content-Length body and
// returns the body's length. Anything else (another status, chunked) is an
// error: the bench measures a document served whole.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("not an HTTP/1.1 response: %q", line)
	}
	if !bytes.Equal(line[9:12], []byte("200")) {
		return 0, fmt.Errorf("status %s", bytes.TrimSpace(line[9:]))
	}
	length := -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h := bytes.TrimRight(line, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return 0, fmt.Errorf("Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, errors.New("chunked response: the bench expects a Content-Length")
		}
	}
	if length < 0 {
		return 0, errors.New("no Content-Length")
	}
	if _, err := br.Discard(length); err != nil {
		return 0, err
	}
	return length, nil
}
