"""The NNDK: datasets, the model's contract names, the runtime against torch.nn.LSTM, export, training to perfect."""
import struct

import pytest
import torch
from safetensors.torch import load_file

from tests.support.commands import cli, one_error_line
from tests.support.games import boards_of
from wopr import solver
from wopr.evaluate import RuntimePolicy, play_strength
from wopr.runtime.board import encode, winner
from wopr.runtime.format import ENCODING, FORMAT, expected_shapes
from wopr.runtime.knowledge import load
from wopr.runtime.lstm import Network
from wopr.sources import KNOWLEDGE_DIR, load_knowledge
from wopr.train import datasets
from wopr.train.config import Config
from wopr.train.export import knowledge_file
from wopr.train.model import Model


@pytest.fixture(scope='module')
def optimal():
    return datasets.build('optimal')


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
    data = datasets.build('winning-x')
    assert len(data) == 131_184
    _, target, steps = data.batch(torch.arange(0, len(data), 1001))
    moves = data.moves[::1001].long()
    assert torch.equal(target[steps].nonzero()[:, 1], moves[moves >= 0])
    centre = datasets.build('winning-x', centre_first=True)
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
])
def test_train_refuses_bad_options(args, message, tmp_path):
    assert message in one_error_line(cli('train', *args, '--out', tmp_path / 'k.safetensors'))
    assert not (tmp_path / 'k.safetensors').exists()
