// The one connection and the one clock of every view.
//
// A page calls start() once. It then holds the server's clock (offset and
// rate, from hello and ping/pong), the schedule document, the last state,
// the viewer counts and the connection's health, and it calls the page's
// render function at every whole second of server time and at the exact
// instant anything on the schedule changes. The page switches now→next on
// its own at that instant and reconciles with the server's state when it
// arrives; without a connection it keeps going from the last snapshot.
//
// Nothing that depends on the time is rendered before the server's time is
// known (a hello, or the clock of the last snapshot): a viewer's clock that
// is off by a minute would otherwise show the wrong session as "now" for
// the moment before the first hello. A page that cannot connect within
// CLOCK_WAIT falls back to its own clock and says so.

import * as model from './model.js';
import { hm } from './fmt.js';
import { t as msg } from './i18n.js';

// The asset version this page was built with: the path segment after
// /assets/ in this module's URL. The server answers "reload" when it differs.
export const assets = (/\/assets\/([^/]+)\//.exec(import.meta.url) || [])[1] || '';

// A monotonic clock in epoch milliseconds: wall-clock steps on the viewer's
// machine do not move it.
const mono = () => performance.timeOrigin + performance.now();

const PING_AFTER_OPEN = [0, 300, 1000, 2500]; // quick round trips give the offset and the rate
const PING_EVERY = 30e3; // keeps the offset fresh and proves the connection alive
const PING_EVERY_FAST = 2e3; // on a rehearsal clock: a longer baseline sharpens the rate
const PONG_TIMEOUT = 10e3; // a ping unanswered this long means the connection is dead
const STALE_AFTER = 10e3; // without a connection this long, the page says so
const BACKOFF_FIRST = 1e3; // the first retry comes within a second...
const BACKOFF_CAP = 30e3; // ...and no retry waits longer than this
const RELOAD_GUARD = 30e3; // never reload more often than this, even if told to
const CONNECTING_AFTER = 1e3; // a page still without the server's time after this says "Connecting…"
const CLOCK_WAIT = 10e3; // without the server's time this long, the page runs on its own clock (equal to STALE_AFTER: one notice)

// backoff is the wait before retry number attempt (0 first): full jitter,
// uniformly random below an exponentially growing cap.
export const backoff = (attempt, random = Math.random) =>
  random() * Math.min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** Math.min(attempt, 16));

// clock is the server's clock as this page estimates it:
// server time = ref.s + (mono() - ref.c) * rate. The rate is 1 unless the
// server runs a rehearsal clock (--speed), which the page measures from its
// round trips rather than trusting its own clock.
export const clock = {
  ref: null,
  rate: 1,
  // local: no server time is known and the page has stopped waiting for it
  // (CLOCK_WAIT): now() is the viewer's own clock.
  local: false,
  now() {
    return this.ref ? this.ref.s + (mono() - this.ref.c) * this.rate : Date.now();
  },
};

let samples = []; // this connection's round trips: {c, s, rtt}

function sample(c, s, rtt) {
  samples.push({ c, s, rtt });
  if (samples.length > 12) samples.splice(1, 1); // keep the first: the longest baseline for the rate
  const first = samples[0];
  const last = samples[samples.length - 1];
  const span = last.c - first.c;
  if (span >= 250) {
    const rate = (last.s - first.s) / span;
    // Each sample is off by at most half its round trip: adopt a rate other
    // than 1 only when the measurement cannot be explained by that error.
    const err = (first.rtt + last.rtt) / 2 / span;
    clock.rate = Math.abs(rate - 1) > Math.max(3 * err, 0.01) ? rate : 1;
  }
  // At rate 1 the offset of the fastest recent round trip is the most
  // accurate one (recent: the two clocks drift apart over hours); at any
  // other rate the newest sample carries the least rate error.
  const best = clock.rate === 1 ? samples.slice(-4).reduce((a, b) => (b.rtt < a.rtt ? b : a)) : last;
  clock.ref = { c: best.c, s: best.s };
}

