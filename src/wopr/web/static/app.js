// The page: the game's flow, the actions its controls ask for (controls.js wires them), and the owner of its one state
// (state.js), which view.js draws. Every move is decided by the Python runtime (engine.js -> worker.js); knowledge.js
// loads what WOPR knows, scene.js paces WOPR vs WOPR, store.js remembers.
import { focusBoard, isFree, percent, squares } from './board.js';
import { wire } from './controls.js';
import { bootLine, tones } from './effects.js';
import { ask, cancelDownloads, explain, stopped } from './engine.js';
import { addressOf, catalogLink, checkPart, fileBytes, loadKnowledge, readCatalog } from './knowledge.js';
import { PACE, measured } from './probe.js';
import { playItself } from './scene.js';
import {
  book, createState, currentLink, gameSettings, inProgress, levelKnowledge, playable, shownBook, undoable,
} from './state.js';
import { linkMoves, recall, remember, shareLink } from './store.js';
import { render } from './view.js';

const $ = (id) => document.getElementById(id);
const BEAT_MS = 350;           // WOPR "thinks" this long before its mark appears
const THINKING_MS = 1100;      // and this long when its thinking is shown, to read the heat map
const CLIPBOARD_MS = 2000;     // Share waits this long for the clipboard, then shows the link to copy

const page = createState(recall());  // the page's one state: only this module changes it, render(page) draws it
const { settings } = page;
const boot = bootLine($('boot'));
const tone = tones();

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// Whose move it is (two players: the side's), and, when `news`, WOPR's latest move and what it was worth to it; once
// the game is over, how it ended (the banner's headline says who won: each said once).
function describe(s, news = true) {
  if (s.over) return outcome(s)[1];
  if (s.players === 2) return `${s.turn} to play.`;
  if (!s.last || !news) return `Your move: you are ${s.human}.`;
  const worth = settings.thinking ? ` (its network gave it ${percent(s.last.prob)})` : '';
  return `WOPR played square ${s.last.cell + 1}${worth}. Your move: you are ${s.human}.`;
}

// How a game ended: [the banner's headline, the status's line].
function outcome(s) {
  if (s.draw) return ['A draw.', s.players === 1 ? 'The only winning move is not to play.' : 'Every square is taken.'];
  const who = s.players !== 1 ? `${s.winner} wins` : s.winner === s.human ? 'You win' : 'WOPR wins';
  return [`${who}${s.winner === s.human ? '!' : '.'}`, `With squares ${squares(s.line)}.`];
}

const draw = () => render(page);

function say(text) {
  page.status = text;
  draw();
}

// The result banner (its headline), with "Play again" focused, whenever a game ends; the status says the rest.
function finish([headline, line]) {
  page.result = headline;
  say(line);
  $('again').focus();
}

function count(s) {
  if (page.counted || !s.over || s.players === 0) return;
  const key = s.players === 2 ? s.winner || 'draw' : s.winner === s.human ? 'you' : s.winner ? 'ai' : 'draw';
  page.counted = { book: book(s.players), key };
  settings[page.counted.book][key] += 1;  // shown with the result (finish)
  remember(settings);
}

// A counted result taken out again: its game's end was taken back.
function uncount() {
  if (!page.counted) return;
  settings[page.counted.book][page.counted.key] -= 1;
  page.counted = null;
  remember(settings);
}

function resetScore() {
  const name = shownBook(page);
  for (const key of Object.keys(settings[name])) settings[name][key] = 0;
  if (page.counted?.book === name) page.counted = null;  // the result shown is no longer in it
  remember(settings);
  say(`Score reset to 0. ${page.game ? describe(page.game) : ''}`);
}

// Runs `work` with the board waiting for it (data-phase "busy" until it is done).
async function act(work) {
  page.busy = true;
  draw();
  try {
    await work();
  } finally {
    page.busy = false;
    draw();
  }
}

// A new state from the runtime; when WOPR has just moved, first the beat: the board before its mark, with the
// distribution it chose from as a heat map when thinking is shown (always in WOPR vs WOPR), then its mark.
async function reveal(next, beat = PACE * (settings.thinking ? THINKING_MS : BEAT_MS)) {
  page.game = next;
  if (next.last && next.last.cell === next.moves[next.moves.length - 1]) {  // the latest move is WOPR's
    const before = [...next.board];
    before[next.last.cell] = '';
    page.view = { board: before, heat: settings.thinking || next.players === 0 ? next.last.probs : null };
    if (next.players === 1) page.status = 'WOPR is thinking…';
    draw();
    await pause(beat);
    if (settings.sound) tone(next.board[next.last.cell]);
  }
  page.view = null;
  draw();
  if (next.players === 0) return;
  if (next.over) {
    count(next);
    finish(outcome(next));
  } else {
    say(describe(next));
  }
}

