"""Self-play training: it learns from its own games, never through the solver, reproducibly, and refuses bad options."""
import ast
import contextlib
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.support.commands import cli, one_error_line
from wopr import solver
from wopr.runtime import board
from wopr.runtime.format import MAX_ITEMS
from wopr.runtime.knowledge import load
from wopr.train import selfplay
from wopr.train.loop import check_every, check_point
from wopr.train.model import Model
from wopr.train.selfplay import train_selfplay


def losing_lines(model):
    point = check_point(model, 'f32')
    return point['losses_x'] + point['losses_o']


@contextlib.contextmanager
def solver_refused():
    """Every function the solver defines raises while the block runs."""
    def refuse(*args, **kwargs):
        raise AssertionError('the self-play learning path called the solver')
    with pytest.MonkeyPatch.context() as patch:
        for name, value in vars(solver).items():
            if callable(value) and getattr(value, '__module__', None) == solver.__name__:
                patch.setattr(solver, name, refuse)
        yield


def fake_check(script):
    """A check that answers like loop.check_point with (losses, perfect) from script, and keeps the weights."""
    seen = []

    def check(model):
        losses, perfect = script[len(seen)]
        seen.append({k: v.clone() for k, v in model.state_dict().items()})
        return {'losses_x': losses, 'losses_o': losses, 'optimal_pct': 100.0 - losses, 'fastest_pct': 100.0 - losses,
                'perfect': perfect}
    return check, seen


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_self_play_games_follow_the_runtimes_rules():
    """The batched games, replayed move by move with wopr.runtime.board: legal moves, the runtime's inputs, and a
    game ends exactly when the board says it is won or full."""
    torch.manual_seed(2)
    games = selfplay.play(Model(8), 200, epsilon=0.5, random_share=0.5, gen=torch.Generator().manual_seed(3))
    for g in range(200):
        played = board.new_board()
        for t in range(9):
            assert games.x[g, t].tolist() == board.encode(played)
            move = games.moves[g, t].item()
            if move < 0:  # after the end: nothing more is played
                assert board.is_over(played) and not games.ended[g, t]
                continue
            assert move in board.legal_moves(played)
            played[move] = board.to_move(played)
            assert games.won[g, t] == (board.winner(played)[0] is not None)
            assert games.ended[g, t] == board.is_over(played)


def test_a_short_run_cuts_the_losing_lines_of_an_untrained_network():
    torch.manual_seed(0)
    untrained = Model(16)  # the initialisation train_selfplay(seed=0) starts from
    with solver_refused():
        model, info, curve = train_selfplay(hidden=16, games=1500, seed=0)
    assert info['games'] == 1500 and info['method'] == 'self-play' and curve == []
    before, after = losing_lines(untrained), losing_lines(model)
    assert after < before / 2, (before, after)  # measured: 814 -> about 250


def test_the_learning_path_never_calls_the_solver():
    with solver_refused():
        with pytest.raises(AssertionError, match='called the solver'):
            solver.optimal_moves([''] * 9)  # the patch is live
        check, seen = fake_check([(5, False), (3, False)])
        train_selfplay(hidden=8, games=128, check=check, check_every=64, games_per_round=16, steps_per_round=1)
    assert len(seen) == 2


