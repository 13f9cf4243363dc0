"""The benchmarks `make bench` runs (`python -m benchmarks.run`), each printing a table."""
import sys
import time


def standalone(main):
    """Run one benchmark's main() as `python -m benchmarks.NAME`: its exit status, and how long it took on stderr."""
    started = time.perf_counter()
    status = main()
    print(f'({time.perf_counter() - started:.0f} s)', file=sys.stderr)
    sys.exit(status)
