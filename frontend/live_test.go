package frontend_test

// The shared connection and clock (live.js) and the offline reload
// (sw.js), in Chromium against the real server and a real published
// schedule (31C3's frab export, read from ../shared/schedules).

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/confdash/confdash/schedule"
)

// realSchedules is the corpus of published schedules beside the module.
const realSchedules = "../../shared/schedules"

// readSchedule reads a published schedule of the corpus, as its source
// bytes and parsed.
func readSchedule(t *testing.T, name string) (string, *schedule.Schedule) {
	t.Helper()
	path := filepath.Join(realSchedules, name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the published schedules are expected in %s (beside the repository): %v", realSchedules, err)
	}
	s, _, err := schedule.Parse(path, b, schedule.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(b), s
}

// handover finds two talks of one track, b right after a, each at least
// min long and with a title no other session has: around b's start, a
// page whose clock is off shows the wrong one as "now".
func handover(t *testing.T, s *schedule.Schedule, min time.Duration) (a, b schedule.Session) {
	t.Helper()
	titles := map[string]int{}
	for _, x := range s.Sessions {
		titles[x.Title]++
	}
	ok := func(x schedule.Session) bool {
		return x.Kind != schedule.KindBreak && x.End.Sub(x.Start) >= min && titles[x.Title] == 1
	}
	for _, tr := range s.Tracks {
		var list []schedule.Session
		for _, x := range s.Sessions {
			if x.Track == tr.ID {
				list = append(list, x)
			}
		}
		slices.SortFunc(list, func(x, y schedule.Session) int { return x.Start.Compare(y.Start) })
		for i := 1; i < len(list); i++ {
			if list[i].Start.Equal(list[i-1].End) && ok(list[i-1]) && ok(list[i]) {
				return list[i-1], list[i]
			}
		}
	}
	t.Fatal("no two back-to-back talks in the schedule")
	return
}

// slowSocket is a TCP proxy in front of the server that holds everything
// the server sends on a websocket connection for delay, the way a loaded
// venue network or a buffering proxy does, while plain HTTP passes at once:
// the schedule document then arrives well before the hello. It returns the
// proxy's base URL.
func slowSocket(t *testing.T, target string, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				in := bufio.NewReader(c)
				line, _ := in.Peek(8)
				go func() { io.Copy(s, in); s.Close() }()
				if string(line) != "GET /ws?" {
					io.Copy(c, s)
					return
				}
				type chunk struct {
					b  []byte
					at time.Time
				}
				q := make(chan chunk, 256)
				go func() {
					defer close(q)
					for {
						b := make([]byte, 32<<10)
						n, err := s.Read(b)
						if n > 0 {
							q <- chunk{b[:n], time.Now().Add(delay)}
						}
						if err != nil {
							return
						}
					}
				}()
				for ch := range q {
					time.Sleep(time.Until(ch.at)) // the latency this proxy adds
					if _, err := c.Write(ch.b); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// nowSelectors are the elements of each view that show what is on now.
var nowSelectors = map[string]string{
	"tab":     `.slot.now .title`,
	"screen":  `body[data-mode="now"] #title`,
	"lobby":   `.row[data-mode="now"] .row-now .row-title`,
	"overlay": `#card[data-mode="now"] #title`,
}

// skewScript runs before any script of the page: it moves the page's clock
// (Date, Date.now and performance.timeOrigin, as a machine whose clock is
// off would have them) by skew, and records every text that ever appears
// in an element that shows "now", from the first paint on.
func skewScript(skew time.Duration, nowSel string) string {
	return fmt.Sprintf(`(() => {
  const skew = %d;
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...a) { if (a.length) super(...a); else super(RealDate.now() + skew); }
    static now() { return RealDate.now() + skew; }
  }
  globalThis.Date = SkewedDate;
  const origin = performance.timeOrigin + skew;
  Object.defineProperty(Performance.prototype, 'timeOrigin', { get: () => origin });
  const seen = (globalThis.nowSeen = []);
  const record = () => {
    for (const el of document.querySelectorAll(%q)) {
      const t = el.textContent;
      if (t && !seen.includes(t)) seen.push(t);
    }
  };
  new MutationObserver(record).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})();`, skew.Milliseconds(), nowSel)
}

// openSkewed opens url in a tab whose clock is off by skew.
func (b *browser) openSkewed(t *testing.T, name, url string, skew time.Duration, o tabOpt) *tab {
	t.Helper()
	// A blank page first: the init script is added to the tab's target,
	// then the view loads with it.
	tb := b.open(t, name, "about:blank", o)
	err := chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: skewScript(skew, nowSelectors[name])})
		return err
	}), chromedp.Navigate(url))
	if err != nil {
		t.Fatalf("%s: open %s with a clock %s off: %v", name, url, skew, err)
	}
	return tb
}

