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
from wopr.train.check import check_point
from wopr.train.config import Config
from wopr.train.model import Model
from wopr.train.selfplay import VALUE_SCALE, interval

pytestmark = pytest.mark.train


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
    """A check that answers like check.check_point with (losses, perfect) from script, and keeps the weights."""
    seen = []

    def check(model, dtype):
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


def run(hidden=8, games=256, check=None, on_progress=None, **settings):
    """selfplay.run on a self-play Config of these settings."""
    return selfplay.run(Config(method='self-play', hidden=hidden, games=games, **settings), on_progress, check)


def scaled(weights):
    """The weights as selfplay.run returns them: the head's values times VALUE_SCALE."""
    return {k: v * VALUE_SCALE if k.startswith('head.') else v for k, v in weights.items()}


def test_a_short_run_cuts_the_losing_lines_of_an_untrained_network():
    torch.manual_seed(0)
    untrained = Model(16)  # the initialisation selfplay.run(seed=0) starts from
    with solver_refused():
        trained = run(hidden=16, games=1500)
    assert trained.games == 1500 and trained.record['value_scale'] == VALUE_SCALE and trained.history == []
    before, after = losing_lines(untrained), losing_lines(trained.model)
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
        return run(hidden=16, games=256, seed=seed, games_per_round=32, steps_per_round=2).model.state_dict()
    first = weights(3)
    assert same_weights(first, weights(3))
    assert not same_weights(first, weights(4))


def test_checks_make_the_curve_and_until_perfect_stops_at_the_first_perfect_one():
    check, seen = fake_check([(9, False), (0, True), (0, True)])
    trained = run(games=1000, until_perfect=True, check=check, check_every=64, games_per_round=32)
    curve = trained.history
    assert [p['games'] for p in curve] == [64, 128] and trained.games == 128 and len(seen) == 2
    assert curve[-1] == {'games': 128, 'seconds': curve[-1]['seconds'], 'loss': curve[-1]['loss'], 'losses_x': 0,
                         'losses_o': 0, 'optimal_pct': 100.0, 'fastest_pct': 100.0, 'perfect': True}
    assert trained.perfect and trained.record['checkpoint_games'] == 128


def test_a_check_once_past_each_check_every_games_and_at_the_end():
    check, _ = fake_check([(3, False)] * 10)
    curve = run(games=500, check=check, check_every=100, games_per_round=32).history
    assert [p['games'] for p in curve] == [128, 224, 320, 416, 500]


def test_the_weights_returned_are_those_of_the_best_check_with_their_values_scaled():
    check, seen = fake_check([(9, False), (2, False), (4, False), (7, False)])
    trained = run(games=256, check=check, check_every=64, games_per_round=32)
    weights = trained.model.state_dict()
    assert [p['losses_x'] for p in trained.history] == [9, 2, 4, 7] and trained.record['checkpoint_games'] == 128
    assert same_weights(weights, scaled(seen[1])) and not same_weights(weights, scaled(seen[3]))
    assert not trained.perfect and trained.kept == 'the best check, at 128 games'


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


def test_a_true_answer_to_a_check_stops_the_training():
    check, _ = fake_check([(3, False)] * 10)
    seen = []

    def watch(progress):
        seen.append(progress)
        return progress.check is not None and progress.check['games'] >= 96
    trained = run(games=1000, check=check, check_every=64, games_per_round=16, on_progress=watch)
    assert trained.games == 128 and len(trained.history) == 2
    # one report per round of games, a check at each 64th game; answers between checks do not stop it
    assert [p.done for p in seen] == list(range(16, 129, 16)) and {p.total for p in seen} == {1000}
    assert [p.check['games'] for p in seen if p.check] == [64, 128] and seen[-1].at == '128 games'
    assert seen[-1].line().startswith('128 games: losing lines X 3 O 3 · optimal 97.0%')


@pytest.mark.parametrize('settings, message', [
    ({'check_every': 0}, 'check_every must be a whole number from 1 up, not 0'),
    ({'batch_size': 2.5}, 'batch_size must be a whole number from 1 to 65536, not 2.5'),
    ({'steps_per_round': True}, 'steps_per_round must be a whole number from 1 up, not True'),
    ({'discount': 1.5}, r'discount must be a number in \(0, 1\], not 1.5'),
    ({'discount': 0}, r'discount must be a number in \(0, 1\], not 0'),
    ({'epsilon': -0.1}, r'epsilon must be a number in \[0, 1\], not -0.1'),
    ({'random_share': '1'}, r"random_share must be a number in \[0, 1\], not '1'"),
    ({'replay': 16, 'games_per_round': 32}, r'replay must hold at least games_per_round \(32\), not 16'),
    ({'replay': 10 ** 7}, 'replay must be a whole number from 1 to 1000000, not 10000000'),
    ({'until_perfect': True}, 'until_perfect needs a check'),
])
def test_bad_settings_are_refused_with_a_clear_message(settings, message):
    with pytest.raises(ValueError, match=message):
        run(**settings)


def test_batch_size_has_one_meaning_and_a_default_per_method():
    """Games per gradient step: 256 of the data set's games by default, 128 from self-play's replay; either may be
    set, and the file records the value used."""
    assert Config().batch_size == Config(method='winning-x').batch_size == 256
    assert Config(method='self-play').batch_size == 128
    chosen = Config(method='self-play', batch_size=64)
    assert chosen.batch_size == 64 and chosen.as_metadata()['batch_size'] == 64
    assert Config(method='self-play') == Config(method='self-play', batch_size=128)


def test_self_play_settings_are_refused_for_the_other_methods():
    for name, value in (('epsilon', 0.1), ('games_per_round', 8), ('check_every', 500)):
        with pytest.raises(ValueError, match=f"--{name.replace('_', '-')} applies to the self-play method only"):
            Config(method='winning-x', **{name: value})


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
    every = interval(Config(method='self-play', games=games))
    assert every % 1000 == 0 and -(-games // every) <= MAX_ITEMS and (games > MAX_ITEMS * 1000 or every == 1000)


@pytest.mark.parametrize('args, message', [
    (['--games', '-1'], 'games must be a whole number from 1 up, not -1'),
    (['--games', '0'], 'games must be a whole number from 1 up, not 0'),
    (['--hidden', '0'], 'hidden must be a whole number from 1 to 1024, not 0'),
    (['--lr', '0'], r'lr must be a number in (0, 1], not 0.0'),
    (['--discount', 'nan'], r'discount must be a number in (0, 1], not nan'),
    (['--epsilon', '1.5'], r'epsilon must be a number in [0, 1], not 1.5'),
    (['--replay', '8'], 'replay must hold at least games_per_round (32), not 8'),
    (['--centre-first'], '--centre-first applies to the winning-x method only'),
    (['--epochs', '5'], '--epochs applies to the optimal and winning-x methods only'),  # ignored: refused
])
def test_wopr_train_self_play_refuses_bad_options_in_one_line(args, message, tmp_path):
    assert message in one_error_line(cli('train', '--method', 'self-play', *args, '--out', tmp_path / 'k.safetensors'))
    assert not (tmp_path / 'k.safetensors').exists()
