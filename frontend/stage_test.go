package frontend_test

// The stage view (/stage/{track}) as a speaker sees it: the cues at the
// thresholds of the track, of the URL, and the defaults; over time flashing;
// stage messages; the countdown whole at every size a monitor has.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// stageSchedule: Main Hall's stage turns amber at 8 and red at 3 minutes
// left; a 90-minute workshop (the longest countdown, "1:29:59"), a talk, and
// a 40-minute gap. Room B keeps the defaults.
const stageSchedule = `name: Stage Conf 2026
timezone: America/Los_Angeles
tracks:
  - id: main
    name: Main Hall
    stage_warn_minutes: 8
    stage_danger_minutes: 3
  - id: side
    name: Room B
sessions:
  - id: workshop
    track: main
    kind: other
    title: "Hands-on: Keeping Latency Low and Throughput High with Application-level Priority Management"
    start: 2026-10-06 09:00
    end: 2026-10-06 10:30
    speakers:
      - {name: Avi Kivity, affiliation: ScyllaDB}
  - id: talk
    track: main
    title: Tail at Scale
    start: 2026-10-06 10:30
    end: 2026-10-06 10:50
    do_not_record: true
    speakers:
      - {name: Grace Hopper, affiliation: US Navy}
  - id: after
    track: main
    title: Whoops! I Rewrote It in Rust
    start: 2026-10-06 11:30
    end: 2026-10-06 12:00
    speakers:
      - {name: Brian Martin, affiliation: Twitter}
  - id: edge
    track: side
    title: Observability at the Edge
    start: 2026-10-06 10:30
    end: 2026-10-06 10:50
`

// The cue colours as the page computes them (stage.css).
const (
	stageWhite = "rgb(255, 255, 255)"
	stageAmber = "rgb(255, 197, 61)"
	stageRed   = "rgb(255, 107, 107)"
)

const stageReady = `document.documentElement.dataset.schedule && document.documentElement.dataset.conn === 'open' && document.body.dataset.mode`

// stageCue reads what the stage shows: cue, countdown colour, the frame's
// colour, the countdown's animation.
const stageCue = `(() => {
	const big = document.querySelector('#big');
	const cs = getComputedStyle(big);
	return [document.body.dataset.cue, cs.color, getComputedStyle(document.body).boxShadow, cs.animationName + ' ' + cs.animationIterationCount, big.textContent];
})()`

func TestStage(t *testing.T) {
	b := newBrowser(t)
	t.Run("cues", func(t *testing.T) { testStageCues(t, b) })
	t.Run("thresholds", func(t *testing.T) { testStageThresholds(t, b) })
	t.Run("overtime", func(t *testing.T) { testStageOvertime(t, b) })
	t.Run("messages", func(t *testing.T) { testStageMessages(t, b) })
	t.Run("geometry", func(t *testing.T) { testStageGeometry(t, b) })
	t.Run("live", func(t *testing.T) { testStageLive(t, b) })
}

