// The stream overlay (/overlay/{track}): an OBS browser source on a
// transparent page, a lower-third card with now and next that animates in on
// a transition, or a full-frame holding slide. Every parameter is in
// docs/operations.md ("Overlay parameters"); a wrong one is named on the page
// with what to write instead, and its default is used.

import { start } from './live.js';
import * as fmt from './fmt.js';
import { t as msg } from './i18n.js';
import { $, h, text, attr, css, show, sync, say, watch, params, pathTrack, changeBadge, languageBadge } from './ui.js';

const POSITIONS = ['bottom-left', 'bottom-center', 'bottom-right', 'top-left', 'top-center', 'top-right'];
const PARTS = ['title', 'speakers', 'next', 'progress'];
const SLIDES = ['next', 'soon', 'brb'];
// Generic families every browser resolves to an installed font. Any other
// name must be a plain font-family name (letters, digits, spaces, hyphens):
// it is quoted and never reaches CSS as written.
const GENERIC = ['system-ui', 'sans-serif', 'serif', 'monospace', 'ui-sans-serif', 'ui-serif', 'ui-monospace', 'ui-rounded'];
const body = document.body;
const bad = [];

// opt reads a parameter: absent or empty gives dflt; a value parse rejects
// (returns undefined) is reported with the hint and gives dflt.
function opt(name, dflt, parse, hint) {
  const raw = params.get(name);
  if (raw == null || raw === '') return dflt;
  const v = parse(raw.trim());
  if (v !== undefined) return v;
  bad.push(msg('overlay.bad', { name, value: raw.slice(0, 40), hint }));
  return dflt;
}
const oneOf = (list) => (v) => (list.includes(v) ? v : undefined);
const number = (lo, hi) => (v) => (/^\d+(\.\d+)?$/.test(v) && +v >= lo && +v <= hi ? +v : undefined);

const conf = {
  position: opt('position', 'bottom-left', oneOf(POSITIONS), msg('overlay.hintOneOf', { list: POSITIONS.join(', ') })),
  theme: opt('theme', 'dark', oneOf(['dark', 'light']), msg('overlay.hintTheme')),
  scale: opt('scale', 1, number(0.25, 4), msg('overlay.hintScale')),
  width: opt('width', 0, number(160, 3840), msg('overlay.hintWidth')),
  hold: opt('hold', 0, number(1, 3600), msg('overlay.hintHold')),
  show: opt('show', PARTS, (v) => {
    const list = v.split(',').map((s) => s.trim()).filter(Boolean);
    return list.every((s) => PARTS.includes(s)) ? list : undefined;
  }, msg('overlay.hintShow', { list: PARTS.join(',') })),
  brand: opt('brand', '', (v) => (/^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.test(v) ? '#' + v.replace('#', '') : undefined),
    msg('overlay.hintBrand')),
  font: opt('font', '', (v) => (GENERIC.includes(v) ? v : /^[A-Za-z][A-Za-z0-9 -]{0,47}$/.test(v) ? `"${v}"` : undefined),
    msg('overlay.hintFont', { list: GENERIC.slice(0, 4).join(', ') })),
  slide: opt('slide', '', oneOf(SLIDES), msg('overlay.hintOneOf', { list: SLIDES.join(', ') })),
  message: (params.get('message') || '').trim().slice(0, 280),
  // ?clock=12|24 is read by i18n.js for every view (fmt.js writes the
  // times); here it is only checked, so a wrong one is named.
  clock: opt('clock', 0, (v) => (v === '12' || v === '24' ? +v : undefined), msg('overlay.hintClock')),
  announcements: opt('announcements', 'on', oneOf(['on', 'off']), msg('overlay.hintAnnouncements')),
};

body.dataset.position = conf.position;
body.dataset.theme = conf.theme;
body.dataset.hide = PARTS.filter((p) => !conf.show.includes(p)).join(' ');
css(body, '--scale', conf.scale);
// The card is as wide as this whatever it shows, so it never jumps at a
// transition: the producer's width, or a share of the canvas.
if (conf.width) css(body, '--card-w', `${conf.width}px`);
if (conf.font) css(body, '--card-font', `${conf.font}, var(--font)`);
if (conf.brand) {
  css(body, '--card-brand', conf.brand);
  // Text takes the brand colour only where it stays readable on the card;
  // the bar and the edge take it anyway.
  if (contrast(conf.brand, conf.theme === 'light' ? '#ffffff' : '#0a0d12') >= 4.5) css(body, '--card-accent', conf.brand);
}
if (conf.slide) body.dataset.slide = conf.slide;
if (bad.length) {
  text($('bad'), bad.join(' '));
  show($('bad'), true);
  console.warn('confdash overlay:', bad.join(' '));
}

