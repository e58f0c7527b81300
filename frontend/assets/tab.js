// The attendee's live tab (/): every track side by side (stacked on a
// phone; past the first PAGE, a button shows more) with now, next, a day
// timeline and the full day's agenda; stars, reminders and an .ics of the
// starred sessions; the tab's title follows the chosen track. The whole
// programme, a session's detail and My schedule (#/day/N, #/session/ID,
// #/mine) come from programme.js, loaded the first time they are opened.

import { start, clock } from './live.js';
import * as fmt from './fmt.js';
import * as favs from './favs.js';
import { $, h, text, attr, css, show, sync, say, watch, announcer, params, changeBadge } from './ui.js';
import { statusRibbon } from './rooms.js';
import * as i18n from './i18n.js';

const FOLLOW_KEY = 'confdash:follow';
// follow is the track the viewer chose (the server counts them there); ""
// until they do: the tab title then shows the first track, but the viewer
// counts under "all", not as watching it.
let follow = params.get('track') || localStorage.getItem(FOLLOW_KEY) || '';
let titled = follow; // the track in the tab title: follow, else the first
// The tab renders this many tracks, and this many more per "show more": a
// schedule of thousands of tracks must not build (and refresh every second)
// thousands of cards. The followed track is always among them.
const PAGE = 24;
let shown = PAGE;
const changedNow = watch();
const freshAnnouncements = announcer();
// Several announcements take turns in one band of two lines, each this long
// (of server time, so every tab shows the same one), and the one a viewer
// opens to read in full stays until they close it: on a phone the band must
// never push what is on now off the first screen.
const ROTATE = 8000;
let openAnn = '';

const live = start({ view: 'tab', watch: follow, render });

// ---- header tools

const notifyMsg = $('notify-msg');
// The reminders (remind.js) load with the first star or a press of their
// toggle, whichever comes first: a first visit has nothing to be reminded
// of, and its first load stays within the budget. The toggle itself is in
// the page from the start, where this browser can notify at all, so the
// first star does not push the page down under the viewer's finger.
let reminders = null;
const remindOn = document.querySelector('#reminders .remind-on');
show(remindOn, !favs.cannotNotify());
// Once remind.js is mounted its own handler has the toggle's presses.
const loadReminders = () =>
  (reminders ||= import('./remind.js').then((m) => {
    m.mountReminders($('reminders'), live);
    remindOn.removeEventListener('click', firstPress);
  }));
// firstPress is the toggle's press before remind.js is there: load it, then
// press again for its own handler.
async function firstPress() {
  remindOn.removeEventListener('click', firstPress);
  await loadReminders();
  remindOn.click();
}
remindOn.addEventListener('click', firstPress);

$('ics').addEventListener('click', () => {
  const list = live.idx ? live.idx.all.filter((s) => favs.starred.has(s.id)) : [];
  if (!list.length) {
    text(notifyMsg, i18n.t('tab.starFirst'));
    return;
  }
  const body = favs.ics(list, {
    conf: live.conference(),
    trackName: (id) => live.tracks().find((t) => t.id === id)?.name || id,
    host: location.hostname || 'confdash',
    now: clock.now(),
  });
  favs.download('starred-sessions.ics', body);
});

// Static words of the page (tab.html) come from the catalogue.
for (const el of document.querySelectorAll('[data-i18n]')) text(el, i18n.t(el.dataset.i18n));
for (const el of document.querySelectorAll('[data-i18n-label]')) attr(el, 'aria-label', i18n.t(el.dataset.i18nLabel));

$('more').addEventListener('click', () => {
  shown += PAGE;
  live.changed();
});

favs.onChange(starsChanged);

function starsChanged() {
  for (const b of document.querySelectorAll('.star[data-id]')) paintStar(b);
  for (const card of $('tracks').children) card.timelineSig = '';
  live.changed();
}

// ---- stars: one button per session on every card (now, next, the day's
// agenda, the programme, the detail), all of a session's kept alike.

