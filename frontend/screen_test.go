package frontend_test

// The room screen (/screen/{track}) and the lobby (/screen) on real
// schedules, at the shapes of display a venue has: 720p, 1080p and 4K
// landscape, a portrait pillar and a phone-sized screen. What they must do
// is asserted by layout geometry in Chromium: the talk (title, countdown,
// next) always whole, inside the screen and never under an announcement.

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// sizes are the displays every screen test runs at.
var sizes = [][2]int64{{1920, 1080}, {3840, 2160}, {1280, 720}, {720, 1280}, {390, 844}}

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
	if (a.scrollHeight > a.clientHeight + 1 && !a.classList.contains('scroll')) return 'text cut: ' + a.scrollHeight + ' > ' + a.clientHeight + ' (fitted for ' + a.dataset.fit.split('|').slice(1).join(' ') + ', --fit ' + a.style.getPropertyValue('--fit') + ')';
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

// TestScreenShapes: the room screen and the lobby of 39C3 (14 rooms) and of
// a pretalx conference at every size, without and with three announcements
// of 280 characters.
func TestScreenShapes(t *testing.T) {
	b := newBrowser(t)
	t.Run("39c3", func(t *testing.T) {
		shapes(t, b, "frab-39c3-2025.xml", "one", ccc("2025-12-27 12:10"), true)
	})
	t.Run("democon", func(t *testing.T) {
		shapes(t, b, "schedulejson-pretalx-democon.json", "gray-room", time.Date(2020, 12, 14, 8, 40, 0, 0, time.UTC), false)
	})
}

// shapes checks one corpus schedule's room screen (of track) and lobby at t0;
// shots: keep the screenshots for the documentation.
func shapes(t *testing.T, b *browser, name, track string, t0 time.Time, shots bool) {
	out := shotsDir(t)
	if *updateScreenshots {
		if err := os.MkdirAll(docsShots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ts := startCorpus(t, name, t0, 1)
	ready := `document.documentElement.dataset.schedule && document.documentElement.dataset.conn === 'open'`
	screen := b.open(t, "screen", ts.url+"/screen/"+track, tabOpt{width: 1920, height: 1080})
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
					if got := settle(v, annProblems+"(3)"); got != "" {
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
				if phase == "" && shots {
					name := fmt.Sprintf("%s-%dx%d", map[*tab]string{screen: "screen", lobby: "lobby"}[v], sz[0], sz[1])
					v.screenshot(out, name, sz[0], sz[1], docScale(sz))
				}
			}
		}
	}
	check("")

	texts := longAnnouncements()
	ts.announce(texts[0], "")
	ts.announce(texts[1], "")
	ts.announce(texts[2], track)
	for _, v := range []*tab{screen, lobby} {
		v.wait("three announcements", `document.querySelectorAll('#ann .announcement').length === 3`, 5*time.Second)
	}
	check("with announcements")
	// The lobby says which room an announcement is for.
	room := eval[string](screen, `document.querySelector('#room').textContent`)
	if got := eval[string](lobby, `[...document.querySelectorAll('#ann .announcement')].map((a) => a.querySelector('.ann-where').textContent).join('|')`); got != "||"+room {
		t.Errorf("lobby announcements' rooms = %q, want the room (%s) of the one for %s only", got, room, track)
	}
	if !shots {
		return
	}
	resize(t, screen, 1920, 1080)
	screen.screenshot(out, "screen-announcements-1920x1080", 1920, 1080, 0.5)
	resize(t, lobby, 720, 1280)
	lobby.screenshot(out, "lobby-announcements-720x1280", 720, 1280, 0.5)
}

// settle evaluates a problems predicate until it reports none, for up to
// three seconds (a resize is measured on the next render, within a second),
// and returns what it last reported.
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

