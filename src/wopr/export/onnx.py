"""The knowledge as an ONNX model: the game so far [steps, 18] in, the move probabilities after each step out."""
import io
import warnings

import onnx
import torch
from torch import nn

from ..runtime.format import expected_shapes
from ..train.model import Model

# onnxruntime and onnxruntime-web (wasm) run opset 17 and its LSTM op; fixed, so a file is the same whatever torch
OPSET = 17
METADATA = ('format', 'encoding', 'hidden_size', 'training', 'evaluation')


class Policy(nn.Module):
    """The contract's Model on one game, as the runtime steps it: softmax over the nine cells at every step
    (illegal cells not masked: the player does that)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, boards):
        logits, _ = self.model(boards.unsqueeze(0))  # a batch of one game; h and c start at zero
        return torch.softmax(logits[0], -1)


def policy(knowledge):
    """The float32 torch Policy of a knowledge file (F16 weights are exact in float32)."""
    model = Model(knowledge.hidden_size)
    shapes = expected_shapes(knowledge.hidden_size)
    model.load_state_dict({name: torch.tensor(values, dtype=torch.float32).reshape(shapes[name])
                           for name, values in knowledge.tensors.items()})
    return Policy(model).eval()


def onnx_bytes(knowledge):
    """The ONNX model: input `boards` float32 [steps, 18], output `probs` float32 [steps, 9], one LSTM op; the
    knowledge's metadata in metadata_props."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript exporter on purpose, deprecated as a whole: dynamo=True declared the output with the
        # example's length, not [steps, 9], and needs onnxscript. Its LSTM batch-size caveat: one game, always.
        warnings.simplefilter('ignore', DeprecationWarning)
        warnings.filterwarnings('ignore', 'Exporting a model to ONNX with a batch_size other than 1', UserWarning)
        warnings.simplefilter('ignore', torch.jit.TracerWarning)  # nn.LSTM's own checks of the traced shapes
        torch.onnx.export(policy(knowledge), (torch.zeros(2, 18),), buffer, dynamo=False, opset_version=OPSET,
                          input_names=['boards'], output_names=['probs'],
                          dynamic_axes={'boards': {0: 'steps'}, 'probs': {0: 'steps'}})
    model = onnx.load_from_string(buffer.getvalue())
    for key in METADATA:
        if key in knowledge.metadata:
            model.metadata_props.add(key=key, value=knowledge.metadata[key])
    model.metadata_props.add(key='knowledge_sha256', value=knowledge.sha256)
    model.doc_string = ('wopr tic-tac-toe policy: boards [steps, 18] (x[c] = 1 if X holds cell c, x[9 + c] = 1 if O '
                        'does; step 0 the empty board) -> probs [steps, 9], the next move after each step')
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()
