package frontend_test

// The stream overlay as a producer uses it: on real schedules, at the OBS
// canvas sizes, with long announcements, every URL parameter, and the
// holding slides.

import (
	"bytes"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/schedule/load"
	"github.com/confdash/confdash/server"
)

// corpus reads a real schedule from the shared corpus beside the repository.
func corpus(t *testing.T, name string) (string, *schedule.Schedule) {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "schedules", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the real schedules are read from the corpus beside the repository: %v", err)
	}
	s, _, err := load.Parse(name, data, schedule.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(data), s
}

// startCorpus serves a real schedule from a fast clock.
func startCorpus(t *testing.T, name string, from time.Time, speed float64) *testServer {
	t.Helper()
	return corpusServer(t, name, server.NewClock(from, speed)).start()
}

// corpusServer is a server of a real schedule on clock, not started yet (a
// test may change the schedule first). The file is copied into a temporary
// folder, where a test may edit it and reload; the corpus's files may carry
// importer warnings (startServerWith refuses those for the hand-written test
// day), so it is served after a parse of its own.
func corpusServer(t *testing.T, name string, clock server.Clock) *testServer {
	t.Helper()
	data, _ := corpus(t, name)
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, err := load.ParseFile(path, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, clock: clock, sched: s, path: path, state: filepath.Join(dir, "state.json")}
}

// roomSession finds, in a real schedule, the track named room and a session
// on it with speakers and at least 20 minutes, followed by another.
func roomSession(t *testing.T, s *schedule.Schedule, room string) (track string, sess schedule.Session) {
	t.Helper()
	for _, tr := range s.Tracks {
		if tr.Name != room {
			continue
		}
		for _, x := range s.Sessions {
			if x.Track == tr.ID && len(x.Speakers) > 0 && x.End.Sub(x.Start) >= 20*time.Minute {
				return tr.ID, x
			}
		}
	}
	t.Fatalf("no track %q with a talk of 20 minutes or more", room)
	return "", schedule.Session{}
}

// Three notices of 280 characters, as a venue writes them.
var longNotices = func() []string {
	texts := []string{
		"FIRE ALARM TEST AT 11:00: the alarm will sound for about two minutes in every hall. You do not need to leave the building while it sounds. If the alarm sounds again after 11:15, it is real: leave by the nearest green exit, do not use the lifts, and gather in the car park outside.",
		"The evening reception moves from the ground-floor atrium to the rooftop terrace on level 9 because of the rain: take the lifts by the registration desk, bring your badge, and note that the terrace closes at 22:30 sharp. Step-free access is through the east lifts; ask a volunteer.",
		"Lost and found: a black laptop bag with a conference lanyard and a blue water bottle was left in Room B after the morning keynote. If it is yours, come to the information desk in the foyer with a description of what is inside it. Please do check under your seats before you leave.",
	}
	for i, s := range texts {
		if n := len([]rune(s)); n != 280 {
			panic(fmt.Sprintf("notice %d has %d characters, want 280", i, n))
		}
	}
	return texts
}()

// obsSizes are the canvases a producer uses; the last two are vertical video
// and a phone-shaped source, which must not break either.
var obsSizes = [][2]int64{{1920, 1080}, {1280, 720}, {3840, 2160}, {720, 1280}, {390, 844}}

// overlayGeometry returns what is wrong with the lower third's layout: a part
// outside the frame, the announcement band over the card or wider than it,
// or the band taller than three lines.
const overlayGeometry = `(() => {
	const W = innerWidth, H = innerHeight;
	const box = (el) => el.getBoundingClientRect();
	const at = (r) => [r.left, r.top, r.right, r.bottom].map(Math.round).join(',');
	const out = (r) => r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1;
	const card = document.querySelector('#card');
	if (card.hidden) return 'the card is hidden';
	const c = box(card);
	for (const sel of ['#card', '#title', '#speakers', '#bar', '#aside', '#next', '#ann']) {
		const el = document.querySelector(sel);
		if (!el || el.hidden || !el.offsetParent) continue;
		if (out(box(el))) return sel + ' at ' + at(box(el)) + ' leaves the ' + W + 'x' + H + ' frame';
	}
	const band = document.querySelector('#ann');
	if (!band.hidden) {
		const b = box(band);
		if (b.bottom > c.top + 1 && b.top < c.bottom - 1) return 'the announcements ' + at(b) + ' cover the card ' + at(c);
		if (b.left < c.left - 1 || b.right > c.right + 1) return 'the announcements ' + at(b) + ' are wider than the card ' + at(c);
		const view = document.querySelector('#ann-view');
		const line = parseFloat(getComputedStyle(view).lineHeight);
		if (box(view).height > 3 * line + 1) return 'the announcement band is ' + (box(view).height / line).toFixed(1) + ' lines high, want at most 3';
	}
	return '';
})()`