func jsList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// TestScreenLevels: an "urgent" announcement comes first and stands out; an
// "emergency" takes the whole screen. The server has no levels yet: the
// test gives the page's state announcements with them.
func TestScreenLevels(t *testing.T) {
	const path = "frab-39c3-2025.xml"
	b := newBrowser(t)
	ts := startCorpus(t, path, ccc("2025-12-27 12:10"), 1)
	for _, sz := range [][2]int64{{1920, 1080}, {720, 1280}} {
		screen := b.open(t, "screen", ts.url+"/screen/one", tabOpt{width: sz[0], height: sz[1]})
		screen.wait("the talk", `document.documentElement.dataset.conn === 'open' && document.querySelector('#title').textContent !== ''`, 10*time.Second)
		texts := longAnnouncements()
		inject := func(anns string) {
			eval[bool](screen, `(() => { confdash.live.state.announcements = `+anns+`; confdash.live.changed(); return true; })()`)
		}
		inject(fmt.Sprintf(`[{id: 'a', text: %q}, {id: 'b', text: %q, level: 'urgent'}]`, texts[1], texts[0]))
		screen.wait("the urgent one first", `(() => { const a = [...document.querySelectorAll('#ann .announcement')]; return a.length === 2 && a[0].dataset.level === 'urgent'; })()`, 3*time.Second)
		if got := eval[string](screen, `getComputedStyle(document.querySelector('#ann .announcement[data-level=urgent]')).backgroundColor`); got != "rgb(176, 0, 32)" {
			t.Errorf("urgent announcement background %s, want the alarm red", got)
		}
		if got := settle(screen, layoutProblems+`(["#title", "#big", "#next-title"])`); got != "" {
			t.Errorf("with an urgent announcement at %dx%d: %s", sz[0], sz[1], got)
		}

		// Text that does not fit at half size scrolls within its band.
		inject(fmt.Sprintf(`[{id: 'long', text: %q}]`, strings.Repeat(texts[1]+" ", 4)))
		screen.wait("the long text to scroll", `document.querySelector('#ann .announcement')?.classList.contains('scroll')`, 3*time.Second)
		if got := settle(screen, layoutProblems+`(["#title", "#big", "#next-title"])`); got != "" {
			t.Errorf("with a long announcement at %dx%d: %s", sz[0], sz[1], got)
		}
		if got := eval[float64](screen, `document.querySelector('#ann .announcement').getBoundingClientRect().height / innerHeight`); got > 0.27 {
			t.Errorf("a long announcement's band at %dx%d is %.0f%% of the height", sz[0], sz[1], got*100)
		}

		inject(fmt.Sprintf(`[{id: 'a', text: %q}, {id: 'e', text: %q, level: 'emergency'}]`, texts[1], "EVACUATE the building now by the nearest marked exit. Do not use the lifts. Follow the stewards in orange vests and gather outside the east entrance."))
		screen.wait("the emergency", `document.body.classList.contains('emergency')`, 3*time.Second)
		screen.wait("the entrance animations to end", settled, 5*time.Second)
		// Only the emergency shows, over the whole screen: at every point of
		// it the topmost element is the announcement.
		got := eval[string](screen, `(() => {
			const a = [...document.querySelectorAll('#ann .announcement')];
			if (a.length !== 1 || !a[0].textContent.includes('EVACUATE')) return 'shown: ' + a.map((x) => x.textContent.slice(0, 20)).join('|');
			for (const [x, y] of [[5, 5], [innerWidth / 2, innerHeight / 2], [innerWidth - 5, innerHeight - 5], [innerWidth / 2, innerHeight - 40]])
				if (!document.elementFromPoint(x, y)?.closest('#ann')) return 'at ' + x + ',' + y + ': ' + document.elementFromPoint(x, y)?.id;
			return '';
		})()`)
		if got != "" {
			t.Errorf("emergency at %dx%d does not take the screen: %s", sz[0], sz[1], got)
		}
		if got := fontShare(screen, "#ann .ann-text"); got < 0.035 {
			t.Errorf("emergency text at %dx%d is %.1f%% of the height, want at least 3.5%%", sz[0], sz[1], got*100)
		}
		screen.screenshot(shotsDir(t), fmt.Sprintf("screen-emergency-%dx%d", sz[0], sz[1]), sz[0], sz[1], 0.5)
	}
}

