"""A trained model as a knowledge file: safetensors bytes with the contract's metadata (never pickle)."""
import json
import platform

import safetensors
import torch
from safetensors.torch import save

from .. import __version__, evaluate
from ..runtime.format import ENCODING, FORMAT
from .model import TORCH_TYPES, TorchPolicy


def versions():
    import numpy
    return {'python': platform.python_version(), 'torch': torch.__version__, 'safetensors': safetensors.__version__,
            'numpy': numpy.__version__, 'wopr': __version__}


def compact(value):
    """JSON without the spaces json.dumps puts after each comma and colon: a fifth of a history's bytes."""
    return json.dumps(value, separators=(',', ':'))


def knowledge_file(model, training, history, dtype='f32', games=100, seed=0):
    """The file's bytes; its `evaluation` is measured on the weights exactly as stored (`dtype`)."""
    tensors = {name: t.detach().to(TORCH_TYPES[dtype]).contiguous() for name, t in model.state_dict().items()}
    result = evaluate.play_strength(TorchPolicy(model, dtype), games, seed)
    metadata = {'format': FORMAT, 'encoding': ENCODING, 'hidden_size': str(model.lstm.hidden_size),
                'training': compact({**training, 'versions': versions()}),
                'history': compact(history), 'evaluation': compact(result)}
    return save(tensors, metadata=metadata)


def trained_file(trained):
    """The knowledge file of a training run (a trained.Trained)."""
    return knowledge_file(trained.model, trained.training_metadata(), trained.history, trained.config.dtype)
