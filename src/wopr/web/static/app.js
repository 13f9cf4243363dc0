// The page: the game's flow and its controls. Every move is decided by the Python runtime (engine.js -> worker.js);
// board.js draws, knowledge.js loads what WOPR knows, scene.js paces WOPR vs WOPR, store.js remembers.
import { drawBoard, focusBoard, isFree } from './board.js';
import { blip, endBoot, typeBoot } from './effects.js';
import { ask, engineBroken, explain, onFailure } from './engine.js';
import {
  chooseKnowledge, currentLink, isLoading, knowledgeControls, levelKnowledge, startKnowledge,
} from './knowledge.js';
import { PACE, measured } from './probe.js';
import { playItself } from './scene.js';
import { recall, remember, shareLink } from './store.js';

const $ = (id) => document.getElementById(id);
const BEAT_MS = 350;           // WOPR "thinks" this long before its mark appears
const THINKING_MS = 1100;      // and this long when its thinking is shown, to read the heat map

const settings = recall();  // side ('X', 'O' or '2'), level, thinking, sound, alternate, score, tally
let state = null;      // the bridge's latest game state
let busy = false;      // a move, a beat or a load under way: the board waits
let stopped = false;   // nothing can play: the engine failed, or no knowledge could be used (a load that plays ends it)
let counted = null;    // where this game's result is in the score ({book, key}), so taking its end back takes it out
let scene = null;      // WOPR vs WOPR under way: {stop: true when asked to stop}

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const squares = (line) => line.map((c) => c + 1).join('-');

// The settings of the next game, as the bridge's `new` and `load` take them.
function gameSettings() {
  const players = settings.side === '2' ? 2 : 1;
  return { players, level: settings.level, ...(players === 1 && { human: settings.side }) };
}

function playable() {
  return Boolean(state) && !busy && !stopped && !scene && !state.over && state.players !== 0
    && (state.players === 2 || state.turn === state.human);
}

// A move of the person's (two players: any move) that `undo` can take back, and nothing under way.
function undoable() {
  if (!state || busy || stopped || scene || isLoading() || state.players === 0) return false;
  return state.players === 2 ? state.moves.length > 0 : state.moves.length > (state.human === 'X' ? 0 : 1);
}

// A game someone has played a move in, not yet over: settings wait for the next game rather than drop it.
function inProgress() {
  if (scene) return true;
  if (!state || state.over) return false;
  return state.players === 2 ? state.moves.length > 0 : state.board.includes(state.human);
}

// Whose move it is (two players: the side's), and, when `news`, WOPR's latest move and what it was worth to it.
function describe(s, news = true) {
  if (s.over) return outcome(s);
  if (s.players === 2) return `${s.turn} to play.`;
  if (!s.last || !news) return `Your move: you are ${s.human}.`;
  const worth = settings.thinking ? ` (its network gave it ${Math.round(100 * s.last.prob)}%)` : '';
  return `WOPR played square ${s.last.cell + 1}${worth}. Your move: you are ${s.human}.`;
}

function outcome(s) {
  if (s.draw) return s.players === 1 ? 'A draw. The only winning move is not to play.' : 'A draw.';
  const who = s.players !== 1 ? `${s.winner} wins` : s.winner === s.human ? 'You win' : 'WOPR wins';
  return `${who}, with squares ${squares(s.line)}${s.winner === s.human ? '!' : '.'}`;
}

// Shows the state; `view` may override the board and add a heat map (the beat before WOPR's mark).
function render(view = {}) {
  const loading = isLoading();
  document.body.dataset.phase = stopped ? 'failed' : !state ? 'loading' : busy || loading || scene ? 'busy' : 'ready';
  $('board').setAttribute('aria-busy', String(busy || loading));
  for (const control of document.querySelectorAll('.controls input, .controls select, .controls button, #share')) {
    control.disabled = loading || stopped || !state;
  }
  $('zero').textContent = scene ? 'Stop WOPR vs WOPR' : 'WOPR vs WOPR';
  $('undo').disabled = !undoable();
  showScore();
  if (!state) return;
  drawBoard({ board: view.board || state.board, line: view.board ? null : state.line, winner: state.winner,
    last: view.board ? null : state.last?.cell ?? null, heat: view.heat || null, playable: playable() });
  $('heat-legend').hidden = !view.heat;
  $('keys').hidden = !$('heat-legend').hidden || !$('result').hidden || loading;
  $('heat-rule').textContent = state.level === 'medium'
    ? 'At level medium it draws its move by these chances, evened out a little: not always the brightest.'
    : 'It plays the brightest.';
}

function say(text) {
  if (!stopped) $('status').textContent = text;
}

