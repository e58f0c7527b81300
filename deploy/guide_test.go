package deploy_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/confdash/confdash/internal/testserver"
	"github.com/gorilla/websocket"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// The operator guide (docs/operations.md) promises that every command in
// its sh blocks has been run. The confdash ones run here, in order, against
// the binary built from this tree and the schedule the guide's examples
// name; those that go through the public name run through nginx and Caddy
// in proxy_test.go. The rest are listed in runElsewhere with the reason.

// myConf is my-conf.yaml of the guide's examples: tracks main and
// workshop on 6 October 2026 in Europe/Berlin.
const myConf = `name: Example Conf 2026
timezone: Europe/Berlin
tracks:
  - {id: main, name: Main Hall}
  - {id: workshop, name: Workshop Room}
sessions:
  - {track: main, title: Opening, kind: keynote, start: 2026-10-06 09:00, end: 2026-10-06 09:30, speakers: [{name: Ada Lovelace}]}
  - {track: main, title: Latency at the Edge, start: 2026-10-06 09:30, end: 2026-10-06 10:00}
  - {track: main, title: Coffee, kind: break, start: 2026-10-06 10:00, end: 2026-10-06 10:30}
  - {track: main, title: Closing, start: 2026-10-06 16:30, end: 2026-10-06 17:00}
  - {track: workshop, title: Hands-on Tracing, start: 2026-10-06 09:30, end: 2026-10-06 11:00}
`

// runElsewhere are the guide's commands that are not confdash, each with
// where it is exercised or why it cannot be here.
var runElsewhere = map[string]string{
	"docker":       "no container engine here: TestDeployCompose checks compose.yaml against the files it mounts",
	"nginx":        "TestDeployNginx runs nginx -t on deploy/nginx.conf and passes a websocket through it",
	"systemctl":    "no systemd here; nginx -t is what can fail",
	"caddy":        "TestDeployCaddy adapts deploy/Caddyfile with caddy itself, runs it and passes a websocket through it",
	"raspi-config": "Raspberry Pi OS only",
	"xset":         "needs an X11 display",
	"gsettings":    "needs a GNOME session",
}

// publicName is the guide's name for the server behind a proxy.
const publicName = "confdash.example.org"

// localBase is the guide's name for the server from its own machine.
const localBase = "http://localhost:8080"

// guideLine is one command of the guide: its environment assignments and
// its words, as a shell would split them.
type guideLine struct {
	line int
	text string
	env  []string
	args []string
}

func guideLines(t *testing.T) []guideLine {
	t.Helper()
	f, err := os.Open("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out     []guideLine
		inSh    bool
		inFence bool
		pending string
		start   int
	)
	lex := shell.NewLex('\\')
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "```") {
			inFence = !inFence
			inSh = inFence && l == "```sh"
			continue
		}
		if !inSh || l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if pending == "" {
			start = n
		}
		if c, ok := strings.CutSuffix(l, `\`); ok {
			pending += c + " "
			continue
		}
		text := pending + l
		pending = ""
		if strings.ContainsAny(text, "|;&>`$") {
			t.Errorf("operations.md:%d: %q: keep guide commands to one plain command (no pipes, lists, redirections or expansions) so a test can run them", start, text)
			continue
		}
		words, err := lex.ProcessWords(text, mapEnv{})
		if err != nil {
			t.Fatalf("operations.md:%d: %v", start, err)
		}
		gl := guideLine{line: start, text: text}
		if len(words) > 0 && words[0] == "sudo" {
			words = words[1:]
		}
		for len(words) > 0 && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(words[0]) {
			gl.env = append(gl.env, words[0])
			words = words[1:]
		}
		gl.args = words
		out = append(out, gl)
	}
	if len(out) == 0 {
		t.Fatal("operations.md: no commands found")
	}
	return out
}

// mapEnv gives the shell lexer an environment.
type mapEnv map[string]string

func (m mapEnv) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }
func (m mapEnv) Keys() []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// confdashBinary builds cmd/confdash once for the tests of this package.
func confdashBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "confdash-deploy-test"); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "confdash"), "./cmd/confdash")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/confdash: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "confdash")
}

// baseEnv is this process's environment without any CONFDASH_ setting, so
// that only what a command sets applies, and with servers on a free port
// of the loopback interface (the guide's serve lines give no --addr).
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONFDASH_") {
			env = append(env, kv)
		}
	}
	return append(env, "CONFDASH_ADDR=127.0.0.1:0")
}

