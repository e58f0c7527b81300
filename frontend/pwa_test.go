package frontend_test

// The attendee's tab as an installed app: its manifest and Chromium's
// installability check, a reload while the server is down, and reminders of
// starred sessions shown through the service worker that follow the live
// day (a delay re-arms them; a cancelled or moved session and a full room
// notify once). Real server, real schedule, real Chromium.

import (
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/confdash/confdash/schedule"
)

// cssColour reads a custom property's first (light scheme) value from app.css:
// the manifest's colours must be the page's.
func cssColour(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("assets", "app.css"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(regexp.QuoteMeta(name) + `:\s*(#[0-9a-fA-F]{3,8});`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("app.css has no %s colour", name)
	}
	return string(m[1])
}

// TestManifest: the tab links a manifest named after the conference, with
// the page's colours and icons of the sizes a launcher needs (one of them
// maskable), and Chromium finds nothing that keeps it from being installed.
func TestManifest(t *testing.T) {
	b := newBrowser(t)
	_, s := corpus(t, thirtyOneC3)
	ts := startCorpus(t, thirtyOneC3, s.Sessions[0].Start.Add(-time.Hour), 1)

	resp, err := http.Get(ts.url + "/manifest.webmanifest")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/manifest+json" {
		t.Fatalf("GET /manifest.webmanifest: %d %q, want 200 application/manifest+json", resp.StatusCode, ct)
	}
	var m struct {
		Name, ShortName, StartURL, Display, ThemeColor, BackgroundColor string
		Icons                                                           []struct{ Src, Sizes, Type, Purpose string }
	}
	dec := json.NewDecoder(resp.Body)
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	for k, dst := range map[string]any{"name": &m.Name, "short_name": &m.ShortName, "start_url": &m.StartURL, "display": &m.Display,
		"theme_color": &m.ThemeColor, "background_color": &m.BackgroundColor, "icons": &m.Icons} {
		if err := json.Unmarshal(raw[k], dst); err != nil {
			t.Fatalf("manifest %s: %v (%s)", k, err, raw[k])
		}
	}
	if m.Name != s.Name || m.ShortName == "" || len([]rune(m.ShortName)) > 12 || m.StartURL != "/" || m.Display != "standalone" {
		t.Errorf("manifest name %q, short_name %q, start_url %q, display %q; want %q, a short name of at most 12, /, standalone",
			m.Name, m.ShortName, m.StartURL, m.Display, s.Name)
	}
	if want := cssColour(t, "--accent"); !strings.EqualFold(m.ThemeColor, want) {
		t.Errorf("theme_color %q, want app.css --accent %q", m.ThemeColor, want)
	}
	if want := cssColour(t, "--bg"); !strings.EqualFold(m.BackgroundColor, want) {
		t.Errorf("background_color %q, want app.css --bg %q", m.BackgroundColor, want)
	}
	sizes := map[string]bool{}
	for _, ic := range m.Icons {
		r, err := http.Get(ts.url + ic.Src)
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), ic.Type) {
			t.Errorf("icon %s: %d %q, want 200 %s", ic.Src, r.StatusCode, r.Header.Get("Content-Type"), ic.Type)
		}
		if ic.Type == "image/png" {
			cfg, _, err := image.DecodeConfig(r.Body)
			if err != nil {
				t.Errorf("icon %s: %v", ic.Src, err)
			} else if got := fmt.Sprintf("%dx%d", cfg.Width, cfg.Height); got != ic.Sizes {
				t.Errorf("icon %s is %s, the manifest says %s", ic.Src, got, ic.Sizes)
			}
		}
		r.Body.Close()
		sizes[ic.Type+" "+ic.Sizes+" "+ic.Purpose] = true
	}
	for _, want := range []string{"image/svg+xml any any", "image/png 192x192 any", "image/png 512x512 any", "image/png 512x512 maskable"} {
		if !sizes[want] {
			t.Errorf("the manifest has no icon %q: %v", want, sizes)
		}
	}

	// Chromium installs nothing from an incognito-like context, which every
	// other tab has (b.open): this one opens in the browser's own profile.
	ctx, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	tb := &tab{t: t, ctx: ctx, name: "tab"}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(ts.url+"/")); err != nil {
		t.Fatal(err)
	}
	tb.wait("the schedule and the service worker", `!!document.documentElement.dataset.schedule && !!navigator.serviceWorker.controller`, 15*time.Second)
	if got := eval[string](tb, `document.querySelector('link[rel=manifest]')?.href ?? ''`); got != ts.url+"/manifest.webmanifest" {
		t.Errorf("the tab links the manifest %q", got)
	}
	res, err := chromedp.Call(tb.ctx, page.GetInstallabilityErrors, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.InstallabilityErrors {
		t.Errorf("Chromium: not installable: %s %v", e.ErrorID, e.ErrorArguments)
	}
}

