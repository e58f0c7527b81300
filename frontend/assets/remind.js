// Reminders of the starred sessions, shown through the service worker
// (registration.showNotification): Chrome for Android refuses a page's
// `new Notification()`, and iOS lets only an installed web app notify.
//
// A reminder comes the viewer's choice of minutes (LEADS) before the
// *estimated* start of each starred session, so it follows the live day: a
// delay, a "started", a schedule reload or a room's status changes the
// estimate, and the next check re-arms the timers. A starred session that
// is cancelled or moved, or whose room fills up, notifies once per change.
//
// The timers run in the open tab, visible or not (a background tab's timers
// may be held back by up to a minute by the browser); a closed tab reminds
// nobody: that would take Web Push, which needs a push service run by the
// browser's vendor. Where the platform cannot notify at all, the settings
// say so plainly and offer the calendar instead.

import { t, words } from './i18n.js';
import { clock } from './live.js';
import * as fmt from './fmt.js';
import * as favs from './favs.js';
import { h, text, show, attr } from './ui.js';

// The reminders' words are not part of the tab's first load.
await words('reminders');

const ON_KEY = favs.NOTIFY_KEY;
const LEAD_KEY = 'confdash:remind-lead'; // minutes, one of LEADS
const SEEN_KEY = 'confdash:remind-seen'; // each starred session as last seen: its changes notify once
export const LEADS = [5, 10, 15];
const WITHIN = 12 * 3600e3; // reminders are armed this far ahead only
// A reminder whose instant passed less than this ago still fires: a delay
// posted just before it, a tab whose timer the browser held back.
const LATE = 60e3;
const CHECK_EVERY = 1000; // real ms between checks of the schedule and the state

const sheet = document.createElement('link');
sheet.rel = 'stylesheet';
sheet.href = new URL('remind.css', import.meta.url).href;
document.head.append(sheet);

const get = (k) => {
  try {
    return localStorage.getItem(k);
  } catch {
    return null;
  }
};
const put = (k, v) => {
  try {
    if (v == null) localStorage.removeItem(k);
    else localStorage.setItem(k, v);
  } catch {
    // Storage disabled: the choice lasts as long as the tab.
  }
};

const cannot = favs.cannotNotify;

const lead = () => {
  const m = +get(LEAD_KEY);
  return LEADS.includes(m) ? m : LEADS[1];
};
const wanted = () => get(ON_KEY) === '1' && !cannot() && Notification.permission === 'granted';

// roomOf is where a session takes place now: its room, or the one an
// organizer moved the room to (a room status).
function roomOf(tr) {
  const st = tr.status;
  return st?.status === 'moved' ? st.moved_to_name || st.moved_to || tr.name : tr.name;
}

async function notify(title, body, tag) {
  const reg = await navigator.serviceWorker.ready;
  await reg.showNotification(title, { body, tag, icon: new URL('icon-192.png', import.meta.url).href, data: { url: '/' } });
}

