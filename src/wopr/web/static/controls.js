// The page's controls and keys, wired to the flow's actions (app.js): each event names what the person asked for;
// the actions decide and change the state, which this module only reads (where a key means something only then).
import { replayable } from './state.js';

const $ = (id) => document.getElementById(id);

// A replay's keys come first: arrows, Home and End step it, Escape ends it (not the board's focus; a control's own
// arrows are left to it).
function replayKeys(page, act, e) {
  const step = { ArrowLeft: -1, ArrowRight: 1, Home: -Infinity, End: Infinity }[e.key];
  if (!page.replay || e.target.closest('input, select, textarea') || e.altKey || e.ctrlKey || e.metaKey) return;
  if (step === undefined && e.key !== 'Escape') return;
  e.preventDefault();
  e.stopPropagation();
  if (e.key === 'Escape') act.closeReplay();
  else act.stepTo(page.replay.at + step);
}

// 1-9 play, U / Ctrl-Z / Cmd-Z take back, N new game, R replays a game just ended, Escape stops WOPR vs WOPR.
function gameKeys(page, act, e) {
  if (e.target.closest('input[type="url"], select, textarea')) return;
  const undoKey = (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'z';
  if (undoKey || (e.key.toLowerCase() === 'u' && !e.ctrlKey && !e.metaKey && !e.altKey)) {
    e.preventDefault();
    act.takeBack();
    return;
  }
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key >= '1' && e.key <= '9') {
    e.preventDefault();
    act.play(Number(e.key) - 1);
  } else if ((e.key === 'n' || e.key === 'N') && !page.failed && !page.loading) {
    e.preventDefault();
    act.nextGame();
  } else if ((e.key === 'r' || e.key === 'R') && replayable(page)) {
    e.preventDefault();
    act.openReplay(page.game.moves);
  } else if (e.key === 'Escape' && page.scene) {
    act.stopScene();
  }
}

function wireKnowledge(page, act) {
  $('catalog').addEventListener('change', (e) => {
    const entry = page.catalog.find((c) => c.name === e.target.value);
    if (entry) act.chooseKnowledge(entry);
  });
  $('file').addEventListener('change', (e) => {
    act.useFile(e.target.files[0]);
    e.target.value = '';  // the same file can be chosen again
  });
  $('url-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('url').value.trim();
    if (text) act.useUrl(text, 'url');
  });
  $('cancel').addEventListener('click', act.cancelDownloads);
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
    act.useFile(e.dataTransfer.files[0]);
  });
}

// Wires every control of the page (`page`: the state, read here; `act`: the flow's actions).
export function wire(page, act) {
  $('board').addEventListener('click', (e) => {
    const cell = e.target.closest('.cell');
    if (cell) act.play(Number(cell.id.slice(3)));
  });
  $('new-game').addEventListener('click', act.nextGame);
  $('again').addEventListener('click', act.nextGame);
  $('undo').addEventListener('click', act.takeBack);
  $('reset-score').addEventListener('click', act.resetScore);
  $('review').addEventListener('click', () => replayable(page) && act.openReplay(page.game.moves));
  $('replay-back').addEventListener('click', () => act.stepTo(page.replay.at - 1));
  $('replay-forward').addEventListener('click', () => act.stepTo(page.replay.at + 1));
  $('replay-done').addEventListener('click', () => act.closeReplay());
  $('replay-moves').addEventListener('click', (e) => {
    const move = e.target.closest('button');
    if (move) act.stepTo(Number(move.dataset.at));
  });
  $('zero').addEventListener('click', act.zero);
  $('retry').addEventListener('click', act.retry);
  for (const radio of document.querySelectorAll('input[name="side"]')) {
    radio.addEventListener('change', () => act.changeSetting('side', radio.value));
  }
  $('level').addEventListener('change', (e) => act.changeSetting('level', e.target.value));
  for (const name of ['thinking', 'sound', 'alternate']) {
    $(name).addEventListener('change', (e) => act.toggle(name, e.target.checked));
  }
  $('share').addEventListener('click', act.share);
  document.addEventListener('keydown', (e) => replayKeys(page, act, e), true);
  document.addEventListener('keydown', (e) => gameKeys(page, act, e));
  wireKnowledge(page, act);
}
