"""A minimal Go gob encoder for the tests: writes the 2018 original's knowledge layout, and any variant of it.

Written from encoding/gob's doc.go, independently of the reader under test; test_gob checks that it reproduces
the Go-written fixtures byte for byte before trusting it with broken and hostile variants.
"""
import struct

INT, UINT, FLOAT = 2, 3, 4
SIZES = ('InputSize', 'OutputSize', 'HiddenSize')
WEIGHTS = ('Wi', 'Ui', 'BiasI', 'Wf', 'Uf', 'BiasF', 'Wo', 'Uo', 'BiasO', 'Wc', 'Uc', 'BiasC', 'Wy', 'BiasY')
SLICE_T, STRUCT_T, MAP_T, GOB_ENCODER_T, BINARY_MARSHALER_T, TEXT_MARSHALER_T = 1, 2, 3, 4, 5, 6  # wireType fields
# The type ids Go gave in the fixtures: the Model (a BinaryMarshaler), the weights struct, []float32.
MODEL_ID, WEIGHTS_ID, FLOATS_ID = 65, 67, 68


def lengths(h):
    """How many weights each slice of the Model holds for hidden size h."""
    per_gate = {'W': 18 * h, 'U': h * h, 'B': h}
    return {n: 9 * h if n == 'Wy' else 9 if n == 'BiasY' else per_gate[n[0]] for n in WEIGHTS}


def uint(n):
    if n < 128:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([256 - len(raw)]) + raw


def sint(i):
    return uint(~i << 1 | 1 if i < 0 else i << 1)


def flt(x):
    """float64 bits with the bytes reversed, sent as an unsigned number."""
    return uint(int.from_bytes(struct.pack('<d', x), 'big'))


def string(s):
    s = s.encode() if isinstance(s, str) else s
    return uint(len(s)) + s


def struct_value(fields):
    """(field number, encoded value) pairs in increasing order, delta-coded, then the 0 terminator."""
    out, last = b'', -1
    for number, value in fields:
        out += uint(number - last) + value
        last = number
    return out + b'\x00'


def message(body):
    return uint(len(body)) + body


def common(name, tid):
    return struct_value(([(0, string(name))] if name else []) + [(1, sint(tid))])


def define(tid, kind, body):
    """A type definition message: (-id, wireType{kind: body})."""
    return message(sint(-tid) + struct_value([(kind, body)]))


def slice_type(name, tid, elem):
    return struct_value([(0, common(name, tid)), (1, sint(elem))])


def struct_type(name, tid, fields):
    field_list = uint(len(fields)) + b''.join(struct_value([(0, string(n)), (1, sint(t))]) for n, t in fields)
    return struct_value([(0, common(name, tid)), (1, field_list)])


def marshaler_type(tid):
    return struct_value([(0, common('', tid))])


def weights_value(values, names):
    """The weights struct's value; gob leaves out zero ints and empty slices."""
    fields = []
    for number, name in enumerate(names):
        v = values.get(name)
        if isinstance(v, int) and v:
            fields.append((number, sint(v)))
        elif isinstance(v, list) and v:
            fields.append((number, uint(len(v)) + b''.join(flt(x) for x in v)))
    return struct_value(fields)


def definitions(names=SIZES + WEIGHTS, field_types=None, floats_elem=FLOAT):
    """The type definitions MarshalBinary's encoder sends: the weights struct, then []float32."""
    field_types = field_types or {}
    fields = [(n, field_types.get(n, INT if n in SIZES else FLOATS_ID)) for n in names]
    return (define(WEIGHTS_ID, STRUCT_T, struct_type('backends', WEIGHTS_ID, fields))
            + define(FLOATS_ID, SLICE_T, slice_type('[]float32', FLOATS_ID, floats_elem)))


def inner(values, names=SIZES + WEIGHTS, **options):
    """What Model.MarshalBinary returns: the type definitions, then the weights."""
    return definitions(names, **options) + message(sint(WEIGHTS_ID) + weights_value(values, names))


def outer(payload, kind=BINARY_MARSHALER_T):
    """What gob.NewEncoder(f).Encode(model) writes: the Model's type, then its bytes as a singleton value."""
    # Go writes the marshaler's CommonType with no name and the id after its own (66 for type 65).
    return (define(MODEL_ID, kind, marshaler_type(MODEL_ID + 1))
            + message(sint(MODEL_ID) + uint(0) + string(payload)))


def model_file(values, **options):
    return outer(inner(values, **options))


NAMES = SIZES + WEIGHTS


def claiming(n, name='Wi', sizes=(18, 9, 4), names=NAMES):
    """A Model whose sizes are `sizes` and whose slice `name` declares n floats and holds them, all zero."""
    fields = sorted([(names.index(s), sint(v)) for s, v in zip(SIZES, sizes)]
                    + [(names.index(name), uint(n) + bytes(n))])
    return outer(definitions(names) + message(sint(WEIGHTS_ID) + struct_value(fields)))
