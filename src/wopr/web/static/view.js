// Draws the page from its one state (state.js): render(s) is the only code that writes what the page shows.
import { drawBoard, percent, squares } from './board.js';
import { renderCard, showCheck } from './card.js';
import { explain } from './engine.js';
import { phase, playable, replayable, shownBook, undoable } from './state.js';

const $ = (id) => document.getElementById(id);
const SLOW_MS = 500;  // a move that takes longer is said before it is played

// Draws `value` into `node` only when it changed (by identity): lists, boxes and the card are rebuilt, not re-set
// on every render, so focus and a screen reader's place stay where they are.
function drawn(node, value, draw) {
  if (node.woprShown === value) return;
  node.woprShown = value;
  draw(value);
}

const text = (node, value) => {
  if (node.textContent !== value) node.textContent = value;
};

// Why a load failed, at the control that asked for it, the engine's own message under "Technical reason".
function drawError(box, error) {
  if (!error) {
    box.replaceChildren();
    return;
  }
  const { words, reason } = explain(error.reply);
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = 'Technical reason';
  details.append(summary, Object.assign(document.createElement('p'), { textContent: reason }));
  box.replaceChildren(Object.assign(document.createElement('p'),
    { textContent: `Could not use ${error.label}. ${words}${error.after || ''}` }), ...(reason ? [details] : []));
}

function drawCatalog(select, catalog) {
  if (!catalog) return;  // not read yet: the markup's "Loading the catalog…"
  if (!catalog.length) {
    select.replaceChildren(new Option('No catalog', ''));
    return;
  }
  select.replaceChildren(...catalog.map((e) => {
    const what = e.easy && e !== catalog[0] ? 'level easy' : e.perfect ? 'never loses' : '';
    return new Option(`${e.name} (${[e.hidden, what].filter(Boolean).join(', ')})`, e.name);
  }));
}

// The picker shows the knowledge in use; a file or URL of the player's gets its own option.
function drawPicker(select, knowledge) {
  const yours = select.querySelector('option[value=""]');
  const wanted = knowledge.value === '' ? `Yours: ${knowledge.label}` : null;
  if (yours && yours.text !== wanted) yours.remove();
  if (wanted && yours?.text !== wanted) select.append(new Option(wanted, ''));
  select.value = knowledge.value ?? '';
}

function drawCard(card, shown) {
  try {
    renderCard(card, shown.label, shown.summary);
  } catch {  // card.js checks every value; should it still fail, the game must not wait for the card
    card.querySelector('#card-summary').textContent = 'What this file says about itself cannot be shown.';
  }
}

// The score of the game on the board, the other kept, hidden.
function drawScore(s) {
  const two = shownBook(s) === 'tally';
  $('score').hidden = two;
  $('tally').hidden = !two;
  for (const name of ['score', 'tally']) {
    for (const [key, value] of Object.entries(s.settings[name])) text($(`${name}-${key}`), String(value));
  }
}

// What the position a replay shows is: the move made from it and the share the network gave that move (its heat map
// shows the rest), or how the game ended.
function replayLine({ positions, at, over, winner, line }) {
  const n = positions.length - 1;
  const { turn, move, prob } = positions[at];
  const played = `${turn} played square ${move + 1}`;
  if (at < n) return `Move ${at + 1} of ${n}: ${played}; WOPR's network gave it ${percent(prob)}.`;
  if (!over) return `After ${n} moves, ${turn} to play: the squares show what WOPR's network would play.`;
  return winner ? `The end: ${winner} wins with squares ${squares(line)}.` : 'The end: a draw, every square taken.';
}

// The replay's moves, one button each (the square, in its side's colour), the one about to be made marked.
function drawMoves(list, replay) {
  drawn(list, replay.positions, (positions) => list.replaceChildren(...positions.slice(0, -1).map((p, i) => {
    const button = Object.assign(document.createElement('button'), {
      type: 'button', className: p.turn, textContent: String(p.move + 1),
    });
    button.dataset.at = String(i);
    button.setAttribute('aria-label', `Move ${i + 1}: ${p.turn} on square ${p.move + 1}`);
    const item = document.createElement('li');
    item.append(button);
    return item;
  })));
  list.querySelectorAll('button').forEach((button, i) => {
    if (i === replay.at) button.setAttribute('aria-current', 'step');
    else button.removeAttribute('aria-current');
  });
}

