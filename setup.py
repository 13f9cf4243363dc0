"""The wheel carries MicroPython-wasm: micropython.wasm/.mjs are copied in at build time from the npm package pinned
in web/package-lock.json (which `npm ci` checked against the lock's integrity hash), so users need no Node."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ENGINE = Path('web/node_modules/@micropython/micropython-webassembly-pyscript')
FILES = ('micropython.mjs', 'micropython.wasm')


class BuildWithEngine(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads web/node_modules itself
            return
        missing = [name for name in FILES if not (ENGINE / name).is_file()]
        if missing:
            raise SystemExit(f'{ENGINE} lacks {", ".join(missing)}: run `cd web && npm ci` before building wopr')
        target = Path(self.build_lib, 'wopr', 'web', 'engine')
        target.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(ENGINE / name, target / name)


setup(cmdclass={'build_py': BuildWithEngine})