// A bridge request for the game; the state it answers, or null (the status says why).
async function request(message) {
  const reply = await ask({ request: message });
  if (reply.ok) return reply.state;
  say(`${explain(reply).words} (${reply.error})`);
  return null;
}

// Takes back the person's last move and WOPR's reply (two players: the last move), and a counted end with them.
async function takeBack() {
  if (!undoable(page)) return;
  const from = document.activeElement;
  await act(async () => {
    const before = page.game;
    const next = await request({ op: 'undo' });
    if (!next) return;
    if (before.over) uncount();
    page.game = next;
    page.result = null;
    const taken = before.moves.slice(next.moves.length).map((c) => `square ${c + 1}`);
    const what = next.players === 2 ? `${before.board[before.moves[next.moves.length]]}'s move on ${taken[0]}`
      : `your move on ${taken[0]}${taken[1] ? ` and WOPR's reply on ${taken[1]}` : ''}`;
    say(`Took back ${what}. ${describe(next, false)}`);
  });
  // the keyboard keeps its place: on Take back while it can take more, else on the board
  if (from === $('undo') && !$('undo').disabled) $('undo').focus();
  else if ([document.body, $('again'), $('undo'), null].includes(document.activeElement)) focusBoard();
}

function play(cell) {
  if (!playable(page)) return;
  if (!isFree(cell)) {
    say(`Square ${cell + 1} is taken: choose an empty square.`);
    return;
  }
  act(async () => {
    const began = performance.now();
    const { game } = page;
    game.board[cell] = game.turn;  // the person's mark at once; the reply brings WOPR's
    if (settings.sound) tone(game.turn);
    draw();
    const reply = await ask({ request: { op: 'play', cell } });
    if (!reply.ok) {
      page.game = (await ask({ request: { op: 'state' } })).state ?? game;
      say(explain(reply).words);
      return;
    }
    performance.measure('wopr-reply', { start: began });
    measured('wopr-python', reply.ms);
    await reveal(reply.state);
  });
}

// Starts the next game with the settings chosen (a level that wants other knowledge loads it first).
async function newGame() {
  if (page.scene) page.scene.stop = true;
  if (page.replay) closeReplay(false);
  else shareLink(currentLink(page), settings.level);  // a shared game's moves are not this game's
  page.pending = '';
  page.result = null;
  page.counted = null;
  const entry = levelKnowledge(page, settings.level);
  if (entry) {
    await chooseKnowledge(entry, { auto: true });
  } else {
    await act(async () => {
      const next = await request({ op: 'new', ...gameSettings(page) });
      if (next) await reveal(next);
    });
  }
  if ([document.body, $('again'), null].includes(document.activeElement)) focusBoard();
}

// A game from a load: the knowledge changed, the state is new. The first to play (at the start, or after nothing
// could) also ends the greeting and registers the service worker.
async function loaded(next) {
  const first = !page.game || Boolean(page.failed);
  Object.assign(page, { failed: null, pending: '', result: null, counted: null, replay: null });
  await act(() => reveal(next));
  shareLink(currentLink(page), settings.level);
  if (first) playing();
}

// The board plays for the first time.
function playing() {
  boot.type('SHALL WE PLAY A GAME?', PACE === 0);
  performance.mark('wopr-playable');  // read by benchmarks/page.py
  // Offline play and whole-release updates: the service worker (sw.js), registered once the board plays, so that what
  // it keeps is never fetched in competition with the page. Where a browser offers none (plain HTTP off localhost, as
  // on an S3 website endpoint) the page plays as it is.
  navigator.serviceWorker?.register('sw.js')
    .catch((e) => console.info(`This page will not play offline: ${e.message}`));
}

// New game, Play again or N: with "alternate who starts" on, one player's side changes first (X, then O, ...), unless
// another side was chosen meanwhile (that choice stands).
function nextGame() {
  const { game } = page;
  if (settings.alternate && game?.players === 1 && settings.side === game.human) {
    settings.side = game.human === 'X' ? 'O' : 'X';
    remember(settings);
  }
  return newGame();
}