// TestClockSkew: a viewer whose clock is 90 s fast or slow never sees the
// wrong session as "now", not even for the moment before the page hears
// from the server (its websocket answers 600 ms late), on any view.
func TestClockSkew(t *testing.T) {
	b := newBrowser(t)
	src, s := readSchedule(t, "frab-31c3-2014.xml")
	a, next := handover(t, s, 5*time.Minute)
	for _, c := range []struct {
		name        string
		skew        time.Duration
		from        time.Time // the server's time at start
		right, gone schedule.Session
	}{
		// 85 s before the handover: a clock 90 s fast is past it.
		{"fast", 90 * time.Second, a.End.Add(-85 * time.Second), a, next},
		// 5 s after it: a clock 90 s slow is still before it.
		{"slow", -90 * time.Second, next.Start.Add(5 * time.Second), next, a},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := startServerWith(t, src, c.from, 1)
			base := slowSocket(t, ts.addr, 600*time.Millisecond)
			for _, v := range []struct{ name, path string }{
				{"tab", "/?track=" + a.Track},
				{"screen", "/screen/" + a.Track},
				{"lobby", "/screen"},
				{"overlay", "/overlay/" + a.Track},
			} {
				// The browser's clock is the server's (a rehearsal clock set to
				// the conference) plus the skew.
				skew := ts.clock.Now().Sub(time.Now()) + c.skew
				tb := b.openSkewed(t, v.name, base+v.path, skew, tabOpt{width: 1280, height: 720})
				tb.wait("the session on now", fmt.Sprintf(`nowSeen.includes(%q)`, c.right.Title), 15*time.Second)
				seen := eval[[]string](tb, `nowSeen`)
				if slices.Contains(seen, c.gone.Title) {
					t.Errorf("%s with a clock %s off: showed %q as now (the server's time is %s), saw %q",
						v.name, c.skew, c.gone.Title, ts.clock.Now().Format(time.TimeOnly), seen)
				}
				if got := eval[string](tb, `document.documentElement.dataset.clock ?? ""`); got != "server" {
					t.Errorf("%s: data-clock %q, want server", v.name, got)
				}
				if d := ts.clock.Now().Sub(c.from); d > 80*time.Second {
					t.Fatalf("the views took %s to check: the handover passed", d)
				}
			}
		})
	}
}

// TestOfflineReload: a screen and the tab that reload while the server is
// down show the last schedule and say they are reconnecting, instead of the
// browser's error page.
func TestOfflineReload(t *testing.T) {
	b := newBrowser(t)
	src, s := readSchedule(t, "frab-31c3-2014.xml")
	a, _ := handover(t, s, 5*time.Minute)
	ts := startServerWith(t, src, a.Start.Add(time.Minute), 1)
	views := []struct {
		name, path, title string
	}{
		{"screen", "/screen/" + a.Track, "#title"},
		{"tab", "/?track=" + a.Track, card(a.Track, ".slot.now .title")},
	}
	var tabs []*tab
	for _, v := range views {
		tb := b.open(t, v.name, ts.url+v.path, tabOpt{width: 1280, height: 720})
		tb.wait("the session on now", has(v.title, a.Title), 10*time.Second)
		tb.wait("the service worker to keep the page", `document.documentElement.dataset.offline === 'ready' && !!navigator.serviceWorker.controller`, 15*time.Second)
		tabs = append(tabs, tb)
	}
	for _, tb := range tabs {
		tb.netErrs.Store(true)
	}
	ts.stop()
	for _, tb := range tabs {
		if err := chromedp.Do(tb.ctx, chromedp.Reload()); err != nil {
			t.Fatalf("%s: reload: %v", tb.name, err)
		}
	}
	for i, tb := range tabs {
		tb.wait("the last schedule after the reload", has(views[i].title, a.Title), 10*time.Second)
		tb.wait("the reconnecting notice", `!document.querySelector('#notice').hidden && document.querySelector('#notice').textContent.startsWith('Reconnecting…')`, 15*time.Second)
		if got := eval[string](tb, `document.documentElement.dataset.conn`); got != "stale" {
			t.Errorf("%s: data-conn %q, want stale", tb.name, got)
		}
		if body := eval[string](tb, `document.body.innerText`); strings.Contains(body, "ERR_") {
			t.Errorf("%s: the browser's error page: %s", tb.name, body)
		}
	}
}
