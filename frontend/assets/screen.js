// The venue screen (/screen/{track}) and the lobby display (/screen): a
// full-screen kiosk read from the back of a hall. No interaction, no cursor,
// no scrollbars; the display stays awake where the browser allows it.

import { start } from './live.js';
import * as fmt from './fmt.js';
import { t as msg } from './i18n.js';
import { $, h, text, css, show, sync, say, watch, announcer, params, pathTrack, keepAwake, changeBadge, languageBadge } from './ui.js';
import { statusRibbon, roomGone } from './rooms.js';

const AMBER_FROM = 5 * 60e3; // the last five minutes turn amber
// The lobby shows at most ROWS tracks at once (?rows= changes it, 1 to
// MAX_ROWS: more would make the titles unreadable from the back of a
// foyer) and turns the page every PAGE_EVERY of server time, so every lobby
// screen shows the same page. A portrait screen holds fewer rows, each
// stacked; an announcement band takes two rows' room.
const MAX_ROWS = 8;
// A parameter the page cannot use is named on the screen (#hint), with
// what to write instead: whoever set up the kiosk sees it at once.
const problems = [];
const asked = parseInt(params.get('rows'), 10);
const ROWS = asked > 0 ? Math.min(MAX_ROWS, asked) : 0; // 0: as many as the screen's shape holds
if (params.has('rows') && !(String(asked) === params.get('rows').trim() && asked >= 1 && asked <= MAX_ROWS))
  problems.push(ROWS ? msg('screen.badRows', { value: params.get('rows'), max: MAX_ROWS, rows: ROWS }) : msg('screen.badRowsFit', { value: params.get('rows'), max: MAX_ROWS }));
const PAGE_EVERY = 15e3;
// ?tracks=a,b: the lobby shows only these tracks (a screen per floor).
const ONLY = (params.get('tracks') || '').split(',').map((x) => x.trim()).filter(Boolean);
// Several announcements take turns in one band, ANN_EVERY each, switched
// on server time so that every screen shows the same one.
const ANN_EVERY = 10e3;
// Night: from the day's last session end + night_after minutes to the next
// day's first start − night_before minutes the screen goes dark, showing
// only a small drifting clock (a static, bright screen all night burns in).
const minutes = (name, d) => {
  if (!params.has(name)) return d * 60e3;
  const v = Number(params.get(name));
  if (params.get(name).trim() !== '' && Number.isFinite(v) && v >= 0) return v * 60e3;
  problems.push(msg('screen.badMinutes', { name, value: params.get(name), d }));
  return d * 60e3;
};
const NIGHT_AFTER = minutes('night_after', 30);
const NIGHT_BEFORE = minutes('night_before', 60);
// By day, static parts move by a few pixels every SHIFT_EVERY: never more
// than the pages' paddings, so nothing leaves the screen.
const SHIFT_EVERY = 120e3;
const SHIFTS = [[0, 0], [2, 1], [3, -1], [1, -3], [-1, -2], [-3, 0], [-2, 2], [0, 3]];

const track = pathTrack();
const lobby = !track;
document.body.classList.toggle('lobby', lobby);
const changedNow = watch();
const freshAnnouncements = announcer();

const live = start({ track, view: 'screen', render });

// situation says what a track's screen shows at t: mode is now, break, gap,
// before (the day has not started) or done. A session is "now" until its
// estimated end (or its live end), then the break or the next one shows:
// the audience never sees overtime, which is the stage view's business.
function situation(id, t, day) {
  const tr = live.track(id, t);
  const { now, next } = tr;
  if (now) {
    const left = now.t1 - t;
    if (now.kind === 'break') return { tr, mode: 'break', s: now, next, cue: '' };
    return { tr, mode: 'now', s: now, next, cue: left <= AMBER_FROM ? 'amber' : '' };
  }
  if (next) return { tr, mode: day?.phase === 'before' ? 'before' : 'gap', s: next, next: null, cue: '' };
  return { tr, mode: 'done', s: null, next: null, cue: '' };
}

