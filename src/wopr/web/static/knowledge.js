// The knowledge WOPR can play with, as a loader: the catalog read, a player's file read, a load and one part of the
// exhaustive check asked of the engine. Each returns what it found; app.js decides what the page does with it.
import { ask } from './engine.js';
import { DEADLINE_MS, SEED, measured } from './probe.js';

const CATALOG_URL = new URL('knowledge/index.json', document.baseURI).href;
const BASE = new URL('.', document.baseURI).href;

// The catalog's entries as the page uses them: only their expected types, with absolute `url`s; `easy`: the one the
// build chose for level easy (its `levels`, by the Python side's rule: evaluate.easy_pick).
function entries({ knowledge, levels }) {
  return (Array.isArray(knowledge) ? knowledge : [])
    .filter((e) => e && typeof e.name === 'string' && typeof e.file === 'string' && typeof e.sha256 === 'string')
    .map((e) => ({ name: e.name, sha256: e.sha256, url: new URL(e.file, CATALOG_URL).href,
      perfect: e.evaluation?.perfect === true, easy: e.name === levels?.easy,
      hidden: Number.isSafeInteger(e.hidden_size) ? `${e.hidden_size} hidden` : '' }));
}

// knowledge/index.json's entries: {catalog} or {problem} (what stops the page: it has nothing to load).
export async function readCatalog() {
  try {
    const response = await fetch(CATALOG_URL, { signal: AbortSignal.timeout(DEADLINE_MS || 30_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const catalog = entries(Object(await response.json()));
    if (!catalog.length) throw new Error('it lists no knowledge');
    return { catalog };
  } catch (e) {
    return { problem: `Could not read the knowledge catalog (${CATALOG_URL}): ${e.message}` };
  }
}

// How a shared link names a catalog entry: by its address, except the default, which needs no name.
export const catalogLink = (entry, catalog) => (entry === catalog[0] ? null : entry.url.replace(BASE, ''));

// The address a player typed, made absolute, or null when it is none.
export function addressOf(text) {
  try {
    return new URL(text, document.baseURI).href;
  } catch {
    return null;
  }
}

// A player's file as {bytes}, or as a failed reply when the device cannot read it.
export async function fileBytes(file) {
  try {
    return { bytes: await file.arrayBuffer() };
  } catch (e) {
    return { ok: false, kind: 'Unreadable', error: e.message };
  }
}

// Loads {url, sha256?} or {bytes} into the engine with a new game of `settings` (the bridge's load request); the
// engine's reply ({ok, state, knowledge} or {ok: false, error, kind}). Its timings become performance measures.
export async function loadKnowledge(source, settings) {
  const seed = SEED || crypto.getRandomValues(new Uint32Array(1))[0];
  const request = { ...settings, seed, ...(source.sha256 && { sha256: source.sha256 }) };
  const reply = await ask({ load: { url: source.url, bytes: source.bytes, deadline: DEADLINE_MS, request } },
    source.bytes ? [source.bytes] : []);
  if (reply.ok) {
    if (reply.boot) {  // how the engine started
      measured('wopr-engine', reply.boot.engineMs);
      measured('wopr-import', reply.boot.importMs);
    }
    measured('wopr-load', reply.ms);
  }
  return reply;
}

// One more part of this browser's exhaustive check of the knowledge in play (a move asked for meanwhile waits for
// one part, a few ms): the engine's reply, {ok, check: {done, ...}, ms}.
export const checkPart = () => ask({ request: { op: 'check' } });
