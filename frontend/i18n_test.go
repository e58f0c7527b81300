package frontend_test

// Languages and clocks (i18n.js, fmt.js): every view in English, German,
// French and Spanish shows only catalogued words; the page's language comes
// from ?lang=, the browser, the schedule, English, in that order; clocks
// are 12- or 24-hour from the locale or ?clock=; a session in another
// language than the page's carries a badge. In Chromium against the real
// server and a real schedule (31C3's frab export, talks in English and
// German).

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/confdash/confdash/frontend"
	"github.com/confdash/confdash/schedule"
)

var i18nLanguages = []string{"en", "de", "fr", "es"}

// i18nView is a view the catalogue tests open, and the condition that says
// it has drawn what it shows.
type i18nView struct {
	name, path, ready string
}

// i18nViews lists every view, on track (a room with a session on now).
func i18nViews(track string) []i18nView {
	return []i18nView{
		{"tab", "/", `document.querySelectorAll('.track').length > 0`},
		{"screen", "/screen/" + track, `document.getElementById('label').textContent !== '' && document.querySelector('.room-status') !== null`},
		{"lobby", "/screen", `document.querySelectorAll('#lobby .row').length > 0`},
		{"stage", "/stage/" + track, `document.getElementById('label').textContent !== '' && document.querySelectorAll('#msgs .msg').length > 0`},
		{"overlay", "/overlay/" + track, `!document.getElementById('card').hidden`},
		{"admin", "/admin", `document.querySelectorAll('#track-rows tr').length > 0 && document.querySelectorAll('#day-rows tr').length > 0 &&
			document.querySelectorAll('#ann-list li').length > 0 && document.querySelectorAll('#screens-rooms section').length > 0 &&
			document.querySelector('#screens-summary').textContent !== ''`},
	}
}

// adminInit signs the console in before its script runs and, once the
// console shows its day, brings its lazily loaded Screens panel into view.
const adminInit = `sessionStorage.setItem('confdash:admin-token', ` + "`" + adminToken + "`" + `);
const toScreens = setInterval(() => {
	if (document.getElementById('console')?.hidden !== false || !document.querySelector('#day-rows tr')) return;
	clearInterval(toScreens);
	document.getElementById('screens').scrollIntoView();
}, 100);`

// keyUse finds the catalogue keys the sources use: t('key'), t_('key') and
// msg('key') in the scripts (a key is always a literal), data-i18n* in the
// pages.
var keyUse = []*regexp.Regexp{
	regexp.MustCompile(`\b(?:t|t_|msg)\(\s*'([^']+)'`),
	regexp.MustCompile(`\bdata-i18n(?:-aria|-title|-placeholder|-label)?="([^"]+)"`),
}

var (
	// moduleUse finds the modules a script imports, at once or later.
	moduleUse = regexp.MustCompile(`(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'\./([\w-]+\.js)'`)
	// pageScript is a page's own module; pageWords the groups it loads.
	pageScript = regexp.MustCompile(`src="\{\{ASSETS\}\}/([\w-]+\.js)"`)
	pageWords  = regexp.MustCompile(`<html[^>]*\bdata-words="([^"]*)"`)
	// wordsUse is a module asking for a group of its own: words('group').
	wordsUse = regexp.MustCompile(`\bwords\(\s*'([\w-]+)'\s*\)`)
)

