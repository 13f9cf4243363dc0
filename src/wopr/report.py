"""What `wopr inspect` shows of a knowledge file: metadata, tensors, history sparklines, evaluation."""
import json

from rich.console import Group
from rich.table import Table

from .evaluate import SIDES
from .runtime.format import expected_shapes
from .runtime.metadata import FIGURES
from .text import clean

BARS = '▁▂▃▄▅▆▇█'


def scale(v, lo, hi, start, length):
    """v's place between lo and hi (lo < hi) on a scale from start, length long."""
    # halves: hi - lo itself may overflow for figures near the float64 limit (the reader allows them)
    return start + length * ((v / 2 - lo / 2) / (hi / 2 - lo / 2))


def sparkline(values):
    """One character per number, scaled between the smallest and the largest."""
    if not values:
        return ''
    low, high = min(values), max(values)
    return ''.join(BARS[round(scale(v, low, high, 0, len(BARS) - 1)) if high > low else 0] for v in values)


def flatten(data, prefix=''):
    """Nested dicts as (dotted key, value) rows, so any evaluation layout prints as one table."""
    rows = []
    for key, value in data.items():
        name = f'{prefix}{key}'
        if isinstance(value, dict):
            rows += flatten(value, name + '.')
        else:
            rows.append((name, value))
    return rows


def key_value_table(title, rows):
    # no borders: a sha256 (64 characters) then fits an 80-column terminal unbroken, ready to copy
    table = Table(title=title, show_header=False, title_justify='left', box=None)
    table.add_column(style='bold')
    table.add_column(overflow='fold')
    for key, value in rows:  # the file's strings, cleaned: no escape sequence reaches the terminal
        table.add_row(clean(key), clean(value) if isinstance(value, str) else json.dumps(value))
    return table


def is_number(value):
    return type(value) in (int, float)  # not bool (a subclass of int)


def history_axis(history):
    """What the history's points are counted in: 'epoch' (supervised: one point per epoch), 'games' (self-play: one
    point per check, by games played), or None (a file's own layout)."""
    entries = [h for h in history if isinstance(h, dict)]
    return next((k for k in ('epoch', 'games') if any(is_number(h.get(k)) for h in entries)), None)


def history_table(history):
    """Each numeric series of the history as a sparkline with its first and last value."""
    axis, series = history_axis(history), {}
    for point in history:
        for key, value in (point.items() if isinstance(point, dict) else ()):
            if is_number(value) and key != axis:
                series.setdefault(key, []).append(value)
    unit = {'epoch': 'epochs', 'games': 'checks'}.get(axis, 'entries')
    table = Table(title=f'Training history ({len(history)} {unit})', title_justify='left')
    for column in ('series', 'first', 'last', 'curve'):
        table.add_column(column)
    for key, values in series.items():
        table.add_row(clean(key), f'{values[0]:.4g}', f'{values[-1]:.4g}', sparkline(values))
    return table


def evaluation_table(result):
    """The figures as `wopr evaluate` writes them, per side; any other layout (a file may leave figures out, or add
    its own) as flat rows."""
    try:
        return _figures_table(result)
    except (KeyError, TypeError):
        return key_value_table('Evaluation', flatten(result))


def _figures_table(result):
    out = Table(title='exhaustive evaluation' + (' (perfect)' if result.get('perfect') else ''))
    out.add_column('')
    for side in SIDES:
        out.add_column(f'as {side}', justify='right')
    for key, label in FIGURES:
        out.add_row(label, *(str(result[side][key]) for side in SIDES))
    rand = result.get('random')
    if rand and rand['games']:
        out.add_section()
        for key in ('wins', 'draws', 'losses'):
            out.add_row(f'vs random: {key} / {rand["games"]} (seed {rand["seed"]})',
                        *(str(rand[side][key]) for side in SIDES))
    return out


def knowledge_report(knowledge, location):
    """Everything about one knowledge file as rich renderables."""
    plain = knowledge.plain_metadata()
    header = key_value_table('Knowledge', [('file', location), ('bytes', knowledge.nbytes),
                                           ('sha256', knowledge.sha256), *plain.items()])
    tensors = Table(title='Tensors', title_justify='left')
    for column in ('name', 'dtype', 'shape'):
        tensors.add_column(column)
    for name, shape in expected_shapes(knowledge.hidden_size).items():
        tensors.add_row(name, knowledge.dtypes[name], 'x'.join(map(str, shape)))
    parts = [header, tensors]
    if knowledge.training:
        parts.append(key_value_table('Training', flatten(knowledge.training)))
    if knowledge.history:
        parts.append(history_table(knowledge.history))
    if knowledge.evaluation:
        parts.append(evaluation_table(knowledge.evaluation))
    return Group(*parts)