// words gives the texts of a situation, shared by the screen and the lobby:
// the lobby's row says lead · short ("Now · ends in 12 min").
function words(x, t, tz) {
  const s = x.s;
  switch (x.mode) {
    case 'now':
      return {
        label: msg('screen.now', { kind: fmt.kinds[s.kind] || s.kind }),
        lead: msg('screen.nowShort'),
        big: fmt.countdown(s.t1 - t),
        small: s.t1 !== s.s1 ? msg('screen.untilLate', { time: fmt.hm(s.t1, tz), scheduled: fmt.hm(s.s1, tz) }) : msg('screen.until', { time: fmt.hm(s.t1, tz) }),
        short: msg('screen.endsIn', { d: fmt.duration(s.t1 - t) }),
      };
    case 'break':
      return { label: msg('screen.break'), lead: msg('screen.break'), big: msg('screen.backAt', { time: fmt.hm(s.t1, tz) }), small: msg('fmt.in', { d: fmt.duration(s.t1 - t) }), short: msg('screen.backAtShort', { time: fmt.hm(s.t1, tz) }) };
    case 'gap':
    case 'before': {
      const when = fmt.startsAt(s.t0, t, tz);
      return {
        label: x.mode === 'before' ? msg('screen.firstUp', { when: fmt.slot(s, tz) }) : msg('screen.upNext', { when: fmt.slot(s, tz) }),
        lead: x.mode === 'before' ? msg('screen.firstUpShort') : msg('screen.upNextShort'),
        big: msg('screen.starts', { when }),
        small: '',
        short: msg('screen.startsShort', { when }),
      };
    }
    default:
      return { label: msg('screen.thanks'), big: '', small: '', short: '' };
  }
}

const progress = (x, t) => (x.mode === 'now' || x.mode === 'break' ? Math.min(1, Math.max(0, (t - x.s.t0) / (x.s.t1 - x.s.t0))) : 0);

function nextLine(n, tz) {
  if (!n) return '';
  const who = fmt.speakers(n.speakers);
  return `${fmt.iso(n.title)}${who ? ' — ' + who : ''}`;
}

function render(t) {
  const tz = live.tz();
  const ready = !!(live.doc || live.state);
  const day = live.day(t);
  text($('clock'), ready ? fmt.hm(t, tz) : '');
  text($('zone'), ready ? fmt.zoneName(t, tz) : '');

  const anns = live.announcements(t);
  for (const a of freshAnnouncements(anns)) say(msg('say.announcement', { text: a.text }));
  renderAnnouncements(anns, t);

  if (!ready) return;
  if (!lobby && roomGone(live, 'screen')) return;
  const dark = night(t, day);
  document.body.classList.toggle('night', dark);
  const k = Math.floor(t / SHIFT_EVERY);
  const [sx, sy] = SHIFTS[k % SHIFTS.length];
  css(document.body, '--sx', `${sx}px`);
  css(document.body, '--sy', `${sy}px`);
  if (lobby) renderLobby(t, tz, day);
  else renderScreen(t, tz, day);
  if (dark) renderNight(t, tz);
}

// ---- announcements: one band of bounded height, one announcement at a
// time, the whole text always shown: it gets smaller type until it fits,
// and only text that still does not fit scrolls slowly. "urgent" ones come
// first, highlighted; "emergency" ones take over the whole screen.

const LEVELS = { emergency: 0, urgent: 1 };
const rank = (a) => LEVELS[a.level] ?? 2;

function renderAnnouncements(all, t) {
  const emergency = all.some((a) => a.level === 'emergency');
  const list = (emergency ? all.filter((a) => a.level === 'emergency') : all).slice().sort((a, b) => rank(a) - rank(b));
  const cur = list.length ? Math.floor(t / ANN_EVERY) % list.length : -1;
  document.body.classList.toggle('has-ann', list.length > 0);
  document.body.classList.toggle('emergency', emergency);
  sync(
    $('ann'),
    list,
    (a) => a.id,
    () => h('div', { class: 'announcement' }, h('p', { class: 'ann-where' }), h('p', { class: 'ann-text' }), h('p', { class: 'ann-count' })),
    (el, a) => {
      const i = list.indexOf(a);
      el.dataset.level = a.level || '';
      show(el, i === cur);
      // The lobby shows every room's announcements: say which room.
      const where = lobby && a.track ? live.idx?.tracks.get(a.track)?.name || a.track : '';
      text(el.querySelector('.ann-where'), where);
      text(el.querySelector('.ann-text'), a.text);
      text(el.querySelector('.ann-count'), list.length > 1 ? `${i + 1}/${list.length}` : '');
    },
  );
  // Measured once in the page: a new element is built before it is placed.
  const shown = $('ann').children[cur];
  if (shown) fit(shown);
}

