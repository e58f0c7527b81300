package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/gorilla/websocket"
)

// wireReport is `confdash bench wire`'s result: what one viewer of each kind
// receives over its websocket for one day of a schedule.
type wireReport struct {
	Schedule string       `json:"schedule"`
	Day      string       `json:"day"`
	From     time.Time    `json:"from"` // the schedule clock at the start
	To       time.Time    `json:"to"`   // the day's last session end
	Speed    float64      `json:"speed"`
	Track    string       `json:"track"`
	Seconds  float64      `json:"seconds"` // real time the day took
	Viewers  []wireViewer `json:"viewers"`
}

// wireViewer is one viewer's count: every byte read from its socket (the
// upgrade answer and every frame with its header), and its messages.
type wireViewer struct {
	Name     string         `json:"name"`
	Protocol int            `json:"protocol"`
	Query    string         `json:"query"`
	Bytes    int64          `json:"bytes"`
	Messages map[string]int `json:"messages"` // by type
}

// benchWire is `confdash bench wire`: start confdash on a schedule with its
// clock before a day's first session (--at) running --speed times faster,
// connect an all-tracks tab and a one-track room screen, each with
// protocol 1 and 2, and count the bytes each receives until the day's last
// session has ended. Nothing is posted: the changes are the schedule's own.
func (e *Env) benchWire(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := e.FlagSet("bench wire", "bench wire --schedule FILE --day YYYY-MM-DD [--speed 600] [--track ID]", stderr)
	file := fs.String("schedule", "", "the schedule file (any format confdash serves)")
	day := fs.String("day", "", "the day to follow, YYYY-MM-DD in the conference's zone (default: the first)")
	speed := fs.Float64("speed", 600, "run the schedule clock this many times faster than real time (at most 3600)")
	track := fs.String("track", "", "the room screen's track (default: the track with the most sessions that day)")
	timeout := fs.Duration("timeout", 10*time.Minute, "bound on the whole run")
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	if _, err := e.Parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("bench wire: --schedule is required: the schedule file whose day to follow")
	}
	if *speed < 1 || *speed > 3600 {
		return fmt.Errorf("bench wire: --speed %g: use 1 to 3600", *speed)
	}
	sc, _, err := load.ParseFile(*file, schedule.Options{})
	if err != nil {
		return err
	}
	w, err := wireWindow(sc, *day, *track)
	if err != nil {
		return err
	}
	// The server starts and the viewers connect while the clock runs: it
	// starts wireLead of real time ahead, so they are there before the first
	// session at any speed.
	w.from = w.first.Add(-time.Duration(float64(wireLead) * *speed)).UTC()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "confdash-bench-wire-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	flags := "--schedule " + *file + " --at " + w.from.Format(time.RFC3339) + " --speed " + strconv.FormatFloat(*speed, 'g', -1, 64)
	srv, err := e.startTarget(ctx, "confdash", dir, "", flags, 0, 0, 0)
	if err != nil {
		return err
	}
	defer srv.stop()
	rep, err := runWire(ctx, srv.url, w)
	if err != nil {
		return fmt.Errorf("%w (server log: %s)", err, srv.logs.String())
	}
	rep.Schedule, rep.Speed = *file, *speed
	return writeReport(stdout, *jsonOut, rep)
}

// wireDay is the window a wire run follows.
type wireDay struct {
	date, track string
	first, to   time.Time // the first session's start, the last one's end
	from        time.Time // the clock at the start
}

// wireLead is how long (real time) before the day's first session the run
// starts the server's clock: enough to start it and connect.
const wireLead = 10 * time.Second

// wireWindow finds the day (the first when date is empty) and the track
// with the most sessions that day (unless track is given).
func wireWindow(sc *schedule.Schedule, date, track string) (wireDay, error) {
	if len(sc.Days) == 0 {
		return wireDay{}, errors.New("bench wire: the schedule has no days")
	}
	i := 0
	if date != "" {
		i = slices.IndexFunc(sc.Days, func(d schedule.Day) bool { return d.Date == date })
		if i < 0 {
			var dates []string
			for _, d := range sc.Days {
				dates = append(dates, d.Date)
			}
			return wireDay{}, fmt.Errorf("bench wire: --day %s is not in the schedule; its days are %v", date, dates)
		}
	}
	d := sc.Days[i]
	w := wireDay{date: d.Date, track: track}
	count := map[string]int{}
	for _, s := range sc.Sessions {
		if s.Start.Before(d.Start) || !s.Start.Before(d.End) {
			continue
		}
		if w.first.IsZero() || s.Start.Before(w.first) {
			w.first = s.Start
		}
		if s.End.After(w.to) {
			w.to = s.End
		}
		count[s.Track]++
	}
	if w.first.IsZero() {
		return wireDay{}, fmt.Errorf("bench wire: no session on %s", d.Date)
	}
	if track == "" {
		for _, t := range sc.Tracks {
			if count[t.ID] > count[w.track] {
				w.track = t.ID
			}
		}
	} else if count[track] == 0 {
		return wireDay{}, fmt.Errorf("bench wire: --track %s has no session on %s", track, d.Date)
	}
	return w, nil
}

