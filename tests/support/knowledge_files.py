"""Knowledge files written by the safetensors library itself from the contract's PyTorch module (the reference the
runtime's reader and LSTM are checked against)."""
import json
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from wopr.runtime.format import ENCODING, FORMAT

TORCH_DTYPES = {'F32': torch.float32, 'F16': torch.float16}


class Model(nn.Module):
    """The contract's module: nn.LSTM(18, H) + nn.Linear(H, 9) as attributes `lstm` and `head`."""

    def __init__(self, hidden):
        super().__init__()
        self.lstm = nn.LSTM(18, hidden)
        self.head = nn.Linear(hidden, 9)


def contract_metadata(hidden, **extra):
    return {'format': FORMAT, 'encoding': ENCODING, 'hidden_size': str(hidden), **extra}


def make_model(hidden=16, seed=0, scale=1.0):
    """A randomly initialised contract module (PyTorch's own init, optionally scaled up for livelier outputs)."""
    torch.manual_seed(seed)
    model = Model(hidden)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)
    return model


def write_knowledge(path, tensors, metadata):
    """Save name -> tensor with the safetensors library itself; returns the path."""
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata=metadata)
    return Path(path)


def make_knowledge(directory, hidden=16, dtype='F32', seed=0, scale=1.0, name=None, model=None):
    """A knowledge file of a random nn.LSTM(18, hidden) + nn.Linear(hidden, 9), written by safetensors.torch."""
    model = model or make_model(hidden, seed, scale)
    tensors = {k: v.detach().to(TORCH_DTYPES[dtype]) for k, v in model.state_dict().items()}
    metadata = contract_metadata(hidden, training=json.dumps({'seed': seed}), history='[]', evaluation='{}')
    path = Path(directory) / (name or f'h{hidden}-{dtype.lower()}-s{seed}.safetensors')
    return write_knowledge(path, tensors, metadata)



def zero_model(hidden=8):
    """The contract module with every weight 0: its move is always the lowest free cell."""
    model = Model(hidden)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    return model


def make_claiming(directory, name, evaluation, history=(), model=None):
    """A file whose metadata claims `evaluation` and `history` whatever its weights do (by default all zero),
    written by safetensors.torch."""
    model = model or zero_model()
    tensors = {k: v.detach().clone() for k, v in model.state_dict().items()}
    metadata = contract_metadata(model.lstm.hidden_size, evaluation=json.dumps(evaluation),
                                 history=json.dumps(list(history)))
    return write_knowledge(Path(directory) / name, tensors, metadata)


def lying_files(directory):
    """All-zero networks (hidden 8, as the default) whose metadata lies about them, {name: path}: `copied`, the
    shipped default's evaluation and history; `fewer-losses`, its own figures with fewer losses; `history`, its own
    true evaluation but the default's perfect history; `one-side`, the default's figures as X only."""
    from wopr.evaluate import RuntimePolicy, play_strength
    from wopr.runtime.knowledge import load
    from wopr.sources import DEFAULT
    default = load(DEFAULT.read_bytes())
    directory = Path(directory)
    plain = make_claiming(directory, 'plain.safetensors', {})
    honest = play_strength(RuntimePolicy(load(plain.read_bytes())))
    plain.unlink()
    fewer = json.loads(json.dumps(honest))
    fewer['X']['losses'] -= 5
    fewer['O']['losses'] //= 2
    claims = {'copied': (default.evaluation, default.history), 'fewer-losses': (fewer, ()),
              'history': (honest, default.history), 'one-side': ({'X': default.evaluation['X']}, ())}
    return {name: make_claiming(directory, f'{name}.safetensors', evaluation, history)
            for name, (evaluation, history) in claims.items()}