// TestOfflineSince: on a phone, the tab reloaded while the server is down
// shows the programme it last had, and says since when it is offline.
func TestOfflineSince(t *testing.T) {
	b := newBrowser(t)
	_, s := corpus(t, thirtyOneC3)
	a, _ := handover(t, s, 5*time.Minute)
	ts := startCorpus(t, thirtyOneC3, a.Start.Add(time.Minute), 1)
	tb := b.open(t, "tab", ts.url+"/?track="+a.Track, tabOpt{width: 390, height: 844, mobile: true})
	tb.wait("the session on now", has(card(a.Track, ".slot.now .title"), a.Title), 10*time.Second)
	tb.wait("the service worker to keep the page", `document.documentElement.dataset.offline === 'ready' && !!navigator.serviceWorker.controller`, 15*time.Second)
	loaded := ts.clock.Now()
	tb.netErrs.Store(true)
	ts.stop()
	stopped := ts.clock.Now()
	if err := chromedp.Do(tb.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	tb.wait("the last programme after the reload", has(card(a.Track, ".slot.now .title"), a.Title), 10*time.Second)
	// At once: the reload failed to connect, this is no blip to wait out.
	tb.wait("the offline notice", `!document.querySelector('#notice').hidden && document.querySelector('#notice').textContent.startsWith('Offline since ')`, 5*time.Second)
	notice := tb.text("#notice")
	// The last word from the server came between the load and the stop.
	var ok []string
	for at := loaded.Truncate(time.Minute); !at.After(stopped); at = at.Add(time.Minute) {
		ok = append(ok, fmt.Sprintf("Offline since %s — showing the schedule as last known", at.In(s.Location).Format("15:04")))
	}
	if !slices.Contains(ok, notice) {
		t.Errorf("notice %q, want one of %q", notice, ok)
	}
	if body := eval[string](tb, `document.body.innerText`); strings.Contains(body, "ERR_") {
		t.Errorf("the browser's error page: %s", body)
	}
	// The whole notice is on the phone's screen, its text inside it.
	r := eval[[]float64](tb, `(() => { const el = document.querySelector('#notice'); const r = el.getBoundingClientRect(); return [r.left, r.right, innerWidth, el.scrollWidth, el.clientWidth]; })()`)
	if r[0] < 0 || r[1] > r[2] || r[3] > r[4] {
		t.Errorf("the notice spans %.0f to %.0f px of a %.0f px screen, its text %.0f px in a box of %.0f", r[0], r[1], r[2], r[3], r[4])
	}
	shoot(t, tb, "tab-offline")
}

// shoot takes the tab at the sizes people use, into $CONFDASH_TEST_OUTPUT.
func shoot(t *testing.T, tb *tab, name string) {
	out := os.Getenv("CONFDASH_TEST_OUTPUT")
	if out == "" {
		return
	}
	for _, sz := range [][2]int64{{390, 844}, {1280, 720}, {1920, 1080}} {
		var emu []chromedp.EmulateViewportOption
		if sz[0] < 500 {
			emu = append(emu, chromedp.EmulateMobile)
		}
		if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(sz[0], sz[1], emu...)); err != nil {
			t.Fatal(err)
		}
		tb.screenshot(out, fmt.Sprintf("%s-%dx%d", name, sz[0], sz[1]), sz[0], sz[1], 0)
	}
}