func TestOverlayAnnouncementsFit(t *testing.T) {
	b := newBrowser(t)
	name := "schedulejson-pretalx-democon.json"
	_, s := corpus(t, name)
	track, sess := roomSession(t, s, "Gray Room")
	ts := startCorpus(t, name, sess.Start.Add(10*time.Minute), 1)
	now, next, _ := expect(ts, track, ts.clock.Now())
	if now != sess.Title || next == "" {
		t.Fatalf("the domain says now %q, next %q on %s; the test wants %q with a next", now, next, track, sess.Title)
	}
	for _, n := range longNotices {
		ts.announce(n, "")
	}
	out := shotsDir(t)
	ready := `document.documentElement.dataset.conn === 'open' && !document.querySelector('#card').hidden`
	for _, pos := range []string{"bottom-left", "top-right"} {
		ov := b.open(t, "overlay "+pos, ts.url+"/overlay/"+track+"?position="+pos, tabOpt{width: 1920, height: 1080, transparent: true})
		ov.wait("the card and three announcements", ready+" && "+has("#title", now)+" && "+has("#ann-count", "1/3"), 10*time.Second)
		for _, size := range obsSizes {
			if err := chromedp.Do(ov.ctx, chromedp.EmulateViewport(size[0], size[1])); err != nil {
				t.Fatal(err)
			}
			ov.wait("the entrance animations to end", settled, 5*time.Second)
			where := fmt.Sprintf("%s at %dx%d", pos, size[0], size[1])
			if got := eval[string](ov, overlayGeometry); got != "" {
				t.Errorf("%s: %s", where, got)
			}
			if got := eval[string](ov, inside+`(['#title', '#aside', '#next', '#ann-count'])`); got != "" {
				t.Errorf("%s: %s", where, got)
			}
			// Readable on the stream whatever the canvas's shape: the title
			// at least 3.5 % of the frame's shorter side.
			if got := eval[float64](ov, `parseFloat(getComputedStyle(document.querySelector('#title')).fontSize) / Math.min(innerWidth, innerHeight)`); got < 0.035 {
				t.Errorf("%s: the title is %.1f %% of the frame's shorter side, want at least 3.5 %%", where, got*100)
			}
			if pos == "bottom-left" {
				shot := ov.screenshot(out, fmt.Sprintf("overlay-%dx%d", size[0], size[1]), size[0], size[1], docScale(size))
				img, err := png.Decode(bytes.NewReader(shot))
				if err != nil {
					t.Fatal(err)
				}
				if _, _, _, a := img.At(img.Bounds().Max.X-4, 4).RGBA(); a != 0 {
					t.Errorf("%s: the page paints its corner (alpha %d), want it transparent", where, a)
				}
			}
		}
	}

	// At 720p a notice of 280 characters takes more than three lines: it
	// turns its pages until its last word has shown, then the next notice
	// comes.
	ov := b.open(t, "overlay pages", ts.url+"/overlay/"+track, tabOpt{width: 1280, height: 720, transparent: true})
	ov.wait("the first notice", ready+" && "+has("#ann-count", "1/3"), 10*time.Second)
	pages := eval[string](ov, `document.querySelector('#ann').dataset.pages`)
	if !strings.HasPrefix(pages, "1/") || pages == "1/1" {
		t.Fatalf("a notice of 280 characters at 1280x720 has pages %q, want more than one", pages)
	}
	last := strings.TrimPrefix(pages, "1/") + "/" + strings.TrimPrefix(pages, "1/")
	ov.wait("the last page of the first notice", fmt.Sprintf(`document.querySelector('#ann').dataset.pages === %q && document.querySelector('#ann-count').textContent === '1/3'`, last), 30*time.Second)
	ov.wait("the page to settle", settled+` && document.querySelector('#ann-list p:not([hidden])').getAnimations().length === 0`, 5*time.Second)
	// The notice's last character is inside the band, where it can be read.
	endVisible := `(() => {
		const p = document.querySelector('#ann-list p:not([hidden])');
		const n = p.firstChild, r = document.createRange();
		r.setStart(n, n.length - 1); r.setEnd(n, n.length);
		const c = r.getBoundingClientRect(), v = document.querySelector('#ann-view').getBoundingClientRect();
		return c.top >= v.top - 1 && c.bottom <= v.bottom + 1 ? '' : 'the end at ' + Math.round(c.top) + '..' + Math.round(c.bottom) + ' outside the band ' + Math.round(v.top) + '..' + Math.round(v.bottom);
	})()`
	if got := eval[string](ov, endVisible); got != "" {
		t.Errorf("the first notice's last page: %s", got)
	}
	if got := eval[string](ov, overlayGeometry); got != "" {
		t.Errorf("on the last page: %s", got)
	}
	ov.wait("the second notice", has("#ann-count", "2/3")+` && document.querySelector('#ann').dataset.pages.startsWith('1/')`, 30*time.Second)
	if got := eval[string](ov, `document.querySelector('#ann-list p:not([hidden])').textContent`); got != longNotices[1] {
		t.Errorf("the second notice shows %q, want %q", got, longNotices[1])
	}

	// A producer who carries announcements elsewhere turns them off.
	off := b.open(t, "overlay without announcements", ts.url+"/overlay/"+track+"?announcements=off", tabOpt{width: 1280, height: 720, transparent: true})
	off.wait("the card", ready+" && "+has("#title", now), 10*time.Second)
	if got := eval[bool](off, `!document.querySelector('#ann').hidden || document.body.textContent.includes('FIRE ALARM')`); got {
		t.Errorf("?announcements=off still shows the announcements")
	}
}

