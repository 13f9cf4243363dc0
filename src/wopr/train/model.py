"""The PyTorch model of the knowledge contract: nn.LSTM(18, H) + nn.Linear(H, 9), attributes `lstm` and `head`."""
import copy

import torch
from torch import nn

TORCH_TYPES = {'f32': torch.float32, 'f16': torch.float16}


class Model(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.lstm = nn.LSTM(18, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 9)

    def forward(self, x, state=None):
        """Move logits at every step of x [B, T, 18], and the recurrent state after the last step."""
        out, state = self.lstm(x, state)
        return self.head(out), state


class TorchPolicy:
    """The batched policy `wopr.evaluate` walks game trees with: one LSTM step for a whole level of positions.

    It plays the weights as a knowledge file of `dtype` would hold them, in float64 like the pure-Python runtime,
    so its moves are the runtime's moves."""

    def __init__(self, model, dtype='f32'):
        self.model = copy.deepcopy(model).to(TORCH_TYPES[dtype]).double().eval()
        self.hidden = model.lstm.hidden_size

    def start(self, n):
        zeros = torch.zeros(1, n, self.hidden, dtype=torch.float64)
        return zeros, zeros

    @torch.no_grad()
    def step(self, state, xs):
        logits, state = self.model(torch.tensor(xs, dtype=torch.float64).unsqueeze(1), state)
        return state, torch.softmax(logits[:, 0], -1).tolist()

    def select(self, state, index):
        h, c = state
        return h[:, index], c[:, index]
