"""The page's MicroPython-wasm is wopr's own build (engine/): the committed files are what its recipe built, it is the
`wopr` variant of MicroPython 1.27.0 (nothing frozen in, no asyncio), and the recipe refuses another source. That the
runtime behaves in it as in CPython is tests/test_micropython.py's, run on this very build."""
import hashlib
import subprocess
from pathlib import Path

from wopr.web.site import ENGINE, engine_dir

ROOT = Path(__file__).resolve().parents[1]
SUMS = ROOT / 'engine' / 'SHA256SUMS'
RECIPE = ['engine/build.sh', 'engine/library.js.diff', 'engine/prologue.mjs', 'engine/variant/mpconfigvariant.h',
          'engine/variant/mpconfigvariant.mk']


def test_the_committed_engine_is_what_its_recipe_built():
    """engine/SHA256SUMS, written by engine/build.sh: a change to the recipe or to the engine without the other fails
    here (rebuild with `make engine`)."""
    header, *lines = SUMS.read_text().splitlines()
    assert header == '# MicroPython 1.27.0, emscripten 3.1.6'
    recorded = dict(reversed(line.split('  ', 1)) for line in lines)
    engine = [str((engine_dir() / name).relative_to(ROOT)) for name in sorted(ENGINE, reverse=True)]
    assert list(recorded) == RECIPE + engine
    assert sorted(str(p.relative_to(ROOT)) for p in (ROOT / 'engine').rglob('*') if p.is_file()) == sorted(
        [*RECIPE, 'engine/README.md', 'engine/SHA256SUMS'])  # every file of the recipe is recorded
    for path, digest in recorded.items():
        assert hashlib.sha256((ROOT / path).read_bytes()).hexdigest() == digest, path


def test_the_engine_is_the_wopr_variant_of_micropython_1_27(micropython):
    printed = micropython.run('import sys\nprint(sys.implementation._build, sys.implementation.version[:3])\n'
                              'try:\n    import asyncio\nexcept ImportError:\n    print("no asyncio")\n')
    assert printed.split() == ['wopr', '(1,', '27,', '0)', 'no', 'asyncio']


def test_the_recipe_refuses_a_source_that_is_not_micropython_1_27(tmp_path):
    (tmp_path / 'py').mkdir()
    (tmp_path / 'py' / 'mpconfig.h').write_text('#define MICROPY_VERSION_MAJOR 1\n#define MICROPY_VERSION_MINOR 26\n'
                                                 '#define MICROPY_VERSION_MICRO 0\n')
    run = subprocess.run([ROOT / 'engine' / 'build.sh', tmp_path], capture_output=True, text=True, check=False)
    assert run.returncode == 1 and run.stderr == f"{tmp_path} is not MicroPython 1.27.0's source (found: 1.26.0)\n"
    assert run.stdout == '' and SUMS.is_file()
