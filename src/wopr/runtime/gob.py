"""Read the 2018 original's knowledge files (Go encoding/gob, written by github.com/owulveryck/lstm) as wopr knowledge.

Such a file is a gob stream whose one value is the package's Model, a BinaryMarshaler: the value is sent as a
byte string, and that byte string is itself a gob stream of one struct, the weights. Only that is read (and the
inner stream alone, which an early version of the original's runtime read): type definitions, then the value.
"""
import math
import struct

from .format import ENCODING, FORMAT, INPUTS, MAX_HIDDEN, OUTPUTS, KnowledgeError, expected_shapes, sha256_hex
from .writer import safetensors_bytes, to_json

PACKAGE = 'github.com/owulveryck/lstm'
FIRST_USER_ID = 64  # gob reserves the type ids below this one
INT, FLOAT = 2, 4   # gob's predefined type ids for int and float
BUILTIN = {1: 'bool', 2: 'int', 3: 'uint', 4: 'float', 5: '[]byte', 6: 'string', 7: 'complex', 8: 'interface'}
FLOAT32_MAX = 3.4028234663852886e38
SIZES = ('InputSize', 'OutputSize', 'HiddenSize')
WEIGHTS = ('Wi', 'Ui', 'BiasI', 'Wf', 'Uf', 'BiasF', 'Wo', 'Uo', 'BiasO', 'Wc', 'Uc', 'BiasC', 'Wy', 'BiasY')
NOTE = 'gates i, f, c (as g), o; input planes swapped to X first; bias_hh zero'

# gob's wireType, as encoding/gob's doc.go lists it: (field name, kind) in field order; a tuple is a struct,
# a one-item list a slice of that struct.
_COMMON = (('Name', 'string'), ('Id', 'int'))
_WIRE = (
    ('ArrayT', (('CommonType', _COMMON), ('Elem', 'int'), ('Len', 'int'))),
    ('SliceT', (('CommonType', _COMMON), ('Elem', 'int'))),
    ('StructT', (('CommonType', _COMMON), ('Field', [(('Name', 'string'), ('Id', 'int'))]))),
    ('MapT', (('CommonType', _COMMON), ('Key', 'int'), ('Elem', 'int'))),
    ('GobEncoderT', (('CommonType', _COMMON),)),
    ('BinaryMarshalerT', (('CommonType', _COMMON),)),
    ('TextMarshalerT', (('CommonType', _COMMON),)),
)
_KINDS = {'ArrayT': 'array', 'SliceT': 'slice', 'StructT': 'struct', 'MapT': 'map', 'GobEncoderT': 'GobEncoder',
          'BinaryMarshalerT': 'BinaryMarshaler', 'TextMarshalerT': 'TextMarshaler'}


class NotGob(KnowledgeError):
    """The bytes do not open as a gob stream does: some other kind of file."""


def _error(text):
    return KnowledgeError('gob: ' + text)


class _Reader:
    """A cursor over data[pos:end]; every length read is checked against the bytes left, so nothing hostile
    can make it allocate or loop beyond the file's own size."""

    def __init__(self, data, pos, end):
        self.data, self.pos, self.end = data, pos, end

    def left(self):
        return self.end - self.pos

    def take(self, n, what):
        if n > self.left():
            raise _error(f'{what} claims {n} bytes but only {self.left()} remain: truncated?')
        self.pos += n
        return self.pos - n

    def uint(self, what='a number'):
        b = self.data[self.take(1, what)]
        if b < 128:
            return b
        if b < 248:  # the byte is minus the count of big-endian bytes that follow, at most 8
            raise _error(f'{what} has a bad number encoding (byte 0x{b:02x} at offset {self.pos - 1})')
        start = self.take(256 - b, what)
        return int.from_bytes(self.data[start:self.pos], 'big')

    def int(self):
        u = self.uint()
        return ~(u >> 1) if u & 1 else u >> 1

    def count(self, what):
        """A length of items that take at least a byte each."""
        n = self.uint()
        if n > self.left():
            raise _error(f'{what} claims {n} items but only {self.left()} bytes remain: truncated?')
        return n

    def string(self):
        start = self.take(self.count('a name'), 'a name')
        try:
            return bytes(self.data[start:self.pos]).decode('utf-8')
        except UnicodeError:
            raise _error('a type or field name is not text') from None

    def message(self):
        n = self.uint()
        if n == 0:
            raise _error(f'empty message at offset {self.pos - 1}')
        start = self.take(n, 'a message')
        return _Reader(self.data, start, start + n)

    def floats(self, n, name):
        """n gob floats: each an unsigned number whose big-endian bytes are the float64's little-endian ones."""
        out = []
        for _ in range(n):
            v = struct.unpack('<d', struct.pack('>Q', self.uint(name)))[0]
            if not -FLOAT32_MAX <= v <= FLOAT32_MAX:
                what = 'a NaN weight' if math.isnan(v) else 'an infinite weight or one beyond float32 (over 3.4e38)'
                raise _error(f'{name} holds {what}')
            out.append(v)
        return out


