// The console's Screens page: per room, the addresses of its screen, its
// stage monitor and its stream overlay (and the lobby's), each with a copy button and a QR code the
// server draws (no network needed), and every device that said who it is:
// online, or offline since when, its clock offset and version, with a
// button that reloads it. It reads the token the console keeps and asks
// GET /api/v1/screens every few seconds while the console is shown.
// admin.js imports it when the panel first comes into view; the rooms and
// the time zone come from the console's live schedule (confdash.live), so
// the schedule is not fetched a second time.

import { api } from './live.js';
import * as fmt from './fmt.js';
import { $, h, text, show, sync, say } from './ui.js';
import { t as msg } from './i18n.js';

const TOKEN_KEY = 'confdash:admin-token'; // the console's (admin.js)
const POLL = 5e3;

const token = () => sessionStorage.getItem(TOKEN_KEY) || '';
const pageURL = (path) => new URL(path, location.origin).href;
const qr = (url) => `/api/v1/qr?url=${encodeURIComponent(url)}`;
const live = () => globalThis.confdash?.live;

function link(label, path) {
  const url = pageURL(path);
  const copy = h('button', { type: 'button', class: 'copy', text: msg('screens.copy'), 'aria-label': msg('screens.copyAria', { what: label }) });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(url);
      say(msg('screens.copiedSaid', { what: label }));
      text(copy, msg('screens.copied'));
    } catch {
      // No clipboard (plain http): select the address so it can be copied by hand.
      getSelection().selectAllChildren(a);
    }
  });
  const a = h('a', { href: url, text: url, target: '_blank', rel: 'noopener' });
  return h(
    'li',
    { class: 'screen-link' },
    h('img', { src: qr(url), alt: msg('screens.qrAlt', { url }), width: 96, height: 96, loading: 'lazy' }),
    h('span', {}, h('strong', { text: label }), a, copy),
  );
}

// The views' names as the devices list shows them.
const viewNames = {
  screen: msg('view.screen'),
  lobby: msg('view.lobby'),
  stage: msg('view.stage'),
  overlay: msg('view.overlay'),
  tab: msg('view.tab'),
  admin: msg('view.admin'),
};

function status(d, now) {
  if (d.online) return msg('screens.online');
  return msg('screens.offlineSince', { time: fmt.hm(Date.parse(d.since), live()?.tz()), d: fmt.duration(now - Date.parse(d.since)) });
}

// offset says a clock offset: tenths of a second when small, else a
// duration (a rehearsal clock under --at is days away).
function offset(ms) {
  if (ms == null) return '—';
  const sign = ms < 0 ? '−' : '+';
  return Math.abs(ms) < 60e3 ? sign + msg('screens.seconds', { s: (Math.abs(ms) / 1000).toFixed(1) }) : `${sign}${fmt.duration(Math.abs(ms))}`;
}

function deviceRow(d) {
  const btn = h('button', { type: 'button', class: 'reload', text: msg('screens.reload') });
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      await api('POST', `/api/v1/screens/${encodeURIComponent(d.id)}/reload`, undefined, token());
      say(msg('screens.reloadSaid', { id: d.id }));
      text($('screens-error'), '');
    } catch (e) {
      text($('screens-error'), e.message);
    } finally {
      btn.disabled = false;
    }
  });
  // A device's id and version are names, not words (translate="no").
  const tr = h('tr', {}, h('td', { class: 'id', translate: 'no' }), h('td', { class: 'view' }), h('td', { class: 'state' }), h('td', { class: 'num offset' }), h('td', { class: 'ver', translate: 'no' }), h('td', { class: 'size' }), h('td', {}, btn));
  tr.btn = btn;
  return tr;
}

function fillDevice(tr, d, now) {
  tr.dataset.online = d.online;
  text(tr.querySelector('.id'), d.id);
  text(tr.querySelector('.view'), viewNames[d.view === 'screen' && !d.track ? 'lobby' : d.view] || d.view);
  text(tr.querySelector('.state'), status(d, now));
  text(tr.querySelector('.offset'), offset(d.clock_offset_ms));
  text(tr.querySelector('.ver'), d.assets ? (d.assets_stale ? msg('screens.old', { version: d.assets }) : d.assets) : '—');
  text(tr.querySelector('.size'), d.width ? `${d.width}×${d.height}` : '');
  tr.btn.disabled = !d.online;
}

function render(all) {
  const now = Date.now();
  // Phones' tabs are counted, not listed: a keynote brings hundreds.
  const list = all.filter((d) => d.view !== 'tab');
  const tabs = all.length - list.length;
  const tracks = live()?.tracks() || [];
  const rooms = [{ id: '', name: msg('screens.lobby') }, ...tracks];
  sync(
    $('screens-rooms'),
    rooms,
    (r) => r.id,
    (r) =>
      h(
        'section',
        { class: 'screen-room' },
        h('h3', { text: r.name }),
        h(
          'ul',
          { class: 'screen-links' },
          ...(r.id
            ? [
                link(msg('screens.roomScreen'), `/screen/${encodeURIComponent(r.id)}`),
                link(msg('screens.stageMonitor'), `/stage/${encodeURIComponent(r.id)}`),
                link(msg('screens.streamOverlay'), `/overlay/${encodeURIComponent(r.id)}`),
              ]
            : [link(msg('screens.lobby'), '/screen'), link(msg('screens.tab'), '/')]),
        ),
        h(
          'table',
          { class: 'devices' },
          h('thead', {}, h('tr', {}, ...[msg('screens.device'), msg('screens.view'), msg('screens.status'), msg('screens.clock'), msg('screens.version'), msg('screens.size'), ''].map((c) => h('th', { scope: 'col', text: c })))),
          h('tbody'),
        ),
      ),
    (sec, r) => {
      const mine = list.filter((d) => (d.track || '') === r.id);
      sync(sec.querySelector('tbody'), mine, (d) => d.id, deviceRow, (tr, d) => fillDevice(tr, d, now));
      show(sec.querySelector('table'), mine.length > 0);
    },
  );
  const on = list.filter((d) => d.online).length;
  text($('screens-summary'), tabs === 1 ? msg('screens.summaryOne', { on, off: list.length - on }) : msg('screens.summary', { on, off: list.length - on, tabs }));
}

let timer = 0;
async function poll() {
  clearTimeout(timer);
  timer = setTimeout(poll, POLL);
  if ($('console').hidden || !token()) return;
  try {
    const r = await api('GET', '/api/v1/screens', undefined, token());

    text($('screens-error'), '');
    render(r.screens || []);
  } catch (e) {
    text($('screens-error'), e.message);
  }
}
poll();
$('screens-refresh').addEventListener('click', poll);
