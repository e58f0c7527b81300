// What plays when: pure functions of the schedule document
// (GET /api/v1/schedule) and an instant. With them a page knows now/next on
// its own, switches at the scheduled instant to the millisecond, and keeps
// running while it cannot reach the server.
//
// A session from the wire becomes a "slot": the same object with four
// numbers added, in ms since the epoch: s0/s1 scheduled start/end, t0/t1
// estimated start/end (equal to s0/s1 without a delay).

export function slot(s) {
  if (!s) return null;
  if (s.t0 !== undefined) return s;
  const s0 = Date.parse(s.start);
  const s1 = Date.parse(s.end);
  return {
    ...s,
    s0,
    s1,
    t0: s.est_start ? Date.parse(s.est_start) : s0,
    t1: s.est_end ? Date.parse(s.est_end) : s1,
  };
}

// index groups a schedule document's sessions by track, each list sorted by
// estimated start, and keys the tracks by id: a page looks a track up on
// every render, and a schedule may have thousands.
export function index(doc) {
  const tracks = new Map((doc.tracks || []).map((t) => [t.id, t]));
  const byTrack = new Map((doc.tracks || []).map((t) => [t.id, []]));
  const all = (doc.sessions || []).map(slot);
  for (const s of all) {
    if (!byTrack.has(s.track)) byTrack.set(s.track, []);
    byTrack.get(s.track).push(s);
  }
  for (const list of byTrack.values()) list.sort((a, b) => a.t0 - b.t0 || a.t1 - b.t1);
  all.sort((a, b) => a.t0 - b.t0 || a.track.localeCompare(b.track));
  return { tracks, byTrack, all };
}

// at says what a track's list shows at instant t, by the protocol's rule:
// now is the slot with t0 <= t < t1, next the first with t0 > t, prev the
// last that ended at or before t (the stage view counts its overtime from it).
export function at(list, t) {
  let now = null;
  let next = null;
  let prev = null;
  for (const s of list || []) {
    if (s.cancelled) continue; // shown struck through in its slot, never now or next
    if (s.t0 <= t && t < s.t1) now = s;
    else if (s.t0 > t) {
      next = s;
      break;
    } else if (s.t1 <= t) prev = s;
  }
  return { now, next, prev };
}

// nextInstant is the first instant after t at which at(list, ·) changes.
export function nextInstant(list, t) {
  let best = Infinity;
  for (const s of list || []) {
    if (s.cancelled) continue;
    if (s.t0 > t && s.t0 < best) best = s.t0;
    if (s.t1 > t && s.t1 < best) best = s.t1;
  }
  return best;
}

// day finds the conference day that matters at t, with its sessions and
// bounds, and where t falls: "before" its first session, "during", or
// "after" its last (only for the last day; between days the next day is
// the one that matters). Days come from the document; their sessions are
// those starting within them.
export function day(doc, all, t) {
  const days = (doc.days || []).map((d) => {
    const a = Date.parse(d.start);
    const b = Date.parse(d.end);
    const sessions = all.filter((s) => s.s0 >= a && s.s0 < b);
    // A loop, not Math.min(...list): a spread of a large day overflows the stack.
    let first = sessions.length ? Infinity : a;
    let last = sessions.length ? -Infinity : b;
    for (const s of sessions) {
      if (s.t0 < first) first = s.t0;
      if (s.t1 > last) last = s.t1;
    }
    return { date: d.date, start: a, end: b, first, last, sessions };
  });
  if (!days.length) return null;
  const i = days.findIndex((d) => t < d.last);
  if (i < 0) return { ...days[days.length - 1], phase: 'after', index: days.length - 1, count: days.length };
  const d = days[i];
  return { ...d, phase: t < d.first ? 'before' : 'during', index: i, count: days.length, prev: days[i - 1] || null };
}
