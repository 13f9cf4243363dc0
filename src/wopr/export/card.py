"""A Hugging Face style model card (README.md) for a knowledge file, and its training curve as an SVG beside it."""
import json
import re
import string
from pathlib import Path
from urllib.parse import quote

from ..evaluate import checked
from ..report import flatten, is_number
from ..runtime.metadata import FIGURES, history_axis, scale
from ..sources import out_file
from ..text import clean

LIMIT = 200  # characters of one metadata string shown: a card is read by people
MAX_SERIES = 8
SAFE_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]{0,99}')
ENTITIES = {'&': '&amp;', '<': '&lt;', '>': '&gt;'}
XML = {**ENTITIES, '"': '&quot;', "'": '&#39;'}


# Metadata strings are untrusted: each goes through exactly one of these three, for the language it lands in.

def md(value):
    """Literal inline Markdown: HTML's special characters as entities, any other ASCII punctuation backslash-escaped
    (CommonMark allows it for all of them), so no link, image, emphasis, table cell break or raw HTML can start."""
    return ''.join(ENTITIES.get(c) or ('\\' + c if c in string.punctuation else c) for c in clean(value, LIMIT))


def xml(value):
    return ''.join(XML.get(c, c) for c in clean(value, LIMIT))


def yaml_str(value):
    """A YAML double-quoted scalar holding printable ASCII only: everything else as \\u or \\U escapes."""
    out = []
    for c in clean(value, LIMIT):
        o = ord(c)
        out.append('\\' + c if c in '"\\' else c if 0x20 <= o < 0x7f else f'\\u{o:04x}' if o <= 0xffff
                   else f'\\U{o:08x}')
    return '"' + ''.join(out) + '"'


def cell(v):
    """A table cell: a number as JSON writes it (digits, '.', '-', 'e', '+': nothing Markdown reads), else text."""
    if v is None or type(v) in (bool, int, float):
        return json.dumps(v)
    return md(v if isinstance(v, str) else json.dumps(v))


def table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |', '|' + ' --- |' * len(header)]
    return '\n'.join(lines + ['| ' + ' | '.join(row) + ' |' for row in rows])


def evaluation_section(knowledge):
    """The file's evaluation as computed from its weights (wopr.evaluate.checked), never its own word; the figures its
    metadata states otherwise named. A file without one, or with one in a layout of its own, is shown as it is."""
    claim = knowledge.evaluation
    if not any(isinstance(claim.get(s), dict) for s in ('X', 'O')):
        if claim:  # a layout this wopr does not know: every figure, as written
            return table(['figure', 'value'], [(md(k), cell(v)) for k, v in flatten(claim)])
        return 'This file carries no evaluation: `wopr evaluate` measures it.'
    evaluation, differs = checked(knowledge)
    sides = ['X', 'O']
    rows = [[label] + [cell(evaluation[s][key]) for s in sides] for key, label in FIGURES]
    random = evaluation['random']
    rows.append([f"vs a random opponent, {cell(random['games'])} games: won/drawn/lost"]
                + ['/'.join(cell(random[s][k]) for k in ('wins', 'draws', 'losses')) for s in sides])
    verdict = ('**Perfect play** on both sides: no lost game and only fastest-win moves.'
               if evaluation['perfect'] else 'Not perfect: see the losses and the share of optimal moves.')
    if differs:
        verdict += (' The file\'s own metadata states otherwise for ' + ', '.join(md(d) for d in differs)
                    + ': these figures are computed from its weights.')
    return ('The network plays X, then O, against every possible line of the opponent (an exhaustive game tree), '
            'then against a uniformly random opponent.\n\n' + table([''] + [f'as {s}' for s in sides], rows)
            + '\n\n' + verdict)


def curve_series(history):
    """(x label, {series name: [(x, y)]}): every numeric figure of the history against its axis (metadata.history_axis:
    the epoch, or the self-play games; entries without one are left out), else against the entry's position."""
    x_key = history_axis(history)
    entries = [h for h in history if isinstance(h, dict) and (x_key is None or is_number(h.get(x_key)))]
    series = {}
    for i, h in enumerate(entries):
        x = h[x_key] if x_key else i + 1
        for key, value in h.items():
            # seconds: wall time so far, not something learnt
            if key not in (x_key, 'seconds') and is_number(value) and (key in series or len(series) < MAX_SERIES):
                series.setdefault(key, []).append((x, value))
    return x_key or 'entry', series