// The result banner, with "Play again" focused, whenever a game ends.
function finish(text) {
  $('result-text').textContent = text;
  $('result').hidden = false;
  $('keys').hidden = true;
  say(text);
  $('again').focus();
}

// The score a game counts in: one player's against WOPR (you, draws, WOPR) or two players' tally (X, draws, O).
const book = (players) => (players === 2 ? 'tally' : 'score');
const shownBook = () => book(state ? state.players : settings.side === '2' ? 2 : 1);  // the board's game's

function count(s) {
  if (counted || !s.over || s.players === 0) return;
  const key = s.players === 2 ? s.winner || 'draw' : s.winner === s.human ? 'you' : s.winner ? 'ai' : 'draw';
  counted = { book: book(s.players), key };
  settings[counted.book][key] += 1;
  showScore();
  remember(settings);
}

// A counted result taken out again: its game's end was taken back.
function uncount() {
  if (!counted) return;
  settings[counted.book][counted.key] -= 1;
  counted = null;
  showScore();
  remember(settings);
}

// The score of the game on the board (before any: of the players chosen), the other kept, hidden.
function showScore() {
  const two = shownBook() === 'tally';
  $('score').hidden = two;
  $('tally').hidden = !two;
  for (const name of ['score', 'tally']) {
    for (const [key, value] of Object.entries(settings[name])) $(`${name}-${key}`).textContent = String(value);
  }
}

function resetScore() {
  const name = shownBook();
  for (const key of Object.keys(settings[name])) settings[name][key] = 0;
  if (counted?.book === name) counted = null;  // the result shown is no longer in it
  showScore();
  remember(settings);
  say(`Score reset to 0. ${state ? describe(state) : ''}`);
}

// Runs `work` with the board waiting for it (data-phase "busy" until it is done).
async function act(work) {
  busy = true;
  render();
  try {
    await work();
  } finally {
    busy = false;
    render();
  }
}

