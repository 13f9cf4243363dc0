"""The metadata beside the tensors: format checks, one bounded and typed validation of the JSON values `training`,
`history` and `evaluation` (every front end shows only values of the types it expects), and what the front ends show
of them alike: the labels of the evaluation's figures, the training settings in plain words, the training curve's
points on their scales."""
from .format import ENCODING, FLOAT64_MAX, FORMAT, MAX_HIDDEN, MAX_ITEMS, MAX_KEYS, MAX_NAME, MAX_TEXT, KnowledgeError
from .jsonstrict import number, parse, shown

# (key, label) of each figure per side, in the order they are shown
FIGURES = (
    ('games', 'games'), ('wins', 'wins'), ('draws', 'draws'), ('losses', 'losses'), ('moves', 'moves'),
    ('optimal_pct', 'minimax-optimal moves %'), ('fastest_pct', 'fastest-win moves %'),
    ('missed_wins', 'missed immediate wins'),
)


def _number(v, low):
    # an int is within float64's range (the parser reads one beyond it as an infinity, as the page's JSON.parse does)
    # and compared with ints only: MicroPython compares a big int with a float loosely
    if type(v) is int:
        return low is None or v >= low
    return type(v) is float and (-FLOAT64_MAX if low is None else low) <= v <= FLOAT64_MAX


# What a value of each kind may be: (words for a person, test). Every number is finite.
KINDS = {
    'text': (f'a string of at most {MAX_TEXT} characters', lambda v: type(v) is str and len(v) <= MAX_TEXT),
    'bool': ('true or false', lambda v: type(v) is bool),
    'count': ('a whole number, 0 or more', lambda v: type(v) is int and _number(v, 0)),
    'int': ('a whole number', lambda v: type(v) is int),
    'amount': ('a number, 0 or more', lambda v: _number(v, 0)),
    'pct': ('a percentage, 0 to 100', lambda v: _number(v, 0) and v <= 100),
    'scalar': (f'a string of at most {MAX_TEXT} characters, a finite number, true, false or null',
               lambda v: v is None or type(v) is bool or _number(v, None) or KINDS['text'][1](v)),
}

# The known fields and their kinds. An object's other keys ('*': the kind of any other key) must be scalars, so old
# and future files load and are shown as text; a list holds at most MAX_ITEMS entries of its one schema.
COUNTS = {'wins': 'count', 'draws': 'count', 'losses': 'count'}
SIDE = {'games': 'count', 'wins': 'count', 'draws': 'count', 'losses': 'count', 'moves': 'count',
        'optimal': 'count', 'fastest': 'count', 'missed_wins': 'count', 'optimal_pct': 'pct', 'fastest_pct': 'pct'}
SCHEMAS = {
    'training': {
        'method': 'text', 'source': 'text', 'name': 'text', 'dtype': 'text', 'optimizer': 'text', 'loss': 'text',
        'package': 'text', 'note': 'text', 'sha256': 'text', 'hidden': 'count', 'epochs': 'count',
        'trained_epochs': 'count', 'games': 'count', 'batch_size': 'count', 'threads': 'count', 'bytes': 'count',
        'seed': 'int', 'lr': 'amount', 'seconds': 'amount',
        'until_perfect': 'bool', 'centre_first': 'bool', 'versions': {'*': 'text'},
        # self-play's own (docs/self-play.md)
        'max_games': 'count', 'checkpoint_games': 'count', 'gradient_steps': 'count', 'check_every': 'count',
        'games_per_round': 'count', 'steps_per_round': 'count', 'replay': 'count', 'value_scale': 'amount',
        'discount': 'amount', 'epsilon': 'amount', 'random_share': 'amount'},
    'history': [{
        'epoch': 'count', 'games': 'count', 'losses': 'count', 'losses_x': 'count', 'losses_o': 'count',
        'loss': 'amount', 'seconds': 'amount', 'optimal_pct': 'pct', 'fastest_pct': 'pct', 'perfect': 'bool'}],
    'evaluation': {'X': SIDE, 'O': SIDE, 'random': {'games': 'count', 'seed': 'int', 'X': COUNTS, 'O': COUNTS},
                   'perfect': 'bool'},
}