function star(s) {
  const b = h('button', { class: 'star', type: 'button' });
  setStar(b, s);
  return b;
}

// setStar makes b the star of session s (none: hidden); the cards of now
// and next keep their button while their session changes.
function setStar(b, s) {
  show(b, !!s && s.kind !== 'break');
  if (!s) return;
  b.dataset.id = s.id;
  attr(b, 'aria-label', i18n.t('tab.starLabel', { title: fmt.iso(s.title) }));
  paintStar(b);
}

function paintStar(b) {
  const on = favs.starred.has(b.dataset.id);
  attr(b, 'aria-pressed', String(on));
  text(b, on ? '★' : '☆');
}

document.addEventListener('click', (e) => {
  const b = e.target.closest?.('button.star[data-id]');
  if (!b) return;
  favs.toggle(b.dataset.id);
  starsChanged();
});

// ---- routes: "" or #/ is what is on now; #/day/N (with ?q=&track=&tag=),
// #/session/ID and #/mine open the programme. Links push history entries,
// so the back button and a reload keep the place.

function parseRoute() {
  const m = /^#\/(day|session|mine)(?:\/([^?]*))?(?:\?(.*))?$/.exec(location.hash);
  if (!m) return { view: 'now', arg: '', q: new URLSearchParams() };
  let arg = m[2] || '';
  try {
    arg = decodeURIComponent(arg);
  } catch {
    // A mangled link: the programme's first day, or "not found".
  }
  return { view: m[1], arg, q: new URLSearchParams(m[3] || '') };
}

let route = parseRoute();
let prog = null; // programme.js, once loaded
let refocus = false; // a link changed the view: focus its heading once drawn

function onRoute() {
  const was = route.view + route.arg;
  route = parseRoute();
  refocus = was !== route.view + route.arg;
  const now = route.view === 'now';
  show($('tracks'), now);
  show($('page'), !now);
  for (const [id, v] of [['to-now', 'now'], ['to-prog', 'day'], ['to-mine', 'mine']]) attr($(id), 'aria-current', route.view === v || (v === 'day' && route.view === 'session') ? 'page' : null);
  if (!now && !prog)
    import('./programme.js').then((m) => {
      m.init({ live, star });
      prog = m;
      live.changed();
    });
  if (was !== route.view + route.arg) scrollTo(0, 0);
  live.changed();
}
addEventListener('hashchange', onRoute);

// today is the day the programme opens on: today's on the day, the first
// before the event, the last after it, and between days the one to come.
function today(t, tz, day) {
  const days = live.doc?.days || [];
  const i = days.findIndex((d) => d.date === fmt.ymd(t, tz));
  return i >= 0 ? i : day ? day.index : 0;
}

// ---- cards

function block(cls, label) {
  const el = h(
    'div',
    { class: `slot ${cls}` },
    h('p', { class: 'label' }, h('span', { class: 'kind' }), h('span', { class: 'when' }), h('abbr', { class: 'lang', hidden: true }), star(null)),
    h('h3', { class: 'title' }),
    h('p', { class: 'speakers' }),
    h('div', { class: 'bar', role: 'progressbar', 'aria-label': label, 'aria-valuemin': '0', 'aria-valuemax': '100' }),
    h('p', { class: 'meta' }),
  );
  el.q = (c) => el.querySelector(c);
  return el;
}

function makeCard(tr) {
  const id = `track-${tr.id}`;
  const follows = h('button', { class: 'follow', type: 'button', onclick: () => choose(tr.id) }, i18n.t('tab.follow'));
  const card = h(
    'section',
    { class: 'track', 'aria-labelledby': id },
    h(
      'header',
      { class: 'track-head' },
      h('h2', { id }),
      h('span', { class: 'viewers', hidden: true }),
      h('span', { class: 'delay', hidden: true }),
      follows,
    ),
    block('now', i18n.t('tab.progressLabel')),
    block('next', ''),
    h('div', { class: 'timeline', 'aria-hidden': 'true' }, h('div', { class: 'segs' }), h('span', { class: 'nowline' })),
    h('details', { class: 'agenda' }, h('summary'), h('ol')),
  );
  card.follows = follows;
  card.nowEl = card.querySelector('.slot.now');
  card.nextEl = card.querySelector('.slot.next');
  card.nextEl.querySelector('.bar').remove();
  return card;
}

