"""The metadata beside the tensors: format checks, the JSON values `training`, `history` and `evaluation`, and the
labels of the evaluation's figures (the terminal and the page show the same words)."""
import json

from .format import ENCODING, FLOAT64_MAX, FORMAT, MAX_HIDDEN, KnowledgeError

# (key, label) of each figure per side, in the order they are shown
FIGURES = (
    ('games', 'games'), ('wins', 'wins'), ('draws', 'draws'), ('losses', 'losses'), ('moves', 'moves'),
    ('optimal_pct', 'minimax-optimal moves %'), ('fastest_pct', 'fastest-win moves %'),
    ('missed_wins', 'missed immediate wins'),
)


def read_metadata(header):
    """(string metadata, hidden size, parsed JSON values) of a safetensors header; the metadata leaves the header."""
    meta = header.pop('__metadata__', None)
    if meta is None:
        raise KnowledgeError(f'no __metadata__: a plain safetensors file, not wopr knowledge (format {FORMAT})')
    if type(meta) is not dict or any(type(k) is not str or type(v) is not str for k, v in meta.items()):
        raise KnowledgeError('__metadata__ must map strings to strings')
    if meta.get('format') != FORMAT:
        raise KnowledgeError(f"unknown format version {meta.get('format')!r} (this wopr reads {FORMAT})")
    if meta.get('encoding') != ENCODING:
        raise KnowledgeError(f"unknown input encoding {meta.get('encoding')!r} (this wopr reads {ENCODING})")
    hidden = meta.get('hidden_size', '')
    # at most four ASCII digits: a number int() reads the same in CPython and MicroPython
    if not (0 < len(hidden) <= 4 and all('0' <= d <= '9' for d in hidden)) or not 1 <= int(hidden) <= MAX_HIDDEN:
        raise KnowledgeError(f'hidden_size {hidden!r} is not a whole number from 1 to {MAX_HIDDEN}')
    parsed = {}
    for key, kind in (('training', dict), ('history', list), ('evaluation', dict)):
        if key in meta:
            parsed[key] = _json_metadata(meta, key, kind)
    return meta, int(hidden), parsed


def _json_metadata(meta, key, kind):
    """A JSON metadata value of the expected kind whose numbers are all finite (front ends re-serialise it)."""
    try:
        value = json.loads(meta[key])
    except Exception:  # noqa: BLE001 (bad JSON, or nesting deep enough to exhaust the parser)
        raise KnowledgeError(f'metadata {key!r} is not valid JSON') from None
    if type(value) is not kind:
        raise KnowledgeError(f"metadata {key!r} is not a JSON {'object' if kind is dict else 'list'}")
    todo = [value]  # a loop, not recursion: the parser may accept nesting deeper than our stack
    while todo:
        v = todo.pop()
        # NaN fails both comparisons; an int beyond float64 is finite here but Infinity to the page's JSON.parse
        if type(v) in (int, float) and not -FLOAT64_MAX <= v <= FLOAT64_MAX:
            raise KnowledgeError(f'metadata {key!r} holds a number that is not finite (or too large for a float64)')
        if type(v) is dict:
            todo.extend(v.values())
        elif type(v) is list:
            todo.extend(v)
    return value
