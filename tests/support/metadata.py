"""Valid knowledge files with any metadata beside the contract's, written by the runtime's own writer (no torch)."""
import json
import math

from wopr.runtime.format import ENCODING, FORMAT, expected_shapes
from wopr.runtime.writer import safetensors_bytes


def knowledge_bytes(**metadata):
    """A valid hidden-2 knowledge file with this metadata besides the contract's (JSON values as Python values, or
    as JSON text when given as a str)."""
    shapes = expected_shapes(2)
    tensors = {name: [0.5] * math.prod(shape) for name, shape in shapes.items()}
    meta = {'format': FORMAT, 'encoding': ENCODING, 'hidden_size': '2'}
    meta.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()})
    return safetensors_bytes(tensors, shapes, meta)