function choose(id) {
  follow = id;
  try {
    localStorage.setItem(FOLLOW_KEY, id);
  } catch {
    // Storage disabled: the choice lasts as long as the tab.
  }
  live.changed();
}

function fill(el, s, t, tz, what) {
  show(el, true);
  el.classList.toggle('is-break', s?.kind === 'break');
  // The title links to the session's detail (an empty card writes its
  // message over the link, so it is made again).
  let go = el.q('.title a');
  if (s && !go) el.q('.title').replaceChildren((go = h('a')));
  if (s) {
    text(go, s.title);
    attr(go, 'href', `#/session/${encodeURIComponent(s.id)}`);
  } else text(el.q('.title'), '');
  setStar(el.q('.star'), s);
  const lang = (s?.language || '').split(/[-_]/)[0].toUpperCase();
  show(el.q('.lang'), !!lang);
  text(el.q('.lang'), lang);
  attr(el.q('.lang'), 'title', lang ? i18n.t('prog.language', { lang }) : null);
  attr(el.q('.title'), 'title', s ? s.title : null); // the card shows three lines of it
  changeBadge(el.q('.title'), s, t, live.doc);
  text(el.q('.speakers'), s ? fmt.speakers(s.speakers) : '');
  text(el.q('.kind'), s ? fmt.kinds[s.kind] || s.kind : '');
  if (what === 'now') {
    const p = s ? Math.min(1, Math.max(0, (t - s.t0) / (s.t1 - s.t0))) : 0;
    const bar = el.q('.bar');
    css(bar, '--p', p.toFixed(4));
    attr(bar, 'aria-valuenow', Math.round(p * 100));
    show(bar, !!s);
  }
}

// daySessions are a track's sessions of the day, from its own list: a
// filter of the whole day per card would cost tracks × sessions.
const daySessions = (id, day) => (day ? live.sessions(id).filter((s) => s.s0 >= day.start && s.s0 < day.end) : []);

function updateCard(card, tr, t, tz, day) {
  const { now, next, status } = live.track(tr.id, t);
  // How late the day runs here: the running session's end, else the next
  // one's start. A track's delay is absorbed by the gaps after it, so the
  // track's own figure would say "late" all day.
  const delay = Math.max(0, Math.round((now ? now.t1 - now.s1 : next ? next.t0 - next.s0 : 0) / 60e3));
  text(card.querySelector('h2'), tr.name);
  statusRibbon(card.nowEl, status);
  const following = tr.id === titled;
  card.classList.toggle('followed', following);
  attr(card.follows, 'aria-pressed', String(following));
  text(card.follows, following ? i18n.t('tab.followed') : i18n.t('tab.follow'));
  attr(card.follows, 'aria-label', i18n.t(following ? 'tab.followedLabel' : 'tab.followLabel', { track: fmt.iso(tr.name) }));

  // Counts come only from a server that shows them publicly
  // (--public-viewer-counts), and only while connected (live.js).
  const v = live.viewers?.tracks?.[tr.id];
  const viewers = card.querySelector('.viewers');
  show(viewers, v != null);
  text(viewers, v != null ? i18n.t('tab.watching', { n: v }) : '');
  const delayEl = card.querySelector('.delay');
  show(delayEl, delay > 0);
  text(delayEl, delay > 0 ? i18n.t('tab.late', { min: delay }) : '');

  const n = card.nowEl;
  if (now) {
    fill(n, now, t, tz, 'now');
    text(n.q('.when'), now.kind === 'break' ? '' : i18n.t('tab.now'));
    text(
      n.q('.meta'),
      now.kind === 'break'
        ? i18n.t('tab.backAt', { time: fmt.dual(now.t1, tz) })
        : i18n.t('tab.nowMeta', { from: fmt.hm(now.t0, tz), to: fmt.hm(now.t1, tz), left: fmt.duration(now.t1 - t) }),
    );
  } else {
    fill(n, null, t, tz, 'now');
    text(n.q('.when'), '');
    const over = day?.phase === 'after' || (!next && day?.phase !== 'before');
    text(n.q('.title'), over ? i18n.t('tab.allDone') : next ? i18n.t('tab.nothingNow') : '');
    text(n.q('.meta'), !over && next ? i18n.t('tab.nextStartsIn', { in: fmt.duration(next.t0 - t) }) : '');
  }
  n.classList.toggle('empty', !now);

  const x = card.nextEl;
  show(x, !!next);
  if (next) {
    fill(x, next, t, tz, 'next');
    text(x.q('.when'), i18n.t('tab.nextIn', { in: fmt.duration(next.t0 - t) }));
    const l = fmt.local(next.t0, tz);
    text(
      x.q('.meta'),
      `${fmt.slot(next, tz)} ${fmt.zoneName(next.t0, tz)}` + (l ? ' · ' + i18n.t('tab.yourTime', { time: l.time + (l.shift ? ' ' + l.shift : '') }) : ''),
    );
    x.classList.toggle('late', next.t0 !== next.s0);
  }

  if (changedNow(tr.id, now?.id || '')) say(i18n.t(now ? 'tab.sayNow' : next ? 'tab.sayBreak' : 'tab.sayDone', { track: tr.name, title: now?.title }));

  const list = daySessions(tr.id, day);
  updateTimeline(card, list, t, day, now);
  updateAgenda(card, list, t, tz, now);
}

