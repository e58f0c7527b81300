// Rooms on the audience views: the status ribbon an organizer sets ("Room
// full", "Closed", "Moved to …"), and the notice a screen shows when its
// room is no longer in the schedule. The room screen, the lobby and the tab
// call these; the styles are rooms.css, loaded once from here.

import { h, text, show } from './ui.js';
import { t } from './i18n.js';

const sheet = document.createElement('link');
sheet.rel = 'stylesheet';
sheet.href = new URL('rooms.css', import.meta.url).href;
document.head.append(sheet);

// statusWords is what a room's status says: its headline, the organizer's
// note, and for a full room the rooms with a session on the same topic.
export function statusWords(st) {
  if (!st) return null;
  const head = { full: () => t('room.full'), closed: () => t('room.closed'), moved: () => t('room.movedTo', { room: st.moved_to_name || st.moved_to }) }[st.status]?.();
  if (!head) return null;
  const others = (st.suggestions || []).map((r) => r.name);
  const suggest = st.status === 'full' && others.length ? t('room.sameTopic', { rooms: others.join(', ') }) : '';
  return { head, note: st.note || '', suggest };
}

// statusRibbon shows st (a track's status in the state, or null) as the
// first child of parent, or removes the ribbon when the room is open.
export function statusRibbon(parent, st) {
  let el = parent.querySelector(':scope > .room-status');
  const w = statusWords(st);
  if (!w) {
    el?.remove();
    return;
  }
  if (!el) {
    el = h('p', { class: 'room-status', role: 'status' }, h('strong', { class: 'rs-head' }), h('span', { class: 'rs-note' }), h('span', { class: 'rs-suggest' }));
    parent.prepend(el);
  }
  el.dataset.status = st.status;
  text(el.querySelector('.rs-head'), w.head);
  text(el.querySelector('.rs-note'), w.note);
  show(el.querySelector('.rs-note'), !!w.note);
  text(el.querySelector('.rs-suggest'), w.suggest);
  show(el.querySelector('.rs-suggest'), !!w.suggest);
}

// roomGone shows, over the whole page, that the page's room is no longer in
// the schedule, with links to the rooms that are (view: the page's path,
// "screen" or "overlay"); it reports whether it did. The page learns it
// from the schedule document that a reload's state made it fetch.
export function roomGone(live, view) {
  const rooms = live.gone();
  let el = document.getElementById('room-gone');
  if (!rooms) {
    el?.remove();
    return false;
  }
  if (!el) {
    el = h('section', { id: 'room-gone', class: 'room-gone', role: 'alert' }, h('h2', {}, t('room.gone')), h('p', {}, t('room.pick')), h('ul'));
    document.body.append(el);
  }
  const list = el.querySelector('ul');
  list.replaceChildren(...rooms.map((r) => h('li', {}, h('a', { href: `/${view}/${encodeURIComponent(r.id)}` }, r.name))));
  return true;
}
