// Package frontend is what people see: the attendee's live tab (pages/tab.html,
// served at /), the venue screen and the lobby display (pages/screen.html, at
// /screen/{track} and /screen), the OBS stream overlay (pages/overlay.html, at
// /overlay/{track}), the speaker's stage view (pages/stage.html, at
// /stage/{track}) and the organizer console (pages/admin.html, at /admin).
//
// It is plain HTML, CSS and ES modules, embedded with go:embed, with no build
// step and no framework: a fresh clone builds with "go build". The package
// holds only files and knows nothing of the server: the server reads FS,
// serves scripts and styles minified (their comments are for the reader of
// the source, not for a phone on venue Wi-Fi), replaces the literal
// "{{ASSETS}}" in each page with "/assets/<hash>" (one
// hash over every asset, so a deployment changes every asset URL at once and
// assets can be cached forever) and serves assets under that prefix. Modules
// import each other with relative URLs, so they inherit the hash; a module
// learns it from import.meta.url and sends it as "v" on the websocket, which
// is how the server knows to send "reload" after a deployment.
//
// The pages speak the wire protocol of docs/protocol.md and nothing else.
// The shared modules are:
//
//   - live.js: the server clock (offset and rate from hello and ping/pong),
//     the websocket with reconnection (exponential backoff, full jitter), the
//     last snapshot, and a render loop that wakes at whole seconds and at the
//     exact instants the schedule changes, so a page switches now→next on its
//     own and keeps running while offline;
//   - model.js: now/next for a track at an instant, computed from the
//     schedule document (pure functions);
//   - fmt.js: times in the event's zone first, the viewer's beside it;
//     durations and countdowns; iso, which keeps a schedule's string (and any
//     bidi override in it) to itself inside a longer text;
//   - ui.js: DOM helpers and the aria-live announcer;
//   - favs.js: the attendee's starred sessions and their .ics;
//   - remind.js: reminders of the starred sessions, shown through the service
//     worker's registration, before their estimated start, re-armed as the
//     live day moves them; a notification when one is cancelled, moved or
//     its room is full; where the platform cannot notify, it says so;
//   - sw.js: the service worker, served at /sw.js (its scope must cover every
//     page): it keeps the pages, the versioned assets and the last schedule,
//     so a screen reloaded while the server is unreachable still shows it,
//     and it shows the reminders. With the tab's web app manifest (served at
//     /manifest.webmanifest, named after the conference; icon.svg and
//     icon-192.png, icon-512.png drawn from it, maskable) the tab installs as
//     an app.
//
// The pages obey a strict Content-Security-Policy (no inline script, style
// attribute or event handler): dynamic geometry goes through CSS custom
// properties set from script.
//
// The browser tests (browser_test.go) drive every view in headless Chromium
// against the real server with a fast clock.
package frontend
