// The knowledge WOPR plays with: the catalog (the level picks easy's network or the default), a file chosen or dropped,
// or a URL; a load that fails says why at the control that asked for it, and the knowledge in use plays on.
import { renderCard, showCheck } from './card.js';
import { ask, cancelDownloads, explain } from './engine.js';
import { DEADLINE_MS, SEED, measured } from './probe.js';

const $ = (id) => document.getElementById(id);
const CATALOG_URL = new URL('knowledge/index.json', document.baseURI).href;
const BASE = new URL('.', document.baseURI).href;
let catalog = [];    // entries of knowledge/index.json, with absolute `url`s
let current = null;  // {value: the picker's ('' for a file or URL of the player's), link, auto: picked by the level}
let game = null;     // the page's hooks: {settings(), loaded(state), render()}
let failure = null;  // the latest load that failed: {label, reply}

// Easy's network: the catalog's 2018-method one (method winning-x), else the first that is not perfect.
function weakEntry() {
  return catalog.find((e) => e.method === 'winning-x') || catalog.find((e) => !e.perfect) || catalog[0];
}

// The catalog entry a level wants when the knowledge in use was picked by a level and is not it; else null.
export function levelKnowledge(level) {
  if (!current?.auto || !catalog.length) return null;
  const entry = level === 'easy' ? weakEntry() : catalog[0];
  return entry.name === current.value ? null : entry;
}

// What a shared link needs to name: nothing when the level picks the knowledge, else its address (a file: nothing).
export const currentLink = () => (current?.auto ? null : current?.link ?? null);

let focused = null;  // the control in use when a load disabled it, so keyboard users keep their place
let loading = false;  // a knowledge load is under way
export const isLoading = () => loading;

function setLoading(what, cancellable = false) {
  if (what && !loading) focused = document.activeElement;
  $('loading').hidden = !what;
  $('loading-text').textContent = what;
  $('cancel').hidden = !cancellable;
  loading = Boolean(what);
  for (const control of document.querySelectorAll('.knowledge select, .knowledge input, .knowledge button')) {
    control.disabled = Boolean(what) || (control.id === 'catalog' && !catalog.length);  // an empty list offers nothing
  }
  game?.render();
  if (!what && focused && focused !== document.body && document.activeElement === document.body) focused.focus();
}

function showError(where, label, reply, after = '') {
  failure = { label, reply };
  const { words, reason } = explain(reply);
  const box = $(`${where}-error`);
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = 'Technical reason';
  details.append(summary, Object.assign(document.createElement('p'), { textContent: reason }));
  box.replaceChildren(Object.assign(document.createElement('p'), { textContent: `Could not use ${label}. ${words}${after}` }),
    ...(reason ? [details] : []));
}

function clearErrors() {
  for (const where of ['catalog', 'file', 'url']) $(`${where}-error`).replaceChildren();
}

// The picker shows the knowledge in use; a file or URL of the player's gets its own option.
function setPicker(value, label) {
  const select = $('catalog');
  select.querySelector('option[value=""]')?.remove();
  if (value === '') select.append(new Option(`Yours: ${label}`, ''));
  select.value = value;
}

// Loads {url, sha256?} or {bytes}; true when it plays. `where` is the control whose error box says why it failed.
async function load(source, label, { value, link = null, auto = false, where }) {
  setLoading(`Loading ${label}…`, Boolean(source.url));
  const seed = SEED || crypto.getRandomValues(new Uint32Array(1))[0];
  const request = { ...game.settings(), seed, ...(source.sha256 && { sha256: source.sha256 }) };
  const reply = await ask({ load: { url: source.url, bytes: source.bytes, deadline: DEADLINE_MS, request } },
    source.bytes ? [source.bytes] : []);
  if (!reply.ok) {
    showError(where, label, reply);
    $('catalog').value = current?.value ?? '';
    setLoading('');
    return false;
  }
  clearErrors();
  if (reply.boot) measured('wopr-engine', reply.boot.engineMs);  // how the engine started
  if (reply.boot) measured('wopr-import', reply.boot.importMs);
  measured('wopr-load', reply.ms);
  current = { value, link, auto };
  setPicker(value, label);
  try {
    renderCard($('card'), label, reply.knowledge);
  } catch {  // card.js checks every value; should it still fail, the game must not wait for the card
    $('card-summary').textContent = 'What this file says about itself cannot be shown.';
  }
  setLoading('');
  await game.loaded(reply.state);
  verify(current, reply.knowledge);
  return true;
}

