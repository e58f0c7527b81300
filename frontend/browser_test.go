package frontend_test

// Every view, driven in headless Chromium against the real server. The
// server runs a short test day on a fast clock (server.NewClock), so the
// transitions the tests wait for happen within seconds.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/confdash/confdash/internal/testserver"
	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/server"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "copy small current screenshots of each view into docs/screenshots/")

const (
	adminToken = "test-token"
	// budget is what one view may transfer, compressed: page, assets and API.
	budget = 40 << 10
	// docsShots is where -update-screenshots puts the README's pictures.
	docsShots = "../docs/screenshots"
)

// The test day, in Los Angeles time: three tracks, sessions of one to
// thirty minutes, a break, a gap, a long title.
const testSchedule = `name: Test Conf 2026
timezone: America/Los_Angeles
tracks:
  - id: main
    name: Main Hall
  - id: side
    name: Room B
  - id: lab
    name: Lab
sessions:
  - id: keynote
    track: main
    kind: keynote
    title: Keeping Latency Low and Throughput High with Application-level Priority Management
    start: 2026-10-06 09:00
    end: 2026-10-06 09:30
    speakers:
      - {name: Avi Kivity, affiliation: ScyllaDB}
  - id: budgets
    track: main
    title: Latency Budgets
    start: 2026-10-06 09:30
    end: 2026-10-06 09:32
    speakers:
      - {name: Ada Lovelace, affiliation: Analytical Engines}
  - id: tail
    track: main
    title: Tail at Scale
    start: 2026-10-06 09:32
    end: 2026-10-06 09:34
    speakers:
      - {name: Grace Hopper, affiliation: US Navy}
      - {name: Alan Turing, affiliation: Bletchley Park}
  - id: coffee
    track: main
    kind: break
    title: Coffee break
    start: 2026-10-06 09:34
    end: 2026-10-06 09:40
  - id: rust
    track: main
    title: Whoops! I Rewrote It in Rust
    start: 2026-10-06 09:40
    end: 2026-10-06 09:50
    speakers:
      - {name: Brian Martin, affiliation: Twitter}
  - id: panel
    track: main
    kind: panel
    title: "Panel: Measuring What Matters"
    start: 2026-10-06 09:50
    end: 2026-10-06 10:00
  - id: edge
    track: side
    title: Observability at the Edge
    start: 2026-10-06 09:00
    end: 2026-10-06 09:31
    speakers:
      - {name: Margaret Hamilton, affiliation: MIT}
  - id: profiling
    track: side
    title: Profiling in Production
    start: 2026-10-06 09:31
    end: 2026-10-06 09:33
  - id: async
    track: side
    title: Async I/O in Practice
    start: 2026-10-06 09:40
    end: 2026-10-06 09:50
  - id: benchmarks
    track: side
    title: Benchmarks Without Lies
    start: 2026-10-06 09:50
    end: 2026-10-06 10:00
  - id: ebpf
    track: lab
    kind: other
    title: "Hands-on: eBPF"
    start: 2026-10-06 09:00
    end: 2026-10-06 09:20
  - id: load
    track: lab
    title: "Lab: Load Testing"
    start: 2026-10-06 09:45
    end: 2026-10-06 10:00
`

var la = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is an instant of the test day: at("09:31:30").
func at(hms string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-10-06 "+hms, la)
	if err != nil {
		panic(err)
	}
	return t
}

