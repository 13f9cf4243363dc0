"""Knowledge from bytes: one door, load(), that validates a safetensors file (or converts a 2018 gob file first)."""
import math
import struct

from .format import DTYPES, MAX_HEADER, KnowledgeError, expected_shapes, is_safetensors, sha256_hex
from .jsonstrict import parse, shown
from .metadata import FIGURES, SCHEMAS, curve, read_metadata, setting_words

FIELDS = ('data_offsets', 'dtype', 'shape')  # all a tensor's entry holds
SIZE = 2 ** 64  # shapes and offsets are usize to safetensors (u64 here); so is the number of elements


def _sizes(values):
    return type(values) is list and all(type(v) is int and 0 <= v < SIZE for v in values)


def _product(shape, where):
    n = 1
    for d in shape:
        n *= d
        if n >= SIZE:  # as safetensors' checked multiplication: refused on the way, whatever dimension follows
            raise KnowledgeError(f'{where}: shape {shown(shape)} holds more elements than 64 bits count')
    return n


def _header(data):
    if len(data) < 8:
        raise KnowledgeError(f'file too short ({len(data)} bytes): not a safetensors file')
    n = struct.unpack_from('<Q', data, 0)[0]
    if n > MAX_HEADER:
        raise KnowledgeError(f'header claims {n} bytes, over the {MAX_HEADER // 1024} KB limit: not a knowledge file')
    if 8 + n > len(data):
        raise KnowledgeError(f'header length {n} runs past the end of the file ({len(data)} bytes): truncated?')
    header = parse(bytes(data[8:8 + n]), 'header')  # the grammar decided here, not by the host's json
    if type(header) is not dict:
        raise KnowledgeError('header is not a JSON object')
    if data[8] != 0x7b:
        raise KnowledgeError("header does not start with '{' as safetensors' format asks (it starts with whitespace)")
    return header, 8 + n


def _entries(header, data_len):
    """Check each tensor's entry, in name order (the first fault named is the same in every interpreter), and that the
    offsets tile the data exactly, as safetensors does."""
    spans = []
    for name in sorted(header):
        entry, where = header[name], f'tensor {shown(name)}'
        if type(entry) is not dict:
            raise KnowledgeError(f'{where}: entry is not a JSON object')
        unknown = sorted(k for k in entry if k not in FIELDS)
        if unknown:
            raise KnowledgeError(f'{where}: unknown field {shown(unknown[0])} (an entry holds dtype, shape and'
                                 ' data_offsets only)')
        dtype, shape, offsets = entry.get('dtype'), entry.get('shape'), entry.get('data_offsets')
        if type(dtype) is not str or dtype not in DTYPES:  # type first: only a string can be a key of DTYPES
            raise KnowledgeError(f'{where}: dtype {shown(dtype)} not supported (F32 or F16)')
        if not _sizes(shape):
            raise KnowledgeError(f'{where}: shape {shown(shape)} is not a list of sizes')
        if not _sizes(offsets) or len(offsets) != 2 or offsets[0] > offsets[1]:
            raise KnowledgeError(f'{where}: data_offsets {shown(offsets)} are not [begin, end]')
        if offsets[1] - offsets[0] != _product(shape, where) * DTYPES[dtype][0]:
            raise KnowledgeError(f'{where}: {offsets[1] - offsets[0]} bytes of data do not fit shape {shown(shape)}'
                                 f' in {dtype}')
        spans.append((offsets[0], offsets[1], name))
    spans.sort()
    at = 0
    for begin, end, name in spans:
        if begin < at:
            raise KnowledgeError(f'tensor {shown(name)} overlaps the tensor before it (offset {begin} < {at})')
        if begin > at:
            raise KnowledgeError(f'gap before tensor {shown(name)} (offset {begin}, expected {at})')
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
        raise KnowledgeError(f'tensor {shown(name)} holds a NaN or infinite weight')
    return values


class ImporterMissing(KnowledgeError):
    """A file that is not safetensors, where the runtime was installed without the gob importer (the page's worker
    installs it on this answer and loads the file again)."""


class Knowledge:
    """Validated knowledge, made by load(): flat row-major weights (tuples of floats) by tensor name, the metadata,
    and `data`, the safetensors bytes they were read from (what a site publishes)."""

    def __init__(self, data, source):
        header, start = _header(data)
        self.metadata, self.hidden_size, parsed = read_metadata(header)
        self.training = parsed.get('training', {})
        self.history = parsed.get('history', [])
        self.evaluation = parsed.get('evaluation', {})
        _entries(header, len(data) - start)
        shapes = expected_shapes(self.hidden_size)
        for name in sorted(header):
            if name not in shapes:
                raise KnowledgeError(f"unexpected tensor {shown(name)} (a wopr knowledge file holds exactly"
                                     f" {', '.join(sorted(shapes))})")
        self.tensors, self.dtypes = {}, {}
        for name in sorted(shapes):
            if name not in header:
                raise KnowledgeError(f'missing tensor {shown(name)}')
            if header[name]['shape'] != shapes[name]:
                raise KnowledgeError(f"tensor {shown(name)} has shape {shown(header[name]['shape'])}, expected"
                                     f' {shown(shapes[name])} for hidden_size {self.hidden_size}')
            self.tensors[name] = _values(data, start, header[name], name)
            self.dtypes[name] = header[name]['dtype']
        self.data, self.source = data, source
        self.nbytes = len(data)
        self.sha256 = sha256_hex(data)

    def plain_metadata(self):
        """The metadata's plain strings: all but the JSON ones (training, history, evaluation), read as validated."""
        return {k: v for k, v in self.metadata.items() if k not in SCHEMAS}

    def summary(self):
        """What a user is shown about this knowledge (JSON-ready)."""
        return {
            'sha256': self.sha256, 'bytes': self.nbytes, 'hidden_size': self.hidden_size,
            'dtype': self.dtypes['lstm.weight_hh_l0'],
            'metadata': self.plain_metadata(),
            'training': self.training, 'settings': setting_words(self.training), 'history': self.history,
            'curve': curve(self.history),
            'evaluation': self.evaluation, 'figures': FIGURES,
        }


def load(data):
    """Knowledge from bytes, told by content once: a safetensors file, or a 2018 Go gob file converted on the way.
    Raises KnowledgeError, with a message for a person, for anything else."""
    if not isinstance(data, (bytes, bytearray)):
        raise KnowledgeError(f'knowledge must be bytes, got {type(data).__name__}')
    if not is_safetensors(data):
        try:  # a third of the runtime's source: compiled only for a gob file, and the page fetches it only then
            from .gob import NotGob, to_safetensors
        except ImportError:
            raise ImporterMissing('this file is not safetensors, and the 2018 gob importer is not installed') from None
        try:
            return Knowledge(to_safetensors(data), 'gob')
        except NotGob:
            pass  # neither kind: the safetensors reader says what is wrong with it
    return Knowledge(data, 'safetensors')