# Plain words for the training settings a file records, in the order shown ({}: the value; a dict: words per value,
# '*' for any other), as the page's card says them (worked out in the worker; `wopr inspect` lists the raw keys). The
# method, its games, epochs and time, the libraries and the name have lines of their own.
SETTING_WORDS = (
    ('hidden', 'an LSTM of {} hidden units'), ('dtype', {'f16': 'weights stored as 16-bit floats',
                                                         'f32': 'weights stored as 32-bit floats'}),
    ('epochs', 'at most {} passes over its games'),
    ('until_perfect', {True: 'stopped at its first perfect check', False: 'trained for every pass or game'}),
    ('loss', {'set': 'any move of its target set counted as right'}),
    ('optimizer', 'weights moved by {}'), ('lr', 'at a learning rate of {}'),
    ('batch_size', '{} games per learning step'), ('seed', 'random seed {}'),
    ('threads', {1: 'on one torch thread', '*': 'on {} torch threads'}),
    # self-play's own (docs/self-play.md)
    ('max_games', 'at most {} games'), ('check_every', 'checked every {} games'),
    ('games_per_round', '{} games played at once'), ('steps_per_round', 'then {} learning steps'),
    ('replay', 'learnt from its latest {} games'), ('gradient_steps', '{} learning steps in all'),
    ('discount', "a later move's worth times {}"), ('epsilon', 'a random move with probability {} while learning'),
    ('random_share', 'a share of {} of the games against a random player'),
    ('value_scale', 'move values scaled by {} into probabilities'),
)
SHOWN_APART = ('method', 'centre_first', 'games', 'checkpoint_games', 'trained_epochs', 'seconds', 'versions', 'name')


def setting_words(training):
    """A validated `training`'s settings in plain words, one phrase each: the known ones as SETTING_WORDS says,
    any other scalar as 'its name: its value'."""
    def value(v):
        if type(v) is bool:
            return 'true' if v else 'false'
        return str(float(f'{v:.4g}')) if type(v) is float else str(v)
    out = []
    for key, words in SETTING_WORDS:
        v = training.get(key)
        if v is None:
            continue
        if type(words) is dict:  # matched by type too: a flag is not the number it equals (True == 1)
            words = next((w for k, w in words.items() if k == v and type(k) is type(v)), words.get('*'))
        out.append(words.replace('{}', value(v)) if words else key.replace('_', ' ') + ': ' + value(v))
    known = [k for k, _ in SETTING_WORDS]
    for key in sorted(training):
        v = training[key]
        if key not in known and key not in SHOWN_APART and (v is None or type(v) in (str, int, float, bool)):
            out.append(key.replace('_', ' ') + ': ' + ('null' if v is None else value(v)))
    return out


def derived_perfect(entry):
    """A history entry's verdict from its own figures: no losing line and every move the fastest (None without
    them). A file stored column by column leaves out `perfect` when every entry's is this."""
    if 'losses_x' in entry and 'losses_o' in entry and 'fastest_pct' in entry:
        return entry['losses_x'] == 0 and entry['losses_o'] == 0 and entry['fastest_pct'] == 100
    return None


def _entries(columns, path):
    """A history stored column by column ({key: [value per entry]}, null where an entry has none) as its entries,
    the columns checked for their number and length; `perfect`, when left out, derived."""
    columns = _object(columns, {}, path, skip=columns)  # keys checked; the values, columns, here
    n = None
    for key in sorted(columns):  # both interpreters name the same column first
        column = columns[key]
        if type(column) is not list:
            raise _wrong(f'{path}.{key}', column, 'a list (a column)')
        if len(column) > MAX_ITEMS:
            raise KnowledgeError(f'{path}.{key} holds {len(column)} entries, over the limit of {MAX_ITEMS}')
        if n is not None and len(column) != n:
            raise KnowledgeError(f'{path}.{key} holds {len(column)} entries, the columns before it {n}: a column '
                                 'holds one value per entry')
        n = len(column)
    rows = [{k: columns[k][i] for k in columns if columns[k][i] is not None} for i in range(n or 0)]
    if 'perfect' not in columns:
        for row in rows:
            verdict = derived_perfect(row)
            if verdict is not None:
                row['perfect'] = verdict
    return rows


def scale(v, lo, hi, start, length):
    """v's place between lo and hi (lo < hi) on a scale from start, length long."""
    # halves: hi - lo itself may overflow for figures near the float64 limit (the reader allows them)
    return start + length * ((v / 2 - lo / 2) / (hi / 2 - lo / 2))


def _real(v):
    # a number (not a flag) a float holds: a sum of two counts may not (CPython raises, MicroPython gives an infinity)
    if type(v) is not int and type(v) is not float:
        return False
    try:
        return -FLOAT64_MAX <= float(v) <= FLOAT64_MAX
    except OverflowError:
        return False


def history_axis(history):
    """What a history's points are counted in: 'epoch' (supervised: one point per epoch), 'games' (self-play: one
    point per check, by games played), or None (a file's own layout: by entry)."""
    return next((k for k in ('epoch', 'games') if any(type(p) is dict and _real(p.get(k)) for p in history)), None)


