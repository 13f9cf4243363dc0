// The knowledge card: first what a player wants to know (does it lose? how big?), then, collapsed, the technical
// details (training, libraries, sha256, the exhaustive check, the curve). Every value comes from a file, so each is
// checked for the type it is shown as: a hostile file gets blanks, never an exception.
import { svg } from './board.js';

const MAX_TEXT = 120;  // characters of any one text from a file
const MAX_ROWS = 12;   // libraries or evaluation rows listed
const MAX_SETTINGS = 24;  // training settings listed (self-play's method has a dozen of its own)

function el(tag, text = '', attrs = {}) {
  const node = document.createElement(tag);
  node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const list = (v) => (Array.isArray(v) ? v : []);

// A value as short text, or null: only strings, finite numbers and booleans are shown.
function text(v) {
  if (typeof v === 'string') return v.length > MAX_TEXT ? `${v.slice(0, MAX_TEXT)}…` : v;
  if (typeof v === 'boolean' || num(v) !== null) return String(v);
  return null;
}

// 255168 -> '255,168', in linear time (toLocaleString would load locale data on the page's critical path)
function thousands(n) {
  if (!Number.isSafeInteger(n)) return text(n) ?? '';
  const digits = String(Math.abs(n));
  const groups = [];
  for (let end = digits.length; end > 0; end -= 3) groups.unshift(digits.slice(Math.max(0, end - 3), end));
  return (n < 0 ? '-' : '') + groups.join(',');
}

// a share as a player reads it: 99.87 is not yet 100%
function rounded(pct) {
  if (num(pct) === null) return '';
  return `${pct >= 100 || Math.round(pct) < 100 ? Math.min(Math.round(pct), 100) : Math.floor(pct * 10) / 10}%`;
}

// Losses and games per side, or null where a figure is missing.
function losses(evaluation) {
  const [x, o] = [obj(evaluation.X), obj(evaluation.O)];
  const figures = [num(x.losses), num(o.losses), num(x.games), num(o.games)];
  return figures.includes(null) ? null : figures;
}

const loses = ([lx, lo, gx, go]) => `it loses ${thousands(lx)} of the ${thousands(gx)} possible games as X and `
  + `${thousands(lo)} of ${thousands(go)} as O`;

// The one sentence a player reads: does it ever lose? Only this browser's own check (check: the bridge's finished
// check with its `ms`, or {error}) says so; until it ends, what the file says of itself, as its word.
function verdict(evaluation, check) {
  const claim = losses(evaluation);
  const partial = Object.keys(obj(evaluation.X)).length || Object.keys(obj(evaluation.O)).length;
  const said = claim === null
    ? `How well it plays is unknown to the file (it carries ${partial ? 'only part of an' : 'no'} exhaustive check)`
    : claim[0] === 0 && claim[1] === 0 ? 'The file says it never loses' : `The file says ${loses(claim)}`;
  if (!check) return `${said}: checking every possible game in this browser…`;
  const found = check.done ? losses(check) : null;
  if (found === null) {
    return `${said}, but the check in this browser could not finish${check.error ? ` (${text(check.error)})` : ''}.`;
  }
  if (found[0] === 0 && found[1] === 0) {
    const seconds = num(check.ms) === null ? '' : `, ${(check.ms / 1000).toFixed(1)} s`;
    return `Never loses: checked in this browser (${thousands(check.positions)} positions${seconds}).`;
  }
  const wrong = claim !== null && (claim[0] !== found[0] || claim[1] !== found[1]) ? ` ${said}: it is wrong.` : '';
  return `Beatable: ${loses(found)} (checked in this browser).${wrong}`;
}

function size(summary) {
  const [hidden, bytes] = [num(summary.hidden_size), num(summary.bytes)];
  const kb = bytes === null ? '' : `${bytes < 10240 ? (bytes / 1024).toFixed(1) : Math.round(bytes / 1024)} KB`;
  return [hidden === null ? '' : `${hidden} hidden units`, kb, text(summary.dtype)].filter(Boolean).join(' · ');
}

function facts(summary) {
  const t = obj(summary.training);
  const rows = [];
  const method = text(t.method);
  if (method) {
    const [games, kept] = [num(t.games), num(t.checkpoint_games)];
    const played = games === null ? '' : `, ${thousands(games)} games`;
    const weights = kept === null || kept === games ? '' : ` (the weights of the check at ${thousands(kept)})`;
    rows.push(['Method', `${method}${t.centre_first === true ? ' (centre first)' : ''}${played}${weights}`]);
  }
  const [epochs, seconds] = [num(t.trained_epochs), num(t.seconds)];
  if (seconds !== null) {
    rows.push(['Training time', `${epochs === null ? '' : `${epochs} epoch${epochs === 1 ? '' : 's'} in `}`
      + `${seconds.toFixed(1)} s`]);
  }
  // in plain words, as the runtime puts them (metadata.setting_words)
  const settings = list(summary.settings).map(text).filter((v) => v !== null).slice(0, MAX_SETTINGS);
  if (settings.length) rows.push(['Settings', `${capital(settings.join('; '))}.`]);
  const versions = Object.entries(obj(t.versions)).filter(([, v]) => text(v) !== null).slice(0, MAX_ROWS);
  if (versions.length) rows.push(['Libraries', versions.map(([k, v]) => `${text(k)} ${text(v)}`).join(', ')]);
  const sha = typeof summary.sha256 === 'string' ? summary.sha256.slice(0, 64) : '';
  if (sha) rows.push(['sha256', sha]);
  return rows;
}

function evaluationTable(evaluation, figures) {
  const sides = ['X', 'O'].filter((s) => Object.keys(obj(evaluation[s])).length);
  if (!sides.length) return el('p', 'This file carries no exhaustive check.', { class: 'muted' });
  const table = el('table', '', { class: 'evaluation' });
  table.append(el('caption', 'What the file says of itself, against every possible opponent line'));
  const head = el('tr');
  head.append(el('td'), ...sides.map((s) => el('th', `as ${s}`, { scope: 'col' })));
  table.append(el('thead'));
  table.tHead.append(head);
  const body = el('tbody');
  const labelled = list(figures).filter((f) => Array.isArray(f) && typeof f[0] === 'string' && text(f[1]) !== null);
  for (const [key, label] of labelled.slice(0, MAX_ROWS)) {
    const values = sides.map((s) => num(obj(evaluation[s])[key]));
    if (values.every((v) => v === null)) continue;
    const row = el('tr');
    const pct = key.endsWith('_pct');
    row.append(el('th', text(label).replace(/ %$/, ''), { scope: 'row' }),
      ...values.map((v) => el('td', v === null ? '' : pct ? rounded(v) : thousands(v))));
    body.append(row);
  }
  const random = obj(evaluation.random);
  const games = num(random.games);
  if (games !== null && sides.every((s) => num(obj(random[s]).wins) !== null)) {
    const row = el('tr');
    row.append(el('th', `against a random player: won, of ${thousands(games)}`, { scope: 'row' }),
      ...sides.map((s) => el('td', thousands(obj(random[s]).wins))));
    body.append(row);
  }
  table.append(body);
  return table;
}

const compact = (n) => (n >= 1e6 ? `${+(n / 1e6).toPrecision(3)}M`
  : n >= 1e3 ? `${+(n / 1e3).toPrecision(3)}k` : `${n}`);
const capital = (words) => words[0].toUpperCase() + words.slice(1);

// The runtime's training curve (metadata.curve: its axis, left scale and points, each placed from 0 to 1): losing
// lines (or the loss) on the left, the share of optimal moves on the right. An SVG chart from 3 points on, fewer as
// numbers.
function drawCurve(c) {
  const byGames = c.axis === 'games';  // else by epoch (or entry)
  const [leftName, leftKey, leftTick] = c.left === 'loss' ? ['loss', 'loss', (v) => v.toFixed(2)]
    : ['losing lines', 'losing', thousands];
  const points = list(c.points).map(obj).filter((p) => [p.at, p.left, p.x, p.y].every((v) => num(v) !== null))
    .slice(0, 1000);
  const [lo, hi] = [num(c.lo) ?? 0, num(c.hi) ?? 1];
  if (!points.length) return [el('p', 'This file carries no training history.', { class: 'muted' })];
  const optimal = points.every((p) => num(p.optimal_pct) !== null);
  const where = (p) => (byGames ? `${thousands(p.at)} games` : `epoch ${p.at}`);
  const state = (p) => `${where(p)}: ${leftName} ${leftTick(p.left)}`
    + `${optimal ? `, optimal moves ${rounded(p.optimal_pct)}` : ''}${p.perfect === true ? ', perfect' : ''}`;
  if (points.length < 3) {  // a chart of one or two dots says less than the numbers
    const numbers = el('ul', '', { class: 'epochs' });
    numbers.append(...points.map((p) => el('li', capital(state(p)))));
    return [numbers];
  }
  const [W, H, left, right, top, bottom] = [300, 120, 36, 32, 8, 18];
  const x = (p) => left + p.x * (W - left - right);
  const y = (share) => top + (1 - share) * (H - top - bottom);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
  const label = (words, position, cls) => {
    const t = svg('text', { ...position, class: cls });
    t.textContent = words;
    chart.append(t);
  };
  const series = [[leftKey, (p) => y(p.y)]];
  if (optimal) series.push(['optimal', (p) => y(p.optimal_pct / 100)]);
  for (const share of [0, 0.5, 1]) {
    chart.append(svg('line', { x1: left, x2: W - right, y1: y(share), y2: y(share), class: 'grid' }));
    const value = lo + share * (hi - lo);
    if (leftKey === 'loss' || Number.isInteger(value)) {  // no half a losing line
      label(leftTick(value), { x: left - 4, y: y(share) + 3, 'text-anchor': 'end' }, `tick ${leftKey}`);
    }
    if (optimal) label(`${100 * share}%`, { x: W - right + 4, y: y(share) + 3 }, 'tick optimal');
  }
  for (const i of points.length <= 6 ? points.map((_, k) => k) : [0, points.length >> 1, points.length - 1]) {
    label(compact(points[i].at), { x: x(points[i]), y: H - 4, 'text-anchor': 'middle' }, 'tick');
  }
  for (const [name, yOf] of series) {
    const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p).toFixed(1)},${yOf(p).toFixed(1)}`).join(' ');
    chart.append(svg('path', { d: path, class: `line ${name}` }));
    points.forEach((p) => chart.append(svg('circle', { cx: x(p), cy: yOf(p), r: p.perfect === true ? 3.5 : 2.5,
      class: `dot ${name}${p.perfect === true ? ' perfect' : ''}` })));
  }
  const last = points.length - 1;
  const words = [state(points[0]), state(points[last])];
  const perfectAt = points.findIndex((p) => p.perfect === true);
  if (perfectAt >= 0) words.push(`perfect from ${where(points[perfectAt])}`);
  const by = byGames ? 'by self-play games' : 'by epoch';
  chart.setAttribute('aria-label', `Training curve ${by}: ${words.join('; ')}`);
  const caption = el('figcaption');
  caption.append(el('span', leftName, { class: `key ${leftKey}` }), ' (left) ',
    ...(optimal ? [el('span', 'optimal moves', { class: 'key optimal' }), ' (right) '] : []),
    `${by}. `, words.join('; '), '.');
  return [chart, caption];
}

// The card's verdict once this browser's check of the knowledge ended (see verdict); data-check tells tests.
export function showCheck(card, summary, check) {
  card.querySelector('#card-summary').textContent = verdict(obj(obj(summary).evaluation), check);
  const found = check.done ? losses(check) : null;
  card.dataset.check = found === null ? 'unfinished' : found[0] === 0 && found[1] === 0 ? 'passed' : 'failed';
}

export function renderCard(card, label, summary) {
  const s = obj(summary);
  card.querySelector('#card-title').textContent = text(obj(s.training).name) || label;  // as the terminal names it
  card.querySelector('#card-summary').textContent = verdict(obj(s.evaluation), null);
  card.dataset.check = 'running';
  card.querySelector('#card-size').textContent = size(s);
  card.querySelector('#card-facts').replaceChildren(...facts(s).flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
  card.querySelector('#card-evaluation').replaceChildren(evaluationTable(obj(s.evaluation), s.figures));
  card.querySelector('#card-curve').replaceChildren(...drawCurve(obj(s.curve)));
  card.hidden = false;
}
