"""The NNDK: datasets, the model's contract names, the runtime against torch.nn.LSTM, export, training to perfect."""
import ast
import inspect
import math
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file

from tests.support.commands import cli, one_error_line
from tests.support.games import boards_of
from wopr import cli as cli_module
from wopr import solver
from wopr.evaluate import RuntimePolicy, play_strength
from wopr.runtime.board import encode, winner
from wopr.runtime.format import ENCODING, FORMAT, expected_shapes
from wopr.runtime.knowledge import load
from wopr.runtime.lstm import Network
from wopr.sources import KNOWLEDGE_DIR, load_knowledge
from wopr.train import datasets, loop
from wopr.train.config import METHODS, Config
from wopr.train.export import knowledge_file
from wopr.train.model import Model

pytestmark = pytest.mark.train


@pytest.fixture(scope='module')
def optimal():
    return datasets.optimal()


def test_optimal_dataset_targets_are_the_fastest_moves(optimal):
    assert optimal.moves.shape == (255_168, 9) and optimal.moves.dtype == torch.int8
    index = torch.arange(0, len(optimal), 509)
    x, target, steps = optimal.batch(index)
    assert x.shape == (len(index), 9, 18) and target.shape == (len(index), 9, 9) and steps.shape == (len(index), 9)
    for row, i in enumerate(index.tolist()):
        game = tuple(c for c in optimal.moves[i].tolist() if c >= 0)
        assert steps[row].tolist() == [t < len(game) for t in range(9)]
        for t, board in enumerate(boards_of(game)):
            assert x[row, t].tolist() == encode(board)
            assert torch.nonzero(target[row, t]).flatten().tolist() == solver.fastest_moves(board)


def test_winning_x_targets_are_the_moves_played():
    data = datasets.winning_x()
    assert len(data) == 131_184
    _, target, steps = data.batch(torch.arange(0, len(data), 1001))
    moves = data.moves[::1001].long()
    assert torch.equal(target[steps].nonzero()[:, 1], moves[moves >= 0])
    centre = datasets.winning_x(centre_first=True)
    assert (centre.moves[:, 0] == datasets.CENTRE).all()
    assert len(centre) == int((data.moves[:, 0] == datasets.CENTRE).sum())
    for game in centre.moves[::97].tolist():
        board = boards_of([c for c in game if c >= 0])[-1]
        board[[c for c in game if c >= 0][-1]] = 'X'
        assert winner(board)[0] == 'X'


def test_a_config_refuses_what_no_run_can_do():
    with pytest.raises(ValueError, match='unknown method'):
        Config(method='everything')
    with pytest.raises(ValueError, match='winning-x'):
        Config(centre_first=True)
    with pytest.raises(ValueError, match='hidden must be a whole number from 1 to 1024, not 0'):
        Config(hidden=0)


# Every numeric setting's range, written out apart from Config: (lowest, highest, the methods it applies to)
SUPERVISED, SELF_PLAY = ('optimal', 'winning-x'), ('self-play',)
WHOLE = {'hidden': (1, 1024, METHODS), 'epochs': (1, 500, SUPERVISED), 'games': (1, math.inf, SELF_PLAY),
         'batch_size': (1, 65_536, METHODS), 'seed': (0, 2 ** 64 - 1, METHODS), 'threads': (1, os.cpu_count(), METHODS),
         'check_every': (1, math.inf, SELF_PLAY), 'games_per_round': (1, 10_000, SELF_PLAY),  # at most replay
         'steps_per_round': (1, math.inf, SELF_PLAY),
         'replay': (32, 1_000_000, SELF_PLAY)}  # at least games_per_round: 32 by default
SHARES = {'lr': (False, METHODS), 'discount': (False, SELF_PLAY), 'epsilon': (True, SELF_PLAY),
          'random_share': (True, SELF_PLAY)}  # in (0, 1], or [0, 1] where 0 is allowed
ANY_VALUE = st.one_of(st.integers(-2 ** 70, 2 ** 70), st.integers(-3, 70_000), st.floats(), st.floats(-0.5, 1.5),
                      st.booleans(), st.none(), st.text(max_size=3))  # None: batch_size's per-method default


def valid(name, value):
    if name in WHOLE:
        low, high, _ = WHOLE[name]
        return type(value) is int and low <= value <= high
    zero_allowed, _ = SHARES[name]
    return type(value) in (int, float) and (0 <= value <= 1 if zero_allowed else 0 < value <= 1)


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(WHOLE) + sorted(SHARES)), value=ANY_VALUE)
def test_every_setting_out_of_range_is_refused_in_one_line_and_every_one_in_range_accepted(name, value):
    method = (WHOLE.get(name) or SHARES[name])[-1][-1]  # a method the setting applies to
    assume(not (name == 'batch_size' and value is None))
    if valid(name, value):
        assert getattr(Config(method=method, **{name: value}), name) == value
        return
    with pytest.raises(ValueError) as refused:
        Config(method=method, **{name: value})
    message = str(refused.value)
    # games_per_round beyond the replay's 10,000 games: refused as a replay too small for it
    assert '\n' not in message and message.startswith((f'{name} must be ', 'replay must hold')), message
    assert repr(value) in message, message


