package frontend_test

// Protocol version 2 in Chromium: pages that apply deltas show what the
// state document says, at every change of FOSDEM 2024's Saturday.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stepClock is a schedule clock the test moves from one change to the next,
// running at real speed in between. Its Until is at most a tenth of a
// second: the server's clock loop, which sleeps until the next change,
// notices a step that soon. To a page that measures it, a clock that jumps
// looks like a very fast one: the test pins the pages' clocks to the
// server's before it reads what they render.
type stepClock struct {
	mu   sync.Mutex
	base time.Time // the schedule instant at real instant set
	set  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.set))
}

func (c *stepClock) Until(t time.Time) time.Duration {
	return min(t.Sub(c.Now()), 100*time.Millisecond)
}

func (c *stepClock) step(to time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.set = to, time.Now()
}

// getState is GET /api/v1/state?query, decoded.
func (ts *testServer) getState(t *testing.T, query string) map[string]any {
	t.Helper()
	resp, err := http.Get(ts.url + "/api/v1/state?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("GET /api/v1/state?%s: %v: %s", query, err, b)
	}
	return doc
}

// pageState is the state a page holds, without what live.js adds to it
// (the sessions' instants in ms, each track's next change in ms).
const pageState = `JSON.stringify(confdash.live.state, (k, v) => ['s0', 's1', 't0', 't1', 'nc'].includes(k) ? undefined : v)`

// pageShows is what a page renders from for each track at instant %d (ms;
// live.track, which every view calls): the ids and estimated instants of
// now and next.
const pageShows = `JSON.stringify(confdash.live.tracks().map(({ id }) => {
  const x = confdash.live.track(id, %d);
  const s = (v) => v ? [v.id, new Date(v.t0).toISOString(), new Date(v.t1).toISOString()] : null;
  return [id, s(x.now), s(x.next), x.delay];
}))`

