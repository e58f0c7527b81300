// The organizer console (/admin). The token is asked for once and kept in
// sessionStorage (gone with the tab, never in a URL or localStorage). Every
// error the API answers is shown as the server wrote it.

import { start, api, clock } from './live.js';
import * as fmt from './fmt.js';
import { $, h, text, attr, show, sync, say } from './ui.js';
import { t as msg } from './i18n.js';
import { mountComposer, composeFields, renderComposer, annItem, audiences, levelName } from './admin-compose.js';
import { rooms } from './admin-rooms.js';

const TOKEN_KEY = 'confdash:admin-token';
const TTLS = [
  ['', msg('admin.noExpiry')],
  ['300', fmt.duration(300e3)],
  ['900', fmt.duration(900e3)],
  ['1800', fmt.duration(1800e3)],
  ['3600', fmt.duration(3600e3)],
  ['7200', fmt.duration(7200e3)],
];

let token = sessionStorage.getItem(TOKEN_KEY) || '';
let live = null;
let changesVersion = null;
// renderRooms draws the room status controls (admin-rooms.js).
const renderRooms = rooms(call);

function error(e) {
  const el = $('error');
  text(el, e ? e.message : '');
  show(el, !!e);
  if (e?.status === 401) signOut(e);
}

// wsProtocols carry the token on the console's socket: a browser's
// WebSocket sends no Authorization header, and a token in the URL would end
// up in proxies' logs. The server selects confdash.v1, never the token's
// subprotocol, which is the token in base64url (a subprotocol is an HTTP
// token).
function wsProtocols() {
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(token)));
  return ['confdash.v1', `bearer.${b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`];
}

function signOut(e) {
  token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  show($('console'), false);
  show($('login'), true);
  text($('login-error'), e ? e.message : '');
  $('token').focus();
}

// call runs an admin API call, shows its error as it came, and resolves to
// its body (undefined on error).
async function call(method, path, body, button) {
  if (button) button.disabled = true;
  try {
    const r = await api(method, path, body, token);
    error(null);
    return r ?? {};
  } catch (e) {
    error(e);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- sign in

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const t = $('token').value.trim();
  const btn = e.submitter;
  if (btn) btn.disabled = true;
  try {
    await api('GET', '/api/v1/admin', undefined, t);
    token = t;
    sessionStorage.setItem(TOKEN_KEY, t);
    $('token').value = '';
    text($('login-error'), '');
    open();
  } catch (err) {
    text($('login-error'), err.message);
  } finally {
    if (btn) btn.disabled = false;
  }
});

$('signout').addEventListener('click', () => signOut(null));

function open() {
  show($('login'), false);
  show($('console'), true);
  // render loads the latest changes once the schedule document is there
  // (and again whenever its version moves, as after a reload): asking here
  // too would fetch them twice.
  changesVersion = null;
  if (!live) live = start({ view: 'admin', render, protocols: wsProtocols });
  else live.changed();
}

// ---- announcements

$('ann-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = { text: $('ann-text').value.trim(), ...composeFields() };
  if (!body.text) return;
  if ($('ann-track').value) body.track = $('ann-track').value;
  if ($('ann-ttl').value) body.ttl_seconds = +$('ann-ttl').value;
  const r = await call('POST', '/api/v1/announcements', body, e.submitter);
  if (r) {
    $('ann-text').value = '';
    say(msg('admin.posted'));
  }
});
$('ann-ttl').replaceChildren(...TTLS.map(([v, l]) => h('option', { value: v, text: l })));
mountComposer(call);

const changeName = (c) => ({ moved: msg('change.moved'), room: msg('change.room'), new: msg('change.new'), retitled: msg('change.retitled'), cancelled: msg('change.cancelled') })[c] || c || msg('change.changed');

