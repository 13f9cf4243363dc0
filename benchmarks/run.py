"""`make bench`: import every other benchmarks/*.py module and call its main(), one after another."""
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main():
    sys.path.insert(0, str(HERE))
    failed = 0
    for path in sorted(HERE.glob('*.py')):
        if path.name != Path(__file__).name:
            failed += bool(importlib.import_module(path.stem).main())
    return failed


if __name__ == '__main__':
    sys.exit(main())
