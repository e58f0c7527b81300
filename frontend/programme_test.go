package frontend_test

// The attendee's whole programme in the tab, on a phone: a real three-day
// schedule (pretalx's demo conference), day switching, a session's detail,
// search and filters, stars from a now card and from the programme, My
// schedule with a clash and its calendar link, deep links across a reload
// and the back button, and the first load's budget.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/confdash/confdash/schedule"
	"github.com/confdash/confdash/server"
)

// programmeDoc is what the tab reads: GET /api/v1/schedule.
type programmeDoc struct {
	Days []struct {
		Start, End time.Time
	}
	Tracks []struct {
		ID, Name  string
		StreamURL string `json:"stream_url"`
	}
	Sessions []struct {
		ID, Track, Title, Subtitle string
		Start, End                 time.Time
		EstStart                   time.Time `json:"est_start"`
		EstEnd                     time.Time `json:"est_end"`
		Speakers                   []schedule.Speaker
		Tags                       []string
	}
}

func fetchProgramme(t *testing.T, base string) programmeDoc {
	t.Helper()
	r, err := http.Get(base + "/api/v1/schedule")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var d programmeDoc
	if err := json.NewDecoder(r.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// ids lists the cards a list shows, by session id, in their order.
func ids(tb *tab, sel string) []string {
	return eval[[]string](tb, fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => e.dataset.id)`, sel))
}

func sorted(x []string) []string {
	x = slices.Clone(x)
	slices.Sort(x)
	return x
}

// goTo navigates the page by its address, as a link or a typed URL would.
func goTo(tb *tab, hash string) {
	tb.t.Helper()
	eval[bool](tb, fmt.Sprintf(`(location.hash = %q, true)`, hash))
}

// reload loads the page again at its address and waits for the new
// document to be connected.
func reload(tb *tab, ready string) {
	tb.t.Helper()
	eval[bool](tb, `(window.beforeReload = true, location.reload(), true)`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`!window.beforeReload && !!(`+ready+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: the page did not load again: %v", tb.name, err)
		}
	}
}

func click(tb *tab, sel string) {
	tb.t.Helper()
	tb.wait(sel+" to show", fmt.Sprintf(`document.querySelector(%q)?.getClientRects().length > 0`, sel), 5*time.Second)
	eval[bool](tb, fmt.Sprintf(`(document.querySelector(%q).scrollIntoView({block: 'center'}), true)`, sel))
	// chromedp.Click aims at the middle of the element's first box: wait
	// until that box holds still over two frames and the element is what
	// its middle hits (a lazily mounted panel above it moves it down).
	tb.wait(sel+" to hold still", fmt.Sprintf(`new Promise((ok) => {
		const el = document.querySelector(%q);
		const box = () => el.getClientRects()[0]; // chromedp clicks the first box's middle
		const at = () => { const r = box(); return r ? [r.x, r.y, r.width, r.height].join() : ''; };
		const a = at();
		requestAnimationFrame(() => requestAnimationFrame(() => {
			const r = box();
			if (!r) return ok(false);
			const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
			ok(at() === a && !!hit && (hit === el || el.contains(hit)));
		}));
	})`, sel), 5*time.Second)
	if err := chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		tb.t.Fatalf("%s: click %s: %v", tb.name, sel, err)
	}
}

func TestProgramme(t *testing.T) {
	b := newBrowser(t)
	out := shotsDir(t)

	// The real schedule, with a stream for the Gray Room and a feedback
	// address on one talk (the demo conference publishes neither).
	ts := corpusServer(t, democon, server.NewClock(democonAt("09:40"), 1))
	s := ts.sched
	const stream = "https://stream.example.org/gray"
	const feedback = "https://cfp.example.org/democon/talk/FX38ZD/feedback/"
	var gray, tan string
	for i, tr := range s.Tracks {
		switch tr.Name {
		case "Gray Room":
			gray = tr.ID
			s.Tracks[i].StreamURL = stream
		case "Tan Room":
			tan = tr.ID
		}
	}
	detail := sessionTitled(t, s, "User-centric non-volatile moderator") // day 2, Gray Room
	for i := range s.Sessions {
		if s.Sessions[i].ID == detail.ID {
			s.Sessions[i].FeedbackURL = feedback
		}
	}
	// 09:40 on day 1: "Quality-focused 6thgeneration website" runs in the
	// Gray Room, "Managed stable function" (09:00–10:30) in the Tan Room.
	ts.start()
	doc := fetchProgramme(t, ts.url)
	if len(doc.Days) != 3 {
		t.Fatalf("the demo conference has %d days, want 3", len(doc.Days))
	}
	for _, tr := range doc.Tracks {
		if tr.ID == gray && tr.StreamURL != stream {
			t.Fatalf("the schedule document gives the Gray Room stream_url %q, want %q", tr.StreamURL, stream)
		}
	}
	onDay := func(i int) []string {
		var out []string
		for _, x := range doc.Sessions {
			if !x.Start.Before(doc.Days[i].Start) && x.Start.Before(doc.Days[i].End) {
				out = append(out, x.ID)
			}
		}
		return out
	}
	grayNow := sessionTitled(t, s, "Quality-focused 6thgeneration website")
	tanNow := sessionTitled(t, s, "Managed stable function")

	ready := `document.documentElement.dataset.schedule && document.documentElement.dataset.conn === 'open'`
	phone := b.open(t, "tab", ts.url+"/", tabOpt{width: 390, height: 844, mobile: true})
	phone.wait("the tracks", ready+` && document.querySelectorAll('.track').length === 2`, 10*time.Second)

	// The first load: within the budget, and without the programme's code.
	if n := phone.transferred(); n > budget {
		t.Errorf("the tab's first load transferred %d bytes, over the %d-byte budget", n, budget)
	} else {
		t.Logf("the tab's first load transferred %.1f KB compressed", float64(n)/1024)
	}
	if eval[bool](phone, `performance.getEntriesByType('resource').some((e) => e.name.includes('programme.js'))`) {
		t.Errorf("the first load fetched programme.js: it must load when the programme is opened")
	}

	// A star on the now card.
	phone.wait("the Gray Room's talk now", has(card(gray, ".slot.now .title"), grayNow.Title), 5*time.Second)
	// The first star loads the reminder settings into the header, whose
	// toggle was there already: nothing below it moves.
	const navTop = `document.querySelector('nav.views').getBoundingClientRect().top + scrollY`
	before := eval[float64](phone, navTop)
	click(phone, card(gray, ".slot.now .star"))
	phone.wait("the reminder settings after the first star", `!!document.querySelector('#reminders').dataset.reminders`, 5*time.Second)
	if after := eval[float64](phone, navTop); after != before {
		t.Errorf("the first star moved the views' bar from %.1f to %.1f px: the page jumps under the viewer's finger", before, after)
	}
	if got := eval[string](phone, `localStorage.getItem('confdash:favs')`); got != fmt.Sprintf(`[%q]`, grayNow.ID) {
		t.Errorf("after the now card's star, starred = %s, want [%q]", got, grayNow.ID)
	}
	if got := eval[string](phone, fmt.Sprintf(`document.querySelector(%q).getAttribute('aria-pressed')`, card(gray, ".slot.now .star"))); got != "true" {
		t.Errorf("the now card's star is pressed=%s after a click", got)
	}
	if got := phone.text(card(gray, ".slot.now .lang")); got != "EN" {
		t.Errorf("the now card's language badge reads %q, want EN", got)
	}

	// The programme opens on today, day 1, and lists day 1's sessions.
	click(phone, "#to-prog")
	phone.wait("day 1's programme", `location.hash === '#/day/1' && document.querySelectorAll('#prog-list .p-card').length > 0`, 10*time.Second)
	if got, want := sorted(ids(phone, "#prog-list .p-card")), sorted(onDay(0)); !slices.Equal(got, want) {
		t.Errorf("day 1 lists %q, want %q", got, want)
	}
	// The keyboard focus follows the link to the view it opened.
	phone.wait("the focus on the programme's heading", `document.activeElement?.id === 'prog-h'`, 5*time.Second)
	phone.screenshot(out, "tab-programme", 390, 844, 1)
	// Day 2: its sessions, by the schedule document.
	click(phone, `#days a[href^="#/day/2"]`)
	phone.wait("day 2's programme", `location.hash === '#/day/2' && document.querySelector('#days [aria-current=page]').textContent.startsWith('Day 2')`, 5*time.Second)
	if got, want := sorted(ids(phone, "#prog-list .p-card")), sorted(onDay(1)); !slices.Equal(got, want) {
		t.Errorf("day 2 lists %q, want %q", got, want)
	}
	if got := eval[int](phone, `document.documentElement.scrollWidth`); got > 390 {
		t.Errorf("the programme on a phone is %dpx wide, want no horizontal scroll", got)
	}

	// A star from the programme: day 1's Tan Room talk, which overlaps the
	// Gray Room's.
	click(phone, `#days a[href^="#/day/1"]`)
	phone.wait("day 1 again", fmt.Sprintf(`location.hash === '#/day/1' && document.querySelector('#prog-list .p-card[data-id=%q]')`, tanNow.ID), 5*time.Second)
	click(phone, fmt.Sprintf(`#prog-list .p-card[data-id=%q] .star`, tanNow.ID))
	phone.wait("both starred", fmt.Sprintf(`JSON.parse(localStorage.getItem('confdash:favs')).sort().join() === %q`, strings.Join(sorted([]string{grayNow.ID, tanNow.ID}), ",")), 5*time.Second)

	// My schedule: both, the clash marked on each, and the calendar links.
	click(phone, "#to-mine")
	phone.wait("My schedule", `location.hash === '#/mine' && document.querySelectorAll('#mine .p-card').length === 2`, 10*time.Second)
	if got := ids(phone, "#mine .p-card.clash"); len(got) != 2 {
		t.Errorf("clashes marked on %q, want both starred talks", got)
	}
	if got := phone.text(fmt.Sprintf(`#mine .p-card[data-id=%q] .clash-note`, grayNow.ID)); !strings.Contains(got, tanNow.Title) {
		t.Errorf("the Gray Room talk's clash note reads %q, want it to name %q", got, tanNow.Title)
	}
	sub := eval[string](phone, `document.querySelector('#subscribe').href`)
	u, err := url.Parse(sub)
	if err != nil || u.Scheme != "webcal" || u.Host != ts.addr || u.Path != "/schedule.ics" {
		t.Errorf("Subscribe links to %q, want webcal://%s/schedule.ics?sessions=…", sub, ts.addr)
	} else if got := sorted(strings.Split(u.Query().Get("sessions"), ",")); !slices.Equal(got, sorted([]string{grayNow.ID, tanNow.ID})) {
		t.Errorf("Subscribe lists sessions %q, want the two starred", got)
	}
	copyLink := eval[string](phone, `document.querySelector('#subscribe-copy').href`)
	if !strings.HasPrefix(copyLink, ts.url+"/schedule.ics?sessions=") {
		t.Fatalf("the link to copy is %q, want %s/schedule.ics?sessions=…", copyLink, ts.url)
	}
	// The server's calendar at that address holds the two starred talks.
	resp, err := http.Get(copyLink)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", copyLink, resp.StatusCode, body)
	}
	var summaries []string
	for _, l := range parseICS(t, string(body)) {
		// SUMMARY, with parameters (LANGUAGE=en) or without.
		if name, v, ok := strings.Cut(l, ":"); ok && strings.Split(name, ";")[0] == "SUMMARY" {
			summaries = append(summaries, v)
		}
	}
	if got, want := sorted(summaries), sorted([]string{grayNow.Title, tanNow.Title}); !slices.Equal(got, want) {
		t.Errorf("the subscribed calendar holds %q, want %q", got, want)
	}
	phone.screenshot(out, "tab-mine", 390, 844, 1)

	// The detail, from a card of day 2.
	goTo(phone, "#/day/2")
	phone.wait("day 2", `location.hash === '#/day/2' && document.querySelectorAll('#prog-list .p-card').length > 0`, 5*time.Second)
	click(phone, fmt.Sprintf(`#prog-list .p-card[data-id=%q] .p-title a`, detail.ID))
	checkDetail := func() {
		t.Helper()
		phone.wait("the detail", fmt.Sprintf(`location.hash === %q && !document.querySelector('#detail').hidden`, "#/session/"+detail.ID)+" && "+has("#detail .d-title", detail.Title), 10*time.Second)
		if got := phone.text("#detail .d-abstract"); got != detail.Abstract {
			t.Errorf("the detail's abstract reads %q, want %q", got, detail.Abstract)
		}
		sp := eval[[]string](phone, `[...document.querySelectorAll('#detail .d-speakers li')].map((li) => li.textContent)`)
		if len(sp) != len(detail.Speakers) {
			t.Errorf("the detail lists speakers %q, want %v", sp, detail.Speakers)
		}
		for i, p := range detail.Speakers {
			if i >= len(sp) {
				break
			}
			if !strings.Contains(sp[i], p.Name) || !strings.Contains(sp[i], p.Affiliation) {
				t.Errorf("the detail's speaker %d reads %q, want %s (%s)", i, sp[i], p.Name, p.Affiliation)
			}
		}
		links := eval[map[string]string](phone, `Object.fromEntries([...document.querySelectorAll('#detail .d-links a')].map((a) => [a.className, a.href]))`)
		want := map[string]string{"d-watch": stream, "d-url": detail.URL, "d-feedback": feedback}
		if fmt.Sprint(links) != fmt.Sprint(want) {
			t.Errorf("the detail links to %v, want %v", links, want)
		}
		if got := phone.text("#detail"); strings.Contains(got, "null") || strings.Contains(got, "undefined") {
			t.Errorf("the detail shows a missing value: %q", got)
		}
		if got := phone.text("#detail .d-room"); !strings.Contains(got, "Gray Room") {
			t.Errorf("the detail's room reads %q", got)
		}
		if got := phone.text("#detail .d-kind .lang"); got != "EN" {
			t.Errorf("the detail's language badge reads %q, want EN", got)
		}
	}
	checkDetail()
	phone.wait("the focus on the detail's title", `document.activeElement === document.querySelector('#detail .d-title')`, 5*time.Second)
	phone.screenshot(out, "tab-detail", 390, 844, 1)

	// Deep links: a reload keeps the detail; the back button returns to day 2.
	reload(phone, ready)
	checkDetail()
	eval[bool](phone, `(history.back(), true)`)
	phone.wait("day 2 after back", `location.hash === '#/day/2' && !document.querySelector('#prog').hidden && document.querySelectorAll('#prog-list .p-card').length > 0`, 5*time.Second)

	// A delay and a full room reach the detail: the expected time beside the
	// scheduled one, the room's status.
	nextGray := sessionTitled(t, s, "Secured mobile concept") // after the Gray Room's talk now
	if code, body := ts.admin("POST", "/api/v1/tracks/"+gray+"/delay", map[string]int{"minutes": 7}); code != http.StatusOK {
		t.Fatalf("delay: %d %s", code, body)
	}
	if code, body := ts.admin("POST", "/api/v1/tracks/"+gray+"/status", map[string]string{"status": "full"}); code != http.StatusOK {
		t.Fatalf("room status: %d %s", code, body)
	}
	var est string
	for _, x := range fetchProgramme(t, ts.url).Sessions {
		if x.ID == nextGray.ID {
			if !x.EstStart.After(x.Start) {
				t.Fatalf("the delay did not move %q: estimated %s, scheduled %s", x.Title, x.EstStart, x.Start)
			}
			est = x.EstStart.UTC().Format("15:04") + "–" + x.EstEnd.UTC().Format("15:04") // the demo conference's zone is UTC
		}
	}
	goTo(phone, "#/session/"+nextGray.ID)
	phone.wait("the expected time and the full room", has("#detail .d-estimated", est)+" && "+has("#detail .d-status", "Room full"), 10*time.Second)
	if got, want := phone.text("#detail .d-scheduled"), nextGray.Start.UTC().Format("15:04"); !strings.Contains(got, want) {
		t.Errorf("the detail's scheduled time reads %q, want it to hold %s", got, want)
	}
	eval[bool](phone, `(history.back(), true)`)
	phone.wait("day 2 again", `location.hash === '#/day/2'`, 5*time.Second)

	// Search: a speaker's name finds their talks over every day.
	const who = "Curtis Andrews"
	var want []string
	for _, x := range doc.Sessions {
		hay := strings.ToLower(x.Title + " " + x.Subtitle + " " + fmt.Sprint(x.Speakers) + " " + strings.Join(x.Tags, " "))
		if strings.Contains(hay, "curtis") && strings.Contains(hay, "andrews") {
			want = append(want, x.ID)
		}
	}
	if len(want) < 2 {
		t.Fatalf("%s gives %d talks in the demo conference, want several", who, len(want))
	}
	if err := chromedp.Do(phone.ctx, chromedp.SendKeys(chromedp.CSS("#q"), who)); err != nil {
		t.Fatal(err)
	}
	phone.wait("the search's results", fmt.Sprintf(`document.querySelectorAll('#prog-list .p-card').length === %d`, len(want)), 5*time.Second)
	if got := sorted(ids(phone, "#prog-list .p-card")); !slices.Equal(got, sorted(want)) {
		t.Errorf("a search for %s finds %q, want %q", who, got, sorted(want))
	}
	if got := eval[string](phone, `location.hash`); got != "#/day/2?q=Curtis+Andrews" {
		t.Errorf("the search is not in the address: %s", got)
	}
	// It survives a reload.
	reload(phone, ready)
	phone.wait("the search after a reload", ready+fmt.Sprintf(` && document.querySelector('#q')?.value === %q && document.querySelectorAll('#prog-list .p-card').length === %d`, who, len(want)), 10*time.Second)
	// No match says so.
	eval[bool](phone, `(() => { const q = document.querySelector('#q'); q.value = 'xylophone quartz'; q.dispatchEvent(new Event('input')); return true })()`)
	phone.wait("no match", `document.querySelectorAll('#prog-list .p-card').length === 0`+" && "+has("#prog-count", "No session matches “xylophone quartz”"), 5*time.Second)

	// Filters: a room, then a topic, on day 3.
	goTo(phone, "#/day/3")
	phone.wait("day 3", `location.hash === '#/day/3' && document.querySelectorAll('#prog-list .p-card').length > 0`, 5*time.Second)
	filter := func(sel, v string) {
		eval[bool](phone, fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('input')); return true })()`, sel, v))
	}
	byID := map[string]int{}
	for i, x := range doc.Sessions {
		byID[x.ID] = i
	}
	filter("#f-track", tan)
	phone.wait("the Tan Room only", `location.hash.includes('track=')`, 5*time.Second)
	var wantTan []string
	for _, id := range onDay(2) {
		if doc.Sessions[byID[id]].Track == tan {
			wantTan = append(wantTan, id)
		}
	}
	if got := sorted(ids(phone, "#prog-list .p-card")); !slices.Equal(got, sorted(wantTan)) {
		t.Errorf("day 3 in the Tan Room lists %q, want %q", got, sorted(wantTan))
	}
	filter("#f-track", "")
	tag := doc.Sessions[byID[onDay(2)[0]]].Tags[0]
	filter("#f-tag", tag)
	var wantTag []string
	for _, id := range onDay(2) {
		if slices.Contains(doc.Sessions[byID[id]].Tags, tag) {
			wantTag = append(wantTag, id)
		}
	}
	if len(wantTag) == len(onDay(2)) {
		t.Fatalf("every session of day 3 has the topic %q: the filter would show nothing", tag)
	}
	phone.wait("the topic filter", fmt.Sprintf(`document.querySelectorAll('#prog-list .p-card').length === %d`, len(wantTag)), 5*time.Second)
	if got := sorted(ids(phone, "#prog-list .p-card")); !slices.Equal(got, sorted(wantTag)) {
		t.Errorf("day 3 on topic %q lists %q, want %q", tag, got, sorted(wantTag))
	}

	// A starred talk cancelled by a schedule reload: struck through with its
	// badge in My schedule and in the programme, and no longer a clash.
	data, _ := corpus(t, democon)
	if err := os.WriteFile(ts.path, editEvents(t, []byte(data), grayNow.Title, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := ts.admin("POST", "/api/v1/reload", nil); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	struck := func(sel string) string {
		return fmt.Sprintf(`(() => { const el = document.querySelector(%q); return !!el && el.dataset.change === 'cancelled' && getComputedStyle(el).textDecorationLine.includes('line-through') && getComputedStyle(el, '::before').content.includes('Cancelled'); })()`, sel)
	}
	goTo(phone, "#/mine")
	phone.wait("the cancelled talk struck through in My schedule", struck(fmt.Sprintf(`#mine .p-card[data-id=%q] .p-title`, grayNow.ID))+` && document.querySelectorAll('#mine .p-card.clash').length === 0`, 10*time.Second)
	goTo(phone, "#/day/1")
	phone.wait("the cancelled talk struck through in the programme", struck(fmt.Sprintf(`#prog-list .p-card[data-id=%q] .p-title`, grayNow.ID)), 5*time.Second)

	// The larger screens, to look at.
	filter("#f-tag", "")
	for _, size := range [][2]int64{{1280, 720}, {1920, 1080}} {
		if err := chromedp.Do(phone.ctx, chromedp.EmulateViewport(size[0], size[1])); err != nil {
			t.Fatal(err)
		}
		phone.screenshot(out, fmt.Sprintf("tab-programme-%dx%d", size[0], size[1]), size[0], size[1], 0)
	}
}
