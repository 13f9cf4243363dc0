"""The terminal game driven as a real subprocess with scripted input, checked against the runtime's own moves."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from tests.support.commands import WOPR, one_line, wopr
from tests.support.games import scripted_game
from tests.support.knowledge_files import contract_metadata, make_model, write_knowledge
from wopr.sources import DEFAULT, load_knowledge


@pytest.mark.parametrize('side', ['X', 'O'])
@pytest.mark.parametrize('pick', [min, max], ids=['first-free', 'last-free'])
def test_full_games_match_the_runtime(side, pick):
    knowledge = load_knowledge(DEFAULT)
    inputs, ai, status = scripted_game(knowledge, side, pick)
    script = ''.join(f'{c}\n' for c in inputs) + 'n\n'
    result = wopr('play', '--as', side, '--show-probs', script=script)
    assert result.returncode == 0, result.stderr
    assert [int(m) for m in re.findall(r'WOPR plays (\d)', result.stdout)] == ai
    if status['draw']:
        assert 'A draw' in result.stdout
    else:
        line = '-'.join(str(c + 1) for c in status['line'])
        assert f'({status["winner"]}, line {line})' in result.stdout
    assert status['winner'] != side, 'the shipped knowledge lost a game'
    assert 'Play again?' in result.stdout and 'Goodbye.' in result.stdout
    assert 'Traceback' not in result.stdout + result.stderr


def test_invalid_input_gets_a_message_and_a_new_prompt():
    result = wopr('play', script='abc\n0\n10\n²\n[/]\n5\n5\nq\n')  # ² passes isdigit(); [/] is rich markup
    assert result.returncode == 0, result.stderr
    for typed in ('abc', '0', '10', '²', '[/]'):
        assert f"{typed!r} is not a cell" in result.stdout
    assert 'square 5 is already taken by X' in result.stdout
    assert result.stdout.count('WOPR plays') == 1  # the rejected inputs made no move
    assert result.stdout.count('Your move') == 8


def test_play_again_starts_a_fresh_game():
    knowledge = load_knowledge(DEFAULT)
    inputs, _, _ = scripted_game(knowledge, 'X', min)
    game = ''.join(f'{c}\n' for c in inputs)
    result = wopr('play', script=game + 'y\n' + game + 'n\n')
    assert result.returncode == 0
    assert result.stdout.count('You play X') == 2
    assert result.stdout.count('Play again?') == 2
    assert 'is not a cell' not in result.stdout and 'already taken' not in result.stdout


@pytest.mark.parametrize('script', ['', '5\n', 'q\n', '5\nquit\n'], ids=['eof-at-once', 'eof-mid-game', 'q', 'quit'])
def test_quits_cleanly(script):
    result = wopr('play', script=script)
    assert result.returncode == 0
    assert result.stdout.rstrip().endswith('Goodbye.')
    assert result.stderr == ''


def test_ctrl_c_exits_cleanly():
    proc = subprocess.Popen([*WOPR, 'play'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 30
    line = ''
    while 'Your move' not in line and time.monotonic() < deadline:  # wait for the first prompt
        line += os.read(proc.stdout.fileno(), 4096).decode()
    proc.send_signal(signal.SIGINT)
    out, errors = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert 'Goodbye.' in out
    assert 'Traceback' not in errors


@pytest.mark.parametrize('args, message', [
    (['--knowledge', '/no/such/file.safetensors'], 'no such file'),
    (['--as', 'Z'], '--as must be X or O'),
])
def test_bad_options_give_one_clear_line(args, message, tmp_path):
    result = wopr('play', *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert 'Traceback' not in result.stderr


def test_broken_knowledge_file_is_refused(tmp_path):
    broken = tmp_path / 'broken.safetensors'
    broken.write_bytes(DEFAULT.read_bytes()[:500])
    result = wopr('play', '--knowledge', str(broken))
    assert result.returncode == 1
    assert 'error:' in result.stderr and 'Traceback' not in result.stderr


def test_a_knowledge_name_is_shown_as_text_not_markup(tmp_path):
    """The name comes from the file's metadata: brackets in it are printed, not read as rich markup."""
    name = 'odd [/] [bold]name'
    path = write_knowledge(tmp_path / 'odd.safetensors', make_model(4).state_dict(),
                           contract_metadata(4, training=json.dumps({'name': name})))
    result = wopr('play', '--knowledge', path, script='q\n')
    assert result.returncode == 0, result.stderr
    assert f'(knowledge: {name})' in one_line(result.stdout) and 'Traceback' not in result.stderr
