// The service worker of the public views (served at /sw.js so that its
// scope covers every page). A kiosk that reloads while the network is down
// (a power blip, a switch restarting) gets its page, its assets and the last
// schedule from here instead of the browser's error page; live.js then shows
// the last known schedule and says it is reconnecting.
//
// The attendee's tab installed as an app (its manifest, /manifest.webmanifest)
// opens the same way, and its reminders (remind.js) are shown from here:
// registration.showNotification is the one way a phone's browser lets a page
// notify.
//
// Pages, the manifest and the schedule and state documents: the network
// first, this cache when the server cannot be reached. Versioned assets never change: this
// cache first. Everything else (the websocket, the console and its API, the
// calendar feed) is not touched.

const CACHE = 'confdash-v1';
const DOCS = ['/api/v1/schedule', '/api/v1/state', '/manifest.webmanifest'];

const isPage = (p) => p === '/' || p === '/screen' || p.startsWith('/screen/') || p.startsWith('/overlay/');
const isAsset = (p) => p.startsWith('/assets/');

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== location.origin) return;
  const p = url.pathname;
  if (isAsset(p)) e.respondWith(assetFirst(req));
  else if (isPage(p) || DOCS.includes(p)) e.respondWith(networkFirst(req));
});

// keep stores a good response; an asset of a new version drops every asset
// of the others, so a deployment does not pile versions up.
async function keep(req, res) {
  if (!res.ok || res.type !== 'basic') return;
  const cache = await caches.open(CACHE);
  const p = new URL(req.url).pathname;
  if (isAsset(p)) {
    const version = p.split('/')[2];
    for (const old of await cache.keys()) {
      const q = new URL(old.url).pathname;
      if (isAsset(q) && q.split('/')[2] !== version) await cache.delete(old);
    }
  }
  await cache.put(req.url, res);
}

// The network is asked every time, with the browser's copy's ETag: an
// unchanged page or schedule costs a 304, and the browser answers fetch()
// with its copy (a 200), so keep never sees the 304 (nor would it store it).
async function networkFirst(req) {
  try {
    const res = await fetch(req, { cache: 'no-cache' });
    await keep(req, res.clone());
    return res;
  } catch (err) {
    // The server cannot be reached: the last copy, else the browser's error.
    const hit = (await caches.match(req.url)) || (await caches.match(req.url, { ignoreSearch: true }));
    if (hit) return hit;
    throw err;
  }
}

async function assetFirst(req) {
  const hit = await caches.match(req.url);
  if (hit) return hit;
  const res = await fetch(req);
  await keep(req, res.clone());
  return res;
}

// A page loaded before this worker controlled it sends the URLs it used
// (itself, its assets, the schedule), so its next reload works offline too.
self.addEventListener('message', (e) => {
  const urls = Array.isArray(e.data?.keep) ? e.data.keep : [];
  const own = urls.filter((u) => {
    try {
      const url = new URL(u, location.origin);
      return url.origin === location.origin && (isPage(url.pathname) || isAsset(url.pathname) || DOCS.includes(url.pathname));
    } catch {
      return false;
    }
  });
  e.waitUntil(
    Promise.all(
      own.map(async (u) => {
        if (isAsset(new URL(u, location.origin).pathname) && (await caches.match(u))) return;
        const req = new Request(u);
        try {
          await keep(req, await fetch(req, { cache: isAsset(new URL(req.url).pathname) ? 'default' : 'no-cache' }));
        } catch {
          // Offline right now: the next load tries again.
        }
      }),
    ).then(() => e.source?.postMessage({ kept: own.length })),
  );
});

// A reminder tapped: the tab that is open comes to the front, else a new one
// opens.
self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const url = new URL(e.notification.data?.url || '/', location.origin).href;
  e.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((list) => {
      const open = list.find((c) => new URL(c.url).pathname === new URL(url).pathname);
      return open ? open.focus() : self.clients.openWindow(url);
    }),
  );
});
