package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// childEnv makes the test binary run the real main instead of the tests:
// the kill -9 test starts confdash as a child process that way, with the
// command line after the test binary's name.
const childEnv = "CONFDASH_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCmd runs the command line and returns its outputs.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Fatalf("%s differs (-want +got; go test -update if intended):\n%s", path, diff)
	}
}

func TestCheckGood(t *testing.T) {
	out, errOut, err := runCmd(t, "check", "testdata/good.yaml")
	if err != nil {
		t.Fatalf("check good.yaml: %v\n%s", err, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr for a good file: %q", errOut)
	}
	golden(t, "check.golden", out)
}

func TestCheckJSON(t *testing.T) {
	out, errOut, err := runCmd(t, "check", "--json", "testdata/good.yaml")
	if err != nil {
		t.Fatalf("check --json: %v\n%s", err, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("check --json printed %q: %v", out, err)
	}
	want := map[string]any{
		"format":      "native",
		"days":        2.0,
		"tracks":      2.0,
		"sessions":    4.0,
		"timezone":    "America/Los_Angeles",
		"first_start": "2026-10-06T16:00:00Z", // 09:00 in Los Angeles, in UTC
		"last_end":    "2026-10-07T16:45:00Z",
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("check --json %s = %v, want %v", k, g, w)
		}
	}
	// Flags may follow the file too.
	out2, _, err := runCmd(t, "check", "testdata/good.yaml", "--json")
	if err != nil || out2 != out {
		t.Errorf("check FILE --json = %q, %v; want the same as check --json FILE", out2, err)
	}
}

// TestCheckBad: exit status 1 and every error at once, each with file and
// line.
func TestCheckBad(t *testing.T) {
	out, errOut, err := runCmd(t, "check", "testdata/bad.yaml")
	var ee exitError
	if !errors.As(err, &ee) {
		t.Fatalf("check bad.yaml returned %v, want the exit-status error", err)
	}
	if out != "" {
		t.Errorf("stdout for a bad file: %q", out)
	}
	located := regexp.MustCompile(`^testdata/bad\.yaml:(\d+): (\S+): .+`)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if m := located.FindStringSubmatch(l); m != nil {
			lines = append(lines, m[1]+" "+m[2])
		}
	}
	// The overlap is reported at the second session's start, the unknown
	// track at its track, the misspelt field and the title it leaves
	// missing at that session.
	want := []string{"16 sessions[1].start", "19 sessions[2].track", "23 sessions[3].title", "25 sessions[3].titel"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("located errors (-want +got):\n%s\nstderr:\n%s", diff, errOut)
	}
	if !strings.Contains(errOut, "4 error(s)") {
		t.Errorf("stderr does not count the errors:\n%s", errOut)
	}

	for _, args := range [][]string{
		{"check"},
		{"check", "testdata/missing.yaml"},
		{"check", "testdata/good.yaml", "testdata/bad.yaml"},
		{"check", "--timezone", "Mars/Olympus", "testdata/good.yaml"},
	} {
		if _, _, err := runCmd(t, args...); err == nil {
			t.Errorf("%q succeeded, want an error", args)
		}
	}
}

