// The knowledge card: what a file says about itself (hidden size, method, training, evaluation, curve).
const SVG = 'http://www.w3.org/2000/svg';
const SHOWN = new Set(['method', 'centre_first', 'games', 'epochs', 'trained_epochs', 'seconds', 'versions', 'hidden',
  'dtype']);

function el(tag, text = '', attrs = {}) {
  const node = document.createElement(tag);
  node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// 255168 -> '255,168' (toLocaleString would load the locale data on the page's critical path: ~20 ms cold)
const thousands = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const scalar = (v) => ['string', 'number', 'boolean'].includes(typeof v);

function facts(summary) {
  const t = summary.training || {};
  const rows = [['Hidden size', summary.hidden_size],
    ['Weights', `${summary.dtype}, ${(summary.bytes / 1024).toFixed(1)} KB`],
    ['sha256', `${summary.sha256.slice(0, 16)}…`, summary.sha256]];  // the whole hash on hover
  if (t.method) {
    const games = t.games ? `, ${thousands(t.games)} games` : '';
    rows.push(['Method', `${t.method}${t.centre_first ? ' (centre first)' : ''}${games}`]);
  }
  if (t.seconds !== undefined) {
    const trained = t.trained_epochs;
    const epochs = trained ? `${trained} epoch${trained === 1 ? '' : 's'} in ` : '';
    rows.push(['Training time', `${epochs}${Number(t.seconds).toFixed(1)} s`]);
  }
  const settings = Object.entries(t).filter(([k, v]) => !SHOWN.has(k) && scalar(v)).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`);
  if (settings.length) rows.push(['Settings', settings.join(', ')]);
  if (t.versions && typeof t.versions === 'object') {
    rows.push(['Libraries', Object.entries(t.versions).map(([k, v]) => `${k} ${v}`).join(', ')]);
  }
  return rows;
}

function evaluationTable(e, figures) {
  const sides = ['X', 'O'].filter((s) => e[s] && typeof e[s] === 'object');
  if (!sides.length) return el('p', 'This file carries no evaluation.', { class: 'muted' });
  const table = el('table', '', { class: 'evaluation' });
  table.append(el('caption', e.perfect ? 'Perfect play on both sides, exhaustively checked' : 'Exhaustive check'));
  const head = el('tr');
  head.append(el('th', ''), ...sides.map((s) => el('th', `as ${s}`, { scope: 'col' })));
  table.append(el('thead'));
  table.tHead.append(head);
  const body = el('tbody');
  for (const [key, label] of figures.filter(([k]) => sides.some((s) => e[s][k] !== undefined))) {
    const row = el('tr');
    row.append(el('th', label, { scope: 'row' }), ...sides.map((s) => el('td', String(e[s][key] ?? ''))));
    body.append(row);
  }
  const random = e.random;
  if (random && sides.every((s) => random[s])) {
    const row = el('tr');
    row.append(el('th', `vs random, ${random.games} games: won/drawn/lost`, { scope: 'row' }),
      ...sides.map((s) => el('td', `${random[s].wins}/${random[s].draws}/${random[s].losses}`)));
    body.append(row);
  }
  table.append(body);
  return table;
}

// The loss (left scale) and the share of fastest-win moves (right, 0-100%) per epoch, as an inline SVG.
function curve(history) {
  const points = (history || []).filter((h) => h && typeof h.loss === 'number');
  if (!points.length) return [el('p', 'This file carries no training history.', { class: 'muted' })];
  const [W, H, left, right, top, bottom] = [300, 120, 36, 32, 8, 18];
  const x = (i) => (points.length === 1 ? (left + W - right) / 2
    : left + (i * (W - left - right)) / (points.length - 1));
  // reduce, not Math.min(...losses): a long history spread into arguments overflows the call stack
  const lo = points.reduce((m, p) => Math.min(m, p.loss), 0);
  const span = points.reduce((m, p) => Math.max(m, p.loss), lo) - lo || 1;  // || 1: a flat curve would divide by 0
  const y = (share) => top + (1 - share) * (H - top - bottom);  // share of the axis, 0 at the bottom
  const yLoss = (p) => y((p.loss - lo) / span);
  const yPct = (p) => y(p.fastest_pct / 100);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
  const label = (text, at, cls) => {
    const t = svg('text', { ...at, class: cls });
    t.textContent = text;
    chart.append(t);
  };
  for (const share of [0, 0.5, 1]) {
    chart.append(svg('line', { x1: left, x2: W - right, y1: y(share), y2: y(share), class: 'grid' }));
    label((lo + share * span).toFixed(2), { x: left - 4, y: y(share) + 3, 'text-anchor': 'end' }, 'tick loss');
  }
  const series = [['loss', yLoss]];
  if (points.every((p) => typeof p.fastest_pct === 'number')) {
    series.push(['fastest', yPct]);
    for (const share of [0, 0.5, 1]) label(`${100 * share}%`, { x: W - right + 4, y: y(share) + 3 }, 'tick fastest');
  }
  const epochOf = (p, i) => p.epoch ?? i + 1;
  const ticks = points.length <= 6 ? points.map((_, i) => i) : [0, points.length >> 1, points.length - 1];
  for (const i of ticks) {
    label(String(epochOf(points[i], i)), { x: x(i), y: H - 4, 'text-anchor': 'middle' }, 'tick');
  }
  for (const [name, yOf] of series) {
    const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${yOf(p).toFixed(1)}`).join(' ');
    chart.append(svg('path', { d: path, class: `line ${name}` }));
    points.forEach((p, i) => chart.append(svg('circle', { cx: x(i), cy: yOf(p), r: p.perfect ? 3.5 : 2.5,
                                                          class: `dot ${name}${p.perfect ? ' perfect' : ''}` })));
  }
  const [first, last] = [points[0], points[points.length - 1]];
  const epochs = `${points.length} epoch${points.length === 1 ? '' : 's'}`;
  const words = [`loss ${first.loss.toFixed(3)} → ${last.loss.toFixed(3)} over ${epochs}`];
  if (series.length > 1) words.push(`fastest-win moves ${first.fastest_pct}% → ${last.fastest_pct}%`);
  const perfectAt = points.findIndex((p) => p.perfect);
  if (perfectAt >= 0) words.push(`perfect from epoch ${epochOf(points[perfectAt], perfectAt)}`);
  chart.setAttribute('aria-label', `Training curve by epoch: ${words.join('; ')}`);
  const caption = el('figcaption');
  caption.append(el('span', 'loss', { class: 'key loss' }), ' (left) ',
    ...(series.length > 1 ? [el('span', 'fastest-win moves', { class: 'key fastest' }), ' (right) '] : []),
    'by epoch: ', words.join('; '), '.');
  return [chart, caption];
}

export function renderCard(card, label, summary) {
  card.querySelector('#card-title').textContent = label;
  const list = card.querySelector('#card-facts');
  list.replaceChildren(...facts(summary).flatMap(([k, v, title]) =>
    [el('dt', k), el('dd', String(v), title && { title })]));
  card.querySelector('#card-evaluation').replaceChildren(evaluationTable(summary.evaluation || {}, summary.figures));
  card.querySelector('#card-curve').replaceChildren(...curve(summary.history));
  card.hidden = false;
}