// A new state from the runtime; when WOPR has just moved, first the beat: the board before its mark, with the
// distribution it chose from as a heat map when thinking is shown (always in WOPR vs WOPR), then its mark.
async function reveal(next, beat = PACE * (settings.thinking ? THINKING_MS : BEAT_MS)) {
  state = next;
  if (next.last && next.last.cell === next.moves[next.moves.length - 1]) {  // the latest move is WOPR's
    const before = [...next.board];
    before[next.last.cell] = '';
    if (next.players === 1) say('WOPR is thinking…');
    render({ board: before, heat: settings.thinking || next.players === 0 ? next.last.probs : null });
    await pause(beat);
    blip(next.board[next.last.cell], settings.sound);
  }
  render();
  if (state.players === 0) return;
  say(describe(state));
  if (state.over) {
    count(state);
    finish(outcome(state));
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
  if (!undoable()) return;
  const from = document.activeElement;
  await act(async () => {
    const before = state;
    const next = await request({ op: 'undo' });
    if (!next) return;
    if (before.over) uncount();
    state = next;
    $('result').hidden = true;
    render();
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
  if (!playable()) return;
  if (!isFree(cell)) {
    say(`Square ${cell + 1} is taken: choose an empty square.`);
    return;
  }
  act(async () => {
    const began = performance.now();
    state.board[cell] = state.turn;  // the person's mark at once; the reply brings WOPR's
    blip(state.turn, settings.sound);
    render();
    const reply = await ask({ request: { op: 'play', cell } });
    if (!reply.ok) {
      state = (await ask({ request: { op: 'state' } })).state ?? state;
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
  if (scene) scene.stop = true;
  $('pending').textContent = '';
  $('result').hidden = true;
  counted = null;
  const entry = levelKnowledge(settings.level);
  if (entry) {
    await chooseKnowledge(entry, { auto: true });
  } else {
    await act(async () => {
      const next = await request({ op: 'new', ...gameSettings() });
      if (next) await reveal(next);
    });
  }
  if ([document.body, $('again'), null].includes(document.activeElement)) focusBoard();
}

// A game from a load: the knowledge changed, the state is new. The first to play (at the start, or after nothing
// could) also ends the greeting and registers the service worker.
async function loaded(next) {
  const first = !state || stopped;
  stopped = false;
  $('status').classList.remove('bad');
  $('retry').hidden = true;
  $('pending').textContent = '';
  $('result').hidden = true;
  counted = null;
  await act(() => reveal(next));
  shareLink(currentLink(), settings.level);
  if (first) playing();
}

// The board plays for the first time.
function playing() {
  typeBoot('SHALL WE PLAY A GAME?', PACE === 0);
  performance.mark('wopr-playable');  // read by benchmarks/page.py
  // Offline play and whole-release updates: the service worker (sw.js), registered once the board plays, so that what
  // it keeps is never fetched in competition with the page. Where a browser offers none (plain HTTP off localhost, as
  // on an S3 website endpoint) the page plays as it is.
  navigator.serviceWorker?.register('sw.js')
    .catch((e) => console.info(`This page will not play offline: ${e.message}`));
}

const showSide = () => {
  for (const radio of document.querySelectorAll('input[name="side"]')) radio.checked = radio.value === settings.side;
};

// New game, Play again or N: with "alternate who starts" on, one player's side changes first (X, then O, ...), unless
// another side was chosen meanwhile (that choice stands).
function nextGame() {
  if (settings.alternate && state?.players === 1 && settings.side === state.human) {
    settings.side = state.human === 'X' ? 'O' : 'X';
    showSide();
    remember(settings);
  }
  return newGame();
}

async function zero() {
  if (scene) {
    scene.stop = true;
    return;
  }
  $('result').hidden = true;
  const run = scene = { stop: false };
  render();
  const line = await playItself({
    request, reveal, announce: say, stopped: () => run.stop,
  }, PACE, settings.level);
  scene = null;
  if (line) {
    render();
    finish(line);
  } else {
    say('WOPR vs WOPR stopped.');
    await newGame();
  }
}

function changeSetting(key, value) {
  settings[key] = value;
  remember(settings);
  shareLink(currentLink(), settings.level);
  if (inProgress()) {
    $('pending').textContent = 'Applies from the next game: press New game (or N) to start it now.';
  } else {
    newGame();
  }
}

// Nothing can play; `retry`: the knowledge could not be used, and Retry tries the catalog again.
function fail(message, retry = false) {
  stopped = true;
  endBoot();
  render();
  $('status').textContent = message;
  $('status').classList.add('bad');
  $('retry').hidden = !retry;
}

// The knowledge to start with: a shared link's, else the level's, else the catalog's next that plays; Retry again.
async function begin() {
  $('retry').hidden = true;
  const problem = await startKnowledge({ settings: gameSettings, loaded, render }, settings.knowledge);
  if (problem && !state) fail(problem, true);  // (a file chosen meanwhile may already play)
}

function wire() {
  $('board').addEventListener('click', (e) => {
    const cell = e.target.closest('.cell');
    if (cell) play(Number(cell.id.slice(3)));
  });
  $('new-game').addEventListener('click', nextGame);
  $('again').addEventListener('click', nextGame);
  $('undo').addEventListener('click', takeBack);
  $('reset-score').addEventListener('click', resetScore);
  $('zero').addEventListener('click', zero);
  // a broken engine cannot be started again in this page: a reload starts a new one
  $('retry').addEventListener('click', () => (engineBroken() ? location.reload() : begin()));
  for (const radio of document.querySelectorAll('input[name="side"]')) {
    radio.addEventListener('change', () => changeSetting('side', radio.value));
  }
  $('level').addEventListener('change', (e) => changeSetting('level', e.target.value));
  $('thinking').addEventListener('change', (e) => {
    settings.thinking = e.target.checked;
    remember(settings);
    if (state) say(describe(state));
  });
  $('sound').addEventListener('change', (e) => {
    settings.sound = e.target.checked;
    remember(settings);
  });
  $('alternate').addEventListener('change', (e) => {
    settings.alternate = e.target.checked;
    remember(settings);
  });
  $('share').addEventListener('click', async () => {
    const link = shareLink(currentLink(), settings.level);
    try {
      await navigator.clipboard.writeText(link);
      $('share-note').textContent = 'Link copied: it opens this level and knowledge.';
    } catch {
      $('share-note').textContent = `Copy this link: ${link}`;
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.target.closest('input[type="url"], select, textarea')) return;
    const undoKey = (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'z';
    if (undoKey || (e.key.toLowerCase() === 'u' && !e.ctrlKey && !e.metaKey && !e.altKey)) {
      e.preventDefault();
      takeBack();
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key >= '1' && e.key <= '9') {
      e.preventDefault();
      play(Number(e.key) - 1);
    } else if ((e.key === 'n' || e.key === 'N') && !stopped && !isLoading()) {
      e.preventDefault();
      nextGame();
    } else if (e.key === 'Escape' && scene) {
      scene.stop = true;
    }
  });
}

async function start() {
  typeBoot('GREETINGS PROFESSOR FALKEN.', PACE === 0);
  onFailure((message) => fail(`WOPR's engine could not start (${message}). Retry reloads the page.`, true));
  showSide();
  $('level').value = settings.level;
  $('thinking').checked = settings.thinking;
  $('sound').checked = settings.sound;
  $('alternate').checked = settings.alternate;
  showScore();
  wire();
  knowledgeControls();
  await begin();
}

start();
