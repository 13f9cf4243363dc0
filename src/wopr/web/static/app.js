// The page: board, controls and knowledge picker. All game logic is the Python runtime in worker.js.
import { renderCard } from './card.js';

const $ = (id) => document.getElementById(id);
const cells = [...Array(9)].map((_, i) => $(`ttt${i}`));
const board = $('board');
const CATALOG_URL = new URL('knowledge/index.json', document.baseURI).href;

const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const pending = new Map();
let lastId = 0;
let inFlight = 0;        // requests the worker has not answered: the board waits for them
let loading = '';        // what knowledge is on its way ('' = none): the controls wait for it
let stopped = false;     // the engine or the catalog failed: nothing can play
let state = null;        // the bridge's latest game state
let catalog = [];        // entries of knowledge/index.json, with absolute `url`s
let current = null;      // the <select> value of the knowledge in use ('' = a file or URL of the user's)
let counted = false;     // this game's result is already in the score
const score = { you: 0, draw: 0, ai: 0 };

// One request to the worker, answered in order; resolves with its reply ({ok, state, knowledge, error, ms}).
function ask(message, transfer = []) {
  inFlight += 1;
  refresh();
  return new Promise((resolve) => {
    const id = ++lastId;
    pending.set(id, (reply) => {
      inFlight -= 1;
      resolve(reply);
    });
    worker.postMessage({ id, ...message }, transfer);
  });
}
worker.onmessage = (event) => {
  const resolve = pending.get(event.data.id);
  pending.delete(event.data.id);
  resolve(event.data);
};
worker.onerror = (event) => {
  event.preventDefault();  // shown on the page instead of the console
  fail(`The engine could not start: ${event.message || 'see the browser console'}`);
};

function fail(message) {
  stopped = true;
  refresh();
  $('status').textContent = message;
  $('status').classList.add('bad');
}

let focused = null;  // the control in use when loading disabled it, so keyboard users keep their place

function setLoading(what) {
  if (what && !loading) focused = document.activeElement;
  loading = what;
  refresh();
  if (!what && focused && focused !== document.body && document.activeElement === document.body) focused.focus();
}

// Enable what can be used now and show the state; called after every change.
function refresh() {
  const busy = inFlight > 0 || Boolean(loading);
  document.body.dataset.phase = stopped ? 'failed' : !state ? 'loading' : busy ? 'busy' : 'ready';
  board.setAttribute('aria-busy', String(busy));
  $('loading').hidden = !loading;
  $('loading-text').textContent = loading;
  for (const control of document.querySelectorAll('.controls input, .controls button, .knowledge select, ' +
                                                   '.knowledge input, .knowledge button')) {
    control.disabled = Boolean(loading) || stopped || !state;
  }
  render(busy);
}

function side() {
  return document.querySelector('input[name="side"]:checked').value;
}

function describe(s) {
  if (s.over) {
    if (s.winner === s.human) return `You win, with squares ${s.line.map((c) => c + 1).join('-')}!`;
    if (s.winner) return `WOPR wins, with squares ${s.line.map((c) => c + 1).join('-')}.`;
    return 'A draw. A strange game: the only winning move is not to play.';
  }
  const last = s.last ? `WOPR played square ${s.last.cell + 1} (${Math.round(100 * s.last.prob)}%). ` : '';
  return `${last}Your move: you are ${s.human}.`;
}

function render(busy) {
  if (!state) return;
  const thinking = $('thinking').checked && state.last && state.last.probs;
  const win = new Set(state.line || []);
  cells.forEach((cell, i) => {
    const mark = state.board[i];
    const prob = thinking && (!mark || (state.last && state.last.cell === i)) ? state.last.probs[i] : null;
    cell.textContent = mark;
    cell.dataset.mark = mark;
    cell.classList.toggle('win', win.has(i));
    cell.classList.toggle('last', Boolean(state.last && state.last.cell === i && !state.over));
    cell.disabled = busy || state.over || Boolean(mark) || state.turn !== state.human;
    if (prob !== null) {
      const tag = document.createElement('span');
      tag.className = 'prob';
      tag.textContent = `${(100 * prob).toFixed(prob < 0.095 ? 1 : 0)}%`;
      cell.append(tag);
      cell.style.setProperty('--p', prob.toFixed(3));
    } else {
      cell.style.removeProperty('--p');
    }
    const shown = prob === null ? '' : `, WOPR gave it ${(100 * prob).toFixed(1)}%`;
    cell.setAttribute('aria-label', `Square ${i + 1}, ${mark || 'empty'}${win.has(i) ? ', winning line' : ''}${shown}`);
  });
  if (!busy && !stopped) {
    $('status').textContent = describe(state);
    $('status').classList.toggle('done', state.over);
  }
}

function show(reply) {
  if (!reply.ok) return;  // the worker keeps the game as it was
  state = reply.state;
  if (state.over && !counted) {
    counted = true;
    const key = state.winner === state.human ? 'you' : state.winner ? 'ai' : 'draw';
    score[key] += 1;
    $(`score-${key}`).textContent = String(score[key]);
  }
}

