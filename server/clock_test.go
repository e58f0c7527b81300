package server

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
)

// recConn is an in-memory hub connection that takes every frame at once and
// notes when each text message arrived (on the bubble's fake clock).
type recConn struct {
	mu   sync.Mutex
	msgs []recMsg
}

type recMsg struct {
	at   time.Time
	data string
}

func (c *recConn) TryWriteFrame(frame []byte) (int, error) {
	return len(frame), c.WriteFrame(frame, time.Time{})
}

// WriteFrame records frame, which the hub writes whole to a connection that
// takes everything at once.
func (c *recConn) WriteFrame(frame []byte, _ time.Time) error {
	if frame[0]&0x0F != 0x1 { // not a text frame
		return nil
	}
	payload := frame[2:]
	switch frame[1] & 0x7F {
	case 126:
		payload = frame[4:]
	case 127:
		payload = frame[10:]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, recMsg{time.Now(), string(payload)})
	return nil
}

func (c *recConn) Close() error { return nil }

func (c *recConn) all() []recMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]recMsg(nil), c.msgs...)
}

// clockSchedule starts at the synctest bubble's epoch (2000-01-01 00:00 UTC).
const clockSchedule = `name: Clock test
timezone: UTC
tracks:
  - {id: a, name: Room A}
  - {id: b, name: Room B}
sessions:
  - {id: a1, track: a, title: First A, start: 2000-01-01 00:10, end: 2000-01-01 00:20}
  - {id: a2, track: a, title: Second A, start: 2000-01-01 00:20, end: 2000-01-01 00:30}
  - {id: b1, track: b, title: First B, start: 2000-01-01 00:15, end: 2000-01-01 00:45}
`

func parseTestSchedule(t *testing.T, src string) (*schedule.Schedule, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schedule.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _, err := load.ParseFile(path, schedule.Options{})
	if err != nil {
		t.Fatalf("parse test schedule: %v", err)
	}
	return sc, path
}

type stateMsg struct {
	Type  string `json:"type"`
	State struct {
		Tracks []struct {
			ID  string `json:"id"`
			Now *struct {
				ID string `json:"id"`
			} `json:"now"`
		} `json:"tracks"`
	} `json:"state"`
}

// nowOf returns the id of the session playing on track in a state message,
// "" in a gap, and false for other messages.
func nowOf(data, track string) (string, bool) {
	var m stateMsg
	if json.Unmarshal([]byte(data), &m) != nil || m.Type != "state" {
		return "", false
	}
	for _, tr := range m.State.Tracks {
		if tr.ID == track {
			if tr.Now == nil {
				return "", true
			}
			return tr.Now.ID, true
		}
	}
	return "", false
}

// TestTransitionsArriveOnTime checks the clock loop: every transition reaches
// a subscribed client within 50 ms of its scheduled instant, with no
// messages between transitions (no polling, no ticks).
func TestTransitionsArriveOnTime(t *testing.T) {
	sc, _ := parseTestSchedule(t, clockSchedule)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		srv, err := New(Config{Schedule: sc, StatePath: filepath.Join(t.TempDir(), "state.json")})
		if err != nil {
			t.Fatal(err)
		}
		conn := &recConn{}
		_, err = srv.live.subscribe(topic(classRoom, "a"), conn, nil)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		synctest.Wait()

		want := []struct {
			at  time.Duration
			now string
		}{{0, ""}, {10 * time.Minute, "a1"}, {20 * time.Minute, "a2"}, {30 * time.Minute, ""}}
		var got []recMsg
		for _, m := range conn.all() {
			if _, ok := nowOf(m.data, "a"); ok {
				got = append(got, m)
			}
		}
		if len(got) != len(want) {
			for _, m := range got {
				t.Logf("%v %s", m.at.Sub(start), m.data)
			}
			t.Fatalf("got %d state messages on track a, want %d (one per transition, nothing else)", len(got), len(want))
		}
		for i, w := range want {
			now, _ := nowOf(got[i].data, "a")
			if now != w.now {
				t.Errorf("message %d: now = %q, want %q", i, now, w.now)
			}
			if late := got[i].at.Sub(start.Add(w.at)); late < 0 || late > 50*time.Millisecond {
				t.Errorf("message %d arrived %v after its instant, want within 50ms", i, late)
			}
		}
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestScaledClock runs the schedule clock from another instant at 60x.
func TestScaledClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		at := time.Date(2026, 10, 25, 9, 0, 0, 0, time.UTC)
		c := NewClock(at, 60)
		if got := c.Now(); !got.Equal(at) {
			t.Fatalf("Now() = %v, want %v", got, at)
		}
		time.Sleep(time.Second)
		if got, want := c.Now(), at.Add(time.Minute); !got.Equal(want) {
			t.Fatalf("after 1 s at 60x, Now() = %v, want %v", got, want)
		}
		if got, want := c.Until(at.Add(31*time.Minute)), 30*time.Second; got != want {
			t.Fatalf("Until(+31 min) = %v, want %v", got, want)
		}
	})
}