func TestViews(t *testing.T) {
	began := time.Now()
	b := newBrowser(t)
	out := os.Getenv("CONFDASH_TEST_OUTPUT")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if *updateScreenshots {
		if err := os.MkdirAll(docsShots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var sizes sync.Map // view -> transferred bytes

	t.Run("all", func(t *testing.T) {
		// The reconnect test mostly waits for its notice: it runs beside the
		// others, which run one after another to keep timing checks honest
		// on a small machine.
		t.Run("reconnect", func(t *testing.T) { t.Parallel(); testReconnect(t, b, out) })
		t.Run("serial", func(t *testing.T) {
			t.Parallel()
			t.Run("nownext", func(t *testing.T) { testNowNext(t, b) })
			t.Run("announcements", func(t *testing.T) { testAnnouncements(t, b) })
			t.Run("delay", func(t *testing.T) { testDelay(t, b, out, &sizes) })
			t.Run("layout", func(t *testing.T) { testLayout(t, b, out, &sizes) })
			t.Run("day", func(t *testing.T) { testDayEdges(t, b, out) })
			t.Run("modules", func(t *testing.T) { testModules(t, b) })
		})
	})
	var report []string
	sizes.Range(func(k, v any) bool {
		n := v.(int64)
		report = append(report, fmt.Sprintf("%s %.1f KB", k, float64(n)/1024))
		if n > budget {
			t.Errorf("%s transferred %d bytes, over the %d-byte budget", k, n, budget)
		} else if n < 2<<10 {
			t.Errorf("%s transferred %d bytes: the measurement missed the page", k, n)
		}
		return true
	})
	sort.Strings(report)
	t.Logf("transferred per view (compressed): %s; suite took %s", strings.Join(report, ", "), time.Since(began).Round(100*time.Millisecond))
}

// ---- the server

type testServer struct {
	t     *testing.T
	clock server.Clock
	sched *schedule.Schedule
	path  string
	state string
	addr  string
	url   string
	run   *testserver.Running
	// changesRecent is the server's ChangesRecent (0: its default); set it,
	// then restart, to see a change badge age out within a test.
	changesRecent time.Duration
	// publicViewers is the server's PublicViewerCounts; set it, then
	// restart, to have the public pages sent the viewer counts.
	publicViewers bool
}

// startServer runs the real server on 127.0.0.1:0 with the test day and a
// clock that reads from at speed times faster than real time.
func startServer(t *testing.T, from time.Time, speed float64) *testServer {
	t.Helper()
	return startServerWith(t, testSchedule, from, speed)
}

// startServerWith is startServer with another schedule.
func startServerWith(t *testing.T, yaml string, from time.Time, speed float64) *testServer {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "schedule.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	s, warns, err := load.ParseFile(path, schedule.Options{})
	if err != nil {
		t.Fatalf("test schedule: %v", err)
	}
	if len(warns) > 0 {
		t.Fatalf("test schedule: warnings %v", warns)
	}
	ts := &testServer{t: t, clock: server.NewClock(from, speed), sched: s, path: path, state: filepath.Join(dir, "state.json")}
	return ts.start()
}

// start serves ts on a free loopback port until the test ends.
func (ts *testServer) start() *testServer {
	ts.t.Helper()
	ts.run = testserver.Start(ts.t, ts.newServer())
	ts.addr, ts.url = ts.run.Addr, ts.run.Base
	return ts
}

func (ts *testServer) newServer() *server.Server {
	ts.t.Helper()
	srv, err := server.New(server.Config{
		Schedule: ts.sched, SchedulePath: ts.path, StatePath: ts.state,
		Clock: ts.clock, AdminToken: adminToken, Logger: slog.New(slog.DiscardHandler),
		ChangesRecent: ts.changesRecent, PublicViewerCounts: ts.publicViewers,
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	return srv
}

// stop shuts the server down: every websocket gets 1001.
func (ts *testServer) stop() { ts.run.Stop() }

// restart serves again on the same address, clock and state file. The
// server still stops after the tabs opened since have closed, so that they
// never see it go.
func (ts *testServer) restart() {
	ts.t.Helper()
	ts.run.Restart(ts.newServer())
}

// admin calls the admin API and returns the status and body.
func (ts *testServer) admin(method, path string, body any) (int, []byte) {
	ts.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			ts.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, ts.url+path, r)
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// announce posts an announcement for every view, the overlay and the stage
// too (the default audience leaves them out: audience_test.go).
func (ts *testServer) announce(text, track string) string {
	ts.t.Helper()
	body := map[string]any{"text": text, "audience": []string{"room", "lobby", "stage", "stream", "tab"}}
	if track != "" {
		body["track"] = track
	}
	code, b := ts.admin("POST", "/api/v1/announcements", body)
	if code != http.StatusCreated {
		ts.t.Fatalf("post announcement: %d %s", code, b)
	}
	var a struct{ ID string }
	if err := json.Unmarshal(b, &a); err != nil || a.ID == "" {
		ts.t.Fatalf("post announcement: no id in %s (%v)", b, err)
	}
	return a.ID
}

// ---- the browser

type browser struct {
	ctx context.Context
	ua  string // the browser's own user agent, kept when a tab's languages are set
}

// chromiumPath finds a browser: $CHROME_PATH, then Debian's chromium, then
// Google Chrome on PATH.
func chromiumPath() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func newBrowser(t *testing.T) *browser {
	// Every browser test starts here: the suite is the longest of all.
	if testing.Short() {
		t.Skip("long end-to-end test; runs without -short")
	}
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium found (set CHROME_PATH or install Debian's chromium): the browser tests must run in CI")
		}
		t.Skip("browser tests skipped: no Chromium found (set CHROME_PATH or install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		// Chromium puts its singleton socket in a directory of its own under
		// TMPDIR and leaves it behind when it is stopped: keep it in the
		// test's temporary directory, which the test removes.
		chromedp.Env("TMPDIR="+t.TempDir()),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		acancel()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", path, err)
	}
	v, err := chromedp.Call(ctx, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("browser version: %v", err)
	}
	return &browser{ctx: ctx, ua: v.UserAgent}
}

// tab is one page in its own browser context (fresh cache and storage),
// with everything its console said and the bytes it transferred.
type tab struct {
	t        *testing.T
	ctx      context.Context
	name     string
	mu       sync.Mutex
	problems []string
	bytes    int64
	netErrs  atomic.Bool // network errors are expected now (the server is down, a wrong token)
}

type tabOpt struct {
	width, height int64
	mobile        bool
	zone          string            // the viewer's time zone
	transparent   bool              // a transparent default background, as OBS has
	media         map[string]string // emulated media features: prefers-color-scheme, prefers-reduced-motion
	init          string            // a script that runs in the page before any of its own
	// languages is the browser's language list (navigator.languages, the
	// Accept-Language header), "de-DE,de"; the locale follows its first.
	// By default en-GB: English words and the 24-hour clocks the tests read.
	languages string
}

func (b *browser) open(t *testing.T, name, url string, o tabOpt) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	tb := &tab{t: t, ctx: ctx, name: name}
	t.Cleanup(func() {
		cancel()
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("%s: browser console: %s", name, p)
		}
	})
	if err := chromedp.Listen(ctx, tb.event); err != nil {
		t.Fatal(err)
	}
	if o.width == 0 {
		o.width, o.height = 1280, 800
	}
	var emu []chromedp.EmulateViewportOption
	if o.mobile {
		emu = append(emu, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(o.width, o.height, emu...)}
	if o.languages == "" {
		o.languages = "en-GB"
	}
	steps = append(steps, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: b.ua, AcceptLanguage: o.languages}); err != nil {
			return err
		}
		first, _, _ := strings.Cut(o.languages, ",")
		_, err := cdp.Call(ctx, tg, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(first, "-", "_")})
		return err
	}))
	if o.zone != "" {
		steps = append(steps, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: o.zone})
			return err
		}))
	}
	if o.transparent {
		steps = append(steps, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, setBackground, backgroundParams{Color: map[string]float64{"r": 0, "g": 0, "b": 0, "a": 0}})
			return err
		}))
	}
	if len(o.media) > 0 {
		var features []*emulation.MediaFeature
		for k, v := range o.media {
			features = append(features, &emulation.MediaFeature{Name: k, Value: v})
		}
		steps = append(steps, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features})
			return err
		}))
	}
	if o.init != "" {
		steps = append(steps, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: o.init})
			return err
		}))
	}
	steps = append(steps, chromedp.Navigate(url))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: open %s: %v", name, url, err)
	}
	return tb
}

// setBackground is Emulation.setDefaultBackgroundColorOverride with an
// explicit alpha: the generated type omits an alpha of 0, which the browser
// reads as opaque.
var setBackground = cdp.Command[backgroundParams, cdp.Empty]{Method: "Emulation.setDefaultBackgroundColorOverride"}

