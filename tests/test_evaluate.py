"""Exhaustive evaluation: the shipped knowledge, a random one, a brute-force recount, and `wopr evaluate`."""
import copy
import json

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.commands import cli, one_error_line
from tests.support.knowledge_files import lying_files
from wopr import solver
from wopr.evaluate import RuntimePolicy, checked, claim_differences, play_strength
from wopr.runtime.check import OUTCOMES, Check, chunk_for
from wopr.runtime.game import Game
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT, KNOWLEDGE_DIR, load_knowledge
from wopr.train.export import knowledge_file
from wopr.train.model import Model


@pytest.fixture(scope='module')
def random_file(tmp_path_factory):
    torch.manual_seed(11)
    path = tmp_path_factory.mktemp('random') / 'random.safetensors'
    path.write_bytes(knowledge_file(Model(12), {'method': 'none'}, [], games=0))
    return path


def recount(game, side, tally):
    """Every opponent line by brute force through runtime.game.Game, forking the game at each opponent move."""
    if game.status()['over']:
        won = game.status()['winner']
        tally['games'] += 1
        tally['wins' if won == side else 'losses' if won else 'draws'] += 1
        return
    for cell in [c for c in range(9) if game.board[c] == '']:
        fork = copy.copy(game)
        fork.board, fork.moves = list(game.board), list(game.moves)
        fork.play(cell)  # the opponent's move, then the network's reply
        if fork.last and len(fork.moves) == len(game.moves) + 2:
            before = list(fork.board)
            before[fork.last['cell']] = ''
            tally['moves'] += 1
            tally['fastest'] += fork.last['cell'] in solver.fastest_moves(before)
        recount(fork, side, tally)


@pytest.mark.parametrize('side', ['X', 'O'])
def test_figures_match_a_brute_force_recount(random_file, side):
    knowledge = load(random_file.read_bytes())
    game = Game(knowledge, human='O' if side == 'X' else 'X')
    tally = dict.fromkeys(('games', 'wins', 'draws', 'losses', 'moves', 'fastest'), 0)
    if side == 'X':  # the network's opening move, made by Game itself
        tally['moves'] += 1
        tally['fastest'] += game.moves[0] in solver.fastest_moves([''] * 9)
    recount(game, side, tally)
    figures = play_strength(RuntimePolicy(knowledge), games=0)[side]
    assert {k: figures[k] for k in ('games', 'wins', 'draws', 'losses', 'moves')} == {
        k: tally[k] for k in ('games', 'wins', 'draws', 'losses', 'moves')}
    assert figures['fastest_pct'] == round(100 * tally['fastest'] / tally['moves'], 3)
    assert tally['losses'] > 0  # an untrained network, so the recount covers losing lines too


def test_shipped_default_is_perfect_and_its_metadata_says_so():
    result = cli('evaluate', DEFAULT, '--require-perfect', '--json', '--games', 50, '--seed', 7)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures['perfect']
    for side in ('X', 'O'):
        assert figures[side]['losses'] == 0 and figures[side]['missed_wins'] == 0
        assert figures[side]['optimal_pct'] == figures[side]['fastest_pct'] == 100.0
        assert figures['random'][side]['losses'] == 0 and sum(figures['random'][side].values()) == 50
    knowledge = load_knowledge(DEFAULT)
    assert knowledge.nbytes <= 8 * 1024 and set(knowledge.dtypes.values()) == {'F16'}  # the page's few bytes
    assert knowledge.evaluation == play_strength(RuntimePolicy(knowledge))


def test_shipped_files_are_what_they_claim():
    wide = load_knowledge(KNOWLEDGE_DIR / 'wide.safetensors')
    assert wide.hidden_size == 64 and play_strength(RuntimePolicy(wide), games=0)['perfect']
    original = load_knowledge(KNOWLEDGE_DIR / 'original-method.safetensors')
    assert original.training['method'] == 'winning-x' and original.training['centre_first']
    assert not original.evaluation['perfect']


