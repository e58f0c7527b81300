// The stream overlay (/overlay/{track}): an OBS browser source on a
// transparent page, a lower-third card with now and next that animates in on
// a transition. Query: ?position=bottom-left|bottom-center|bottom-right|
// top-left|top-center|top-right &scale=1.2 &theme=dark|light.

import { start } from './live.js';
import * as fmt from './fmt.js';
import { $, h, text, attr, css, show, sync, say, watch, params, pathTrack } from './ui.js';

const POSITIONS = ['bottom-left', 'bottom-center', 'bottom-right', 'top-left', 'top-center', 'top-right'];
const body = document.body;
body.dataset.position = POSITIONS.includes(params.get('position')) ? params.get('position') : 'bottom-left';
body.dataset.theme = params.get('theme') === 'light' ? 'light' : 'dark';
css(body, '--scale', Math.min(4, Math.max(0.25, parseFloat(params.get('scale')) || 1)));

const changed = watch();
const live = start({ track: pathTrack(), view: 'overlay', render });

function render(t) {
  const tz = live.tz();
  const tr = live.tracks()[0];
  const card = $('card');
  const anns = live.announcements(t);
  sync($('ann'), anns, (a) => a.id, () => h('p', { class: 'announcement' }), (el, a) => text(el, a.text));
  if (!tr) return show(card, false);
  const { now, next } = live.track(tr.id, t);
  const s = now || next;
  show(card, !!s);
  if (!s) return;
  const mode = now ? (now.kind === 'break' ? 'break' : 'now') : 'next';
  card.dataset.mode = mode;
  text($('label'), mode === 'now' ? 'Now' : mode === 'break' ? 'Break' : `Up next · ${fmt.slot(s, tz)}`);
  text($('track'), tr.name);
  text($('title'), s.title);
  attr($('title'), 'title', s.title); // the card shows two lines of it
  text($('speakers'), fmt.speakers(s.speakers));
  const p = now ? Math.min(1, Math.max(0, (t - now.t0) / (now.t1 - now.t0))) : 0;
  css($('bar'), '--p', p.toFixed(4));
  show($('bar'), !!now);
  text($('aside'), mode === 'break' ? `Back at ${fmt.hm(now.t1, tz)}` : now ? `until ${fmt.hm(now.t1, tz)}` : `in ${fmt.duration(s.t0 - t)}`);
  const n = now && next;
  show($('next'), !!n);
  if (n) text($('next'), `Next ${fmt.slot(next, tz)} · ${fmt.iso(next.title)}`);
  if (changed('card', `${mode}:${s.id}`)) {
    // Restart the entrance animation (CSS turns it off for reduced motion).
    card.classList.remove('enter');
    void card.offsetWidth;
    card.classList.add('enter');
    say(`${tr.name}: ${mode === 'next' ? 'up next' : 'now'} ${s.title}`);
  }
}