func findAll(re *regexp.Regexp, b []byte) []string {
	var out []string
	for _, m := range re.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// pageUse is what one page needs from the catalogues: the keys its HTML and
// every module it loads (its script, their imports, the modules they load
// later) use, and the groups it loads (its data-words and the words() of
// its modules).
type pageUse struct {
	keys   map[string][]string // key → the files that use it
	groups []string
}

func pageUses(t *testing.T) map[string]pageUse {
	t.Helper()
	read := func(p string) []byte {
		b, err := fs.ReadFile(frontend.FS, p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	keysIn := func(b []byte, name string, into map[string][]string) {
		for _, re := range keyUse {
			for _, k := range findAll(re, b) {
				into[k] = append(into[k], name)
			}
		}
	}
	pages, err := fs.Glob(frontend.FS, "pages/*.html")
	if err != nil || len(pages) < 5 {
		t.Fatalf("pages: %v %v", pages, err)
	}
	out := map[string]pageUse{}
	for _, p := range pages {
		html := read(p)
		u := pageUse{keys: map[string][]string{}}
		keysIn(html, filepath.Base(p), u.keys)
		m := pageWords.FindSubmatch(html)
		if m == nil {
			t.Errorf("%s: no <html data-words> naming the catalogue groups it loads", p)
			continue
		}
		u.groups = strings.Fields(string(m[1]))
		seen := map[string]bool{}
		todo := findAll(pageScript, html)
		for len(todo) > 0 {
			js := todo[0]
			todo = todo[1:]
			if seen[js] || js == "i18n.js" {
				continue
			}
			seen[js] = true
			b := read("assets/" + js)
			keysIn(b, js, u.keys)
			u.groups = append(u.groups, findAll(wordsUse, b)...)
			todo = append(todo, findAll(moduleUse, b)...)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".html")] = u
	}
	return out
}

var placeholder = regexp.MustCompile(`\{\w+\}`)

func placeholders(s string) []string {
	p := placeholder.FindAllString(s, -1)
	sort.Strings(p)
	return slices.Compact(p)
}

// TestI18n runs the language tests on one server and one browser.
func TestI18n(t *testing.T) {
	b := newBrowser(t)
	_, s := corpus(t, thirtyOneC3)
	a, _ := handover(t, s, 20*time.Minute)
	ts := startCorpus(t, thirtyOneC3, a.Start.Add(2*time.Minute), 1)
	// Something in every part a view can show: an announcement, a delay, a
	// full room (its ribbon), a phone tab for the Screens panel.
	ts.announce("Lunch is served in Saal G", "")
	if code, body := ts.admin("POST", "/api/v1/tracks/"+a.Track+"/delay", map[string]int{"minutes": 3}); code != http.StatusOK {
		t.Fatalf("delay: %d %s", code, body)
	}
	if code, body := ts.admin("POST", "/api/v1/tracks/"+a.Track+"/status", map[string]string{"status": "full"}); code != http.StatusOK {
		t.Fatalf("room full: %d %s", code, body)
	}
	t.Run("catalogues", func(t *testing.T) { testCatalogues(t, b, ts, a.Track) })
	t.Run("views", func(t *testing.T) { testViewLanguages(t, b, ts, a.Track) })
	t.Run("pseudo", func(t *testing.T) { testPseudo(t, b, ts, s, a.Track) })
	t.Run("choice", func(t *testing.T) { testLanguageChoice(t, b, ts, s, a) })
	t.Run("clocks", func(t *testing.T) { testClocks(t, b, ts, a.Track) })
}

// testCatalogues: each group of words (i18n/LANG/GROUP.js) has the same
// keys in the four languages, each with the same placeholders; no key is in
// two groups; and every key a page's modules use is in a group that page
// loads.
func testCatalogues(t *testing.T, b *browser, ts *testServer, track string) {
	files, err := fs.Glob(frontend.FS, "assets/i18n/en/*.js")
	if err != nil || len(files) < 3 {
		t.Fatalf("catalogue groups: %v %v", files, err)
	}
	var groups []string
	for _, f := range files {
		groups = append(groups, strings.TrimSuffix(filepath.Base(f), ".js"))
	}
	tb := b.open(t, "catalogues", ts.url+"/stage/"+track, tabOpt{})
	tb.wait("the page", `document.documentElement.dataset.langFrom !== undefined`, 10*time.Second)
	gl, _ := json.Marshal(groups)
	cats, err := chromedp.Run(tb.ctx, chromedp.Evaluate[map[string]map[string]map[string]string](`(async () => {
		const src = document.querySelector('script[type=module]').src;
		const out = {};
		for (const l of ['en', 'de', 'fr', 'es']) {
			out[l] = {};
			for (const g of `+string(gl)+`) out[l][g] = (await import(new URL('i18n/' + l + '/' + g + '.js', src))).default;
		}
		return out;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	group := map[string]string{} // English key → its group
	for _, g := range groups {
		en := cats["en"][g]
		for k := range en {
			if other, ok := group[k]; ok {
				t.Errorf("%q is in two groups: %s and %s", k, other, g)
			}
			group[k] = g
		}
		for _, l := range i18nLanguages[1:] {
			for k, v := range en {
				got, ok := cats[l][g][k]
				switch {
				case !ok:
					t.Errorf("%s/%s.js: no %q (English: %q)", l, g, k, v)
				case strings.TrimSpace(got) == "":
					t.Errorf("%s/%s.js: %q is empty", l, g, k)
				case !slices.Equal(placeholders(got), placeholders(v)):
					t.Errorf("%s/%s.js: %q has placeholders %v, English %v: %q", l, g, k, placeholders(got), placeholders(v), got)
				}
			}
			for k := range cats[l][g] {
				if _, ok := en[k]; !ok {
					t.Errorf("%s/%s.js: %q is not in en/%s.js", l, g, k, g)
				}
			}
		}
	}
	if len(group) < 100 {
		t.Fatalf("the English catalogue holds %d keys", len(group))
	}
	for page, u := range pageUses(t) {
		for _, g := range u.groups {
			if !slices.Contains(groups, g) {
				t.Errorf("%s loads the group %q, which has no catalogue", page, g)
			}
		}
		for k, files := range u.keys {
			g, ok := group[k]
			switch {
			case !ok:
				t.Errorf("%s: %v use %q, which is in no catalogue", page, slices.Compact(files), k)
			case !slices.Contains(u.groups, g):
				t.Errorf("%s: %v use %q, which is in the group %q the page does not load (it loads %v)", page, slices.Compact(files), k, g, u.groups)
			}
		}
	}
}

// testViewLanguages opens every view in every language: the page says its
// language, no word it wrote was missing from the catalogue, and it fetched
// its own language's groups and no other catalogue file.
func testViewLanguages(t *testing.T, b *browser, ts *testServer, track string) {
	for _, v := range i18nViews(track) {
		for _, l := range i18nLanguages {
			o := tabOpt{width: 1920, height: 1080}
			if v.name == "admin" {
				o = tabOpt{width: 1280, height: 720, init: adminInit}
			}
			tb := b.open(t, v.name+"?lang="+l, ts.url+v.path+"?lang="+l, o)
			tb.wait(v.name+" drawn", v.ready, 15*time.Second)
			if got := eval[string](tb, `document.documentElement.lang`); got != l {
				t.Errorf("%s?lang=%s: <html lang=%q>", v.name, l, got)
			}
			if got := eval[[]string](tb, `[...window.confdashMissing]`); len(got) > 0 {
				t.Errorf("%s?lang=%s: words missing from the catalogue: %v", v.name, l, got)
			}
			// The page fetched the groups its <html data-words> names, in its
			// own language, and no other catalogue file.
			want := []string{}
			for _, g := range strings.Fields(eval[string](tb, `document.documentElement.dataset.words`)) {
				want = append(want, l+"/"+g+".js")
			}
			got := eval[[]string](tb, `performance.getEntriesByType('resource').map((e) => e.name.match(/\/i18n\/(\w+\/[\w-]+\.js)$/)?.[1]).filter(Boolean)`)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s?lang=%s fetched the catalogue files %v, want %v", v.name, l, got, want)
			}
			if l != "en" && (v.name == "lobby" || v.name == "admin" || v.name == "overlay") {
				tb.screenshot(shotsDir(t), "i18n-"+v.name+"-"+l, o.width, o.height, 0)
			}
		}
	}
}

// pseudoCheck walks the page: every text node and every text attribute
// (aria-label, title, placeholder, alt, the change badge's words), with
// what the catalogues and the locale's formats wrote (bracketed ⟦…⟧ under
// window.confdashPseudo) and the schedule's own strings taken out, must
// hold no letter. What is left is a word written around the catalogues.
// translate="no" marks what is not words (a device id, an environment
// variable's name); a noscript shows only where no script could translate.
const pseudoCheck = `((data) => {
	data = data.filter(Boolean).sort((a, b) => b.length - a.length);
	const strip = (s) => {
		for (let prev = ''; prev !== s; ) [prev, s] = [s, s.replace(/⟦[^⟦⟧]*⟧/g, '')];
		for (const d of data) s = s.split(d).join('');
		return s.replace(/https?:\/\/\S+/g, '');
	};
	const bad = [];
	const check = (where, s) => {
		const rest = s ? strip(s) : '';
		if (/\p{L}/u.test(rest)) bad.push(where + ' ' + JSON.stringify(s) + ' leaves ' + JSON.stringify(rest.trim()));
	};
	const skip = (el) => !el || el.closest('[translate="no"], script, style, noscript');
	const name = (el) => '<' + el.tagName.toLowerCase() + (el.id ? '#' + el.id : el.className ? '.' + String(el.className).split(' ')[0] : '') + '>';
	check('<title>', document.title);
	const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n; (n = w.nextNode()); ) if (!skip(n.parentElement)) check(name(n.parentElement), n.textContent);
	const attrs = ['aria-label', 'title', 'placeholder', 'alt', 'data-change-label'];
	for (const el of document.body.querySelectorAll(attrs.map((a) => '[' + a + ']').join(',')))
		for (const a of attrs) if (el.hasAttribute(a) && !skip(el)) check(name(el) + '[' + a + ']', el.getAttribute(a));
	return bad;
})(%s)`

// scheduleWords is every string of the schedule a view may show as it is.
func scheduleWords(s *schedule.Schedule, extra ...string) string {
	words := append([]string{s.Name}, extra...)
	for _, tr := range s.Tracks {
		words = append(words, tr.Name, tr.ID)
	}
	for _, x := range s.Sessions {
		// A language shows as its code, "EN", in the language badges.
		words = append(words, x.Title, x.Subtitle, x.Type, x.Language, strings.ToUpper(x.Language))
		for _, p := range x.Speakers {
			words = append(words, p.Name, p.Affiliation)
		}
	}
	b, _ := json.Marshal(words)
	return string(b)
}

// testPseudo opens every view with the catalogues' words marked and finds
// nothing else on the page but the schedule's.
func testPseudo(t *testing.T, b *browser, ts *testServer, s *schedule.Schedule, track string) {
	data := scheduleWords(s, "Lunch is served in Saal G")
	for _, v := range i18nViews(track) {
		o := tabOpt{width: 1920, height: 1080, init: `window.confdashPseudo = true;`}
		if v.name == "admin" {
			o = tabOpt{width: 1280, height: 720, init: `window.confdashPseudo = true;` + adminInit}
		}
		tb := b.open(t, v.name+" (pseudo)", ts.url+v.path, o)
		tb.wait(v.name+" drawn", v.ready, 15*time.Second)
		if got := eval[[]string](tb, fmt.Sprintf(pseudoCheck, data)); len(got) > 0 {
			t.Errorf("%s writes words that are in no catalogue:\n  %s", v.name, strings.Join(got, "\n  "))
		}
	}
}

// testLanguageChoice: ?lang= before the browser's, the browser's before
// the schedule's, the schedule's when the browser speaks none of the
// catalogues' languages; German reads "Jetzt" and German weekdays; a
// session in German carries "DE" on an English page and nothing on a
// German one.
func testLanguageChoice(t *testing.T, b *browser, ts *testServer, s *schedule.Schedule, a schedule.Session) {
	de := b.open(t, "screen ?lang=de", ts.url+"/screen/"+a.Track+"?lang=de", tabOpt{width: 1920, height: 1080})
	de.wait("German", has("#label", "Jetzt · "), 10*time.Second)
	if got := eval[string](de, `document.documentElement.dataset.langFrom`); got != "url" {
		t.Errorf("?lang=de: language from %q, want url", got)
	}
	de.screenshot(shotsDir(t), "i18n-screen-de", 1920, 1080, 0)

	browserDE := b.open(t, "browser de-AT", ts.url+"/stage/"+a.Track, tabOpt{languages: "nl-NL,de-AT,en"})
	browserDE.wait("the browser's second language", has("#label", "Jetzt"), 10*time.Second)

	// The admin's day title writes the day in the page's language: the
	// 31C3 days are 27 to 30 December 2014, Saturday to Tuesday.
	admin := b.open(t, "admin ?lang=de", ts.url+"/admin?lang=de", tabOpt{width: 1280, height: 720, init: adminInit})
	admin.wait("the day in German", `/^Programm · (Sa|So|Mo|Di)\.?, \d+\. Dez\.?$/.test(document.getElementById('day-title').textContent)`, 10*time.Second)

	// A schedule in French, a browser in Dutch and Japanese: French.
	fr := strings.Replace(testSchedule, "timezone: America/Los_Angeles\n", "timezone: America/Los_Angeles\nlanguage: fr\n", 1)
	// The keynote is given in German: a French page marks it "DE".
	fr = strings.Replace(fr, "    kind: keynote\n", "    kind: keynote\n    language: de\n", 1)
	tsFR := startServerWith(t, fr, at("09:10:00"), 1)
	nl := b.open(t, "browser nl, schedule fr", tsFR.url+"/screen/main", tabOpt{languages: "nl-NL,ja"})
	nl.wait("the schedule's language", has("#label", "En cours · "), 10*time.Second)
	if got := eval[[]string](nl, `[document.documentElement.lang, document.documentElement.dataset.langFrom]`); !slices.Equal(got, []string{"fr", "schedule"}) {
		t.Errorf("browser nl, schedule fr: lang, from = %v", got)
	}
	if got := eval[string](nl, `document.getElementById('title').getAttribute('data-lang-badge') || ''`); got != "DE" {
		t.Errorf("a keynote in German on a French screen: badge %q, want DE", got)
	}
	es := b.open(t, "browser es, schedule fr", tsFR.url+"/screen/main", tabOpt{languages: "es-ES"})
	es.wait("the browser's language before the schedule's", has("#label", "Ahora · "), 10*time.Second)

	// Badges: 31C3's talks are in English and German.
	var other *schedule.Session
	for i, x := range s.Sessions {
		if x.Track == a.Track && x.Start.Equal(a.Start) {
			other = &s.Sessions[i]
		}
	}
	want := strings.ToUpper(other.Language)
	enScreen := b.open(t, "badge", ts.url+"/screen/"+a.Track, tabOpt{width: 1920, height: 1080})
	enScreen.wait("the title", `document.getElementById('title').textContent !== ''`, 10*time.Second)
	badge := func(tb *tab) string {
		return eval[string](tb, `document.getElementById('title').getAttribute('data-lang-badge') || ''`)
	}
	if other.Language == "en" {
		if got := badge(enScreen); got != "" {
			t.Errorf("an English talk on an English screen: badge %q", got)
		}
		if got := badge(de); got != "EN" {
			t.Errorf("an English talk on a German screen: badge %q, want EN", got)
		}
	} else {
		if got := badge(enScreen); got != want {
			t.Errorf("a talk in %q on an English screen: badge %q, want %q", other.Language, got, want)
		}
		if got := badge(de); got != strings.ToUpper(other.Language) && other.Language != "de" {
			t.Errorf("a talk in %q on a German screen: badge %q", other.Language, got)
		} else if other.Language == "de" && got != "" {
			t.Errorf("a German talk on a German screen: badge %q, want none", got)
		}
	}
	// The lobby and the overlay carry it too.
	lobby := b.open(t, "lobby badge", ts.url+"/screen", tabOpt{width: 1920, height: 1080})
	ov := b.open(t, "overlay badge", ts.url+"/overlay/"+a.Track, tabOpt{width: 1920, height: 1080, transparent: true})
	wantBadge := want
	if other.Language == "en" {
		wantBadge = ""
	}
	lobby.wait("the lobby's badge", fmt.Sprintf(`(document.querySelector('#lobby .row[data-key=%q] .row-now .row-title')?.getAttribute('data-lang-badge') || '') === %q`, a.Track, wantBadge), 10*time.Second)
	ov.wait("the overlay's badge", fmt.Sprintf(`!document.getElementById('card').hidden && (document.getElementById('title').getAttribute('data-lang-badge') || '') === %q`, wantBadge), 10*time.Second)
}

var (
	clock24 = regexp.MustCompile(`^\d\d:\d\d$`)
	clock12 = regexp.MustCompile(`^\d{1,2}:\d\d[\s\x{202f}](AM|PM|am|pm|a\.m\.|p\.m\.)$`)
)

// testClocks: 24-hour for en-GB (the tests' browser), 12-hour for an en-US
// browser, ?clock= over either; German is 24-hour.
func testClocks(t *testing.T, b *browser, ts *testServer, track string) {
	for _, c := range []struct {
		name, query, languages string
		want                   *regexp.Regexp
	}{
		{"en-GB", "", "", clock24},
		{"en-US", "", "en-US,en", clock12},
		{"en-GB ?clock=12", "?clock=12", "", clock12},
		{"en-US ?clock=24", "?clock=24", "en-US", clock24},
		{"de", "?lang=de", "en-US", clock24},
	} {
		tb := b.open(t, "stage "+c.name, ts.url+"/stage/"+track+c.query, tabOpt{width: 1280, height: 720, languages: c.languages})
		tb.wait("the clock", `document.getElementById('clock').textContent !== ''`, 10*time.Second)
		if got := tb.text("#clock"); !c.want.MatchString(got) {
			t.Errorf("%s: the stage's clock reads %q, want %v", c.name, got, c.want)
		}
		if c.name == "en-GB ?clock=12" {
			tb.screenshot(shotsDir(t), "i18n-stage-12h", 1280, 720, 0)
		}
	}
	phone := b.open(t, "screen en-US 390", ts.url+"/screen/"+track, tabOpt{width: 390, height: 844, mobile: true, languages: "en-US"})
	phone.wait("a 12-hour clock", `/^\d{1,2}:\d\d\s?[AP]M$/i.test(document.getElementById('clock').textContent)`, 10*time.Second)
}