// testStageCues runs the last minutes of a talk on a fast clock: neutral,
// amber at the track's 8 minutes, red at its 3, then a flashing "+m:ss",
// each at its instant, each in its colour.
func testStageCues(t *testing.T, b *browser) {
	const speed = 20
	ts := startServerWith(t, stageSchedule, at("10:40:00"), speed)
	st := b.open(t, "stage", ts.url+"/stage/main", tabOpt{width: 1280, height: 720})
	st.wait("the talk", stageReady+" && "+has("#title", "Tail at Scale"), 10*time.Second)
	// Each cue's first instant, in the page's server time.
	eval[bool](st, `(() => {
		window.__cues = {};
		const note = () => { const c = document.body.dataset.cue; if (!(c in window.__cues)) window.__cues[c] = confdash.clock.now(); };
		note();
		new MutationObserver(note).observe(document.body, {attributes: true, attributeFilter: ['data-cue']});
		return true;
	})()`)
	waitFollows(t, st, ts)

	steps := []struct {
		cue, color, frame string
		from              time.Time
	}{
		{"", stageWhite, "rgba(0, 0, 0, 0)", time.Time{}},
		{"amber", stageAmber, stageAmber, at("10:42:00")},
		{"red", stageRed, stageRed, at("10:47:00")},
		{"over", stageRed, stageRed, at("10:50:00")},
	}
	// A page may be late by a server second, or by what a busy machine
	// delays a timer (300 ms of real time is 6 s on this clock).
	late := max(time.Second, 300*time.Millisecond*speed)
	for _, s := range steps {
		if !s.from.IsZero() {
			wait := s.from.Sub(ts.clock.Now())/speed + 5*time.Second
			st.wait("the "+s.cue+" cue", fmt.Sprintf(`document.body.dataset.cue === %q`, s.cue), wait)
		} else if now := ts.clock.Now(); !now.Before(at("10:41:59")) {
			t.Fatalf("the page took until %s to follow the clock: too late to see the neutral cue", now.In(la).Format("15:04:05"))
		}
		got := eval[[]string](st, stageCue)
		if got[0] != s.cue || got[1] != s.color || !strings.HasPrefix(got[2], s.frame) {
			t.Errorf("cue %q: the page shows cue %q, countdown %s, frame %s; want countdown %s, frame %s", s.cue, got[0], got[1], got[2], s.color, s.frame)
		}
		flashing := got[3] == "stage-flash infinite"
		if flashing != (s.cue == "over") {
			t.Errorf("cue %q: countdown animation %q", s.cue, got[3])
		}
		if s.cue == "over" && !strings.HasPrefix(got[4], "+") {
			t.Errorf("over time: the countdown reads %q, want +m:ss", got[4])
		}
		if s.from.IsZero() {
			continue
		}
		ms := eval[float64](st, fmt.Sprintf(`window.__cues[%q] || 0`, s.cue))
		sw := time.UnixMilli(int64(ms))
		if sw.Before(s.from.Add(-250*time.Millisecond)) || sw.After(s.from.Add(late)) {
			t.Errorf("the %s cue came at %s, want at %s", s.cue, sw.In(la).Format("15:04:05.000"), s.from.In(la).Format("15:04:05"))
		}
	}
	if got := st.text("#label"); got != "Over time" {
		t.Errorf("over time: label %q", got)
	}
	st.wait("the overtime to count", `/^\+\d+:\d\d$/.test(document.querySelector('#big').textContent)`, 2*time.Second)
	if got := st.text("#next-title"); !strings.Contains(got, "Whoops! I Rewrote It in Rust") {
		t.Errorf("over time: next reads %q", got)
	}
}

// gotoStage loads url in the tab and waits until it shows.
func gotoStage(t *testing.T, tb *tab, url string) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	tb.wait("the stage at "+url, stageReady+" && document.querySelector('#big').textContent !== ''", 10*time.Second)
}

// testStageThresholds: 7 minutes before the end of the talk, each source of
// thresholds gives its own cue; the URL wins over the track, a wrong URL
// parameter is named on the page and the track's thresholds stay.
func testStageThresholds(t *testing.T, b *browser) {
	ts := startServerWith(t, stageSchedule, at("10:43:00"), 1)
	st := b.open(t, "stage", "about:blank", tabOpt{width: 1280, height: 720})
	tests := []struct {
		path, cue, color, bad string
	}{
		{"/stage/main", "amber", stageAmber, ""},              // the track's 8 minutes
		{"/stage/main?warn=5&danger=2", "", stageWhite, ""},   // the URL's 5
		{"/stage/main?warn=10&danger=7", "red", stageRed, ""}, // the URL's danger 7
		{"/stage/main?danger=7", "red", stageRed, ""},         // the URL's 7 below the track's 8
		{"/stage/main?danger=9", "amber", stageAmber, "Red at 9 minutes left would come before amber at 8: give ?danger= below ?warn=. Using amber at 8 and red at 3 minutes."},
		{"/stage/main?warn=2", "amber", stageAmber, "Red at 3 minutes left would come before amber at 2"},
		{"/stage/main?warn=abc", "amber", stageAmber, "?warn=abc is not understood: use whole minutes from 1 to 120."},
		{"/stage/main?danger=0", "amber", stageAmber, "?danger=0 is not understood"},
		{"/stage/side", "", stageWhite, ""},             // Room B keeps the defaults: amber at 5
		{"/stage/side?warn=8", "amber", stageAmber, ""}, // the URL gives Room B its own
	}
	for _, tt := range tests {
		gotoStage(t, st, ts.url+tt.path)
		got := eval[[]string](st, stageCue)
		if got[0] != tt.cue || got[1] != tt.color {
			t.Errorf("%s at 7 minutes left: cue %q in %s, want %q in %s", tt.path, got[0], got[1], tt.cue, tt.color)
		}
		bad := eval[string](st, `document.querySelector('#bad').hidden ? '' : document.querySelector('#bad').textContent`)
		if tt.bad == "" && bad != "" || !strings.Contains(bad, tt.bad) {
			t.Errorf("%s: the page says %q, want %q", tt.path, bad, tt.bad)
		}
	}
}