// serveProc is a `confdash serve` started by a test.
type serveProc struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:PORT
	started time.Time
	done    chan error
	stderr  *testserver.LockedBuffer
}

var servingLine = regexp.MustCompile(`^confdash serving .* on (http://\S+)$`)

// startServe runs bin with args in dir and waits until it says where it
// listens.
func startServe(t *testing.T, bin, dir string, env, args []string) *serveProc {
	t.Helper()
	p := &serveProc{cmd: exec.Command(bin, args...), started: time.Now(), done: make(chan error, 1), stderr: &testserver.LockedBuffer{}}
	p.cmd.Dir = dir
	p.cmd.Env = env
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() { p.stop(t) })
	select {
	case p.base = <-urls:
	case err := <-p.done:
		p.done <- err
		t.Fatalf("confdash %s exited: %v\n%s", strings.Join(args, " "), err, p.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("confdash %s did not start listening within a minute\n%s", strings.Join(args, " "), p.stderr)
	}
	return p
}

// stop ends the server as a service manager would (SIGTERM) and expects a
// clean exit.
func (p *serveProc) stop(t *testing.T) {
	t.Helper()
	if p.cmd.ProcessState != nil || p.cmd.Process == nil {
		return
	}
	select {
	case err := <-p.done:
		p.done <- err
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Errorf("confdash serve after SIGTERM: %v\n%s", err, p.stderr)
		}
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		t.Errorf("confdash serve did not stop within 15 s of SIGTERM")
	}
}

// runConfdash runs one guide command that ends by itself and expects exit
// status 0.
func runConfdash(t *testing.T, bin, dir string, env []string, gl guideLine, args []string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = time.Second
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	t.Logf("operations.md:%d: confdash %s", gl.line, strings.Join(args, " "))
	if err != nil {
		t.Errorf("operations.md:%d: confdash %s: %v\n%s", gl.line, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// flagValue is the value of --name in args ("" when absent).
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

func replaceAll(args []string, old, new string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, old, new)
	}
	return out
}

// TestDeployGuideCommands runs the guide's confdash commands in order, in a
// folder holding its my-conf.yaml: export lines set the environment, a
// serve line starts a server (stopping the one before), the others run to
// completion against it. A rehearsal's clock is checked against --at and
// --speed, and every local URL the guide gives must answer.
func TestDeployGuideCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	bin := confdashBinary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "my-conf.yaml"), []byte(myConf), 0o644); err != nil {
		t.Fatal(err)
	}
	env := baseEnv()
	var (
		srv                       *serveProc
		served, others, rehearsed int
		kiosk                     []guideLine
		elsewhere                 = map[string]bool{}
	)
	for _, gl := range guideLines(t) {
		if len(gl.args) == 0 {
			continue
		}
		elsewhere[gl.args[0]] = true
		switch gl.args[0] {
		case "export":
			for _, kv := range gl.args[1:] {
				if !strings.Contains(kv, "=") {
					t.Errorf("operations.md:%d: export %s: want NAME=VALUE", gl.line, kv)
				}
				env = append(env, kv)
			}
			continue
		case "confdash":
		case "chromium":
			kiosk = append(kiosk, gl)
			continue
		default:
			if _, ok := runElsewhere[gl.args[0]]; !ok {
				t.Errorf("operations.md:%d: %q: no test runs %s; run it in a test or say in runElsewhere why it cannot be", gl.line, gl.text, gl.args[0])
			}
			continue
		}
		if strings.Contains(gl.text, publicName) {
			continue // through a proxy: proxy_test.go
		}
		args := gl.args[1:]
		lineEnv := append(append([]string(nil), env...), gl.env...)
		if len(args) > 0 && args[0] == "serve" {
			if srv != nil {
				srv.stop(t)
			}
			srv = startServe(t, bin, dir, lineEnv, args)
			t.Logf("operations.md:%d: confdash %s: serving on %s", gl.line, strings.Join(args, " "), srv.base)
			served++
			if at := flagValue(args, "at"); at != "" {
				checkRehearsalClock(t, gl, srv, at, flagValue(args, "speed"))
				rehearsed++
			}
			continue
		}
		if strings.Contains(gl.text, localBase) {
			if srv == nil {
				t.Fatalf("operations.md:%d: %q: no server started before it in the guide", gl.line, gl.text)
			}
			args = replaceAll(args, localBase, srv.base)
		}
		runConfdash(t, bin, dir, lineEnv, gl, args)
		others++
	}
	if served == 0 || rehearsed == 0 || others == 0 {
		t.Fatalf("the guide started %d servers (%d rehearsals) and ran %d other confdash commands: want each", served, rehearsed, others)
	}

	for name := range runElsewhere {
		if !elsewhere[name] {
			t.Errorf("runElsewhere lists %s, which the guide no longer uses", name)
		}
	}
	if len(kiosk) == 0 {
		t.Error("the guide gives no Chromium kiosk command")
	}
	for _, gl := range kiosk {
		runKiosk(t, gl, srv.base)
		// The autostart examples start the same command line.
		guide := string(readFile(t, "../docs/operations.md"))
		for _, m := range regexp.MustCompile(`(?m)chromium --kiosk.*$`).FindAllString(guide, -1) {
			if m = strings.TrimSuffix(m, " &"); m != gl.text {
				t.Errorf("operations.md: %q differs from the tested kiosk command %q", m, gl.text)
			}
		}
	}

	// Every page the guide sends people to on the server's own machine.
	guide := string(readFile(t, "../docs/operations.md"))
	for _, u := range regexp.MustCompile(regexp.QuoteMeta(localBase)+`(/[^\s`+"`"+`)|]*)?`).FindAllString(guide, -1) {
		resp, err := http.Get(strings.Replace(u, localBase, srv.base, 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("the guide's %s: %s", u, resp.Status)
		}
	}
}

