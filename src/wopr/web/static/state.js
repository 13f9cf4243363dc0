// The page's one state: the game, the knowledge and what the page shows of them, and what follows from it (the
// page's phase, whether a move or a take-back can be made). app.js owns the one state object; view.js draws it.

// A fresh state with the settings remembered (store.js `recall`).
export function createState(settings) {
  return {
    settings,        // side ('X', 'O' or '2'), level, thinking, sound, alternate, score, tally, knowledge (a link's)
    game: null,      // the bridge's latest game state
    view: null,      // the beat before WOPR's mark: {board, heat}, drawn instead of the game's board
    busy: false,     // a move, a beat or a load under way: the board waits
    failed: null,    // nothing can play: {message, retry}; the engine failed, or no knowledge could be used
    broken: false,   // the engine could not start or stopped: only a reload can play
    counted: null,   // where this game's result is in the score ({book, key}), so taking its end back takes it out
    scene: null,     // WOPR vs WOPR under way: {stop: true when asked to stop}
    status: 'Starting WOPR…',
    result: null,    // the result banner's text, shown when a game ends
    pending: '',     // a setting that waits for the next game
    share: '',       // what Share said
    catalog: null,   // entries of knowledge/index.json (knowledge.js `readCatalog`); [] when it could not be read
    knowledge: null, // the knowledge in use: {value: the picker's ('' for a player's file or URL), label, link, auto}
    loading: null,   // a knowledge load under way: {what, cancellable}
    errors: {},      // at each knowledge control (catalog, file, url): why its latest load failed ({label, reply, after})
    card: null,      // what the knowledge in use says of itself: {label, summary}
    check: null,     // this browser's exhaustive check of it, once done
    stepMs: null,    // what one step of its network takes here (timed by its check's second part)
    replay: null,    // a game stepped through: the runtime's replay ({positions, over, winner, line, draw}), its
                     // moves and the position shown (`at`, 0 to the number of moves)
  };
}

// The settings of the next game, as the bridge's `new` and `load` take them.
export function gameSettings(s) {
  const players = s.settings.side === '2' ? 2 : 1;
  return { players, level: s.settings.level, ...(players === 1 && { human: s.settings.side }) };
}

const waiting = (s) => !s.game || s.busy || Boolean(s.failed) || Boolean(s.scene) || Boolean(s.replay);

// What the page is doing, as body[data-phase] says it (tests and styles read it).
export function phase(s) {
  if (s.failed) return 'failed';
  if (!s.game) return 'loading';
  if (s.busy || s.loading || s.scene) return 'busy';
  return s.replay ? 'replay' : 'ready';
}

// The board takes a click: a game of the person's, their turn (two players: either's).
export function playable(s) {
  return !waiting(s) && !s.game.over && s.game.players !== 0 && (s.game.players === 2 || s.game.turn === s.game.human);
}

// A move of the person's (two players: any move) that `undo` can take back, and nothing under way.
export function undoable(s) {
  if (waiting(s) || s.loading || s.game.players === 0) return false;
  return s.game.players === 2 ? s.game.moves.length > 0 : s.game.moves.length > (s.game.human === 'X' ? 0 : 1);
}

// The game on the board has ended and can be stepped through (nothing under way, no replay open).
export const replayable = (s) => !waiting(s) && !s.loading && s.game.over;

// A game someone has played a move in, not yet over: settings wait for the next game rather than drop it.
export function inProgress(s) {
  if (s.scene) return true;
  if (!s.game || s.game.over) return false;
  return s.game.players === 2 ? s.game.moves.length > 0 : s.game.board.includes(s.game.human);
}

// The score a game counts in: one player's against WOPR (you, draws, WOPR) or two players' tally (X, draws, O).
export const book = (players) => (players === 2 ? 'tally' : 'score');
// The board's game's (before any: of the players chosen).
export const shownBook = (s) => book(s.game ? s.game.players : s.settings.side === '2' ? 2 : 1);

// Easy's network: the one the catalog names for it, else the default.
export const easyEntry = (catalog) => catalog.find((e) => e.easy) || catalog[0];

// The catalog entry the level wants when the knowledge in use was picked by a level and is not it; else null.
export function levelKnowledge(s, level) {
  if (!s.knowledge?.auto || !s.catalog?.length) return null;
  const entry = level === 'easy' ? easyEntry(s.catalog) : s.catalog[0];
  return entry.name === s.knowledge.value ? null : entry;
}

// What a shared link needs to name: nothing when the level picks the knowledge, else its address (a file: nothing).
export const currentLink = (s) => (s.knowledge?.auto ? null : s.knowledge?.link ?? null);
