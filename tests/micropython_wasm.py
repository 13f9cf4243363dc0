"""The runtime's .py files inside MicroPython-wasm (the npm build the browser loads), driven by one Node process.

Used by the tests (the `micropython` fixture) and by benchmarks/runtime.py."""
import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_DIR = ROOT / 'src' / 'wopr' / 'runtime'
MICROPYTHON_DIR = ROOT / 'web' / 'node_modules' / '@micropython' / 'micropython-webassembly-pyscript'
DRIVER = Path(__file__).with_name('micropython_run.mjs')


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

    def time(self, function, repeat, *args):
        """Call the __main__ function `repeat` times, one call from JS each as the page's worker makes them:
        (milliseconds per call, what each call returned)."""
        result = self.call('time', function=function, repeat=repeat, args=list(args))
        return result['ms'], result['returned']

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)
