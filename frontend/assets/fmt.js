// Times and durations, the one way every view writes them.
//
// Instants are shown in the event's time zone first (a screen in the venue, a
// speaker's slot, a calendar all agree on it); the viewer's own time follows
// when it reads differently: "10:00 PDT · 19:00 your time (+1 day)". Never
// the browser's zone alone. Clocks are 12- or 24-hour as the page's locale
// writes them, or as ?clock=12|24 says (i18n.js); dates and weekdays are in
// the page's language; words go through the catalogues.

import { t as msg, mark, locale as pageLocale, hour12 } from './i18n.js';

const formats = new Map();

function format(tz, opts, locale = pageLocale) {
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

// A 12-hour clock writes "9:30 AM" (the locale's AM and PM), a 24-hour one
// "09:30".
const clockOpts = hour12 ? { hour: 'numeric', minute: '2-digit', hourCycle: 'h12' } : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

// hm writes the time of day on the page's clock: "09:30" or "9:30 AM".
export const hm = (ms, tz) => mark(format(tz, clockOpts).format(ms));

export const hms = (ms, tz) => mark(format(tz, { ...clockOpts, second: '2-digit' }).format(ms));

// hm24 writes "09:30" whatever the page's clock, for machines (a
// datetime-local value), never for people.
export const hm24 = (ms, tz) => format(tz, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, 'en-GB').format(ms);

// ymd gives the calendar date in tz as YYYY-MM-DD, for comparing days.
export const ymd = (ms, tz) => format(tz, { year: 'numeric', month: '2-digit', day: '2-digit' }, 'en-CA').format(ms);

// weekday writes "Tue 6 Oct" in the page's language ("Di., 6. Okt.").
export const weekday = (ms, tz) => mark(format(tz, { weekday: 'short', day: 'numeric', month: 'short' }).format(ms));

// dayName writes the weekday alone: "Tue", "Di.".
export const dayName = (ms, tz) => mark(format(tz, { weekday: 'short' }).format(ms));

// zoneName is the short name of tz at an instant: "PDT", "CEST". en-US knows
// the American abbreviations, en-GB the European ones; both fall back to
// "GMT+2".
export function zoneName(ms, tz) {
  const part = (locale) =>
    format(tz, { timeZoneName: 'short' }, locale).formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value || '';
  const us = part('en-US');
  return mark(us.startsWith('GMT') || us.startsWith('UTC') ? part('en-GB') || us : us);
}

const dayNumber = (s) => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 864e5;

// local describes ms for a viewer whose zone differs from the event's:
// {time: "19:00", shift: "(+1 day)"}, or null when both read the same.
export function local(ms, tz, viewer = viewerZone()) {
  if (!tz || viewer === tz) return null;
  const time = hm(ms, viewer);
  const days = dayNumber(ymd(ms, viewer)) - dayNumber(ymd(ms, tz));
  if (time === hm(ms, tz) && days === 0) return null;
  const n = Math.abs(days);
  const sign = days > 0 ? '+' : '−';
  const shift = days === 0 ? '' : n > 1 ? msg('fmt.shiftDays', { sign, n }) : msg('fmt.shiftDay', { sign });
  return { time, shift };
}

// dual writes "10:00 PDT · 19:00 your time (+1 day)", or "10:00 PDT" when the
// viewer shares the event's clock.
export function dual(ms, tz, viewer) {
  const l = local(ms, tz, viewer);
  const event = `${hm(ms, tz)} ${zoneName(ms, tz)}`;
  return l ? `${event} · ${msg('fmt.yourTime', { time: l.time })}${l.shift ? ' ' + l.shift : ''}` : event;
}

// slot writes the time of a slot, "14:00", or "14:00 → est. 14:07" when it
// is late. s0 is the scheduled start, t0 the estimated one (model.js).
export function slot(s, tz) {
  return s.t0 !== s.s0 ? msg('fmt.late', { scheduled: hm(s.s0, tz), estimated: hm(s.t0, tz) }) : hm(s.t0, tz);
}

// duration writes a span for people: "12 min", "2 h 10 min", "< 1 min".
// Minutes are rounded up, so "ends in 1 min" lasts until the end.
export function duration(ms) {
  if (ms < 60e3) return msg('fmt.lessThanMin');
  const m = Math.ceil(ms / 60e3);
  if (m < 60) return msg('fmt.min', { m });
  const h = Math.floor(m / 60);
  const r = m % 60;
  return r ? msg('fmt.hMin', { h, m: r }) : msg('fmt.h', { h });
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

// kinds names the kinds of session in the page's language.
export const kinds = {
  keynote: msg('kind.keynote'),
  talk: msg('kind.talk'),
  panel: msg('kind.panel'),
  break: msg('kind.break'),
  other: msg('kind.other'),
};

// languageBadge is the code a session's language shows as where it differs
// from the page's ("DE" on an English page), or '' ("en-GB" on an English
// page, or no language).
export function languageBadge(s, page = pageLocale) {
  const l = String(s?.language || '').trim().toLowerCase().split(/[-_]/)[0];
  return /^[a-z]{2,3}$/.test(l) && l !== page.toLowerCase().split('-')[0] ? l.toUpperCase() : '';
}

// ---- s-screen: when a session starts, for a screen read from afar.

// startsAt writes when ms starts, seen at t: "in 2 h 10 min" while it is
// near, then "at 18:00" (today), "tomorrow 08:00", "Tue 08:00" (this week),
// "Tue 6 Oct 08:00". A countdown of 13 or 166 hours tells a reader nothing.
export function startsAt(ms, t, tz) {
  if (ms - t <= 3 * 3600e3) return msg('fmt.in', { d: duration(ms - t) });
  const days = dayNumber(ymd(ms, tz)) - dayNumber(ymd(t, tz));
  if (days === 0) return msg('fmt.at', { time: hm(ms, tz) });
  if (days === 1) return msg('fmt.tomorrow', { time: hm(ms, tz) });
  return msg('fmt.onDay', { day: days < 7 ? dayName(ms, tz) : weekday(ms, tz), time: hm(ms, tz) });
}