def test_random_weights_are_not_perfect(random_file):
    result = cli('evaluate', random_file, '--require-perfect')
    assert result.exit_code == 1 and 'not perfect' in result.output
    assert 'as X' in result.stdout and 'losses' in result.stdout
    assert cli('evaluate', random_file).exit_code == 0


def test_random_games_are_seeded(random_file):
    knowledge = load(random_file.read_bytes())
    a, b, c = (play_strength(RuntimePolicy(knowledge), games=30, seed=s)['random'] for s in (1, 1, 2))
    assert a == b and a != c


@pytest.mark.parametrize('content, message', [(None, 'no such file'), (b'', 'too short'),
                                              (b'\x10\x00\x00\x00\x00\x00\x00\x00{not json}......', 'not valid JSON')])
def test_evaluate_errors_are_one_clear_line(tmp_path, content, message):
    path = tmp_path / 'broken.safetensors'
    if content is not None:
        path.write_bytes(content)
    assert message in one_error_line(cli('evaluate', path))


class Counting(RuntimePolicy):
    """The runtime's policy, counting the positions it is stepped on."""

    def __init__(self, knowledge):
        super().__init__(knowledge)
        self.positions = 0

    def step(self, states, inputs):
        self.positions += len(inputs)
        return super().step(states, inputs)


def run_check(knowledge, chunk):
    """The runtime's check driven to its end as the page's worker drives it: (its status, the calls it took)."""
    check, calls = Check(knowledge, chunk), 0
    while not check.done:
        assert check.status()['done'] is False and 'never_loses' not in check.status()
        check.advance()
        calls += 1
    return check.status(), calls


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk=st.integers(1, 300), which=st.sampled_from(['random', 'default', 'zero']))
def test_the_check_in_parts_counts_exactly_what_evaluate_counts(random_file, tmp_path_factory, chunk, which):
    """The page's check (runtime.check, a few positions per call) and `wopr evaluate` agree on every outcome, whatever
    the size of the parts; the positions it reports are the network steps of the exhaustive walk."""
    path = {'random': random_file, 'default': DEFAULT}.get(which)
    path = path or lying_files(tmp_path_factory.mktemp('zero'))['copied']
    knowledge = load(path.read_bytes())
    status, calls = run_check(knowledge, chunk)
    policy = Counting(knowledge)
    figures = play_strength(policy, games=0)
    for side in ('X', 'O'):
        assert status[side] == {k: figures[side][k] for k in OUTCOMES}
    assert status['never_loses'] == (figures['X']['losses'] == figures['O']['losses'] == 0)
    assert status['positions'] == policy.positions and calls >= policy.positions / chunk
    assert status['never_loses'] is (which == 'default')


def test_a_part_of_the_check_is_a_few_positions_at_any_size():
    assert chunk_for(1) > chunk_for(10) > chunk_for(64) >= chunk_for(1024) == 1


def test_a_claim_is_compared_figure_by_figure(tmp_path):
    default = load(DEFAULT.read_bytes())
    assert checked(default) == (default.evaluation, [])  # the shipped default: its claims hold
    lies = {name: checked(load(path.read_bytes())) for name, path in lying_files(tmp_path).items()}
    for computed, _ in lies.values():
        assert not computed['perfect'] and computed['X']['losses'] > 0 and computed['O']['losses'] > 0
    assert {'X.losses', 'O.losses', 'perfect', 'X.optimal_pct'} <= set(lies['copied'][1])
    assert lies['fewer-losses'][1] == ['O.losses', 'X.losses']
    assert lies['history'][1] == []  # its evaluation is true; only its history lies (never read as a verdict)
    assert 'X.losses' in lies['one-side'][1] and not any(k.startswith('O.') for k in lies['one-side'][1])
    assert claim_differences({'note': 'by hand', 'X': {'wins': 3}, 'perfect': 1}, default.evaluation) == [
        'X.wins', 'perfect']  # a note is no figure; 1 is not true
    assert claim_differences({'X': 5}, default.evaluation) == ['X']
