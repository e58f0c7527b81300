// The tab's whole programme, loaded the first time a viewer opens it (the
// first load of the tab stays small): every day of the schedule with search
// and filters (#/day/N?q=&track=&tag=), a session's detail (#/session/ID)
// and the viewer's own starred sessions with clashes marked (#/mine).
//
// The page holds the schedule document already (live.js); this module only
// draws it. Its skeleton is built once, and the lists are rebuilt only when
// what they show changes: a render every second costs a few class toggles,
// and typing in the search box never loses focus.

import * as fmt from './fmt.js';
import * as favs from './favs.js';
import * as i18n from './i18n.js';
import { $, h, text, attr, show, changeBadge } from './ui.js';
import { statusWords } from './rooms.js';

const t_ = i18n.t;
let live; // the page's connection (live.js)
let star; // the tab's star button maker: star(session)
let parts; // the skeleton's elements

// init builds the skeleton into #page. ctx: {live, star}.
export function init(ctx) {
  ({ live, star } = ctx);
  const q = h('input', { id: 'q', type: 'search', autocomplete: 'off', placeholder: t_('prog.searchHint'), 'aria-label': t_('prog.searchLabel') });
  const fTrack = h('select', { id: 'f-track', 'aria-label': t_('prog.trackLabel') });
  const fTag = h('select', { id: 'f-tag', 'aria-label': t_('prog.tagLabel') });
  for (const el of [q, fTrack, fTag]) el.addEventListener('input', () => refine());
  parts = {
    prog: h(
      'section',
      { id: 'prog', class: 'prog', 'aria-labelledby': 'prog-h' },
      h('h2', { id: 'prog-h', class: 'sr-only', text: t_('prog.heading') }),
      h('nav', { id: 'days', class: 'days', 'aria-label': t_('prog.daysLabel') }),
      h('form', { class: 'find', role: 'search', onsubmit: (e) => e.preventDefault() }, q, fTrack, fTag),
      h('p', { id: 'prog-count', class: 'prog-count', role: 'status' }),
      h('div', { id: 'prog-list', class: 'prog-list' }),
    ),
    detail: h('article', { id: 'detail', class: 'detail' }),
    mine: h('section', { id: 'mine', class: 'mine', 'aria-labelledby': 'mine-h' }),
    q,
    fTrack,
    fTag,
  };
  $('page').replaceChildren(parts.prog, parts.detail, parts.mine);
}

// The route's refinements (search, room, topic) live in the address, so a
// reload or a shared link shows the same list; typing replaces the entry
// rather than adding one per key.
let route = { view: 'day', arg: '1', q: new URLSearchParams() };

function refine() {
  const p = new URLSearchParams();
  if (parts.q.value.trim()) p.set('q', parts.q.value.trim());
  if (parts.fTrack.value) p.set('track', parts.fTrack.value);
  if (parts.fTag.value) p.set('tag', parts.fTag.value);
  const qs = p.toString();
  history.replaceState(history.state, '', `#/day/${route.arg}${qs ? '?' + qs : ''}`);
  route = { ...route, q: p };
  live.changed();
}

// dayLabel writes "Day 2 · Tue 15 Dec" for day i of the document.
const dayLabel = (d, i) => t_('prog.dayLabel', { n: i + 1, date: fmt.weekday(Date.parse(d.date + 'T12:00:00Z'), 'UTC') });

// dayOf is the index of the day a session belongs to (it starts within it).
function dayOf(s) {
  const days = live.doc?.days || [];
  const i = days.findIndex((d) => s.s0 >= Date.parse(d.start) && s.s0 < Date.parse(d.end));
  return i < 0 ? 0 : i;
}

// fold makes text comparable for search: lower case, accents dropped.
const fold = (s) =>
  String(s || '')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase();

function matches(s, terms) {
  if (!terms.length) return true;
  const hay = fold([s.title, s.subtitle, ...(s.speakers || []).map((p) => p.name), ...(s.tags || [])].join(' \n '));
  return terms.every((w) => hay.includes(w));
}

const trackName = (id) => live.tracks().find((x) => x.id === id)?.name || id;

// langBadge is a session's language ("DE"), or nothing when the source
// gives none.
export function langBadge(s) {
  const l = (s?.language || '').split(/[-_]/)[0].toUpperCase();
  return l ? h('abbr', { class: 'lang', title: t_('prog.language', { lang: l }), text: l }) : null;
}

