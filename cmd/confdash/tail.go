package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// tail is a terminal client: it prints now/next per track whenever the
// server pushes a new state, and reconnects like the browser pages do.
func tail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tail", "tail [--track ID] [--once] [URL|HOST:PORT]", stderr)
	track := fs.String("track", "", "follow one track only")
	once := fs.Bool("once", false, "print the current state once and exit")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	base := "http://localhost:8080"
	if len(pos) > 0 {
		base = pos[0]
	}
	u, err := wsURL(base, *track)
	if err != nil {
		return err
	}
	backoff := newBackoff()
	for {
		err := tailOnce(ctx, u, *once, stdout)
		if *once || ctx.Err() != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wait := backoff.next()
		fmt.Fprintf(stderr, "disconnected (%s); reconnecting in %s\n", termSafe(fmt.Sprint(err)), wait.Round(100*time.Millisecond))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
	}
}

// wsURL is the websocket URL of the server at base: a URL, or a bare
// host:port ("localhost:8080", "[::1]:8080", as --addr takes it), which means
// http.
func wsURL(base, track string) (string, error) {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%q: give the server's URL, e.g. http://localhost:8080 or http://[::1]:8080", base)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("%q: the URL must start with http:// or https://", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/ws"
	q := url.Values{"view": {"tab"}}
	if track != "" {
		q.Set("track", track)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// backoff is exponential with full jitter, like the frontend's: the first
// retry within 1 s, never more than 30 s, so a restart does not bring every
// client back in the same second.
type backoff struct{ attempt int }

func newBackoff() *backoff { return &backoff{} }

func (b *backoff) next() time.Duration {
	ceil := time.Second << min(b.attempt, 5) // 1, 2, 4 ... 32 s
	ceil = min(ceil, 30*time.Second)
	b.attempt++
	return time.Duration(rand.Int64N(int64(ceil)))
}

type tailMsg struct {
	Type  string `json:"type"`
	State *struct {
		Conference struct {
			Name     string `json:"name"`
			TimeZone string `json:"timezone"`
		} `json:"conference"`
		Tracks []struct {
			Name         string       `json:"name"`
			Now          *tailSession `json:"now"`
			Next         *tailSession `json:"next"`
			DelayMinutes int          `json:"delay_minutes"`
		} `json:"tracks"`
		Announcements []struct {
			Text string `json:"text"`
		} `json:"announcements"`
	} `json:"state"`
}

type tailSession struct {
	Title    string    `json:"title"`
	EstStart time.Time `json:"est_start"`
	EstEnd   time.Time `json:"est_end"`
	Speakers []struct {
		Name string `json:"name"`
	} `json:"speakers"`
}

func tailOnce(ctx context.Context, u string, once bool, w io.Writer) error {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.DefaultDialer.DialContext(dctx, u, http.Header{"User-Agent": {"confdash-tail"}})
	if err != nil {
		if resp != nil {
			return fmt.Errorf("%s: %s", u, termSafe(resp.Status))
		}
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		var m tailMsg
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		switch m.Type {
		case "state":
			if m.State == nil {
				continue
			}
			loc, err := time.LoadLocation(m.State.Conference.TimeZone)
			if err != nil {
				loc = time.UTC
			}
			fmt.Fprintf(w, "── %s · %s ──\n", termSafe(m.State.Conference.Name), time.Now().In(loc).Format("15:04:05 MST"))
			for _, a := range m.State.Announcements {
				fmt.Fprintf(w, "  ! %s\n", termSafe(a.Text))
			}
			for _, t := range m.State.Tracks {
				// Everything the server relays from the schedule or the admin
				// goes through termSafe: a title must not drive the terminal.
				delay := ""
				if t.DelayMinutes > 0 {
					delay = fmt.Sprintf(" (running %d min late)", t.DelayMinutes)
				}
				fmt.Fprintf(w, "%s%s\n  now:  %s\n  next: %s\n", termSafe(t.Name), delay, describe(t.Now, loc), describe(t.Next, loc))
			}
			if once {
				return nil
			}
		case "reload", "hello", "viewers", "announcement", "pong":
		}
	}
}

func describe(s *tailSession, loc *time.Location) string {
	if s == nil {
		return "—"
	}
	var names []string
	for _, sp := range s.Speakers {
		names = append(names, termSafe(sp.Name))
	}
	by := ""
	if len(names) > 0 {
		by = " — " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s–%s %s%s", s.EstStart.In(loc).Format("15:04"), s.EstEnd.In(loc).Format("15:04"), termSafe(s.Title), by)
}
