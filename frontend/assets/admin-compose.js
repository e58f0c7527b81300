// The announcement composer of the console: who sees a message (audience),
// how insistently (level), when it appears (now or at a time of the
// conference's clock), a preview of how it looks on a 1920×1080 room screen
// with a length meter, the messages scheduled for later, and one-click cues
// for the speaker's stage monitor. admin.js owns the form and posts it;
// composeFields adds what is chosen here to its body.

import * as fmt from './fmt.js';
import { $, h, text, css, show, sync, say } from './ui.js';
import { t as msg } from './i18n.js';

const MAX = 280; // the server's limit (maxAnnouncementRunes)
const AUDIENCES = [
  ['room', msg('audience.roomScreens'), true],
  ['lobby', msg('audience.lobbyScreens'), true],
  ['tab', msg('audience.tabs'), true],
  ['stage', msg('audience.stageMonitor'), false],
  ['stream', msg('audience.streamOverlay'), false],
];
const LEVELS = [
  ['info', msg('level.infoLong')],
  ['urgent', msg('level.urgentLong')],
  ['emergency', msg('level.emergencyLong')],
];
// Cues for the speaker: to the stage monitor of the room chosen in "To",
// gone after five minutes. They are sent in the console's language: the
// speaker reads what the organizer wrote.
const CUES = [msg('cue.five'), msg('cue.wrap'), msg('cue.qa')];

// audiences names an announcement's audience, levelName its level, short,
// for the console's lists.
const audienceNames = {
  room: msg('audience.room'),
  lobby: msg('audience.lobby'),
  tab: msg('audience.tab'),
  stage: msg('audience.stage'),
  stream: msg('audience.stream'),
};
export const audiences = (list) => (list || []).map((a) => audienceNames[a] || a).join(', ');
const levelNames = { info: msg('level.info'), urgent: msg('level.urgent'), emergency: msg('level.emergency') };
export const levelName = (l) => levelNames[l] || l;
const CUE_TTL = 300;

// The room screen's size; its geometry there is in admin.css (.cmp-*).
const SCREEN = { w: 1920, h: 1080 };

let call = null;
const live = () => globalThis.confdash?.live;

// mountComposer builds the composer into the announcement form; post(method,
// path, body, button) is the console's API call (errors shown as it shows
// them).
export function mountComposer(post) {
  call = post;
  const form = $('ann-form');
  const row = form.querySelector('.inline');
  const boxes = AUDIENCES.map(([v, label, on]) =>
    h('label', { class: 'cmp-check' }, h('input', { type: 'checkbox', name: 'audience', value: v, checked: on, onchange: preview }), ` ${label}`),
  );
  form.insertBefore(
    h(
      'div',
      { class: 'composer' },
      h('p', { id: 'cmp-meter', class: 'cmp-meter', 'aria-live': 'polite' }),
      h('fieldset', { class: 'cmp-audience' }, h('legend', { text: msg('compose.shownOn') }), ...boxes),
      h(
        'div',
        { class: 'inline' },
        h('label', { for: 'cmp-level', text: msg('compose.level') }),
        h('select', { id: 'cmp-level', onchange: preview }, ...LEVELS.map(([v, l]) => h('option', { value: v, text: l }))),
        h('label', { for: 'cmp-when', text: msg('compose.appears') }),
        h('select', { id: 'cmp-when', onchange: when }, h('option', { value: '', text: msg('compose.now') }), h('option', { value: 'at', text: msg('compose.at') })),
        h('input', { id: 'cmp-at', type: 'datetime-local', 'aria-label': msg('compose.atAria'), hidden: true }),
        h('small', { id: 'cmp-zone', class: 'cmp-zone' }),
      ),
      h(
        'figure',
        { class: 'cmp-preview' },
        h(
          'div',
          { class: 'cmp-frame' },
          h(
            'div',
            { id: 'cmp-screen', class: 'cmp-screen', 'aria-hidden': 'true' },
            h('div', { class: 'cmp-bar' }, h('span', { id: 'cmp-room' }), h('span', { id: 'cmp-clock' })),
            h('div', { id: 'cmp-ann', class: 'cmp-ann' }, h('p', { id: 'cmp-text', class: 'cmp-text' })),
          ),
        ),
        h('figcaption', { id: 'cmp-caption' }),
      ),
    ),
    row,
  );
  form.after(
    h(
      'div',
      { class: 'cmp-cues inline' },
      h('span', { class: 'cmp-cues-label', text: msg('compose.cues') }),
      ...CUES.map((cue) => h('button', { type: 'button', 'data-cue': cue, text: cue, onclick: (e) => postCue(cue, e.currentTarget) })),
    ),
    h('h3', { id: 'cmp-pending-h', class: 'cmp-pending-h', text: msg('compose.scheduled'), hidden: true }),
    h('ul', { id: 'cmp-pending', class: 'ann-list cmp-pending' }),
  );
  for (const id of ['ann-text', 'ann-track']) $(id).addEventListener('input', preview);
  addEventListener('resize', preview);
  preview();
}

// composeFields is what the composer adds to a post: the audience, the
// level and, when scheduled, starts_at (an RFC 3339 instant). An empty
// audience is sent as such: the server says what to choose.
export function composeFields() {
  const out = {
    audience: [...document.querySelectorAll('.cmp-audience input:checked')].map((x) => x.value),
    level: $('cmp-level').value,
  };
  if ($('cmp-when').value === 'at' && $('cmp-at').value) out.starts_at = new Date(zoned($('cmp-at').value, live()?.tz())).toISOString();
  return out;
}

async function postCue(cue, button) {
  const body = { text: cue, audience: ['stage'], ttl_seconds: CUE_TTL };
  if ($('ann-track').value) body.track = $('ann-track').value;
  if (await call('POST', '/api/v1/announcements', body, button)) say(msg('compose.cueSent', { cue }));
}