// This browser's own exhaustive check of the knowledge just loaded, once it plays: one part per request to the worker
// (a move asked for meanwhile waits for one part, a few ms), until it is done; the card then says what it found. A
// load that follows ends it: `current` is then another load's.
async function verify(loaded, summary) {
  let ms = 0;
  for (;;) {
    const reply = await ask({ request: { op: 'check' } });
    if (current !== loaded) return;
    if (!reply.ok) {
      showCheck($('card'), summary, { done: false, error: explain(reply).reason });
      return;
    }
    ms += reply.ms;
    if (reply.check.done) {
      showCheck($('card'), summary, { ...reply.check, ms });
      return;
    }
  }
}

export function chooseKnowledge(entry, { auto = false, where = 'catalog' } = {}) {
  const link = entry === catalog[0] ? null : entry.url.replace(BASE, '');
  return load({ url: entry.url, sha256: entry.sha256 }, entry.name, { value: entry.name, link, auto, where });
}

function useUrl(text, where) {
  let url;
  try {
    url = new URL(text, document.baseURI).href;
  } catch {
    showError(where, text, { kind: 'Download', error: 'not a URL' });
    return false;
  }
  const entry = catalog.find((e) => e.url === url);  // a catalog file named by its URL is still checked
  if (entry) return chooseKnowledge(entry, { where });
  return load({ url }, url, { value: '', link: url, where });
}

async function useFile(file) {
  if (!file || loading) return;
  setLoading(`Loading ${file.name}…`);  // at once: the page is busy from the moment a file is chosen
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch (e) {
    showError('file', file.name, { kind: 'Unreadable', error: e.message });
    setLoading('');
    return;
  }
  await load({ bytes }, file.name, { value: '', where: 'file' });
}

// The catalog's entries as the page uses them: only their expected types (a catalog lists what files say of
// themselves: a method or an evaluation may be anything).
function fillCatalog(entries) {
  catalog = (Array.isArray(entries) ? entries : [])
    .filter((e) => e && typeof e.name === 'string' && typeof e.file === 'string' && typeof e.sha256 === 'string')
    .map((e) => ({ name: e.name, sha256: e.sha256, url: new URL(e.file, CATALOG_URL).href,
      method: typeof e.method === 'string' ? e.method : null, perfect: e.evaluation?.perfect === true,
      hidden: Number.isSafeInteger(e.hidden_size) ? `${e.hidden_size} hidden` : '' }));
  $('catalog').replaceChildren(...catalog.map((e) => {
    const what = e === weakEntry() && e !== catalog[0] ? 'level easy' : e.perfect ? 'never loses' : '';
    return new Option(`${e.name} (${[e.hidden, what].filter(Boolean).join(', ')})`, e.name);
  }));
}

// Reads the catalog and loads the knowledge of a shared link (or the level's; when the runtime refuses that one, the
// catalog's next that it takes); resolves with a problem that stops the page, or null. Called again by Retry.
export async function startKnowledge(hooks, wanted) {
  game = hooks;
  setLoading('Loading the engine and knowledge…');  // the worker starts the engine at once
  try {
    const response = await fetch(CATALOG_URL, { signal: AbortSignal.timeout(DEADLINE_MS || 30_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    fillCatalog((await response.json()).knowledge);
    if (!catalog.length) throw new Error('it lists no knowledge');
  } catch (e) {
    $('catalog').replaceChildren(new Option('No catalog', ''));
    setLoading('');
    return `Could not read the knowledge catalog (${CATALOG_URL}): ${e.message}`;
  }
  if (wanted && await useUrl(wanted, 'catalog')) return null;
  const shared = wanted && failure;  // why the shared link's knowledge is not in use
  current = { auto: true };
  const first = levelKnowledge(hooks.settings().level);
  let playing = await chooseKnowledge(first, { auto: true }) ? first : null;
  const refused = playing ? shared : failure;
  for (const entry of catalog.filter((e) => e !== first)) {
    if (playing) break;
    if (await chooseKnowledge(entry)) playing = entry;
  }
  if (!playing) return `Nothing can play: ${explain(failure.reply).words} (${failure.reply.error})`;
  if (refused) {
    const instead = playing === first ? 'The default' : playing.name;
    showError('catalog', refused.label, refused.reply, ` ${instead} plays instead.`);
  }
  return null;
}

export function knowledgeControls() {
  $('catalog').addEventListener('change', (e) => {
    const entry = catalog.find((c) => c.name === e.target.value);
    if (entry) chooseKnowledge(entry);
  });
  $('file').addEventListener('change', (e) => {
    useFile(e.target.files[0]);
    e.target.value = '';  // the same file can be chosen again
  });
  $('url-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('url').value.trim();
    if (text) useUrl(text, 'url');
  });
  $('cancel').addEventListener('click', cancelDownloads);
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    $('drop').classList.add('over');
  });
  document.addEventListener('dragleave', (e) => {
    if (!e.relatedTarget) $('drop').classList.remove('over');
  });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    $('drop').classList.remove('over');
    useFile(e.dataTransfer.files[0]);
  });
}
