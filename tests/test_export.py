"""`wopr export`: the ONNX model checked under onnxruntime against the pure-Python runtime and torch, the model card
and its curve (metadata treated as untrusted), and the error paths (one line, nothing half-written)."""
import json
import os
import random
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import yaml
from markdown_it import MarkdownIt

from tests.support.commands import cli, one_error_line, one_line
from tests.support.knowledge_files import contract_metadata, lying_files, make_knowledge, make_model, write_knowledge
from wopr.evaluate import RuntimePolicy, play_strength
from wopr.export.card import card_files, curve_series, curve_svg
from wopr.export.onnx import OPSET, policy
from wopr.runtime.board import encode, is_over, legal_moves, new_board, to_move
from wopr.runtime.lstm import Network
from wopr.runtime.metadata import history_axis
from wopr.sources import DEFAULT, KNOWLEDGE_DIR, load_knowledge, write_files

GOB = Path(__file__).parent / 'fixtures' / 'gob'
GAMES = 128
TOLERANCE = 1e-5


def random_games(n=GAMES, seed=0):
    """n games of random legal moves, each as its inputs: the empty board, then the board after every move."""
    rng, games = random.Random(seed), []
    for _ in range(n):
        board = new_board()
        steps = [encode(board)]
        while not is_over(board):
            board[rng.choice(legal_moves(board))] = to_move(board)
            steps.append(encode(board))
        games.append(steps)
    return games


def runtime_probs(knowledge, steps):
    net, out = Network(knowledge), []
    state = net.start()
    for x in steps:
        state, p = net.step(state, x)
        out.append(p)
    return np.array(out)


def knowledge_sources(directory):
    return {'f32': make_knowledge(directory, hidden=32, scale=3.0),
            'f16': make_knowledge(directory, hidden=16, dtype='F16', seed=1, scale=3.0),
            'gob-h4': GOB / 'h4.bin', 'gob-h8': GOB / 'h8.bin', 'shipped-default': DEFAULT}


@pytest.mark.parametrize('kind', ['f32', 'f16', 'gob-h4', 'gob-h8', 'shipped-default'])
def test_onnx_matches_the_runtime_and_torch_on_128_games(kind, tmp_path):
    source = knowledge_sources(tmp_path)[kind]
    out = tmp_path / 'model.onnx'
    result = cli('export', source, '--format', 'onnx', '-o', out)
    assert result.exit_code == 0, result.output
    knowledge = load_knowledge(source)
    session = ort.InferenceSession(str(out), providers=['CPUExecutionProvider'])
    torch_policy = policy(knowledge)
    vs_runtime = vs_torch = 0.0
    for steps in random_games():
        got = session.run(None, {'boards': np.array(steps, np.float32)})[0]
        assert got.shape == (len(steps), 9) and got.dtype == np.float32
        vs_runtime = max(vs_runtime, float(np.abs(got - runtime_probs(knowledge, steps)).max()))
        with torch.no_grad():
            vs_torch = max(vs_torch, float(np.abs(got - torch_policy(torch.tensor(steps)).numpy()).max()))
    print(f'{kind}: max |dp| vs runtime {vs_runtime:.2e}, vs torch {vs_torch:.2e}')
    assert vs_runtime <= TOLERANCE and vs_torch <= TOLERANCE


