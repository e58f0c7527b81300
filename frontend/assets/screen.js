// The venue screen (/screen/{track}) and the lobby display (/screen): a
// full-screen kiosk read from the back of a hall. No interaction, no cursor,
// no scrollbars; the display stays awake where the browser allows it.

import { start } from './live.js';
import * as fmt from './fmt.js';
import { $, h, text, css, show, sync, say, watch, announcer, params, pathTrack, changeBadge } from './ui.js';

const AMBER_FROM = 5 * 60e3; // the last five minutes turn amber
const OVERTIME_FOR = 10 * 60e3; // a session that runs into a gap shows its overtime this long
// The lobby shows at most ROWS tracks at once (?rows= changes it) and turns
// the page every PAGE_EVERY of server time, so every lobby screen shows the
// same page.
const ROWS = Math.max(1, parseInt(params.get('rows'), 10) || 8);
const PAGE_EVERY = 15e3;

const track = pathTrack();
const lobby = !track;
document.body.classList.toggle('lobby', lobby);
const changedNow = watch();
const freshAnnouncements = announcer();

const live = start({ track, view: 'screen', render });

// situation says what a track's screen shows at t: mode is now, break, over
// (a session ran past its end into a gap: the speaker's cue), gap, before
// (the day has not started) or done.
function situation(id, t, day) {
  const tr = live.track(id, t);
  const { now, next, prev } = tr;
  if (now) {
    const left = now.t1 - t;
    if (now.kind === 'break') return { tr, mode: 'break', s: now, next, cue: '' };
    return { tr, mode: 'now', s: now, next, cue: left <= AMBER_FROM ? 'amber' : '' };
  }
  if (prev && prev.kind !== 'break' && t - prev.t1 < OVERTIME_FOR && (!next || next.t0 > t))
    return { tr, mode: 'over', s: prev, next, cue: 'red' };
  if (next) return { tr, mode: day?.phase === 'before' ? 'before' : 'gap', s: next, next: null, cue: '' };
  return { tr, mode: 'done', s: null, next: null, cue: '' };
}

// words gives the texts of a situation, shared by the screen and the lobby.
function words(x, t, tz) {
  const s = x.s;
  switch (x.mode) {
    case 'now':
      return {
        label: `Now · ${fmt.kinds[s.kind] || s.kind}`,
        big: fmt.countdown(s.t1 - t),
        small: `until ${fmt.hm(s.t1, tz)}${s.t1 !== s.s1 ? ` (scheduled ${fmt.hm(s.s1, tz)})` : ''}`,
        short: `ends in ${fmt.duration(s.t1 - t)}`,
      };
    case 'break':
      return { label: 'Break', big: `Back at ${fmt.hm(s.t1, tz)}`, small: `in ${fmt.duration(s.t1 - t)}`, short: `back at ${fmt.hm(s.t1, tz)}` };
    case 'over':
      return {
        label: 'Running over',
        big: fmt.overtime(t - s.t1),
        small: `was due to end at ${fmt.hm(s.t1, tz)}`,
        short: `over by ${fmt.overtime(t - s.t1).slice(1)}`,
      };
    case 'gap':
    case 'before':
      return {
        label: x.mode === 'before' ? `First up · ${fmt.slot(s, tz)}` : `Up next · ${fmt.slot(s, tz)}`,
        big: `Starts in ${fmt.duration(s.t0 - t)}`,
        small: '',
        short: `starts in ${fmt.duration(s.t0 - t)}`,
      };
    default:
      return { label: 'Thank you', big: '', small: '', short: '' };
  }
}

const progress = (x, t) => (x.mode === 'now' || x.mode === 'break' ? Math.min(1, Math.max(0, (t - x.s.t0) / (x.s.t1 - x.s.t0))) : x.mode === 'over' ? 1 : 0);

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
  for (const a of freshAnnouncements(anns)) say(`Announcement: ${a.text}`);
  sync($('ann'), anns, (a) => a.id, () => h('p', { class: 'announcement' }), (el, a) => text(el, a.text));
  document.body.classList.toggle('has-ann', anns.length > 0);

  if (!ready) return;
  if (lobby) renderLobby(t, tz, day);
  else renderScreen(t, tz, day);
}