// mountReminders puts the reminder settings into el and keeps the reminders
// of live (live.js start()) armed.
export function mountReminders(el, live) {
  // The toggle is the page's own (tab.html): it is there before the first
  // star, so the header keeps its height when the settings arrive, and a
  // keyboard's focus on it stays.
  const on = el.querySelector('.remind-on');
  const pick = h(
    'select',
    { class: 'remind-lead', 'aria-label': t('remind.lead.label') },
    LEADS.map((m) => h('option', { value: String(m), text: t('remind.lead', { min: m }) })),
  );
  const next = h('p', { class: 'remind-next' });
  const cal = h('a', { class: 'remind-cal' }, t('remind.calendar'));
  const msg = h('p', { class: 'remind-msg', role: 'status' }, h('span'), ' ', cal);
  el.classList.add('reminders');
  el.replaceChildren(on, pick, next, msg);
  pick.value = String(lead());
  let said = ''; // a message the viewer's last click caused

  on.addEventListener('click', async () => {
    said = '';
    if (on.getAttribute('aria-pressed') === 'true') put(ON_KEY, null);
    else if (!cannot()) {
      const p = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
      if (p === 'granted') put(ON_KEY, '1');
      else said = 'denied';
    }
    check();
  });
  pick.addEventListener('change', () => {
    put(LEAD_KEY, pick.value);
    check();
  });

  let timers = [];
  let armed = '';

  function arm(now, tz) {
    const ms = lead() * 60e3;
    const list = wanted()
      ? (live.idx?.all || []).filter((s) => favs.starred.has(s.id) && !s.cancelled && s.kind !== 'break' && s.t0 - ms > now - LATE && s.t0 - now < WITHIN)
      : [];
    const sig = list.map((s) => s.id + '@' + s.t0).join() + '|' + ms + '|' + clock.rate;
    if (sig !== armed) {
      armed = sig;
      timers.forEach(clearTimeout);
      timers = list.map((s) => setTimeout(() => remind(s, ms), Math.max(0, (s.t0 - ms - clock.now()) / clock.rate)));
    }
    const first = list.find((s) => !done(s, ms));
    el.dataset.nextAt = first ? String(first.t0 - ms) : '';
    el.dataset.nextId = first ? first.id : '';
    text(next, first ? t('remind.next', { time: fmt.hm(first.t0 - ms, tz), title: fmt.iso(first.title) }) : '');
  }

  const doneKey = (s, ms) => `confdash:reminded:${s.id}:${s.t0}:${ms}`;
  const done = (s, ms) => {
    try {
      return !!sessionStorage.getItem(doneKey(s, ms));
    } catch {
      return false;
    }
  };

  function remind(s, ms) {
    const now = clock.now();
    // The page's estimate of the server's clock moved since the timer was
    // set (a pong corrected it): not yet, arm again.
    if (now < s.t0 - ms - 1000) {
      armed = '';
      return check();
    }
    if (done(s, ms) || !wanted()) return;
    try {
      sessionStorage.setItem(doneKey(s, ms), '1');
    } catch {
      // Without storage a reload may remind again.
    }
    const tz = live.tz();
    const room = roomOf(live.track(s.track, now));
    const late = Math.round((s.t0 - s.s0) / 60e3);
    const body =
      late > 0
        ? t('remind.body.late', { time: fmt.hm(s.t0, tz), room, late })
        : t('remind.body', { time: fmt.hm(s.t0, tz), room });
    notify(s.title, body, `remind:${s.id}`).catch(() => {});
    check();
  }

  // changes notifies, once each, when a starred session is cancelled, moved
  // (another time or room in the schedule, or its room moved by an
  // organizer) or its room is full while it is on now or next. What was seen is kept, so a reload does not say it again,
  // and is kept while reminders are off too, so turning them on does not
  // bring back old news.
  function changes(now, tz) {
    if (!live.doc) return;
    let seen;
    try {
      seen = JSON.parse(get(SEEN_KEY) || '{}');
    } catch {
      seen = {};
    }
    const loud = wanted();
    const mark = {};
    const inDoc = new Set();
    for (const s of live.idx.all) {
      if (!favs.starred.has(s.id)) continue;
      inDoc.add(s.id);
      const tr = live.track(s.track, now);
      const full = tr.status?.status === 'full' && (tr.now?.id === s.id || tr.next?.id === s.id);
      const cur = { c: !!s.cancelled, at: s.s0, room: s.track, full, mv: tr.status?.status === 'moved' ? tr.status.moved_to || '' : '' };
      const old = seen[s.id];
      mark[s.id] = cur;
      if (!old || !loud || s.t1 <= now) continue;
      const where = { title: s.title, time: fmt.hm(s.t0, tz), room: roomOf(tr) };
      if (cur.c && !old.c) notify(t('remind.cancelled', where), t('remind.cancelled.body', where), `change:${s.id}`).catch(() => {});
      else if (!cur.c && (cur.at !== old.at || cur.room !== old.room || (cur.mv && cur.mv !== old.mv))) notify(t('remind.moved', where), t('remind.moved.body', where), `change:${s.id}`).catch(() => {});
      if (cur.full && !old.full && !cur.c) notify(t('remind.full', where), t('remind.full.body', where), `full:${s.id}`).catch(() => {});
    }
    // A starred session gone from the schedule is as good as cancelled.
    for (const [id, old] of Object.entries(seen)) {
      if (inDoc.has(id) || !favs.starred.has(id)) continue;
      mark[id] = { ...old, c: true };
      if (!old.c && loud) notify(t('remind.gone', { title: old.title || id }), t('remind.gone.body'), `change:${id}`).catch(() => {});
    }
    for (const s of live.idx.all) if (mark[s.id]) mark[s.id].title = s.title;
    const s = JSON.stringify(mark);
    if (s !== get(SEEN_KEY)) put(SEEN_KEY, s);
  }

  // settings shows the toggle and the lead while the platform can notify,
  // else, once there is something to be reminded of (a star) or the viewer
  // asked, what stands in the way and the calendar instead: a phone's first
  // screen is for what is on now.
  function settings() {
    const why = cannot() || said;
    const pressed = wanted();
    show(on, !cannot());
    attr(on, 'aria-pressed', String(pressed));
    show(pick, pressed);
    show(next, pressed);
    show(msg, !!why && (favs.starred.size > 0 || !!said));
    text(msg.firstChild, why ? t(`remind.cannot.${why}`) : '');
    const ids = [...favs.starred].sort().join(',');
    attr(cal, 'href', ids ? `/schedule.ics?sessions=${encodeURIComponent(ids)}` : '/schedule.ics');
    el.dataset.reminders = pressed ? 'on' : why || 'off';
  }

  function check() {
    settings();
    if (!clock.ref && !clock.local) return; // the server's time is not known yet
    const now = clock.now();
    const tz = live.tz();
    changes(now, tz);
    arm(now, tz);
  }

  setInterval(check, CHECK_EVERY);
  check();
}