@settings(max_examples=100, deadline=None)
@given(method=st.sampled_from(METHODS), data=st.data())
def test_every_valid_config_is_accepted_and_recorded_as_given(method, data):
    chosen = {}
    for name, (low, high, methods) in WHOLE.items():
        if method in methods and data.draw(st.booleans()):
            chosen[name] = data.draw(st.integers(low, None if high == math.inf else high))
    for name, (zero_allowed, methods) in SHARES.items():
        if method in methods and data.draw(st.booleans()):
            chosen[name] = data.draw(st.floats(0 if zero_allowed else 5e-324, 1))
    if method in SELF_PLAY:  # the replay holds at least a round's games
        chosen['replay'] = max(chosen.get('replay', 10_000), chosen.get('games_per_round', 32))
    config = Config(method=method, **chosen)
    assert {k: config.as_metadata()[k] for k in chosen} == chosen


@settings(max_examples=60, deadline=None)
@given(option=st.sampled_from(['--lr', '--hidden', '--batch-size', '--threads', '--seed', '--epochs']), data=st.data())
def test_wopr_train_refuses_a_bad_value_in_one_line_before_training(option, data, tmp_path_factory):
    """`--lr inf` once trained, then failed on the file's metadata: every bad value now stops before training."""
    name = option[2:].replace('-', '_')
    if name in SHARES:
        value = data.draw(st.one_of(st.sampled_from([math.inf, -math.inf, math.nan]), st.floats(max_value=0),
                                    st.floats(min_value=1, exclude_min=True)))
    else:
        low, high, _ = WHOLE[name]
        value = data.draw(st.one_of(st.integers(max_value=low - 1), st.integers(min_value=high + 1)))
    started, out = [], tmp_path_factory.mktemp('refused') / 'k.safetensors'
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loop, 'train', lambda *args: started.append(args))  # reached only if validation let it by
        message = one_error_line(cli('train', option, value, '--out', out))
    assert message.startswith(f'error: {name} must be ') and not started and not out.exists()


def test_one_place_picks_a_methods_code():
    """loop.RUNS maps every method to its run; nothing else in the training code, nor the train command, compares
    a method's name (config.py only validates it)."""
    assert set(loop.RUNS) == set(METHODS)
    sources = {p.name: p.read_text() for p in Path(loop.__file__).parent.glob('*.py') if p.name != 'config.py'}
    sources['cli.train'] = inspect.getsource(cli_module.train)
    for name, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                assert not any(isinstance(o, ast.Constant) and o.value in METHODS or
                               isinstance(o, ast.Attribute) and o.attr == 'method' for o in operands), \
                    f'{name}:{node.lineno} compares a method'


def test_no_training_loop_imports_rich():
    """Display is the caller's: the training modules import no rich, not even inside a function, and a whole run
    (a check included) loads none."""
    for path in Path(loop.__file__).parent.glob('*.py'):
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or '' for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [n for n in names if n.split('.')[0] == 'rich'], (path.name, names)
    code = ('import sys; from wopr.train.config import Config; from wopr.train import loop, shipped; '
            "loop.train(Config(method='self-play', hidden=2, games=32), lambda p: print(p.done, p.check['games'])); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))")
    ran = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert ran.splitlines() == ['32 32', '[]'], ran


@pytest.mark.parametrize('hidden', [8, 64])
def test_model_names_are_the_contract(hidden):
    shapes = {name: list(t.shape) for name, t in Model(hidden).state_dict().items()}
    assert shapes == expected_shapes(hidden)


def f16_copy(path, tmp_path):
    model = Model(load(path.read_bytes()).hidden_size)
    model.load_state_dict(load_file(str(path)))
    out = tmp_path / 'f16.safetensors'
    out.write_bytes(knowledge_file(model, {}, [], dtype='f16', games=0))
    return out


