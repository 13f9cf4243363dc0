// WOPR vs WOPR, the film's scene: WOPR plays itself, one game per opening, each faster than the one before, until it
// draws its conclusion. The runtime makes every move (one request each); this file only sets the pace.
// OPENINGS, SPEEDUP (each game's pace, against the one before) and LESSON: runtime/game.py's (`wopr play --players 0`),
// declared in front of this module by the site build
const MOVE_MS = 900;  // a move of the first game, thinking shown included

// [the banner's headline, the status's line]: the film's line when every game was a draw; otherwise what happened,
// honestly.
function verdict(winners, level) {
  if (!winners.some(Boolean)) return ['A draw, every game.', LESSON];
  const won = (side) => winners.filter((w) => w === side).length;
  return ['WOPR beat itself.', `WOPR beat itself at level ${level}: X won ${won('X')}, O won ${won('O')}, `
    + `${winners.filter((w) => !w).length} draws of ${winners.length} games. No lesson learned this time.`];
}

// Plays the scene through `game` ({request, reveal, announce, stopped}); resolves with its verdict, or null when
// stopped or when a request failed.
export async function playItself(game, pace, level) {
  const winners = [];
  for (const [n, opening] of OPENINGS.entries()) {
    const beat = pace * MOVE_MS * SPEEDUP ** n;
    if (!(await game.request({ op: 'new', players: 0 }))) return null;
    game.announce(`WOPR vs WOPR, game ${n + 1} of ${OPENINGS.length}: X opens in square ${opening + 1}.`);
    let state = await game.request({ op: 'play', cell: opening });
    while (state && !state.over && !game.stopped()) {
      state = await game.request({ op: 'move' });
      if (state) await game.reveal(state, beat);
    }
    if (!state || game.stopped()) return null;
    winners.push(state.winner);
  }
  return verdict(winners, level);
}