// The game `moves` (cells) step by step, from its last position (`at`): each position with what WOPR's network gave
// the move made there, from the runtime. A game the rules refuse (a shared link's) is said, and nothing changes.
async function openReplay(moves, at = moves.length, what = 'This game') {
  let reply;
  await act(async () => {
    reply = await ask({ request: { op: 'replay', moves } });
  });
  if (!reply.ok) {
    say(`${what} cannot be replayed: ${reply.kind === 'IllegalMove' ? reply.error : explain(reply).words}.`);
    return;
  }
  page.replay = { ...reply.replay, moves, at };
  shareLink(currentLink(page), settings.level, moves);  // the address bar opens this replay
  draw();
  $(at ? 'replay-back' : 'replay-forward').focus();
}

// The replay's position `at` (clamped to its first and last).
function stepTo(at) {
  if (!page.replay) return;
  page.replay.at = Math.max(0, Math.min(page.replay.positions.length - 1, at));
  draw();
  if (document.activeElement?.disabled || document.activeElement === document.body) {
    $(page.replay.at ? 'replay-back' : 'replay-forward').focus();
  }
}

// Back to the game on the board (its result, after a game), the keyboard with it when `focus`.
function closeReplay(focus = true) {
  page.replay = null;
  shareLink(currentLink(page), settings.level);
  draw();
  if (!focus) return;
  if (page.result !== null) $('review').focus();
  else focusBoard();
}

// A shared link's game, once its knowledge plays (read once: a new game afterwards is a new game).
function replayLink() {
  const text = settings.moves;
  settings.moves = null;
  const moves = linkMoves(text);
  if (moves) openReplay(moves, moves.length, "The link's game");
  else say(`The link's moves (${text.slice(0, 40)}) are not squares 1-9 separated by commas: a new game instead.`);
}

async function zero() {
  if (page.scene) {
    page.scene.stop = true;
    return;
  }
  if (page.replay) closeReplay(false);
  const run = page.scene = { stop: false };
  page.result = null;
  draw();
  const verdict = await playItself({
    request, reveal, announce: say, stopped: () => run.stop,
  }, PACE, settings.level);
  page.scene = null;
  if (verdict) {
    finish(verdict);
  } else {
    say('WOPR vs WOPR stopped.');
    await newGame();
  }
}

function changeSetting(key, value) {
  settings[key] = value;
  remember(settings);
  shareLink(currentLink(page), settings.level);
  if (inProgress(page)) {
    page.pending = 'Applies from the next game: press New game (or N) to start it now.';
    draw();
  } else {
    newGame();
  }
}

// Nothing can play; `retry`: the knowledge could not be used, and Retry tries the catalog again.
function fail(message, retry = false) {
  page.failed = { message, retry };
  boot.end();
  draw();
}

// A knowledge load under way (`what`: its words), or none; the control in use when it began keeps the keyboard.
function setLoading(what, cancellable = false) {
  const focused = page.loading?.focused ?? document.activeElement;
  page.loading = what ? { what, cancellable, focused } : null;
  draw();
  if (!what && focused && focused !== document.body && document.activeElement === document.body) focused.focus();
}

// Says at the control `where` why `label` could not be used (the reply that refused it), and returns that reply.
function refuse(where, label, reply) {
  page.errors = { ...page.errors, [where]: { label, reply } };
  return reply;
}

// Loads {url, sha256?} or {bytes} and plays it; the engine's reply. `where` is the control whose box says why not.
async function load(source, label, { value, link = null, auto = false, where }) {
  setLoading(`Loading ${label}…`, Boolean(source.url));
  const reply = await loadKnowledge(source, gameSettings(page));
  if (reply.kind === 'Engine') page.broken = true;
  if (!reply.ok) {
    refuse(where, label, reply);
    setLoading('');
    return reply;
  }
  page.errors = {};
  page.knowledge = { value, label, link, auto };
  page.card = { label, summary: reply.knowledge };
  page.check = null;
  page.stepMs = null;
  setLoading('');
  await loaded(reply.state);
  verify(page.card);
  return reply;
}

// This browser's own exhaustive check of the knowledge just loaded, once it plays, one part per request, until it
// is done; the card then says what it found. A load that follows ends it: the card is then another load's.
async function verify(card) {
  let [ms, positions] = [0, 0];
  for (let part = 1; ; part += 1) {
    const reply = await checkPart();
    if (page.card !== card) return;
    if (reply.ok && part === 2) {  // the first part's first step is the game's, made at the load: the second times one
      page.stepMs = reply.ms / Math.max(1, reply.check.positions - positions);
      draw();
    }
    positions = reply.check?.positions ?? 0;
    if (!reply.ok || reply.check.done) {
      page.check = reply.ok ? { ...reply.check, ms: ms + reply.ms } : { done: false, error: explain(reply).reason };
      draw();
      return;
    }
    ms += reply.ms;
  }
}