function renderScreen(t, tz, day) {
  const tr = live.tracks()[0] || { id: track, name: track };
  const x = situation(tr.id, t, day);
  const w = words(x, t, tz);
  text($('room'), tr.name);
  const b = document.body;
  b.dataset.mode = x.mode;
  b.dataset.cue = x.cue;
  if (x.mode === 'done') {
    text($('label'), w.label);
    text($('title'), 'That’s all for today');
    text($('speakers'), '');
  } else {
    text($('label'), w.label);
    text($('title'), x.s.title);
    text($('speakers'), fmt.speakers(x.s.speakers));
  }
  // A long title gets a size that fits four lines rather than three.
  $('title').classList.toggle('long', $('title').textContent.length > 60);
  changeBadge($('title'), x.mode === 'done' ? null : x.s, t, live.doc);
  text($('big'), w.big);
  text($('small'), w.small);
  css($('bar'), '--p', progress(x, t).toFixed(4));
  show($('bar'), x.mode === 'now' || x.mode === 'break' || x.mode === 'over');
  show($('next'), !!x.next);
  if (x.next) {
    text($('next-when'), `Next · ${fmt.slot(x.next, tz)}`);
    text($('next-title'), nextLine(x.next, tz));
  }
  changeBadge($('next-title'), x.next, t, live.doc);
  const cur = x.mode === 'now' || x.mode === 'break' ? x.s.id : '';
  if (changedNow(tr.id, cur) && cur) say(`Now: ${x.s.title}`);
}

function renderLobby(t, tz, day) {
  const all = live.tracks();
  const pages = Math.ceil(all.length / ROWS);
  const page = pages > 1 ? Math.floor(t / PAGE_EVERY) % pages : 0;
  const tracks = all.slice(page * ROWS, (page + 1) * ROWS);
  text($('room'), fmt.iso(live.conference().name || 'Now on') + (pages > 1 ? ` · ${page + 1}/${pages}` : ''));
  css(document.body, '--rows', Math.max(1, Math.min(all.length, ROWS)));
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
      text(now.querySelector('.eyebrow'), x.mode === 'done' ? 'That’s all for today' : `${w.label.split(' · ')[0]} · ${w.short}`);
      text(now.querySelector('.row-title'), x.s ? x.s.title : '');
      changeBadge(now.querySelector('.row-title'), x.s, t, live.doc);
      text(now.querySelector('.row-speakers'), x.s ? fmt.speakers(x.s.speakers) : '');
      const bar = now.querySelector('.bar');
      show(bar, x.mode === 'now' || x.mode === 'break' || x.mode === 'over');
      css(bar, '--p', progress(x, t).toFixed(4));
      const nx = row.querySelector('.row-next');
      show(nx, !!x.next);
      if (x.next) {
        text(nx.querySelector('.eyebrow'), `Next · ${fmt.slot(x.next, tz)}`);
        text(nx.querySelector('.row-title'), x.next.title);
      }
      changeBadge(nx.querySelector('.row-title'), x.next, t, live.doc);
      const cur = x.mode === 'now' || x.mode === 'break' ? x.s.id : '';
      if (changedNow(tr.id, cur) && cur) say(`${tr.name}: now ${x.s.title}`);
    },
  );
}

// Keep the display awake where the browser allows it (a secure context, a
// visible page); the lock is dropped whenever the page is hidden, so take it
// again on return.
async function wake() {
  if (!navigator.wakeLock || document.visibilityState !== 'visible') return;
  try {
    await navigator.wakeLock.request('screen');
  } catch {
    // Not allowed here (no user gesture in some browsers, battery saver): the
    // kiosk's own settings must keep it awake.
  }
}
document.addEventListener('visibilitychange', wake);
wake();