// fit gives the announcement the largest type (down to half size) at which
// its whole text fits its bounded band; what still overflows scrolls. It
// measures again only when the text or the screen's size changed.
function fit(el) {
  const body = el.querySelector('.ann-text');
  const key = `${body.textContent}|${innerWidth}x${innerHeight}|${document.body.className}`;
  if (el.dataset.fit === key) return;
  el.dataset.fit = key;
  el.classList.remove('scroll');
  let f = 1;
  css(el, '--fit', f);
  while (el.scrollHeight > el.clientHeight + 1 && f > 0.5) {
    f = Math.round((f - 0.05) * 100) / 100;
    css(el, '--fit', f);
  }
  const over = el.scrollHeight - el.clientHeight;
  if (over > 1) {
    css(el, '--over', `${-over}px`);
    el.classList.add('scroll');
  }
}
addEventListener('resize', () => live.changed());

// ---- night and burn-in care

// night reports whether t lies outside the conference's day: after the last
// session of a day (+ NIGHT_AFTER) and before the first of the next
// (− NIGHT_BEFORE), or before the first day and after the last.
function night(t, day) {
  if (!day) return false;
  if (day.phase === 'after') return t >= day.last + NIGHT_AFTER;
  if (day.phase !== 'before' || t >= day.first - NIGHT_BEFORE) return false;
  return !day.prev || t >= day.prev.last + NIGHT_AFTER;
}

// renderNight writes the clock and what comes first, and moves them to
// another place every minute.
function renderNight(t, tz) {
  const m = Math.floor(t / 60e3);
  css($('night-box'), '--nx', ((m * 37) % 100) / 100);
  css($('night-box'), '--ny', ((m * 61) % 100) / 100);
  text($('night-clock'), fmt.hm(t, tz));
  let first = null;
  let where = '';
  for (const tr of shownTracks()) {
    const n = live.track(tr.id, t).next;
    if (n && (!first || n.t0 < first.t0)) [first, where] = [n, tr.name];
  }
  text(
    $('night-first'),
    !first
      ? msg('screen.nightDone')
      : lobby
        ? msg('screen.nightFirstWhere', { when: fmt.startsAt(first.t0, t, tz), title: fmt.iso(first.title), room: fmt.iso(where) })
        : msg('screen.nightFirst', { when: fmt.startsAt(first.t0, t, tz), title: fmt.iso(first.title) }),
  );
}

// shownTracks is the tracks this page shows: its own, or the lobby's
// (?tracks= picks some).
function shownTracks() {
  const all = live.tracks();
  return lobby && ONLY.length ? all.filter((tr) => ONLY.map(live.current).includes(tr.id)) : all;
}

// hint shows the page's parameter problems and more, or nothing.
function hint(more = []) {
  const all = [...problems, ...more];
  show($('hint'), all.length > 0);
  text($('hint'), all.join(' · '));
}

function renderScreen(t, tz, day) {
  hint();
  const tr = live.tracks()[0] || { id: track, name: track };
  const x = situation(tr.id, t, day);
  const w = words(x, t, tz);
  text($('room'), tr.name);
  statusRibbon($('title').parentElement, live.track(tr.id, t).status);
  const b = document.body;
  b.dataset.mode = x.mode;
  b.dataset.cue = x.cue;
  if (x.mode === 'done') {
    text($('label'), w.label);
    text($('title'), msg('screen.doneToday'));
    text($('speakers'), '');
  } else {
    text($('label'), w.label);
    text($('title'), x.s.title);
    text($('speakers'), fmt.speakers(x.s.speakers));
  }
  // A long title gets a size that fits four lines rather than three.
  $('title').classList.toggle('long', $('title').textContent.length > 60);
  changeBadge($('title'), x.mode === 'done' ? null : x.s, t, live.doc);
  languageBadge($('title'), x.mode === 'done' ? null : x.s);
  text($('big'), w.big);
  text($('small'), w.small);
  css($('bar'), '--p', progress(x, t).toFixed(4));
  show($('bar'), x.mode === 'now' || x.mode === 'break');
  show($('next'), !!x.next);
  if (x.next) {
    text($('next-when'), msg('screen.next', { when: fmt.slot(x.next, tz) }));
    text($('next-title'), nextLine(x.next, tz));
  }
  changeBadge($('next-title'), x.next, t, live.doc);
  languageBadge($('next-title'), x.next);
  const cur = x.mode === 'now' || x.mode === 'break' ? x.s.id : '';
  if (changedNow(tr.id, cur) && cur) say(msg('say.now', { title: x.s.title }));
}

