// The service worker: a reload plays offline, and a new publish arrives whole, never mixed with the old one.
// `wopr site build` writes the release in front of this file: RELEASE = {id, files: {path: sha256}, keep: [path]}, a
// hash of every file, and the files kept from the start (page, engine, runtime, catalog, default knowledge). Each
// release has its own cache and answers only with its own files, each checked against its sha256.
/* global RELEASE */
const SCOPE = new URL(self.registration.scope);
const PREFIX = `wopr ${SCOPE.pathname} `;  // caches belong to the origin: other sites there keep theirs
const CACHE = PREFIX + RELEASE.id;
const KNOWLEDGE = `${PREFIX}knowledge`;  // other origins' knowledge is not kept; a catalog's is kept by its release
const CHECK_MS = 1500;    // how long a page load waits to hear of a newer release (offline, it hears at once)
const ARRIVE_MS = 10000;  // and for that release to arrive whole; else this one plays and the next load has it

const within = (ms, promise) => Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms))]);
const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');

// This release's copy of a file: an HTTP-cached copy only if its sha256 is right, else the server's.
async function fetchChecked(path) {
  for (const cache of ['default', 'reload']) {
    const response = await fetch(new URL(path, SCOPE), { cache });
    const digest = hex(await crypto.subtle.digest('SHA-256', await response.clone().arrayBuffer()));
    if (response.ok && digest === RELEASE.files[path]) return response;
  }
  throw new Error(`${path} on the server is not release ${RELEASE.id}'s`);
}

async function keep(cache, path) {
  const response = await fetchChecked(path);
  await cache.put(new URL(path, SCOPE), response.clone());
  return response;
}

self.addEventListener('install', (event) => {
  // a release that cannot be had whole (a publish under way, a file changed since) does not install
  event.waitUntil(caches.open(CACHE).then((cache) => Promise.all(RELEASE.keep.map((path) => keep(cache, path)))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names.filter((name) =>
    name.startsWith(PREFIX) && name !== CACHE && name !== KNOWLEDGE).map((name) => caches.delete(name)))));
});

// From the release before, at a page load (see navigate): take over now.
self.addEventListener('message', (event) => {
  if (event.data === 'take over') self.skipWaiting();
});

let handedOver = null;  // the waiting release told to take over: asked once, so a failure cannot loop

// A page load: first a short look for a newer release; one that arrived whole takes over, and the page reloads
// from it. Otherwise this release's page, so the page and every file it asks for come from one release.
async function navigate(request) {
  try {
    await within(CHECK_MS, self.registration.update());
    const next = self.registration.installing;
    if (next) {
      await within(ARRIVE_MS, new Promise((resolve) => {
        next.addEventListener('statechange', () => next.state !== 'installing' && resolve());
      }));
    }
  } catch {
    // offline, or the server is down: this release plays
  }
  const next = self.registration.waiting;
  if (next && next !== handedOver && next.state === 'installed') {
    handedOver = next;
    next.postMessage('take over');
    // (an icon of its own, or the browser asks the server's root for /favicon.ico)
    return new Response('<!doctype html><link rel="icon" href="data:,"><meta http-equiv="refresh" content="0">',
      { headers: { 'Content-Type': 'text/html; charset=utf-8', Refresh: '0' } });
  }
  const page = await caches.open(CACHE).then((cache) => cache.match(new URL('index.html', SCOPE), { ignoreVary: true }));
  return page || fetch(request);
}

// Any other file of the release: from its cache, else fetched, checked and kept (the 2018 importer, a catalog
// file chosen later). A file the server now has from another release is refused, never mixed in: a reload brings
// the new release whole.
async function release(path) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(new URL(path, SCOPE), { ignoreVary: true });
  if (hit) return hit;
  try {
    return await keep(cache, path);
  } catch (e) {
    return new Response(`${e.message}: reload the page`, { status: 503, statusText: 'Service Unavailable' });
  }
}

// Knowledge files named by their content (name-<sha256 prefix>.safetensors) cannot go stale: kept once, for any
// release, so the knowledge in use plays offline too.
async function knowledge(request) {
  const cache = await caches.open(KNOWLEDGE);
  const hit = await cache.match(request, { ignoreVary: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return;
  const path = url.pathname.slice(SCOPE.pathname.length);
  if (request.mode === 'navigate') {
    if (path === '' || path === 'index.html') event.respondWith(navigate(request));
  } else if (Object.hasOwn(RELEASE.files, path)) {
    event.respondWith(release(path));
  } else if (/^knowledge\/[^/]+-[0-9a-f]{16}\.safetensors$/.test(path)) {
    event.respondWith(knowledge(request));
  }
});