// start connects the page. track: a track id or "" for all; view: tab,
// screen, overlay or admin; watch: for an all-tracks tab, the track its
// viewer chose to follow (counted as that track's viewer; "" counts under
// "all"); render(t) is called with the server time; protocols(), if given,
// are the websocket subprotocols of each connection (the console's token).
export function start({ track = '', view = 'tab', watch = '', render, protocols }) {
  const key = `confdash:${view}:${track}`;
  const live = {
    track,
    view,
    doc: null, // the schedule document
    idx: null, // model.index(doc)
    state: null, // the last state document, sessions as slots
    viewers: null, // the last viewers message
    open: false, // a connection is up and said hello
    since: mono(), // when the connection was lost (or the page started)
    lastUpdate: null, // server time of the last message
    stale: false,
    conference: () => live.doc?.conference || live.state?.conference || { name: '', timezone: '' },
    tz: () => live.conference().timezone,
    tracks: trackList,
    track: trackAt,
    gone,
    // current is the id a track has now: a renamed room's former id (a
    // kiosk's ?tracks=, a followed track kept from before) gives the new one.
    current: (id) => live.doc?.aliases?.[id] || id,
    announcements,
    day: (t) => (live.doc ? model.day(live.doc, live.idx.all, t) : null),
    sessions: (id) => live.idx?.byTrack.get(id) || [],
    changed,
    // watch changes the followed track: the connection is made again, so
    // the server counts the viewer where they now look.
    watch(id) {
      if (id === watch) return;
      watch = id;
      rewatch = true;
      if (live.open) reconnect();
    },
  };

  let ws = null;
  let attempt = 0;
  let retryTimer = 0;
  let staleTimer = 0;
  let pingTimers = []; // the quick pings after hello and the periodic one
  let pongTimer = 0; // set while a ping waits for its pong
  let loopTimer = 0;
  let pending = false;
  let rewatch = false; // the followed track changed while connecting
  let dialed = 0; // when the current connection was dialled
  let heard = false; // a hello came since this page loaded
  const started = mono();

  // ---- snapshot: a reloaded page (a deployment, a kiosk restart) shows the
  // last known schedule at once instead of a blank page.
  function save(part, value) {
    try {
      sessionStorage.setItem(`${key}:${part}`, JSON.stringify(value));
    } catch {
      // Storage full or disabled: the snapshot is a convenience.
    }
  }
  function restore() {
    try {
      const doc = JSON.parse(sessionStorage.getItem(`${key}:doc`) || 'null');
      const snap = JSON.parse(sessionStorage.getItem(`${key}:state`) || 'null');
      if (doc) setDoc(doc, false);
      if (snap) {
        setState(snap.state, false);
        // The last word from the server before the reload (kept as the
        // page went away): what "offline since" means.
        live.lastUpdate = Math.max(snap.lastUpdate || 0, +sessionStorage.getItem(`${key}:seen`) || 0) || null;
        if (!clock.ref && snap.clock) Object.assign(clock, snap.clock);
      }
    } catch {
      // A snapshot from an older version: ignore it.
    }
  }

  function setDoc(doc, persist = true) {
    live.doc = doc;
    live.idx = model.index(doc);
    docSessions = new Map((doc.sessions || []).map((s) => [s.id, s]));
    // Says which schedule the page holds (for people debugging a screen, and tests).
    document.documentElement.dataset.schedule = doc.schedule_version || '';
    if (persist) save('doc', doc);
    changed();
  }

  // The state's tracks by id, for lookups on every render.
  let stateTracks = new Map();
  // The schedule document's sessions by id, as sent: a delta names a
  // session by id (protocol version 2).
  let docSessions = new Map();
  let seq = null; // protocol version 2: the seq of the state held (null: none yet on this connection)
  let resyncing = false; // a resync was asked and its state has not come

  function setState(st, persist = true) {
    if (!st) return;
    followRename(st);
    stateTracks = new Map();
    for (const t of st.tracks || []) {
      // The protocol's track document is flat; accept a nested track too.
      if (!t.id && t.track) Object.assign(t, t.track);
      t.now = model.slot(t.now);
      t.next = model.slot(t.next);
      t.nc = t.next_change ? Date.parse(t.next_change) : null;
      stateTracks.set(t.id, t);
    }
    live.state = st;
    if (persist) save('state', { state: st, lastUpdate: live.lastUpdate, clock: { ref: clock.ref, rate: clock.rate } });
    if (needsDoc()) loadSchedule();
    changed();
  }

  // followRename: a page of one room whose state names another room was
  // opened under a former id of a renamed room (the server sends the room's
  // state there): it follows the room, and its address says the new id.
  function followRename(st) {
    const to = st.tracks?.length === 1 ? st.tracks[0].id || st.tracks[0].track?.id : '';
    if (!track || !to || to === track) return;
    const parts = location.pathname.split('/');
    if (decodeURIComponent(parts[2] || '') === track) {
      parts[2] = encodeURIComponent(to);
      history.replaceState(history.state, '', parts.join('/') + location.search + location.hash);
    }
    track = to;
  }

  // gone is the rooms of the schedule when the page's own room is not
  // among them (a reload removed it), else null.
  function gone() {
    if (!track || !live.doc || live.doc.tracks.some((t) => t.id === track)) return null;
    // A document older than the state may not know a renamed room yet.
    if (live.state?.schedule_version && live.state.schedule_version !== live.doc.schedule_version) return null;
    return live.doc.tracks.map((t) => ({ id: t.id, name: t.name }));
  }

  // needsDoc reports whether the schedule document disagrees with the state:
  // another version, another delay, other live timing (a session said to
  // have started or ended), or other times for a session on show.
  function needsDoc() {
    const st = live.state;
    if (!live.doc) return true;
    if (!st) return false;
    if (st.schedule_version && st.schedule_version !== live.doc.schedule_version) return true;
    const delays = live.doc.delays || {};
    for (const t of st.tracks || []) {
      if ((t.delay_minutes || 0) !== (delays[t.id]?.minutes || 0)) return true;
      if ((t.timing || '') !== (live.doc.timing?.[t.id] || '')) return true;
      for (const s of [t.now, t.next]) {
        if (!s) continue;
        const mine = live.sessions(t.id).find((x) => x.id === s.id);
        if (!mine || mine.t0 !== s.t0 || mine.t1 !== s.t1) return true;
      }
    }
    return false;
  }

  let fetching = false;
  let again = false;
  async function loadSchedule() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      // Revalidated, not refetched: the server answers 304 while the
      // document is unchanged, and the browser hands over its copy.
      const r = await fetch('/api/v1/schedule', { cache: 'no-cache' });
      if (r.ok) setDoc(await r.json());
    } catch {
      // Offline: keep the last document; the next state asks again.
    } finally {
      fetching = false;
      if (again) {
        again = false;
        loadSchedule();
      }
    }
  }

  // ---- what the page asks

  function trackList() {
    const all = live.doc?.tracks || (live.state?.tracks || []).map((t) => ({ id: t.id, name: t.name }));
    return track ? all.filter((t) => t.id === track) : all;
  }

  // trackAt says what track id shows at server time t. The server's state is
  // the truth until its next change; from then on the page computes from the
  // schedule document, until the next state confirms it.
  function trackAt(id, t) {
    const list = live.sessions(id);
    const local = model.at(list, t);
    const st = stateTracks.get(id);
    const trusted = st && (st.nc === null || t < st.nc);
    const name = st?.name || live.idx?.tracks.get(id)?.name || id;
    return {
      id,
      name,
      now: trusted ? st.now : local.now,
      next: trusted ? st.next : local.next,
      prev: local.prev,
      delay: st ? st.delay_minutes || 0 : live.doc?.delays?.[id]?.minutes || 0,
      status: st ? st.status || null : live.idx?.tracks.get(id)?.status || null, // a room full, closed or moved
    };
  }

  function announcements(t) {
    return (live.state?.announcements || []).filter((a) => (!a.expires || Date.parse(a.expires) > t) && !(Date.parse(a.starts_at) > t));
  }

  // nextInstant is the first instant after t at which anything shown changes.
  function nextInstant(t) {
    let n = Infinity;
    for (const { id } of trackList()) {
      n = Math.min(n, model.nextInstant(live.sessions(id), t));
      const st = stateTracks.get(id);
      if (st?.nc > t) n = Math.min(n, st.nc);
    }
    for (const a of announcements(t)) if (a.expires) n = Math.min(n, Date.parse(a.expires));
    return n;
  }

  // ---- the render loop: at every whole second of server time (at most four
  // times a real second on a fast rehearsal clock) and at the exact instant
  // of the next change, so that every screen of a room switches together.

  // Until the server's time is known the page renders nothing (its HTML
  // says it is loading, the notice says "Connecting…"). The timer is armed
  // from the clock read after rendering: a slow render must not push the
  // next switch late by its own duration.
  function loop() {
    clearTimeout(loopTimer);
    if (!clock.ref && !clock.local) return;
    const t = clock.now();
    render(t);
    const step = Math.max(1000, 250 * clock.rate);
    let target = (Math.floor(t / step) + 1) * step;
    const n = nextInstant(t);
    if (n > t && n < target) target = n;
    loopTimer = setTimeout(loop, Math.max(0, target - clock.now()) / clock.rate + 1);
  }

  function changed() {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      loop();
    });
  }

  // ---- the connection

  function setOpen(open) {
    live.open = open;
    clearTimeout(staleTimer);
    if (!open) {
      // Viewer counts are a live figure: an old one is not shown as now.
      // The server sends the current one as the connection comes back.
      live.viewers = null;
      live.since = mono();
      staleTimer = setTimeout(showStale, STALE_AFTER);
    }
    showStale();
  }

  // showStale tells the viewer, after STALE_AFTER without a connection, that
  // what they see may be old. The notice is small: the schedule keeps running.
  function showStale() {
    const stale = !live.open && mono() - live.since >= STALE_AFTER - 50;
    live.stale = stale;
    const root = document.documentElement;
    root.dataset.conn = live.open ? 'open' : stale ? 'stale' : 'closed';
    // data-clock says where the page's time comes from: "waiting" (nothing
    // time-dependent is shown), "server", or "local" (never connected).
    root.dataset.clock = clock.ref ? 'server' : clock.local ? 'local' : 'waiting';
    const el = document.getElementById('notice');
    if (el) {
      // A normal load says hello within a few hundred milliseconds: only a
      // slow one says it is connecting.
      const waiting = !clock.ref && !clock.local && mono() - started >= CONNECTING_AFTER;
      el.hidden = !stale && !waiting;
      if (waiting) el.textContent = msg('live.connecting');
      else if (stale && !clock.ref) el.textContent = msg('live.ownClock');
      else if (stale) el.textContent = msg('offline.since', { time: live.lastUpdate ? hm(live.lastUpdate, live.tz()) : '?' });
    }
    changed();
  }

  function connect() {
    clearTimeout(retryTimer);
    if (ws) return;
    const u = new URL('/ws', location.href);
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    if (track) u.searchParams.set('track', track);
    else if (watch) u.searchParams.set('watch', watch);
    rewatch = false;
    u.searchParams.set('view', view);
    u.searchParams.set('proto', '2'); // one small delta per change (docs/protocol.md)
    if (assets) u.searchParams.set('v', assets);
    if (view !== 'admin') whoami(u.searchParams);
    const sock = new WebSocket(u, protocols?.());
    ws = sock;
    dialed = mono();
    seq = null;
    resyncing = false;
    sock.onmessage = (e) => {
      if (ws === sock) receive(e.data);
    };
    sock.onclose = () => {
      if (ws === sock) lost();
    };
  }

  // lost forgets the connection and retries with exponential backoff and full
  // jitter: a restart must not bring every screen back in the same second.
  function lost() {
    if (ws) {
      ws.onmessage = ws.onclose = null;
      try {
        ws.close();
      } catch {
        // Already closed.
      }
      ws = null;
    }
    pingTimers.forEach(clearTimeout);
    pingTimers = [];
    clearTimeout(pongTimer);
    pongTimer = 0;
    if (live.open) setOpen(false);
    // A reload that shows its snapshot and cannot reach the server is
    // offline now: no need to wait out a blip that this is not.
    else if (!heard && clock.ref && live.doc && !live.stale) {
      live.since = mono() - STALE_AFTER;
      showStale();
    }
    retryTimer = setTimeout(connect, backoff(attempt++));
  }

  // reconnect replaces an open connection at once (closing one that is
  // still connecting would log an error in the console).
  function reconnect() {
    rewatch = false;
    lost();
    attempt = 0;
    connect();
  }

  function ping() {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: 'ping', client_time_ms: Math.round(mono()), ...offset() })); // the server wants integers
    if (!pongTimer) pongTimer = setTimeout(lost, PONG_TIMEOUT);
  }

  function receive(data) {
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    switch (m.type) {
      case 'hello': {
        heard = true;
        attempt = 0;
        samples = [];
        // The server stamps hello as it accepts the upgrade, half a round
        // trip before the page reads it. Dialling took about two round trips
        // (TCP, then the upgrade), so a quarter of it is that delivery
        // delay. The first pong (asked for at once) replaces this estimate.
        const s = m.server_time_ms + Math.min(1000, (mono() - dialed) / 4);
        // A clock far from the model: a new rehearsal clock, or the first hello.
        if (!clock.ref || Math.abs(clock.now() - s) > 5000) {
          clock.ref = { c: mono(), s };
          clock.rate = 1;
          clock.local = false;
        }
        live.lastUpdate = s;
        pingTimers = PING_AFTER_OPEN.map((d) => setTimeout(ping, d));
        pingTimers.push(setInterval(ping, PING_EVERY));
        // A rehearsal clock (--speed) multiplies every error of its rate:
        // measure it for the first minute with a growing baseline.
        for (let d = 4000; d <= 60e3; d += PING_EVERY_FAST) pingTimers.push(setTimeout(() => clock.rate !== 1 && ping(), d));
        setOpen(true);
        if (rewatch) return reconnect();
        if (live.doc && m.schedule_version !== live.doc.schedule_version) loadSchedule();
        return;
      }
      case 'state':
        live.lastUpdate = clock.now();
        seq = m.seq ?? null;
        resyncing = false;
        setState(m.state);
        return;
      case 'delta':
        live.lastUpdate = clock.now();
        if (!applyDelta(m)) resync();
        return;
      case 'announcement': {
        live.lastUpdate = clock.now();
        const st = live.state;
        if (!st) return;
        const list = (st.announcements || []).filter((a) => a.id !== m.id && a.id !== m.announcement?.id);
        if (m.action === 'add' && m.announcement) list.push(m.announcement);
        st.announcements = list;
        changed();
        return;
      }
      case 'viewers':
        live.viewers = m;
        changed();
        return;
      case 'pong': {
        const now = mono();
        clearTimeout(pongTimer);
        pongTimer = 0;
        sample((m.client_time_ms + now) / 2, m.server_time_ms, now - m.client_time_ms);
        live.lastUpdate = clock.now();
        changed();
        return;
      }
      case 'reload':
        reloadSoftly();
        return;
    }
  }

  // applyDelta makes the state held the state m says, or returns false when
  // it cannot: a gap (m is not on the seq held) or a session it cannot name.
  // A delta at or before the seq held came before a state the page asked
  // for: it is already in that state.
  function applyDelta(m) {
    const st = live.state;
    if (seq === null || !st) return false;
    if (m.seq <= seq) return true;
    if (m.base !== seq) return false;
    const tracks = (st.tracks || []).slice();
    for (const td of m.tracks || []) {
      const i = tracks.findIndex((t) => t.id === td.id);
      const now = session(td.now, st);
      const next = session(td.next, st);
      if (i < 0 || now === undefined || next === undefined) return false;
      tracks[i] = { ...td, now, next };
    }
    let anns = (m.announcements || st.announcements || []).filter((a) => !(m.removed || []).includes(a.id));
    for (const a of m.added || []) {
      const i = anns.findIndex((b) => b.id === a.id);
      if (i >= 0) anns[i] = a;
      else anns.push(a);
    }
    const next = { ...st, tracks, announcements: anns, next_change: m.next_change };
    if (m.pending?.length) next.pending = m.pending;
    else if (m.pending) delete next.pending;
    seq = m.seq;
    setState(next);
    return true;
  }

  // session is the session a delta names ({ref, est_start, ...}): the one
  // with that id in the state held or in a schedule document of the state's
  // version, with the delta's live fields. null for none; undefined when the
  // page does not know the session.
  const LIVE_FIELDS = ['s0', 's1', 't0', 't1', 'delay_minutes', 'change', 'live'];
  function session(r, st) {
    if (!r) return null;
    let base = null;
    for (const t of st.tracks || []) for (const s of [t.now, t.next]) if (s?.id === r.ref) base = s;
    if (!base && live.doc?.schedule_version === st.schedule_version) base = docSessions.get(r.ref);
    if (!base) return undefined;
    const s = { ...base };
    for (const k of LIVE_FIELDS) delete s[k];
    const { ref, ...own } = r;
    return Object.assign(s, own);
  }

  // resync asks for the full state, once until it comes; without a
  // connection the next one brings it anyway.
  function resync() {
    if (resyncing || !ws || ws.readyState !== WebSocket.OPEN) return;
    resyncing = true;
    ws.send(JSON.stringify({ type: 'resync' }));
  }

  // reloadSoftly loads the new deployment. It fetches the page and its
  // assets first, so the reload paints from the cache at once, and the
  // snapshot fills the new page before its websocket connects: no blank flash.
  async function reloadSoftly() {
    const last = +sessionStorage.getItem('confdash:reloaded') || 0;
    if (Date.now() - last < RELOAD_GUARD) return;
    try {
      sessionStorage.setItem('confdash:reloaded', String(Date.now()));
      const html = await (await fetch(location.href, { cache: 'no-store' })).text();
      const urls = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((x) => x[1]);
      await Promise.all(urls.map((u) => fetch(u).then((r) => r.blob())));
    } catch {
      // Reload anyway: the page itself will show what failed.
    }
    location.reload();
  }

  addEventListener('online', () => !ws && connect());
  addEventListener('pagehide', () => live.lastUpdate && save('seen', live.lastUpdate));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') return;
    if (!ws) connect();
    loop();
  });

  // A handle for whoever debugs a kiosk from its console (and for the
  // browser tests): confdash.clock.now() is the page's server time.
  globalThis.confdash = { live, clock };

  // ---- offline reload: the public views register the service worker
  // (sw.js) and hand it what this load used, so that a reload while the
  // server cannot be reached still shows the page. data-offline="ready" says
  // the worker holds it. Browsers offer it on https and on localhost only.
  function keepOffline() {
    const sw = navigator.serviceWorker;
    if (view === 'admin' || !sw) return;
    sw.onmessage = (e) => {
      if (e.data?.kept != null) document.documentElement.dataset.offline = 'ready';
    };
    // A page the worker served is kept already (it keeps what passes
    // through it); a page loaded before it ran sends what it used.
    const served = !!sw.controller;
    sw.register('/sw.js')
      .then(() => sw.ready)
      .then((reg) => {
        if (served) return void (document.documentElement.dataset.offline = 'ready');
        const assets = performance.getEntriesByType('resource').map((r) => r.name).filter((u) => u.includes('/assets/'));
        reg.active?.postMessage({ keep: [location.href, '/api/v1/schedule', ...assets] });
      })
      .catch(() => {
        // Refused (a private window, a policy): reloads need the network.
      });
  }
  if (document.readyState === 'complete') keepOffline();
  else addEventListener('load', keepOffline, { once: true });

  restore();
  setOpen(false);
  setTimeout(showStale, CONNECTING_AFTER);
  setTimeout(() => {
    if (clock.ref) return;
    clock.local = true;
    showStale();
  }, CLOCK_WAIT);
  connect();
  if (!live.doc) loadSchedule();
  return live;
}