// TestConvert: every output format reads back as the same schedule.
func TestConvert(t *testing.T) {
	orig, _, err := load.ParseFile("testdata/good.yaml", schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"yaml", "json", "ics"} {
		t.Run(to, func(t *testing.T) {
			out, errOut, err := runCmd(t, "convert", "testdata/good.yaml", "--to", to)
			if err != nil {
				t.Fatalf("convert --to %s: %v\n%s", to, err, errOut)
			}
			back, _, err := load.Parse("converted."+to, []byte(out), schedule.Options{})
			if err != nil {
				t.Fatalf("the %s output does not parse back: %v\n%s", to, err, out)
			}
			if to == "ics" {
				// A calendar keeps sessions and times, not the conference's
				// frame (its tracks become locations).
				if got, want := len(back.Sessions), len(orig.Sessions); got != want {
					t.Fatalf("ics: %d sessions, want %d", got, want)
				}
				for i := range orig.Sessions {
					o, b := orig.Sessions[i], back.Sessions[i]
					if o.Title != b.Title || !o.Start.Equal(b.Start) || !o.End.Equal(b.End) {
						t.Errorf("ics session %d = %q %v-%v, want %q %v-%v", i, b.Title, b.Start, b.End, o.Title, o.Start, o.End)
					}
				}
				return
			}
			if back.Name != orig.Name || back.TimeZone != orig.TimeZone {
				t.Errorf("name, zone = %q %q, want %q %q", back.Name, back.TimeZone, orig.Name, orig.TimeZone)
			}
			if diff := cmp.Diff(orig.Tracks, back.Tracks); diff != "" {
				t.Errorf("tracks (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(orig.Sessions, back.Sessions); diff != "" {
				t.Errorf("sessions (-want +got):\n%s", diff)
			}
		})
	}
	if _, _, err := runCmd(t, "convert", "testdata/good.yaml", "--to", "pdf"); err == nil {
		t.Error("convert --to pdf succeeded")
	}
}

func TestVersionAndUsage(t *testing.T) {
	out, _, err := runCmd(t, "version")
	if err != nil || !strings.HasPrefix(out, "confdash ") || len(strings.TrimSpace(out)) <= len("confdash") {
		t.Errorf("version printed %q, %v; want confdash and a version", out, err)
	}
	out, _, err = runCmd(t, "help")
	if err != nil || !strings.Contains(out, "confdash check") {
		t.Errorf("help printed %q, %v", out, err)
	}
	_, errOut, err := runCmd(t, "frobnicate")
	if err == nil || !strings.Contains(errOut, "Usage:") {
		t.Errorf("an unknown command returned %v and printed %q; want an error and the usage", err, errOut)
	}
}

// TestFlagEnvTwins: a flag's environment twin is read when the flag is not
// given, and the command line wins over it.
func TestFlagEnvTwins(t *testing.T) {
	t.Setenv("CONFDASH_ALLOWED_ORIGINS", "https://env.example.org")
	t.Setenv("CONFDASH_SPEED", "60")
	fs := newFlagSet("serve", "serve", io.Discard)
	origins := fs.String("allowed-origins", "", "")
	speed := fs.Float64("speed", 1, "")
	addr := fs.String("addr", ":8080", "")
	if _, err := parseFlags(fs, []string{"--speed", "2"}); err != nil {
		t.Fatal(err)
	}
	if *origins != "https://env.example.org" || *speed != 2 || *addr != ":8080" {
		t.Errorf("origins %q speed %v addr %q; want the env's origins, the flag's speed, the default addr", *origins, *speed, *addr)
	}
	t.Setenv("CONFDASH_SPEED", "fast")
	fs = newFlagSet("serve", "serve", io.Discard)
	fs.Float64("speed", 1, "")
	if _, err := parseFlags(fs, nil); err == nil || !strings.Contains(err.Error(), "CONFDASH_SPEED") {
		t.Errorf("a bad CONFDASH_SPEED gave %v, want an error naming it", err)
	}
}

// freeAddr picks a loopback port that is free now: serve started through
// run() does not report the port it got from :0 other than in its output.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// lineWriter hands each complete line written to it to a channel, so a test
// can wait for "serving ... on URL" instead of sleeping.
type lineWriter struct {
	mu    sync.Mutex
	buf   []byte
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 100)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case w.lines <- string(w.buf[:i]):
		default: // nobody reads any more
		}
		w.buf = w.buf[i+1:]
	}
}

// servingURL waits for the line serve prints once it listens.
func servingURL(t *testing.T, lines <-chan string, exited <-chan error) string {
	t.Helper()
	serving := regexp.MustCompile(`^confdash serving ".*" on (http://\S+)$`)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l := <-lines:
			if m := serving.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case err := <-exited:
			t.Fatalf("serve exited before listening: %v", err)
		case <-deadline:
			t.Fatal("serve did not say where it listens within 20 s")
		}
	}
}