def test_onnx_graph_has_a_dynamic_steps_axis_one_lstm_and_the_metadata(tmp_path):
    out = tmp_path / 'default.onnx'
    assert cli('export', DEFAULT, '--format', 'onnx', '-o', out).exit_code == 0
    model = onnx.load(out)
    onnx.checker.check_model(model, full_check=True)
    assert [(o.domain, o.version) for o in model.opset_import] == [('', OPSET)] and OPSET >= 17

    def dims(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
    assert [(v.name, dims(v)) for v in model.graph.input] == [('boards', ['steps', 18])]
    assert [(v.name, dims(v)) for v in model.graph.output] == [('probs', ['steps', 9])]
    assert [n.op_type for n in model.graph.node].count('LSTM') == 1
    knowledge = load_knowledge(DEFAULT)
    props = {p.key: p.value for p in model.metadata_props}
    assert props == {**{k: knowledge.metadata[k] for k in ('format', 'encoding', 'hidden_size', 'training',
                                                           'evaluation')}, 'knowledge_sha256': knowledge.sha256}
    assert not any(i.data_location == onnx.TensorProto.EXTERNAL for i in model.graph.initializer)
    session = ort.InferenceSession(str(out), providers=['CPUExecutionProvider'])
    for steps in (1, 10):  # one step, and longer than any game: the axis is really dynamic
        assert session.run(None, {'boards': np.zeros((steps, 18), np.float32)})[0].shape == (steps, 9)


def front_matter(text):
    assert text.startswith('---\n')
    head, body = text[4:].split('\n---\n', 1)
    return yaml.safe_load(head), body


def test_card_of_the_shipped_knowledge(tmp_path):
    out = tmp_path / 'README.md'
    result = cli('export', DEFAULT, '--format', 'card', '-o', out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ['README.md', 'README.md.curve.svg']
    meta, body = front_matter(out.read_text())
    assert meta == {'license': 'mit', 'library_name': 'wopr', 'method': 'optimal',
                    'tags': ['wopr', 'tic-tac-toe', 'lstm', 'game', 'safetensors', 'onnx']}
    knowledge = load_knowledge(DEFAULT)
    assert knowledge.sha256 in body and '![Training curve](README.md.curve.svg)' in body and '**Perfect play**' in body
    assert '| losses | 0 | 0 |' in body
    random_games = knowledge.evaluation['random']
    shown = ' | '.join('/'.join(str(random_games[side][k]) for k in ('wins', 'draws', 'losses')) for side in 'XO')
    assert f'| vs a random opponent, 100 games: won/drawn/lost | {shown} |' in body
    assert 'wopr play --knowledge default.safetensors' in body
    code = body.split('```python\n', 1)[1].split('```', 1)[0]
    assert code.count('\n') == 5 and "InferenceSession('default.onnx')" in code
    svg = ET.fromstring((tmp_path / 'README.md.curve.svg').read_text())
    polylines = svg.findall('{http://www.w3.org/2000/svg}polyline')
    assert len(polylines) == 5  # loss, losses_x, losses_o, optimal_pct, fastest_pct


def test_the_cards_onnx_snippet_runs(tmp_path, monkeypatch):
    """The five lines of the card, as written, under onnxruntime: X's opening is the network's first move."""
    monkeypatch.chdir(tmp_path)
    assert cli('export', DEFAULT, '--format', 'card', '-o', 'README.md').exit_code == 0
    assert cli('export', DEFAULT, '--format', 'onnx', '-o', 'default.onnx').exit_code == 0
    code = Path('README.md').read_text().split('```python\n', 1)[1].split('```', 1)[0]
    printed = []
    exec(code, {'print': printed.append})
    expected = runtime_probs(load_knowledge(DEFAULT), [encode(new_board())])[0].argmax()
    assert printed == [expected]


@pytest.mark.parametrize('names', [('default.md', 'self-play.md'), ('a b.md', 'a b (2).md'), ('card', 'card.txt'),
                                   ('#1.md', '100%?.md')])
def test_cards_in_one_folder_keep_their_own_curves(names, tmp_path):
    """Each card's figure is named after the card and linked from it: two cards in a folder overwrite nothing."""
    sources = (DEFAULT, KNOWLEDGE_DIR / 'self-play.safetensors')
    for name, source in zip(names, sources):
        assert cli('export', source, '--format', 'card', '-o', tmp_path / name).exit_code == 0
    curves = [f'{name}.curve.svg' for name in names]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names, *curves])
    for name, curve, source in zip(names, curves, sources):
        html = MarkdownIt('commonmark').render(front_matter((tmp_path / name).read_text())[1])
        link = re.findall(r'<img src="([^"]+)"', html)
        assert [unquote(u) for u in link] == [curve]  # the card points at its own figure
        loss = load_knowledge(source).history[-1]['loss']
        texts = [t.text for t in ET.fromstring((tmp_path / curve).read_text()).iter('{http://www.w3.org/2000/svg}text')]
        assert f'loss: last {loss:.4g}' in texts  # the figure of that card's own history


@pytest.mark.parametrize('fmt', ['onnx', 'card'])
@pytest.mark.parametrize('out, message', [
    ('/', 'cannot write /: it is a folder'), ('.', 'cannot write .: it is a folder'),
    ('..', 'cannot write ..: it is a folder'), ('sub', 'cannot write sub: it is a folder'),
    ('new/', 'cannot write new/: a file name cannot end in /'), ('', 'cannot write to an empty path')])