@pytest.mark.parametrize('dtype', ['F32', 'F16'])
def test_runtime_lstm_matches_torch_on_every_position(dtype, optimal, tmp_path):
    """The pure-Python step against torch.nn.LSTM on the same file, at every step of a spread of games."""
    wide = KNOWLEDGE_DIR / 'wide.safetensors'  # hidden 64, F32
    path = wide if dtype == 'F32' else f16_copy(wide, tmp_path)
    knowledge = load(path.read_bytes())
    assert set(knowledge.dtypes.values()) == {dtype}
    model = Model(knowledge.hidden_size)
    model.load_state_dict(load_file(str(path)))
    network = Network(knowledge)
    worst, steps = 0.0, 0
    for row in optimal.moves[::2003].tolist():  # every reachable game, in solver.games() order
        boards = boards_of([c for c in row if c >= 0])
        with torch.no_grad():
            expected = torch.softmax(model(torch.tensor([encode(b) for b in boards]).unsqueeze(0))[0][0], -1)
        state = network.start()
        for board, want in zip(boards, expected.tolist()):
            state, probs = network.step(state, encode(board))
            worst = max(worst, max(abs(a - b) for a, b in zip(probs, want)))
            assert probs.index(max(probs)) == want.index(max(want))
            steps += 1
    assert steps > 900 and worst <= 1e-5


@pytest.mark.parametrize('dtype', ['f32', 'f16'])
def test_export_metadata_round_trip(dtype):
    torch.manual_seed(5)
    model = Model(16)
    training, history = {'method': 'optimal', 'seed': 5}, [{'epoch': 1, 'loss': 0.5, 'perfect': False}]
    data = knowledge_file(model, training, history, dtype=dtype, games=20, seed=3)
    knowledge = load(data)
    assert knowledge.metadata['format'] == FORMAT and knowledge.metadata['encoding'] == ENCODING
    assert knowledge.hidden_size == 16 and set(knowledge.dtypes.values()) == {dtype.upper()}
    assert knowledge.training['method'] == 'optimal' and knowledge.training['seed'] == 5
    assert set(knowledge.training['versions']) >= {'python', 'torch', 'safetensors'}
    assert knowledge.history == history
    # measured by torch on the stored weights; the runtime plays those same weights to the same figures
    assert knowledge.evaluation == play_strength(RuntimePolicy(knowledge), games=20, seed=3)
    for name, tensor in model.state_dict().items():
        stored = tensor.to(torch.float16 if dtype == 'f16' else torch.float32).float().flatten().tolist()
        assert list(knowledge.tensors[name]) == stored


def tensor_bytes(path):
    """The file's tensor data, without the header (whose metadata holds the wall time)."""
    data = path.read_bytes()
    return data[8 + struct.unpack_from('<Q', data)[0]:]


def test_training_reaches_perfect_play_and_saves_that_epoch(tmp_path):
    out = tmp_path / 'perfect.safetensors'
    result = cli('train', '--until-perfect', '--hidden', 64, '--seed', 1, '--out', out)
    assert result.exit_code == 0, result.output
    knowledge = load_knowledge(out)
    history = knowledge.history
    assert history[-1]['perfect'] and not any(e['perfect'] for e in history[:-1])
    assert knowledge.training['trained_epochs'] == len(history) and knowledge.training['until_perfect']
    assert knowledge.evaluation['perfect']
    assert play_strength(RuntimePolicy(knowledge), games=0)['perfect']


def test_same_seed_same_weights(tmp_path):
    paths = [tmp_path / f'{name}.safetensors' for name in ('a', 'b', 'c')]
    # --dataset: the option's name before self-play, still the same option
    for path, seed, option in zip(paths, (3, 3, 4), ('--method', '--dataset', '--method')):
        result = cli('train', option, 'winning-x', '--centre-first', '--hidden', 8, '--epochs', 1,
                     '--seed', seed, '--dtype', 'f16', '--out', path)
        assert result.exit_code == 0, result.output
    assert tensor_bytes(paths[0]) == tensor_bytes(paths[1])
    assert tensor_bytes(paths[0]) != tensor_bytes(paths[2])
    assert set(load_knowledge(paths[0]).dtypes.values()) == {'F16'}


@pytest.mark.parametrize('args, message', [
    (['--method', 'everything'], 'unknown method'),
    (['--dtype', 'f64'], 'unknown dtype'),
    (['--centre-first'], '--centre-first applies to the winning-x method only'),
    (['--games', '5000'], '--games applies to the self-play method only'),
    (['--epsilon', '0.1'], '--epsilon applies to the self-play method only'),
    (['--lr', 'inf'], 'lr must be a number in (0, 1], not inf'),
    (['--lr', 'nan'], 'lr must be a number in (0, 1], not nan'),
    (['--seed', '-1'], 'seed must be a whole number from 0 to 18446744073709551615, not -1'),
])
def test_train_refuses_bad_options(args, message, tmp_path):
    assert message in one_error_line(cli('train', *args, '--out', tmp_path / 'k.safetensors'))
    assert not (tmp_path / 'k.safetensors').exists()