def _struct(r, schema):
    """A struct of a known schema, (name, kind) per field: (field number delta, value)* then a zero delta.
    Fields left out (gob sends no zero values) are missing from the dict."""
    fields, field = {}, -1
    while True:
        delta = r.uint()
        if delta == 0:
            return fields
        field += delta
        if field >= len(schema):
            raise _error(f'field number {field} out of range (the struct has {len(schema)} fields)')
        name, kind = schema[field]
        if kind == 'int':
            fields[name] = r.int()
        elif kind == 'string':
            fields[name] = r.string()
        elif kind == '[]float':  # checked against the sizes before a float is read: no giant slice is parsed
            fields[name] = r.floats(_length(fields, name, r.count(name)), name)
        elif type(kind) is list:
            fields[name] = [_struct(r, kind[0]) for _ in range(r.count(name))]
        else:
            fields[name] = _struct(r, kind)


def _define(types, tid, r):
    if tid < FIRST_USER_ID or tid in types:
        raise _error(f"type id {tid} is {'defined twice' if tid in types else 'reserved'}")
    wire = _struct(r, _WIRE)
    if len(wire) != 1:
        raise _error(f'type {tid} is described as {len(wire)} kinds of type at once')
    if r.left():
        raise _error(f'{r.left()} extra bytes after the definition of type {tid}')
    kind = next(iter(wire))
    types[tid] = (kind, wire[kind])


def _describe(types, tid):
    """A type as a person reads it: int, []float, struct, BinaryMarshaler, ..."""
    if tid in types:
        kind, body = types[tid]
        if kind == 'SliceT' and body.get('Elem') in BUILTIN:
            return '[]' + BUILTIN[body['Elem']]
        return _KINDS[kind]
    return BUILTIN.get(tid, f'undefined type {tid}')


def _layout(types, body):
    """The struct's field names, checked against the lstm package's weights struct: names and types."""
    names = []
    for field in body.get('Field', []):
        name, tid = field.get('Name', ''), field.get('Id', 0)
        if name in names:
            raise _error(f'field {name} appears twice')
        if name in SIZES:
            if tid != INT:
                raise _error(f'field {name} is {_describe(types, tid)}, expected int')
        elif name in WEIGHTS:
            kind, elem = types.get(tid, (None, {}))
            if kind != 'SliceT' or elem.get('Elem') != FLOAT:
                raise _error(f'field {name} is {_describe(types, tid)}, expected []float32')
        else:
            raise _error(f"unexpected field {name!r}: not the weights of {PACKAGE} ({', '.join(SIZES + WEIGHTS)})")
        names.append(name)
    return names


def _weights(r, names):
    """The weights struct's value: sizes and float slices."""
    values = _struct(r, [(name, 'int' if name in SIZES else '[]float') for name in names])
    if r.left():
        raise _error(f'{r.left()} extra bytes after the weights')
    return values