def test_an_out_that_names_a_folder_is_one_error_line(fmt, out, message, tmp_path, monkeypatch):
    """The shipped default has a history, so a card has a figure to name after it: a folder gave "PosixPath('/') has
    an empty name"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'sub').mkdir()
    assert one_error_line(cli('export', DEFAULT, '--format', fmt, '-o', out)) == f'error: {message}'
    assert [p.name for p in tmp_path.iterdir()] == ['sub'] and not any((tmp_path / 'sub').iterdir())


def test_a_card_never_calls_a_file_perfect_on_its_own_word(tmp_path):
    """All-zero weights carrying the default's evaluation: the card gives the figures its weights really give, says
    it is not perfect and names what the file's metadata claims otherwise."""
    path = lying_files(tmp_path)['copied']
    out = tmp_path / 'card' / 'README.md'
    out.parent.mkdir()
    assert cli('export', path, '--format', 'card', '-o', out).exit_code == 0
    body = one_line(out.read_text())
    computed = play_strength(RuntimePolicy(load_knowledge(path)))
    assert '**Perfect play**' not in body and 'Not perfect' in body
    assert f"| losses | {computed['X']['losses']} | {computed['O']['losses']} |" in body
    assert re.search(r"states otherwise for O\\.draws, .*X\\.losses, .*perfect, ", body), body


def test_card_without_history_or_evaluation_writes_no_curve(tmp_path):
    out = tmp_path / 'card' / 'README.md'
    out.parent.mkdir()
    assert cli('export', GOB / 'h8.bin', '--format', 'card', '-o', out).exit_code == 0
    assert [p.name for p in out.parent.iterdir()] == ['README.md']
    meta, body = front_matter(out.read_text())
    assert 'datasets' not in meta and 'method' not in meta
    assert 'no training history' in body and 'no evaluation' in body and '| source | gob |' in body
    assert 'wopr play --knowledge h8.bin' in body


