"""What `wopr inspect` shows of a knowledge file: metadata, tensors, history sparklines, and its evaluation: the file's
claim beside the figures computed now, marked where they differ."""
import json

from rich.console import Group
from rich.table import Table

from .evaluate import SIDES, checked
from .runtime.format import expected_shapes
from .runtime.metadata import FIGURES, history_axis, scale
from .text import clean

BARS = '▁▂▃▄▅▆▇█'


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


DIFFERS = '≠'  # beside a claimed figure that the computation does not give


def _figures_table(result, claim=None, differs=(), computed=False):
    """`wopr evaluate`'s figures per side (`computed` now, beside a file's claim: said so); with the claim, its figures
    beside them, each wrong one marked DIFFERS (a claim in another layout: KeyError or TypeError)."""
    if computed:
        beside = ", beside the file's claim" if claim is not None else ''
        title = f"exhaustive evaluation ({'perfect' if result['perfect'] else 'not perfect'}), computed now{beside}"
    else:
        title = 'exhaustive evaluation' + (' (perfect)' if result.get('perfect') else '')
    out = Table(title=title)
    out.add_column('')
    for side in SIDES:
        if claim is not None:
            out.add_column(f'as {side}: the file says', justify='right')
        out.add_column(f'as {side}', justify='right')

    def row(label, paths):
        cells = []
        for path in paths:
            if claim is not None:
                cells.append(_claimed(claim, path, differs))
            cells.append(str(_at(result, path)))
        out.add_row(label, *cells)

    for key, label in FIGURES:
        row(label, [(side, key) for side in SIDES])
    rand = result.get('random')
    if rand and rand['games']:
        out.add_section()
        for key in ('wins', 'draws', 'losses'):
            row(f'vs random: {key} / {rand["games"]} (seed {rand["seed"]})', [('random', side, key) for side in SIDES])
    return out


def _at(data, path):
    for key in path:
        data = data[key]
    return data


def _claimed(claim, path, differs):
    """A claimed figure as text, marked when it is wrong; KeyError or TypeError where the claim has no such figure
    (but for the random games, which a claim may leave out: '')."""
    try:
        value = _at(claim, path)
    except (KeyError, TypeError):
        if path[0] != 'random':
            raise
        return ''
    text = clean(value) if isinstance(value, str) else json.dumps(value)
    return f'{text} {DIFFERS}' if '.'.join(path) in differs else text


def claim_report(claim, result, differs):
    """The file's evaluation (a claim) beside the one computed now, and a line saying whether the claim holds."""
    try:
        table = _figures_table(result, claim, differs, computed=True)
    except (KeyError, TypeError):  # a claim in another layout: its rows, each wrong one marked, then the figures
        table = Table(title="Evaluation the file claims", title_justify='left', show_header=False, box=None)
        for column in ('bold', None, None):
            table.add_column(style=column)
        for key, value in flatten(claim):
            mark = f'{DIFFERS} computed: {json.dumps(_lookup(result, key))}' if key in differs else ''
            table.add_row(clean(key), clean(value) if isinstance(value, str) else json.dumps(value), mark)
        table = Group(table, _figures_table(result, computed=True))
    said = ('the file claims it is perfect' if claim.get('perfect') is True else
            'the file claims it is not perfect' if claim.get('perfect') is False else '')
    if differs:
        words = (f"{DIFFERS} The file's own evaluation is wrong about {', '.join(map(clean, differs))}"
                 f"{f' ({said})' if said else ''}: the figures above are computed from its weights (`wopr evaluate` "
                 'decides).')
    else:
        words = "The file's own evaluation agrees with the figures computed from its weights."
    return Group(table, words)


def _lookup(result, dotted):
    try:
        return _at(result, dotted.split('.'))
    except (KeyError, TypeError):
        return None


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
    if knowledge.evaluation:  # a claim: shown beside what its weights really do
        parts.append(claim_report(knowledge.evaluation, *checked(knowledge)))
    return Group(*parts)