// TestLobbyRooms: 39C3 at 20:00 of its first day: rooms done for the day
// give their place; ?tracks= picks rooms and names an unknown one; ?rows=
// sets the rows per page.
func TestLobbyRooms(t *testing.T) {
	const path = "frab-39c3-2025.xml"
	b := newBrowser(t)
	ts := startCorpus(t, path, ccc("2025-12-27 20:00"), 1)
	ready := `document.documentElement.dataset.schedule && document.documentElement.dataset.conn === 'open' && document.querySelectorAll('.row').length > 0`
	rooms := `[...document.querySelectorAll('.row')].map((r) => r.dataset.key).join(',')`

	lobby := b.open(t, "lobby", ts.url+"/screen?rows=8", tabOpt{width: 1920, height: 1080})
	lobby.wait("the rooms", ready, 10*time.Second)
	got := eval[string](lobby, rooms)
	// Kidspace - Elektrotisch ran 11:00–16:00 and is next on tomorrow; the
	// Hackcenter's day is over: neither has a row. Room One runs.
	for _, done := range []string{"kidspace-elektrotisch", "kidspace-hackcenter", "chaoswellen-assembly"} {
		if strings.Contains(got, done) {
			t.Errorf("lobby rows %s: %s is done for the day", got, done)
		}
	}
	if !strings.HasPrefix(got, "one,") {
		t.Errorf("lobby rows %s, want One first", got)
	}
	if n := eval[int](lobby, `document.querySelectorAll('.row').length`); n > 8 {
		t.Errorf("?rows=8 shows %d rows", n)
	}
	if got := eval[string](lobby, `document.querySelector('.row .eyebrow').textContent + document.body.textContent`); strings.Contains(got, "166 h") || strings.Contains(got, " 13 h") {
		t.Errorf("the lobby counts hours to a start far away: %s", got)
	}

	// ?rows= sets the rows per page, at most 8: ?rows=99 is ?rows=8.
	going := eval[int](lobby, `document.querySelectorAll('.row').length`)
	for _, c := range []struct {
		query string
		rows  int
	}{{"?rows=2", 2}, {"?rows=99", min(going, 8)}} {
		few := b.open(t, "lobby "+c.query, ts.url+"/screen"+c.query, tabOpt{width: 1920, height: 1080})
		few.wait("the rooms", ready, 10*time.Second)
		if n := eval[int](few, `document.querySelectorAll('.row').length`); n != c.rows {
			t.Errorf("%s shows %d rows, want %d", c.query, n, c.rows)
		}
		if got, paged := few.text("#room"), going > c.rows; paged != strings.Contains(got, "/") {
			t.Errorf("%s: header %q, want a page number first when the %d rooms take pages", c.query, got, going)
		}
		if got, bad := few.text("#hint"), c.query == "?rows=99"; bad != strings.Contains(got, "write a whole number from 1 to 8; showing 8") {
			t.Errorf("%s: hint %q", c.query, got)
		}
	}

	picked := b.open(t, "lobby (two rooms)", ts.url+"/screen?tracks=zero,one", tabOpt{width: 1920, height: 1080})
	picked.wait("the rooms", ready, 10*time.Second)
	if got := eval[string](picked, rooms); got != "one,zero" {
		t.Errorf("?tracks=zero,one shows %q, want one,zero (the schedule's order)", got)
	}
	if !eval[bool](picked, `document.querySelector('#hint').hidden`) {
		t.Errorf("a hint shows for known tracks: %s", picked.text("#hint"))
	}

	wrong := b.open(t, "lobby (a wrong id)", ts.url+"/screen?tracks=one,hall-9", tabOpt{width: 1920, height: 1080})
	wrong.wait("the hint", `!document.querySelector('#hint').hidden`, 10*time.Second)
	if got := wrong.text("#hint"); !strings.Contains(got, "“hall-9”") || !strings.Contains(got, "one, ground, zero") {
		t.Errorf("hint for an unknown track = %q, want its id and the ids to choose from", got)
	}
	if got := eval[string](wrong, rooms); got != "one" {
		t.Errorf("?tracks=one,hall-9 shows %q, want one", got)
	}
}

// TestScreenDates: a start more than three hours away is a time or a date,
// never a count of hours.
func TestScreenDates(t *testing.T) {
	const path = "frab-39c3-2025.xml"
	b := newBrowser(t)
	for _, c := range []struct{ at, want string }{
		{"2025-12-27 08:00", "Starts in 2 h 30 min"},
		{"2025-12-27 06:00", "Starts at 10:30"},
		{"2025-12-26 12:00", "Starts tomorrow 10:30"},
		{"2025-12-21 12:00", "Starts Sat 10:30"},
		{"2025-12-20 12:00", "Starts Sat 27 Dec 10:30"}, // a week on, the weekday alone is ambiguous
		{"2025-12-13 12:00", "Starts Sat 27 Dec 10:30"},
	} {
		ts := startCorpus(t, path, ccc(c.at), 1)
		// Far from the day the screen sleeps: ?night_before wakes it.
		sc := b.open(t, "screen", ts.url+"/screen/one?night_before=30000", tabOpt{width: 1280, height: 720})
		sc.wait("the first session", has("#label", "First up · 10:30"), 10*time.Second)
		if got := sc.text("#big"); got != c.want {
			t.Errorf("at %s: %q, want %q", c.at, got, c.want)
		}
		sc.netErrs.Store(true) // the page keeps trying the stopped server
		ts.stop()
	}
}