function when() {
  const at = $('cmp-when').value === 'at';
  show($('cmp-at'), at);
  const l = live();
  if (at && !$('cmp-at').value && l) $('cmp-at').value = wall(globalThis.confdash.clock.now() + 10 * 60e3, l.tz());
  if (at) $('cmp-at').focus();
  preview();
}

// wall writes instant ms as a datetime-local value on tz's clock.
function wall(ms, tz) {
  return `${fmt.ymd(ms, tz)}T${fmt.hm24(ms, tz)}`;
}

// zoned is the instant at which tz's clock reads the datetime-local value v:
// the offset is taken at a first guess and again at the result, which
// settles it across a change of summer time.
function zoned(v, tz) {
  const [d, t] = v.split('T');
  const [y, mo, da] = d.split('-').map(Number);
  const [hh, mm] = t.split(':').map(Number);
  const asUTC = Date.UTC(y, mo - 1, da, hh, mm);
  if (!tz) return asUTC;
  const offset = (ms) => {
    const [yy, mm2, dd] = fmt.ymd(ms, tz).split('-').map(Number);
    const [h2, m2] = fmt.hm24(ms, tz).split(':').map(Number);
    return Date.UTC(yy, mm2 - 1, dd, h2, m2) - Math.floor(ms / 60e3) * 60e3;
  };
  let ms = asUTC - offset(asUTC);
  ms = asUTC - offset(ms);
  return ms;
}

// preview draws the message as a 1920×1080 room screen shows it, scaled to
// the console: the band's type shrinks to half size to fit, as the screen's
// does, and the meter says when even that is not enough (the screen then
// scrolls it).
function preview() {
  const l = live();
  const raw = $('ann-text').value;
  const words = raw.replace(/\s+/g, ' ').trim();
  const n = [...words].length;
  const level = $('cmp-level').value;
  const trackID = $('ann-track').value;
  const name = (trackID && l?.tracks().find((x) => x.id === trackID)?.name) || '';
  const screenEl = $('cmp-screen');
  const frame = screenEl.parentElement;
  css(frame, '--k', Math.min(1, frame.clientWidth / SCREEN.w) || 0.25);
  screenEl.dataset.level = level;
  text($('cmp-room'), name || msg('compose.room'));
  text($('cmp-clock'), l?.tz() ? fmt.hm(globalThis.confdash.clock.now(), l.tz()) : '');
  text($('cmp-text'), words || msg('compose.yourMessage'));
  const ann = $('cmp-ann');
  show(ann, true);
  let f = 1;
  css(ann, '--fit', f);
  while (ann.scrollHeight > ann.clientHeight + 1 && f > 0.5) {
    f = Math.round((f - 0.05) * 100) / 100;
    css(ann, '--fit', f);
  }
  const scrolls = ann.scrollHeight > ann.clientHeight + 1;
  const audience = composeFields().audience;
  text(
    $('cmp-meter'),
    n > MAX ? msg('compose.tooLong', { n, max: MAX }) : scrolls ? msg('compose.scrolls', { n, max: MAX }) : `${n}/${MAX}`,
  );
  $('cmp-meter').dataset.over = n > MAX || scrolls ? 'true' : '';
  text(
    $('cmp-caption'),
    !audience.includes('room') && !audience.includes('lobby')
      ? msg('compose.previewNotRoom')
      : msg('compose.preview'),
  );
  // An emergency takes every ticked screen over: the button says so.
  const post = $('ann-form').querySelector('button[type=submit]');
  text(post, level === 'emergency' ? msg('compose.postEmergency') : msg('compose.post'));
  post.classList.toggle('cmp-emergency', level === 'emergency');
  const tz = l?.tz();
  text($('cmp-zone'), tz && $('cmp-when').value === 'at' ? msg('compose.zone', { zone: fmt.zoneName(globalThis.confdash.clock.now(), tz) }) : '');
}

// annItem is a row of the console's announcement lists: its text, a line
// about it (filled by the list), and a button that deletes it and says done
// once the server has.
export function annItem(a, label, aria, done) {
  const remove = async (e) => {
    if (await call('DELETE', `/api/v1/announcements/${encodeURIComponent(a.id)}`, undefined, e.currentTarget)) say(done);
  };
  return h(
    'li',
    {},
    h('span', { class: 'ann-text' }),
    h('small', { class: 'ann-meta' }),
    h('button', { type: 'button', class: 'danger', text: label, 'aria-label': aria, 'data-remove': a.id, onclick: remove }),
  );
}

// renderComposer lists the messages scheduled for later (the console's
// state lists them as pending; one just posted may come as an event first).
export function renderComposer(t, tz) {
  const l = live();
  if (tz) text($('cmp-clock'), fmt.hm(t, tz));
  const byID = new Map();
  for (const a of [...(l?.state?.pending || []), ...(l?.state?.announcements || [])]) {
    if (a.starts_at && Date.parse(a.starts_at) > t && !(a.expires && Date.parse(a.expires) <= t)) byID.set(a.id, a);
  }
  const list = [...byID.values()].sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
  show($('cmp-pending-h'), list.length > 0);
  sync(
    $('cmp-pending'),
    list,
    (a) => a.id,
    (a) => annItem(a, msg('compose.cancel'), msg('compose.cancelAria', { text: fmt.iso(a.text) }), msg('compose.cancelled')),
    (el, a) => {
      text(el.querySelector('.ann-text'), a.text);
      text(el.querySelector('.ann-meta'), [levelName(a.level || 'info'), audiences(a.audience), msg('fmt.at', { time: fmt.hm(Date.parse(a.starts_at), tz) })].join(' · '));
    },
  );
}
