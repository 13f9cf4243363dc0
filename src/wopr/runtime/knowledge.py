"""Read and validate a knowledge file (safetensors + wopr metadata) without numpy or torch."""
import hashlib
import json
import math
import struct

FORMAT = 'wopr.knowledge/1'
ENCODING = 'ttt-planes/1'
MAX_HEADER = 100 * 1024 * 1024  # the safetensors reference refuses larger headers too
MAX_HIDDEN = 1024
DTYPES = {'F32': (4, 'f'), 'F16': (2, 'e')}
INPUTS, OUTPUTS = 18, 9
FLOAT64_MAX = 1.7976931348623157e308


class KnowledgeError(ValueError):
    """Anything wrong with a knowledge file; the message is meant for a person."""


def expected_shapes(hidden):
    """The contract: tensor names and shapes of nn.LSTM(18, H) + nn.Linear(H, 9)."""
    return {
        'lstm.weight_ih_l0': [4 * hidden, INPUTS],
        'lstm.weight_hh_l0': [4 * hidden, hidden],
        'lstm.bias_ih_l0': [4 * hidden],
        'lstm.bias_hh_l0': [4 * hidden],
        'head.weight': [OUTPUTS, hidden],
        'head.bias': [OUTPUTS],
    }


def sha256_hex(data):
    return ''.join(f'{b:02x}' for b in hashlib.sha256(data).digest())


