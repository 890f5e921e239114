// zhigai's service worker: keeps the app shell on the device so the app starts with no network at all.
// scripts/build-sw.sh fills in VERSION and ASSETS (every file of the build, hashed names) after each Trunk
// build; the server sends this file with Cache-Control: no-cache, so a new build replaces the old cache.
const VERSION = "__VERSION__";
const ASSETS = __ASSETS__;
const CACHE = "zhigai-shell-" + VERSION;
const NAVIGATION_TIMEOUT_MS = 3000;

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

// Pages (every client route): the network when it answers within 3 s, else the cached index.html.
function page(request) {
  const cached = () => caches.match("/index.html", { cacheName: CACHE });
  const network = fetch(request).then((response) => {
    if (!response.ok) throw new Error("HTTP " + response.status);
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
  if (request.mode === "navigate") {
    event.respondWith(page(request));
    return;
  }
  // Build files are fingerprinted: the cached copy is always right.
  event.respondWith(caches.match(request, { cacheName: CACHE }).then((hit) => hit || fetch(request)));
});