// testStageOvertime: a talk that ended on time and is followed by a long gap
// does not count its overtime through the gap; with reduced motion over
// time is a steady red field instead of a flash.
func testStageOvertime(t *testing.T, b *browser) {
	ts := startServerWith(t, stageSchedule, at("10:52:00"), 1)
	calm := b.open(t, "stage (reduced motion)", ts.url+"/stage/main", tabOpt{width: 1280, height: 720, media: map[string]string{"prefers-reduced-motion": "reduce"}})
	calm.wait("over time", stageReady+` && document.body.dataset.cue === 'over'`, 10*time.Second)
	if got := eval[[]string](calm, stageCue); !strings.HasPrefix(got[3], "none ") {
		t.Errorf("over time with reduced motion flashes: %s", got[3])
	}
	if got := eval[string](calm, `getComputedStyle(document.querySelector('.count')).backgroundColor`); got != stageRed {
		t.Errorf("over time with reduced motion: field %s, want %s", got, stageRed)
	}
	checkContrast(t, calm, "stage over time with reduced motion")

	gap := startServerWith(t, stageSchedule, at("11:06:00"), 1)
	st := b.open(t, "stage in a gap", gap.url+"/stage/main", tabOpt{width: 1280, height: 720})
	st.wait("the gap", stageReady+` && document.body.dataset.mode === 'gap'`, 10*time.Second)
	if got := eval[[]string](st, stageCue); got[0] != "" || !strings.HasPrefix(got[4], "23:") && !strings.HasPrefix(got[4], "24:") {
		t.Errorf("16 minutes after an on-time end, 24 before the next talk: cue %q, countdown %q; want neutral, 24:00", got[0], got[4])
	}
	if got := st.text("#title"); got != "Whoops! I Rewrote It in Rust" {
		t.Errorf("in the gap the stage shows %q, want the next talk", got)
	}
}

// testStageMessages: an announcement for the room runs full-width on the
// stage and goes when it is removed; the speaker's opt-out shows as a badge.
func testStageMessages(t *testing.T, b *browser) {
	ts := startServerWith(t, stageSchedule, at("10:43:00"), 1)
	st := b.open(t, "stage", ts.url+"/stage/main", tabOpt{width: 1920, height: 1080})
	st.wait("the stage", stageReady, 10*time.Second)
	if got := eval[[]bool](st, `['#no-record', '#no-stream'].map((s) => !document.querySelector(s).hidden)`); !got[0] || got[1] {
		t.Errorf("a talk that must not be recorded: DO NOT RECORD shown %v, DO NOT STREAM shown %v; want true, false", got[0], got[1])
	}
	if got := eval[string](st, `getComputedStyle(document.querySelector('#no-record')).textTransform + ' ' + document.querySelector('#no-record').textContent`); got != "uppercase Do not record" {
		t.Errorf("the badge reads %q", got)
	}
	id := ts.announce("Q&A now: take two questions", "main")
	st.wait("the message", has("#msgs", "Q&A now: take two questions"), 5*time.Second)
	if got := eval[[]float64](st, `(() => { const r = document.querySelector('#msgs .msg').getBoundingClientRect(); return [r.left, r.right, innerWidth]; })()`); got[0] > 1 || got[1] < got[2]-1 {
		t.Errorf("the message spans %v..%v of %v, want the full width", got[0], got[1], got[2])
	}
	st.wait("the screen reader to hear it", has("#say", "Message: Q&A now"), 2*time.Second)
	if code, body := ts.admin("DELETE", "/api/v1/announcements/"+id, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, body)
	}
	st.wait("the message to go", `document.querySelector('#msgs').children.length === 0`, 5*time.Second)
}