@pytest.mark.parametrize('history, x_label, series', [
    ([{'epoch': 1, 'loss': 0.26, 'losses': 0, 'optimal_pct': 100.0, 'fastest_pct': 100.0, 'perfect': True}],
     'epoch', ['loss', 'losses', 'optimal_pct', 'fastest_pct']),
    ([{'games': g, 'losses_x': 9 - g // 1000, 'losses_o': 3, 'optimal_pct': 90 + g / 1000, 'seconds': 1}
      for g in range(1000, 9001, 1000)], 'games', ['losses_x', 'losses_o', 'optimal_pct']),
    ([{'loss': 2.0}, 'not an entry', {'loss': 1.0, 'perfect': False}], 'entry', ['loss']),
])
def test_curve_of_any_history(history, x_label, series):
    svg = ET.fromstring(curve_svg(history))
    texts = [t.text for t in svg.iter('{http://www.w3.org/2000/svg}text')]
    assert x_label in texts and [t.split(':')[0] for t in texts if ': last ' in t] == series
    assert len(svg.findall('{http://www.w3.org/2000/svg}polyline')) == len(series)
    assert curve_svg([]) is None and curve_svg([{'perfect': True}]) is None


def test_the_curve_takes_the_axis_of_inspect_and_leaves_out_entries_without_it():
    mixed = [{'epoch': 1, 'loss': 1.0}, {'loss': 7.0}, {'epoch': 3, 'loss': 0.5}, {'epoch': True, 'loss': 9.0}]
    assert curve_series(mixed) == ('epoch', {'loss': [(1, 1.0), (3, 0.5)]})
    assert history_axis(mixed) == 'epoch' and history_axis([{'games': 1024}]) == 'games'
    assert curve_series([{'games': 1024, 'losses_x': 3, 'seconds': 9.0}, {'losses_x': 1}]) == \
        ('games', {'losses_x': [(1024, 3)]})


HOSTILE = '"\n---\nlicense: evil\n<script>alert(1)</script> [x](javascript:alert(1)) ![i](http://e/x.png) | cell'


def hostile_knowledge(directory):
    training = {'method': HOSTILE + " '; rm -rf / \u202e\u0000\U0001F600 www.evil.example",
                '<img src=x onerror=alert(1)>': HOSTILE, '`code`': '</td>', 'big': 1e308}
    history = [{'epoch': 1, HOSTILE: 1.0, 'loss': 1.7e308}, {'epoch': 2, HOSTILE: -1.7e308, 'loss': 0.5}]
    evaluation = {'<b>bold</b>': '| a | b |', 'n': 3}  # a layout of its own: the reader allows scalars
    metadata = contract_metadata(8, training=json.dumps(training), history=json.dumps(history),
                                 evaluation=json.dumps(evaluation))
    model = make_model(8)
    return write_knowledge(Path(directory) / '<x>.safetensors',
                           {k: v.detach() for k, v in model.state_dict().items()}, metadata)


def test_card_treats_metadata_as_text(tmp_path):
    source = hostile_knowledge(tmp_path)
    files = card_files(load_knowledge(source), source, tmp_path / 'README.md')
    text, svg = files[tmp_path / 'README.md'].decode(), files[tmp_path / 'README.md.curve.svg'].decode()
    meta, body = front_matter(text)
    assert set(meta) == {'license', 'library_name', 'tags', 'method'} and meta['license'] == 'mit'
    # the whole string as one line of text, control and bidi characters dropped
    assert meta['method'] == ' '.join(HOSTILE.split()) + " '; rm -rf / \U0001F600 www.evil.example"
    html = MarkdownIt('commonmark').enable('table').render(body)
    for markup in ('<script', '<a ', '<b>'):
        assert markup not in html
    assert html.count('<img') == 1 and '<img src="README.md.curve.svg"' in html  # the card's own curve, no other
    assert 'www.evil.example' not in body  # escaped ("www\\.evil"): no autolink either
    for line in body.splitlines():  # every table here has two columns: three unescaped pipes a row
        assert not line.startswith('|') or len(re.findall(r'(?<!\\)\|', line)) == 3, line
    assert 'knowledge.safetensors' in body  # a file name unfit for a command line is not printed into one
    root = ET.fromstring(svg)
    assert {e.tag.split('}')[1] for e in root.iter()} <= {'svg', 'title', 'rect', 'text', 'path', 'polyline', 'circle'}
    assert 'nan' not in svg and 'inf' not in svg
    assert any('<script>alert(1)</script>' in t.text for t in root.iter('{http://www.w3.org/2000/svg}text'))


def test_unknown_format_is_one_error_line(knowledge_file, tmp_path):
    message = one_error_line(cli('export', knowledge_file, '--format', 'tflite', '-o', tmp_path / 'x'))
    assert "unknown --format 'tflite' (onnx or card)" in message
    assert sorted(tmp_path.iterdir()) == [knowledge_file]


@pytest.mark.parametrize('fmt', ['onnx', 'card'])
def test_unwritable_out_is_one_error_line_and_leaves_nothing(fmt, knowledge_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # short paths: rich would break a long one across lines
    for out, why in (('.', 'is a folder'), (Path('missing', 'README.md'), 'No such file or directory'),
                     (Path(knowledge_file.name, 'README.md'), 'Not a directory')):
        message = one_error_line(cli('export', knowledge_file, '--format', fmt, '-o', out))
        assert f'cannot write {out}' in message and why in message
    assert sorted(tmp_path.iterdir()) == [knowledge_file]


@pytest.mark.parametrize('fmt', ['onnx', 'card'])
def test_refused_knowledge_keeps_the_old_output(fmt, tmp_path):
    bad, out = tmp_path / 'bad.safetensors', tmp_path / 'out'
    bad.write_bytes(b'\x08\x00\x00\x00\x00\x00\x00\x00{"a": 1}')
    out.write_text('before')
    assert 'no __metadata__' in one_error_line(cli('export', bad, '--format', fmt, '-o', out))
    assert 'no such file' in one_error_line(cli('export', tmp_path / 'nope', '--format', fmt, '-o', out))
    assert out.read_text() == 'before' and sorted(p.name for p in tmp_path.iterdir()) == ['bad.safetensors', 'out']


def test_missing_onnx_extra_is_one_error_line(knowledge_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'onnx', None)  # import onnx now fails as if it were not installed
    monkeypatch.delitem(sys.modules, 'wopr.export.onnx', raising=False)
    message = one_error_line(cli('export', knowledge_file, '--format', 'onnx', '-o', tmp_path / 'x.onnx'))
    assert message == "error: --format onnx needs onnx: pip install 'wopr[onnx]'"
    assert not (tmp_path / 'x.onnx').exists()


def test_write_files_renames_only_when_every_file_is_written(tmp_path):
    with pytest.raises(IsADirectoryError):
        write_files({tmp_path / 'a': b'a', tmp_path: b'b'})
    assert list(tmp_path.iterdir()) == []
    write_files({tmp_path / 'a': b'a', tmp_path / 'b': b'b'})
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / 'a').read_bytes() == b'a' and (tmp_path / 'b').stat().st_mode & 0o777 == 0o666 & ~umask