function drawReplay(replay) {
  $('replay').hidden = !replay;
  if (!replay) return;
  drawMoves($('replay-moves'), replay);
  $('replay-back').disabled = replay.at === 0;
  $('replay-forward').disabled = replay.at === replay.positions.length - 1;
}

function drawSettings(settings) {
  for (const radio of document.querySelectorAll('input[name="side"]')) radio.checked = radio.value === settings.side;
  $('level').value = settings.level;
  for (const name of ['thinking', 'sound', 'alternate']) $(name).checked = settings[name];
}

export function render(s) {
  const loading = Boolean(s.loading);
  document.body.dataset.phase = phase(s);
  $('board').setAttribute('aria-busy', String(s.busy || loading));
  for (const control of document.querySelectorAll('.controls input, .controls select, .controls button, #share')) {
    control.disabled = loading || Boolean(s.failed) || !s.game;
  }
  $('zero').textContent = s.scene ? 'Stop WOPR vs WOPR' : 'WOPR vs WOPR';
  $('undo').disabled = !undoable(s);
  drawSettings(s.settings);
  drawScore(s);
  text($('status'), s.failed?.message ?? (s.replay ? replayLine(s.replay) : s.status));
  $('status').classList.toggle('bad', Boolean(s.failed));
  $('retry').hidden = !s.failed?.retry;
  $('result').hidden = s.result === null || Boolean(s.replay);
  $('review').disabled = !replayable(s);
  drawReplay(s.replay);
  text($('result-text'), s.result ?? '');
  text($('pending'), s.pending);
  text($('share-note'), s.share);

  $('loading').hidden = !loading;
  text($('loading-text'), s.loading?.what ?? '');
  $('cancel').hidden = !s.loading?.cancellable;
  for (const control of document.querySelectorAll('.knowledge select, .knowledge input, .knowledge button')) {
    control.disabled = loading || (control.id === 'catalog' && !s.catalog?.length);  // an empty list offers nothing
  }
  for (const where of ['catalog', 'file', 'url']) {
    const box = $(`${where}-error`);
    drawn(box, s.errors[where] ?? null, (error) => drawError(box, error));
  }
  drawn($('catalog'), s.catalog, (catalog) => drawCatalog($('catalog'), catalog));
  if (s.catalog?.length && s.knowledge && !loading) drawPicker($('catalog'), s.knowledge);
  if (s.card) drawn($('card'), s.card, (shown) => drawCard($('card'), shown));
  if (s.check) drawn($('card-summary'), s.check, (check) => showCheck($('card'), s.card.summary, check));
  // a reply steps the network twice: over the person's move, then for WOPR's
  text($('card-slow'), 2 * s.stepMs >= SLOW_MS ? `This network is big for this device: each of WOPR's replies will`
    + ` take about ${(2 * s.stepMs / 1000).toFixed(1)} s here.` : '');

  if (!s.game) return;
  const { game, view, replay } = s;
  if (replay) {
    const { positions, at } = replay;
    const end = at === positions.length - 1;
    drawBoard({ board: positions[at].board, line: end ? replay.line : null, winner: replay.winner,
      last: at ? positions[at - 1].move : null, heat: positions[at].probs, next: positions[at].move, playable: false });
  } else {
    drawBoard({ board: view?.board || game.board, line: view ? null : game.line, winner: game.winner,
      last: view ? null : game.last?.cell ?? null, heat: view?.heat || null, next: null, playable: playable(s) });
  }
  $('heat-legend').hidden = !view?.heat;
  $('keys').hidden = !$('heat-legend').hidden || s.result !== null || loading || Boolean(replay);
  text($('heat-rule'), game.level === 'medium'
    ? 'At medium it draws by these chances, evened out: not always the brightest.'
    : 'It plays the brightest.');
}
