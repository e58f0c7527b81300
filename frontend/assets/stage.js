// The stage view (/stage/{track}): a confidence monitor facing the speaker.
// A huge countdown to the estimated end of the session on stage, the time
// of day, what comes next; neutral, then amber at the warn threshold, red at
// the danger threshold, and a flashing "+m:ss" once the session runs over.
// Messages for the stage run full-width above it; an emergency blacks the
// whole screen out with its text. Overtime is shown here and nowhere else:
// the audience's views stay calm.
//
// Thresholds, in whole minutes: ?warn=5&danger=2 on the URL, else the
// track's stage_warn_minutes / stage_danger_minutes in the schedule, else
// the defaults below. A wrong parameter is named on the page and ignored.

import { start } from './live.js';
import * as fmt from './fmt.js';
import { t as msg } from './i18n.js';
import { $, h, text, css, show, sync, say, watch, announcer, params, pathTrack, keepAwake } from './ui.js';

// The same defaults and bound as schedule.DefaultStageWarnMinutes,
// DefaultStageDangerMinutes and MaxStageMinutes.
const WARN = 5;
const DANGER = 2;
const MAX = 120;
// A session said to have started and not said to have ended is on stage
// past its estimated end: it counts its overtime up until the crew says it
// ended or the next one started. A session without any live timing counts
// it up at most this long, and only until the next one starts: a talk that
// ended on time must not count up through a long gap.
const OVERTIME_FOR = 15 * 60e3;

const track = pathTrack();
const body = document.body;
const changedNow = watch();
const freshMessages = announcer();

// minutes reads ?warn= or ?danger=: absent gives 0 (not set); a wrong value
// is reported and gives 0 too.
const bad = [];
function minutes(name) {
  const raw = params.get(name);
  if (raw == null || raw.trim() === '') return 0;
  const v = raw.trim();
  if (/^\d+$/.test(v) && +v >= 1 && +v <= MAX) return +v;
  bad.push(msg('stage.badMinutes', { name, value: raw.slice(0, 40), max: MAX }));
  return 0;
}
const url = { warn: minutes('warn'), danger: minutes('danger') };

// thresholds gives the warn and danger minutes in force and, when the URL's
// cannot be used with the track's, why. The URL wins over the track, the
// track over the defaults; red must come after amber.
function thresholds() {
  const tr = live.idx?.tracks.get(track) || {};
  const own = { warn: tr.stage_warn_minutes || WARN, danger: tr.stage_danger_minutes || DANGER };
  const warn = url.warn || own.warn;
  const danger = url.danger || own.danger;
  if (danger < warn) return { warn, danger, why: '' };
  return {
    ...own,
    why: msg('stage.badOrder', { danger, warn, ownWarn: own.warn, ownDanger: own.danger }),
  };
}

const live = start({ track, view: 'stage', render });

// situation says what the stage shows at t: mode is now (a session runs),
// break, over (the session ran past its estimated end and nothing has
// started since), gap (the next one has not started) or done; cue is the
// colour: '', amber, red or over.
function situation(t, th) {
  const { now, next, prev } = live.track(track, t);
  const stage = onStage(t);
  if (stage && t >= stage.s.t1) return { mode: 'over', s: stage.s, next: stage.next, cue: 'over' };
  if (now) {
    if (now.kind === 'break') return { mode: 'break', s: now, next, cue: '' };
    const left = now.t1 - t;
    const cue = left <= th.danger * 60e3 ? 'red' : left <= th.warn * 60e3 ? 'amber' : '';
    return { mode: 'now', s: now, next, cue };
  }
  if (prev && prev.kind !== 'break' && !prev.live && t - prev.t1 < OVERTIME_FOR && (!next || t < next.t0))
    return { mode: 'over', s: prev, next, cue: 'over' };
  if (next) return { mode: 'gap', s: next, next: null, cue: '' };
  return { mode: 'done', s: null, next: null, cue: '' };
}

