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

// The bytes of {url} or of {bytes} (a file the user chose).
async function knowledgeBytes(source) {
  const bytes = source.bytes ? new Uint8Array(source.bytes) : await fetchBytes(source.url);
  if (bytes.length > MAX_BYTES) throw new Error(tooLarge(source.url || source.name));
  return bytes;
}

// The bridge's load reply (it checks the catalog's sha256 and starts the game on the given side); a file the runtime
// refuses leaves the knowledge in use alone.
function load(ready, bytes, { human, sha256 }) {
  const { mp, bridge } = ready;
  mp.FS.writeFile(KNOWLEDGE_PATH, bytes);  // unchanged: the bridge decides what the bytes are
  try {
    const reply = call(bridge, { op: 'load', path: KNOWLEDGE_PATH, human, ...(sha256 && { sha256 }) });
    reply.boot = ready.boot;
    ready.boot = undefined;
    return reply;
  } finally {
    mp.FS.unlink(KNOWLEDGE_PATH);  // the game holds the weights now; the file only costs memory
  }
}

// Messages: {id, load: {url | bytes, human, sha256?}} | {id, request: a bridge request}; each is answered
// {id, ok, ...} in order.
self.onmessage = (event) => {
  const { id, load: source, request } = event.data;
  const bytes = source && knowledgeBytes(source);  // fetched while the engine starts or earlier work runs
  bytes?.catch(() => {});  // its failure is reported in order below, not as an unhandled rejection
  queue = queue.then(async () => {
    const ready = await engine;
    if (!bytes) return call(ready.bridge, request);
    const reply = load(ready, await bytes, source);
    // a cache may hold an older copy than the catalog describes: ask the server itself, once
    return reply.kind === 'Mismatch' ? load(ready, await fetchBytes(source.url, 'no-cache'), source) : reply;
  }).catch((e) => ({ ok: false, error: e.message || String(e) }))
    .then((reply) => self.postMessage({ id, ...reply }));
};