// checkRehearsalClock reads the server's clock from the hello message, the
// clock every page follows: it must have started at --at and run --speed
// times faster since.
func checkRehearsalClock(t *testing.T, gl guideLine, srv *serveProc, at, speed string) {
	t.Helper()
	from, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatalf("operations.md:%d: --at %s: %v", gl.line, at, err)
	}
	factor := 1.0
	if speed != "" {
		if factor, err = strconv.ParseFloat(speed, 64); err != nil {
			t.Fatalf("operations.md:%d: --speed %s: %v", gl.line, speed, err)
		}
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.base, "http")+"/ws?view=tab", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var hello struct {
		Type         string `json:"type"`
		ServerTimeMS int64  `json:"server_time_ms"`
	}
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		t.Fatalf("hello: %v %+v", err, hello)
	}
	elapsed := time.Since(srv.started)
	got := time.UnixMilli(hello.ServerTimeMS)
	latest := from.Add(time.Duration(float64(elapsed)*factor) + time.Second)
	if got.Before(from) || got.After(latest) {
		t.Errorf("operations.md:%d: the rehearsal clock reads %s, %s after start; want between %s and %s", gl.line, got, elapsed, from, latest)
	}
}

// runKiosk runs the guide's Chromium kiosk command line, flags and page as
// written, headless and against the test's server instead of the public
// name: the screen page must load and connect (data-conn="open").
func runKiosk(t *testing.T, gl guideLine, base string) {
	t.Helper()
	chromium := needTool(t, "chromium")
	// The guide's flags, then its page; headless, and driven over the
	// DevTools protocol so the test waits for the connection in real time
	// (a --virtual-time-budget runs the page's own timers ahead of it).
	args := replaceAll(gl.args[1:], "https://"+publicName, base)
	page := args[len(args)-1]
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoInheritEnv,
		chromedp.Env(append(baseEnv(), "TMPDIR="+t.TempDir())...),
		chromedp.Env(gl.env...),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses root otherwise
	}
	for _, a := range args[:len(args)-1] {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") {
			t.Fatalf("operations.md:%d: %q is not a flag: the kiosk command is chromium FLAGS... URL", gl.line, a)
		}
		if hasValue {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	t.Logf("operations.md:%d: chromium %s (headless)", gl.line, strings.Join(args, " "))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, stop := context.WithTimeout(ctx, 60*time.Second)
	defer stop()
	if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatalf("operations.md:%d: chromium: %v", gl.line, err)
	}
	const connected = `document.body.classList.contains('screen') && document.documentElement.dataset.conn === 'open'`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](connected, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		dom, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		t.Errorf("operations.md:%d: the kiosk page is not a connected screen within 30 s (%v):\n%.600s", gl.line, err, dom)
	}
}