// TestServe runs the server through run() with its address from the
// environment twin, checks it with healthcheck and tail, and stops it by
// cancelling the context.
func TestServe(t *testing.T) {
	addr := freeAddr(t)
	t.Setenv("CONFDASH_ADDR", addr)
	t.Setenv("CONFDASH_ADMIN_TOKEN", "")
	t.Setenv("CONFDASH_ADMIN_TOKEN_FILE", "")
	state := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := newLineWriter()
	var stderr testserver.LockedBuffer
	exited := make(chan error, 1)
	go func() {
		exited <- run(ctx, []string{"serve", "--schedule", "testdata/good.yaml", "--state", state, "--at", "2026-10-06T09:40:00-07:00"}, stdout, &stderr)
	}()
	url := servingURL(t, stdout.lines, exited)
	if want := "http://" + addr; url != want {
		t.Fatalf("serving on %s, want %s (CONFDASH_ADDR)", url, want)
	}

	out, _, err := runCmd(t, "healthcheck", url)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Errorf("healthcheck %s = %q, %v; want ok", url, out, err)
	}
	// tail --once prints the state: at 09:40 the deep dive runs in the lab.
	out, _, err = runCmd(t, "tail", "--once", url)
	if err != nil || !strings.Contains(out, "A Deep Dive") || !strings.Contains(out, "Cmdconf") {
		t.Errorf("tail --once = %v\n%s", err, out)
	}
	// The admin API is off without a token.
	resp, err := http.Post(url+"/api/v1/announcements", "application/json", strings.NewReader(`{"text":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("admin without a token = %d, want 403", resp.StatusCode)
	}

	start := time.Now()
	cancel()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve returned %v after cancel", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("serve took %v to stop, want under 5 s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of cancel")
	}
	if _, _, err := runCmd(t, "healthcheck", url); err == nil {
		t.Error("healthcheck succeeded after the server stopped")
	}
}

// TestServeRefuses: a bad schedule or a bad flag stops serve before it
// listens, saying why.
func TestServeRefuses(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "127.0.0.1:0", "--state", state, "--schedule", "testdata/bad.yaml"}, "testdata/bad.yaml:19"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--state", state, "--at", "yesterday"}, "--at"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--state", state, "--speed", "-1"}, "--speed"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--state", state, "--log-format", "xml"}, "--log-format"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--state", state, "extra"}, "no arguments"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--state", state, "--max-viewers-per-address", "-1"}, "--max-viewers-per-address"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--state", state, "--changes-recent", "-1h"}, "--changes-recent"},
	} {
		_, _, err := runCmd(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
	t.Setenv("CONFDASH_MAX_VIEWERS_PER_ADDRESS", "-5")
	if _, _, err := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--state", state); err == nil || !strings.Contains(err.Error(), "--max-viewers-per-address -5") {
		t.Errorf("CONFDASH_MAX_VIEWERS_PER_ADDRESS=-5: %v, want the bound refused", err)
	}
}

// child is confdash running in another process (this test binary, running
// main).
type child struct {
	cmd    *exec.Cmd
	url    string
	exited chan error
}

func startChild(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), append(env, childEnv+"=1")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, exited: make(chan error, 1)}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		c.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.exited
		if t.Failed() {
			t.Logf("child stderr:\n%s", stderr.String())
		}
	})
	c.url = servingURL(t, lines, c.exited)
	return c
}

// TestStateSurvivesKill9: announcements and delays posted to a confdash
// process are there after it is killed with SIGKILL and started again; a
// SIGTERM then stops it gracefully within 5 s.
func TestStateSurvivesKill9(t *testing.T) {
	const token = "kill9-token"
	state := filepath.Join(t.TempDir(), "state.json")
	env := []string{"CONFDASH_ADMIN_TOKEN=" + token, "CONFDASH_LOG_FORMAT=json"}
	// The real clock: with --at every start rewinds to the same instant, and
	// an announcement made later in the first run would not be shown yet.
	args := []string{"serve", "--addr", "127.0.0.1:0", "--schedule", "testdata/good.yaml", "--state", state}

	post := func(url, path, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("POST %s = %d %s, want %d", path, resp.StatusCode, b, want)
		}
		return b
	}

	first := startChild(t, env, args...)
	var ann struct{ ID string }
	json.Unmarshal(post(first.url, "/api/v1/announcements", `{"text": "Doors open at 9", "track": "hall"}`, http.StatusCreated), &ann)
	post(first.url, "/api/v1/tracks/lab/delay", `{"minutes": 9}`, http.StatusOK)

	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-first.exited; err == nil {
		t.Fatal("the killed process exited cleanly")
	}
	first.exited <- nil // for the cleanup

	second := startChild(t, env, args...)
	resp, err := http.Get(second.url + "/api/v1/state")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Announcements []struct{ ID, Text string }
		Tracks        []struct {
			ID           string
			DelayMinutes int `json:"delay_minutes"`
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Announcements) != 1 || st.Announcements[0].ID != ann.ID || st.Announcements[0].Text != "Doors open at 9" {
		t.Errorf("announcements after kill -9 and restart = %+v, want %s", st.Announcements, ann.ID)
	}
	delays := map[string]int{}
	for _, tr := range st.Tracks {
		delays[tr.ID] = tr.DelayMinutes
	}
	if diff := cmp.Diff(map[string]int{"hall": 0, "lab": 9}, delays); diff != "" {
		t.Errorf("delays after kill -9 and restart (-want +got):\n%s", diff)
	}

	// SIGTERM: a graceful stop, exit status 0, within 5 s.
	start := time.Now()
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-second.exited:
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit status 0", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("SIGTERM took %v, want under 5 s", d)
		}
		second.exited <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10 s of SIGTERM")
	}
}