// testStageGeometry: at every size a confidence monitor has, with the
// longest countdown and a message up, nothing leaves the screen, the
// countdown is whole and large, and the contrast is 7:1.
func testStageGeometry(t *testing.T, b *browser) {
	out := shotsDir(t)
	long := startServerWith(t, stageSchedule, at("09:00:30"), 1)
	amber := startServerWith(t, stageSchedule, at("10:44:10"), 1)
	amber.announce("Wrap up: the next speaker is waiting at the side of the stage", "main")
	for _, c := range []struct {
		name string
		ts   *testServer
		big  string
		shot bool
	}{
		{"workshop", long, "1:29:", false},
		{"amber", amber, "5:", true},
	} {
		st := b.open(t, "stage "+c.name, c.ts.url+"/stage/main", tabOpt{width: 1920, height: 1080})
		st.wait("the countdown", stageReady+" && "+has("#big", c.big), 10*time.Second)
		if c.shot {
			st.wait("the message", has("#msgs", "Wrap up"), 5*time.Second)
		}
		for _, size := range [][2]int64{{1280, 720}, {1920, 1080}, {3840, 2160}, {720, 1280}} {
			if err := chromedp.Do(st.ctx, chromedp.EmulateViewport(size[0], size[1])); err != nil {
				t.Fatal(err)
			}
			st.wait("the entrance animations to end", settled, 5*time.Second)
			where := fmt.Sprintf("%s at %dx%d", c.name, size[0], size[1])
			if got := eval[string](st, noOverflow); got != "" {
				t.Errorf("%s overflows: %s", where, got)
			}
			if got := eval[string](st, inside+`(['#big', '#clock', '#title', '#next-title', '#msgs'])`); got != "" {
				t.Errorf("%s: %s", where, got)
			}
			// The digits themselves, not only their box: whole, and at
			// least a fifth of the screen's shorter side tall.
			got := eval[[]float64](st, `(() => {
				const big = document.querySelector('#big'), box = big.parentElement.getBoundingClientRect();
				const r = document.createRange(); r.selectNodeContents(big);
				const g = r.getBoundingClientRect();
				return [g.left - box.left, box.right - g.right, g.top - box.top, box.bottom - g.bottom, parseFloat(getComputedStyle(big).fontSize) / Math.min(innerWidth, innerHeight)];
			})()`)
			if got[0] < -1 || got[1] < -1 || got[2] < -1 || got[3] < -1 {
				t.Errorf("%s: the countdown's digits leave their box by %v (left, right, top, bottom)", where, got[:4])
			}
			if got[4] < 0.2 {
				t.Errorf("%s: the countdown is %.0f %% of the shorter side, want at least 20 %%", where, got[4]*100)
			}
			checkContrast(t, st, where)
			if c.shot {
				st.screenshot(out, fmt.Sprintf("stage-%dx%d", size[0], size[1]), size[0], size[1], docScale(size))
			}
		}
		n := st.transferred()
		t.Logf("%s: the stage view transferred %.1f KB (compressed)", c.name, float64(n)/1024)
		if n > budget {
			t.Errorf("the stage view transferred %d bytes, over the %d-byte budget", n, budget)
		}
	}
}

// testStageLive: a talk the crew said started runs past its estimated end:
// the stage counts its over time, past the 15 minutes a talk without live
// timing would count, until the crew says it ended; then at once the
// stage shows what comes next.
func testStageLive(t *testing.T, b *browser) {
	const speed = 120
	ts := startServerWith(t, stageSchedule, at("10:30:00"), speed)
	if code, body := ts.admin("POST", "/api/v1/tracks/main/started", map[string]any{}); code != http.StatusOK {
		t.Fatalf("started: %d %s", code, body)
	}
	st := b.open(t, "stage", ts.url+"/stage/main", tabOpt{width: 1280, height: 720})
	st.wait("the talk", stageReady+" && "+has("#title", "Tail at Scale"), 10*time.Second)
	st.wait("over time", `document.body.dataset.cue === 'over'`, 20*time.Second)
	// 17 minutes over (8.5 s on this clock): still over time, still the talk.
	st.wait("17 minutes over", fmt.Sprintf(`confdash.clock.now() >= %d`, at("10:50:00").Add(17*time.Minute).UnixMilli()), 20*time.Second)
	if got := eval[[]string](st, stageCue); got[0] != "over" || !strings.HasPrefix(got[4], "+1") {
		t.Errorf("17 minutes over a talk that was said to start: cue %q, countdown %q; want over, +1m:ss", got[0], got[4])
	}
	if got := st.text("#title"); got != "Tail at Scale" {
		t.Errorf("over time shows %q, want the talk still on stage", got)
	}
	if code, body := ts.admin("POST", "/api/v1/tracks/main/ended", map[string]any{}); code != http.StatusOK {
		t.Fatalf("ended: %d %s", code, body)
	}
	st.wait("the next talk", `document.body.dataset.mode === 'gap' && document.body.dataset.cue === ''`+" && "+has("#title", "Whoops! I Rewrote It in Rust"), 5*time.Second)
}
