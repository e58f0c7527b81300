// The attendee's starred sessions: kept in localStorage (no account, nothing
// sent to the server), and an .ics file of them, built in the browser. The
// reminders of them are remind.js's.

const KEY = 'confdash:favs';

function load() {
  try {
    return new Set(JSON.parse(localStorage.getItem(KEY) || '[]'));
  } catch {
    return new Set();
  }
}

export const starred = load();

export function toggle(id) {
  if (starred.has(id)) starred.delete(id);
  else starred.add(id);
  try {
    localStorage.setItem(KEY, JSON.stringify([...starred]));
  } catch {
    // Private mode without storage: the stars last as long as the tab.
  }
  return starred.has(id);
}

// NOTIFY_KEY is "1" in localStorage once the viewer turned reminders on
// (remind.js).
export const NOTIFY_KEY = 'confdash:notify';

// remindersOn says whether the viewer turned reminders on, here or in an
// earlier visit.
export function remindersOn() {
  try {
    return localStorage.getItem(NOTIFY_KEY) === '1';
  } catch {
    return false;
  }
}

// cannotNotify says why this browser cannot show reminders from this page,
// or '' when it can: "ios" (Safari notifies installed web apps only),
// "insecure" (service workers need https), "unsupported", or "denied".
// The tab hides the reminder toggle then; remind.js says why.
export function cannotNotify() {
  const ios = /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
  if (ios && !navigator.standalone) return 'ios';
  if (!isSecureContext) return 'insecure';
  if (!('serviceWorker' in navigator) || typeof Notification === 'undefined' || !('showNotification' in (globalThis.ServiceWorkerRegistration?.prototype || {})))
    return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  return '';
}

// Another tab of the same browser starred something: follow it.
export function onChange(fn) {
  addEventListener('storage', (e) => {
    if (e.key !== KEY) return;
    starred.clear();
    for (const id of load()) starred.add(id);
    fn();
  });
}

// ---- .ics (RFC 5545): CRLF line ends, TEXT escapes, lines folded at 75
// octets, instants in UTC.

// esc writes a TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma
// escaped, a line break (CRLF or LF) as \n; other control characters, a lone
// CR among them, are not allowed in a content line and are dropped (a lone
// CR would end the line in some readers and let the rest pose as a property).
const esc = (s) =>
  String(s)
    .replace(/\r\n/g, '\n')
    .replace(/[\0-\x08\x0b-\x1f\x7f]/g, '')
    .replace(/[\\;,]/g, '\\$&')
    .replace(/\n/g, '\\n');

// webURL gives a URI value for an http(s) address, normalised by the URL
// parser (spaces and quotes percent-encoded, no control characters), or ''
// for anything else: a calendar app may open the link with one click.
function webURL(s) {
  try {
    const u = new URL(String(s));
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href.replace(/[\0-\x1f\x7f]/g, '') : '';
  } catch {
    return '';
  }
}

const stamp = (ms) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');

const utf8 = new TextEncoder();

// fold splits a content line into 75-octet pieces without cutting a UTF-8
// sequence; each continuation starts with a space, which counts.
export function fold(line) {
  if (utf8.encode(line).length <= 75) return line;
  const parts = [];
  let cur = '';
  let n = 0;
  for (const ch of line) {
    const b = utf8.encode(ch).length;
    if (n + b > 75) {
      parts.push(cur);
      cur = ' ';
      n = 1;
    }
    cur += ch;
    n += b;
  }
  parts.push(cur);
  return parts.join('\r\n');
}

// ics writes a calendar of sessions (slots, scheduled times). conf: {name},
// trackName(id) names a room, host makes the UIDs globally unique, now is
// the DTSTAMP.
export function ics(sessions, { conf, trackName, host, now }) {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//confdash//starred sessions//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${esc(`${conf.name || 'Conference'}: starred`)}`,
  ];
  for (const s of sessions) {
    const who = (s.speakers || []).map((p) => (p.affiliation ? `${p.name} (${p.affiliation})` : p.name)).join(', ');
    const desc = [who, s.abstract].filter(Boolean).join('\n\n');
    lines.push(
      'BEGIN:VEVENT',
      `UID:${esc(s.id)}@${host}`,
      `DTSTAMP:${stamp(now)}`,
      `DTSTART:${stamp(s.s0)}`,
      `DTEND:${stamp(s.s1)}`,
      `SUMMARY:${esc(s.title)}`,
      `LOCATION:${esc(trackName(s.track))}`,
    );
    if (desc) lines.push(`DESCRIPTION:${esc(desc)}`);
    const url = s.url && webURL(s.url);
    if (url) lines.push(`URL:${url}`);
    lines.push('END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.map(fold).join('\r\n') + '\r\n';
}

export function download(name, body, type = 'text/calendar;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([body], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10e3);
}
