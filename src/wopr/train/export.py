"""A trained model as a knowledge file: safetensors bytes with the contract's metadata (never pickle)."""
import json
import math
import platform

import safetensors
import torch
from safetensors.torch import save

from .. import __version__, evaluate
from ..runtime.format import ENCODING, FORMAT
from ..runtime.metadata import derived_perfect
from .model import TORCH_TYPES, TorchPolicy


def versions():
    import numpy
    return {'python': platform.python_version(), 'torch': torch.__version__, 'safetensors': safetensors.__version__,
            'numpy': numpy.__version__, 'wopr': __version__}


def compact(value):
    """JSON without the spaces json.dumps puts after each comma and colon: a fifth of a history's bytes."""
    return json.dumps(value, separators=(',', ':'))


# A curve of 16 points reads as well as one of 80 and keeps the hidden-8 default under 4 KB with its metadata.
HISTORY_POINTS = 16


def _short(key, v):
    """A figure as few characters as it reads: a percentage rounded down (never 100 before it is), the loss to three
    significant digits, seconds to a tenth; a whole float as an int."""
    if type(v) is float:
        v = (math.floor(v * 100) / 100 if key.endswith('_pct') else float(f'{v:.3g}') if key == 'loss'
             else round(v, 1) if key == 'seconds' else v)
        v = int(v) if v.is_integer() and abs(v) < 2 ** 53 else v
    return v


def history_columns(history):
    """The history as a file stores it (docs/knowledge-format.md): at most HISTORY_POINTS entries, the first, the last
    and evenly spaced between (and the first perfect one), then column by column ({key: [value per entry]}, null
    where an entry has none), each figure short; `perfect` left out when every entry's is its own figures' verdict
    (no losing line, every move the fastest), which the reader then derives."""
    n = len(history)
    keep = set(range(n)) if n <= HISTORY_POINTS else {round(i * (n - 1) / (HISTORY_POINTS - 1))
                                                       for i in range(HISTORY_POINTS)}
    keep |= {next((i for i, p in enumerate(history) if p.get('perfect') is True), 0)} if n else set()
    rows = [history[i] for i in sorted(keep)]
    derived = all(derived_perfect(row) == row.get('perfect') for row in rows)
    keys = [k for k in dict.fromkeys(k for row in rows for k in row) if not (k == 'perfect' and derived)]
    return {k: [_short(k, row.get(k)) for row in rows] for k in keys}


def knowledge_file(model, training, history, dtype='f32', games=100, seed=0):
    """The file's bytes; its `evaluation` is measured on the weights exactly as stored (`dtype`)."""
    tensors = {name: t.detach().to(TORCH_TYPES[dtype]).contiguous() for name, t in model.state_dict().items()}
    result = evaluate.play_strength(TorchPolicy(model, dtype), games, seed)
    metadata = {'format': FORMAT, 'encoding': ENCODING, 'hidden_size': str(model.lstm.hidden_size),
                'training': compact({**training, 'versions': versions()}),
                'history': compact(history_columns(history)), 'evaluation': compact(result)}
    return save(tensors, metadata=metadata)


def trained_file(trained):
    """The knowledge file of a training run (a trained.Trained)."""
    return knowledge_file(trained.model, trained.training_metadata(), trained.history, trained.config.dtype)
