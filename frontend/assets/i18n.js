// Words, the one way every view writes them: t('key', {name: value}) looks
// the key up in the catalogue of the page's language. Each language's words
// are split by the views that show them (i18n/LANG/GROUP.js: common, tab,
// reminders, screens, admin), and a page loads only the groups its <html
// data-words="…"> names, in its one language: no page pays for another
// view's words, nor for English beside its own. A module loaded later with
// words of its own (remind.js) asks for its group with words().
//
// The language is the first of these that has a catalogue: ?lang=, the
// browser's languages in their order, the schedule's language: (read once,
// at load), English (docs/schedule-format.md, "Languages of the views"). A
// browser nearly always names a language, so the schedule's applies only
// when none of the browser's has a catalogue. ?lang= is not remembered: a
// kiosk keeps it in its address, as it keeps ?rows= and the rest.
//
// A key missing from the loaded groups is shown as the key and recorded in
// window.confdashMissing, which the tests read: a view must never show a
// string that is in no catalogue (the tests also check, file by file, that
// every key a page's modules use is in a group it loads).
//
// Views whose t is a time (render(t)) import it as msg: the tests find the
// keys in use by t('…') and msg('…'), so a key is always a literal.

export const languages = ['en', 'de', 'fr', 'es'];

const params = new URLSearchParams(location.search);
const base = (tag) => String(tag || '').toLowerCase().split('-')[0];
const browser = navigator.languages?.length ? [...navigator.languages] : [navigator.language || ''];

// scheduleLanguage is the schedule's language: from the copy of the schedule
// document this tab keeps (live.js), else asked for. Only a page whose
// browser speaks none of the catalogues' languages asks, so the usual load
// costs nothing more.
async function scheduleLanguage() {
  try {
    for (let i = 0; i < sessionStorage.length; i++) {
      const k = sessionStorage.key(i);
      const l = k.endsWith(':doc') && JSON.parse(sessionStorage.getItem(k))?.conference?.language;
      if (l) return l;
    }
  } catch {
    // Storage disabled, or not one of ours: ask the server below.
  }
  try {
    const r = await fetch('/api/v1/schedule');
    return r.ok ? (await r.json()).conference?.language || '' : '';
  } catch {
    return ''; // offline and never loaded: English
  }
}

// choose gives the page's language and the locale its dates and clocks
// follow: the browser's own tag when it is the browser's language ("en-US"
// writes 12-hour clocks, "en-GB" 24-hour), else the language's.
async function choose() {
  const asked = base(params.get('lang'));
  if (languages.includes(asked)) return { lang: asked, locale: browser.find((b) => base(b) === asked) || asked, from: 'url' };
  for (const b of browser) if (languages.includes(base(b))) return { lang: base(b), locale: b, from: 'browser' };
  const s = await scheduleLanguage();
  if (languages.includes(base(s))) return { lang: base(s), locale: s, from: 'schedule' };
  return { lang: 'en', locale: 'en', from: 'default' };
}

const chosen = await choose();
export const lang = chosen.lang;
// locale is the page's language with the region that sets its clock.
export const locale = (() => {
  try {
    return Intl.getCanonicalLocales(chosen.locale)[0];
  } catch {
    return lang;
  }
})();
const cat = {};
const loaded = new Map();

// words loads a group of the page's language once; t() knows its keys when
// the promise resolves.
export function words(group) {
  let p = loaded.get(group);
  if (!p) {
    p = import(`./i18n/${lang}/${group}.js`).then((m) => void Object.assign(cat, m.default));
    loaded.set(group, p);
  }
  return p;
}
await Promise.all((document.documentElement.dataset.words || 'common').split(/\s+/).filter(Boolean).map(words));
document.documentElement.lang = lang;
document.documentElement.dataset.langFrom = chosen.from;

// hour12 says whether clocks are 12-hour: ?clock=12|24, else the locale's
// custom. fmt.js writes every time by it.
export const hour12 = (() => {
  const c = params.get('clock');
  if (c === '12' || c === '24') return c === '12';
  const cycle = new Intl.DateTimeFormat(locale, { hour: 'numeric' }).resolvedOptions().hourCycle;
  return cycle === 'h12' || cycle === 'h11';
})();

const missing = (window.confdashMissing = window.confdashMissing || new Set());

// The tests' check that no view writes a word around the catalogues: with
// window.confdashPseudo set before the page loads, everything t() and the
// locale's formats (fmt.js) write comes bracketed ⟦…⟧, so a test can find
// the text on the page that came from neither them nor the schedule.
const pseudo = !!window.confdashPseudo;
export const mark = pseudo ? (s) => `⟦${s}⟧` : (s) => s;

// t writes the catalogue's text for key, with each {name} replaced by
// vars[name].
export function t(key, vars) {
  let s = cat[key];
  if (s === undefined) {
    missing.add(lang + ':' + key);
    s = key;
  }
  return mark(vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s);
}

// translate fills a page's static words: data-i18n="key" its text,
// data-i18n-aria an aria-label, data-i18n-title a title,
// data-i18n-placeholder a placeholder.
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const [data, name] of [['i18nAria', 'aria-label'], ['i18nTitle', 'title'], ['i18nPlaceholder', 'placeholder']]) {
    const sel = `[data-${data.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}]`;
    for (const el of root.querySelectorAll(sel)) el.setAttribute(name, t(el.dataset[data]));
  }
}
translate();
