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
    return ''.join('%02x' % b for b in hashlib.sha256(data).digest())


def _product(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _header(data):
    if len(data) < 8:
        raise KnowledgeError('file too short (%d bytes): not a safetensors file' % len(data))
    n = struct.unpack_from('<Q', data, 0)[0]
    if n > MAX_HEADER:
        raise KnowledgeError('header claims %d bytes, over the 100 MB limit: not a knowledge file' % n)
    if 8 + n > len(data):
        raise KnowledgeError('header length %d runs past the end of the file (%d bytes): truncated?' % (n, len(data)))
    try:
        header = json.loads(bytes(data[8:8 + n]).decode('utf-8'))
    except Exception:  # bad UTF-8, bad JSON, or nesting deep enough to exhaust the parser
        raise KnowledgeError('header is not valid JSON: not a safetensors file')
    if type(header) is not dict:
        raise KnowledgeError('header is not a JSON object')
    return header, 8 + n


def _metadata(header):
    meta = header.pop('__metadata__', None)
    if meta is None:
        raise KnowledgeError('no __metadata__: a plain safetensors file, not wopr knowledge (format %s)' % FORMAT)
    if type(meta) is not dict or any(type(k) is not str or type(v) is not str for k, v in meta.items()):
        raise KnowledgeError('__metadata__ must map strings to strings')
    if meta.get('format') != FORMAT:
        raise KnowledgeError('unknown format version %r (this wopr reads %s)' % (meta.get('format'), FORMAT))
    if meta.get('encoding') != ENCODING:
        raise KnowledgeError('unknown input encoding %r (this wopr reads %s)' % (meta.get('encoding'), ENCODING))
    hidden = meta.get('hidden_size', '')
    if not hidden.isdigit() or not 1 <= int(hidden) <= MAX_HIDDEN:
        raise KnowledgeError('hidden_size %r is not a whole number from 1 to %d' % (hidden, MAX_HIDDEN))
    parsed = {}
    for key in ('training', 'history', 'evaluation'):
        if key in meta:
            try:
                parsed[key] = json.loads(meta[key])
            except Exception:
                raise KnowledgeError('metadata %r is not valid JSON' % key)
    return meta, int(hidden), parsed


def _entries(header, data_len):
    """Check each tensor's entry and that the offsets tile the data exactly, as safetensors does."""
    spans = []
    for name, entry in header.items():
        if type(entry) is not dict:
            raise KnowledgeError('tensor %r: entry is not a JSON object' % name)
        dtype, shape, offsets = entry.get('dtype'), entry.get('shape'), entry.get('data_offsets')
        if dtype not in DTYPES:
            raise KnowledgeError('tensor %r: dtype %r not supported (F32 or F16)' % (name, dtype))
        if type(shape) is not list or any(type(d) is not int or d < 0 for d in shape):
            raise KnowledgeError('tensor %r: shape %r is not a list of sizes' % (name, shape))
        if (type(offsets) is not list or len(offsets) != 2
                or any(type(o) is not int or o < 0 for o in offsets) or offsets[0] > offsets[1]):
            raise KnowledgeError('tensor %r: data_offsets %r are not [begin, end]' % (name, offsets))
        if offsets[1] - offsets[0] != _product(shape) * DTYPES[dtype][0]:
            raise KnowledgeError('tensor %r: %d bytes of data do not fit shape %r in %s'
                                 % (name, offsets[1] - offsets[0], shape, dtype))
        spans.append((offsets[0], offsets[1], name))
    spans.sort()
    at = 0
    for begin, end, name in spans:
        if begin < at:
            raise KnowledgeError('tensor %r overlaps the tensor before it (offset %d < %d)' % (name, begin, at))
        if begin > at:
            raise KnowledgeError('gap before tensor %r (offset %d, expected %d)' % (name, begin, at))
        at = end
    if at > data_len:
        raise KnowledgeError('tensor data ends at byte %d but the file holds only %d: truncated?' % (at, data_len))
    if at < data_len:
        raise KnowledgeError('%d unexpected bytes after the last tensor' % (data_len - at))


def _values(data, start, entry, name):
    width, code = DTYPES[entry['dtype']]
    begin, end = entry['data_offsets']
    values = list(struct.unpack_from('<%d%s' % ((end - begin) // width, code), data, start + begin))
    for v in values:
        if math.isnan(v) or math.isinf(v):
            raise KnowledgeError('tensor %r holds a NaN or infinite weight' % name)
    return values


class Knowledge:
    """A validated knowledge file: flat row-major weights by tensor name, plus its metadata."""

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
                raise KnowledgeError('unexpected tensor %r (a wopr knowledge file holds exactly %s)'
                                     % (name, ', '.join(sorted(shapes))))
        self.tensors, self.dtypes = {}, {}
        for name in sorted(shapes):
            if name not in header:
                raise KnowledgeError('missing tensor %r' % name)
            if header[name]['shape'] != shapes[name]:
                raise KnowledgeError('tensor %r has shape %r, expected %r for hidden_size %d'
                                     % (name, header[name]['shape'], shapes[name], self.hidden_size))
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
        raise KnowledgeError('knowledge must be bytes, got %s' % type(data).__name__)
    return Knowledge(data)
