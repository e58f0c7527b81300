package frontend_test

// The room screen (/screen/{track}) and the lobby (/screen) on real
// schedules, at the shapes of display a venue has: 720p, 1080p and 4K
// landscape, a portrait pillar and a phone-sized screen. What they must do
// is asserted by layout geometry in Chromium: the talk (title, countdown,
// next) always whole, inside the screen and never under an announcement.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/server"
)

// sizes are the displays every screen test runs at.
var sizes = [][2]int64{{1920, 1080}, {3840, 2160}, {1280, 720}, {720, 1280}, {390, 844}}

// corpusFile is a real schedule of the corpus kept beside the module
// (../shared/schedules, or $CONFDASH_CORPUS), read where it lies.
func corpusFile(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("CONFDASH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "schedules")
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("schedule corpus not found (set CONFDASH_CORPUS): %v", err)
		}
		t.Skipf("schedule corpus not found at %s; set CONFDASH_CORPUS to run the screen tests", dir)
	}
	return path
}

// startServerFile is startServer with a real schedule file, whose
// importer's warnings (a session without a speaker) are expected.
func startServerFile(t *testing.T, path string, from time.Time, speed float64) *testServer {
	t.Helper()
	s, _, err := schedule.ParseFile(path, schedule.Options{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	dir := t.TempDir()
	ts := &testServer{t: t, clock: server.NewClock(from, speed), sched: s, path: path, state: filepath.Join(dir, "state.json")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	ts.url = "http://" + ts.addr
	ts.serve(ln)
	t.Cleanup(ts.stop)
	return ts
}

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

// ccc is an instant of 39C3 in Berlin: ccc("2025-12-27 12:10").
func ccc(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
	if err != nil {
		panic(err)
	}
	return t
}

// longAnnouncements are three announcements of the largest size the API
// takes (280 characters), as a venue writes them.
func longAnnouncements() []string {
	texts := []string{
		"FIRE ALARM TEST at 14:00 in halls One, Ground and Zero. When the alarm sounds, do not leave the building: it is a test of the sirens only. If the alarm sounds twice with a spoken message, leave by the nearest marked exit, do not use the lifts and gather outside the east entrance.",
		"The evening reception moves to the rooftop terrace on level 9 because of the weather forecast. Take the lifts by the registration desk or the stairs behind the cloakroom; bring your badge, it is checked at the door. Drinks and food are served from 19:30 until midnight.",
		"Lost and found: a black backpack with a laptop, a blue water bottle and a set of keys on a red lanyard were handed in at the info desk. Please come by with a description of the contents. The info desk is staffed from 09:00 to 22:00 every day of the congress, on level 1.",
	}
	for i, s := range texts {
		if n := len([]rune(s)); n > 280 {
			panic(fmt.Sprintf("announcement %d has %d characters, over the API's 280", i, n))
		}
		texts[i] = s + strings.Repeat(".", 280-len([]rune(s)))
	}
	return texts
}

// layoutProblems is a page predicate: "" when the parts that carry the talk
// (selectors in parts) lie whole inside the viewport, inside any ancestor
// that clips them, and overlap neither each other nor the announcement
// shown; otherwise what is wrong.
const layoutProblems = `((parts) => {
	const W = innerWidth, H = innerHeight, out = [];
	const box = (el) => el.getBoundingClientRect();
	const inside = (r, c) => r.left >= c.left - 1 && r.top >= c.top - 1 && r.right <= c.right + 1 && r.bottom <= c.bottom + 1;
	const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
	const els = [];
	for (const sel of parts) for (const el of document.querySelectorAll(sel)) {
		const r = box(el);
		if (!r.width || !r.height || !el.checkVisibility()) continue;
		els.push([sel, r]);
		if (!inside(r, {left: 0, top: 0, right: W, bottom: H})) out.push(sel + ' leaves the screen: ' + [r.left, r.top, r.right, r.bottom].map(Math.round));
		for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
			if (getComputedStyle(p).overflow !== 'visible' && !inside(r, box(p))) out.push(sel + ' is cut by ' + (p.id || p.className));
	}
	const ann = [...document.querySelectorAll('#ann .announcement')].filter((a) => !a.hidden);
	for (const a of ann) for (const [sel, r] of els) if (meet(r, box(a))) out.push(sel + ' is under the announcement');
	for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++)
		if (els[i][0] !== els[j][0] && meet(els[i][1], els[j][1])) out.push(els[i][0] + ' overlaps ' + els[j][0]);
	return out.join('; ');
})`

// annProblems is a page predicate: one announcement shows, with its
// counter, its whole text readable (fitting its band, or scrolling through
// it), and the band no taller than a quarter of a landscape screen.
const annProblems = `((count) => {
	const shown = [...document.querySelectorAll('#ann .announcement')].filter((a) => !a.hidden);
	if (shown.length !== 1) return shown.length + ' announcements shown, want one at a time';
	const a = shown[0], r = a.getBoundingClientRect();
	const c = a.querySelector('.ann-count').textContent;
	if (!new RegExp('^[1-9]/' + count + '$').test(c)) return 'counter ' + JSON.stringify(c) + ', want n/' + count;
	if (a.scrollHeight > a.clientHeight + 1 && !a.classList.contains('scroll')) return 'text cut: ' + a.scrollHeight + ' > ' + a.clientHeight;
	if (r.bottom > innerHeight * (innerHeight > innerWidth ? 0.42 : 0.36)) return 'band ends at ' + Math.round(r.bottom) + ' of ' + innerHeight;
	return '';
})`

// fontShare is the font size of the first element matching sel as a share
// of the viewport's height.
func fontShare(tb *tab, sel string) float64 {
	tb.t.Helper()
	return eval[float64](tb, fmt.Sprintf(`parseFloat(getComputedStyle(document.querySelector(%q)).fontSize) / innerHeight`, sel))
}

func resize(t *testing.T, tb *tab, w, h int64) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(w, h)); err != nil {
		t.Fatal(err)
	}
	tb.wait(fmt.Sprintf("the page at %dx%d", w, h), fmt.Sprintf(`innerWidth === %d && innerHeight === %d`, w, h), 5*time.Second)
}

// TestScreenShapes: the room screen and the lobby of 39C3 (14 rooms) at
// every size, without and with three announcements of 280 characters.
func TestScreenShapes(t *testing.T) {
	path := corpusFile(t, "frab-39c3-2025.xml")
	b := newBrowser(t)
	out := shotsDir(t)
	if *updateScreenshots {
		if err := os.MkdirAll(docsShots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ts := startServerFile(t, path, ccc("2025-12-27 12:10"), 1)
	ready := `document.documentElement.dataset.schedule && document.documentElement.dataset.conn === 'open'`
	screen := b.open(t, "screen", ts.url+"/screen/one", tabOpt{width: 1920, height: 1080})
	screen.wait("the talk", ready+` && document.querySelector('#title').textContent !== '' && !document.querySelector('#next').hidden`, 10*time.Second)
	lobby := b.open(t, "lobby", ts.url+"/screen", tabOpt{width: 1920, height: 1080})
	lobby.wait("the rooms", ready+` && document.querySelectorAll('.row').length > 0`, 10*time.Second)

	screenParts := []string{"#title", "#big", "#next-title", "#label"}
	lobbyParts := []string{".row-room", ".row-now .row-title", ".row-now .eyebrow", ".row-next .row-title"}
	check := func(phase string) {
		for _, sz := range sizes {
			for _, v := range []*tab{screen, lobby} {
				resize(t, v, sz[0], sz[1])
				v.wait("the entrance animations to end", settled, 5*time.Second)
				parts, min := screenParts, 0.035
				if v == lobby {
					parts, min = lobbyParts, 0.025
				}
				where := fmt.Sprintf("%s %s at %dx%d", v.name, phase, sz[0], sz[1])
				// The fit runs on the render after a resize.
				if got := settle(v, fmt.Sprintf(`%s(%s)`, layoutProblems, jsList(parts))); got != "" {
					t.Errorf("%s: %s", where, got)
				}
				if phase == "with announcements" {
					if got := eval[string](v, annProblems+"(3)"); got != "" {
						t.Errorf("%s: %s", where, got)
					}
				}
				sel := "#title"
				if v == lobby {
					sel = ".row-now .row-title"
				}
				if got := fontShare(v, sel); got < min {
					t.Errorf("%s: title is %.1f%% of the screen's height, want at least %.1f%%", where, got*100, min*100)
				}
				if phase == "" {
					name := fmt.Sprintf("%s-%dx%d", map[*tab]string{screen: "screen", lobby: "lobby"}[v], sz[0], sz[1])
					v.screenshot(out, name, sz[0], sz[1], docScale(sz[0]))
				}
			}
		}
	}
	check("")

	texts := longAnnouncements()
	ts.announce(texts[0], "")
	ts.announce(texts[1], "")
	ts.announce(texts[2], "one")
	for _, v := range []*tab{screen, lobby} {
		v.wait("three announcements", `document.querySelectorAll('#ann .announcement').length === 3`, 5*time.Second)
	}
	// The lobby says which room an announcement is for.
	if got := eval[string](lobby, `[...document.querySelectorAll('#ann .announcement')].map((a) => a.querySelector('.ann-where').textContent).join('|')`); got != "||One" {
		t.Errorf("lobby announcements' rooms = %q, want the room of the one for One only", got)
	}
	check("with announcements")
	resize(t, screen, 1920, 1080)
	screen.screenshot(out, "screen-announcements-1920x1080", 1920, 1080, 0.5)
	resize(t, lobby, 720, 1280)
	lobby.screenshot(out, "lobby-announcements-720x1280", 720, 1280, 0.5)
}

// settle evaluates a problems predicate until it reports none, for up to
// three seconds (a resize is measured on the next render), and returns what
// it last reported.
func settle(tb *tab, expr string) string {
	tb.t.Helper()
	var got string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = eval[string](tb, expr); got == "" {
			return ""
		}
	}
	return got
}

// shotsDir is where a test keeps its full-size screenshots:
// $CONFDASH_TEST_OUTPUT, or a temporary folder.
func shotsDir(t *testing.T) string {
	t.Helper()
	out := os.Getenv("CONFDASH_TEST_OUTPUT")
	if out == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

func docScale(w int64) float64 {
	if w > 1920 {
		return 0.25
	}
	return 0.5
}

func jsList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return "[" + strings.Join(q, ",") + "]"
}