// The timeline shares one scale across tracks (the day's first start to its
// last end), so parallel sessions line up.
function updateTimeline(card, list, t, day, now) {
  const line = card.querySelector('.timeline');
  if (!day) return show(line, false);
  show(line, true);
  const span = Math.max(1, day.last - day.first);
  const sig = list.map((s) => s.id + s.t0 + s.t1 + favs.starred.has(s.id)).join() + day.first + day.last;
  if (card.timelineSig !== sig) {
    card.timelineSig = sig;
    const segs = list.map((s) => {
      const el = h('span', { class: `seg k-${s.kind}${favs.starred.has(s.id) ? ' starred' : ''}`, title: s.title });
      css(el, '--a', ((s.t0 - day.first) / span).toFixed(4));
      css(el, '--b', ((s.t1 - day.first) / span).toFixed(4));
      el.dataset.id = s.id;
      return el;
    });
    line.querySelector('.segs').replaceChildren(...segs);
  }
  for (const el of line.querySelectorAll('.seg')) el.classList.toggle('is-now', el.dataset.id === now?.id);
  const f = (t - day.first) / span;
  const nl = line.querySelector('.nowline');
  show(nl, f >= 0 && f <= 1);
  css(nl, '--now', Math.min(1, Math.max(0, f)).toFixed(4));
}

function updateAgenda(card, list, t, tz, now) {
  const det = card.querySelector('.agenda');
  show(det, list.length > 0);
  const sig = list.map((s) => s.id + s.t0 + s.t1 + s.title).join() + tz; // a retitled session too
  if (card.agendaSig !== sig) {
    card.agendaSig = sig;
    text(det.querySelector('summary'), i18n.t(list.length === 1 ? 'tab.fullDay1' : 'tab.fullDay', { n: list.length }));
    const items = list.map((s) => {
      const l = fmt.local(s.t0, tz);
      return h(
        'li',
        { class: `k-${s.kind}`, 'data-id': s.id },
        h('span', { class: 'at' }, h('time', { datetime: new Date(s.t0).toISOString(), text: fmt.slot(s, tz) }), l ? h('small', { text: i18n.t('tab.yourTime', { time: l.time }) }) : null),
        h(
          'span',
          { class: 'what' },
          h('a', { class: 'title', href: `#/session/${encodeURIComponent(s.id)}`, text: s.title, title: s.title }),
          s.speakers?.length ? h('small', { text: fmt.speakers(s.speakers) }) : null,
        ),
        s.kind === 'break' ? null : star(s),
      );
    });
    det.querySelector('ol').replaceChildren(...items);
  }
  const byId = new Map(list.map((s) => [s.id, s]));
  for (const li of det.querySelectorAll('li')) {
    const s = byId.get(li.dataset.id);
    li.classList.toggle('past', !!s && s.t1 <= t);
    li.classList.toggle('is-now', li.dataset.id === now?.id);
    li.hidden = !changeBadge(li.querySelector('.title'), s, t, live.doc) && !!s?.cancelled; // a cancellation long past is gone
  }
}