type backgroundParams struct {
	Color map[string]float64 `json:"color"`
}

// event runs on the tab's reader goroutine: record and return.
func (tb *tab) event(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventLoadingFinished:
		tb.bytes += int64(e.EncodedDataLength)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			tb.problems = append(tb.problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(parts, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		tb.problems = append(tb.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, msg))
	case *log.EventEntryAdded:
		en := e.Entry
		if en.Level != log.EntryLevelError {
			return
		}
		if tb.netErrs.Load() && en.Source == log.EntrySourceNetwork {
			return
		}
		tb.problems = append(tb.problems, fmt.Sprintf("%s %s: %s %s", en.Source, en.Level, en.Text, en.URL))
	}
}

func (tb *tab) transferred() int64 {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.bytes
}

// wait polls a JavaScript predicate until it holds, or fails the test with
// what the page shows.
func (tb *tab) wait(what, expr string, d time.Duration) {
	tb.t.Helper()
	// The polling timeout runs in the page: a renderer that stops answering
	// would hold the test until go test's limit. The context bounds it too.
	ctx, cancel := context.WithTimeout(tb.ctx, d+15*time.Second)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		defer cancel()
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 1500)`))
		tb.t.Fatalf("%s: waiting %s for %s: %v\npage shows:\n%s", tb.name, d, what, err, page)
	}
}

func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}

// text is the text of the first element matching a CSS selector.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ''`, sel))
}