// docScale keeps the 4K pictures in the docs at half size.
func docScale(size [2]int64) float64 {
	if size[0] > 1920 {
		return 0.5
	}
	return 1
}

func shotsDir(t *testing.T) string {
	t.Helper()
	out := os.Getenv("CONFDASH_TEST_OUTPUT")
	if out == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if *updateScreenshots {
		if err := os.MkdirAll(docsShots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// cardWidth is the card's width in CSS pixels.
const cardWidth = `document.querySelector('#card').getBoundingClientRect().width`

func TestOverlayParameters(t *testing.T) {
	b := newBrowser(t)
	// Main Hall: "Latency Budgets" (one speaker) until 09:32, then "Tail at
	// Scale" (two speakers).
	ts := startServer(t, at("09:31:54"), 1)
	ready := `document.documentElement.dataset.conn === 'open' && !document.querySelector('#card').hidden`

	t.Run("width and hold", func(t *testing.T) {
		for _, q := range []string{"", "width=600&hold=2"} {
			ts := startServer(t, at("09:31:54"), 1)
			ov := b.open(t, "overlay ?"+q, ts.url+"/overlay/main?"+q, tabOpt{width: 1280, height: 720, transparent: true})
			ov.wait("the card", ready+" && "+has("#title", "Latency Budgets"), 10*time.Second)
			ov.wait("the entrance", settled, 5*time.Second)
			before := eval[float64](ov, cardWidth)
			if q != "" {
				if before != 600 {
					t.Errorf("?width=600: the card is %v px wide", before)
				}
				// The card goes after two seconds of real time, not before.
				shown := time.Now()
				ov.wait("the card to slide out", `document.querySelector('#card').dataset.held === 'out' && getComputedStyle(document.querySelector('#card')).visibility === 'hidden'`, 5*time.Second)
				if d := time.Since(shown); d < 1500*time.Millisecond {
					t.Errorf("?hold=2: the card went after %s", d)
				}
				if got := eval[string](ov, `document.elementFromPoint(...(() => { const r = document.querySelector('#card').getBoundingClientRect(); return [r.left + 30, r.top + 30]; })())?.closest('#card') ? 'card' : ''`); got != "" {
					t.Errorf("?hold=2: the card still shows after its hold")
				}
			}
			ov.wait("the transition", has("#title", "Tail at Scale"), 15*time.Second)
			ov.wait("the entrance", settled, 5*time.Second)
			if q != "" && eval[string](ov, `document.querySelector('#card').dataset.held`) != "in" {
				t.Errorf("?hold=2: the card did not come back at the transition")
			}
			if after := eval[float64](ov, cardWidth); after != before {
				t.Errorf("?%s: the card was %v px wide and is %v px after the transition: it must not jump", q, before, after)
			}
		}
	})

	t.Run("hold with reduced motion", func(t *testing.T) {
		// No slide: the card simply goes when its time is up.
		ov := b.open(t, "overlay (reduced motion)", ts.url+"/overlay/main?hold=1", tabOpt{width: 1280, height: 720, transparent: true, media: map[string]string{"prefers-reduced-motion": "reduce"}})
		ov.wait("the card", ready, 10*time.Second)
		ov.wait("the card to go", `document.querySelector('#card').dataset.held === 'out' && getComputedStyle(document.querySelector('#card')).visibility === 'hidden'`, 4*time.Second)
		if got := eval[string](ov, `getComputedStyle(document.querySelector('#card')).animationName`); got != "none" {
			t.Errorf("?hold=1 with reduced motion animates the card: %s", got)
		}
	})

	t.Run("switches, brand, font, clock", func(t *testing.T) {
		ov := b.open(t, "overlay", ts.url+"/overlay/main?show=title,next&brand=ff6600&font=Open%20Sans&clock=12", tabOpt{width: 1920, height: 1080, transparent: true})
		ov.wait("the card", ready, 10*time.Second)
		got := eval[map[string]any](ov, `(() => {
			const vis = (sel) => !!document.querySelector(sel).offsetParent;
			const cs = (sel) => getComputedStyle(document.querySelector(sel));
			return {
				title: vis('#title'), speakers: vis('#speakers'), progress: vis('#row'),
				edge: cs('#card').borderLeftColor, font: cs('#title').fontFamily,
				aside: document.querySelector('#aside').textContent, bad: document.querySelector('#bad').hidden,
			};
		})()`)
		for k, want := range map[string]any{"title": true, "speakers": false, "progress": false, "edge": "rgb(255, 102, 0)", "bad": true} {
			if got[k] != want {
				t.Errorf("?show=title,next&brand=ff6600: %s = %v, want %v", k, got[k], want)
			}
		}
		if f := got["font"].(string); !strings.HasPrefix(f, `"Open Sans"`) {
			t.Errorf("?font=Open Sans: font-family %s", f)
		}
		if a := strings.ToUpper(got["aside"].(string)); !strings.Contains(a, "AM") && !strings.Contains(a, "PM") {
			t.Errorf("?clock=12: the card reads %q, want a 12-hour time", a)
		}
		if got := eval[string](ov, `getComputedStyle(document.querySelector('.eyebrow')).color`); got == "rgb(255, 102, 0)" {
			t.Logf("brand colour readable on the card: used for text too")
		}
		// A brand colour too dark for text on the dark card colours only the
		// edge and the bar; the label keeps a readable colour.
		dark := b.open(t, "overlay dark brand", ts.url+"/overlay/main?brand=%23202040", tabOpt{width: 1280, height: 720, transparent: true})
		dark.wait("the card", ready, 10*time.Second)
		if got := eval[string](dark, `getComputedStyle(document.querySelector('#card')).borderLeftColor`); got != "rgb(32, 32, 64)" {
			t.Errorf("?brand=#202040: edge %s", got)
		}
		checkContrastOf(t, dark, "overlay with a dark brand", 4.5)
	})

	t.Run("bad parameters", func(t *testing.T) {
		// What a producer might paste, and what someone might try: none of it
		// reaches the page's styles; each is named with what to write.
		q := url.Values{
			"font":     {`x;}body{background:red}`},
			"brand":    {"red;background:url(//evil)"},
			"width":    {"wide"},
			"show":     {"title,logo"},
			"slide":    {"intermission"},
			"position": {"middle"},
		}
		ov := b.open(t, "overlay", ts.url+"/overlay/main?"+q.Encode(), tabOpt{width: 1280, height: 720, transparent: true})
		ov.wait("the card", ready, 10*time.Second)
		msg := ov.text("#bad")
		for _, want := range []string{"?font=", "?brand=", "?width=", "?show=", "?slide=", "?position=", "like ff6600", "bottom-left"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the page's note %q does not name %q", msg, want)
			}
		}
		got := eval[[]string](ov, `[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.querySelector('#title')).fontFamily, getComputedStyle(document.querySelector('#card')).borderLeftColor, document.body.dataset.position]`)
		if got[0] != "rgba(0, 0, 0, 0)" || strings.Contains(got[1], "x;") || got[2] != "rgb(92, 184, 255)" || got[3] != "bottom-left" {
			t.Errorf("bad parameters changed the page: background, font, edge, position = %q", got)
		}
		if !eval[bool](ov, `!!document.querySelector('#speakers').offsetParent`) {
			t.Errorf("a bad ?show= hides the speakers, want the default (everything)")
		}
	})
}

func TestOverlaySlides(t *testing.T) {
	b := newBrowser(t)
	// 39C3, room Zero, ten minutes before its longest title (171
	// characters): the real thing a holding slide has to fit.
	name := "frab-39c3-2025.xml"
	_, s := corpus(t, name)
	var talk schedule.Session
	for _, x := range s.Sessions {
		if len([]rune(x.Title)) > len([]rune(talk.Title)) {
			talk = x
		}
	}
	ts := startCorpus(t, name, talk.Start.Add(-10*time.Minute), 1)
	st, _ := schedule.ComputeTrack(ts.sched, schedule.Adjustments{}, talk.Track, ts.clock.Now())
	// The slide's talk: the one on now, unless that is a break or nothing.
	shown := st.Next
	if st.Now != nil && st.Now.Kind != schedule.KindBreak {
		shown = st.Now
	}
	if shown == nil {
		t.Fatalf("nothing on %s around %s", talk.Track, talk.Start)
	}
	for _, n := range longNotices {
		ts.announce(n, "")
	}
	out := shotsDir(t)
	message := "We are fixing the projector in this hall and will be back in a few minutes. Thank you for your patience!"
	for _, slide := range []string{"next", "soon", "brb"} {
		q := url.Values{"slide": {slide}, "message": {message}, "clock": {"12"}}
		ov := b.open(t, "slide "+slide, ts.url+"/overlay/"+url.PathEscape(talk.Track)+"?"+q.Encode(), tabOpt{width: 1920, height: 1080, transparent: true})
		ov.wait("the slide", `document.documentElement.dataset.conn === 'open' && !document.querySelector('#slide').hidden && `+has("#ann-count", "1/3"), 10*time.Second)
		wantTitle := map[string]string{"next": shown.Title, "soon": "Starting soon", "brb": "Be right back"}[slide]
		if got := ov.text("#slide-title"); got != wantTitle {
			t.Errorf("?slide=%s: title %q, want %q", slide, got, wantTitle)
		}
		if got := ov.text("#slide-message"); got != message {
			t.Errorf("?slide=%s: message %q", slide, got)
		}
		if slide != "next" && !strings.Contains(ov.text("#slide-next"), shown.Title) {
			t.Errorf("?slide=%s: the talk %q is missing: %q", slide, shown.Title, ov.text("#slide-next"))
		}
		if got := ov.text("#slide-clock"); !regexp.MustCompile(`^\d{1,2}:\d\d[\s\x{202f}][AaPp]\.?[Mm]\.?$`).MatchString(got) {
			t.Errorf("?slide=%s&clock=12: clock %q", slide, got)
		}
		for _, size := range obsSizes[:3] {
			if err := chromedp.Do(ov.ctx, chromedp.EmulateViewport(size[0], size[1])); err != nil {
				t.Fatal(err)
			}
			ov.wait("the page to settle", settled, 5*time.Second)
			where := fmt.Sprintf("?slide=%s at %dx%d", slide, size[0], size[1])
			keep := `['#slide-clock', '#slide-label', '#slide-title', '#slide-message', '#ann-count']`
			if slide != "next" {
				keep = `['#slide-clock', '#slide-label', '#slide-title', '#slide-message', '#slide-next', '#ann-count']`
			}
			if got := eval[string](ov, inside+"("+keep+")"); got != "" {
				t.Errorf("%s: %s", where, got)
			}
			if got := eval[string](ov, `(() => { const m = document.querySelector('#slide-message'); return m.scrollHeight > m.clientHeight + 1 ? 'the message is cut' : ''; })()`); got != "" {
				t.Errorf("%s: %s", where, got)
			}
			// The docs show each slide at 1920x1080: it scales with the frame.
			shot := ov.screenshot(out, fmt.Sprintf("overlay-%s-%dx%d", slide, size[0], size[1]), size[0], size[1], map[bool]float64{true: 1}[size[0] == 1920])
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatal(err)
			}
			// Full frame: the holding slide stands in for the video.
			for _, p := range [][2]int{{2, 2}, {img.Bounds().Max.X - 3, img.Bounds().Max.Y - 3}} {
				if _, _, _, a := img.At(p[0], p[1]).RGBA(); a != 0xffff {
					t.Errorf("%s: pixel %v has alpha %d, want the slide opaque", where, p, a)
				}
			}
			checkContrastOf(t, ov, where, 7)
		}
	}
}
