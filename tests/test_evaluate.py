"""Exhaustive evaluation: the shipped knowledge, a random one, a brute-force recount, and `wopr evaluate`."""
import copy
import json

import pytest
import torch

from tests.support.commands import cli, one_error_line
from wopr import solver
from wopr.evaluate import RuntimePolicy, play_strength
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