// doneToday reports a lobby row with nothing more today: its next session
// lies on a later day.
const doneToday = (x, day) => x.mode === 'done' || (x.mode === 'gap' && day?.phase === 'during' && x.s.t0 >= day.end);

function renderLobby(t, tz, day) {
  const picked = shownTracks();
  const unknown = ONLY.filter((id) => !live.tracks().some((tr) => tr.id === live.current(id)));
  const wrong = unknown.length
    ? [msg('screen.unknownTracks', { ids: unknown.map((id) => `“${id}”`).join(', '), known: live.tracks().map((tr) => tr.id).join(', ') })]
    : [];
  hint(wrong);
  // Rooms done for the day give their place to those still running; when
  // every room is done they all stay, each saying so.
  const going = picked.filter((tr) => !doneToday(situation(tr.id, t, day), day));
  const all = going.length ? going : picked;
  const portrait = innerHeight > innerWidth;
  const want = ROWS || (portrait ? 5 : 6);
  const rows = Math.max(1, document.body.classList.contains('has-ann') ? want - 2 : want);
  const pages = Math.ceil(all.length / rows);
  const page = pages > 1 ? Math.floor(t / PAGE_EVERY) % pages : 0;
  const tracks = all.slice(page * rows, (page + 1) * rows);
  // The page number first: a long conference name is cut at its end.
  text($('room'), (pages > 1 ? `${page + 1}/${pages} · ` : '') + (live.conference().name ? fmt.iso(live.conference().name) : msg('screen.nowOn')));
  css(document.body, '--rows', Math.max(1, Math.min(all.length, rows)));
  sync(
    $('lobby'),
    tracks,
    (tr) => tr.id,
    () =>
      h(
        'section',
        { class: 'row' },
        h('h2', { class: 'row-room' }),
        h('div', { class: 'row-now' }, h('p', { class: 'eyebrow' }), h('p', { class: 'row-title' }), h('p', { class: 'row-speakers' }), h('div', { class: 'bar' })),
        h('div', { class: 'row-next' }, h('p', { class: 'eyebrow' }), h('p', { class: 'row-title' })),
      ),
    (row, tr) => {
      const x = situation(tr.id, t, day);
      const w = words(x, t, tz);
      row.dataset.mode = x.mode;
      row.dataset.cue = x.cue;
      text(row.querySelector('.row-room'), tr.name);
      const now = row.querySelector('.row-now');
      statusRibbon(now, live.track(tr.id, t).status);
      text(now.querySelector('.eyebrow'), x.mode === 'done' ? msg('screen.doneToday') : msg('screen.rowEyebrow', { label: w.lead, short: w.short }));
      text(now.querySelector('.row-title'), x.s ? x.s.title : '');
      changeBadge(now.querySelector('.row-title'), x.s, t, live.doc);
      languageBadge(now.querySelector('.row-title'), x.s);
      text(now.querySelector('.row-speakers'), x.s ? fmt.speakers(x.s.speakers) : '');
      const bar = now.querySelector('.bar');
      show(bar, x.mode === 'now' || x.mode === 'break');
      css(bar, '--p', progress(x, t).toFixed(4));
      const nx = row.querySelector('.row-next');
      show(nx, !!x.next);
      if (x.next) {
        text(nx.querySelector('.eyebrow'), msg('screen.next', { when: fmt.slot(x.next, tz) }));
        text(nx.querySelector('.row-title'), x.next.title);
      }
      changeBadge(nx.querySelector('.row-title'), x.next, t, live.doc);
      languageBadge(nx.querySelector('.row-title'), x.next);
      const cur = x.mode === 'now' || x.mode === 'break' ? x.s.id : '';
      if (changedNow(tr.id, cur) && cur) say(msg('say.roomNow', { room: tr.name, title: x.s.title }));
    },
  );
}

keepAwake();