def _product(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _header(data):
    if len(data) < 8:
        raise KnowledgeError(f'file too short ({len(data)} bytes): not a safetensors file')
    n = struct.unpack_from('<Q', data, 0)[0]
    if n > MAX_HEADER:
        raise KnowledgeError(f'header claims {n} bytes, over the 100 MB limit: not a knowledge file')
    if 8 + n > len(data):
        raise KnowledgeError(f'header length {n} runs past the end of the file ({len(data)} bytes): truncated?')
    try:
        header = json.loads(bytes(data[8:8 + n]).decode('utf-8'))
    except Exception:  # noqa: BLE001 (bad UTF-8, bad JSON, or nesting deep enough to exhaust the parser)
        raise KnowledgeError('header is not valid JSON: not a safetensors file') from None
    if type(header) is not dict:
        raise KnowledgeError('header is not a JSON object')
    return header, 8 + n


def _metadata(header):
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
    # ASCII digits only, few of them: str.isdigit() admits '³' (which int() refuses) and int() refuses 4300+ digits
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


def _entries(header, data_len):
    """Check each tensor's entry and that the offsets tile the data exactly, as safetensors does."""
    spans = []
    for name, entry in header.items():
        if type(entry) is not dict:
            raise KnowledgeError(f'tensor {name!r}: entry is not a JSON object')
        dtype, shape, offsets = entry.get('dtype'), entry.get('shape'), entry.get('data_offsets')
        if type(dtype) is not str or dtype not in DTYPES:  # a list would not even hash
            raise KnowledgeError(f'tensor {name!r}: dtype {dtype!r} not supported (F32 or F16)')
        if type(shape) is not list or any(type(d) is not int or d < 0 for d in shape):
            raise KnowledgeError(f'tensor {name!r}: shape {shape!r} is not a list of sizes')
        if (type(offsets) is not list or len(offsets) != 2
                or any(type(o) is not int or o < 0 for o in offsets) or offsets[0] > offsets[1]):
            raise KnowledgeError(f'tensor {name!r}: data_offsets {offsets!r} are not [begin, end]')
        if offsets[1] - offsets[0] != _product(shape) * DTYPES[dtype][0]:
            raise KnowledgeError(f'tensor {name!r}: {offsets[1] - offsets[0]} bytes of data do not fit shape {shape!r}'
                                 f' in {dtype}')
        spans.append((offsets[0], offsets[1], name))
    spans.sort()
    at = 0
    for begin, end, name in spans:
        if begin < at:
            raise KnowledgeError(f'tensor {name!r} overlaps the tensor before it (offset {begin} < {at})')
        if begin > at:
            raise KnowledgeError(f'gap before tensor {name!r} (offset {begin}, expected {at})')
        at = end
    if at > data_len:
        raise KnowledgeError(f'tensor data ends at byte {at} but the file holds only {data_len}: truncated?')
    if at < data_len:
        raise KnowledgeError(f'{data_len - at} unexpected bytes after the last tensor')


def _values(data, start, entry, name):
    width, code = DTYPES[entry['dtype']]
    begin, end = entry['data_offsets']
    layout, at = f'<{(end - begin) // width}{code}', start + begin
    values = struct.unpack_from(layout, data, at)  # a tuple: list() would copy it item by item in MicroPython
    # Finiteness by comparisons in C, no float made per value (a sum took 10 ms of the page's start for 16K weights):
    # NaN is the one value unequal to itself, so a second unpack (new float objects, no identity shortcut) differs
    # exactly where a NaN is; infinities are counted.
    if values != struct.unpack_from(layout, data, at) or values.count(math.inf) or values.count(-math.inf):
        raise KnowledgeError(f'tensor {name!r} holds a NaN or infinite weight')
    return values


class Knowledge:
    """A validated knowledge file: flat row-major weights (tuples of floats) by tensor name, plus its metadata."""

    def __init__(self, data):
        header, start = _header(data)
        self.metadata, self.hidden_size, parsed = _metadata(header)
        self.training = parsed.get('training', {})
        self.history = parsed.get('history', [])
        self.evaluation = parsed.get('evaluation', {})
        _entries(header, len(data) - start)
        shapes = expected_shapes(self.hidden_size)
        for name in sorted(header):
            if name not in shapes:
                raise KnowledgeError(f"unexpected tensor {name!r} (a wopr knowledge file holds exactly"
                                     f" {', '.join(sorted(shapes))})")
        self.tensors, self.dtypes = {}, {}
        for name in sorted(shapes):
            if name not in header:
                raise KnowledgeError(f'missing tensor {name!r}')
            if header[name]['shape'] != shapes[name]:
                raise KnowledgeError(f"tensor {name!r} has shape {header[name]['shape']!r}, expected {shapes[name]!r}"
                                     f' for hidden_size {self.hidden_size}')
            self.tensors[name] = _values(data, start, header[name], name)
            self.dtypes[name] = header[name]['dtype']
        self.nbytes = len(data)
        self.sha256 = sha256_hex(data)

    def summary(self):
        """What a user is shown about this knowledge (JSON-ready)."""
        return {
            'sha256': self.sha256, 'bytes': self.nbytes, 'hidden_size': self.hidden_size,
            'dtype': self.dtypes['lstm.weight_hh_l0'], 'metadata': self.metadata,
            'training': self.training, 'history': self.history, 'evaluation': self.evaluation,
        }


def read(data):
    """Parse knowledge bytes; raises KnowledgeError for anything that is not valid knowledge."""
    if not isinstance(data, (bytes, bytearray)):
        raise KnowledgeError(f'knowledge must be bytes, got {type(data).__name__}')
    return Knowledge(data)


def is_safetensors(data):
    """Told by content: a header length that fits the file, then the JSON header's opening brace."""
    if len(data) < 9 or data[8] != 0x7b:  # '{' opens the JSON header
        return False
    return 8 + struct.unpack_from('<Q', data, 0)[0] <= len(data)


def load(data):
    """Knowledge from bytes: a safetensors file, or a 2018 Go gob file converted on the way (told by content)."""
    if isinstance(data, (bytes, bytearray)) and not is_safetensors(data):  # read() refuses anything but bytes
        from .gob import knowledge_bytes  # a third of the runtime's source: the browser compiles it only if needed
        data = knowledge_bytes(data)
    return read(data)