// card is one session in a list: time and room, title (a link to its
// detail), speakers, language, and its star.
function card(s, tz, extra) {
  const title = h('h4', { class: 'p-title' }, h('a', { href: `#/session/${encodeURIComponent(s.id)}`, text: s.title }));
  return h(
    'article',
    { class: `p-card k-${s.kind}${s.cancelled ? ' cancelled' : ''}`, 'data-id': s.id },
    h(
      'p',
      { class: 'p-meta' },
      h('time', { datetime: new Date(s.t0).toISOString(), text: `${fmt.slot(s, tz)}–${fmt.hm(s.t1, tz)}` }),
      h('span', { class: 'p-room', text: trackName(s.track) }),
      langBadge(s),
    ),
    title,
    s.speakers?.length ? h('p', { class: 'p-speakers', text: fmt.speakers(s.speakers) }) : null,
    extra || null,
    s.kind === 'break' ? null : star(s),
  );
}

// list groups cards under their start time ("10:00"), and under their day
// when they span several.
function list(sessions, tz, byDay) {
  const out = [];
  let day = -1;
  let at = '';
  for (const s of sessions) {
    const d = dayOf(s);
    if (byDay && d !== day) {
      day = d;
      at = '';
      out.push(h('h3', { class: 'p-day', text: dayLabel(live.doc.days[d], d) }));
    }
    const hm = fmt.hm(s.t0, tz);
    if (hm !== at) {
      at = hm;
      out.push(h('p', { class: 'p-time', text: hm }));
    }
    out.push(card(s, tz));
  }
  return out;
}

function options(sel, first, items) {
  const sig = items.map((x) => x[0]).join('\n');
  if (sel.dataset.sig === sig) return;
  sel.dataset.sig = sig;
  const keep = sel.value;
  sel.replaceChildren(h('option', { value: '', text: first }), ...items.map(([v, label]) => h('option', { value: v, text: label })));
  sel.value = items.some((x) => x[0] === keep) ? keep : '';
}

let drawn = ''; // what the visible section shows: rebuilt when it changes

// render draws the route r ({view, arg, q}) at server time t; day is the
// index of the day a bare "Programme" opens (today, else the first or last).
export function render(r, t, today) {
  route = r;
  const tz = live.tz();
  const doc = live.doc;
  if (!doc) return;
  show(parts.prog, r.view === 'day');
  show(parts.detail, r.view === 'session');
  show(parts.mine, r.view === 'mine');
  // Stars change only My schedule's content; elsewhere the tab repaints
  // the buttons in place (a rebuild would take the keyboard focus away).
  const stars = r.view === 'mine' ? [...favs.starred].sort().join() : '';
  const sig = [r.view, r.arg, r.q.toString(), stars, tz, docStamp(doc)].join('|');
  if (sig !== drawn) {
    drawn = sig;
    if (r.view === 'day') drawDay(r, tz, today);
    else if (r.view === 'session') drawDetail(r.arg, t, tz);
    else drawMine(tz);
  }
  // What moves with the time alone: badges ageing out, now and past.
  for (const el of $('page').querySelectorAll('[data-id]')) {
    const s = live.idx.byId?.get(el.dataset.id) || findSession(el.dataset.id);
    if (!s || el.classList.contains('star')) continue;
    const title = el.querySelector('.p-title, .d-title');
    if (title) changeBadge(title, s, t, doc);
    el.classList.toggle('past', s.t1 <= t);
    el.classList.toggle('is-now', !s.cancelled && s.t0 <= t && t < s.t1);
  }
  if (r.view === 'session') roomStatus(t);
}

// focusHeading moves the keyboard focus to the heading of the view r shows.
export function focusHeading(r) {
  const el = r.view === 'day' ? $('prog-h') : r.view === 'session' ? parts.detail.querySelector('.d-title') : $('mine-h');
  if (!el) return;
  el.tabIndex = -1;
  el.focus({ preventScroll: true });
}

// docStamp changes whenever live.js holds a new schedule document (a
// delay, a reload): the same version may carry new estimates.
const stamps = new WeakMap();
let stampN = 0;
function docStamp(doc) {
  if (!stamps.has(doc)) stamps.set(doc, ++stampN);
  return stamps.get(doc);
}

function findSession(id) {
  if (!live.idx.byId) live.idx.byId = new Map(live.idx.all.map((s) => [s.id, s]));
  return live.idx.byId.get(id);
}