// ---- the page

let rendered = false;

// render measures itself (performance entries "confdash:first-render" and
// the latest "confdash:render"): a slow render on a large schedule shows in
// the browser's performance panel, and the tests bound it.
function render(t) {
  const began = performance.now();
  const ready = draw(t);
  if (!ready) return;
  const name = rendered ? 'confdash:render' : 'confdash:first-render';
  rendered = true;
  performance.clearMeasures('confdash:render');
  performance.measure(name, { start: began });
}

function draw(t) {
  const tz = live.tz();
  const conf = live.conference();
  const ready = !!(live.doc || live.state);
  attr($('tracks'), 'aria-busy', String(!ready));
  text($('conf'), conf.name || i18n.t('tab.appName'));
  if (ready) {
    text($('clock'), fmt.hms(t, tz));
    text($('zone'), fmt.zoneName(t, tz));
    const l = fmt.local(t, tz);
    text($('clock-local'), l ? i18n.t('tab.yourTime', { time: l.time }) : '');
    text($('zone-note'), tz ? i18n.t(l ? 'tab.zoneNoteLocal' : 'tab.zoneNote', { zone: fmt.zoneName(t, tz), tz }) : '');
  }

  const day = live.day(t);
  text($('day'), day ? dayStatus(day, t, tz) : '');

  // An emergency comes first and an urgent one next (the sort keeps the
  // order among equals).
  const anns = live.announcements(t).slice().sort((a, b) => rank(a) - rank(b));
  for (const a of freshAnnouncements(anns)) say(i18n.t('tab.sayAnnouncement', { text: a.text }));
  const tracks = live.tracks();
  sync(
    $('announcements'),
    anns,
    (a) => a.id,
    makeAnnouncement,
    (el, a) => {
      text(el.querySelector('.where'), a.track ? tracks.find((x) => x.id === a.track)?.name || a.track : i18n.t('tab.everyone'));
      text(el.querySelector('.text'), a.text);
      el.dataset.level = a.level || 'info';
    },
  );
  rotateAnnouncements(anns, t);

  if (!ready) return false;
  if (favs.starred.size || favs.remindersOn()) loadReminders();
  $('loading')?.remove();
  follow = live.current(follow); // a renamed room keeps its followers
  if (!tracks.some((x) => x.id === follow)) follow = '';
  live.watch(follow);
  titled = follow || tracks[0]?.id || '';
  const some = tracks.slice(0, shown);
  if (tracks.length > shown && !some.some((x) => x.id === titled)) some.unshift(tracks.find((x) => x.id === titled));
  route = parseRoute(); // the programme's search and filters replace the address in place
  const onNow = route.view === 'now';
  if (onNow) sync($('tracks'), some, (x) => x.id, makeCard, (card, tr) => updateCard(card, tr, t, tz, day));
  const first = today(t, tz, day);
  attr($('to-prog'), 'href', `#/day/${first + 1}`);
  if (!onNow && prog) prog.render(route, t, first);
  // A keyboard or screen reader user lands on the new view, not on the
  // link that led there (the way a page load would put them at its top).
  if (refocus && (onNow || prog)) {
    refocus = false;
    if (onNow) $('tracks').focus({ preventScroll: true });
    else prog.focusHeading(route);
  }
  const rest = tracks.length - some.length;
  show($('more'), onNow && rest > 0);
  text($('more'), rest > 0 ? i18n.t('tab.more', { n: Math.min(PAGE, rest), rest }) : '');

  if (onNow || route.view !== 'session') document.title = tabTitle(t, tz, day, conf);
  return true;
}