function renderAnnouncements(t, tz, tracks) {
  const list = live.announcements(t);
  show($('ann-none'), list.length === 0);
  sync(
    $('ann-list'),
    list,
    (a) => a.id,
    (a) => annItem(a, msg('admin.remove'), msg('admin.removeAria', { text: fmt.iso(a.text) }), msg('admin.removed')),
    (el, a) => {
      text(el.querySelector('.ann-text'), a.text);
      const where = a.track ? fmt.iso(tracks.find((x) => x.id === a.track)?.name || a.track) : msg('admin.allTracks');
      const parts = [where, audiences(a.audience)];
      if (a.level && a.level !== 'info') parts.push(levelName(a.level));
      parts.push(msg('admin.postedAt', { time: fmt.hm(Date.parse(a.created), tz) }));
      if (a.expires) parts.push(msg('admin.untilTime', { time: fmt.hm(Date.parse(a.expires), tz) }));
      text(el.querySelector('.ann-meta'), parts.join(' · '));
    },
  );
}

// ---- tracks: live timing (started, ended, delay) and viewers

async function setDelay(id, minutes, button) {
  const r = await call('POST', `/api/v1/tracks/${encodeURIComponent(id)}/delay`, { minutes }, button);
  if (r) say(minutes ? msg('admin.saidLate', { track: id, minutes }) : msg('admin.saidOnTime', { track: id }));
}

// stage says the session on stage of a track started or ended now.
async function stage(id, what, button) {
  const r = await call('POST', `/api/v1/tracks/${encodeURIComponent(id)}/${what}`, {}, button);
  if (r) say(what === 'started' ? msg('admin.saidStarted', { track: id, title: r.now?.title || msg('admin.theSession') }) : msg('admin.saidEnded', { track: id }));
}

function makeTrackRow(tr) {
  const name = fmt.iso(tr.name);
  const btn = (label, delta, aria) =>
    h('button', {
      type: 'button',
      text: label,
      'aria-label': aria,
      'data-track': tr.id,
      'data-delta': delta,
      onclick: (e) => {
        const cur = live.track(tr.id, clock.now()).delay;
        // The server takes no negative delay: −5 on a track 3 minutes late
        // means "on time", not a refusal.
        setDelay(tr.id, delta === 'clear' ? 0 : Math.max(0, cur + +delta), e.currentTarget);
      },
    });
  const field = h('input', {
    type: 'number',
    min: '0',
    max: '720',
    step: '1',
    class: 'delay-field',
    'data-track': tr.id,
    'aria-label': msg('admin.minutesLateAria', { track: name }),
    onkeydown: (e) => e.key === 'Enter' && set.click(),
  });
  const set = h('button', {
    type: 'button',
    text: msg('admin.set'),
    'data-track': tr.id,
    'data-set': '',
    'aria-label': msg('admin.setAria', { track: name }),
    onclick: (e) => {
      const v = field.valueAsNumber;
      // The server says what it accepts; an empty field is not a number to send.
      if (Number.isFinite(v)) setDelay(tr.id, v, e.currentTarget).then(() => (field.value = ''));
    },
  });
  const stageBtn = (what, label) =>
    h('button', { type: 'button', text: label, 'data-track': tr.id, [`data-${what}`]: '', 'aria-label': msg('admin.stageAria', { what: label, track: name }), onclick: (e) => stage(tr.id, what, e.currentTarget) });
  return h(
    'tr',
    {},
    h('th', { scope: 'row', class: 'tr-name' }),
    h('td', { class: 'tr-now' }, h('span', { class: 'clamp' })),
    h('td', { class: 'tr-viewers num' }),
    h('td', { class: 'tr-delay num' }),
    h(
      'td',
      { class: 'tr-actions' },
      stageBtn('started', msg('admin.started')),
      stageBtn('ended', msg('admin.ended')),
      btn('−5', '-5', msg('admin.less5Aria', { track: name })),
      btn('−1', '-1', msg('admin.less1Aria', { track: name })),
      btn('+1', '1', msg('admin.more1Aria', { track: name })),
      btn('+5', '5', msg('admin.more5Aria', { track: name })),
      field,
      set,
      btn(msg('admin.clear'), 'clear', msg('admin.clearAria', { track: name })),
    ),
  );
}

