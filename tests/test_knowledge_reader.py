"""The knowledge reader: files written by the safetensors library, a corpus of broken files, and a fuzz test."""
import hashlib
import json
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import load_file
from safetensors.numpy import save_file as save_numpy

from tests.support.knowledge_files import contract_metadata, make_knowledge, make_model, write_knowledge
from wopr.runtime.format import FORMAT, KnowledgeError, expected_shapes
from wopr.runtime.knowledge import Knowledge, load

HIDDEN = 3


def split(data):
    """A safetensors file as (header dict, tensor bytes)."""
    n = struct.unpack_from('<Q', data)[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def pack(header, body=b''):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack('<Q', len(text)) + text + body


@pytest.fixture(scope='module')
def valid(tmp_path_factory):
    """A small valid F32 knowledge file's bytes."""
    return make_knowledge(tmp_path_factory.mktemp('k'), hidden=HIDDEN, seed=3).read_bytes()


@pytest.mark.parametrize('dtype', ['F32', 'F16'])
@pytest.mark.parametrize('hidden', [1, 8, 64])
def test_reads_what_safetensors_writes(tmp_path, dtype, hidden):
    path = make_knowledge(tmp_path, hidden=hidden, dtype=dtype, seed=hidden)
    k = load(path.read_bytes())
    reference = load_file(str(path))
    assert set(k.tensors) == set(reference) == set(expected_shapes(hidden))
    for name, array in reference.items():
        assert list(array.shape) == expected_shapes(hidden)[name]
        assert list(k.tensors[name]) == array.astype(np.float64).ravel().tolist()  # exact, F16 included
        assert k.dtypes[name] == dtype
    assert k.hidden_size == hidden
    assert k.metadata['format'] == FORMAT and k.training == {'seed': hidden}
    assert k.history == [] and k.evaluation == {}
    assert k.nbytes == path.stat().st_size
    assert k.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    summary = k.summary()
    assert summary['dtype'] == dtype and summary['hidden_size'] == hidden
    json.dumps(summary)


def test_reads_a_file_written_by_safetensors_numpy_with_bare_metadata(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in expected_shapes(5).items()}
    save_numpy(arrays, str(tmp_path / 'k.safetensors'), metadata=contract_metadata(5))
    k = load((tmp_path / 'k.safetensors').read_bytes())
    assert list(k.tensors['lstm.weight_hh_l0']) == arrays['lstm.weight_hh_l0'].astype(np.float64).ravel().tolist()
    assert (k.training, k.history, k.evaluation) == ({}, [], {})
    assert load(bytearray((tmp_path / 'k.safetensors').read_bytes())).sha256 == k.sha256


def with_tensor(tmp_path, name, value, hidden=HIDDEN, metadata=None):
    """A file whose tensor `name` is replaced by `value` (None drops it), written by safetensors.torch."""
    tensors = dict(make_model(hidden, seed=1).state_dict())
    if value is None:
        del tensors[name]
    else:
        tensors[name] = value
    return write_knowledge(tmp_path / 'k.safetensors', tensors, metadata or contract_metadata(hidden)).read_bytes()


def edited(valid, edit):
    """The valid file with its header changed by edit(header) (tensor bytes kept)."""
    header, body = split(valid)
    edit(header)
    return pack(header, body)


def offsets(name, begin, end):
    def edit(header):
        header[name]['data_offsets'] = [begin, end]
    return edit


def first_two(valid):
    """The names of the first two tensors in the file's data, by offset."""
    header, _ = split(valid)
    return sorted((v['data_offsets'], k) for k, v in header.items() if k != '__metadata__')[:2]


def history(valid, text):
    return edited(valid, lambda h: h['__metadata__'].update(history=text))


def broken_files(valid, tmp_path):
    """(what, bytes, expected message fragment) for every way a file can be broken."""
    import torch
    (_, a), ((b0, b1), b) = first_two(valid)
    header, body = split(valid)
    nan = torch.zeros(9)
    nan[4] = float('nan')
    inf = torch.zeros(9)
    inf[0] = float('-inf')
    return [
        ('empty', b'', 'file too short (0 bytes)'),
        ('seven bytes', b'\x10\0\0\0\0\0\0', 'file too short (7 bytes)'),
        ('truncated data', valid[:-5], 'but the file holds only'),
        ('truncated header', valid[:40], 'runs past the end of the file (40 bytes)'),
        ('header length past the end', struct.pack('<Q', 1000) + b'{}', 'header length 1000 runs past the end'),
        ('header over 128 KB', struct.pack('<Q', 128 * 1024 + 1) + b'{}', 'over the 128 KB limit'),
        ('header length 2^64-1', b'\xff' * 8 + b'{}', 'over the 128 KB limit'),
        ('non-JSON header', pack(b'{"a": 1,,}'), 'header is not valid JSON'),
        ('header not UTF-8', pack(b'{"\xff": 1}'), 'header is not valid JSON'),
        ('header a list', pack(b'[1, 2]'), 'header is not a JSON object'),
        ('header a string', pack(b'"x"'), 'header is not a JSON object'),
        ('no metadata', pack({k: v for k, v in header.items() if k != '__metadata__'}, body), 'no __metadata__'),
        ('metadata not strings', edited(valid, lambda h: h['__metadata__'].update(hidden_size=3)),
         'must map strings to strings'),
        ('unknown format version', edited(valid, lambda h: h['__metadata__'].update(format='wopr.knowledge/2')),
         "unknown format version 'wopr.knowledge/2'"),
        ('no format', edited(valid, lambda h: h['__metadata__'].pop('format')), 'unknown format version None'),
        ('unknown encoding', edited(valid, lambda h: h['__metadata__'].update(encoding='planes-o-first')),
         "unknown input encoding 'planes-o-first'"),
        ('no hidden size', edited(valid, lambda h: h['__metadata__'].pop('hidden_size')), "hidden_size ''"),
        ('hidden size words', edited(valid, lambda h: h['__metadata__'].update(hidden_size='three')),
         "hidden_size 'three' is not a whole number"),
        ('hidden size superscript', edited(valid, lambda h: h['__metadata__'].update(hidden_size='\u00b3')),
         'is not a whole number'),
        ('hidden size huge', edited(valid, lambda h: h['__metadata__'].update(hidden_size='9' * 5000)),
         'is not a whole number from 1 to 1024'),
        ('training not JSON', edited(valid, lambda h: h['__metadata__'].update(training='{oops')),
         'metadata training is not valid JSON'),
        ('history not a list', edited(valid, lambda h: h['__metadata__'].update(history='5')),
         'metadata history is the number 5: expected a list'),
        # stored column by column: {key: [value per entry]}
        ('history columns of two lengths', history(valid, '{"epoch":[1,2],"loss":[1]}'),
         'metadata history.loss holds 1 entries, the columns before it 2: a column holds one value per entry'),
        ('history column not a list', history(valid, '{"epoch":5}'),
         'metadata history.epoch is the number 5: expected a list (a column)'),
        ('history column of a wrong value', history(valid, '{"epoch":[1,"x"]}'),
         'metadata history[1].epoch is a string of 1 characters: expected a whole number, 0 or more'),
        ('history column too long', history(valid, json.dumps({'loss': [0] * 501})),
         'metadata history.loss holds 501 entries, over the limit of 500'),
        ('evaluation not an object', edited(valid, lambda h: h['__metadata__'].update(evaluation='[1]')),
         'metadata evaluation is a list: expected an object'),
        ('NaN in metadata', edited(valid, lambda h: h['__metadata__'].update(training='{"lr": NaN}')),
         'metadata training is not valid JSON: NaN is not a JSON number at byte 7'),
        ('overlapping offsets', edited(valid, offsets(b, b0 - 4, b1 - 4)), f'tensor {b!r} overlaps'),
        ('gapped offsets', edited(valid, offsets(b, b0 + 4, b1 + 4)), f'gap before tensor {b!r}'),
        ('offsets out of range', edited(valid, offsets(b, b0 + len(body), b1 + len(body))),
         f'(offset {b1}, expected {b0})'),  # the tensor after the moved one now follows a hole
        ('offsets past the end', edited(valid, run_past_the_end), f'ends at byte {len(body) + 36} but the file holds'),
        ('offsets reversed', edited(valid, offsets(a, 8, 0)), 'are not [begin, end]'),
        ('offsets not numbers', edited(valid, offsets(a, '0', 8)), 'are not [begin, end]'),
        ('trailing bytes', valid + b'\0' * 8, '8 unexpected bytes after the last tensor'),
        ('unknown dtype', edited(valid, lambda h: h[a].update(dtype='I32')), "dtype 'I32' not supported"),
        ('dtype not a string', edited(valid, lambda h: h[a].update(dtype=['F32'])), "dtype ['F32'] not supported"),
        ('F64 tensor', with_tensor(tmp_path, 'head.bias', torch.zeros(9, dtype=torch.float64)),
         "dtype 'F64' not supported"),
        ('entry not an object', edited(valid, lambda h: h.update({a: [1]})), 'entry is not a JSON object'),
        ('shape not sizes', edited(valid, lambda h: h[a].update(shape=[-1])), 'is not a list of sizes'),
        ('size does not fit shape', edited(valid, lambda h: h[a].update(shape=h[a]['shape'] + [2])),
         'bytes of data do not fit shape'),
        ('wrong shape', with_tensor(tmp_path, 'head.weight', torch.zeros(HIDDEN, 9)),
         f"tensor 'head.weight' has shape [{HIDDEN}, 9], expected [9, {HIDDEN}]"),
        ('shape of another hidden size', with_tensor(tmp_path, 'lstm.weight_hh_l0', torch.zeros(16, 4)),
         "'lstm.weight_hh_l0' has shape [16, 4]"),
        ('missing tensor', with_tensor(tmp_path, 'lstm.bias_hh_l0', None), "missing tensor 'lstm.bias_hh_l0'"),
        ('extra tensor', with_tensor(tmp_path, 'lstm.weight_ih_l1', torch.zeros(4)),
         "unexpected tensor 'lstm.weight_ih_l1'"),
        ('NaN weight', with_tensor(tmp_path, 'head.bias', nan), "tensor 'head.bias' holds a NaN or infinite"),
        ('infinite weight', with_tensor(tmp_path, 'head.bias', inf), 'holds a NaN or infinite weight'),
        ('F16 overflow to inf', with_tensor(tmp_path, 'head.bias', torch.full((9,), 1e6).half()),
         'holds a NaN or infinite weight'),
        ('not bytes', 'a string', 'knowledge must be bytes, got str'),
    ]


def run_past_the_end(header):
    """The last tensor claims 9 more F32 values than the file holds, its offsets consistent with its shape."""
    (begin, end), name = max((v['data_offsets'], k) for k, v in header.items() if k != '__metadata__')
    header[name].update(shape=[(end - begin) // 4 + 9], data_offsets=[begin, end + 36])


def test_broken_files_each_give_their_message(valid, tmp_path):
    seen = set()
    for what, data, message in broken_files(valid, tmp_path):
        with pytest.raises(KnowledgeError) as caught:
            load(data)
        assert message in str(caught.value), (what, str(caught.value))
        seen.add(what)
    assert len(seen) == len(broken_files(valid, tmp_path))


def test_valid_file_round_trips_through_split_and_pack(valid):
    """The corpus' edits start from a file that still reads once re-packed (so each edit is the only fault)."""
    assert isinstance(load(pack(*split(valid))), Knowledge)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@st.composite
def mutations(draw, valid):
    data = bytearray(valid)
    header_end = 8 + struct.unpack_from('<Q', valid)[0]
    kind = draw(st.sampled_from(['flip', 'truncate', 'header edit', 'header bytes', 'splice']))
    if kind == 'flip':
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= 1 << draw(st.integers(0, 7))
    elif kind == 'truncate':
        data = data[:draw(st.integers(0, len(data) - 1))]
    elif kind == 'header bytes':  # flips concentrated where the structure is
        at = draw(st.integers(0, header_end - 1))
        data[at] = draw(st.integers(0, 255))
    elif kind == 'splice':
        at = draw(st.integers(0, len(data)))
        data[at:at + draw(st.integers(0, 16))] = draw(st.binary(max_size=16))
    else:
        header, body = split(bytes(valid))
        keys = sorted(header)
        key = draw(st.sampled_from(keys))
        target = header[key]
        field = draw(st.sampled_from(sorted(target) + ['new']))
        if draw(st.booleans()):
            target[field] = draw(json_values)
        else:
            header[key] = draw(json_values)
        data = pack(header, body)
    return bytes(data)


def test_fuzz_the_reader_raises_only_knowledge_errors(valid):
    @settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
    @given(mutations(valid))
    def check(data):
        try:
            load(data)
        except KnowledgeError as e:
            assert str(e)
    check()