// onStage finds the session the crew said started and has not said ended,
// with the one after it. The estimates end it on time, and may already
// show the next one as running: the speaker still on stage is over time.
// A "started" left without an "ended" stops counting once the session
// after it would have ended.
function onStage(t) {
  const list = live.sessions(track);
  for (let i = list.length - 1; i >= 0; i--) {
    const s = list[i];
    if (!s.live?.started) continue;
    const next = list[i + 1] || null;
    return !s.live.ended && (!next || t < next.t1) ? { s, next } : null;
  }
  return null;
}

function words(x, t, tz) {
  const s = x.s;
  const ends = (ms) => (ms !== s.s1 ? msg('stage.endsLate', { time: fmt.hm(ms, tz), scheduled: fmt.hm(s.s1, tz) }) : msg('stage.ends', { time: fmt.hm(ms, tz) }));
  switch (x.mode) {
    case 'now':
      return { label: msg('screen.now', { kind: fmt.kinds[s.kind] || s.kind }), big: fmt.countdown(s.t1 - t), small: ends(s.t1) };
    case 'break':
      return { label: msg('screen.break'), big: fmt.countdown(s.t1 - t), small: msg('screen.backAtShort', { time: fmt.hm(s.t1, tz) }) };
    case 'over':
      return { label: msg('stage.over'), big: fmt.overtime(t - s.t1), small: msg('stage.wasDue', { time: fmt.hm(s.t1, tz) }) };
    case 'gap':
      return { label: msg('screen.next', { when: fmt.slot(s, tz) }), big: fmt.countdown(s.t0 - t), small: msg('stage.untilStart') };
    default:
      return { label: '', big: '', small: '' };
  }
}

function render(t) {
  const tz = live.tz();
  const th = thresholds();
  const problems = th.why ? [...bad, th.why] : bad;
  text($('bad'), problems.join(' '));
  show($('bad'), problems.length > 0);

  const ready = !!(live.doc || live.state);
  text($('clock'), ready ? fmt.hm(t, tz) : '');
  renderMessages(t);
  if (!ready) return;

  const tr = live.tracks()[0] || { id: track, name: track };
  text($('room'), tr.name);
  const x = situation(t, th);
  const w = words(x, t, tz);
  body.dataset.mode = x.mode;
  body.dataset.cue = x.cue;
  text($('label'), w.label);
  text($('title'), x.s ? x.s.title : msg('screen.doneToday'));
  text($('big'), w.big);
  css($('big'), '--n', Math.max(4, w.big.length));
  text($('small'), w.small);
  show($('no-record'), !!x.s?.do_not_record);
  show($('no-stream'), !!x.s?.do_not_stream);
  show($('next'), !!x.next);
  if (x.next) {
    text($('next-when'), msg('screen.next', { when: fmt.slot(x.next, tz) }));
    const who = fmt.speakers(x.next.speakers);
    text($('next-title'), `${fmt.iso(x.next.title)}${who ? ' — ' + who : ''}`);
  }
  const cur = x.mode === 'now' || x.mode === 'break' ? x.s.id : '';
  if (changedNow(track, cur) && cur) say(msg('say.now', { title: x.s.title }));
}

// renderMessages shows every announcement the stage's state lists, from
// its starts_at on: emergencies black the screen out, the others run
// full-width above the countdown, urgent ones blinking.
function renderMessages(t) {
  const list = live.announcements(t).filter((a) => !a.starts_at || Date.parse(a.starts_at) <= t);
  for (const a of freshMessages(list)) say(msg('say.message', { text: a.text }));
  const emergency = list.filter((a) => a.level === 'emergency');
  const rest = list.filter((a) => a.level !== 'emergency');
  const item = () => h('p', { class: 'msg' });
  sync($('msgs'), rest, (a) => a.id, item, (el, a) => {
    text(el, a.text);
    el.classList.toggle('urgent', a.level === 'urgent');
  });
  sync($('blackout'), emergency, (a) => a.id, item, (el, a) => text(el, a.text));
  show($('blackout'), emergency.length > 0);
}

keepAwake();
