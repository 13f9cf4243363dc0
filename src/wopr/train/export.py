"""Write a model as a knowledge file: safetensors bytes with the contract's metadata (never pickle)."""
import json
import platform

import safetensors
import torch
from safetensors.torch import save

from .. import __version__, evaluate, sources
from ..runtime.knowledge import ENCODING, FORMAT
from .loop import train
from .model import DTYPES, TorchPolicy


def versions():
    import numpy
    return {'python': platform.python_version(), 'torch': torch.__version__, 'safetensors': safetensors.__version__,
            'numpy': numpy.__version__, 'wopr': __version__}


def knowledge_bytes(model, training, history, dtype='f32', games=100, seed=0):
    """The knowledge file's bytes; its `evaluation` is measured on the weights exactly as stored."""
    tensors = {name: t.detach().to(DTYPES[dtype]).contiguous() for name, t in model.state_dict().items()}
    result = evaluate.evaluate(TorchPolicy(model, dtype), games, seed)
    metadata = {'format': FORMAT, 'encoding': ENCODING, 'hidden_size': str(model.lstm.hidden_size),
                'training': json.dumps({**training, 'versions': versions()}),
                'history': json.dumps(history), 'evaluation': json.dumps(result)}
    return save(tensors, metadata=metadata)


def train_to(out, dtype='f32', **options):
    """Train (see loop.train for the options) and write the knowledge to `out` (a path, or whatever wopr.sources
    can write to); returns (bytes, perfect)."""
    if dtype not in DTYPES:
        raise ValueError(f'unknown dtype {dtype!r} (f32 or f16)')
    model, training, history, perfect = train(dtype=dtype, **options)
    data = knowledge_bytes(model, training, history, dtype)
    sources.write_bytes(out, data)
    return data, perfect
