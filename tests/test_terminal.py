"""The terminal game driven as a real subprocess with scripted input, checked against the runtime's own moves: levels,
two players, and WOPR against itself."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from tests.support.commands import WOPR, one_line, wopr
from tests.support.games import scripted_game, winning_line
from tests.support.knowledge_files import contract_metadata, make_model, write_knowledge
from wopr.sources import DEFAULT, KNOWLEDGE_DIR, load_knowledge


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


@pytest.mark.parametrize('args, shown', [([], 'Your move'),
                                         (['--players', '0', '--pace', '5'], 'one game per opening')],
                         ids=['playing', 'wopr-vs-wopr'])
def test_ctrl_c_exits_cleanly(args, shown):
    proc = subprocess.Popen([*WOPR, 'play', *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    line = ''
    while shown not in line and time.monotonic() < deadline:  # wait for the first prompt, or the scene's start
        line += os.read(proc.stdout.fileno(), 4096).decode()
    proc.send_signal(signal.SIGINT)
    out, errors = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert 'Goodbye.' in out
    assert 'Traceback' not in errors


@pytest.mark.parametrize('args, message', [
    (['--knowledge', '/no/such/file.safetensors'], 'no such file'),
    (['--as', 'Z'], '--as must be X or O'),
    (['--level', 'hard'], "--level must be easy, medium or perfect, not 'hard'"),
    (['--players', '3'], '--players must be 0, 1 or 2, not 3'),
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
    assert f'(knowledge: {name}, hidden 4)' in one_line(result.stdout) and 'Traceback' not in result.stderr


@pytest.mark.parametrize('side', ['X', 'O'])
def test_level_easy_plays_the_2018_network_and_can_be_beaten(side):
    easy = next(load_knowledge(p) for p in sorted(KNOWLEDGE_DIR.glob('*.safetensors'))
                if load_knowledge(p).training.get('method') == 'winning-x')
    line = winning_line(easy, side)
    assert line, 'the 2018 method\'s network never loses: level easy is not beatable'
    result = wopr('play', '--level', 'easy', '--as', side, script=''.join(f'{c + 1}\n' for c in line) + 'n\n')
    assert result.returncode == 0, result.stderr
    assert 'You win' in result.stdout and 'level easy' in result.stdout
    assert winning_line(load_knowledge(DEFAULT), side) is None  # perfect, by the same search: never


def test_level_medium_draws_its_moves_by_the_seed():
    script = '1\n3\n8\n4\n9\n' * 1 + 'n\n'
    runs = [wopr('play', '--level', 'medium', '--seed', str(seed), script=script).stdout for seed in (1, 1, 2, 3, 4)]
    replies = [re.findall(r'WOPR plays (\d)', out) for out in runs]
    assert replies[0] == replies[1] and len({tuple(r) for r in replies}) > 1


def test_wopr_against_itself_ends_on_the_lesson():
    result = wopr('play', '--players', '0', '--pace', '0')
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('A draw.') == 9
    assert [int(c) for c in re.findall(r'Game \d: X (\d) \(opening\)', result.stdout)] == [5, 1, 3, 7, 9, 2, 4, 6, 8]
    assert 'A strange game. The only winning move is not to play.' in one_line(result.stdout)
    assert re.search(r'O \d \(\d+%\)', result.stdout)  # each move with the probability WOPR gave it


def test_wopr_against_itself_at_easy_says_it_won():
    result = wopr('play', '--players', '0', '--pace', '0', '--level', 'easy')
    assert result.returncode == 0, result.stderr
    assert 'WOPR beat itself at level easy' in one_line(result.stdout)
    assert 'The only winning move' not in result.stdout


def test_two_players_take_turns():
    result = wopr('play', '--players', '2', script='1\n4\n2\n5\n3\nn\n')
    assert result.returncode == 0, result.stderr
    assert 'Two players' in result.stdout and "O's move" in result.stdout
    assert 'X wins (X, line 1-2-3)' in result.stdout and 'WOPR plays' not in result.stdout