// api calls the HTTP API. It resolves to the decoded body, or rejects with
// an Error whose message is the server's own: "401 unauthorized: ...".
export async function api(method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new Error(`${method} ${path}: the server did not answer (${e.message})`);
  }
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!r.ok) {
    const e = data?.error;
    const err = new Error(e ? `${r.status} ${e.code}: ${e.message}` : `${r.status} ${r.statusText}: ${text}`);
    err.status = r.status;
    err.data = data;
    throw err;
  }
  return data;
}

// ---- who this page is, for the crew's Screens page (docs/protocol.md)

// deviceId is this browser's stable id, kept in localStorage: a kiosk that
// reloads (a deployment, a power blip) stays the same screen in the list.
function deviceId() {
  try {
    let id = localStorage.getItem('confdash:device');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id || '')) {
      // getRandomValues, not randomUUID: a venue serves plain http, where
      // randomUUID does not exist.
      id = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem('confdash:device', id);
    }
    return id;
  } catch {
    return ''; // storage disabled: the page is served, not listed
  }
}

// offset is the measured difference of the server's clock from this one's
// in whole milliseconds, once a round trip has measured it.
const offset = () => (clock.ref ? { offset_ms: Math.round(clock.now() - Date.now()) } : {});

// whoami adds the device id, the screen's size and the last measured clock
// offset to the websocket URL.
function whoami(q) {
  const id = deviceId();
  if (!id) return;
  q.set('id', id);
  q.set('w', String(Math.round(innerWidth)));
  q.set('h', String(Math.round(innerHeight)));
  const o = offset().offset_ms;
  if (o !== undefined) q.set('off', String(o));
}
