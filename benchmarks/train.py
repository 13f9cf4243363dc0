"""Training wall time to perfect play (0 losses, 100% fastest-optimal moves on both sides), hidden 32 and 64."""
import os
import platform
import statistics
import sys
import time

import torch
from rich.console import Console
from rich.table import Table

from wopr.train.config import Config
from wopr.train.loop import train

HIDDEN = (32, 64)
SEEDS = (1, 2, 3)
MAX_EPOCHS = 20
TARGET_SECONDS = 60


def run(hidden, seed):
    """(epochs, loop seconds, total seconds with the dataset, total CPU seconds, perfect) for one seeded run."""
    started, cpu = time.perf_counter(), time.process_time()
    trained = train(Config(hidden=hidden, seed=seed, epochs=MAX_EPOCHS, until_perfect=True), progress=False)
    return (len(trained.history), trained.seconds, time.perf_counter() - started, time.process_time() - cpu,
            trained.perfect)


def main():
    console = Console()
    table = Table(title=f'Training to perfect play (dataset optimal, batch 256, Adam 3e-3, 1 torch thread, '
                        f'seeds {", ".join(map(str, SEEDS))}; target <= {TARGET_SECONDS} s)')
    for column in ('hidden', 'perfect', 'epochs', 'loop s (median)', 'total s (median)', 'total s (max)',
                   'CPU s (median)'):
        table.add_column(column, justify='right')
    results = {hidden: [run(hidden, seed) for seed in SEEDS] for hidden in HIDDEN}
    for hidden, runs in results.items():
        table.add_row(str(hidden), f'{sum(r[4] for r in runs)}/{len(runs)}', ', '.join(str(r[0]) for r in runs),
                      f'{statistics.median(r[1] for r in runs):.1f}', f'{statistics.median(r[2] for r in runs):.1f}',
                      f'{max(r[2] for r in runs):.1f}', f'{statistics.median(r[3] for r in runs):.1f}')
    console.print(table)
    console.print(f'{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}; '
                  '"total" includes building the 255,168-game dataset; '
                  'other work on the machine inflates wall time, not CPU time.', highlight=False)
    return not all(r[4] for runs in results.values() for r in runs)  # benchmarks/run.py counts a true result


if __name__ == '__main__':
    sys.exit(main())