// grantPermissions is Browser.grantPermissions, which this cdproto lacks.
var grantPermissions = cdp.Command[grantParams, cdp.Empty]{Method: "Browser.grantPermissions"}

type grantParams struct {
	Permissions      []string             `json:"permissions"`
	Origin           string               `json:"origin,omitempty"`
	BrowserContextID cdp.BrowserContextID `json:"browserContextId,omitempty"`
}

// recordNotifications runs before the page's scripts: it stars ids, turns
// reminders on lead minutes ahead (what the settings store), and records
// every notification the page shows through the service worker, with the
// page's server time, in globalThis.shown.
func recordNotifications(ids []string, lead int) string {
	stars, _ := json.Marshal(ids)
	return fmt.Sprintf(`(() => {
  if (location.protocol !== 'http:') return; // about:blank, before the test's page
  localStorage.setItem('confdash:favs', %q);
  localStorage.setItem('confdash:notify', '1');
  localStorage.setItem('confdash:remind-lead', '%d');
  const shown = (globalThis.shown = []);
  const real = ServiceWorkerRegistration.prototype.showNotification;
  ServiceWorkerRegistration.prototype.showNotification = function (title, opts) {
    shown.push({ title, body: opts?.body || '', at: globalThis.confdash ? confdash.clock.now() : 0 });
    return real.call(this, title, opts);
  };
})();`, stars, lead)
}

// notification is one that the page showed, as recordNotifications keeps it.
type notification struct {
	Title, Body string
	At          float64 // the page's server time, ms
}

// quietBefore finds a talk whose track has nothing on for the hour before
// it (a delay posted then applies to it, not to a session still running),
// with a title that needs no XML escape.
func quietBefore(t *testing.T, s *schedule.Schedule) schedule.Session {
	t.Helper()
	for _, x := range s.Sessions {
		if x.Kind == schedule.KindBreak || strings.ContainsAny(x.Title, "&<>'\"") || x.End.Sub(x.Start) < 30*time.Minute {
			continue
		}
		busy := false
		for _, y := range s.Sessions {
			if y.Track == x.Track && y.ID != x.ID && y.Start.Before(x.Start) && y.End.After(x.Start.Add(-time.Hour)) {
				busy = true
			}
		}
		if !busy {
			return x
		}
	}
	t.Fatal("no talk with a quiet hour before it")
	return schedule.Session{}
}

// eventBlock is the <event> element of id in a frab file.
func eventBlock(t *testing.T, xml, id string) (from, to int) {
	t.Helper()
	from = strings.Index(xml, "id='"+id+"'>")
	if from < 0 {
		t.Fatalf("no event %s in the schedule", id)
	}
	from = strings.LastIndex(xml[:from], "<event ")
	to = from + strings.Index(xml[from:], "</event>") + len("</event>")
	return from, to
}

