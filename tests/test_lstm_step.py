"""The LSTM step's own contract, against the LSTM equations in NumPy: any inputs, branching states, the dot kernel."""
import copy
import random

import numpy as np
import pytest

from tests.support.knowledge_files import make_knowledge
from wopr.runtime.knowledge import load
from wopr.runtime.lstm import Network, dot_function


def numpy_lstm(knowledge, inputs):
    """PyTorch's LSTM equations (gates i, f, g, o; both biases) and the softmax head, in float64."""
    t = {k: np.array(v) for k, v in knowledge.tensors.items()}
    n = knowledge.hidden_size
    w_ih, w_hh = t['lstm.weight_ih_l0'].reshape(4 * n, 18), t['lstm.weight_hh_l0'].reshape(4 * n, n)
    head = t['head.weight'].reshape(9, n)
    h, c, out = np.zeros(n), np.zeros(n), []
    for x in inputs:
        z = w_ih @ np.array(x) + t['lstm.bias_ih_l0'] + w_hh @ h + t['lstm.bias_hh_l0']
        i, f, g, o = 1 / (1 + np.exp(-z[:n])), 1 / (1 + np.exp(-z[n:2 * n])), np.tanh(z[2 * n:3 * n]), \
            1 / (1 + np.exp(-z[3 * n:]))
        c = f * c + i * g
        h = o * np.tanh(c)
        logits = head @ h + t['head.bias']
        e = np.exp(logits - logits.max())
        out.append(e / e.sum())
    return out


@pytest.mark.parametrize('hidden', [1, 5, 32])
def test_any_input_sequence_matches_the_equations(tmp_path, hidden):
    """Inputs that are not board planes too: fractions, negatives, entries going back to 0, many changing at once."""
    knowledge = load(make_knowledge(tmp_path, hidden=hidden, seed=hidden, scale=2.0).read_bytes())
    rng = random.Random(hidden)
    inputs = [[0.0] * 18]
    for _ in range(12):
        x = list(inputs[-1])
        for k in rng.sample(range(18), rng.randint(0, 6)):
            x[k] = rng.choice([0.0, 1.0, -0.5, 2.25, rng.uniform(-3, 3)])
        inputs.append(x)
    net = Network(knowledge)
    state = net.start()
    for x, expected in zip(inputs, numpy_lstm(knowledge, inputs)):
        state, probs = net.step(state, x)
        assert np.abs(np.array(probs) - expected).max() < 1e-12


def test_states_are_values_so_games_can_branch(tmp_path):
    knowledge = load(make_knowledge(tmp_path, hidden=6, seed=1, scale=2.0).read_bytes())
    net = Network(knowledge)
    x0, x1, x2 = [0.0] * 18, [0.0] * 18, [0.0] * 18
    x1[4], x2[4], x2[9] = 1.0, 1.0, 1.0
    root, _ = net.step(net.start(), x0)
    kept = copy.deepcopy(root)
    a, pa = net.step(root, x1)
    _, pb = net.step(root, x2)  # a sibling from the same state
    assert root == kept
    assert net.step(root, x1)[1] == pa
    assert np.abs(np.array(pb) - numpy_lstm(knowledge, [x0, x2])[-1]).max() < 1e-12
    assert np.abs(np.array(net.step(a, x2)[1]) - numpy_lstm(knowledge, [x0, x1, x2])[-1]).max() < 1e-12


@pytest.mark.parametrize('width', [1, 2, 7, 64, 65, 130, 1024])  # over 64: summed 64 terms at a time
def test_dot_kernel_is_the_left_to_right_sum(width):
    rng = random.Random(width)
    w = [rng.uniform(-1, 1) for _ in range(width)]
    v = tuple(rng.uniform(-1, 1) for _ in range(width))
    expected = 0.25
    for a, b in zip(w, v):
        expected += a * b
    assert dot_function(width)(0.25, w, v) == expected
    assert dot_function(width) is dot_function(width)  # compiled once per size
