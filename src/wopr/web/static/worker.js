// The engine: MicroPython-wasm running wopr.runtime, in a module Web Worker so the page never freezes.
// It speaks only the runtime's bridge (JSON in, JSON out), one call into Python per message.
// No static imports: they would hold back this module's first line until the engine's 100 KB of JS is fetched and run,
// and the runtime's files (two round trips) would then be fetched while that thread is busy compiling the wasm.

const KNOWLEDGE_PATH = '/knowledge/current';
// MAX_BYTES: sources.MAX_BYTES, declared in front of this module by the site build (site.py RULES)
const DEADLINE_MS = 30_000;  // a whole download, however slowly its bytes come

const engine = start().catch((e) => {
  throw new Refused('Engine', `the engine could not start: ${reason(e)}`);
});
engine.catch(() => {});  // reported to the page with the first request's reply
let queue = Promise.resolve();  // messages are answered one at a time, in order
const downloads = new Set();  // the AbortControllers of the downloads under way: Cancel stops them all

// An error with a kind the page words for a player (see engine.js).
class Refused extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

// The technical reason of any error in one line: a Python traceback's last line, not the whole of it.
function reason(e) {
  const lines = String(e?.message ?? e).split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines[lines.length - 1] || 'unknown error').slice(0, 300);
}

const tooLarge = (what) => new Refused('TooLarge', `${what} is over ${MAX_BYTES} bytes: too large for a knowledge file`);

// The body, chunk by chunk, stopped as soon as it passes MAX_BYTES.
async function readAll(response, url) {
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BYTES) throw tooLarge(url);
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

// The bytes at `url`, within `deadline` ms for the whole download (a server dripping bytes cannot hold it for days).
async function fetchBytes(url, { cache = 'default', deadline = DEADLINE_MS } = {}) {
  const control = new AbortController();
  downloads.add(control);
  const timer = setTimeout(() => control.abort(new Refused('Timeout', `${url} did not arrive whole within `
                                                                     + `${Math.round(deadline / 1000)} s`)), deadline);
  try {
    const response = await fetch(url, { cache, signal: control.signal });
    if (!response.ok) throw new Refused('Download', `cannot fetch ${url}: HTTP ${response.status}`);
    if (Number(response.headers.get('content-length')) > MAX_BYTES) throw tooLarge(url);  // unread
    return await readAll(response, url);
  } catch (e) {
    if (control.signal.aborted) throw control.signal.reason;
    if (e instanceof Refused) throw e;
    throw new Refused('Download', `cannot fetch ${url}: the network or the server's CORS settings refused it`);
  } finally {
    clearTimeout(timer);
    control.abort();  // a body left unread (too large, refused) is not downloaded on
    downloads.delete(control);
  }
}

// Many files in one download: a JSON line [[name, size], ...], then their bytes in that order (site.py's bundle()).
// A plain fetch: the page's Cancel, meant for knowledge downloads, must not stop the engine's own files.
async function unbundle(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const end = bytes.indexOf(10);
  let at = end + 1;
  return JSON.parse(new TextDecoder().decode(bytes.subarray(0, end)))
    .map(([name, size]) => [name, bytes.subarray(at, at += size)]);
}

const writeRuntime = (mp, files) => files.forEach(([name, data]) => mp.FS.writeFile(`/lib/wopr/runtime/${name}`, data));

// The 2018 gob importer, fetched once, when the runtime asks for it (a file it finds is not safetensors).
let gob;
async function installImporter(mp) {
  gob ??= unbundle('runtime/gob.bundle').then((files) => writeRuntime(mp, files)).catch((e) => {
    gob = undefined;  // the next such file tries again
    throw e;
  });
  await gob;
}

