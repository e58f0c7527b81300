// Times and durations, the one way every view writes them.
//
// Instants are shown in the event's time zone first (a screen in the venue, a
// speaker's slot, a calendar all agree on it); the viewer's own time follows
// when it reads differently: "10:00 PDT · 19:00 your time (+1 day)". Never
// the browser's zone alone. Clocks are 24-hour.

const formats = new Map();

function format(tz, opts, locale = 'en-US') {
  const key = locale + tz + JSON.stringify(opts);
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...opts, timeZone: tz || undefined });
    formats.set(key, f);
  }
  return f;
}

// The viewer's zone, as the browser knows it.
export const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

export const hm = (ms, tz) => format(tz, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);

export const hms = (ms, tz) =>
  format(tz, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(ms);

// ymd gives the calendar date in tz as YYYY-MM-DD, for comparing days.
export const ymd = (ms, tz) => format(tz, { year: 'numeric', month: '2-digit', day: '2-digit' }, 'en-CA').format(ms);

// weekday writes "Tue 6 Oct".
export const weekday = (ms, tz) => format(tz, { weekday: 'short', day: 'numeric', month: 'short' }, 'en-GB').format(ms);

// zoneName is the short name of tz at an instant: "PDT", "CEST". en-US knows
// the American abbreviations, en-GB the European ones; both fall back to
// "GMT+2".
export function zoneName(ms, tz) {
  const part = (locale) =>
    format(tz, { timeZoneName: 'short' }, locale).formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value || '';
  const us = part('en-US');
  return us.startsWith('GMT') || us.startsWith('UTC') ? part('en-GB') || us : us;
}

const dayNumber = (s) => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 864e5;

// local describes ms for a viewer whose zone differs from the event's:
// {time: "19:00", shift: "(+1 day)"}, or null when both read the same.
export function local(ms, tz, viewer = viewerZone()) {
  if (!tz || viewer === tz) return null;
  const time = hm(ms, viewer);
  const days = dayNumber(ymd(ms, viewer)) - dayNumber(ymd(ms, tz));
  if (time === hm(ms, tz) && days === 0) return null;
  const shift = days === 0 ? '' : `(${days > 0 ? '+' : '−'}${Math.abs(days)} day${Math.abs(days) > 1 ? 's' : ''})`;
  return { time, shift };
}

// dual writes "10:00 PDT · 19:00 your time (+1 day)", or "10:00 PDT" when the
// viewer shares the event's clock.
export function dual(ms, tz, viewer) {
  const l = local(ms, tz, viewer);
  const event = `${hm(ms, tz)} ${zoneName(ms, tz)}`;
  return l ? `${event} · ${l.time} your time${l.shift ? ' ' + l.shift : ''}` : event;
}

// slot writes the time of a slot, "14:00", or "14:00 → est. 14:07" when it
// is late. s0 is the scheduled start, t0 the estimated one (model.js); at
// writes a time (hm, or hm12 where a producer asks for a 12-hour clock).
export function slot(s, tz, at = hm) {
  return s.t0 !== s.s0 ? `${at(s.s0, tz)} → est. ${at(s.t0, tz)}` : at(s.t0, tz);
}

// duration writes a span for people: "12 min", "2 h 10 min", "< 1 min".
// Minutes are rounded up, so "ends in 1 min" lasts until the end.
export function duration(ms) {
  if (ms < 60e3) return '< 1 min';
  const m = Math.ceil(ms / 60e3);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  const r = m % 60;
  return r ? `${h} h ${r} min` : `${h} h`;
}

function clockText(s) {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

// countdown writes the rest of a slot as a clock: "12:34", "1:02:03".
// Seconds are rounded up, so "0:00" shows only at the end.
export const countdown = (ms) => clockText(Math.max(0, Math.ceil(ms / 1000)));

// overtime writes how long a slot has run over: "+3:12" (whole seconds past).
export const overtime = (ms) => '+' + clockText(Math.max(0, Math.floor(ms / 1000)));

// iso wraps a string from the schedule (a title, a name) in a first-strong
// isolate (U+2068 … U+2069) before it is written into a longer text: its
// direction is its own, and an override inside it (an unterminated U+202E)
// cannot reverse what the page writes after it. Elements that hold such a
// string alone isolate it in CSS (app.css).
export const iso = (s) => `\u2068${s}\u2069`;

// speakers writes "Ada Lovelace (Analytical Engines), Grace Hopper", each
// name and affiliation isolated.
export const speakers = (list) =>
  (list || []).map((p) => (p.affiliation ? `${iso(p.name)} (${iso(p.affiliation)})` : iso(p.name))).join(', ');

export const kinds = { keynote: 'Keynote', talk: 'Talk', panel: 'Panel', break: 'Break', other: 'Session' };

// hm12 writes a time on a 12-hour clock, "9:30 AM", for the stream overlay's
// ?clock=12 (an audience used to it); every other view keeps 24-hour clocks.
export const hm12 = (ms, tz) => format(tz, { hour: 'numeric', minute: '2-digit', hourCycle: 'h12' }).format(ms);

// ---- s-screen: when a session starts, for a screen read from afar.

// startsAt writes when ms starts, seen at t: "in 2 h 10 min" while it is
// near, then "at 18:00" (today), "tomorrow 08:00", "Tue 08:00" (this week),
// "Tue 6 Oct 08:00". A countdown of 13 or 166 hours tells a reader nothing.
export function startsAt(ms, t, tz) {
  if (ms - t <= 3 * 3600e3) return `in ${duration(ms - t)}`;
  const days = dayNumber(ymd(ms, tz)) - dayNumber(ymd(t, tz));
  if (days === 0) return `at ${hm(ms, tz)}`;
  if (days === 1) return `tomorrow ${hm(ms, tz)}`;
  const day = weekday(ms, tz);
  return `${days < 7 ? day.split(' ')[0] : day} ${hm(ms, tz)}`;
}