async function play(cell) {
  if (inFlight || loading || !state || state.over || state.board[cell] || state.turn !== state.human) return;
  const began = performance.now();
  const hadFocus = document.activeElement === cells[cell];  // a taken cell is disabled, which drops the focus
  state.board[cell] = state.human;  // the human's mark at once; the reply brings the AI's
  const reply = await ask({ request: { op: 'play', cell } });
  if (reply.ok) {
    show(reply);
    board.dataset.replyMs = (performance.now() - began).toFixed(2);  // read by benchmarks/page.py
    board.dataset.pythonMs = reply.ms.toFixed(2);
    performance.measure('wopr-reply', { start: began });
    refresh();
  } else {
    show(await ask({ request: { op: 'state' } }));
    refresh();
    $('status').textContent = reply.error;
  }
  // so keyboard users go on from the board, not from the top of the page
  if (hadFocus && document.activeElement === document.body) {
    (state.over ? $('new-game') : cells.find((c) => !c.disabled))?.focus();
  }
}

async function newGame() {
  const reply = await ask({ request: { op: 'new', human: side() } });
  counted = false;
  show(reply);
  refresh();
}

// Load knowledge from {url, sha256?} or {bytes, name}; on failure the knowledge in use keeps playing.
async function loadKnowledge(source, label, value) {
  setLoading(`Loading ${label}…`);
  const reply = await ask({ load: { ...source, human: side() } }, source.bytes ? [source.bytes] : []);
  if (!reply.ok) {
    $('knowledge-error').textContent = `Could not use ${label}: ${reply.error}`;
    $('catalog').value = current;
    setLoading('');
    return false;
  }
  $('knowledge-error').textContent = '';
  board.dataset.loadMs = reply.ms.toFixed(2);  // Python's part of the load; read by benchmarks/page.py
  if (reply.boot) Object.assign(board.dataset, { engineMs: reply.boot.engineMs.toFixed(2),
                                                 importMs: reply.boot.importMs.toFixed(2) });
  current = value;
  setPicker(value, label);
  renderCard($('card'), label, reply.knowledge);
  counted = false;
  show(reply);
  setLoading('');
  return true;
}

// The picker shows the knowledge in use; a file or URL of the user's gets its own option.
function setPicker(value, label) {
  const select = $('catalog');
  select.querySelector('option[value=""]')?.remove();
  if (value === '') select.append(new Option(`Yours: ${label}`, ''));
  select.value = value;
}

// ?knowledge=URL makes the knowledge in use shareable (a catalog file by its path beside the page).
function setShareLink(url) {
  const address = new URL(location.href);
  if (url) address.searchParams.set('knowledge', url);
  else address.searchParams.delete('knowledge');
  history.replaceState(null, '', address);
}

async function useCatalog(entry) {
  const ok = await loadKnowledge({ url: entry.url, sha256: entry.sha256 }, entry.name, entry.name);
  const base = new URL('.', document.baseURI).href;
  if (ok) setShareLink(entry === catalog[0] ? null : entry.url.replace(base, ''));
  return ok;
}

async function useUrl(text) {
  let url;
  try {
    url = new URL(text, document.baseURI).href;
  } catch {
    $('knowledge-error').textContent = `Could not use ${text}: not a URL`;
    return false;
  }
  const entry = catalog.find((e) => e.url === url);  // a catalog file named by its URL is still checked
  if (entry) return useCatalog(entry);
  const ok = await loadKnowledge({ url }, url, '');
  if (ok) setShareLink(url);
  return ok;
}

async function useFile(file) {
  if (!file || loading || stopped) return;
  setLoading(`Loading ${file.name}…`);  // at once: the page is busy from the moment a file is chosen
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch (e) {
    $('knowledge-error').textContent = `Could not read ${file.name}: ${e.message}`;
    setLoading('');
    return;
  }
  if (await loadKnowledge({ bytes, name: file.name }, file.name, '')) setShareLink(null);
}

function fillCatalog(entries) {
  catalog = entries.map((e) => ({ ...e, url: new URL(e.file, CATALOG_URL).href }));
  const select = $('catalog');
  select.replaceChildren(...catalog.map((e) => {
    const perfect = e.evaluation && e.evaluation.perfect ? ', perfect play' : '';
    return new Option(`${e.name} (${e.hidden_size} hidden${perfect})`, e.name);
  }));
}

async function start() {
  setLoading('Loading the engine and knowledge…');  // the worker starts the engine at once
  try {
    const response = await fetch(CATALOG_URL);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    fillCatalog((await response.json()).knowledge);
  } catch (e) {
    fail(`Could not read the knowledge catalog (${CATALOG_URL}): ${e.message}`);
    return;
  }
  const wanted = new URLSearchParams(location.search).get('knowledge');
  if (!(wanted && await useUrl(wanted))) {
    const problem = $('knowledge-error').textContent;  // why the shared link's knowledge is not in use
    if (!await useCatalog(catalog[0])) {
      fail(`Nothing can play: ${$('knowledge-error').textContent}`);
      return;
    }
    if (problem) $('knowledge-error').textContent = `${problem} The default knowledge plays instead.`;
  }
  performance.mark('wopr-playable');  // read by benchmarks/page.py
}

cells.forEach((cell, i) => cell.addEventListener('click', () => play(i)));
$('new-game').addEventListener('click', newGame);
for (const radio of document.querySelectorAll('input[name="side"]')) radio.addEventListener('change', newGame);
$('thinking').addEventListener('change', refresh);
$('catalog').addEventListener('change', (e) => {
  const entry = catalog.find((c) => c.name === e.target.value);
  if (entry) useCatalog(entry);
});
$('file').addEventListener('change', (e) => {
  useFile(e.target.files[0]);
  e.target.value = '';  // the same file can be chosen again
});
$('url-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('url').value.trim();
  if (text) useUrl(text);
});
document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || e.target.closest('input[type="url"], select, textarea')) return;
  if (e.key >= '1' && e.key <= '9') {
    e.preventDefault();
    play(Number(e.key) - 1);
  }
});
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

start();