// shows is pageShows computed from a state document.
func shows(doc map[string]any) string {
	s := func(v any) any {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		iso := func(k string) string {
			at, _ := time.Parse(time.RFC3339, m[k].(string))
			return at.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		return []any{m["id"], iso("est_start"), iso("est_end")}
	}
	var out []any
	for _, x := range doc["tracks"].([]any) {
		tr := x.(map[string]any)
		out = append(out, []any{tr["id"], s(tr["now"]), s(tr["next"]), tr["delay_minutes"]})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// TestDeltaPagesFollowDay: an all-tracks tab, a room screen and the lobby,
// all speaking protocol version 2, follow FOSDEM 2024's Saturday from one
// change to the next. At each change every page's state is the state
// document (GET /api/v1/state for its view) and it renders the same now,
// next and estimates from it; a delay and an announcement along the way
// too. The tab's cards show the titles of now and next.
func TestDeltaPagesFollowDay(t *testing.T) {
	b := newBrowser(t)
	const name = "frab-fosdem-2024.xml"
	clock := &stepClock{base: time.Date(2024, 2, 3, 8, 0, 0, 0, time.UTC), set: time.Now()}
	ts := corpusServer(t, name, clock).start()
	sc := ts.sched
	room := sc.Tracks[1].ID
	type page struct {
		*tab
		query string
	}
	pages := []page{
		{b.open(t, "tab", ts.url+"/", tabOpt{width: 1280, height: 720}), ""},
		{b.open(t, "phone tab", ts.url+"/", tabOpt{width: 390, height: 844, mobile: true}), ""},
		{b.open(t, "room screen", ts.url+"/screen/"+room, tabOpt{width: 1920, height: 1080}), "view=screen&track=" + room},
		{b.open(t, "lobby", ts.url+"/screen", tabOpt{width: 1920, height: 1080}), "view=screen"},
	}
	check := func(when string) {
		t.Helper()
		at := clock.Now().UnixMilli()
		for _, p := range pages {
			want := ts.getState(t, p.query)
			var got map[string]any
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				got = nil
				json.Unmarshal([]byte(eval[string](p.tab, `globalThis.confdash?.live?.state ? `+pageState+` : 'null'`)), &got)
				if cmp.Equal(want, got) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s at %s: the page's state is not the state document (-document +page):\n%s", p.name, when, cmp.Diff(want, got))
				}
			}
			if got, want := eval[string](p.tab, fmt.Sprintf(pageShows, at)), shows(want); got != want {
				t.Fatalf("%s at %s: the page renders from\n%s\nthe state document says\n%s", p.name, when, got, want)
			}
			if p.query != "" {
				continue
			}
			// The tab's cards: the titles of now and next on every track, once
			// the page renders at the server's time.
			var wrong string
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				eval[bool](p.tab, fmt.Sprintf(`(confdash.clock.ref = { c: performance.timeOrigin + performance.now(), s: %d }, confdash.clock.rate = 1, true)`, clock.Now().UnixMilli()))
				if wrong = tabCards(t, p.tab, want); wrong == "" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("tab at %s: %s", when, wrong)
				}
			}
		}
	}
	for _, p := range pages {
		p.wait("protocol 2", `globalThis.confdash?.live?.open === true`, 10*time.Second)
	}
	check("the start")
	end := time.Date(2024, 2, 3, 23, 0, 0, 0, time.UTC)
	steps := 0
	for {
		nc, _ := ts.getState(t, "")["next_change"].(string)
		at, err := time.Parse(time.RFC3339, nc)
		if err != nil || at.After(end) {
			break
		}
		clock.step(at)
		// The server has published the change when the tab's document moved on.
		for deadline := time.Now().Add(5 * time.Second); ts.getState(t, "")["next_change"] == nc; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the server did not pass %s", nc)
			}
		}
		check(nc)
		steps++
		switch steps {
		case 5:
			if code, body := ts.admin("POST", "/api/v1/tracks/"+room+"/delay", map[string]int{"minutes": 9}); code != http.StatusOK {
				t.Fatalf("delay: %d %s", code, body)
			}
			check("a delay")
		case 8:
			ts.announce("Lunch in the K building", "")
			check("an announcement")
		case 40: // to look at: the pages at midday, their clocks pinned to the server's
			out := shotsDir(t)
			for _, p := range pages {
				eval[bool](p.tab, fmt.Sprintf(`(confdash.clock.ref = { c: performance.timeOrigin + performance.now(), s: %d }, confdash.clock.rate = 1, true)`, clock.Now().UnixMilli()))
			}
			for i, size := range [][2]int64{{1280, 720}, {390, 844}, {1920, 1080}, {1920, 1080}} {
				p := pages[i]
				p.screenshot(out, "delta-fosdem-"+strings.ReplaceAll(p.name, " ", "-"), size[0], size[1], 0)
			}
		}
	}
	if steps < 50 {
		t.Fatalf("%d steps: the day should have about a hundred changes", steps)
	}
	t.Logf("%d changes, every page equal to its state document at each", steps)
}

// tabCards compares the tab's cards with the state document doc: the titles
// of now and next on every track that has a card. It says what differs, or
// "" when nothing does.
func tabCards(t *testing.T, tb *tab, doc map[string]any) string {
	t.Helper()
	cards := 0
	for _, x := range doc["tracks"].([]any) {
		tr := x.(map[string]any)
		title := func(k string) string {
			if s, ok := tr[k].(map[string]any); ok {
				return s["title"].(string)
			}
			return ""
		}
		id := tr["id"].(string)
		// Past the first page of cards a track has none until asked for.
		got := eval[[]string](tb, fmt.Sprintf(`document.querySelector(%[1]q) ? [%[2]q, %[3]q].map((s) => { const e = document.querySelector(s); return !e || e.closest('.empty, [hidden]') ? '' : e.textContent; }) : []`,
			card(id, ""), card(id, ".slot.now .title"), card(id, ".slot.next .title")))
		if len(got) == 0 {
			continue
		}
		cards++
		if got[0] != title("now") || got[1] != title("next") {
			return fmt.Sprintf("track %s shows now %q, next %q; the state document says %q, %q", id, got[0], got[1], title("now"), title("next"))
		}
	}
	if cards == 0 {
		return "no track card to compare"
	}
	return ""
}
