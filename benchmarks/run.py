"""`make bench`: run every other benchmarks/*.py module's main(), one after another (`python -m benchmarks.run`)."""
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main():
    failed = 0
    for path in sorted(HERE.glob('*.py')):
        if path.stem not in ('__init__', 'run'):
            failed += bool(importlib.import_module(f'benchmarks.{path.stem}').main())
    return failed


if __name__ == '__main__':
    sys.exit(main())
