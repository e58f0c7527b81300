package frontend_test

// What an attendee, a schedule or a busy console may throw at the pages:
// names far longer than a room sign, text that reverses the text after it,
// titles that would break a calendar file, ten thousand tracks, a delay
// taken below zero. Each test drives the real server and Chromium.

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// signIn opens the console with the admin token.
func signIn(t *testing.T, tb *tab) {
	t.Helper()
	err := chromedp.Do(tb.ctx,
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS("#login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`button[data-delta="5"]`)),
	)
	if err != nil {
		t.Fatalf("%s: sign in: %v", tb.name, err)
	}
}

// The console's −5 on a track less than five minutes late takes the delay
// to zero: the server refuses a negative delay, and an organizer who
// presses −5 on a 3-minute delay means "on time".
func TestConsoleMinusFive(t *testing.T) {
	b := newBrowser(t)
	ts := startServer(t, at("09:41:00"), 1)
	admin := b.open(t, "admin", ts.url+"/admin", tabOpt{width: 1280, height: 900})
	signIn(t, admin)
	if code, body := ts.admin("POST", "/api/v1/tracks/main/delay", map[string]int{"minutes": 3}); code != 200 {
		t.Fatalf("set delay: %d %s", code, body)
	}
	row := `#track-rows tr[data-key="main"]`
	admin.wait("the delay", has(row+" .tr-delay", "+3 min"), 5*time.Second)
	if err := chromedp.Do(admin.ctx, chromedp.Click(chromedp.CSS(row+` button[data-delta="-5"]`))); err != nil {
		t.Fatal(err)
	}
	admin.wait("the track on time", has(row+" .tr-delay", "on time"), 5*time.Second)
	if got := eval[string](admin, `document.querySelector('#error').hidden ? '' : document.querySelector('#error').textContent`); got != "" {
		t.Errorf("the console shows an error after −5: %s", got)
	}
	// On time, −5 has nothing to take off.
	admin.wait("−5 disabled", `document.querySelector('`+row+` button[data-delta="-5"]').disabled`, 5*time.Second)
}

// ---- long names

var (
	longRoom  = "Grand Ballroom A of the Metropolitan Convention Centre, East Wing 3" // 66 characters
	longConf  = strings.Repeat("International Conference on Very Long Names ", 3)[:120]
	longTitle = longTitleText()
	// 200 characters of speakers.
	longSpeakers = []string{"Maximiliane Wolkenstein-Oberhausen", "Bartholomew Featherstonehaugh", "Guinevere Abernathy-Castellanos", "Konstantinos Papadopoulos-Iliopoulos", "Anastasia Vasilievna Rimsky"}
)

// longTitleText is a 10 KB title: words, and a run without a break point
// (a URL or a name in a script without spaces).
func longTitleText() string {
	var b strings.Builder
	b.WriteString("Keeping Latency Low ")
	b.WriteString(strings.Repeat("x", 300))
	for b.Len() < 10<<10 {
		b.WriteString(" and Throughput High with Application-level Priority Management")
	}
	return b.String()
}

func longSchedule() string {
	var sp strings.Builder
	for _, n := range longSpeakers {
		fmt.Fprintf(&sp, "      - {name: %q, affiliation: Org}\n", n)
	}
	return fmt.Sprintf(`name: %q
timezone: America/Los_Angeles
tracks:
  - id: hall
    name: %q
  - id: side
    name: Room B
sessions:
  - id: long
    track: hall
    title: %q
    start: 2026-10-06 09:00
    end: 2026-10-06 09:30
    speakers:
%s  - id: after
    track: hall
    title: %q
    start: 2026-10-06 09:30
    end: 2026-10-06 10:00
    speakers:
%s  - id: edge
    track: side
    title: Observability at the Edge
    start: 2026-10-06 09:00
    end: 2026-10-06 09:31
`, longConf, longRoom, longTitle, sp.String(), longTitle, sp.String())
}

// inside is a function of selectors: the elements matching them lie inside
// the viewport, and are what shows at their centre (not clipped away by a
// parent, not covered); it returns what is not, or ”.
const inside = `((sels) => {
	for (const sel of sels) for (const el of document.querySelectorAll(sel)) {
		const r = el.getBoundingClientRect();
		if (!r.width && !r.height) continue;
		const where = sel + ' at ' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(',') + ' in ' + innerWidth + 'x' + innerHeight;
		if (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1) return where;
		const top = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
		if (!top || !(el === top || el.contains(top))) return where + ' is hidden under ' + (top ? top.id || top.className || top.tagName : 'nothing');
	}
	return '';
})`

// cardContained returns what of the overlay's card lies outside the card,
// or ”. What a part of the card clips (an ellipsis) counts as that part.
const cardContained = `(() => {
	const card = document.querySelector('#card');
	const c = card.getBoundingClientRect();
	const clipped = (el) => { for (let p = el.parentElement; p && p !== card; p = p.parentElement) if (getComputedStyle(p).overflow !== 'visible') return true; return false; };
	for (const el of card.querySelectorAll('*')) {
		const r = el.getBoundingClientRect();
		if (!r.width || !r.height || clipped(el)) continue;
		if (r.left < c.left - 1 || r.right > c.right + 1 || r.top < c.top - 1 || r.bottom > c.bottom + 1)
			return (el.id || el.className) + ' at ' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(',') + ' outside the card ' + [c.left, c.top, c.right, c.bottom].map(Math.round).join(',');
	}
	const title = document.querySelector('#title');
	const lines = title.getBoundingClientRect().height / parseFloat(getComputedStyle(title).lineHeight);
	if (lines > 3.05) return 'the title takes ' + lines.toFixed(1) + ' lines';
	if (getComputedStyle(title).overflow !== 'hidden') return 'the title is not clipped';
	return '';
})()`

func TestLongNames(t *testing.T) {
	b := newBrowser(t)
	ts := startServerWith(t, longSchedule(), at("09:12:00"), 1)
	ready := `document.documentElement.dataset.schedule && document.documentElement.dataset.conn === 'open'`
	out := t.TempDir()
	if d := os.Getenv("CONFDASH_TEST_OUTPUT"); d != "" {
		out = d
	}
	views := []struct {
		name, path string
		ready      string
		// what must stay in view: the clock and the countdown
		keep []string
	}{
		{"tab", "/", ready + ` && document.querySelectorAll('.track').length === 2`, []string{".top .clock", `.track[data-key="hall"] .slot.now .meta`}},
		{"screen", "/screen/hall", ready + ` && document.querySelector('#title').textContent.startsWith('Keeping')`, []string{".bar-top .clock", "#big", "#bar"}},
		{"lobby", "/screen", ready + ` && document.querySelectorAll('.row').length === 2`, []string{".bar-top .clock", ".row-now .eyebrow"}},
		{"overlay", "/overlay/hall", ready + ` && !document.querySelector('#card').hidden`, []string{"#card", "#aside"}},
		{"admin", "/admin", ready + ` && document.querySelectorAll('#day-rows tr').length === 3`, []string{"#clock"}},
		// The tab's programme and a session's detail: the room name on every card and in the detail.
		{"programme", "/#/day/1", ready + ` && document.querySelectorAll('#prog-list .p-card').length === 3`, []string{"#to-prog", "#days [aria-current=page]"}},
		{"detail", "/#/session/long", ready + ` && !document.querySelector('#detail').hidden && document.querySelector('#detail .d-title').textContent !== ''`, []string{"#to-prog", "#detail .d-title"}},
	}
	sizes := [][2]int64{{1920, 1080}, {3840, 2160}, {1280, 720}, {720, 1280}, {390, 844}}
	for _, v := range views {
		tb := b.open(t, v.name, ts.url+v.path, tabOpt{width: 1920, height: 1080, transparent: v.name == "overlay"})
		if v.name == "admin" {
			signIn(t, tb)
		}
		tb.wait("the schedule", v.ready, 10*time.Second)
		for _, size := range sizes {
			if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(size[0], size[1]), chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`)); err != nil {
				t.Fatal(err)
			}
			tb.wait("the entrance animations to end", settled, 5*time.Second)
			at := fmt.Sprintf("%s at %dx%d", v.name, size[0], size[1])
			if w := eval[int](tb, `document.documentElement.scrollWidth`); w > int(size[0]) {
				t.Errorf("%s: the page is %d px wide", at, w)
			}
			keep, _ := json.Marshal(v.keep)
			if got := eval[string](tb, inside+"("+string(keep)+")"); got != "" {
				t.Errorf("%s: %s", at, got)
			}
			if v.name == "overlay" {
				if got := eval[string](tb, cardContained); got != "" {
					t.Errorf("%s: %s", at, got)
				}
				if got := eval[string](tb, `document.querySelector('#title').title`); got != longTitle {
					t.Errorf("%s: the card's title attribute holds %d characters, want the full title", at, len(got))
				}
			}
			if (size[0] == 1920 && size[1] == 1080) || size[0] == 390 {
				tb.screenshot(out, fmt.Sprintf("long-%s-%dx%d", v.name, size[0], size[1]), size[0], size[1], 0)
			}
		}
	}
	t.Logf("screenshots in %s", out)
}

// ---- bidi

// ltr is a predicate: the first occurrence of word under sel is laid out
// left to right (its first letter left of its last).
const ltr = `((sel, word) => {
	const root = document.querySelector(sel);
	const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n; n = walk.nextNode()) {
		const i = n.data.indexOf(word);
		if (i < 0) continue;
		const box = (k) => { const r = document.createRange(); r.setStart(n, k); r.setEnd(n, k + 1); return r.getBoundingClientRect(); };
		const a = box(i), z = box(i + word.length - 1);
		return a.left < z.left ? 'ltr' : 'rtl ' + Math.round(a.left) + ' ' + Math.round(z.left);
	}
	return 'missing';
})`

const rlo = "\u202e"

func bidiSchedule() string {
	return strings.NewReplacer(
		"name: Main Hall", "name: \"Main "+rlo+"Hall\"",
		"title: Latency Budgets", "title: \"Latency "+rlo+"Budgets\"",
		"- {name: Grace Hopper, affiliation: US Navy}", "- {name: \"Grace "+rlo+"Hopper\", affiliation: \"US "+rlo+"Navy\"}",
	).Replace(testSchedule)
}

// An unterminated right-to-left override (U+202E) in a schedule's string
// must not reverse what the page writes after it.
func TestBidiIsolation(t *testing.T) {
	b := newBrowser(t)
	ts := startServerWith(t, bidiSchedule(), at("09:29:00"), 1)
	ts.announce("Lunch is served in the foyer", "main")
	ready := `document.documentElement.dataset.schedule && document.documentElement.dataset.conn === 'open'`
	checks := []struct {
		view, path, ready string
		sel, word         string
	}{
		// The next talk's title then its speakers, in one line.
		{"screen", "/screen/main", ready + ` && document.querySelector('#next-title').textContent.includes('Ada')`, "#next-title", "Ada Lovelace"},
		// The room's name then the announcement.
		{"tab", "/", ready + ` && document.querySelector('#announcements').textContent.includes('Lunch')`, "#announcements", "Lunch is served"},
		// The room's name then when the announcement was posted.
		{"admin", "/admin", ready + ` && document.querySelector('#ann-list').textContent.includes('Lunch')`, "#ann-list .ann-meta", "posted"},
	}
	for _, c := range checks {
		tb := b.open(t, c.view, ts.url+c.path, tabOpt{width: 1280, height: 720})
		if c.view == "admin" {
			signIn(t, tb)
		}
		tb.wait("the page", c.ready, 10*time.Second)
		if got := eval[string](tb, fmt.Sprintf(`%s(%q, %q)`, ltr, c.sel, c.word)); got != "ltr" {
			t.Errorf("%s: %q in %s reads %s, want left to right", c.view, c.word, c.sel, got)
		}
	}

	// Two speakers: the first one's override must not reach the second.
	ts2 := startServerWith(t, bidiSchedule(), at("09:32:30"), 1)
	sc := b.open(t, "screen", ts2.url+"/screen/main", tabOpt{width: 1280, height: 720})
	sc.wait("Tail at Scale", ready+` && document.querySelector('#title').textContent === 'Tail at Scale'`, 10*time.Second)
	if got := eval[string](sc, fmt.Sprintf(`%s(%q, %q)`, ltr, "#speakers", "Alan Turing")); got != "ltr" {
		t.Errorf("screen: the second speaker reads %s, want left to right", got)
	}
}

// ---- the .ics of starred sessions

// The hostile session: separators, a lone CR, a bell and an escape in its
// title, and a URL with characters a calendar line must not carry raw.
const hostileTitle = "Semi; comma, back\\\\slash\\r\\nCRLF\\rlone CR\\nLF\\abell\\e[31m end"

const hostileAbstract = "one\\r\\ntwo\\rthree\\x7f; four, five"

func icsSchedule() string {
	return strings.Replace(testSchedule, `  - id: budgets
    track: main
    title: Latency Budgets`, `  - id: budgets
    track: main
    title: "`+hostileTitle+`"
    url: "https://example.org/talks/a b,c;d?q=1&r=2"
    abstract: "`+hostileAbstract+`"`, 1)
}

// parseICS checks an iCalendar file's line structure (CRLF only, at most
// 75 octets a line) and returns its unfolded content lines.
func parseICS(t *testing.T, body string) []string {
	t.Helper()
	if !strings.HasSuffix(body, "\r\n") {
		t.Errorf("ics does not end with CRLF")
	}
	var lines []string
	for i, l := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("ics line %d holds a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("ics line %d is %d octets long, want at most 75", i+1, len(l))
		}
		for _, r := range l {
			if r < 0x20 && r != '\t' || r == 0x7f {
				t.Errorf("ics line %d holds control character %U", i+1, r)
			}
		}
		if strings.HasPrefix(l, " ") && len(lines) > 0 {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

func TestStarredICS(t *testing.T) {
	b := newBrowser(t)
	ts := startServerWith(t, icsSchedule(), at("09:12:00"), 1)
	tb := b.open(t, "tab", ts.url+"/", tabOpt{})
	ready := `document.documentElement.dataset.schedule && document.querySelectorAll('.track').length === 3`
	tb.wait("the tracks", ready, 10*time.Second)
	// Star the hostile session and one with speakers, then save the file as
	// the button does; the page hands the file to the browser as a Blob.
	err := chromedp.Do(tb.ctx,
		chromedp.Evaluate[chromedp.Void](`localStorage.setItem('confdash:favs', '["budgets","tail"]')`),
		chromedp.Reload(),
	)
	if err != nil {
		t.Fatal(err)
	}
	tb.wait("the tracks", ready, 10*time.Second)
	body, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`new Promise((done) => {
		const make = URL.createObjectURL;
		URL.createObjectURL = (blob) => { blob.text().then(done); return make(blob); };
		document.querySelector('#ics').click();
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	lines := parseICS(t, body)
	props := map[string][]string{}
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Errorf("ics line without a colon: %q", l)
			continue
		}
		props[name] = append(props[name], value)
	}
	want := map[string][]string{
		"SUMMARY":     {`Semi\; comma\, back\\slash\nCRLFlone CR\nLFbell[31m end`, "Tail at Scale"},
		"URL":         {"https://example.org/talks/a%20b,c;d?q=1&r=2"},
		"DESCRIPTION": {`Ada Lovelace (Analytical Engines)\n\none\ntwothree\; four\, five`, `Grace Hopper (US Navy)\, Alan Turing (Bletchley Park)`},
	}
	for k, w := range want {
		if got := props[k]; fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("ics %s = %q, want %q\n%s", k, got, w, body)
		}
	}
	if got := len(props["BEGIN"]); got != 3 {
		t.Errorf("ics has %d BEGIN lines, want 3 (calendar and two events)", got)
	}

	// A URL that is not a web address is left out.
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`(async () => {
		const base = document.querySelector('script[type=module]').src.replace(/[^/]*$/, '');
		const favs = await import(base + 'favs.js');
		const model = await import(base + 'model.js');
		const s = (id, url) => model.slot({id, track: 'main', title: id, start: '2026-10-06T16:00:00Z', end: '2026-10-06T16:30:00Z', url});
		return favs.ics([s('js', 'javascript:alert(1)'), s('data', 'data:text/html,x'), s('rel', '/talks/x'), s('ok', 'http://example.org/x')],
			{conf: {name: 'Test'}, trackName: () => 'Main Hall', host: 'example.org', now: 0});
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, l := range parseICS(t, v) {
		if u, ok := strings.CutPrefix(l, "URL:"); ok {
			urls = append(urls, u)
		}
	}
	if fmt.Sprint(urls) != "[http://example.org/x]" {
		t.Errorf("ics URLs = %q, want only the http one", urls)
	}
}

// ---- ten thousand tracks

func largeSchedule(tracks int) string {
	var b strings.Builder
	b.WriteString("name: Large Conf\ntimezone: America/Los_Angeles\ntracks:\n")
	for i := range tracks {
		fmt.Fprintf(&b, "  - id: t%05d\n    name: Track %d\n", i, i)
	}
	b.WriteString("sessions:\n")
	for i := range tracks {
		fmt.Fprintf(&b, "  - id: s%05d\n    track: t%05d\n    title: Session %d\n    start: 2026-10-06 09:00\n    end: 2026-10-06 09:30\n", i, i, i)
	}
	return b.String()
}

// A schedule of 10,000 tracks opens in the tab without hanging it: the
// first render is bounded (a guard against a hang, not a benchmark), and
// every track stays reachable.
func TestLargeSchedule(t *testing.T) {
	const n = 10000
	b := newBrowser(t)
	ts := startServerWith(t, largeSchedule(n), at("09:12:00"), 1)
	tb := b.open(t, "tab", ts.url+"/", tabOpt{width: 1280, height: 800})
	tb.wait("the first tracks", `document.querySelectorAll('.track').length > 0`, 60*time.Second)
	shown := eval[float64](tb, `performance.now()`)
	render := eval[float64](tb, `performance.getEntriesByName('confdash:first-render')[0]?.duration ?? -1`)
	t.Logf("first tracks at %.0f ms after navigation; first render took %.0f ms", shown, render)
	if render < 0 || render > 3000 {
		t.Errorf("the first render took %.0f ms, want under 3 s", render)
	}
	if shown > 5000 {
		t.Errorf("the first tracks showed %.0f ms after navigation, want under 5 s", shown)
	}
	// The page keeps ticking: the renders after the first are quick too.
	eval[bool](tb, `(() => {
		window.__renders = [];
		new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.name === 'confdash:render') window.__renders.push(e.duration); }).observe({type: 'measure'});
		return true;
	})()`)
	tb.wait("three more renders", `window.__renders.length >= 3`, 10*time.Second)
	if worst := eval[float64](tb, `Math.max(...window.__renders)`); worst > 1000 {
		t.Errorf("a render after the first took %.0f ms, want under 1 s", worst)
	}
	// More tracks are a click away, and the followed track is shown even
	// when it lies beyond them.
	before := eval[int](tb, `document.querySelectorAll('.track').length`)
	if before >= n {
		t.Errorf("the tab renders all %d tracks at once", before)
	}
	if err := chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS("#more"))); err != nil {
		t.Fatal(err)
	}
	tb.wait("more tracks", fmt.Sprintf(`document.querySelectorAll('.track').length > %d`, before), 10*time.Second)
	out := t.TempDir()
	if d := os.Getenv("CONFDASH_TEST_OUTPUT"); d != "" {
		out = d
	}
	eval[bool](tb, `(document.querySelector('#more').scrollIntoView({block: 'center'}), true)`)
	tb.screenshot(out, "large-tab-more", 1280, 800, 0)
	far := b.open(t, "tab (last track)", ts.url+"/?track=t09999", tabOpt{width: 1280, height: 800})
	far.wait("the followed track", `!!document.querySelector('.track[data-key="t09999"].followed')`, 60*time.Second)
}