async function start() {
  const began = performance.now();
  const runtime = unbundle('runtime/core.bundle');  // fetched while the engine's code arrives and compiles
  runtime.catch(() => {});  // reported by the Promise.all below, after the engine's import
  // the wasm too, at once rather than once the engine's JS has run; handed over as a blob: URL (loadMicroPython
  // takes a URL only), typed so that it still compiles while streaming
  const wasm = fetch(new URL('micropython.wasm', import.meta.url)).then(async (response) => {
    if (!response.ok) throw new Error(`cannot fetch micropython.wasm: HTTP ${response.status}`);
    return URL.createObjectURL(new Blob([await response.arrayBuffer()], { type: 'application/wasm' }));
  });
  wasm.catch(() => {});  // reported below, after the engine's import
  const { loadMicroPython } = await import('./micropython.mjs');
  const [mp, files] = await Promise.all([loadMicroPython({
    url: await wasm,
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  }), runtime]);
  mp.FS.mkdirTree('/lib/wopr/runtime');
  mp.FS.mkdirTree('/knowledge');
  mp.FS.writeFile('/lib/wopr/__init__.py', '');  // the CPython package's own __init__ is not the runtime's
  writeRuntime(mp, files);
  const loaded = performance.now();
  const bridge = mp.pyimport('wopr.runtime.bridge');
  // how the start went, reported once with the first load (benchmarks/page.py reads it)
  const boot = { engineMs: loaded - began, importMs: performance.now() - loaded };
  return { mp, bridge, boot };
}

// The bridge's reply as its JSON text (parsed by the page: a deeply nested reply cannot fail to be cloned here).
function call(bridge, request) {
  const began = performance.now();
  const text = bridge.handle(JSON.stringify(request));
  return { text, ms: performance.now() - began };
}

// The kind of a failed reply (failures are short; a long reply is a success not worth parsing here).
const kindOf = (reply) => (reply.text.length < 4096 ? JSON.parse(reply.text).kind : undefined);

// The bytes of {url} or of {bytes} (a file the user chose).
async function knowledgeBytes(source) {
  const bytes = source.bytes ? new Uint8Array(source.bytes) : await fetchBytes(source.url, source);
  if (bytes.length > MAX_BYTES) throw tooLarge(source.url || source.name);
  return bytes;
}

// The bridge's load reply (it checks the catalog's sha256 and starts the game on the given side), with how the
// engine started on the first that succeeds; a file the runtime refuses leaves the knowledge in use alone.
async function load(ready, bytes, { request }) {
  const { mp, bridge } = ready;
  const attempt = () => {
    mp.FS.writeFile(KNOWLEDGE_PATH, bytes);  // unchanged: the bridge decides what the bytes are
    try {
      return call(bridge, { ...request, op: 'load', path: KNOWLEDGE_PATH });
    } finally {
      mp.FS.unlink(KNOWLEDGE_PATH);  // the game holds the weights now; the file only costs memory
    }
  };
  let reply = attempt();
  if (kindOf(reply) === 'ImporterMissing') {
    await installImporter(mp);
    reply = attempt();
  }
  if (kindOf(reply) === undefined) {
    reply.boot = ready.boot;
    ready.boot = undefined;
  }
  return reply;
}

// Messages: {load: {url | bytes, request: the bridge's load request without its path, deadline?}} |
// {request: a bridge request}, each with a port that gets the answer, {text, ms, boot?} or {ok: false, error, kind},
// in order | {cancel: true} (stops the downloads under way).
self.onmessage = (event) => {
  const { load: source, request, cancel } = event.data;
  const [port] = event.ports;
  if (cancel) {
    for (const control of downloads) control.abort(new Refused('Cancelled', 'cancelled by the player'));
    return;
  }
  const bytes = source && knowledgeBytes(source);  // fetched while the engine starts or earlier work runs
  bytes?.catch(() => {});  // its failure is reported in order below, not as an unhandled rejection
  queue = queue.then(async () => {
    const ready = await engine;
    if (!bytes) return call(ready.bridge, request);
    const reply = await load(ready, await bytes, source);
    // a cache may hold an older copy than the catalog describes: ask the server itself, once
    return kindOf(reply) === 'Mismatch' ? load(ready, await fetchBytes(source.url, { ...source, cache: 'no-cache' }),
      source) : reply;
  }).catch((e) => ({ ok: false, error: reason(e), kind: e.kind || 'Engine' }))
    .then((reply) => {
      try {
        port.postMessage(reply);
      } catch (e) {  // never leave the page waiting
        port.postMessage({ ok: false, error: `the reply could not be sent: ${reason(e)}`, kind: 'Engine' });
      }
    });
};
