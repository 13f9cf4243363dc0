// The board: marks drawn as strokes, the winning line struck through, WOPR's coming move as a heat map, and one Tab
// stop with arrow keys inside (roving tabindex). It shows what it is given; the game is the runtime's.
const SVG = 'http://www.w3.org/2000/svg';
const cells = [...Array(9)].map((_, i) => document.getElementById(`ttt${i}`));
const board = document.getElementById('board');
const strike = document.getElementById('strike');

export function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// A mark as a stroke that draws itself (pathLength 1: the CSS animates the dash offset from 1 to 0).
function mark(side) {
  const art = svg('svg', { viewBox: '0 0 100 100', class: `mark ${side}`, 'aria-hidden': 'true' });
  art.append(side === 'X' ? svg('path', { d: 'M26 26 74 74M74 26 26 74', pathLength: '1' })
    : svg('circle', { cx: '50', cy: '50', r: '25', pathLength: '1' }));
  return art;
}

export const percent = (p) => `${Math.round(100 * p)}%`;
// A line of cells as people number the squares: 1-5-9.
export const squares = (line) => line.map((c) => c + 1).join('-');

// view: {board, line, winner, last (cell of the latest mark, or null), heat (probabilities to show, or null),
// next (a replay's: the cell of the move made from this position, or null), playable (cells a click may take)}.
export function drawBoard(view) {
  const win = new Set(view.line || []);
  cells.forEach((cell, i) => {
    const side = view.board[i];
    if ((cell.dataset.mark || '') !== side) {
      cell.querySelector('.mark')?.remove();
      if (side) cell.prepend(mark(side));
      cell.dataset.mark = side;
    }
    const heat = view.heat && !side ? view.heat[i] : null;
    let tag = cell.querySelector('.heat');
    if (heat === null) {
      tag?.remove();
      cell.style.removeProperty('--p');
    } else {
      if (!tag) cell.append(tag = Object.assign(document.createElement('span'), { className: 'heat' }));
      tag.textContent = percent(heat);
      cell.style.setProperty('--p', heat.toFixed(3));
    }
    cell.classList.toggle('win', win.has(i));
    cell.classList.toggle('last', view.last === i);
    cell.classList.toggle('next', view.next === i);
    cell.dataset.winner = win.has(i) ? view.winner : '';
    const free = view.playable && !side;
    cell.setAttribute('aria-disabled', String(!free));
    // the spoken name holds the visible text as written ("61%"), as WCAG's label-in-name asks
    const shown = `${heat === null ? '' : `, WOPR ${percent(heat)}`}${view.next === i ? ', played next' : ''}`;
    cell.setAttribute('aria-label', `Square ${i + 1}, ${side || 'empty'}${win.has(i) ? ', winning line' : ''}${shown}`);
  });
  board.classList.toggle('heated', Boolean(view.heat));
  drawStrike(view.line, view.winner);
}

// The winning line through the centres of its end cells, in the winner's colour.
function drawStrike(line, winner) {
  const at = (c) => [50 + 100 * (c % 3), 50 + 100 * Math.floor(c / 3)];
  strike.parentNode.classList.toggle('shown', Boolean(line));
  if (!line) return;
  const [[x1, y1], [x2, y2]] = [at(line[0]), at(line[2])];
  const [dx, dy] = [Math.sign(x2 - x1) * 30, Math.sign(y2 - y1) * 30];  // a little past the centres
  for (const [k, v] of Object.entries({ x1: x1 - dx, y1: y1 - dy, x2: x2 + dx, y2: y2 + dy, pathLength: 1 })) {
    strike.setAttribute(k, String(v));
  }
  strike.setAttribute('class', winner);
}

const cellOf = (element) => cells.indexOf(element);

export function isFree(i) {
  return cells[i].getAttribute('aria-disabled') === 'false';
}

// The one cell in the Tab order (the board's markup starts it at the first).
const focusAt = () => cells.findIndex((cell) => cell.tabIndex === 0);

function rove(i, focus = true) {
  cells[focusAt()].tabIndex = -1;
  cells[i].tabIndex = 0;
  if (focus) cells[i].focus();
}

// The board takes focus on a free cell (or the first), e.g. after a new game.
export function focusBoard() {
  rove(isFree(focusAt()) ? focusAt() : Math.max(0, cells.findIndex((_, i) => isFree(i))));
}

const MOVES = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };

board.addEventListener('keydown', (e) => {
  const i = cellOf(e.target);
  if (i < 0 || e.altKey || e.ctrlKey || e.metaKey) return;
  let to = null;
  if (MOVES[e.key]) {
    const [dr, dc] = MOVES[e.key];
    to = 3 * ((Math.floor(i / 3) + dr + 3) % 3) + ((i % 3) + dc + 3) % 3;  // wraps around the edges
  } else if (e.key === 'Home' || e.key === 'End') {
    to = e.key === 'Home' ? 0 : 8;
  }
  if (to === null) return;
  e.preventDefault();
  rove(to);
});
board.addEventListener('focusin', (e) => {
  const i = cellOf(e.target);
  if (i >= 0 && i !== focusAt()) rove(i, false);
});
