"""Shared test helpers: knowledge files written by the safetensors library, and the runtime under MicroPython-wasm."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from wopr.runtime.knowledge import ENCODING, FORMAT

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_DIR = ROOT / 'src' / 'wopr' / 'runtime'
MICROPYTHON_DIR = ROOT / 'web' / 'node_modules' / '@micropython' / 'micropython-webassembly-pyscript'
DRIVER = Path(__file__).with_name('micropython_run.mjs')
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


@pytest.fixture
def knowledge_file(tmp_path):
    """The default small knowledge file for a test."""
    return make_knowledge(tmp_path)


class MicroPython:
    """The runtime's .py files inside MicroPython-wasm (the npm build the browser loads), driven by one Node process.

    Each request is one line of JSON on stdin, answered by one line on stdout, so a test module starts Node once.
    """

    def __init__(self):
        node = shutil.which('node')
        if node is None:
            raise RuntimeError('node is not on PATH: the MicroPython-wasm tests need Node.js')
        if not (MICROPYTHON_DIR / 'micropython.mjs').is_file():
            raise RuntimeError(f'{MICROPYTHON_DIR} is missing: run `cd web && npm ci`')
        self.process = subprocess.Popen([node, str(DRIVER), str(MICROPYTHON_DIR / 'micropython.mjs')],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for path in sorted(RUNTIME_DIR.glob('*.py')):
            self.call('write', path=f'/lib/wopr/runtime/{path.name}', text=path.read_text())
        self.call('write', path='/lib/wopr/__init__.py', text='')

    def call(self, op, **fields):
        self.process.stdin.write(json.dumps({'op': op, **fields}) + '\n')
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f'the MicroPython driver died (exit {self.process.wait()})')
        reply = json.loads(line)
        if 'error' in reply:
            raise RuntimeError(f'MicroPython: {reply["error"]}')
        return reply['result']

    def put(self, path, data):
        """Copy bytes into MicroPython's file system."""
        return self.call('put', path=path, hex=bytes(data).hex())

    def run(self, code):
        """Run Python source in MicroPython's __main__; returns what it printed."""
        return self.call('run', code=code)

    def call_python(self, module, function, *args):
        """module.function(*args) in MicroPython, arguments and result passed as JSON."""
        return self.call('call', module=module, function=function, args=list(args))

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope='module')
def micropython():
    mp = MicroPython()
    yield mp
    mp.close()