function chooseKnowledge(entry, { auto = false, where = 'catalog' } = {}) {
  return load({ url: entry.url, sha256: entry.sha256 }, entry.name,
    { value: entry.name, link: catalogLink(entry, page.catalog), auto, where });
}

function useUrl(text, where) {
  const url = addressOf(text);
  if (!url) {
    const reply = refuse(where, text, { ok: false, kind: 'Download', error: 'not a URL' });
    draw();
    return reply;
  }
  const entry = page.catalog.find((e) => e.url === url);  // a catalog file named by its URL is still checked
  if (entry) return chooseKnowledge(entry, { where });
  return load({ url }, url, { value: '', link: url, where });
}

async function useFile(file) {
  if (!file || page.loading) return;
  setLoading(`Loading ${file.name}…`);  // at once: the page is busy from the moment a file is chosen
  const read = await fileBytes(file);
  if (!read.bytes) {
    refuse('file', file.name, read);
    setLoading('');
    return;
  }
  await load(read, file.name, { value: '', where: 'file' });
}

// Reads the catalog and loads the knowledge of a shared link (or the level's; when the runtime refuses that one, the
// catalog's next that it takes); resolves with a problem that stops the page, or null.
async function startKnowledge(wanted) {
  setLoading('Loading the engine and knowledge…');  // the worker starts the engine at once
  const { catalog, problem } = await readCatalog();
  page.catalog = catalog || [];
  if (problem) {
    setLoading('');
    return problem;
  }
  const asked = wanted && await useUrl(wanted, 'catalog');
  if (asked?.ok) return null;
  const shared = asked && { label: page.errors.catalog.label, reply: asked };  // why the link's is not in use
  page.knowledge = { auto: true };
  const first = levelKnowledge(page, settings.level);
  let reply = await chooseKnowledge(first, { auto: true });
  let playing = reply.ok ? first : null;
  const refused = playing ? shared : { label: first.name, reply };
  for (const entry of page.catalog.filter((e) => e !== first)) {
    if (playing) break;
    reply = await chooseKnowledge(entry);
    if (reply.ok) playing = entry;
  }
  if (!playing) return `Nothing can play: ${explain(reply).words} (${reply.error})`;
  if (refused) {
    const instead = playing === first ? 'The default' : playing.name;
    page.errors = { ...page.errors, catalog: { ...refused, after: ` ${instead} plays instead.` } };
    draw();
  }
  return null;
}

// The knowledge to start with: a shared link's, else the level's, else the catalog's next that plays; Retry again.
async function begin() {
  if (page.failed) page.failed = { ...page.failed, retry: false };
  const problem = await startKnowledge(settings.knowledge);
  if (problem && !page.game) fail(problem, true);  // (a file chosen meanwhile may already play)
  else if (settings.moves !== null) replayLink();
}

// A setting switched on or off (Show thinking, Sound, Alternate who starts); thinking changes what the status says.
function toggle(name, on) {
  settings[name] = on;
  remember(settings);
  if (name === 'thinking' && page.game) say(describe(page.game));
}

// Share: the link to this level and knowledge (and, after a game, its moves) copied, or shown to copy.
async function share() {
  const moves = page.replay?.moves ?? (page.game?.over ? page.game.moves : null);
  const link = shareLink(currentLink(page), settings.level, moves);
  const opens = `${moves ? "this game's replay, " : ''}this level and knowledge`;
  try {  // a clipboard that never answers (WebKitGTK under WebDriver) must not leave Share unanswered
    await Promise.race([navigator.clipboard.writeText(link), pause(CLIPBOARD_MS).then(() => { throw new Error(); })]);
    page.share = `Link copied: it opens ${opens}.`;
  } catch {
    page.share = `Copy this link (it opens ${opens}): ${link}`;
  }
  draw();
}

const actions = {
  play, nextGame, takeBack, resetScore, openReplay, stepTo, closeReplay, zero, changeSetting, toggle, share,
  chooseKnowledge, useFile, useUrl, cancelDownloads,
  stopScene: () => { page.scene.stop = true; },
  // a broken engine cannot be started again in this page: a reload starts a new one
  retry: () => (page.broken ? location.reload() : begin()),
};

async function start() {
  boot.type('GREETINGS PROFESSOR FALKEN.', PACE === 0);
  stopped.then((message) => {
    page.broken = true;
    fail(`WOPR's engine could not start (${message}). Retry reloads the page.`, true);
  });
  draw();
  wire(page, actions);
  await begin();
}

start();