def test_selfplay_imports_neither_the_solver_nor_the_evaluation():
    tree = ast.parse(Path(selfplay.__file__).read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [f"{'.' * n.level}{n.module or ''}:{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
              for a in n.names]
    assert not [n for n in names if 'solver' in n or 'evaluate' in n or 'datasets' in n], names
    code = ('import sys, wopr.train.selfplay; '
            'print(sorted(m for m in sys.modules if m.startswith("wopr")))')
    loaded = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert 'wopr.solver' not in loaded and 'wopr.evaluate' not in loaded, loaded


def test_same_seed_same_weights_other_seed_other_weights():
    def weights(seed):
        return train_selfplay(hidden=16, games=256, seed=seed, games_per_round=32, steps_per_round=2)[0].state_dict()
    first = weights(3)
    assert same_weights(first, weights(3))
    assert not same_weights(first, weights(4))


def test_checks_make_the_curve_and_until_perfect_stops_at_the_first_perfect_one():
    check, seen = fake_check([(9, False), (0, True), (0, True)])
    _, info, curve = train_selfplay(hidden=8, games=1000, check=check, check_every=64, games_per_round=32,
                                    until_perfect=True)
    assert [p['games'] for p in curve] == [64, 128] and info['games'] == 128 and len(seen) == 2
    assert curve[-1] == {'games': 128, 'seconds': curve[-1]['seconds'], 'loss': curve[-1]['loss'], 'losses_x': 0,
                         'losses_o': 0, 'optimal_pct': 100.0, 'fastest_pct': 100.0, 'perfect': True}
    assert info['perfect'] and info['checkpoint_games'] == 128


def test_the_weights_returned_are_those_of_the_best_check():
    check, seen = fake_check([(9, False), (2, False), (4, False), (7, False)])
    model, info, curve = train_selfplay(hidden=8, games=256, check=check, check_every=64, games_per_round=32)
    assert [p['losses_x'] for p in curve] == [9, 2, 4, 7] and info['checkpoint_games'] == 128
    assert same_weights(model.state_dict(), seen[1]) and not same_weights(model.state_dict(), seen[3])
    assert not info['perfect']


def test_on_check_can_stop_the_training():
    check, _ = fake_check([(3, False)] * 10)
    _, info, curve = train_selfplay(hidden=8, games=1000, check=check, check_every=32, games_per_round=32,
                                    on_check=lambda p: p['games'] >= 96)
    assert info['games'] == 96 and len(curve) == 3


def test_zero_games_is_the_untrained_network():
    torch.manual_seed(5)
    untrained = Model(8)
    model, info, curve = train_selfplay(hidden=8, games=0, seed=5)
    assert info['games'] == 0 and curve == [] and same_weights(model.state_dict(), untrained.state_dict())


@pytest.mark.parametrize('options, message', [
    ({'games': -1}, 'games must be zero or more'),
    ({'hidden': 0}, 'hidden must be a positive whole number'),
    ({'hidden': -8}, 'hidden must be a positive whole number'),
    ({'check_every': 0}, 'check_every must be a positive whole number'),
    ({'batch_size': 2.5}, 'batch_size must be a positive whole number'),
    ({'lr': 0}, 'lr must be more than 0'),
    ({'discount': 1.5}, r'discount must be in \(0, 1\]'),
    ({'epsilon': -0.1}, r'epsilon must be in \[0, 1\]'),
    ({'random_share': 2}, r'random_share must be in \[0, 1\]'),
    ({'replay': 16, 'games_per_round': 32}, 'replay .16 games. must hold at least games_per_round'),
    ({'until_perfect': True}, 'until_perfect needs a check'),
])
def test_bad_options_are_refused_with_a_clear_message(options, message):
    with pytest.raises(ValueError, match=message):
        train_selfplay(**options)


def test_wopr_train_self_play_records_the_method_the_games_and_the_curve(tmp_path):
    out = tmp_path / 'sp.safetensors'
    result = cli('train', '--method', 'self-play', '--hidden', 8, '--games', 2000, '--seed', 1, '--out', out)
    assert result.exit_code == 0, result.output
    knowledge = load(out.read_bytes())
    t = knowledge.training
    assert (t['method'], t['games'], t['max_games'], t['hidden'], t['seed']) == ('self-play', 2000, 2000, 8, 1)
    games = [p['games'] for p in knowledge.history]  # a check once past each thousand games, at a round's end
    assert len(games) == 2 and games[-1] == 2000 and t['checkpoint_games'] in games
    assert 'epochs' not in t and t['batch_size'] == 128  # self-play's own batch, not the supervised one
    assert all(set(p) >= {'losses_x', 'losses_o', 'optimal_pct', 'fastest_pct', 'perfect'} for p in knowledge.history)
    assert '1,024 games: losing lines X' in result.output  # a line per check above the progress bar
    assert '2,000 self-play games in' in result.output
    shown = cli('inspect', out)  # the curve by checks, each series with its first and last value
    assert shown.exit_code == 0 and 'Training history (2 checks)' in shown.output
    assert all(f' {key} ' in shown.output for key in ('losses_x', 'losses_o', 'optimal_pct')), shown.output


@pytest.mark.parametrize('games', [1, 999, 1000, 100_000, 500_000, 500_001, 1_234_567, 10 ** 12])
def test_the_curve_of_any_run_fits_the_history_a_file_holds(games):
    every = check_every(games)
    assert every % 1000 == 0 and -(-games // every) <= MAX_ITEMS and (games > MAX_ITEMS * 1000 or every == 1000)


@pytest.mark.parametrize('args, message', [
    (['--games', '-1'], 'games must be a whole number from 1 up, not -1'),
    (['--games', '0'], 'games must be a whole number from 1 up, not 0'),
    (['--hidden', '0'], 'hidden must be a whole number from 1 to 1024, not 0'),
    (['--lr', '0'], 'lr must be more than 0'),
    (['--centre-first'], '--centre-first applies to the winning-x method only'),
])
def test_wopr_train_self_play_refuses_bad_options_in_one_line(args, message, tmp_path):
    assert message in one_error_line(cli('train', '--method', 'self-play', *args, '--out', tmp_path / 'k.safetensors'))
    assert not (tmp_path / 'k.safetensors').exists()
