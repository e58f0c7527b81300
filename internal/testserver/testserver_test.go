package testserver_test

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule/demo"
	"github.com/confdash/confdash/server"
)

// A real server started, stopped and started again on the address its
// clients know, the way the browser tests restart it under open pages.
func TestStartStopRestart(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 10, 6, 7, 40, 0, 0, time.UTC))
	state := filepath.Join(t.TempDir(), "state.json")
	newServer := func() *server.Server {
		srv, err := server.New(server.Config{Schedule: demo.Schedule(clock.Now()), Clock: clock, StatePath: state})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	healthy := func(base string) int {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	run := testserver.Start(t, newServer())
	if got, want := healthy(run.Base), http.StatusOK; got != want {
		t.Fatalf("GET %s/healthz: %d, want %d", run.Base, got, want)
	}
	if got, want := run.WS, "ws://"+run.Addr+"/ws"; got != want {
		t.Errorf("WS = %q, want %q", got, want)
	}
	run.Stop()
	select {
	case <-run.Done():
	default:
		t.Fatal("Done is not closed after Stop")
	}
	if err := run.Err(); err != nil {
		t.Errorf("Serve returned %v after Shutdown", err)
	}
	run.Stop() // a second Stop, like the test's cleanup after an explicit one, does nothing

	run.Restart(newServer())
	if got, want := healthy(run.Base), http.StatusOK; got != want {
		t.Fatalf("after the restart on %s: /healthz %d, want %d", run.Addr, got, want)
	}
}

// A server restarted in a test still stops after what the test set up since
// it first started (a browser tab must close before the server it watches
// goes, or it reports the lost connection).
func TestRestartedServerStopsInItsPlace(t *testing.T) {
	var run *testserver.Running
	t.Run("test", func(t *testing.T) {
		srv, err := server.New(server.Config{Schedule: demo.Schedule(time.Now()), StatePath: filepath.Join(t.TempDir(), "state.json")})
		if err != nil {
			t.Fatal(err)
		}
		run = testserver.Start(t, srv)
		t.Cleanup(func() {
			select {
			case <-run.Done():
				t.Error("the restarted server stopped before a cleanup registered after its start")
			default:
			}
		})
		run.Stop()
		srv2, err := server.New(server.Config{Schedule: demo.Schedule(time.Now()), StatePath: filepath.Join(t.TempDir(), "state2.json")})
		if err != nil {
			t.Fatal(err)
		}
		run.Restart(srv2)
	})
	select {
	case <-run.Done():
	default:
		t.Error("the restarted server still serves after its test ended")
	}
}

func TestClockStandsStillUntilSet(t *testing.T) {
	at := time.Date(2026, 10, 6, 7, 40, 0, 0, time.UTC)
	c := testserver.NewClock(at)
	if got := c.Now(); !got.Equal(at) {
		t.Fatalf("Now = %v, want %v", got, at)
	}
	if got, want := c.Until(at.Add(time.Minute)), time.Minute; got != want {
		t.Errorf("Until a minute ahead = %v, want %v", got, want)
	}
	c.Set(at.Add(time.Hour))
	if got, want := c.Now(), at.Add(time.Hour); !got.Equal(want) {
		t.Errorf("after Set: Now = %v, want %v", got, want)
	}
}

func TestEventually(t *testing.T) {
	polls := 0
	if !testserver.Eventually(time.Second, func() bool { polls++; return polls == 3 }) {
		t.Errorf("a condition that holds at the third poll: false after %d polls", polls)
	}
	start := time.Now()
	if testserver.Eventually(30*time.Millisecond, func() bool { return false }) {
		t.Error("a condition that never holds: true")
	}
	if d := time.Since(start); d < 30*time.Millisecond || d > time.Second {
		t.Errorf("gave up after %v, want soon after 30 ms", d)
	}
}
