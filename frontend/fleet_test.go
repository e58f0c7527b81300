package frontend_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/confdash/confdash/schedule"
)

// The screens fleet's part: change badges on every view, and the console's
// Screens page.

const democon = "schedulejson-pretalx-democon.json"

// democonAt is an instant of pretalx's demo conference (Berlin time).
func democonAt(hm string) time.Time {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", "2020-12-14 "+hm, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// sessionTitled finds a session of a real schedule by its title.
func sessionTitled(t *testing.T, s *schedule.Schedule, title string) schedule.Session {
	t.Helper()
	for _, x := range s.Sessions {
		if x.Title == title {
			return x
		}
	}
	t.Fatalf("the schedule has no session %q", title)
	return schedule.Session{}
}

// editEvents rewrites a schedule.json: drop removes the event titled so,
// and retitle renames events.
func editEvents(t *testing.T, data []byte, drop string, retitle map[string]string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	dropped, renamed := 0, 0
	days := doc["schedule"].(map[string]any)["conference"].(map[string]any)["days"].([]any)
	for _, d := range days {
		rooms := d.(map[string]any)["rooms"].(map[string]any)
		for name, evs := range rooms {
			var keep []any
			for _, e := range evs.([]any) {
				ev := e.(map[string]any)
				if ev["title"] == drop {
					dropped++
					continue
				}
				if to, ok := retitle[ev["title"].(string)]; ok {
					ev["title"] = to
					renamed++
				}
				keep = append(keep, ev)
			}
			rooms[name] = keep
		}
	}
	if dropped != 1 || renamed != len(retitle) {
		t.Fatalf("edited %d and dropped %d events, want %d and 1", renamed, dropped, len(retitle))
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestChangeBadges: a reload that cancels the talk running in pretalx's
// Gray Room and retitles the next one. Every view flags the retitled talk;
// none shows the cancelled one as now; the tab's agenda keeps it struck
// through in its slot. Once the change is older than the server's window
// the badges and the cancelled talk are gone, without a reload.
func TestChangeBadges(t *testing.T) {
	b := newBrowser(t)
	data, sc := corpus(t, democon)
	const (
		gone    = "Quality-focused 6thgeneration website" // Gray Room 09:30-10:00
		next    = "Secured mobile concept"                // Gray Room 10:00
		renamed = "Secured mobile concept, now hands-on"
	)
	cancelled := sessionTitled(t, sc, gone)
	track := cancelled.Track
	ts := startCorpus(t, democon, democonAt("09:40"), 1)
	// The window is short so that the test sees it end: set, then restart.
	const window = 20 * time.Second
	ts.stop()
	ts.changesRecent = window
	ts.restart()

	views := map[string]*tab{
		"tab":     b.open(t, "tab", ts.url+"/", tabOpt{width: 390, height: 844, mobile: true}),
		"screen":  b.open(t, "screen", ts.url+"/screen/"+track, tabOpt{width: 1920, height: 1080}),
		"lobby":   b.open(t, "lobby", ts.url+"/screen", tabOpt{width: 1920, height: 1080}),
		"overlay": b.open(t, "overlay", ts.url+"/overlay/"+track, tabOpt{width: 1920, height: 1080, transparent: true}),
	}
	for name, v := range views {
		v.wait(name+" showing the cancelled talk before the change", fmt.Sprintf(`document.documentElement.dataset.conn === 'open' && document.body.innerText.includes(%q)`, gone), 10*time.Second)
	}

	if err := os.WriteFile(ts.path, editEvents(t, []byte(data), gone, map[string]string{next: renamed}), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := ts.admin("POST", "/api/v1/reload", nil); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	reloaded := time.Now()

	// flagged: an element of the view whose text has the renamed title
	// carries the retitled badge, drawn by CSS.
	flagged := fmt.Sprintf(`[...document.querySelectorAll('[data-change="retitled"]')].some((el) => el.textContent.includes(%q) && getComputedStyle(el, '::before').content.includes('Retitled') && el.getClientRects().length > 0)`, renamed)
	// notNow: no element shows the cancelled talk except struck through
	// (the screen reader's region may still be saying the last transition).
	notNow := fmt.Sprintf(`![...document.querySelectorAll('body *')].some((el) => el.children.length === 0 && el.textContent.includes(%q) && !el.closest('[data-change="cancelled"], #say') && el.getClientRects().length > 0)`, gone)
	for name, v := range views {
		v.wait(name+" flagging the retitled talk", flagged+" && "+notNow, 10*time.Second)
	}
	// The tab's agenda keeps the cancelled talk in its slot, struck through.
	struck := fmt.Sprintf(`(() => { const el = document.querySelector('.track[data-key=%q] li[data-id=%q] .title'); return !!el && el.dataset.change === 'cancelled' && !el.closest('li').hidden && getComputedStyle(el).textDecorationLine === 'line-through'; })()`, track, cancelled.ID)
	views["tab"].wait("the cancelled talk struck through in the agenda", struck, 5*time.Second)
	renamedID := sessionTitled(t, sc, next).ID
	views["tab"].wait("the agenda with the new title", has(fmt.Sprintf(`li[data-id=%q] .title`, renamedID), renamed), 5*time.Second)
	if !eval[bool](views["screen"], `document.querySelector('#title').dataset.change === 'retitled' || document.querySelector('#next-title').dataset.change === 'retitled'`) {
		t.Errorf("room screen: the retitled talk is not flagged on its title or next line")
	}
	out := shotsDir(t)
	views["screen"].screenshot(out, "screen-changes-1920x1080", 1920, 1080, 0.5)
	eval[bool](views["tab"], fmt.Sprintf(`(document.querySelector('.track[data-key=%q] .agenda').open = true, document.querySelector('li[data-id=%q]').scrollIntoView({block: 'center'}), true)`, track, cancelled.ID))
	views["tab"].screenshot(out, "tab-changes-390x844", 390, 844, 1)

	// After the window: no badge, and the cancelled talk is gone.
	none := `document.querySelectorAll('[data-change]').length === 0`
	for name, v := range views {
		v.wait(name+" dropping the badges after the window", none, window+10*time.Second)
		if v == views["tab"] {
			if !eval[bool](v, fmt.Sprintf(`document.querySelector('li[data-id=%q]')?.hidden ?? true`, cancelled.ID)) {
				t.Errorf("tab: the cancelled talk is still in the agenda after the window")
			}
		}
	}
	if el := time.Since(reloaded); el < window-2*time.Second {
		t.Errorf("the badges went %v after the reload, before the %v window ended", el, window)
	}
}

// TestScreensPage: a real room screen and a phone's tab connect; the
// console's Screens page lists the screen online with its size (and counts
// the tab), and its Reload button reloads that screen, which comes back as
// the same device.
func TestScreensPage(t *testing.T) {
	b := newBrowser(t)
	_, sc := corpus(t, democon)
	track := sc.Tracks[0].ID
	ts := startCorpus(t, democon, democonAt("09:40"), 1)
	screen := b.open(t, "screen", ts.url+"/screen/"+track, tabOpt{width: 1280, height: 720})
	screen.wait("the screen connected", `document.documentElement.dataset.conn === 'open'`, 10*time.Second)
	id := eval[string](screen, `localStorage.getItem('confdash:device') || ''`)
	if id == "" {
		t.Fatal("the screen keeps no device id in localStorage")
	}

	phone := b.open(t, "phone", ts.url+"/", tabOpt{width: 390, height: 844, mobile: true})
	phone.wait("the phone's tab connected", `document.documentElement.dataset.conn === 'open'`, 10*time.Second)
	admin := b.open(t, "admin", ts.url+"/admin", tabOpt{width: 1280, height: 900})
	err := chromedp.Do(admin.ctx,
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS("#login button[type=submit]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The Screens panel loads its module when it scrolls into view: until
	// then the console neither fetches it nor polls the screens.
	admin.wait("the console", `!document.querySelector('#console').hidden`, 10*time.Second)
	if n := eval[int](admin, `performance.getEntriesByType('resource').filter((e) => e.name.includes('admin-screens.js') || e.name.includes('/api/v1/screens')).length`); n != 0 {
		t.Errorf("before the Screens panel was in view the console fetched its module or the screens %d times", n)
	}
	eval[bool](admin, `(document.querySelector('#screens').scrollIntoView(), true)`)
	row := fmt.Sprintf(`#screens-rooms .screen-room[data-key=%q] tr[data-key=%q]`, track, id)
	admin.wait("the screen listed online", fmt.Sprintf(`(() => { const r = document.querySelector(%q); return !!r && r.dataset.online === 'true' && r.querySelector('.size').textContent === '1280×720'; })()`, row), 15*time.Second)
	// A phone's tab is counted, not listed.
	admin.wait("the phone counted", has("#screens-summary", "1 phone tab")+` && document.querySelectorAll('#screens-rooms tbody tr').length === 1`, 10*time.Second)
	// Every room has its addresses with a QR code the server drew. The
	// codes load lazily, when the panel comes into view.
	eval[bool](admin, `(document.querySelector('#screens').scrollIntoView(), true)`)
	admin.wait("the QR codes", fmt.Sprintf(`(() => { const img = document.querySelector('#screens-rooms .screen-room[data-key=%q] img'); return !!img && img.complete && img.naturalWidth > 0; })()`, track), 10*time.Second)
	if got := eval[string](admin, fmt.Sprintf(`document.querySelector('#screens-rooms .screen-room[data-key=%q] a').href`, track)); got != ts.url+"/screen/"+track {
		t.Errorf("room screen address = %q, want %q", got, ts.url+"/screen/"+track)
	}
	// Each room lists its stage monitor too, with its QR code and copy button.
	stage := fmt.Sprintf(`#screens-rooms .screen-room[data-key=%q] li.screen-link:has(a[href=%q])`, track, ts.url+"/stage/"+track)
	admin.wait("the stage monitor's address", fmt.Sprintf(`(() => { const li = document.querySelector(%q); return !!li && !!li.querySelector('button.copy') && new URL(li.querySelector('img').src).searchParams.get('url') === %q; })()`, stage, ts.url+"/stage/"+track), 10*time.Second)

	eval[bool](admin, `(document.querySelector('#screens').scrollIntoView(), true)`)
	admin.screenshot(shotsDir(t), "admin-screens-1280x900", 1280, 900, 1)

	// The Reload button reloads that screen: a mark set on the page is gone.
	eval[bool](screen, `(window.beforeReload = true)`)
	eval[bool](admin, fmt.Sprintf(`(document.querySelector(%q).click(), true)`, row+" button.reload"))
	waitAcrossLoads(screen, "the screen reloaded and reconnected", `window.beforeReload === undefined && document.documentElement.dataset.conn === 'open'`, 15*time.Second)
	if got := eval[string](screen, `localStorage.getItem('confdash:device')`); got != id {
		t.Errorf("after the reload the device id is %q, want the same %q", got, id)
	}
	admin.wait("the screen listed online again, once", fmt.Sprintf(`document.querySelectorAll(%q).length === 1 && document.querySelector(%q).dataset.online === 'true'`, row, row), 15*time.Second)
}

// waitAcrossLoads is tab.wait for a page that navigates meanwhile (a
// reload): an evaluation the navigation interrupts is tried again.
func waitAcrossLoads(tb *tab, what, expr string, d time.Duration) {
	tb.t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: waiting %s for %s: last %v, %v", tb.name, d, what, ok, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
