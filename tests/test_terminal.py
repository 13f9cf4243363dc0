"""The terminal game driven as a real subprocess with scripted input, checked against the runtime's own moves: levels,
two players, and WOPR against itself."""
import json
import os
import pty
import re
import select
import signal
import subprocess
import time

import pytest

from tests.support.commands import WOPR, one_line, wopr
from tests.support.games import scripted_game, winning_line
from tests.support.knowledge_files import contract_metadata, make_model, write_knowledge
from wopr.runtime.game import Game
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


# The transcript, line by line: what a piped session prints (each typed line echoed after its prompt), built here
# from the runtime's own game and the board as a person sees it.
PROMPT = 'Your move (1-9, q quits): '
AGAIN = 'Play again? [Y/n, r replays] '


def run_session(*args, script):
    """`wopr play *args` as a real process; its stdout as lines, trailing spaces dropped (wide enough not to wrap)."""
    result = subprocess.run([*WOPR, 'play', *args], input=script, capture_output=True, text=True, timeout=60,
                            env={**os.environ, 'COLUMNS': '200'}, check=False)
    assert result.returncode == 0 and result.stderr == '', result.stderr
    return [line.rstrip() for line in result.stdout.splitlines()]


def board_lines(board, probs=None):
    """The board's seven lines: free cells by number, each cell with WOPR's probability when it has just moved."""
    width = 7 if probs else 3

    def cell(c):
        text = (board[c] or str(c + 1)) + (f' {probs[c]:.2f}' if probs else '')
        room = width - len(text)
        return ' ' * (1 + room // 2) + text + ' ' * (1 + room - room // 2)

    def rule(left, middle, right):
        return left + middle.join(['─' * (width + 2)] * 3) + right

    rows = ['│' + '│'.join(cell(3 * r + c) for c in range(3)) + '│' for r in range(3)]
    return [rule('┌', '┬', '┐'), rows[0], rule('├', '┼', '┤'), rows[1], rule('├', '┼', '┤'), rows[2],
            rule('└', '┴', '┘')]


def greeting(name):
    return [f'Greetings, Professor Falken. Shall we play a game? (knowledge: {name})']


def game_lines(knowledge, side, cells, level='perfect', show_probs=False):
    """(typed lines, transcript lines, final status) of one game against WOPR: the person plays `cells` (0-8) in
    turn; after each event one board, with 'WOPR plays' only when WOPR has just moved."""
    game = Game(knowledge, side, level)
    lines = ['', f'You play {side}, level {level}. Type a cell 1-9 to play, u to take back, q to quit.']

    def wopr_moved():
        lines.append(f'WOPR plays {game.last["cell"] + 1} (p={game.last["probs"][game.last["cell"]]:.2f})')
        lines.extend(board_lines(game.board, show_probs and game.last['probs']))

    if game.last:
        wopr_moved()
    else:
        lines.extend(board_lines(game.board))
    typed = []
    for cell in cells:
        typed.append(str(cell + 1))
        lines.append(PROMPT + typed[-1])
        before = len(game.moves)
        game.play(cell)
        if len(game.moves) == before + 2:
            wopr_moved()
        else:  # the person's move ended the game: the board alone, WOPR's earlier move not said again
            lines.extend(board_lines(game.board))
    status = game.status()
    assert status['over'], 'the cells did not finish the game'
    return typed, lines, status


def outcome_line(status, side):
    if status['draw']:
        return 'A draw. The only winning move is not to play.'
    who = 'You win' if status['winner'] == side else 'WOPR wins'
    return f'{who} ({status["winner"]}, line {"-".join(str(c + 1) for c in status["line"])}).'


NETWORKS = {'perfect': ('default', 'default, hidden 8'), 'easy': ('original-method', 'original-method, hidden 64')}


def score_line(status, side):
    won = {status['winner'] or 'draw': 1}
    return f'Score: you {won.get(side, 0)}, WOPR {won.get("XO".replace(side, ""), 0)}, draws {won.get("draw", 0)}.'


@pytest.mark.parametrize('show_probs', [False, True], ids=['plain', 'show-probs'])
@pytest.mark.parametrize('level, side, winner', [('perfect', 'X', 'draw'), ('perfect', 'O', 'draw'),
                                                 ('perfect', 'X', 'O'), ('easy', 'X', 'X'), ('easy', 'O', 'O')])
def test_a_whole_game_line_by_line(level, side, winner, show_probs):
    """Each event prints once: a person's winning or last move shows the board, not WOPR's previous move and its old
    probabilities again; the outcome, then the session's score; the greeting names the network."""
    file, name = NETWORKS[level]
    knowledge = load_knowledge(KNOWLEDGE_DIR / f'{file}.safetensors')
    typed, lines, status = game_lines(knowledge, side, winning_line(knowledge, side, level, winner), level,
                                      show_probs)
    args = ['--level', level, '--as', side] + ['--show-probs'] * show_probs
    assert run_session(*args, script='\n'.join([*typed, 'n', ''])) == [
        *greeting(name), *lines, outcome_line(status, side), score_line(status, side), AGAIN + 'n', 'Goodbye.']


def a_draw(side='X'):
    """(knowledge, typed, lines, status) of a game against the default network that ends in a draw."""
    knowledge = load_knowledge(DEFAULT)
    return knowledge, *game_lines(knowledge, side, winning_line(knowledge, side, winner='draw'))


def test_two_games_with_odd_answers_line_by_line():
    """Enter alone asks for the move again, quietly; at 'Play again?' only y, yes, Enter (yes), n and no answer (in
    any case), anything else is asked again with a hint; the score adds up over the session."""
    _, typed, lines, status = a_draw()
    first = lines.index(PROMPT + typed[0])
    with_empty = [*lines[:first], PROMPT.rstrip(), *lines[first:]]
    script = '\n'.join(['', *typed, '7', 'maybe', 'yess', '', *typed, 'No', ''])
    hint = 'Type y or n (or r to replay the game).'
    again = [AGAIN + '7', hint, AGAIN + 'maybe', hint, AGAIN + 'yess', hint, AGAIN.rstrip()]
    outcome = outcome_line(status, 'X')
    assert run_session(script=script) == [
        *greeting('default, hidden 8'), *with_empty, outcome, 'Score: you 0, WOPR 0, draws 1.', *again,
        *lines, outcome, 'Score: you 0, WOPR 0, draws 2.', AGAIN + 'No', 'Goodbye.']


@pytest.mark.parametrize('answer', ['y', 'Y', 'yes', 'YES', ''])
def test_each_yes_starts_another_game(answer):
    _, typed, lines, status = a_draw()
    game = '\n'.join(typed)
    out = run_session(script=f'{game}\n{answer}\n{game}\nn\n')
    assert out.count('Score: you 0, WOPR 0, draws 2.') == 1 and out.count(lines[1]) == 2


@pytest.mark.parametrize('at', range(6), ids=lambda at: f'after-{at}-moves')
def test_end_of_input_at_each_prompt_line_by_line(at):
    """The input ends at a move prompt (after 0-4 moves) or at 'Play again?' (5): the prompt's line ends, then
    Goodbye."""
    _, typed, lines, status = a_draw()
    assert len(typed) == 5
    script = ''.join(f'{cell}\n' for cell in typed[:at])
    if at < len(typed):
        expected = [*lines[:lines.index(PROMPT + typed[at])], PROMPT.rstrip()]
    else:
        expected = [*lines, outcome_line(status, 'X'), 'Score: you 0, WOPR 0, draws 1.', AGAIN.rstrip()]
    assert run_session(script=script) == [*greeting('default, hidden 8'), *expected, 'Goodbye.']


def on_a_terminal(keys):
    """`wopr play` on a pseudo-terminal: each (bytes, prompt) of `keys` typed once the screen ends with its prompt (at
    once for None); returns the screen's lines, escape sequences dropped, once the game has ended."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*WOPR, 'play'], stdin=follower, stdout=follower, stderr=follower,
                            env={**os.environ, 'COLUMNS': '200'})
    os.close(follower)
    screen = b''

    def read(until=None):
        nonlocal screen
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (until and screen.rstrip().endswith(until)):
            if not select.select([leader], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the game ended and closed its side
                break
            if not chunk:
                break
            screen += chunk

    for typed, prompt in keys:
        if prompt:
            read(prompt)
        os.write(leader, typed)
    read()
    os.close(leader)
    assert proc.wait(timeout=30) == 0
    return [re.sub(r'\x1b\[[0-9;?]*[A-Za-z]', '', line).rstrip() for line in screen.decode().splitlines()]


@pytest.mark.parametrize('moves', [0, 1, 5], ids=['first-prompt', 'mid-game', 'play-again'])
def test_ctrl_d_on_a_terminal_says_goodbye_on_a_line_of_its_own(moves):
    """On a terminal, Ctrl-D ends the input without a newline: Goodbye used to follow the prompt on its line. Ctrl-D
    comes after `moves` moves of a drawn game (5: at 'Play again?')."""
    prompts = [b'quits):'] * 5 + [b'replays]']
    keys = [(f'{cell}\n'.encode(), prompt) for cell, prompt in zip(a_draw()[1][:moves], prompts)]
    lines = on_a_terminal([*keys, (b'\x04', prompts[moves])])
    assert lines[-1] == 'Goodbye.' and lines[-2] == (AGAIN if moves == 5 else PROMPT).rstrip(), lines[-3:]


def test_a_move_ended_by_ctrl_d_starts_a_new_line():
    """'5' then Ctrl-D twice (no Enter) is the move 5: WOPR's reply starts a line of its own."""
    lines = on_a_terminal([(b'5\x04', b'quits):'), (b'\x04', None), (b'\x04', b'quits):')])
    assert PROMPT + '5' in lines and lines[lines.index(PROMPT + '5') + 1].startswith('WOPR plays '), lines
    assert lines[-1] == 'Goodbye.'


def test_two_players_line_by_line_with_the_score():
    """Two people: a board after every move, no WOPR; the score counts X, O and draws over three games."""
    games = [[1, 4, 2, 5, 3], [1, 4, 2, 5, 9, 6], [1, 2, 3, 5, 4, 6, 8, 7, 9]]  # X wins, O wins, a draw
    outcomes = ['X wins (X, line 1-2-3).', 'O wins (O, line 4-5-6).', 'A draw. The only winning move is not to play.']
    scores = ['X 1, O 0, draws 0', 'X 1, O 1, draws 0', 'X 1, O 1, draws 1']
    expected = greeting('default, hidden 8')
    for n, (cells, outcome, score) in enumerate(zip(games, outcomes, scores)):
        board = [''] * 9
        expected += ['', 'Two players, X first, level perfect. Type a cell 1-9 to play, u to take back, q to quit.',
                     *board_lines(board)]
        for i, cell in enumerate(cells):
            side = 'XO'[i % 2]
            board[cell - 1] = side
            expected += [f"{side}'s move (1-9, q quits): {cell}", *board_lines(board)]
        expected += [outcome, f'Score: {score}.', AGAIN + ('y' if n < 2 else 'n')]
    script = ''.join('\n'.join(map(str, cells)) + f'\n{answer}\n' for cells, answer in zip(games, 'yyn'))
    assert run_session('--players', '2', script=script) == [*expected, 'Goodbye.']


@pytest.mark.parametrize('file, shown', [('wide.safetensors', 'wide, hidden 64'),
                                         ('my.own-net.safetensors', 'my.own-net, hidden 64'),
                                         ('net#2?.safetensors', 'net#2?, hidden 64'),  # a path, not a URL
                                         ('[bold]x.safetensors', '[bold]x, hidden 64')])
def test_the_greeting_names_the_file_played(file, shown, tmp_path):
    path = tmp_path / file
    path.write_bytes((KNOWLEDGE_DIR / 'wide.safetensors').read_bytes())
    assert run_session('--knowledge', path, script='q\n')[0] == greeting(shown)[0]


def test_take_back_line_by_line():
    """`u` at the move prompt takes back your move and WOPR's reply, says so and shows the board as it was; with
    nothing of yours on the board it says so; the game goes on from there exactly as the runtime's (the draw below is
    the runtime's game without the moves taken back) and counts once."""
    knowledge, typed, lines, status = a_draw()
    game = Game(knowledge, 'X')
    game.play(int(typed[0]) - 1)
    detour = next(c for c in range(9) if not game.board[c] and str(c + 1) != typed[1])
    game.play(detour)
    reply, probs, detoured = game.last['cell'], game.last['probs'], list(game.board)
    game.undo()
    first, second = lines.index(PROMPT + typed[0]), lines.index(PROMPT + typed[1])
    expected = [*lines[:first], PROMPT + 'u', 'there is no move of yours to take back. Try again.',
                *lines[first:second], PROMPT + str(detour + 1), f'WOPR plays {reply + 1} (p={probs[reply]:.2f})',
                *board_lines(detoured), PROMPT + 'u', f"Took back your move {detour + 1} and WOPR's reply {reply + 1}.",
                *board_lines(game.board), *lines[second:]]
    script = '\n'.join(['u', typed[0], str(detour + 1), 'u', *typed[1:], 'n', ''])
    assert run_session(script=script) == [*greeting('default, hidden 8'), *expected, outcome_line(status, 'X'),
                                          'Score: you 0, WOPR 0, draws 1.', AGAIN + 'n', 'Goodbye.']


def test_two_players_take_back_the_last_move():
    """Two people: `u` takes back the last move, whoever made it, and the one who made it plays again."""
    out = run_session('--players', '2', script='1\n5\nu\nq\n')
    assert out[-11:] == ["X's move (1-9, q quits): u", "Took back O's move 5.", *board_lines(['X'] + [''] * 8),
                         "O's move (1-9, q quits): q", 'Goodbye.']


def test_alternate_changes_your_side_each_game_and_the_score_counts_you():
    """--alternate: X, then O; the score counts you and WOPR, whichever side each played (two losses: WOPR 2)."""
    knowledge = load_knowledge(DEFAULT)
    sessions = [game_lines(knowledge, side, winning_line(knowledge, side, winner=wopr_side))
                for side, wopr_side in (('X', 'O'), ('O', 'X'))]
    (typed_x, lines_x, status_x), (typed_o, lines_o, status_o) = sessions
    script = '\n'.join([*typed_x, 'y', *typed_o, 'n', ''])
    assert run_session('--alternate', script=script) == [
        *greeting('default, hidden 8'), *lines_x, outcome_line(status_x, 'X'), 'Score: you 0, WOPR 1, draws 0.',
        AGAIN + 'y', *lines_o, outcome_line(status_o, 'O'), 'Score: you 0, WOPR 2, draws 0.', AGAIN + 'n', 'Goodbye.']


def test_r_after_a_game_replays_it_line_by_line():
    """`r` at 'Play again?': every position of the game with the probabilities WOPR's network gave each cell there
    (the runtime's replay), the move made and its share, then the board as it ended; the question again, and the game
    after it is new."""
    knowledge, typed, lines, status = a_draw()
    positions = Game(knowledge, 'X').replay(status['moves'])['positions']
    shown = []
    for n, position in enumerate(positions[:-1], 1):
        shown.append(f"Move {n} of 9: {position['turn']} plays {position['move'] + 1} (p={position['prob']:.2f})")
        shown.extend(board_lines(position['board'], position['probs']))
    assert [p['move'] for p in positions[:-1]] == status['moves'] and len(positions) == 10
    outcome = outcome_line(status, 'X')
    assert run_session(script='\n'.join([*typed, 'r', 'R', 'n', ''])) == [
        *greeting('default, hidden 8'), *lines, outcome, 'Score: you 0, WOPR 0, draws 1.',
        AGAIN + 'r', *shown, *board_lines(status['board']), AGAIN + 'R', *shown, *board_lines(status['board']),
        AGAIN + 'n', 'Goodbye.']