def curve(history):
    """The training curve of a history, as the page's card draws it: {'axis': history_axis's; 'left': 'losing'
    (losing lines against every opponent line: losses_x + losses_o, or an older file's pooled `losses`) or 'loss';
    'lo', 'hi': the left scale (from 0 or below; a flat curve: one unit); 'points': [{'at', 'left', 'optimal_pct' (or
    None), 'perfect', 'x', 'y'}], x and y the point's place (0 to 1) along the axis and on the left scale}. Entries
    without a figure for the axis or the left scale are left out."""
    axis, entries = history_axis(history), [p for p in history if type(p) is dict]

    def lines(p):
        x, o = p.get('losses_x'), p.get('losses_o')
        return x + o if _real(x) and _real(o) else p.get('losses')
    left = 'losing' if any(_real(lines(p)) for p in entries) else 'loss'
    value = lines if left == 'losing' else (lambda p: p.get('loss'))
    points = []
    for p in entries:
        v = value(p)
        if _real(v) and (axis is None or _real(p.get(axis))):
            pct = p.get('optimal_pct')
            points.append({'at': p[axis] if axis else len(points) + 1, 'left': v,
                           'optimal_pct': pct if _real(pct) else None, 'perfect': p.get('perfect') is True})
    lo = min([0] + [p['left'] for p in points])
    most = max([lo] + [p['left'] for p in points])
    hi = most if most > lo else lo + 1
    first, last = min([p['at'] for p in points] or [0]), max([p['at'] for p in points] or [0])
    for p in points:
        p['x'] = scale(p['at'], first, last, 0, 1) if last > first else 0.5
        p['y'] = scale(p['left'], lo, hi, 0, 1)
    return {'axis': axis, 'left': left, 'lo': lo, 'hi': hi, 'points': points}


def read_metadata(header):
    """(string metadata, hidden size, validated JSON values) of a safetensors header; the metadata leaves the header."""
    meta = header.pop('__metadata__', None)
    if meta is None:
        raise KnowledgeError(f'no __metadata__: a plain safetensors file, not wopr knowledge (format {FORMAT})')
    if type(meta) is not dict or any(type(k) is not str or type(v) is not str for k, v in meta.items()):
        raise KnowledgeError('__metadata__ must map strings to strings')
    if meta.get('format') != FORMAT:
        raise KnowledgeError(f"unknown format version {shown(meta.get('format'))} (this wopr reads {FORMAT})")
    if meta.get('encoding') != ENCODING:
        raise KnowledgeError(f"unknown input encoding {shown(meta.get('encoding'))} (this wopr reads {ENCODING})")
    hidden = meta.get('hidden_size', '')
    # at most four ASCII digits: a number int() reads the same in CPython and MicroPython
    if not (0 < len(hidden) <= 4 and all('0' <= d <= '9' for d in hidden)) or not 1 <= int(hidden) <= MAX_HIDDEN:
        raise KnowledgeError(f'hidden_size {shown(hidden)} is not a whole number from 1 to {MAX_HIDDEN}')
    meta = _object(meta, {'*': 'text'}, '__metadata__', SCHEMAS)  # the JSON values are checked once parsed
    parsed = {}
    for key in sorted(SCHEMAS):
        if key in meta:  # the header's grammar; a lone surrogate escape reads as U+FFFD, as CPython's text shows it
            value = parse(meta[key].encode(), 'metadata ' + key, '\ufffd')
            if key == 'history' and type(value) is dict:  # stored column by column (a list: entry by entry)
                value = _entries(value, 'metadata history')
            parsed[key] = _checked(value, SCHEMAS[key], 'metadata ' + key)
    return meta, int(hidden), parsed


def _checked(value, schema, path):
    """A copy of value, checked against schema; KnowledgeError naming the field (path) otherwise. The schema bounds
    the depth: a value is walked only as deep as its schema goes."""
    if type(schema) is dict:
        return _object(value, schema, path)
    if type(schema) is list:
        if type(value) is not list:
            raise _wrong(path, value, 'a list')
        if len(value) > MAX_ITEMS:
            raise KnowledgeError(f'{path} holds {len(value)} entries, over the limit of {MAX_ITEMS}')
        return [_checked(v, schema[0], f'{path}[{i}]') for i, v in enumerate(value)]
    words, test = KINDS[schema]
    if not test(value):
        raise _wrong(path, value, words)
    return value


def _object(value, schema, path, skip=()):
    """An object's keys (short strings, MAX_KEYS at most) and values, in sorted order so that both interpreters
    report the same first fault; the values of keys in `skip` are checked by the caller."""
    if type(value) is not dict:
        raise _wrong(path, value, 'an object')
    if len(value) > MAX_KEYS:
        raise KnowledgeError(f'{path} holds {len(value)} keys, over the limit of {MAX_KEYS}')
    out = {}
    for key in sorted(value):
        if len(key) > MAX_NAME:
            raise KnowledgeError(f'{path} has a key of {len(key)} characters, over the limit of {MAX_NAME}')
        kind = schema.get(key, schema.get('*', 'scalar'))
        out[key] = value[key] if key in skip else _checked(value[key], kind, f'{path}.{key}')
    return out


def _wrong(path, value, expected):
    t = type(value)
    if t is int or t is float:
        what = number(value)
        what = what if what.startswith('a ') else 'the number ' + what
    else:
        what = ('an object' if t is dict else 'a list' if t is list else 'null' if value is None
                else ('true' if value else 'false') if t is bool else f'a string of {len(value)} characters')
    return KnowledgeError(f'{path} is {what}: expected {expected}')
