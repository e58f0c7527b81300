// Words, the one way every view writes them: t('key', {name: value}) looks
// the key up in the catalogue of the page's language (i18n/LANG.js, one file
// per language, every visible string of every view), falling back to English.
//
// The language is ?lang=, else the browser's, else English. A key missing from
// the page's catalogue is shown in English and recorded in
// window.confdashMissing, which the tests read: a view must never show a
// string that is in no catalogue.

import en from './i18n/en.js';

export const languages = ['en', 'de', 'fr', 'es'];

function choose() {
  const wanted = [new URLSearchParams(location.search).get('lang') || '', ...(navigator.languages || [])];
  for (const w of wanted) {
    const l = w.toLowerCase().split('-')[0];
    if (languages.includes(l)) return l;
  }
  return 'en';
}

export const lang = choose();
const cat = lang === 'en' ? en : (await import(`./i18n/${lang}.js`)).default;
document.documentElement.lang = lang;

const missing = (window.confdashMissing = window.confdashMissing || new Set());

// t writes the catalogue's text for key, with each {name} replaced by
// vars[name].
export function t(key, vars) {
  let s = cat[key];
  if (s === undefined) {
    missing.add(lang + ':' + key);
    s = en[key] ?? key;
  }
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s;
}
