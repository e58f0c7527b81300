// DOM helpers shared by the views. Views build their structure once and then
// only touch what changed, so a render every second costs next to nothing
// and never moves the keyboard focus.

import { t as msg } from './i18n.js';
import { languageBadge as badgeCode } from './fmt.js';

export const $ = (id) => document.getElementById(id);

// h makes an element: h('p', {class: 'x', text: 'hi', onclick: fn}, child...).
export function h(tag, props = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...kids.flat().filter((x) => x != null && x !== false));
  return el;
}

export function text(el, s) {
  s = s == null ? '' : String(s);
  if (el.textContent !== s) el.textContent = s;
}

export function attr(el, name, v) {
  if (v == null || v === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
    return;
  }
  v = v === true ? '' : String(v);
  if (el.getAttribute(name) !== v) el.setAttribute(name, v);
}

// css sets a custom property: geometry goes through them because the
// Content-Security-Policy forbids style attributes in markup.
export function css(el, name, v) {
  v = String(v);
  if (el.style.getPropertyValue(name) !== v) el.style.setProperty(name, v);
}

export function show(el, visible) {
  if (el.hidden === visible) el.hidden = !visible;
}

// sync makes parent's children the elements for items, in order, reusing the
// element of each key: make(item) builds one, update(el, item) refreshes it.
export function sync(parent, items, key, make, update) {
  const old = new Map();
  for (const c of parent.children) if (c.dataset.key !== undefined) old.set(c.dataset.key, c);
  let i = 0;
  for (const item of items) {
    const k = String(key(item));
    let el = old.get(k);
    if (el) old.delete(k);
    else {
      el = make(item);
      el.dataset.key = k;
    }
    if (update) update(el, item);
    if (parent.children[i] !== el) parent.insertBefore(el, parent.children[i] || null);
    i++;
  }
  for (const el of old.values()) el.remove();
}

// say speaks through the page's aria-live region (#say): transitions and
// announcements reach screen-reader users as they happen.
let said = 0;
export function say(msg) {
  const el = $('say');
  if (!el || !msg) return;
  el.textContent = '';
  clearTimeout(said);
  // Emptying first and writing a moment later makes a repeated message speak.
  said = setTimeout(() => (el.textContent = msg), 60);
}

// watch returns a function that reports a change of a value per key,
// ignoring the first sighting (a page that opens is not a transition).
export function watch() {
  const seen = new Map();
  return (k, v) => {
    const had = seen.has(k);
    const old = seen.get(k);
    seen.set(k, v);
    return had && old !== v;
  };
}

// announcer returns a function that picks, from the current announcements,
// those not seen before (the first call reports none: they were already up).
export function announcer() {
  let seen = null;
  return (list) => {
    const ids = new Set(list.map((a) => a.id));
    const fresh = seen ? list.filter((a) => !seen.has(a.id)) : [];
    seen = ids;
    return fresh;
  };
}

export const params = new URLSearchParams(location.search);

// pathTrack is the track id in /screen/{track}, /overlay/{track} or /stage/{track}.
export const pathTrack = () => decodeURIComponent(location.pathname.split('/')[2] || '');

// keepAwake keeps a kiosk's display awake where the browser allows it (a
// secure context, a visible page). The lock is dropped whenever the page is
// hidden, so it is taken again on return.
export function keepAwake() {
  const take = async () => {
    if (!navigator.wakeLock || document.visibilityState !== 'visible') return;
    try {
      await navigator.wakeLock.request('screen');
    } catch {
      // Not allowed here (no user gesture in some browsers, battery saver):
      // the kiosk's own settings must keep it awake.
    }
  };
  document.addEventListener('visibilitychange', take);
  take();
}

// ---- change badges (the screens fleet's part: schedule changes)

// changeBadge flags a session's recent schedule change on el, its title:
// data-change names it (moved, room, cancelled, new, retitled) and app.css
// draws the badge, a cancelled session struck through. A change is recent
// for the schedule document's changes_recent_seconds after the reload that
// brought it, so the badge goes at that instant without a reload. It
// returns whether the badge shows (a cancelled session whose change aged
// out is no longer shown at all).
export function changeBadge(el, s, t, doc) {
  const c = s?.change;
  const recent = doc ? (doc.changes_recent_seconds || 0) * 1000 : Infinity;
  const on = !!c && recent > 0 && (!c.seen || t < Date.parse(c.seen) + recent);
  attr(el, 'data-change', on ? c.type : null);
  attr(el, 'data-change-label', on ? changeWords[c.type] || c.type : null);
  return on;
}

// The badges' words; app.css draws them from data-change-label.
const changeWords = {
  moved: msg('change.moved'),
  room: msg('change.room'),
  new: msg('change.new'),
  retitled: msg('change.retitled'),
  cancelled: msg('change.cancelled'),
};

// languageBadge marks a session's title with its language where it differs
// from the page's: data-lang-badge="DE", drawn by app.css after the title
// (its own text stays the schedule's).
export function languageBadge(el, s) {
  attr(el, 'data-lang-badge', badgeCode(s) || null);
}
