"""Self-play training: it learns from its own games, never through the solver, reproducibly, and refuses bad options."""
import ast
import contextlib
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.support.commands import cli, one_error_line
from wopr import solver
from wopr.runtime import board
from wopr.runtime.format import MAX_ITEMS
from wopr.runtime.game import choose
from wopr.runtime.knowledge import load
from wopr.runtime.lstm import Network
from wopr.sources import KNOWLEDGE_DIR
from wopr.train import selfplay
from wopr.train.config import Config
from wopr.train.loop import check_every, check_point
from wopr.train.model import Model
from wopr.train.selfplay import VALUE_SCALE, train_selfplay


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


def run(hidden=8, games=256, seed=0, until_perfect=False, **knobs):
    config = Config(method='self-play', hidden=hidden, games=games, seed=seed, until_perfect=until_perfect)
    return train_selfplay(config, **knobs)


def scaled(weights):
    """The weights as train_selfplay returns them: the head's values times VALUE_SCALE."""
    return {k: v * VALUE_SCALE if k.startswith('head.') else v for k, v in weights.items()}


def test_a_short_run_cuts_the_losing_lines_of_an_untrained_network():
    torch.manual_seed(0)
    untrained = Model(16)  # the initialisation train_selfplay(seed=0) starts from
    with solver_refused():
        model, record, curve = run(hidden=16, games=1500)
    assert record['games'] == 1500 and record['value_scale'] == VALUE_SCALE and curve == []
    before, after = losing_lines(untrained), losing_lines(model)
    assert after < before / 2, (before, after)  # measured: 814 -> about 250


def test_the_td_target_is_the_negamax_value_of_the_next_position():
    """td_loss against the rule written out game by game, step by step: +1 for a winning move, 0 for a move that
    ends in a draw, else -discount x the opponent's best legal value after it."""
    torch.manual_seed(1)
    model, gen = Model(8), torch.Generator().manual_seed(1)
    games = selfplay.play(model, 64, epsilon=1.0, random_share=1.0, gen=gen)
    q = model(games.x)[0].detach()
    errors = []
    for g in range(64):
        for t in range(9):
            move = games.moves[g, t].item()
            if move < 0:
                break
            if games.ended[g, t]:
                target = 1.0 if games.won[g, t] else 0.0
            else:
                legal = [c for c in range(9) if games.x[g, t + 1, c] == 0 and games.x[g, t + 1, 9 + c] == 0]
                target = -0.7 * max(q[g, t + 1, c].item() for c in legal)
            errors.append((q[g, t, move].item() - target) ** 2)
    assert selfplay.td_loss(model, games, 0.7).item() == pytest.approx(sum(errors) / len(errors), rel=1e-5)


def test_the_learning_path_never_calls_the_solver():
    with solver_refused():
        with pytest.raises(AssertionError, match='called the solver'):
            solver.optimal_moves([''] * 9)  # the patch is live
        check, seen = fake_check([(5, False), (3, False)])
        run(games=128, check=check, check_every=64, games_per_round=16, steps_per_round=1)
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
        return run(hidden=16, games=256, seed=seed, games_per_round=32, steps_per_round=2)[0].state_dict()
    first = weights(3)
    assert same_weights(first, weights(3))
    assert not same_weights(first, weights(4))


def test_checks_make_the_curve_and_until_perfect_stops_at_the_first_perfect_one():
    check, seen = fake_check([(9, False), (0, True), (0, True)])
    _, record, curve = run(games=1000, until_perfect=True, check=check, check_every=64, games_per_round=32)
    assert [p['games'] for p in curve] == [64, 128] and record['games'] == 128 and len(seen) == 2
    assert curve[-1] == {'games': 128, 'seconds': curve[-1]['seconds'], 'loss': curve[-1]['loss'], 'losses_x': 0,
                         'losses_o': 0, 'optimal_pct': 100.0, 'fastest_pct': 100.0, 'perfect': True}
    assert record['perfect'] and record['checkpoint_games'] == 128