function makeAnnouncement(a) {
  const more = h('button', { class: 'ann-more', type: 'button', 'aria-expanded': 'false' }, i18n.t('tab.annMore'));
  return h(
    'div',
    {
      class: 'announcement new',
      onclick: () => {
        openAnn = openAnn === a.id ? '' : a.id;
        live.changed();
      },
      onanimationend: (e) => e.currentTarget.classList.remove('new'),
    },
    h('p', { class: 'ann-body' }, h('strong', { class: 'where' }), h('span', { class: 'text' })),
    h('p', { class: 'ann-side' }, h('span', { class: 'ann-count' }), more),
  );
}

const LEVELS = { emergency: 0, urgent: 1 };
const rank = (a) => LEVELS[a.level] ?? 2;

// rotateAnnouncements shows every emergency, whole, at the top (they never
// take turns: a phone page must not hide one), then one of the others
// ("2/3"): the opened one, else the one whose turn it is. Its "More" button
// appears when its text is cut.
function rotateAnnouncements(anns, t) {
  const first = anns.filter((a) => a.level === 'emergency').length;
  const n = anns.length - first;
  let cur = anns.findIndex((a, i) => i >= first && a.id === openAnn);
  if (cur < 0) {
    openAnn = ''; // an emergency is always whole: nothing to open
    cur = n ? first + (Math.floor(t / ROTATE) % n) : -1;
  }
  [...$('announcements').children].forEach((el, i) => {
    if (i < first) {
      show(el, true);
      el.classList.add('open');
      text(el.querySelector('.ann-count'), '');
      show(el.querySelector('.ann-more'), false);
      return;
    }
    show(el, i === cur);
    text(el.querySelector('.ann-count'), n > 1 ? `${i - first + 1}/${n}` : '');
    const open = i === cur && !!openAnn;
    el.classList.toggle('open', open);
    const more = el.querySelector('.ann-more');
    attr(more, 'aria-expanded', String(open));
    text(more, open ? i18n.t('tab.annLess') : i18n.t('tab.annMore'));
    const body = el.querySelector('.ann-body');
    show(more, open || (i === cur && body.scrollHeight > body.clientHeight + 1));
  });
}

function dayStatus(day, t, tz) {
  const date = fmt.weekday(day.first, tz);
  const multi = day.count > 1 ? i18n.t('tab.dayN', { n: day.index + 1 }) + ' · ' : '';
  if (day.phase === 'after') return `${multi}${date} · ${i18n.t('tab.allDone')}`;
  if (day.phase === 'before') {
    if (day.prev && fmt.ymd(t, tz) === fmt.ymd(day.prev.last, tz))
      return `${i18n.t('tab.allDone')} · ${i18n.t('tab.dayStarts', { n: day.index + 1, date: fmt.weekday(day.first, tz), time: fmt.hm(day.first, tz) })}`;
    return `${multi}${date} · ${i18n.t('tab.startsIn', { in: fmt.duration(day.first - t) })}`;
  }
  return `${multi}${date}`;
}

function tabTitle(t, tz, day, conf) {
  const name = fmt.iso(conf.name || i18n.t('tab.appName'));
  const tr = titled && live.track(titled, t);
  if (day?.phase === 'after') return `${i18n.t('tab.allDone')} · ${name}`;
  if (day?.phase === 'before') return `${i18n.t('tab.startsIn', { in: fmt.duration(day.first - t) })} · ${name}`;
  if (tr?.now) return `▶ ${fmt.iso(tr.now.title)} · ${fmt.iso(tr.name)}`;
  if (tr?.next) return `${i18n.t('tab.titleNext', { time: fmt.hm(tr.next.t0, tz), title: fmt.iso(tr.next.title) })} · ${fmt.iso(tr.name)}`;
  return name;
}

onRoute();