// TestScreenNight: outside the day the screens go dark but for a small
// clock that moves; by day the static parts shift by a few pixels.
func TestScreenNight(t *testing.T) {
	const path = "frab-39c3-2025.xml"
	b := newBrowser(t)
	out := shotsDir(t)
	dark := `document.body.classList.contains('night')`
	for _, c := range []struct {
		at, query string
		night     bool
	}{
		{"2025-12-27 07:00", "", true},                  // before the first day
		{"2025-12-27 09:45", "", false},                 // within 60 min of 10:30
		{"2025-12-27 09:15", "?night_before=90", false}, // within 90 min
		{"2025-12-30 17:20", "", false},                 // the last day ended at 17:00
		{"2025-12-30 17:31", "", true},                  // and 30 min after it
		{"2025-12-30 17:31", "?night_after=45", false},  // or 45 when asked
		{"2025-12-30 17:31", "?night_after=soon", true}, // a hint, and the default
	} {
		ts := startCorpus(t, path, ccc(c.at), 1)
		var opened []*tab
		for _, u := range []string{"/screen/one", "/screen"} {
			sc := b.open(t, "screen", ts.url+u+c.query, tabOpt{width: 1920, height: 1080})
			opened = append(opened, sc)
			// The day's bounds come from the schedule document, which may
			// arrive after the first state.
			sc.wait("the schedule", `document.documentElement.dataset.schedule && document.documentElement.dataset.conn === 'open' && document.querySelector('#room').textContent !== ''`, 10*time.Second)
			if got := eval[bool](sc, dark); got != c.night {
				t.Errorf("%s%s at %s: night %v, want %v", u, c.query, c.at, got, c.night)
			}
			if got, bad := sc.text("#hint"), strings.Contains(c.query, "soon"); bad != strings.Contains(got, "?night_after=soon: write a number of minutes, 0 or more; using 30") {
				t.Errorf("%s%s: hint %q", u, c.query, got)
			} else if bad && !eval[bool](sc, `document.querySelector('#hint').checkVisibility({visibilityProperty: true})`) {
				t.Errorf("%s%s: the hint is not visible at night", u, c.query)
			}
			if !c.night {
				continue
			}
			want := strings.TrimPrefix(c.at[11:], "0")
			if got := sc.text("#night-clock"); strings.TrimPrefix(got, "0") != want {
				t.Errorf("%s at %s: night clock %q", u, c.at, got)
			}
			if got := eval[string](sc, `getComputedStyle(document.querySelector('#title')).visibility + getComputedStyle(document.querySelector('#lobby')).visibility`); got != "hiddenhidden" {
				t.Errorf("%s at night: the day's parts are %s", u, got)
			}
			first := sc.text("#night-first")
			if c.at < "2025-12-28" && !strings.HasPrefix(first, "First up at 10:30 · ") {
				t.Errorf("%s at %s: %q, want the first session", u, c.at, first)
			}
			if c.at > "2025-12-30" && first != "That’s all · thank you" {
				t.Errorf("%s after the last day: %q", u, first)
			}
			if u == "/screen/one" && c.at < "2025-12-28" {
				sc.screenshot(out, "screen-night-1920x1080", 1920, 1080, 0.5)
			}
		}
		for _, sc := range opened {
			sc.netErrs.Store(true) // the page keeps trying the stopped server
		}
		ts.stop()
	}

	// On a clock 120 times faster a minute passes in half a second: the
	// night clock moves, and by day the title shifts.
	ts := startCorpus(t, path, ccc("2025-12-27 07:00"), 120)
	sc := b.open(t, "screen", ts.url+"/screen/one", tabOpt{width: 1280, height: 720})
	sc.wait("the night", dark, 10*time.Second)
	pos := `(() => { const r = document.querySelector('#night-box').getBoundingClientRect(); return Math.round(r.left) + ',' + Math.round(r.top); })()`
	at := eval[string](sc, pos)
	sc.wait("the clock to move", pos+` !== `+fmt.Sprintf("%q", at), 5*time.Second)
	sc.netErrs.Store(true)
	ts.stop()

	day := startCorpus(t, path, ccc("2025-12-27 12:10"), 120)
	sc = b.open(t, "screen", day.url+"/screen/one", tabOpt{width: 1280, height: 720})
	sc.wait("the talk", `document.documentElement.dataset.conn === 'open' && !`+dark, 10*time.Second)
	shift := `getComputedStyle(document.querySelector('#title')).translate + '|' + getComputedStyle(document.querySelector('#clock').parentElement).translate`
	was := eval[string](sc, shift)
	sc.wait("the pixel shift", shift+` !== `+fmt.Sprintf("%q", was), 5*time.Second)
	if got := eval[string](sc, noOverflow); got != "" {
		t.Errorf("shifted, the screen overflows: %s", got)
	}
}