// runWire connects the four viewers to base and counts until each has seen
// a document whose next change is past the day (or none): nothing more
// reaches it that day.
func runWire(ctx context.Context, base string, w wireDay) (*wireReport, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	u.Scheme, u.Path = "ws", "/ws"
	rep := &wireReport{Day: w.date, From: w.from, To: w.to, Track: w.track}
	for _, v := range []wireViewer{
		{Name: "all-tracks tab", Protocol: 1, Query: "view=tab"},
		{Name: "all-tracks tab", Protocol: 2, Query: "view=tab&proto=2"},
		{Name: "room screen", Protocol: 1, Query: "view=screen&track=" + url.QueryEscape(w.track)},
		{Name: "room screen", Protocol: 2, Query: "view=screen&track=" + url.QueryEscape(w.track) + "&proto=2"},
	} {
		v.Messages = map[string]int{}
		rep.Viewers = append(rep.Viewers, v)
	}
	began := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(rep.Viewers))
	for i := range rep.Viewers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = followDay(ctx, u.String()+"?"+rep.Viewers[i].Query, w, &rep.Viewers[i])
		}()
	}
	wg.Wait()
	rep.Seconds = time.Since(began).Seconds()
	return rep, errors.Join(errs...)
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// followDay reads one viewer's messages until one says the next change is
// after the day's end (or that there is none).
func followDay(ctx context.Context, wsURL string, w wireDay, v *wireViewer) error {
	end := w.to
	var n atomic.Int64
	d := websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{c, &n}, nil
		},
	}
	c, _, err := d.DialContext(ctx, wsURL, nil)
	if err != nil {
		return fmt.Errorf("%s (protocol %d): %w", v.Name, v.Protocol, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Now()) })
	defer stop()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return fmt.Errorf("%s (protocol %d): %w", v.Name, v.Protocol, err)
		}
		var m struct {
			Type         string `json:"type"`
			ServerTimeMS int64  `json:"server_time_ms"`
			NextChange   any    `json:"next_change"`
			State        *struct {
				NextChange any `json:"next_change"`
			} `json:"state"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("%s (protocol %d): message %.100s: %w", v.Name, v.Protocol, data, err)
		}
		v.Messages[m.Type]++
		v.Bytes = n.Load()
		var next any
		switch m.Type {
		case "hello":
			if at := time.UnixMilli(m.ServerTimeMS); !at.Before(w.first) {
				return fmt.Errorf("%s (protocol %d) connected at %s, after the day's first session at %s: the server took longer than %s to start; lower --speed",
					v.Name, v.Protocol, at.UTC().Format(time.RFC3339), w.first.Format(time.RFC3339), wireLead)
			}
			continue
		case "state":
			next = m.State.NextChange
		case "delta":
			next = m.NextChange
		default:
			continue
		}
		s, _ := next.(string)
		at, err := time.Parse(time.RFC3339, s)
		if next == nil || (err == nil && at.After(end)) {
			return nil
		}
	}
}

func (rep *wireReport) print(w io.Writer) {
	fmt.Fprintf(w, "%s, %s from %s to %s at --speed %g (%.0f s); room screen on %s\n",
		rep.Schedule, rep.Day, rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339), rep.Speed, rep.Seconds, rep.Track)
	fmt.Fprintf(w, "%-16s %8s %12s %9s %7s\n", "viewer", "protocol", "bytes", "messages", "states")
	for _, v := range rep.Viewers {
		total := 0
		for _, k := range v.Messages {
			total += k
		}
		fmt.Fprintf(w, "%-16s %8d %12d %9d %7d\n", v.Name, v.Protocol, v.Bytes, total, v.Messages["state"])
	}
}