// has is a predicate: the element's text contains want.
func has(sel, want string) string {
	return fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? '').includes(%q)`, sel, want)
}

// screenshot writes the viewport to the output folder and, with
// -update-screenshots, a copy scaled by docScale into docs/screenshots (a
// docScale of 0: the picture is not for the README).
func (tb *tab) screenshot(out, name string, w, h int64, docScale float64) []byte {
	tb.t.Helper()
	scroll := eval[[]float64](tb, `[scrollX, scrollY]`) // a clip is in document coordinates
	shot := func(scale float64) []byte {
		res, err := chromedp.Call(tb.ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatPng,
			Clip:   &page.Viewport{X: scroll[0], Y: scroll[1], Width: float64(w), Height: float64(h), Scale: scale},
		})
		if err != nil {
			tb.t.Fatalf("%s: screenshot: %v", tb.name, err)
		}
		return res.Data
	}
	tb.wait("the entrance animations to end", settled, 5*time.Second)
	full := shot(1)
	if err := os.WriteFile(filepath.Join(out, name+".png"), full, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	if *updateScreenshots && docScale > 0 {
		small := full
		if docScale != 1 {
			small = shot(docScale)
		}
		if err := os.WriteFile(filepath.Join(docsShots, name+".png"), small, 0o644); err != nil {
			tb.t.Fatal(err)
		}
	}
	return full
}

// ---- the tests

// Selectors of the tab's cards.
func card(track, part string) string { return fmt.Sprintf(`.track[data-key=%q] %s`, track, part) }

// waitFollows waits until the page's estimate of the server's clock agrees
// with the server for 600 ms of real time: a page that ran its own clock, or
// had not measured the rehearsal clock's rate, drifts away within it.
func waitFollows(t *testing.T, tb *tab, ts *testServer) {
	t.Helper()
	var agreed time.Time
	var off time.Duration
	for deadline := time.Now().Add(10 * time.Second); agreed.IsZero() || time.Since(agreed) < 600*time.Millisecond; time.Sleep(50 * time.Millisecond) {
		before := ts.clock.Now()
		ms, err := chromedp.Run(tb.ctx, chromedp.Evaluate[float64](`globalThis.confdash && document.documentElement.dataset.conn === 'open' ? confdash.clock.now() : 0`))
		after := ts.clock.Now()
		page := time.UnixMilli(int64(ms))
		switch ok := err == nil && !page.Before(before.Add(-500*time.Millisecond)) && !page.After(after.Add(500*time.Millisecond)); {
		case !ok:
			agreed, off = time.Time{}, page.Sub(after)
		case agreed.IsZero():
			agreed = time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the page's clock is %s off the server's: it does not follow it", tb.name, off)
		}
	}
}

// expect is the domain's own answer: the titles of now and next on a track.
func expect(ts *testServer, track string, at time.Time) (now, next string, change time.Time) {
	st, ok := schedule.ComputeTrack(ts.sched, schedule.Adjustments{}, track, at)
	if !ok {
		panic("no track " + track)
	}
	if st.Now != nil {
		now = st.Now.Title
	}
	if st.Next != nil {
		next = st.Next.Title
	}
	return now, next, st.NextChange
}

// checkTracks compares the tab's cards with the domain at the server's
// current time, reading again if a transition fell between the reads.
func checkTracks(t *testing.T, tb *tab, ts *testServer) {
	t.Helper()
	tracks := []string{"main", "side", "lab"}
	for try := 0; ; try++ {
		before := ts.clock.Now()
		got := eval[[][]string](tb, `[...document.querySelectorAll('.track')].map((c) => [
			c.dataset.key,
			c.querySelector('.slot.now').classList.contains('empty') ? '' : c.querySelector('.slot.now .title').textContent,
			c.querySelector('.slot.next').hidden ? '' : c.querySelector('.slot.next .title').textContent])`)
		after := ts.clock.Now()
		// Near a transition the page and this reading may disagree by the
		// page's clock error (a few hundred ms on a fast clock): read again.
		var want [][]string
		stable := true
		for _, id := range tracks {
			now, next, _ := expect(ts, id, before.Add(-2*time.Second))
			now2, next2, _ := expect(ts, id, after.Add(2*time.Second))
			stable = stable && now == now2 && next == next2
			want = append(want, []string{id, now, next})
		}
		if !stable && try < 20 {
			time.Sleep(100 * time.Millisecond) // let the transition pass
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s at %s: tracks (id, now, next) = %q, want %q", tb.name, before.Format("15:04:05"), got, want)
		}
		return
	}
}

func testNowNext(t *testing.T, b *browser) {
	const speed = 10
	ts := startServer(t, at("09:30:40"), speed)
	tabv := b.open(t, "tab", ts.url+"/", tabOpt{})
	screen := b.open(t, "screen", ts.url+"/screen/main", tabOpt{width: 1280, height: 720})
	waitFollows(t, tabv, ts)
	waitFollows(t, screen, ts)
	tabv.wait("the tracks", `document.querySelectorAll('.track').length === 3`, 5*time.Second)
	checkTracks(t, tabv, ts)

	// The next change on Main Hall at least 1.5 real seconds away: time to
	// set up the watch before it.
	from := ts.clock.Now().Add(1500 * time.Millisecond * speed)
	before, _, switchAt := expect(ts, "main", from)
	after, afterNext, _ := expect(ts, "main", switchAt)
	if switchAt.IsZero() || switchAt.Sub(from) > 3*time.Minute {
		t.Fatalf("no change on Main Hall soon after %s", from.Format("15:04:05"))
	}
	screen.wait("the screen", has("#title", before), 5*time.Second)
	if got := eval[string](screen, `document.body.dataset.cue`); got != "amber" {
		t.Errorf("screen: cue %q in the last five minutes of %q, want amber", got, before)
	}
	checkContrast(t, screen, "screen in its last five minutes")
	if got, want := eval[string](tabv, `document.title`), "▶ \u2068"+before+"\u2069 · \u2068Main Hall\u2069"; got != want {
		t.Errorf("tab title = %q, want %q", got, want)
	}

	// Each page notes its own server time when its DOM shows the next
	// session, and that it was not reloaded.
	const record = `(() => {
		window.__kept = true;
		const el = document.querySelector(%q);
		new MutationObserver(() => {
			if (!window.__switched && el.textContent === %q) window.__switched = confdash.clock.now();
		}).observe(el, {childList: true, characterData: true, subtree: true});
		return true;
	})()`
	eval[bool](tabv, fmt.Sprintf(record, card("main", ".slot.now .title"), after))
	eval[bool](screen, fmt.Sprintf(record, "#title", after))
	if now := ts.clock.Now(); !now.Before(switchAt) {
		t.Fatalf("setting up took until %s, past the switch at %s", now.Format("15:04:05"), switchAt.Format("15:04:05"))
	}
	wait := switchAt.Sub(ts.clock.Now())/speed + 5*time.Second
	// A page may be late by a server second, or by what a busy machine
	// delays a timer (300 ms of real time is 3 s on this clock).
	late := max(time.Second, 300*time.Millisecond*speed)
	var at []time.Time
	for _, tb := range []*tab{tabv, screen} {
		tb.wait("the switch to "+after, `window.__switched > 0`, wait)
		if !eval[bool](tb, `window.__kept === true`) {
			t.Errorf("%s: the page reloaded", tb.name)
		}
		sw := time.UnixMilli(int64(eval[float64](tb, `window.__switched`)))
		at = append(at, sw)
		// Early is impossible unless the page misreads the clock; late by more
		// than a server second means it waited for something.
		if sw.Before(switchAt.Add(-250*time.Millisecond)) || sw.After(switchAt.Add(late)) {
			t.Errorf("%s switched at %s, want at %s", tb.name, sw.In(la).Format("15:04:05.000"), switchAt.In(la).Format("15:04:05.000"))
		}
	}
	if d := at[0].Sub(at[1]).Abs(); d > late {
		t.Errorf("tab and screen switched %s of server time apart, want within %s", d, late)
	}
	if got := tabv.text(card("main", ".slot.next .title")); got != afterNext {
		t.Errorf("tab: main next after the switch = %q, want %q", got, afterNext)
	}
	tabv.wait("the tab title", fmt.Sprintf(`document.title === %q`, "▶ \u2068"+after+"\u2069 · \u2068Main Hall\u2069"), 2*time.Second)
	checkTracks(t, tabv, ts)
}

func testAnnouncements(t *testing.T, b *browser) {
	ts := startServer(t, at("09:41:00"), 1)
	views := []*tab{
		b.open(t, "tab", ts.url+"/", tabOpt{}),
		b.open(t, "screen", ts.url+"/screen/main", tabOpt{width: 1280, height: 720}),
		b.open(t, "overlay", ts.url+"/overlay/main", tabOpt{width: 1280, height: 720}),
	}
	banner := map[string]string{"tab": "#announcements", "screen": "#ann", "overlay": "#ann"}
	for _, v := range views {
		v.wait("connected", `document.documentElement.dataset.conn === 'open'`, 10*time.Second)
	}
	other := ts.announce("Room B moves to the foyer", "side")
	id := ts.announce("Lunch is served in the foyer", "")
	for _, v := range views {
		v.wait("the announcement", has(banner[v.name], "Lunch is served in the foyer"), 5*time.Second)
	}
	if !strings.Contains(views[0].text("#announcements"), "Room B moves to the foyer") {
		t.Errorf("tab: the announcement for Room B is missing")
	}
	for _, v := range views[1:] {
		if strings.Contains(v.text("body"), "Room B moves") {
			t.Errorf("%s of Main Hall shows Room B's announcement", v.name)
		}
	}
	views[0].wait("the aria-live region to speak", has("#say", "Announcement: Lunch is served in the foyer"), 2*time.Second)
	if code, body := ts.admin("DELETE", "/api/v1/announcements/"+id, nil); code != http.StatusNoContent {
		t.Fatalf("delete announcement: %d %s", code, body)
	}
	for _, v := range views {
		v.wait("the announcement to go", fmt.Sprintf(`!document.querySelector(%q).textContent.includes('Lunch is served')`, banner[v.name]), 5*time.Second)
	}
	if code, body := ts.admin("DELETE", "/api/v1/announcements/"+other, nil); code != http.StatusNoContent {
		t.Fatalf("delete announcement: %d %s", code, body)
	}
	views[0].wait("Room B's announcement to go", `document.querySelector('#announcements').children.length === 0`, 5*time.Second)
}

func testDelay(t *testing.T, b *browser, out string, sizes *sync.Map) {
	ts := startServer(t, at("09:41:00"), 1)
	admin := b.open(t, "admin", ts.url+"/admin", tabOpt{width: 1280, height: 900})
	// A wrong token first: the API's own words must show (and the browser
	// logs the 401 as a failed resource).
	admin.netErrs.Store(true)
	err := chromedp.Do(admin.ctx,
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), "wrong"),
		chromedp.Click(chromedp.CSS("#login button[type=submit]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	admin.wait("the API's error", `/^401 /.test(document.querySelector('#login-error').textContent)`, 5*time.Second)
	err = chromedp.Do(admin.ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#token').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS("#login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`button[data-track="main"][data-delta="5"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	admin.netErrs.Store(false)
	admin.wait("the schedule", `document.querySelectorAll('#day-rows tr').length === 12 && document.documentElement.dataset.conn === 'open'`, 5*time.Second)
	// The budget is the console's first load; what the calls below fetch
	// (a reload, the changes) comes on top.
	sizes.Store("admin", admin.transferred())
	// The viewers arrive while the console watches: it counts them live.
	views := []*tab{
		b.open(t, "tab", ts.url+"/", tabOpt{}),
		b.open(t, "screen", ts.url+"/screen/main", tabOpt{width: 1280, height: 720}),
		b.open(t, "overlay", ts.url+"/overlay/main", tabOpt{width: 1280, height: 720}),
	}
	// The tab follows no track yet: it counts in the total, not on Main Hall.
	admin.wait("the viewers", has(`#track-rows tr[data-key="main"] .tr-viewers`, "2")+" && "+has("#viewers-total", "3 watching"), 10*time.Second)
	if err := chromedp.Do(admin.ctx, chromedp.Click(chromedp.CSS(`button[data-track="main"][data-delta="5"]`))); err != nil {
		t.Fatal(err)
	}
	admin.wait("the delay", has(`#track-rows tr[data-key="main"] .tr-delay`, "+5 min"), 5*time.Second)
	views[0].wait("the estimate", has(card("main", ".slot.next .meta"), "09:50 → est. 09:55"), 5*time.Second)
	views[0].wait("the delay note", has(card("main", ".delay"), "running 5 min late"), 5*time.Second)
	views[1].wait("the estimate", has("#next-when", "09:50 → est. 09:55"), 5*time.Second)
	views[1].wait("the new end", has("#small", "until 09:55 (scheduled 09:50)"), 5*time.Second)
	views[2].wait("the estimate", has("#next", "Next 09:50 → est. 09:55"), 5*time.Second)
	admin.wait("the estimated times", `[...document.querySelectorAll('#day-rows tr')].some(r => r.textContent.includes('09:55–10:05'))`, 5*time.Second)
	if code, body := ts.admin("POST", "/api/v1/tracks/main/delay", map[string]int{"minutes": 0}); code != http.StatusOK {
		t.Fatalf("clear delay: %d %s", code, body)
	}
	views[1].wait("the estimate to go", `!document.querySelector('#next-when').textContent.includes('est.')`, 5*time.Second)
	if err := chromedp.Do(admin.ctx,
		chromedp.SendKeys(chromedp.CSS(`input.delay-field[data-track="side"]`), "10"),
		chromedp.Click(chromedp.CSS(`button[data-track="side"][data-set]`)),
	); err != nil {
		t.Fatal(err)
	}
	admin.wait("Room B's delay", has(`#track-rows tr[data-key="side"] .tr-delay`, "+10 min"), 5*time.Second)
	ts.announce("Lunch is served in the foyer", "")
	admin.wait("the announcement", has("#ann-list", "Lunch is served"), 5*time.Second)
	admin.screenshot(out, "admin", 1280, 900, 0.5)

	// Reload: a broken file is refused with the server's own words; a good
	// one shows what changed.
	if err := os.WriteFile(ts.path, []byte(strings.Replace(testSchedule, "end: 2026-10-06 09:32\n", "end: 2026-10-06 09:29\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	admin.netErrs.Store(true) // the browser logs the 422 as a failed resource
	if err := chromedp.Do(admin.ctx, chromedp.Click(chromedp.CSS("#reload"))); err != nil {
		t.Fatal(err)
	}
	admin.wait("the reload's errors", `!document.querySelector('#error').hidden && /^422 invalid_schedule: .*\n.*schedule\.yaml:\d+/s.test(document.querySelector('#error').textContent)`, 5*time.Second)
	moved := strings.Replace(testSchedule, "start: 2026-10-06 09:40\n    end: 2026-10-06 09:50\n    speakers:\n      - {name: Brian", "start: 2026-10-06 09:41\n    end: 2026-10-06 09:50\n    speakers:\n      - {name: Brian", 1)
	if moved == testSchedule {
		t.Fatal("the test could not move a session")
	}
	if err := os.WriteFile(ts.path, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(admin.ctx, chromedp.Click(chromedp.CSS("#reload"))); err != nil {
		t.Fatal(err)
	}
	admin.wait("the reload", has("#reload-out", "Reloaded: schedule version")+` && document.querySelector('#error').hidden`, 5*time.Second)
	admin.netErrs.Store(false)
	admin.wait("the change", has("#changes", "Whoops! I Rewrote It in Rust")+" && "+has("#changes", "09:41 (was 09:40)"), 5*time.Second)
	// The latest changes are asked for once per schedule version: at sign-in
	// and after the reload, not again by the sign-in and the reload button.
	if n := eval[int](admin, `performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === '/api/v1/changes').length`); n != 2 {
		t.Errorf("the console fetched /api/v1/changes %d times, want 2 (one per schedule version)", n)
	}
}

// noOverflow is a predicate: nothing scrolls and every visible element lies
// inside the viewport.
const noOverflow = `(() => {
	const d = document.documentElement, W = innerWidth, H = innerHeight;
	if (d.scrollWidth > W || d.scrollHeight > H) return 'document ' + d.scrollWidth + 'x' + d.scrollHeight;
	for (const el of document.body.querySelectorAll('*')) {
		const r = el.getBoundingClientRect();
		if (!r.width || !r.height || getComputedStyle(el).position === 'absolute') continue;
		if (r.right > W + 1 || r.bottom > H + 1 || r.left < -1 || r.top < -1)
			return (el.id || el.className) + ' at ' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(',');
	}
	return '';
})()`

// settled is a predicate: no entrance animation is running.
const settled = `document.getAnimations().filter((a) => a instanceof CSSAnimation && a.effect.getComputedTiming().iterations !== Infinity).every((a) => a.playState === 'finished')`

// contrast gives the lowest contrast ratio of the screen's text against
// its background, with the element that has it.
const contrast = `(() => {
	const rgb = (s) => s.match(/[\d.]+/g).map(Number);
	const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
		.reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
	const bg = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
	let worst = [99, ''];
	for (const el of document.body.querySelectorAll('*')) {
		if (!el.offsetParent || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
		if (el.closest('.notice, .sr-only')) continue;
		const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
		const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
		if (ratio < worst[0]) worst = [ratio, el.id || el.className];
	}
	return worst;
})()`

// checkContrast wants 7:1 (WCAG AAA) on the venue screen, read from afar.
func checkContrast(t *testing.T, tb *tab, what string) { checkContrastOf(t, tb, what, 7) }

func checkContrastOf(t *testing.T, tb *tab, what string, min float64) {
	t.Helper()
	if got := eval[[]any](tb, contrast); got[0].(float64) < min {
		t.Errorf("%s: contrast %.2f:1 on %v, want at least %v:1", what, got[0], got[1], min)
	}
}

func testLayout(t *testing.T, b *browser, out string, sizes *sync.Map) {
	ts := startServer(t, at("09:12:20"), 1)
	ready := `document.documentElement.dataset.schedule && document.documentElement.dataset.conn === 'open'`

	screen := b.open(t, "screen", ts.url+"/screen/main", tabOpt{width: 1920, height: 1080})
	screen.wait("the keynote", ready+` && document.querySelector('#title').textContent.startsWith('Keeping Latency Low')`, 10*time.Second)
	sizes.Store("screen", screen.transferred())
	if got := eval[string](screen, `getComputedStyle(document.documentElement).cursor`); got != "none" {
		t.Errorf("screen: cursor = %q, want none", got)
	}
	screen.screenshot(out, "screen", 1920, 1080, 0.5)

	lobby := b.open(t, "lobby", ts.url+"/screen", tabOpt{width: 1920, height: 1080})
	lobby.wait("every track", ready+` && document.querySelectorAll('.row').length === 3 && document.querySelector('.row[data-key="lab"] .row-title').textContent === 'Hands-on: eBPF'`, 10*time.Second)
	sizes.Store("lobby", lobby.transferred())
	lobby.screenshot(out, "lobby", 1920, 1080, 0.5)

	// A long announcement takes over the top; everything must still fit.
	ts.announce("The evening reception moves to the rooftop terrace on level 9: take the lifts by the registration desk, bring your badge", "")
	for _, v := range []*tab{screen, lobby} {
		v.wait("the announcement", has("#ann", "evening reception"), 5*time.Second)
		for _, size := range [][2]int64{{1280, 720}, {1920, 1080}, {3840, 2160}} {
			if err := chromedp.Do(v.ctx, chromedp.EmulateViewport(size[0], size[1])); err != nil {
				t.Fatal(err)
			}
			v.wait("the entrance animations to end", settled, 5*time.Second)
			if got := eval[string](v, noOverflow); got != "" {
				t.Errorf("%s at %dx%d overflows: %s", v.name, size[0], size[1], got)
			}
			checkContrast(t, v, fmt.Sprintf("%s at %dx%d", v.name, size[0], size[1]))
		}
	}

	overlay := b.open(t, "overlay", ts.url+"/overlay/main?position=bottom-left&scale=1&theme=dark", tabOpt{width: 1280, height: 720, transparent: true})
	overlay.wait("the card", ready+` && !document.querySelector('#card').hidden && document.querySelector('#title').textContent.startsWith('Keeping')`, 10*time.Second)
	overlay.wait("the announcement", has("#ann", "evening reception"), 5*time.Second)
	sizes.Store("overlay", overlay.transferred())
	for _, sel := range []string{"html", "body"} {
		if got := eval[string](overlay, fmt.Sprintf(`getComputedStyle(document.querySelector(%q)).backgroundColor`, sel)); got != "rgba(0, 0, 0, 0)" {
			t.Errorf("overlay: %s background = %q, want transparent", sel, got)
		}
	}
	shot := overlay.screenshot(out, "overlay", 1280, 720, 0.5)
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := img.At(1270, 10).RGBA(); a != 0 {
		t.Errorf("overlay: the page paints its corner (alpha %d), want it transparent", a)
	}
	cardAt := eval[[]float64](overlay, `(() => { const r = document.querySelector('#card').getBoundingClientRect(); return [r.left + 20, r.top + 20]; })()`)
	if _, _, _, a := img.At(int(cardAt[0]), int(cardAt[1])).RGBA(); a == 0 {
		t.Errorf("overlay: the card is not painted")
	}
	if got := eval[string](overlay, `getComputedStyle(document.querySelector('.dock')).left`); got != "51.2px" {
		t.Errorf("overlay: dock left = %s, want 4vw at bottom-left", got)
	}

	desk := b.open(t, "tab (desktop)", ts.url+"/", tabOpt{width: 1440, height: 900})
	desk.wait("the tracks", ready+` && document.querySelectorAll('.track').length === 3`, 10*time.Second)
	desk.screenshot(out, "tab-desktop", 1440, 900, 0)
	checkContrastOf(t, desk, "tab", 4.5)
	dark := b.open(t, "tab (dark)", ts.url+"/", tabOpt{width: 1440, height: 900, media: map[string]string{"prefers-color-scheme": "dark"}})
	dark.wait("the tracks", ready+` && document.querySelectorAll('.track').length === 3`, 10*time.Second)
	if got := eval[string](dark, `getComputedStyle(document.body).backgroundColor`); got != "rgb(13, 17, 23)" {
		t.Errorf("tab in a dark scheme: background %s", got)
	}
	checkContrastOf(t, dark, "tab (dark)", 4.5)
	dark.screenshot(out, "tab-dark", 1440, 900, 0)

	calm := b.open(t, "overlay (reduced motion)", ts.url+"/overlay/main", tabOpt{width: 1280, height: 720, media: map[string]string{"prefers-reduced-motion": "reduce"}})
	calm.wait("the card", ready+` && !document.querySelector('#card').hidden`, 10*time.Second)
	if got := eval[string](calm, `getComputedStyle(document.querySelector('#card')).animationName`); got != "none" {
		t.Errorf("overlay with reduced motion animates its card: %s", got)
	}

	phone := b.open(t, "tab", ts.url+"/", tabOpt{width: 390, height: 844, mobile: true, zone: "Europe/Berlin"})
	phone.wait("the tracks", ready+` && document.querySelectorAll('.track').length === 3`, 10*time.Second)
	// Viewer counts are the organizers' unless the server makes them public.
	if n := eval[int](phone, `document.querySelectorAll('.track .viewers:not([hidden])').length`); n != 0 {
		t.Errorf("tab: %d \"watching\" lines without --public-viewer-counts, want none", n)
	}
	sizes.Store("tab", phone.transferred())
	if got, want := phone.text("#clock-local"), "18:12 your time"; got != want {
		t.Errorf("tab: local clock = %q, want %q", got, want)
	}
	if got := phone.text(card("main", ".slot.next .meta")); !strings.Contains(got, "09:30 PDT · 18:30 your time") {
		t.Errorf("tab: main next reads %q, want the event's time then the viewer's", got)
	}
	if got := eval[int](phone, `document.documentElement.scrollWidth`); got > 390 {
		t.Errorf("tab on a phone is %dpx wide, want no horizontal scroll", got)
	}
	if err := chromedp.Do(phone.ctx, chromedp.Click(chromedp.CSS(card("main", ".agenda summary")))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(phone.ctx, chromedp.Click(chromedp.CSS(card("main", `.star[data-id="rust"]`)))); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](phone, `localStorage.getItem('confdash:favs')`); got != `["rust"]` {
		t.Errorf("starred = %s, want [\"rust\"]", got)
	}
	phone.screenshot(out, "tab-agenda", 390, 844, 0)
	if err := chromedp.Do(phone.ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('details.agenda').open = false; scrollTo(0, 0)`)); err != nil {
		t.Fatal(err)
	}
	phone.screenshot(out, "tab", 390, 844, 1)

	// The same first loads in German: a page fetches its own language's
	// words and no English beside them, so it stays within the budget too.
	for _, v := range []struct {
		name, path, ready string
		o                 tabOpt
	}{
		{"tab de", "/", `document.querySelectorAll('.track').length === 3`, tabOpt{width: 390, height: 844, mobile: true}},
		{"screen de", "/screen/main", `document.querySelector('#title').textContent !== ''`, tabOpt{width: 1920, height: 1080}},
		{"lobby de", "/screen", `document.querySelectorAll('.row').length === 3`, tabOpt{width: 1920, height: 1080}},
		{"overlay de", "/overlay/main", `!document.querySelector('#card').hidden`, tabOpt{width: 1280, height: 720, transparent: true}},
	} {
		v.o.languages = "de-DE,de"
		tb := b.open(t, v.name, ts.url+v.path, v.o)
		tb.wait("the page in German", ready+` && document.documentElement.lang === 'de' && `+v.ready, 10*time.Second)
		sizes.Store(v.name, tb.transferred())
	}
}

func testReconnect(t *testing.T, b *browser, out string) {
	ts := startServer(t, at("09:32:40"), 10)
	views := []*tab{
		b.open(t, "tab", ts.url+"/", tabOpt{}),
		b.open(t, "screen", ts.url+"/screen/main", tabOpt{width: 1280, height: 720}),
	}
	for _, v := range views {
		v.wait("the schedule", `document.documentElement.dataset.schedule`, 10*time.Second)
		waitFollows(t, v, ts)
	}
	for _, v := range views {
		v.netErrs.Store(true)
	}
	shown := views[0].text(card("main", ".slot.now .title"))
	ts.stop()
	down := time.Now()
	from := ts.clock.Now()

	// The pages keep computing from what they hold (the break starts at
	// 09:34 unless the machine was slow to get here), and after 10 s say
	// that they are reconnecting.
	views[0].wait("the reconnecting notice", `!document.querySelector('#notice').hidden && document.querySelector('#notice').textContent.startsWith('Offline since ')`, 15*time.Second)
	if d := time.Since(down); d < 9*time.Second {
		t.Errorf("the notice showed %s after the server stopped, want after 10 s", d)
	}
	views[1].wait("the reconnecting notice", `!document.querySelector('#notice').hidden`, 15*time.Second-time.Since(down))
	if got, want := eval[string](views[1], `document.documentElement.dataset.conn`), "stale"; got != want {
		t.Errorf("screen: connection %q, want %q", got, want)
	}
	checkTracks(t, views[0], ts)
	if now, _, _ := expect(ts, "main", ts.clock.Now()); now != shown {
		t.Logf("main switched from %q to %q while the server was down (since %s)", shown, now, from.Format("15:04:05"))
	}
	if now, _, _ := expect(ts, "main", ts.clock.Now()); now == "Coffee break" {
		if got, want := views[1].text("#big"), "Back at 09:40"; got != want {
			t.Errorf("screen offline: %q, want %q", got, want)
		}
	}
	views[1].screenshot(out, "screen-offline", 1280, 720, 0)

	ts.restart()
	for _, v := range views {
		// What a browser fires when its network returns: the page retries
		// at once rather than at the end of its current backoff.
		if err := chromedp.Do(v.ctx, chromedp.Evaluate[chromedp.Void](`dispatchEvent(new Event('online'))`)); err != nil {
			t.Fatal(err)
		}
		v.wait("the notice to go", `document.querySelector('#notice').hidden && document.documentElement.dataset.conn === 'open'`, 10*time.Second)
		v.netErrs.Store(false)
	}
	ts.announce("We are back", "")
	for _, v := range views {
		v.wait("the announcement after the restart", has("body", "We are back"), 5*time.Second)
	}
	checkTracks(t, views[0], ts)
}

func testDayEdges(t *testing.T, b *browser, out string) {
	early := startServer(t, at("06:50:00"), 1)
	tb := b.open(t, "tab", early.url+"/", tabOpt{})
	tb.wait("the countdown to the day", has("#day", "Starts in 2 h 10 min"), 10*time.Second)
	tb.wait("the title", `document.title === 'Starts in 2 h 10 min · \u2068Test Conf 2026\u2069'`, 2*time.Second)
	if got, want := tb.text(card("main", ".slot.next .title")), "Keeping Latency Low and Throughput High with Application-level Priority Management"; got != want {
		t.Errorf("before the day: main next = %q, want %q", got, want)
	}
	sc := b.open(t, "screen", early.url+"/screen/side", tabOpt{width: 1280, height: 720})
	sc.wait("the first session", has("#label", "First up · 09:00")+" && "+has("#big", "Starts in 2 h 10 min"), 10*time.Second)

	// Room B's 09:31 talk ended at 09:33; nothing follows until 09:40: its
	// screen shows what comes next, calmly (overtime is the stage view's).
	over := startServer(t, at("09:36:12"), 1)
	sc = b.open(t, "screen", over.url+"/screen/side", tabOpt{width: 1280, height: 720})
	sc.wait("the next session", has("#label", "Up next · 09:40")+` && document.body.dataset.cue !== 'red'`, 10*time.Second)
	if got, want := sc.text("#title"), "Async I/O in Practice"; got != want {
		t.Errorf("gap: title %q, want %q", got, want)
	}
	checkContrast(t, sc, "screen in a gap")
	sc.screenshot(out, "screen-gap", 1280, 720, 0)

	late := startServer(t, at("18:00:00"), 1)
	tb = b.open(t, "tab", late.url+"/", tabOpt{})
	tb.wait("the end of the day", has("#day", "That’s all for today"), 10*time.Second)
	if got := tb.text(card("side", ".slot.now .title")); got != "That’s all for today" {
		t.Errorf("after the day: side now = %q", got)
	}
	sc = b.open(t, "screen", late.url+"/screen/main", tabOpt{width: 1280, height: 720})
	sc.wait("the end of the day", has("#title", "That’s all for today"), 10*time.Second)
}

// testModules checks the shared modules' pure parts inside the browser.
func testModules(t *testing.T, b *browser) {
	ts := startServer(t, at("09:12:00"), 1)
	tb := b.open(t, "tab", ts.url+"/", tabOpt{})
	tb.wait("the page", `document.documentElement.dataset.schedule`, 10*time.Second)
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[map[string]any](`(async () => {
		const base = document.querySelector('script[type=module]').src.replace(/[^/]*$/, '');
		const favs = await import(base + 'favs.js');
		const fmt = await import(base + 'fmt.js');
		const live = await import(base + 'live.js');
		const model = await import(base + 'model.js');
		const s = model.slot({id: 'x', track: 'main', title: 'Ünïcode, semi; back\\slash — and a title long enough to need folding', start: '2026-10-06T16:00:00Z', end: '2026-10-06T16:30:00Z', speakers: [{name: 'Ada', affiliation: 'AE'}], abstract: 'one\ntwo'});
		const ics = favs.ics([s], {conf: {name: 'Test'}, trackName: () => 'Main Hall', host: 'example.org', now: Date.parse('2026-10-06T10:00:00Z')});
		const t = Date.parse('2026-10-06T23:30:00Z');
		return {
			ics,
			maxLine: Math.max(...ics.split('\r\n').map((l) => new TextEncoder().encode(l).length)),
			tokyo: fmt.dual(t, 'America/Los_Angeles', 'Asia/Tokyo'),
			same: fmt.dual(t, 'America/Los_Angeles', 'America/Los_Angeles'),
			berlin: fmt.dual(Date.parse('2026-10-06T17:00:00Z'), 'America/Los_Angeles', 'Europe/Berlin'),
			overtime: fmt.overtime(192400),
			countdown: fmt.countdown(754001),
			first: live.backoff(0, () => 0.999),
			third: live.backoff(2, () => 0.5),
			capped: live.backoff(40, () => 0.999),
		};
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	ics := v["ics"].(string)
	for _, want := range []string{
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
		"UID:x@example.org\r\n",
		"DTSTART:20261006T160000Z\r\nDTEND:20261006T163000Z\r\n",
		`SUMMARY:Ünïcode\, semi\; back\\slash`,
		"\r\n ",
		`DESCRIPTION:Ada (AE)\n\none\ntwo`,
		"END:VEVENT\r\nEND:VCALENDAR\r\n",
	} {
		if !strings.Contains(ics, want) {
			t.Errorf("ics lacks %q:\n%s", want, ics)
		}
	}
	if strings.Contains(strings.ReplaceAll(ics, "\r\n", ""), "\n") {
		t.Errorf("ics has a bare LF")
	}
	if n := v["maxLine"].(float64); n > 75 {
		t.Errorf("ics has a line of %v octets, want at most 75", n)
	}
	for k, want := range map[string]any{
		"tokyo":     "16:30 PDT · 08:30 your time (+1 day)",
		"same":      "16:30 PDT",
		"berlin":    "10:00 PDT · 19:00 your time",
		"overtime":  "+3:12",
		"countdown": "12:35",
	} {
		if got := v[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if first := v["first"].(float64); first >= 1000 {
		t.Errorf("first retry after %v ms, want within a second", first)
	}
	if got := v["third"].(float64); got != 2000 {
		t.Errorf("third retry at the middle of its window = %v ms, want 2000", got)
	}
	if c := v["capped"].(float64); c >= 30000 || c < 29000 {
		t.Errorf("a late retry waits %v ms, want just under the 30 s cap", c)
	}
}
