package frontend_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// watchOvertime makes a page remember the first time it shows overtime to
// its audience: a red cue, "Running over", "was due to end", or a "+m:ss".
// A MutationObserver sees every render, so a brief one is not missed
// between two polls.
const watchOvertime = `(() => {
	window.__overtime = '';
	const check = () => {
		const txt = document.body.innerText;
		if (document.querySelector('[data-cue="red"]') || /Running over|was due to end|over by|\+\d+:\d\d/i.test(txt))
			window.__overtime ||= txt.slice(0, 300);
	};
	new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
	check();
})()`

// TestLiveTimingViews: audience views never show overtime, and a session
// said to have ended leaves "now" on every view at once.
func TestLiveTimingViews(t *testing.T) {
	b := newBrowser(t)

	// Room B's 09:31 talk ends on time at 09:33 and nothing follows until
	// 09:40. The clock runs ten times real time from 09:31:30: the room
	// screen, the lobby and the tab show the talk, then what comes next,
	// and never its overtime.
	t.Run("no overtime after an on-time end", func(t *testing.T) {
		ts := startServer(t, at("09:31:30"), 10)
		views := []*tab{
			b.open(t, "screen", ts.url+"/screen/side", tabOpt{width: 1280, height: 720}),
			b.open(t, "lobby", ts.url+"/screen", tabOpt{width: 1280, height: 720}),
			b.open(t, "tab", ts.url+"/", tabOpt{}),
		}
		views[0].wait("the talk", has("#title", "Profiling in Production")+" && "+has("#label", "Now"), 5*time.Second)
		views[2].wait("the talk", has(card("side", ".slot.now .title"), "Profiling in Production"), 5*time.Second)
		for _, v := range views {
			eval[any](v, watchOvertime)
		}
		// The watch began before the talk's end.
		if !eval[bool](views[0], has("#title", "Profiling in Production")) {
			t.Fatal("the talk had ended before the pages were watched: the machine is too slow for this clock")
		}
		views[0].wait("what comes next", has("#label", "Up next · 09:40")+" && "+has("#title", "Async I/O in Practice"), 10*time.Second)
		// Until 09:35: two minutes of gap, in which a screen used to show
		// "Running over" in red.
		views[0].wait("09:35", `document.querySelector('#clock').textContent >= '09:35'`, 30*time.Second)
		for _, v := range views {
			if got := eval[string](v, `window.__overtime`); got != "" {
				t.Errorf("%s showed overtime to the audience:\n%s", v.name, got)
			}
		}
	})

	// The console says Started, +1 and Ended on the Main Hall at 09:42
	// (its talk runs 09:40-09:50): the estimate follows, and the room
	// screen, the tab and the overlay show the next session at once.
	t.Run("ended shows what is next at once", func(t *testing.T) {
		ts := startServer(t, at("09:42:00"), 1)
		admin := b.open(t, "admin", ts.url+"/admin", tabOpt{width: 1280, height: 900})
		if err := chromedp.Do(admin.ctx,
			chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
			chromedp.Click(chromedp.CSS("#login button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS(`button[data-track="main"][data-started]`)),
		); err != nil {
			t.Fatal(err)
		}
		views := []*tab{
			b.open(t, "screen", ts.url+"/screen/main", tabOpt{width: 1280, height: 720}),
			b.open(t, "tab", ts.url+"/", tabOpt{}),
			b.open(t, "overlay", ts.url+"/overlay/main", tabOpt{width: 1280, height: 720}),
		}
		views[0].wait("the talk", has("#title", "Whoops! I Rewrote It in Rust"), 5*time.Second)

		click := func(sel string) {
			t.Helper()
			if err := chromedp.Do(admin.ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
				t.Fatal(err)
			}
		}
		// Started two minutes late: it keeps its ten minutes, so it ends at
		// 09:52 and the panel after it starts then.
		click(`button[data-track="main"][data-started]`)
		admin.wait("scheduled and estimated", `[...document.querySelectorAll('#day-rows tr')].some(r => r.textContent.includes('09:40–09:50') && r.textContent.includes('09:42–09:52 · started 09:42'))`, 5*time.Second)
		views[0].wait("the new end", has("#small", "until 09:52 (scheduled 09:50)"), 5*time.Second)
		click(`button[data-track="main"][data-delta="1"]`)
		admin.wait("the delay", has(`#track-rows tr[data-key="main"] .tr-delay`, "+1 min"), 5*time.Second)
		// Any number of minutes, typed: Enter sets it.
		if err := chromedp.Do(admin.ctx, chromedp.SendKeys(chromedp.CSS(`input.delay-field[data-track="side"]`), "7\r")); err != nil {
			t.Fatal(err)
		}
		admin.wait("the typed delay", has(`#track-rows tr[data-key="side"] .tr-delay`, "+7 min"), 5*time.Second)

		click(`button[data-track="main"][data-ended]`)
		// At once: well within the 8 minutes of schedule time before the
		// talk's estimated end.
		views[0].wait("the next session", has("#label", "Up next · 09:50")+" && "+has("#title", "Panel: Measuring What Matters"), 3*time.Second)
		views[1].wait("nothing now on main", has(card("main", ".slot.now .title"), "Nothing on right now"), 3*time.Second)
		views[2].wait("the next session", has("#label", "Up next · 09:50")+" && "+has("#title", "Panel: Measuring What Matters"), 3*time.Second)
		admin.wait("the end said", `[...document.querySelectorAll('#day-rows tr')].some(r => r.textContent.includes('started 09:42, ended 09:4'))`, 5*time.Second)

		// Nothing runs now: a second Ended is refused with the server's words.
		if code, body := ts.admin(http.MethodPost, "/api/v1/tracks/main/ended", map[string]any{}); code != http.StatusConflict {
			t.Errorf("ended with nothing running: %d %s, want 409", code, body)
		}
	})
}