function drawDay(r, tz, today) {
  const days = live.doc.days || [];
  const n = Math.min(Math.max(1, parseInt(r.arg, 10) || today + 1), Math.max(1, days.length));
  r.arg = String(n);
  $('days').replaceChildren(
    ...days.map((d, i) =>
      h('a', { href: `#/day/${i + 1}${r.q.toString() ? '?' + r.q : ''}`, 'aria-current': i + 1 === n ? 'page' : null, text: dayLabel(d, i) }),
    ),
  );
  const all = live.idx.all;
  options(parts.fTrack, t_('prog.allRooms'), live.tracks().map((x) => [x.id, x.name]));
  const tags = [...new Set(all.flatMap((s) => s.tags || []))].sort((a, b) => a.localeCompare(b));
  options(parts.fTag, t_('prog.allTopics'), tags.map((x) => [x, x]));
  show(parts.fTag, tags.length > 0);
  const q = r.q.get('q') || '';
  if (document.activeElement !== parts.q) parts.q.value = q;
  parts.fTrack.value = r.q.get('track') || '';
  parts.fTag.value = r.q.get('tag') || '';
  const terms = fold(q).split(/\s+/).filter(Boolean);
  const track = parts.fTrack.value;
  const tag = parts.fTag.value;
  const d = days[n - 1];
  // A search looks through every day; the room and topic filters narrow
  // the day shown (or the search).
  const found = all.filter(
    (s) =>
      (terms.length || !d || (s.s0 >= Date.parse(d.start) && s.s0 < Date.parse(d.end))) &&
      (!track || s.track === track) &&
      (!tag || (s.tags || []).includes(tag)) &&
      matches(s, terms),
  );
  const refined = terms.length || track || tag;
  text(
    $('prog-count'),
    found.length
      ? refined
        ? t_(found.length === 1 ? 'prog.found1' : 'prog.found', { n: found.length })
        : ''
      : q
        ? t_('prog.noMatch', { q })
        : t_('prog.noneHere'),
  );
  $('prog-list').replaceChildren(...list(found, tz, terms.length > 0));
}

// put makes kids (those not null) el's children.
const put = (el, ...kids) => el.replaceChildren(...kids.filter((k) => k != null));