// TestReminders: a starred talk's reminder is shown through the service
// worker registration lead minutes before its estimated start; a delay
// posted before it re-arms it to the new estimate (and the old instant
// passes silently); a starred talk cancelled, one moved, a full room and a
// room moved by an organizer each notify once.
func TestReminders(t *testing.T) {
	b := newBrowser(t)
	data, s := corpus(t, thirtyOneC3)
	a := quietBefore(t, s)
	// Two more starred talks later that day: one to move, one to cancel.
	var later []schedule.Session
	for _, x := range s.Sessions {
		if x.ID != a.ID && x.Kind != schedule.KindBreak && x.Start.After(a.End) && x.Start.Sub(a.Start) < 8*time.Hour && !strings.ContainsAny(x.Title, "&<>'\"") {
			later = append(later, x)
		}
	}
	if len(later) < 2 {
		t.Fatal("fewer than two talks after the first")
	}
	moved, cancelled := later[0], later[1]

	// A rehearsal clock a minute a second: the 15-minute reminder is due
	// 15 s after the start, unless the 10-minute delay moves it 10 s later.
	const lead = 15
	ts := startCorpus(t, thirtyOneC3, a.Start.Add(-30*time.Minute), 60)
	tb := b.open(t, "tab", ts.url+"/", tabOpt{width: 390, height: 844, mobile: true, init: recordNotifications([]string{a.ID, moved.ID, cancelled.ID}, lead)})
	bc := chromedp.FromContext(tb.ctx).BrowserContextID
	if _, err := chromedp.CallBrowser(tb.ctx, grantPermissions, grantParams{Permissions: []string{"notifications"}, Origin: ts.url, BrowserContextID: bc}); err != nil {
		t.Fatalf("grant notifications: %v", err)
	}
	first := a.Start.Add(-lead * time.Minute)
	tb.wait("the reminder armed at its scheduled instant", fmt.Sprintf(`document.querySelector('#reminders').dataset.nextAt === '%d'`, first.UnixMilli()), 10*time.Second)
	if got := tb.text("#reminders .remind-next"); !strings.Contains(got, a.Title) {
		t.Errorf("the settings say %q, want the next reminder's title %q", got, a.Title)
	}

	if code, body := ts.admin("POST", "/api/v1/tracks/"+a.Track+"/delay", map[string]int{"minutes": 10}); code != http.StatusOK {
		t.Fatalf("post delay: %d %s", code, body)
	}
	second := first.Add(10 * time.Minute)
	tb.wait("the reminder re-armed after the delay", fmt.Sprintf(`document.querySelector('#reminders').dataset.nextAt === '%d'`, second.UnixMilli()), 5*time.Second)
	if now := ts.clock.Now(); !now.Before(first) {
		t.Fatalf("the delay reached the page at %s, after the first reminder's instant %s: the machine is too slow for this test", now, first)
	}

	tb.wait("the reminder", fmt.Sprintf(`shown.some((n) => n.title === %q)`, a.Title), 30*time.Second)
	shown := eval[[]notification](tb, `shown`)
	n := shown[slices.IndexFunc(shown, func(x notification) bool {
		return x.Title == a.Title
	})]
	at := time.UnixMilli(int64(n.At))
	if at.Before(second.Add(-2*time.Second)) || at.After(second.Add(time.Minute)) {
		t.Errorf("the reminder showed at %s, want at %s (15 min before the estimated start %s)", at.In(s.Location).Format(time.TimeOnly),
			second.In(s.Location).Format(time.TimeOnly), a.Start.Add(10*time.Minute).In(s.Location).Format(time.TimeOnly))
	}
	if want := "Starts at " + a.Start.Add(10*time.Minute).In(s.Location).Format("15:04") + " (10 min late)"; !strings.HasPrefix(n.Body, want) {
		t.Errorf("reminder body %q, want it to start %q", n.Body, want)
	}
	// The service worker's registration holds it (asked again at each poll:
	// the answer is a promise).
	tb.wait("the reminder among the registration's notifications", fmt.Sprintf(
		`(navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((l) => (globalThis.held = l.map((n) => n.title))), (globalThis.held || []).includes(%q))`, a.Title), 5*time.Second)

	// The schedule changes: one starred talk moves 15 minutes, another is
	// taken out.
	xml := data
	from, to := eventBlock(t, xml, moved.ID)
	ev := xml[from:to]
	newStart := moved.Start.Add(15 * time.Minute).In(s.Location)
	ev = regexp.MustCompile(`<date>[^<]*</date>`).ReplaceAllString(ev, "<date>"+newStart.Format(time.RFC3339)+"</date>")
	ev = regexp.MustCompile(`<start>[^<]*</start>`).ReplaceAllString(ev, "<start>"+newStart.Format("15:04")+"</start>")
	xml = xml[:from] + ev + xml[to:]
	from, to = eventBlock(t, xml, cancelled.ID)
	xml = xml[:from] + xml[to:]
	if err := os.WriteFile(ts.path, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := ts.admin("POST", "/api/v1/reload", nil); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	tb.wait("the moved and cancelled notifications", fmt.Sprintf(`shown.some((n) => n.title === %q) && shown.some((n) => n.title.endsWith(%q))`, "Moved: "+moved.Title, cancelled.Title), 10*time.Second)

	// The first talk's room fills up while it is next.
	if code, body := ts.admin("POST", "/api/v1/tracks/"+a.Track+"/status", map[string]string{"status": "full"}); code != http.StatusOK {
		t.Fatalf("room full: %d %s", code, body)
	}
	tb.wait("the room full notification", fmt.Sprintf(`shown.some((n) => n.title === %q)`, "Room full: "+a.Title), 10*time.Second)

	// An organizer moves the first talk's room: it says where to go.
	var other schedule.Track
	for _, tr := range s.Tracks {
		if tr.ID != a.Track {
			other = tr
			break
		}
	}
	if code, body := ts.admin("POST", "/api/v1/tracks/"+a.Track+"/status", map[string]string{"status": "moved", "moved_to": other.ID}); code != http.StatusOK {
		t.Fatalf("room moved: %d %s", code, body)
	}
	tb.wait("the room moved notification", fmt.Sprintf(`shown.some((n) => n.title === %q && n.body.endsWith(%q))`, "Moved: "+a.Title, " in "+other.Name), 10*time.Second)

	// Each change said once, however many checks ran since (a talk in the
	// moved room may be told twice that it moved: once per change).
	shown = eval[[]notification](tb, `shown`)
	count := map[string]int{}
	for _, x := range shown {
		count[x.Title+" / "+x.Body]++
	}
	for what, n := range count {
		if n != 1 {
			t.Errorf("%q shown %d times, want once: %v", what, n, shown)
		}
	}
	if body := shown[slices.IndexFunc(shown, func(x notification) bool {
		return x.Title == "Moved: "+moved.Title
	})].Body; !strings.Contains(body, newStart.Format("15:04")) {
		t.Errorf("moved notification %q, want the new time %s", body, newStart.Format("15:04"))
	}
	shoot(t, tb, "tab-reminders")
}

// iPhoneSafari is the user agent of Safari on an iPhone: outside an app
// added to the Home Screen (navigator.standalone), it shows no notifications.
const iPhoneSafari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

// TestRemindToggleFirst: the reminder toggle is in the tab from the start,
// before any star and without remind.js (which is not part of the first
// load); pressing it loads the settings and turns reminders on in that one
// press, a reload keeps them on, and in the longest of the languages the
// first star moves nothing on a phone.
func TestRemindToggleFirst(t *testing.T) {
	b := newBrowser(t)
	_, s := corpus(t, thirtyOneC3)
	a := quietBefore(t, s)
	ts := startCorpus(t, thirtyOneC3, a.Start.Add(-30*time.Minute), 1)
	ready := `document.documentElement.dataset.schedule && document.documentElement.dataset.conn === 'open'`
	remindJS := `performance.getEntriesByType('resource').some((e) => e.name.endsWith('/remind.js'))`

	tb := b.open(t, "tab", ts.url+"/", tabOpt{width: 390, height: 844, mobile: true})
	bc := chromedp.FromContext(tb.ctx).BrowserContextID
	if _, err := chromedp.CallBrowser(tb.ctx, grantPermissions, grantParams{Permissions: []string{"notifications"}, Origin: ts.url, BrowserContextID: bc}); err != nil {
		t.Fatalf("grant notifications: %v", err)
	}
	tb.wait("the tab", ready, 10*time.Second)
	if !eval[bool](tb, `document.querySelector('#reminders .remind-on').checkVisibility()`) {
		t.Fatal("no reminder toggle before the first star")
	}
	if eval[bool](tb, remindJS) {
		t.Error("the first load fetched remind.js: it must load with a star or the toggle")
	}
	click(tb, "#reminders .remind-on")
	tb.wait("reminders on after one press", `document.querySelector('#reminders').dataset.reminders === 'on' && document.querySelector('#reminders .remind-on').getAttribute('aria-pressed') === 'true'`, 10*time.Second)
	if got := eval[string](tb, `localStorage.getItem('confdash:notify')`); got != "1" {
		t.Errorf("after the press confdash:notify = %q, want 1", got)
	}
	if !eval[bool](tb, `document.querySelector('#reminders .remind-lead').checkVisibility()`) {
		t.Error("the lead is not offered once reminders are on")
	}
	reload(tb, ready)
	tb.wait("reminders still on after a reload, with no star", `document.querySelector('#reminders').dataset.reminders === 'on' && document.querySelector('#reminders .remind-on').getAttribute('aria-pressed') === 'true'`, 10*time.Second)

	// In German, with its longer words, on a phone: the tools take the same
	// rows before and after the first star.
	de := b.open(t, "tab de", ts.url+"/?lang=de", tabOpt{width: 390, height: 844, mobile: true})
	de.wait("the tab in German", ready, 10*time.Second)
	if got := de.text("#reminders .remind-on"); got != "An Markierte erinnern" {
		t.Errorf("the German toggle reads %q", got)
	}
	const navTop = `document.querySelector('nav.views').getBoundingClientRect().top + scrollY`
	before := eval[float64](de, navTop)
	click(de, card(a.Track, ".slot.next .star")) // nothing on in that room for the hour before a
	de.wait("the reminder settings after the first star", `!!document.querySelector('#reminders').dataset.reminders`, 10*time.Second)
	if after := eval[float64](de, navTop); after != before {
		t.Errorf("the first star moved the views' bar from %.1f to %.1f px", before, after)
	}
	if got := de.text("#reminders .remind-on"); got != "An Markierte erinnern" {
		t.Errorf("after the first star the German toggle reads %q", got)
	}
}

// TestRemindersCannot: where no reminder can be shown (notifications
// refused for the site; an iPhone's browser outside an installed app), the
// tab says so plainly, hides the toggle and offers the calendar instead.
func TestRemindersCannot(t *testing.T) {
	b := newBrowser(t)
	_, s := corpus(t, thirtyOneC3)
	a := quietBefore(t, s)
	ts := startCorpus(t, thirtyOneC3, a.Start.Add(-30*time.Minute), 1)
	for _, c := range []struct {
		name, why, says string
		setup           func(tb *tab)
	}{
		{"denied", "denied", "Notifications are blocked for this site in your browser settings, so no reminders can be shown.", func(tb *tab) {
			bc := chromedp.FromContext(tb.ctx).BrowserContextID
			if _, err := chromedp.CallBrowser(tb.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: "notifications"}, Setting: cdpbrowser.PermissionSettingDenied, Origin: ts.url, BrowserContextID: bc,
			}); err != nil {
				t.Fatalf("deny notifications: %v", err)
			}
		}},
		{"iphone", "ios", "On iPhone and iPad, reminders work only once this page is added to the Home Screen (Share, then “Add to Home Screen”).", func(tb *tab) {
			if _, err := chromedp.Call(tb.ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: iPhoneSafari, Platform: "iPhone"}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := b.open(t, c.name, "about:blank", tabOpt{width: 390, height: 844, mobile: true, init: recordNotifications([]string{a.ID}, 10)})
			c.setup(tb)
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(ts.url+"/")); err != nil {
				t.Fatal(err)
			}
			tb.wait("the reminders refused", fmt.Sprintf(`document.querySelector('#reminders').dataset.reminders === %q`, c.why), 10*time.Second)
			msg := eval[[]string](tb, `[...document.querySelectorAll('#reminders .remind-msg')].filter((e) => e.checkVisibility()).map((e) => e.innerText)`)
			if want := c.says + " Add the starred sessions to your calendar instead."; len(msg) != 1 || msg[0] != want {
				t.Errorf("the tab says %q, want %q", msg, want)
			}
			if got := eval[string](tb, `document.querySelector('#reminders .remind-cal').getAttribute('href')`); got != "/schedule.ics?sessions="+a.ID {
				t.Errorf("calendar link %q, want the starred session's", got)
			}
			if eval[bool](tb, `document.querySelector('#reminders .remind-on').checkVisibility()`) {
				t.Error("the reminder toggle shows where no reminder can be shown")
			}
			shoot(t, tb, "tab-reminders-"+c.name)
		})
	}
}
