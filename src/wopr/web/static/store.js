// What the page remembers across reloads (localStorage: score, two players' tally, players, level, thinking, sound,
// alternate who starts) and what a shared link carries (?knowledge=URL&level=...&moves=5,1,9). Stored values are
// checked like any input: storage can hold anything.
const KEY = 'wopr';
const SIDES = ['X', 'O', '2'];
const LEVELS = ['easy', 'medium', 'perfect'];

const count = (n) => (Number.isSafeInteger(n) && n >= 0 ? n : 0);

export function recall() {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(KEY)) || {};
  } catch {
    saved = {};  // unreadable, or storage off: start afresh
  }
  const score = saved.score || {};
  const tally = saved.tally || {};
  const params = new URLSearchParams(location.search);
  const level = params.get('level');
  return {
    side: SIDES.includes(saved.side) ? saved.side : 'X',
    level: LEVELS.includes(level) ? level : LEVELS.includes(saved.level) ? saved.level : 'perfect',
    thinking: saved.thinking === true,
    sound: saved.sound === true,
    alternate: saved.alternate === true,
    score: { you: count(score.you), draw: count(score.draw), ai: count(score.ai) },
    tally: { X: count(tally.X), draw: count(tally.draw), O: count(tally.O) },
    knowledge: params.get('knowledge'),
    moves: params.get('moves'),  // a shared game's (linkMoves reads it)
  };
}

export function remember(settings) {
  const { side, level, thinking, sound, alternate, score, tally } = settings;
  try {
    localStorage.setItem(KEY, JSON.stringify({ side, level, thinking, sound, alternate, score, tally }));
  } catch {
    // storage full or off: the page plays on, it just forgets
  }
}

// A shared game's moves as the link writes them (squares 1-9 in the order played, "5,1,9") as cells 0-8; null when
// the text is not that. Whether the rules allow them is the runtime's to say.
export function linkMoves(text) {
  const squares = text.split(',').map((square) => square.trim());
  return squares.every((square) => /^[1-9]$/.test(square)) ? squares.map((square) => Number(square) - 1) : null;
}

// The address bar as a link to this game: the knowledge when it is not the level's own, the level, and the moves of
// a game to replay (cells), if any.
export function shareLink(knowledge, level, moves = null) {
  const address = new URL(location.href);
  for (const name of ['knowledge', 'level', 'moves']) address.searchParams.delete(name);
  if (knowledge) address.searchParams.set('knowledge', knowledge);
  if (level !== 'perfect') address.searchParams.set('level', level);
  if (moves) address.searchParams.set('moves', moves.map((c) => c + 1).join(','));
  address.search = address.searchParams.toString().replaceAll('%2C', ',');  // 5,1,9 as people write it
  history.replaceState(null, '', address);
  return address.href;
}
