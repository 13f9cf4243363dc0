"""The LSTM step of nn.LSTM(18, H) + nn.Linear(H, 9) in pure Python (PyTorch gate order i, f, g, o)."""
import math

from .knowledge import INPUTS, OUTPUTS


def dot(row, v):
    s = 0.0
    for a, b in zip(row, v):
        s += a * b
    return s


def axpy(acc, a, column):
    """acc + a * column, the inner loop of every matrix-vector product here."""
    return [s + a * w for s, w in zip(acc, column)]


def sigmoid(z):
    # math.exp overflows (MicroPython raises ValueError) for large arguments; both tails are flat there
    if z < -60.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


def softmax(logits):
    top = max(logits)
    e = [math.exp(z - top) for z in logits]
    total = sum(e)
    return [v / total for v in e]


def _rows(flat, n, width):
    return [flat[r * width:(r + 1) * width] for r in range(n)]


class Network:
    """Weights arranged for the step; the recurrent state (h, c) is passed in and out, so games can branch."""

    def __init__(self, knowledge):
        t = knowledge.tensors
        self.hidden = h = knowledge.hidden_size
        # Matrices are kept by column: W·v as a sum of columns scaled by v's entries is the fastest
        # pure-Python form here, and since inputs are one-hot board planes, W_ih·x is a few columns only.
        w_ih = _rows(t['lstm.weight_ih_l0'], 4 * h, INPUTS)
        self.columns = [[row[k] for row in w_ih] for k in range(INPUTS)]
        self.bias = [a + b for a, b in zip(t['lstm.bias_ih_l0'], t['lstm.bias_hh_l0'])]
        w_hh = _rows(t['lstm.weight_hh_l0'], 4 * h, h)
        self.recurrent = [[row[k] for row in w_hh] for k in range(h)]
        self.head = _rows(t['head.weight'], OUTPUTS, h)
        self.head_bias = t['head.bias']

    def start(self):
        """The state before step 0: h = c = 0."""
        return None

    def step(self, state, x):
        """Feed one 18-float input; returns the new state and the 9 move probabilities."""
        gates = self.bias
        for xk, column in zip(x, self.columns):
            if xk:
                gates = axpy(gates, xk, column)
        if state is None:
            c_prev = [0.0] * self.hidden
        else:
            h_prev, c_prev = state
            for hk, column in zip(h_prev, self.recurrent):
                gates = axpy(gates, hk, column)
        n = self.hidden
        c, h = [], []
        for j in range(n):
            i = sigmoid(gates[j])
            f = sigmoid(gates[n + j])
            g = math.tanh(gates[2 * n + j])
            o = sigmoid(gates[3 * n + j])
            cj = f * c_prev[j] + i * g
            c.append(cj)
            h.append(o * math.tanh(cj))
        logits = [b + dot(row, h) for b, row in zip(self.head_bias, self.head)]
        return (h, c), softmax(logits)