def test_a_check_once_past_each_check_every_games_and_at_the_end():
    check, _ = fake_check([(3, False)] * 10)
    _, _, curve = run(games=500, check=check, check_every=100, games_per_round=32)
    assert [p['games'] for p in curve] == [128, 224, 320, 416, 500]


def test_the_weights_returned_are_those_of_the_best_check_with_their_values_scaled():
    check, seen = fake_check([(9, False), (2, False), (4, False), (7, False)])
    model, record, curve = run(games=256, check=check, check_every=64, games_per_round=32)
    assert [p['losses_x'] for p in curve] == [9, 2, 4, 7] and record['checkpoint_games'] == 128
    assert same_weights(model.state_dict(), scaled(seen[1])) and not same_weights(model.state_dict(), scaled(seen[3]))
    assert not record['perfect']


def test_scaling_the_values_keeps_every_move_and_sharpens_the_probabilities():
    """The runtime plays the same moves with the head scaled by VALUE_SCALE (a power of two: exact), and puts most of
    its probability on the solver's optimal moves (the shipped network: values alone would spread it evenly)."""
    sharp = Network(load((KNOWLEDGE_DIR / 'self-play.safetensors').read_bytes()))
    flat = Network(load((KNOWLEDGE_DIR / 'self-play.safetensors').read_bytes()))
    flat.head = [[w / VALUE_SCALE for w in row] for row in flat.head]
    flat.head_bias = [b / VALUE_SCALE for b in flat.head_bias]
    rng, mass = random.Random(0), {'sharp': [], 'flat': []}
    for _ in range(200):
        states, played = {'sharp': sharp.start(), 'flat': flat.start()}, board.new_board()
        while not board.is_over(played):
            probs = {}
            for name, network in (('sharp', sharp), ('flat', flat)):
                states[name], probs[name] = network.step(states[name], board.encode(played))
                legal = sum(probs[name][c] for c in board.legal_moves(played))
                mass[name].append(sum(probs[name][c] for c in solver.optimal_moves(played)) / legal)
            assert choose(probs['sharp'], played) == choose(probs['flat'], played)
            played[rng.choice(board.legal_moves(played))] = board.to_move(played)
    share = {name: sum(m) / len(m) for name, m in mass.items()}
    assert share['sharp'] > 0.9 and share['flat'] < 0.8, share  # measured: 0.96 and 0.68


def test_on_check_can_stop_the_training():
    check, _ = fake_check([(3, False)] * 10)
    _, record, curve = run(games=1000, check=check, check_every=32, games_per_round=32,
                           on_check=lambda p: p['games'] >= 96)
    assert record['games'] == 96 and len(curve) == 3


@pytest.mark.parametrize('knobs, message', [
    ({'check_every': 0}, 'check_every must be a positive whole number'),
    ({'batch_size': 2.5}, 'batch_size must be a positive whole number'),
    ({'steps_per_round': True}, 'steps_per_round must be a positive whole number'),
    ({'discount': 1.5}, r'discount must be in \(0, 1\]'),
    ({'discount': 0}, r'discount must be in \(0, 1\]'),
    ({'epsilon': -0.1}, r'epsilon must be in \[0, 1\]'),
    ({'random_share': '1'}, r'random_share must be in \[0, 1\]'),
    ({'replay': 16, 'games_per_round': 32}, 'replay .16 games. must hold at least games_per_round'),
    ({'until_perfect': True}, 'until_perfect needs a check'),
    ({'gamma': 0.9}, 'unknown self-play setting gamma'),
])
def test_bad_knobs_are_refused_with_a_clear_message(knobs, message):
    with pytest.raises(ValueError, match=message):
        run(**knobs)


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
    (['--epochs', '5'], '--epochs applies to the optimal and winning-x methods only'),  # ignored: refused
    (['--batch-size', '64'], '--batch-size applies to the optimal and winning-x methods only'),
])
def test_wopr_train_self_play_refuses_bad_options_in_one_line(args, message, tmp_path):
    assert message in one_error_line(cli('train', '--method', 'self-play', *args, '--out', tmp_path / 'k.safetensors'))
    assert not (tmp_path / 'k.safetensors').exists()