def _stream(data, start, end, inner):
    """Type definitions, then the value: the Model's bytes (an inner stream) or the weights struct."""
    r, types = _Reader(data, start, end), {}
    while True:
        if not r.left():
            raise _error('the stream ends before its value' if types else 'empty stream')
        message = r.message()
        tid = message.int()
        if tid < 0:
            _define(types, -tid, message)
            continue
        # Bytes after the value are left alone, as Go's decoder does: the original saved with
        # O_RDWR and no truncation, so a shorter model can sit in front of an older one's tail.
        kind = types.get(tid, (None,))[0]
        if kind in ('GobEncoderT', 'BinaryMarshalerT') and not inner:
            if message.uint() != 0:
                raise _error('corrupted value: non-zero field delta for a top-level value')
            begin = message.take(message.count("the Model's bytes"), "the Model's bytes")
            if message.left():
                raise _error(f"{message.left()} extra bytes after the Model's bytes")
            return _stream(data, begin, message.pos, True)
        if kind == 'StructT':
            return _weights(message, _layout(types, types[tid][1]))
        raise _error(f'the stream holds a value of type {_describe(types, tid)}, not the Model of {PACKAGE}')


def _hidden(values):
    """The hidden size, once the sizes read so far are the ones wopr can play with (gob sends the sizes, fields
    0-2, before the slices; a size it leaves out is zero)."""
    inputs, outputs, h = [values.get(name, 0) for name in SIZES]
    if inputs != INPUTS:
        raise _error(f'InputSize is {inputs}: wopr needs {INPUTS} inputs (9 cells, X and O planes)')
    if outputs != OUTPUTS:
        raise _error(f'OutputSize is {outputs}: wopr needs {OUTPUTS} outputs (one per cell)')
    if not 1 <= h <= MAX_HIDDEN:
        raise _error(f'HiddenSize {h} is not from 1 to {MAX_HIDDEN}')
    return h


def _length(values, name, n):
    """n, the length a slice declares, if it is the one the sizes imply for it."""
    h = _hidden(values)
    lengths = {'Wy': OUTPUTS * h, 'BiasY': OUTPUTS}
    for gate in 'ifoc':
        lengths['W' + gate], lengths['U' + gate], lengths['Bias' + gate.upper()] = h * INPUTS, h * h, h
    expected = lengths[name]
    if n != expected:
        raise _error(f'{name} holds {n} weights, expected {expected} for HiddenSize {h}')
    return n


def _check(values):
    """Every slice present (each was checked as it was read); returns the hidden size."""
    h = _hidden(values)
    for name in WEIGHTS:
        _length(values, name, len(values.get(name, ())))
    return h


def _planes_swapped(w, h):
    """The original's inputs are the O plane then the X plane; ours are X then O."""
    out = []
    for r in range(h):
        row = w[r * INPUTS:(r + 1) * INPUTS]
        out += row[9:] + row[:9]
    return out


def _opens_with_definition(data):
    """A gob stream from Go opens with a message defining a user type (id >= 64)."""
    try:
        r = _Reader(data, 0, len(data))
        r.uint()
        return r.int() <= -FIRST_USER_ID
    except KnowledgeError:
        return False


def to_safetensors(data):
    """The original's gob knowledge as wopr safetensors bytes; NotGob for bytes that are no gob stream at all,
    KnowledgeError for a gob stream that is not the original's Model."""
    if not _opens_with_definition(data):
        raise NotGob('not a Go gob file: it does not open with a gob type definition')
    data = bytes(data)
    values = _stream(data, 0, len(data), False)
    h = _check(values)
    v, w_ih = values, []
    for name in ('Wi', 'Wf', 'Wc', 'Wo'):  # PyTorch's gate order: i, f, g (the original's c), o
        w_ih += _planes_swapped(v[name], h)
    tensors = {
        'lstm.weight_ih_l0': w_ih,
        'lstm.weight_hh_l0': v['Ui'] + v['Uf'] + v['Uc'] + v['Uo'],
        'lstm.bias_ih_l0': v['BiasI'] + v['BiasF'] + v['BiasC'] + v['BiasO'],
        'lstm.bias_hh_l0': [0.0] * (4 * h),
        'head.weight': v['Wy'],
        'head.bias': v['BiasY'],
    }
    training = {'source': 'gob', 'package': PACKAGE, 'sha256': sha256_hex(data), 'bytes': len(data), 'note': NOTE}
    metadata = {'format': FORMAT, 'encoding': ENCODING, 'hidden_size': str(h), 'training': to_json(training)}
    return safetensors_bytes(tensors, expected_shapes(h), metadata)
