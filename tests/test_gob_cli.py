"""Gob knowledge wherever a knowledge file goes: `wopr import-gob`, load_knowledge (paths and URLs), play, inspect,
evaluate (a giant file refused at once), and the browser bridge in CPython and under MicroPython-wasm in Node."""
import json
import random
import re
import time
from pathlib import Path

import pytest

from harness.browser import static_server
from harness.micropython import difference
from tests.support import gob_encoder as g
from tests.support.commands import cli, one_error_line, one_line, wopr
from tests.support.games import scripted_game
from wopr.runtime import gob
from wopr.runtime.format import KnowledgeError, sha256_hex
from wopr.runtime.knowledge import load
from wopr.sources import load_knowledge

FIXTURES = Path(__file__).parent / 'fixtures' / 'gob'


@pytest.fixture(scope='module')
def url():
    """The fixtures folder served over real HTTP on 127.0.0.1 (no trailing slash)."""
    with static_server(FIXTURES) as root:
        yield root.rstrip('/')


def test_import_gob_writes_the_converted_knowledge(tmp_path):
    out = tmp_path / 'h8.safetensors'
    result = cli('import-gob', FIXTURES / 'h8.bin', '-o', out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == gob.to_safetensors((FIXTURES / 'h8.bin').read_bytes())
    assert f'wrote {out}: hidden size 8, {out.stat().st_size} bytes' in one_line(result.output)
    assert load(out.read_bytes()).training['source'] == 'gob'


def test_import_gob_reads_urls(url, tmp_path):
    out = tmp_path / 'sub' / 'h4.safetensors'
    result = cli('import-gob', f'{url}/h4.bin', '--out', out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == gob.to_safetensors((FIXTURES / 'h4.bin').read_bytes())


@pytest.mark.parametrize('source, out, message', [
    ('input9.bin', 'x.safetensors', 'error: gob: InputSize is 9: wopr needs 18 inputs'),
    ('short-wi.bin', 'x.safetensors', 'Wi holds 71 weights, expected 72'),
    ('h4.json', 'x.safetensors', 'not a Go gob file'),
    ('missing.bin', 'x.safetensors', 'no such file'),
    ('{url}/missing.bin', 'x.safetensors', 'cannot fetch'),
    ('h4.bin', 'http://example.com/x.safetensors', 'cannot write to http://example.com/x.safetensors'),
])
def test_import_gob_errors_are_one_clear_line(source, out, message, url, tmp_path):
    source = source.format(url=url) if source.startswith('{') else str(FIXTURES / source)
    target = out if out.startswith('http') else str(tmp_path / out)
    assert message in one_error_line(cli('import-gob', source, '-o', target))
    assert list(tmp_path.iterdir()) == []


def test_import_gob_refuses_a_safetensors_file(tmp_path):
    knowledge = tmp_path / 'k.safetensors'
    knowledge.write_bytes(gob.to_safetensors((FIXTURES / 'h4.bin').read_bytes()))
    result = cli('import-gob', knowledge, '-o', tmp_path / 'again.safetensors')
    assert 'a safetensors file already' in one_error_line(result)


def test_load_knowledge_converts_gob_by_content(url, tmp_path):
    data = (FIXTURES / 'h8.bin').read_bytes()
    expected = load(gob.to_safetensors(data))
    renamed = tmp_path / 'looks-like.safetensors'
    renamed.write_bytes(data)
    for location in (FIXTURES / 'h8.bin', str(FIXTURES / 'h8.bin'), renamed, f'{url}/h8.bin'):
        knowledge = load_knowledge(location)
        assert knowledge.tensors == expected.tensors and knowledge.sha256 == expected.sha256
    # a safetensors file passes unchanged, whatever its name
    named_bin = tmp_path / 'knowledge.bin'
    named_bin.write_bytes(gob.to_safetensors(data))
    assert load_knowledge(named_bin).sha256 == sha256_hex(named_bin.read_bytes())
    with pytest.raises(KnowledgeError, match='InputSize is 9'):
        load_knowledge(FIXTURES / 'input9.bin')


def test_inspect_and_evaluate_take_a_gob_file():
    result = cli('inspect', FIXTURES / 'h8.bin')
    assert result.exit_code == 0, result.output
    assert 'github.com/owulveryck/lstm' in result.output and 'lstm.weight_ih_l0' in result.output
    result = cli('evaluate', FIXTURES / 'h4.bin', '--json', '--games', 10)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)['perfect'] is False  # seeded random weights play badly, as they should
    assert 'Wi holds 71 weights' in one_error_line(cli('evaluate', FIXTURES / 'short-wi.bin'))


def test_play_a_whole_game_against_a_gob_file():
    """The terminal game as a subprocess: the AI's moves are the imported knowledge's moves."""
    knowledge = load_knowledge(FIXTURES / 'h8.bin')
    inputs, ai, _ = scripted_game(knowledge, 'O', min)
    result = wopr('play', '--knowledge', FIXTURES / 'h8.bin', '--as', 'O',
                  script=''.join(f'{c}\n' for c in inputs) + 'n\n')
    assert result.returncode == 0, result.stderr
    assert [int(m) for m in re.findall(r'WOPR plays (\d)', result.stdout)] == ai


def test_the_bridge_loads_gob_and_keeps_the_game_on_a_bad_file(bridge):
    reply = bridge({'op': 'load', 'path': str(FIXTURES / 'h4.bin')})
    assert reply['ok'] and reply['knowledge']['training']['source'] == 'gob'
    before = bridge({'op': 'play', 'cell': 4})
    assert before['ok'] and before['state']['moves'][0] == 4
    reply = bridge({'op': 'load', 'path': str(FIXTURES / 'input9.bin')})
    assert reply == {'ok': False, 'error': 'gob: InputSize is 9: wopr needs 18 inputs (9 cells, X and O planes)',
                     'kind': 'KnowledgeError'}
    assert bridge({'op': 'state'}) == before


HOSTILE = g.uint(2 ** 64 - 1) + g.sint(-65)  # a message claiming 2**64-1 bytes: big numbers in MicroPython too


def hidden_64():
    """A gob file of the size the original's trainer used (hidden 64 here: thousands of floats per tensor)."""
    rng = random.Random(64)
    values = {'InputSize': 18, 'OutputSize': 9, 'HiddenSize': 64}
    for name, n in g.lengths(64).items():
        values[name] = [rng.gauss(0, 0.3) for _ in range(n)]
    return g.model_file(values)


@pytest.mark.parametrize('name, data', [(name, (FIXTURES / name).read_bytes()) for name in
                                        ('h4.bin', 'h8.bin', 'h4-bare.bin')] + [('h64.bin', hidden_64())])
def test_micropython_converts_and_plays_as_cpython(name, data, micropython, bridge, micropython_bridge, tmp_path):
    """The gob reader under MicroPython-wasm (the npm build the page loads): the same knowledge bytes (sha256),
    the same moves and probabilities as CPython over whole games on both sides."""
    path = str(tmp_path / name)
    (tmp_path / name).write_bytes(data)
    micropython.put('/data/' + name, data)
    ours, theirs = bridge({'op': 'load', 'path': path}), micropython_bridge({'op': 'load', 'path': '/data/' + name})
    assert theirs['ok'] and theirs['knowledge']['sha256'] == ours['knowledge']['sha256']
    assert difference(theirs, ours) is None, difference(theirs, ours)
    for human in ('X', 'O'):
        ours, theirs = bridge({'op': 'new', 'human': human}), micropython_bridge({'op': 'new', 'human': human})
        while not ours['state']['over']:
            assert difference(theirs, ours) is None, difference(theirs, ours)
            cell = ours['state']['board'].index('')
            ours, theirs = bridge({'op': 'play', 'cell': cell}), micropython_bridge({'op': 'play', 'cell': cell})
        assert difference(theirs, ours) is None, difference(theirs, ours)


@pytest.mark.parametrize('name, data', [
    ('input9.bin', (FIXTURES / 'input9.bin').read_bytes()),
    ('short-wi.bin', (FIXTURES / 'short-wi.bin').read_bytes()),
    ('truncated.bin', (FIXTURES / 'h8.bin').read_bytes()[:3000]),
    ('hostile.bin', HOSTILE),
    ('name.bin', g.define(65, g.SLICE_T, g.slice_type(b'\xff\xfe', 65, g.FLOAT))),
    ('nan.bin', g.model_file({**json.loads((FIXTURES / 'h4.json').read_text()), 'BiasY': [float('nan')] * 9})),
])
def test_micropython_refuses_broken_gob_as_cpython(name, data, micropython, bridge, micropython_bridge, tmp_path):
    (tmp_path / name).write_bytes(data)
    micropython.put('/data/' + name, data)
    ours = bridge({'op': 'load', 'path': str(tmp_path / name)})
    assert ours['ok'] is False and ours['error'].startswith('gob: ')
    assert micropython_bridge({'op': 'load', 'path': '/data/' + name}) == ours


def test_the_command_line_refuses_a_60_mb_file_at_once(tmp_path):
    """The review's file: 60 million floats (2.45 GB and 51 s before this fix), under the 64 MB file limit."""
    path = tmp_path / 'big.bin'
    path.write_bytes(g.claiming(60_000_000))
    started = time.perf_counter()
    message = one_error_line(cli('inspect', path))
    assert 'gob: Wi holds 60000000 weights, expected 72' in message
    assert time.perf_counter() - started < 5