def curve_svg(history):
    """Small multiples, one panel per series on its own scale (from 0; percentages to 100); None without any
    numeric history."""
    x_name, series = curve_series(history)
    if not series:
        return None
    width, left, right, plot, gap = 640, 72, 16, 60, 34
    xs = [x for points in series.values() for x, _ in points]
    x_lo, x_hi = min(xs), max(xs)
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1  # one point: in the middle
    height = gap + len(series) * (plot + gap)
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
              f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">'),
             f'<title>Training curve: {xml(", ".join(series))} per {xml(x_name)}</title>',
             f'<rect width="{width}" height="{height}" fill="#fff"/>']
    for n, (name, points) in enumerate(series.items()):
        top = gap + n * (plot + gap)
        ys = [y for _, y in points]
        lo, hi = min(0, *ys), max(ys)
        hi = max(hi, 100) if name.endswith('_pct') else hi
        hi = hi if hi > lo else lo + 1
        coords = [(scale(x, x_lo, x_hi, left, width - left - right), scale(y, lo, hi, top + plot, -plot))
                  for x, y in points]
        path = ' '.join(f'{x:.1f},{y:.1f}' for x, y in coords)
        parts += [f'<text x="{left}" y="{top - 8}" font-weight="bold">{xml(name)}: last {ys[-1]:.4g}</text>',
                  f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{hi:.4g}</text>',
                  f'<text x="{left - 6}" y="{top + plot + 4}" text-anchor="end">{lo:.4g}</text>',
                  f'<path d="M{left},{top}V{top + plot}H{width - right}" fill="none" stroke="#999"/>',
                  f'<polyline points="{path}" fill="none" stroke="#1f6feb" stroke-width="1.5"/>']
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#1f6feb"/>' for x, y in coords[:50]]
    bottom = height - gap + 18
    parts += [f'<text x="{left}" y="{bottom}">{x_lo:.4g}</text>',
              f'<text x="{width - right}" y="{bottom}" text-anchor="end">{x_hi:.4g}</text>',
              f'<text x="{(left + width - right) // 2}" y="{bottom}" text-anchor="middle">{xml(x_name)}</text>',
              '</svg>']
    return '\n'.join(parts) + '\n'


def card(knowledge, name, curve=None):
    """The card's Markdown: YAML front matter, then what the network is, its training, evaluation (the figure file
    `curve` beside it) and how to play."""
    t, h = knowledge.training, knowledge.hidden_size
    dtype = knowledge.dtypes['lstm.weight_hh_l0']
    params = sum(len(v) for v in knowledge.tensors.values())
    stem = name.rsplit('.', 1)[0]
    front = ['---', 'license: mit', 'library_name: wopr', 'tags:',
             *(f'- {tag}' for tag in ('wopr', 'tic-tac-toe', 'lstm', 'game', 'safetensors', 'onnx'))]
    if 'method' in t:
        front.append(f"method: {yaml_str(t['method'])}")
    front.append('---')
    facts = [('file', f'`{name}`'), ('bytes', f'{knowledge.nbytes:,}'), ('sha256', f'`{knowledge.sha256}`'),
             ('weights', f'{dtype}, {params:,} parameters'), ('hidden size', str(h)),
             ('format', md(knowledge.metadata['format'])), ('encoding', md(knowledge.metadata['encoding']))]
    training = [(md(k), cell(v)) for k, v in flatten(t)]
    history = f'![Training curve]({quote(curve)})' if curve else 'This file carries no training history.'
    body = f'''# wopr tic-tac-toe LSTM, hidden {h}

A tic-tac-toe player: PyTorch's `nn.LSTM(18, {h})` followed by `nn.Linear({h}, 9)`, stored as a wopr knowledge
file (safetensors, no code, no pickle) that wopr plays in pure Python, in the terminal and in the browser.

{table(['', ''], facts)}

## How it plays

Cells are numbered 0-8, row by row from the top left. At each step the network reads the board as 18 floats:
`x[c] = 1` if X holds cell `c`, `x[9 + c] = 1` if O holds it, else 0. Step 0 is the empty board, and every move,
either side's, adds a step. The softmax of its 9 outputs after a step is the next move's distribution; the player
takes the most probable legal cell (ties: the lowest index).

## Training

{table(['setting', 'value'], training) if training else 'This file says nothing about its training.'}

{history}

## Evaluation

{evaluation_section(knowledge)}

## Play it

In the terminal, with wopr installed:

```
wopr play --knowledge {name}
```

In the browser: `wopr site build --knowledge {name}` then `wopr serve`, or drop the file on the page.

Under onnxruntime, after `wopr export {name} --format onnx -o {stem}.onnx` (wopr's `onnx` extra):

```python
import numpy as np, onnxruntime as ort
session = ort.InferenceSession('{stem}.onnx')
boards = np.zeros((1, 18), np.float32)  # the game so far: here the empty board, one row per step
probs = session.run(None, {{'boards': boards}})[0][-1]  # the next move's distribution over the 9 cells
print(int(probs.argmax()))  # X's opening (with stones on the board, take the most probable empty cell)
```
'''
    return '\n'.join(front) + '\n\n' + body


def card_files(knowledge, source, out):
    """{path: bytes}: the card at `out` and, when the knowledge has a history, the curve beside it, named after the
    card's whole name (README.md: README.md.curve.svg), so that cards in one folder keep their own."""
    out = out_file(out)
    name = Path(str(source)).name
    name = name if SAFE_NAME.fullmatch(name) else 'knowledge.safetensors'  # it lands in commands and code
    svg = curve_svg(knowledge.history)
    if not svg:
        return {out: card(knowledge, name).encode()}
    curve = out.with_name(f'{out.name}.curve.svg')
    return {curve: svg.encode(), out: card(knowledge, name, curve.name).encode()}  # the curve first: the card links it
