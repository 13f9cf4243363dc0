"""`wopr inspect` through typer's CliRunner: what it shows of a knowledge file (its evaluation as a claim, beside the
figures computed from its weights), and its error paths."""
import hashlib
import json
import re
import socketserver
import threading

import pytest

from tests.support.commands import cli, one_error_line, one_line
from tests.support.knowledge_files import contract_metadata, lying_files, make_knowledge, make_model, write_knowledge
from wopr.evaluate import RuntimePolicy, play_strength
from wopr.report import DIFFERS, sparkline
from wopr.runtime.format import expected_shapes
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT


def test_shows_size_hash_tensors_history_and_evaluation():
    result = cli('inspect', DEFAULT)
    assert result.exit_code == 0, result.output
    data = DEFAULT.read_bytes()
    assert hashlib.sha256(data).hexdigest() in result.output
    assert str(len(data)) in result.output
    for name, shape in expected_shapes(8).items():  # the shipped default: hidden 8, F16
        assert re.search(rf'{name}\s*│\s*F16\s*│\s*{"x".join(map(str, shape))}\s*│', result.output)
    assert 'wopr.knowledge/1' in result.output and 'ttt-planes/1' in result.output
    assert 'Training history' in result.output and 'exhaustive evaluation (perfect)' in result.output
    assert 'optimal' in result.output  # the dataset
    assert "The file's own evaluation agrees with the figures computed" in one_line(result.output)
    assert DIFFERS not in result.output


@pytest.mark.parametrize('lie', ['copied', 'fewer-losses', 'history', 'one-side'])
def test_a_file_is_never_called_perfect_on_its_own_word(tmp_path, lie):
    """All-zero weights whose metadata claims the default's figures (or fewer losses, a perfect history, one side):
    inspect shows the claim beside the computed figures, marks each wrong one, and calls the file what it is."""
    path = lying_files(tmp_path)[lie]
    knowledge = load(path.read_bytes())
    computed = play_strength(RuntimePolicy(knowledge))
    result = cli('inspect', path)
    assert result.exit_code == 0, result.output
    text = one_line(result.output)
    assert 'exhaustive evaluation (perfect)' not in text and 'exhaustive evaluation (not perfect)' in text
    claim = knowledge.evaluation
    if lie == 'one-side':  # not the whole layout: the claim's rows, each wrong one marked with the computed figure
        assert re.search(rf"X\.losses\s+0\s+{DIFFERS} computed: {computed['X']['losses']}", result.output)
        assert "wrong about X.draws" in text and 'O.' not in text.split('wrong about')[1]
    else:
        losses = rf"losses\s*│\s*{claim['X']['losses']}{' ' + DIFFERS if lie != 'history' else ''}\s*│\s*" \
                 rf"{computed['X']['losses']}\s*│\s*{claim['O']['losses']}"
        assert re.search(losses, result.output), result.output
    if lie == 'history':  # a true evaluation; the history is the file's record, shown as such
        assert "The file's own evaluation agrees with the figures computed" in text and DIFFERS not in result.output
    else:
        assert "The file's own evaluation is wrong about" in text and 'X.losses' in text
    assert ('the file claims it is perfect' in text) is (lie == 'copied')


def test_sparkline_scales_between_min_and_max():
    assert sparkline([3.0, 2.0, 1.0]) == '█▅▁'
    assert sparkline([5, 5]) == '▁▁'
    assert sparkline([]) == ''


def test_file_without_training_metadata(tmp_path):
    path = make_knowledge(tmp_path, hidden=8)
    result = cli('inspect', path)
    assert result.exit_code == 0, result.output
    assert re.search(r'lstm.weight_hh_l0\s*│\s*F32\s*│\s*32x8\s*│', result.output)
    assert 'Training history' not in result.output and 'exhaustive evaluation' not in result.output


def test_errors_are_one_line_without_traceback(tmp_path):
    broken = tmp_path / 'broken.safetensors'
    header = json.dumps({'__metadata__': {'format': 'wopr.knowledge/9'}}).encode()
    broken.write_bytes(len(header).to_bytes(8, 'little') + header)
    for path, message in [(tmp_path / 'missing.safetensors', 'no such file'),
                          (broken, "unknown format version 'wopr.knowledge/9'")]:
        assert message in one_error_line(cli('inspect', path))


def test_a_folder_or_a_device_is_said_to_be_one(tmp_path):
    """`wopr inspect /tmp` said 'no such file' of a folder that exists."""
    (tmp_path / 'k.safetensors').mkdir()
    for args in (['inspect', tmp_path], ['inspect', tmp_path / 'k.safetensors'], ['inspect', f'{tmp_path}/'],
                 ['play', '--knowledge', tmp_path]):
        assert one_error_line(cli(*args)) == f'error: {args[-1]} is a folder, not a knowledge file'
    assert one_error_line(cli('inspect', '/dev/null')) == 'error: /dev/null is not a regular file'


def test_an_evaluation_in_another_layout_is_shown_as_rows(tmp_path):
    """The reader only requires an object; a layout other than `wopr evaluate`'s prints as flat rows."""
    evaluation = json.dumps({'X': {'wins': 3}, 'O': {}, 'note': 'by hand'})
    path = write_knowledge(tmp_path / 'odd.safetensors', make_model(8).state_dict(),
                           contract_metadata(8, evaluation=evaluation))
    result = cli('inspect', path)
    assert result.exit_code == 0, result.output
    assert re.search(r'X\.wins\s+3', result.output) and re.search(r'note\s+by hand', result.output)


class NotHTTP(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b'SSH-2.0-OpenSSH_9.2\r\n')  # what a user gets for the wrong port


def test_a_url_that_does_not_answer_in_http_is_one_error_line():
    server = socketserver.TCPServer(('127.0.0.1', 0), NotHTTP)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f'http://127.0.0.1:{server.server_address[1]}/k.safetensors'
        assert f'cannot fetch {url}' in one_error_line(cli('inspect', url))
    finally:
        server.shutdown()
        server.server_close()