function renderTracks(t, tracks) {
  sync($('track-rows'), tracks, (x) => x.id, makeTrackRow, (row, tr) => {
    const x = live.track(tr.id, t);
    text(row.querySelector('.tr-name'), tr.name);
    const on = x.now ? x.now.title : x.next ? msg('admin.nextTitle', { title: fmt.iso(x.next.title) }) : '—';
    text(row.querySelector('.tr-now .clamp'), on);
    attr(row.querySelector('.tr-now .clamp'), 'title', on);
    const v = live.viewers?.tracks?.[tr.id];
    text(row.querySelector('.tr-viewers'), v == null ? '–' : v);
    text(row.querySelector('.tr-delay'), x.delay ? `${x.delay > 0 ? '+' : '−'}${fmt.duration(Math.abs(x.delay) * 60e3)}` : msg('admin.onTime'));
    row.classList.toggle('late', x.delay !== 0);
    row.querySelector('[data-delta="clear"]').disabled = x.delay === 0;
    row.querySelector('[data-delta="-5"]').disabled = x.delay <= 0;
    row.querySelector('[data-delta="-1"]').disabled = x.delay <= 0;
    row.querySelector('[data-ended]').disabled = !x.now && !x.next;
    row.querySelector('[data-started]').disabled = !x.now && !x.next;
  });
  text($('viewers-total'), live.viewers ? msg('admin.watching', { n: live.viewers.total }) : '');
}

// liveNote says what was said on stage about a session: "started 09:42",
// "ended 10:10".
function liveNote(s, tz) {
  const l = s.live;
  if (!l) return '';
  const parts = [];
  if (l.started) parts.push(msg('admin.startedAt', { time: fmt.hm(Date.parse(l.started), tz) }));
  if (l.ended) parts.push(msg('admin.endedAt', { time: fmt.hm(Date.parse(l.ended), tz) }));
  return parts.join(', ');
}

// ---- the day's schedule

$('filter').addEventListener('change', () => live?.changed());

function renderDay(t, tz, tracks) {
  const day = live.day(t);
  const only = $('filter').value;
  const list = day ? day.sessions.filter((s) => !only || s.track === only) : [];
  text($('day-title'), day ? msg('admin.scheduleOn', { day: fmt.weekday(day.first, tz) }) : msg('admin.schedule'));
  sync(
    $('day-rows'),
    list,
    (s) => s.id,
    () =>
      h(
        'tr',
        {},
        h('td', { class: 'c-sched num' }),
        h('td', { class: 'c-est num' }),
        h('td', { class: 'c-track' }),
        // The speaker's opt-outs, for the video crew: badges, not a column,
        // since most sessions have none.
        h('td', { class: 'c-title' }, h('span', { class: 'clamp' }), h('span', { class: 'badge no-record', text: msg('crew.noRecord') }), h('span', { class: 'badge no-stream', text: msg('crew.noStream') })),
        h('td', { class: 'c-kind' }),
      ),
    (row, s) => {
      text(row.querySelector('.c-sched'), `${fmt.hm(s.s0, tz)}–${fmt.hm(s.s1, tz)}`);
      const est = s.t0 !== s.s0 || s.t1 !== s.s1 ? `${fmt.hm(s.t0, tz)}–${fmt.hm(s.t1, tz)}` : '';
      const said = liveNote(s, tz);
      text(row.querySelector('.c-est'), est && said ? `${est} · ${said}` : est || said);
      text(row.querySelector('.c-track'), tracks.find((x) => x.id === s.track)?.name || s.track);
      const title = fmt.iso(s.title) + (s.change ? ` (${changeName(s.change.type)})` : '');
      text(row.querySelector('.c-title .clamp'), title);
      attr(row.querySelector('.c-title .clamp'), 'title', title);
      text(row.querySelector('.c-kind'), fmt.kinds[s.kind] || s.kind);
      attr(row.querySelector('.c-kind'), 'title', s.type ? msg('admin.inSchedule', { type: s.type }) : null);
      show(row.querySelector('.no-record'), !!s.do_not_record);
      show(row.querySelector('.no-stream'), !!s.do_not_stream);
      row.classList.toggle('past', s.t1 <= t);
      row.classList.toggle('is-now', s.t0 <= t && t < s.t1);
      row.classList.toggle('late', s.t0 > s.s0 || s.t1 > s.s1);
    },
  );
  show($('day-none'), list.length === 0);
}

// ---- reload and changes