function link(href, key, cls) {
  if (!href || !/^https?:\/\//i.test(href)) return null;
  return h('a', { class: cls, href, target: '_blank', rel: 'noopener noreferrer', text: t_(key) });
}

function drawDetail(id, t, tz) {
  const s = findSession(id);
  const el = parts.detail;
  if (!s) {
    el.removeAttribute('data-id');
    el.replaceChildren(
      h('h2', { class: 'd-title', text: t_('prog.noSession') }),
      h('p', {}, h('a', { href: '#/day/', text: t_('prog.toProgramme') })),
    );
    return;
  }
  const d = dayOf(s);
  const tr = live.doc.tracks?.find((x) => x.id === s.track);
  const when = (a, b) => `${fmt.weekday(a, tz)} · ${fmt.hm(a, tz)}–${fmt.hm(b, tz)} ${fmt.zoneName(a, tz)}`;
  const late = s.t0 !== s.s0 || s.t1 !== s.s1;
  el.dataset.id = s.id;
  el.classList.toggle('cancelled', !!s.cancelled);
  put(
    el,
    h('p', { class: 'd-back' }, h('a', { href: `#/day/${d + 1}`, text: t_('prog.back', { day: dayLabel(live.doc.days[d], d) }) })),
    h('p', { class: 'd-kind' }, h('span', { text: fmt.kinds[s.kind] || s.kind }), langBadge(s)),
    h('h2', { class: 'd-title', text: s.title }),
    s.subtitle ? h('p', { class: 'd-subtitle', text: s.subtitle }) : null,
    s.speakers?.length
      ? h(
          'ul',
          { class: 'd-speakers', 'aria-label': t_('prog.speakers') },
          ...s.speakers.map((p) => h('li', {}, h('strong', { text: p.name }), p.affiliation ? h('span', { text: p.affiliation }) : null)),
        )
      : null,
    h(
      'dl',
      { class: 'd-facts' },
      h('dt', { text: t_('prog.scheduled') }),
      h('dd', { class: 'd-scheduled', text: when(s.s0, s.s1) }),
      late ? h('dt', { text: t_('prog.estimated') }) : null,
      late ? h('dd', { class: 'd-estimated', text: when(s.t0, s.t1) }) : null,
      h('dt', { text: t_('prog.room') }),
      h('dd', { class: 'd-room' }, h('span', { text: tr?.name || s.track }), h('span', { class: 'd-status' })),
      s.language ? h('dt', { text: t_('prog.languageHead') }) : null,
      s.language ? h('dd', { class: 'd-lang', text: s.language }) : null,
      s.tags?.length ? h('dt', { text: t_('prog.topics') }) : null,
      s.tags?.length ? h('dd', { class: 'd-tags', text: s.tags.join(', ') }) : null,
    ),
    h(
      'p',
      { class: 'd-links' },
      link(tr?.stream_url, 'prog.watch', 'd-watch'),
      link(s.url, 'prog.talkPage', 'd-url'),
      link(s.feedback_url, 'prog.feedback', 'd-feedback'),
      s.kind === 'break' ? null : star(s),
    ),
    s.abstract ? h('div', { class: 'd-abstract', text: s.abstract }) : null,
  );
  document.title = `${fmt.iso(s.title)} · ${fmt.iso(live.conference().name || t_('tab.appName'))}`;
}

// roomStatus writes the detail's room status (full, closed, moved), as the
// live state has it.
function roomStatus(t) {
  const id = parts.detail.dataset.id;
  const s = id && findSession(id);
  const el = parts.detail.querySelector('.d-status');
  if (!s || !el) return;
  const w = statusWords(live.track(s.track, t)?.status);
  text(el, w ? ` · ${w.head}${w.note ? ': ' + w.note : ''}` : '');
  el.dataset.status = w ? live.track(s.track, t).status.status : '';
}

// clashes finds the starred sessions whose estimated times overlap another
// starred one: id -> the titles it clashes with.
export function clashes(list) {
  const out = new Map();
  const live = list.filter((s) => !s.cancelled && s.kind !== 'break');
  for (let i = 0; i < live.length; i++)
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i];
      const b = live[j];
      if (a.t0 < b.t1 && b.t0 < a.t1) {
        if (!out.has(a.id)) out.set(a.id, []);
        if (!out.has(b.id)) out.set(b.id, []);
        out.get(a.id).push(b.title);
        out.get(b.id).push(a.title);
      }
    }
  return out;
}

// subscribeURL is the address of a calendar of the given sessions that
// follows the day (estimated times, cancellations): webcal:// opens the
// calendar app's subscription, the http(s) one is for copying.
export function subscribeURL(ids, scheme = location.protocol) {
  const path = `/schedule.ics?sessions=${ids.map(encodeURIComponent).join(',')}`;
  return scheme === 'webcal:' ? `webcal://${location.host}${path}` : `${location.origin}${path}`;
}

function drawMine(tz) {
  const mine = live.idx.all.filter((s) => favs.starred.has(s.id));
  const clash = clashes(mine);
  const ids = mine.map((s) => s.id);
  const byDay = [];
  for (const s of mine) {
    const d = dayOf(s);
    if (byDay[byDay.length - 1]?.d !== d) byDay.push({ d, list: [] });
    byDay[byDay.length - 1].list.push(s);
  }
  put(
    parts.mine,
    h('h2', { id: 'mine-h', text: t_('prog.mine') }),
    mine.length ? null : h('p', { class: 'mine-empty', text: t_('prog.mineEmpty') }),
    ...byDay.flatMap(({ d, list }) => [
      h('h3', { class: 'p-day', text: dayLabel(live.doc.days[d], d) }),
      ...list.map((s) => {
        const with_ = clash.get(s.id);
        const el = card(s, tz, with_ ? h('p', { class: 'clash-note', text: t_('prog.clash', { titles: with_.map(fmt.iso).join(', ') }) }) : null);
        if (with_) el.classList.add('clash');
        return el;
      }),
    ]),
    mine.length
      ? h(
          'p',
          { class: 'subscribe' },
          h('a', { id: 'subscribe', class: 'button', href: subscribeURL(ids, 'webcal:'), text: t_('prog.subscribe') }),
          h('button', { id: 'mine-ics', type: 'button', onclick: () => $('ics').click(), text: t_('tab.ics') }),
          h('span', { class: 'copy' }, h('span', { text: t_('prog.copyLink') + ' ' }), h('a', { id: 'subscribe-copy', href: subscribeURL(ids), text: subscribeURL(ids) })),
        )
      : null,
  );
}
