// zhigai's service worker: keeps the app shell on the device so the app starts with no network at all.
// scripts/build-sw.sh fills in VERSION and ASSETS (every file of the clinic app's build, hashed names) after
// each Trunk build; the server sends this file with Cache-Control: no-cache, so a new build replaces the old
// cache. The review app under /review/ is not fetched on install (a clinic never needs it): its files are
// kept as they are first fetched online, so a reviewer's device opens its shell offline afterwards.
const VERSION = "__VERSION__";
const ASSETS = __ASSETS__;
const CACHE = "zhigai-shell-" + VERSION;
const NAVIGATION_TIMEOUT_MS = 3000;
const REVIEW = "/review/";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((k) => k.startsWith("zhigai-shell-") && k !== CACHE).map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

// Keeps a copy of a review-app response under `key` (the review app is cached as it is first fetched).
function keep(key, response) {
  const copy = response.clone();
  caches.open(CACHE).then((cache) => cache.put(key, copy));
}

// Pages (every client route): the network when it answers within 3 s, else the cached index.html of the
// app the path belongs to. A review page that answers is kept as that app's shell.
function page(request, review) {
  const shell = review ? REVIEW + "index.html" : "/index.html";
  const cached = () => caches.match(shell, { cacheName: CACHE });
  const network = fetch(request).then((response) => {
    if (!response.ok) throw new Error("HTTP " + response.status);
    if (review) keep(shell, response);
    return response;
  });
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), NAVIGATION_TIMEOUT_MS));
  return Promise.race([network, timeout]).catch(() => cached().then((r) => r || network));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  // The API and sync are live data: never from the cache.
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/") || url.pathname === "/sw.js") return;
  const review = url.pathname === "/review" || url.pathname.startsWith(REVIEW);
  if (request.mode === "navigate") {
    event.respondWith(page(request, review));
    return;
  }
  // Build files are fingerprinted: the cached copy is always right. The review app's are kept when fetched.
  event.respondWith(
    caches.match(request, { cacheName: CACHE }).then((hit) => {
      if (hit) return hit;
      return fetch(request).then((response) => {
        if (review && response.ok) keep(request, response);
        return response;
      });
    }),
  );
});
