// The console's room status controls: per room, what its screens tell the
// audience now (open, full, closed or moved, with the note and since when),
// buttons that set Open, Full or Closed, a "Moved to…" choice of the other
// rooms, and an optional note with a counter. Every call goes through the
// console's own call (admin.js), so a refusal (a note too long, a room
// that is gone) shows as every other API error does, word for word.
//
// The panel is built here and placed after the Tracks panel, so that the
// console's page and script only import it and call it on each render.

import * as fmt from './fmt.js';
import { $, h, text, attr, sync, say } from './ui.js';
import { t as msg } from './i18n.js';

// maxNote is the server's limit on a note (maxStatusNoteRunes): the counter
// warns past it, and the server's own refusal says why.
const maxNote = 140;
const labels = { open: msg('rooms.open'), full: msg('rooms.full'), closed: msg('rooms.closed'), moved: msg('rooms.moved') };

// runes counts characters as the server does (code points, after trimming).
const runes = (s) => [...s.trim()].length;

// rooms builds the panel and returns its render(live, t, tracks); call is
// the console's API call (shows errors, resolves to undefined on one).
export function rooms(call) {
  const list = h('ul', { id: 'room-rows', class: 'rooms' });
  const panel = h(
    'section',
    { id: 'rooms', class: 'panel', 'aria-labelledby': 'h-rooms' },
    h('h2', { id: 'h-rooms', text: msg('rooms.title') }),
    h('p', { class: 'none', text: msg('rooms.intro') }),
    list,
  );
  $('track-rows').closest('section').after(panel);

  let live = null;

  function make(tr) {
    const name = fmt.iso(tr.name);
    const id = `room-note-${tr.id}`;
    const note = h('input', {
      id,
      type: 'text',
      class: 'room-note',
      autocomplete: 'off',
      placeholder: msg('rooms.note'),
      'aria-label': msg('rooms.noteAria', { room: name }),
      'data-track': tr.id,
      'aria-describedby': `${id}-count`,
      oninput: () => count(),
    });
    const counter = h('small', { id: `${id}-count`, class: 'room-count' });
    const count = () => {
      const n = runes(note.value);
      text(counter, `${n}/${maxNote}`);
      counter.classList.toggle('over', n > maxNote);
    };
    count();
    // send sets the room's status with the note typed, if any: an open room
    // takes no note (the server refuses one), so Open clears it instead.
    const send = async (status, button, movedTo) => {
      const body = { status };
      const n = note.value.trim();
      if (status !== 'open' && n) body.note = n;
      if (movedTo) body.moved_to = movedTo;
      const r = await call('POST', `/api/v1/tracks/${encodeURIComponent(tr.id)}/status`, body, button);
      if (!r) return;
      note.value = '';
      count();
      say(
        status === 'open'
          ? msg('rooms.saidOpen', { room: tr.name })
          : status === 'moved'
            ? msg('rooms.saidMoved', { room: tr.name, to: live.tracks().find((x) => x.id === movedTo)?.name || movedTo })
            : msg('rooms.said', { room: tr.name, status: labels[status] }),
      );
    };
    const btn = (status) =>
      h('button', {
        type: 'button',
        text: labels[status],
        'data-track': tr.id,
        'data-status': status,
        'aria-pressed': 'false',
        'aria-label': msg('rooms.setAria', { status: labels[status], room: name }),
        onclick: (e) => send(status, e.currentTarget),
      });
    const moved = h('select', {
      class: 'room-moved',
      'data-track': tr.id,
      'aria-label': msg('rooms.moveAria', { room: name }),
      onchange: async (e) => {
        const sel = e.currentTarget;
        if (!sel.value) return;
        await send('moved', sel, sel.value);
        sel.value = ''; // the status says where; the choice is ready again
      },
    });
    return h(
      'li',
      { class: 'room' },
      h('div', { class: 'room-head' }, h('strong', { class: 'room-name' }), h('span', { class: 'room-state' }), h('span', { class: 'room-said' })),
      h('div', { class: 'room-controls' }, btn('open'), btn('full'), btn('closed'), moved, h('span', { class: 'room-note-field' }, note, counter)),
    );
  }

  function update(row, tr, t, tz, tracks) {
    const st = live.track(tr.id, t).status;
    const cur = st?.status || 'open';
    row.dataset.status = cur;
    text(row.querySelector('.room-name'), tr.name);
    const to = st?.moved_to ? st.moved_to_name || tracks.find((x) => x.id === st.moved_to)?.name || st.moved_to : '';
    const state = to ? msg('rooms.movedTo', { room: to }) : labels[cur] || cur;
    text(row.querySelector('.room-state'), st?.since && tz ? msg('rooms.since', { state, time: fmt.hm(Date.parse(st.since), tz) }) : state);
    text(row.querySelector('.room-said'), st?.note ? `“${st.note}”` : '');
    for (const b of row.querySelectorAll('[data-status]')) attr(b, 'aria-pressed', String(b.dataset.status === cur));
    const sel = row.querySelector('.room-moved');
    const others = tracks.filter((x) => x.id !== tr.id);
    const sig = others.map((x) => `${x.id}\0${x.name}`).join('\0');
    if (sel.dataset.sig !== sig) {
      sel.replaceChildren(h('option', { value: '', text: msg('rooms.moveTo') }), ...others.map((x) => h('option', { value: x.id, text: x.name })));
      sel.dataset.sig = sig;
    }
    sel.disabled = others.length === 0;
  }

  return (l, t, tracks) => {
    live = l;
    const tz = live.tz();
    sync(list, tracks, (x) => x.id, make, (row, tr) => update(row, tr, t, tz, tracks));
  };
}