function contrast(a, b) {
  const lum = (hex) => {
    const d = hex.length === 4 ? [...hex.slice(1)].map((c) => c + c) : [hex.slice(1, 3), hex.slice(3, 5), hex.slice(5, 7)];
    return d.map((x) => parseInt(x, 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  };
  const [x, y] = [lum(a), lum(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

const changed = watch();
const live = start({ track: pathTrack(), view: 'overlay', render });

function render(t) {
  const tr = live.tracks()[0];
  const all = live.announcements(t);
  // An emergency is shown whatever ?announcements= says: safety comes
  // before a clean stream. It takes the frame; the band holds the rest.
  const emergency = all.filter((a) => a.level === 'emergency');
  renderAnnouncements(conf.announcements === 'on' ? all.filter((a) => a.level !== 'emergency').sort((a, b) => rank(a) - rank(b)) : []);
  body.toggleAttribute('data-emergency', emergency.length > 0);
  if (emergency.length) return renderEmergency(t, tr, emergency);
  if (conf.slide) return renderSlide(t, tr);
  show($('slide'), false);
  const tz = live.tz();
  const card = $('card');
  if (!tr) return show(card, false);
  const { now, next } = live.track(tr.id, t);
  const s = now || next;
  show(card, !!s);
  if (!s) return;
  const mode = now ? (now.kind === 'break' ? 'break' : 'now') : 'next';
  card.dataset.mode = mode;
  text($('label'), mode === 'now' ? msg('screen.nowShort') : mode === 'break' ? msg('screen.break') : msg('screen.upNext', { when: fmt.slot(s, tz) }));
  text($('track'), tr.name);
  text($('title'), s.title);
  attr($('title'), 'title', s.title); // the card shows two lines of it
  changeBadge($('title'), s, t, live.doc);
  languageBadge($('title'), s);
  text($('speakers'), fmt.speakers(s.speakers));
  const p = now ? Math.min(1, Math.max(0, (t - now.t0) / (now.t1 - now.t0))) : 0;
  css($('bar'), '--p', p.toFixed(4));
  show($('bar'), !!now);
  text($('aside'), mode === 'break' ? msg('screen.backAt', { time: fmt.hm(now.t1, tz) }) : now ? msg('screen.until', { time: fmt.hm(now.t1, tz) }) : msg('fmt.in', { d: fmt.duration(s.t0 - t) }));
  const n = now && next;
  show($('next'), !!n);
  if (n) text($('next'), msg('overlay.next', { when: fmt.slot(next, tz), title: fmt.iso(next.title) }));
  const moved = changed('card', `${mode}:${s.id}`);
  if (moved) {
    // Restart the entrance animation (CSS turns it off for reduced motion).
    card.classList.remove('enter');
    void card.offsetWidth;
    card.classList.add('enter');
    const words = { room: tr.name, title: s.title };
    say(mode === 'next' ? msg('say.roomNext', words) : msg('say.roomNow', words));
  }
  if (conf.hold && (moved || !holdTimer)) hold(card);
}

// hold shows the card for conf.hold seconds of real time (what the stream
// shows), then slides it out until the next transition. The page opening
// counts as a transition: a producer sees the card when the scene comes up.
let holdTimer = 0;
function hold(card) {
  clearTimeout(holdTimer);
  card.classList.remove('out');
  card.dataset.held = 'in';
  holdTimer = setTimeout(() => {
    card.classList.add('out');
    card.dataset.held = 'out';
  }, conf.hold * 1000);
}

// The holding slide fills the frame: what comes next on this track, the
// producer's message and the time. It is opaque: it stands in for the video.
function renderSlide(t, tr) {
  const tz = live.tz();
  show($('slide'), true);
  text($('slide-conf'), [live.conference().name, tr?.name].filter(Boolean).join(' · '));
  text($('slide-clock'), fmt.hm(t, tz));
  const { now, next } = tr ? live.track(tr.id, t) : {};
  // During a talk "next" is the talk on now (the stream holds while it
  // runs); in a break or a gap it is the one to come.
  const talk = now && now.kind !== 'break' ? now : next;
  const shown = conf.slide === 'next' ? talk : null;
  // "Starting soon" and "Be right back" are the headline; only the talk
  // slide needs a label over its title.
  text($('slide-label'), shown ? (shown === now ? msg('screen.nowShort') : msg('screen.upNextShort')) : '');
  text($('slide-title'), shown ? shown.title : { next: () => msg('screen.doneToday'), soon: () => msg('overlay.soon'), brb: () => msg('overlay.brb') }[conf.slide]());
  attr($('slide-title'), 'title', shown ? shown.title : null);
  // A long title (39C3 has 171 characters) steps down a size to show whole.
  attr($('slide-title'), 'data-long', shown && shown.title.length > 90);
  text($('slide-speakers'), shown ? fmt.speakers(shown.speakers) : '');
  text($('slide-when'), !shown ? '' : shown === now ? msg('screen.until', { time: fmt.hm(now.t1, tz) }) : msg('overlay.slotIn', { when: fmt.slot(shown, tz), d: fmt.duration(shown.t0 - t) }));
  text($('slide-message'), conf.message);
  const after = conf.slide === 'next' ? null : talk;
  text($('slide-next'), !after ? '' : after === now ? msg('overlay.slideNow', { when: fmt.slot(after, tz), title: fmt.iso(after.title) }) : msg('overlay.slideNext', { when: fmt.slot(after, tz), title: fmt.iso(after.title) }));
}

// An emergency takes the frame the way the holding slide does, opaque, with
// its message as the headline, until it is removed. Several are all shown,
// one to a line.
function renderEmergency(t, tr, list) {
  show($('slide'), true);
  text($('slide-conf'), [live.conference().name, tr?.name].filter(Boolean).join(' · '));
  text($('slide-clock'), fmt.hm(t, live.tz()));
  text($('slide-label'), msg('overlay.emergency'));
  text($('slide-title'), list.map((a) => a.text).join('\n'));
  attr($('slide-title'), 'title', null);
  attr($('slide-title'), 'data-long', list.reduce((n, a) => n + a.text.length, 0) > 90);
  for (const id of ['slide-speakers', 'slide-when', 'slide-message', 'slide-next']) text($(id), '');
}

// ---- announcements: one at a time in a band of at most three lines, as wide
// as the card. A longer one turns its pages; several take turns, "1/3".
// The band never grows, so it never pushes the card off the frame.
let annKeys = [];
let annIdx = 0;
let annPage = 0;
let annTimer = 0;
const band = () => $('ann');
// Urgent ones come first in the band, and the band turns red while one shows.
const rank = (a) => (a.level === 'urgent' ? 0 : 1);

function renderAnnouncements(list) {
  if (conf.slide && band().parentElement !== $('slide-ann')) $('slide-ann').append(band());
  sync($('ann-list'), list, (a) => a.id, () => h('p', { class: 'announcement text', hidden: true }), (el, a) => {
    text(el, a.text);
    el.dataset.level = a.level || 'info';
  });
  const keys = list.map((a) => a.id).join('\n');
  if (keys === annKeys.join('\n')) return;
  // A newly posted urgent one is shown at once; otherwise the one showing
  // stays where it is.
  const fresh = list.find((a) => a.level === 'urgent' && !annKeys.includes(a.id));
  const current = fresh ? fresh.id : annKeys[annIdx];
  if (fresh) annPage = 0;
  annKeys = list.map((a) => a.id);
  const i = annKeys.indexOf(current);
  if (i < 0) [annIdx, annPage] = [0, 0];
  else annIdx = i;
  paintAnnouncement();
}

function paintAnnouncement() {
  clearTimeout(annTimer);
  const items = [...$('ann-list').children];
  show(band(), items.length > 0);
  if (!items.length) return;
  if (annIdx >= items.length) [annIdx, annPage] = [0, 0];
  items.forEach((el, i) => show(el, i === annIdx));
  const el = items[annIdx];
  band().dataset.level = el.dataset.level;
  text($('ann-count'), items.length > 1 ? `${annIdx + 1}/${items.length}` : '');
  const view = $('ann-view').clientHeight || 1;
  const pages = Math.max(1, Math.ceil((el.scrollHeight - 1) / view));
  if (annPage >= pages) annPage = 0;
  css(el, '--shift', `${-annPage * view}px`);
  band().dataset.pages = `${annPage + 1}/${pages}`;
  // Reading time: six seconds at least, about 18 characters a second,
  // shared out over the pages.
  const dwell = Math.max(6000, 1500 + el.textContent.length * 55) / pages;
  if (items.length < 2 && pages < 2) return;
  annTimer = setTimeout(() => {
    if (++annPage >= pages) [annIdx, annPage] = [(annIdx + 1) % items.length, 0];
    paintAnnouncement();
  }, Math.max(dwell, 3000));
}
// A new size of the browser source reflows the band: page again.
addEventListener('resize', () => paintAnnouncement());
