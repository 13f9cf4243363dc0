// The engine: MicroPython-wasm running wopr.runtime, in a module Web Worker so the page never freezes.
// It speaks only the runtime's bridge (JSON in, JSON out), one call into Python per message.
// No static imports: they would hold back this module's first line until the engine's 100 KB of JS is fetched and run,
// and the runtime's files (two round trips) would then be fetched while that thread is busy compiling the wasm.

const KNOWLEDGE_PATH = '/knowledge/current';
const MAX_BYTES = 64 * 1024 * 1024;  // as the CPython reader's sources: far above any knowledge file

const engine = start().catch((e) => {
  throw new Error(`the engine could not start: ${e.message || e}`);
});
engine.catch(() => {});  // reported to the page with the first request's reply
let queue = Promise.resolve();  // messages are answered one at a time, in order

const tooLarge = (what) => `${what} is over ${MAX_BYTES} bytes: too large for a knowledge file`;

async function fetchBytes(url, cache = 'default') {
  let response;
  try {
    response = await fetch(url, { cache });
  } catch {
    throw new Error(`cannot fetch ${url}: the network or the server's CORS settings refused it`);
  }
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  if (Number(response.headers.get('content-length')) > MAX_BYTES) throw new Error(tooLarge(url));  // unread
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchText(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  return response.text();
}

async function start() {
  const began = performance.now();
  const runtimeFiles = fetchText('runtime/index.json').then((list) =>
    Promise.all(JSON.parse(list).map(async (name) => [name, await fetchText(`runtime/${name}`)])));
  runtimeFiles.catch(() => {});  // reported by the Promise.all below, after the engine's import
  const { loadMicroPython } = await import('./micropython.mjs');
  const [mp, files] = await Promise.all([loadMicroPython({
    url: new URL('micropython.wasm', import.meta.url).href,
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  }), runtimeFiles]);
  mp.FS.mkdirTree('/lib/wopr/runtime');
  mp.FS.mkdirTree('/knowledge');
  mp.FS.writeFile('/lib/wopr/__init__.py', '');  // the CPython package's own __init__ is not the runtime's
  for (const [name, text] of files) mp.FS.writeFile(`/lib/wopr/runtime/${name}`, text);
  const loaded = performance.now();
  const bridge = mp.pyimport('wopr.runtime.bridge');
  // how the start went, reported once with the first load (benchmarks/page.py reads it)
  const boot = { engineMs: loaded - began, importMs: performance.now() - loaded };
  return { mp, bridge, boot };
}

function call(bridge, request) {
  const began = performance.now();
  const reply = JSON.parse(bridge.handle(JSON.stringify(request)));
  reply.ms = performance.now() - began;
  return reply;
}

// crypto.subtle exists only in secure contexts; a page on plain http (an S3 website endpoint) uses the JS one
async function sha256Hex(bytes) {
  const digest = new Uint8Array(crypto.subtle ? await crypto.subtle.digest('SHA-256', bytes)
                                              : (await import('./sha256.js')).sha256(bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The bytes of {url, sha256?} (checked against the catalog's sha256) or of {bytes} (a file the user chose).
async function knowledgeBytes(source) {
  let bytes = source.bytes ? new Uint8Array(source.bytes) : await fetchBytes(source.url);
  if (bytes.length > MAX_BYTES) throw new Error(tooLarge(source.url || source.name));
  if (source.sha256 && await sha256Hex(bytes) !== source.sha256) {
    bytes = await fetchBytes(source.url, 'no-cache');  // a cached copy older than the catalog: ask the server
    const actual = await sha256Hex(bytes);
    if (actual !== source.sha256) {
      throw new Error(`${source.url} does not match the catalog (sha256 ${actual.slice(0, 12)}…, expected ` +
                      `${source.sha256.slice(0, 12)}…): refused`);
    }
  }
  return bytes;
}

// The bridge's load reply; a file the runtime refuses leaves the knowledge in use alone.
function load(ready, bytes) {
  const { mp, bridge } = ready;
  mp.FS.writeFile(KNOWLEDGE_PATH, bytes);  // unchanged: the bridge decides what the bytes are
  try {
    const reply = call(bridge, { op: 'load', path: KNOWLEDGE_PATH });
    reply.boot = ready.boot;
    ready.boot = undefined;
    return reply;
  } finally {
    mp.FS.unlink(KNOWLEDGE_PATH);  // the game holds the weights now; the file only costs memory
  }
}

// Messages: {id, load: source} | {id, request: bridge request}; each is answered {id, ok, ...} in order.
self.onmessage = (event) => {
  const { id, load: source, request } = event.data;
  const bytes = source && knowledgeBytes(source);  // fetched while the engine starts or earlier work runs
  bytes?.catch(() => {});  // its failure is reported in order below, not as an unhandled rejection
  queue = queue.then(async () => {
    const ready = await engine;
    return bytes ? load(ready, await bytes) : call(ready.bridge, request);
  }).catch((e) => ({ ok: false, error: e.message || String(e) }))
    .then((reply) => self.postMessage({ id, ...reply }));
};