$('reload').addEventListener('click', async (e) => {
  const out = $('reload-out');
  out.replaceChildren();
  const btn = e.currentTarget;
  btn.disabled = true;
  try {
    const r = await api('POST', '/api/v1/reload', undefined, token);
    error(null);
    const warns = r?.warnings || [];
    out.append(h('p', { text: warns.length ? msg('admin.reloadedWarnings', { version: r?.schedule_version || '?', n: warns.length }) : msg('admin.reloaded', { version: r?.schedule_version || '?' }) }));
    if (warns.length) out.append(h('ul', {}, warns.map((w) => h('li', { text: diag(w) }))));
  } catch (err) {
    // A bad file answers 422 with every error in its message, shown as is.
    error(err);
  } finally {
    btn.disabled = false;
  }
});

// diag writes a schedule diagnostic ("file:line: field: message") or any
// other value as it came.
function diag(d) {
  if (typeof d === 'string') return d;
  if (d && d.message) return `${d.file || ''}${d.line ? ':' + d.line : ''}${d.file || d.line ? ': ' : ''}${d.field ? d.field + ': ' : ''}${d.message}`;
  return JSON.stringify(d);
}

async function loadChanges() {
  const r = await call('GET', '/api/v1/changes');
  if (r === undefined) return;
  const list = Array.isArray(r) ? r : r.changes || [];
  const tz = live?.tz();
  const name = (id) => live?.tracks().find((x) => x.id === id)?.name || id;
  const at = (iso) => (iso && tz ? fmt.hm(Date.parse(iso), tz) : '');
  show($('changes-none'), list.length === 0);
  $('changes').replaceChildren(
    ...list.map((c) => {
      const parts = [
        h('strong', { text: changeName(c.type) }),
        ` ${fmt.iso(c.title || c.session_id || '')}`,
        c.previous_title && c.previous_title !== c.title ? ' ' + msg('admin.wasQuoted', { was: fmt.iso(c.previous_title) }) : '',
        c.track ? ` · ${fmt.iso(name(c.track))}` : '',
        c.previous_track && c.previous_track !== c.track ? ' ' + msg('admin.was', { was: fmt.iso(name(c.previous_track)) }) : '',
        c.start ? ` · ${at(c.start)}` : '',
        c.previous_start && c.previous_start !== c.start ? ' ' + msg('admin.was', { was: at(c.previous_start) }) : '',
      ];
      return h('li', {}, ...parts.filter(Boolean));
    }),
  );
}

// ---- the page

function render(t) {
  const tz = live.tz();
  const conf = live.conference();
  const tracks = live.tracks();
  text($('conf'), conf.name ? msg('admin.confConsole', { name: fmt.iso(conf.name) }) : msg('admin.title'));
  if (tz) text($('clock'), fmt.dual(t, tz));
  text($('conn'), live.open ? msg('admin.connLive') : live.stale ? msg('admin.connStale') : msg('admin.connWaiting'));
  attr($('conn'), 'data-state', live.open ? 'open' : 'closed');

  renderComposer(t, tz);
  const opts = [['', msg('admin.allTracks')], ...tracks.map((x) => [x.id, x.name])];
  for (const sel of [$('ann-track'), $('filter')]) {
    const sig = opts.map((o) => o[0] + '\0' + o[1]).join();
    if (sel.dataset.sig !== sig) {
      const keep = sel.value;
      sel.replaceChildren(...opts.map(([v, l]) => h('option', { value: v, text: l })));
      sel.value = opts.some((o) => o[0] === keep) ? keep : '';
      sel.dataset.sig = sig;
    }
  }
  renderAnnouncements(t, tz, tracks);
  renderTracks(t, tracks);
  renderRooms(live, t, tracks);
  renderDay(t, tz, tracks);
  if (live.doc && changesVersion !== live.doc.schedule_version) {
    changesVersion = live.doc.schedule_version;
    loadChanges();
  }
}

// The Screens panel (admin-screens.js) is loaded when it comes into view:
// its module, its QR codes and its polling of the fleet are not what a
// console opened to post an announcement needs, and they would put the
// first load over the page budget. The panel is at the bottom, hidden until
// sign-in, so the observer fires only once someone scrolls to it.
const screens = new IntersectionObserver((seen) => {
  if (!seen.some((e) => e.isIntersecting)) return;
  screens.disconnect();
  import('./admin-screens.js').catch((e) => text($('screens-error'), msg('admin.screensFailed', { error: e.message })));
}, { rootMargin: '200px' });
screens.observe($('screens'));

if (token) open();
else signOut(null);
