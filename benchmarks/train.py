"""Training to perfect play (0 losses on both sides, every move the fastest win, over the whole game tree): the
solver-target trainer and self-play (no solver in what it learns from) at the same hidden size, seed by seed in one
run, as a ratio; and self-play's curve, games played against losing lines."""
import os
import platform
import statistics
import sys
import time

import torch
from rich.console import Console
from rich.table import Table

from wopr.report import sparkline
from wopr.train.config import Config
from wopr.train.loop import train

HIDDEN = (64, 32)
SEEDS = (0, 1, 2)
TARGET_SECONDS = {'optimal': 60, 'self-play': 600}
MOONSHOT_SECONDS = {'self-play': 120}  # perfect with the fastest wins: the moonshot
RATIO_TO = {'self-play': 'optimal'}  # its CPU time as a multiple of the solver trainer's


def run(config):
    """(trained, wall seconds with the dataset, CPU seconds) of one seeded run to the first perfect check."""
    started, cpu = time.perf_counter(), time.process_time()
    trained = train(config)
    return trained, time.perf_counter() - started, time.process_time() - cpu


def met(runs, seconds):
    """Every seed perfect within `seconds` of wall time."""
    return '[green]met[/]' if all(r[0].perfect and r[1] <= seconds for r in runs) else '[red]missed[/]'


def configs(hidden, seed):
    return {'optimal': Config(hidden=hidden, seed=seed, until_perfect=True),
            'self-play': Config(method='self-play', hidden=hidden, seed=seed, until_perfect=True, games=300_000)}


def main():
    console = Console(width=max(Console().width, 130))
    load = os.getloadavg()[0]
    table = Table(title=f'Training to perfect play, seeds {", ".join(map(str, SEEDS))}, 1 torch thread '
                        f'(load average {load:.1f} at the start)')
    for column in ('hidden', 'method', 'perfect', 'learnt from', 'wall s per seed', 'median wall s', 'median CPU s',
                   'self-play / solver (CPU)', 'target'):
        table.add_column(column, justify='right')
    curves, ok = {}, True
    for hidden in HIDDEN:
        runs = {method: [] for method in TARGET_SECONDS}
        for seed in SEEDS:  # the two methods side by side, seed by seed: the machine's load hits both alike
            for method, config in configs(hidden, seed).items():
                runs[method].append(run(config))
        cpu = {method: statistics.median(r[2] for r in rs) for method, rs in runs.items()}
        for method, rs in runs.items():
            perfect = sum(r[0].perfect for r in rs)
            ok &= perfect == len(rs)
            learnt = ', '.join(r[0].took for r in rs)
            target = f'<= {TARGET_SECONDS[method]} s: {met(rs, TARGET_SECONDS[method])}'
            if method in MOONSHOT_SECONDS:
                target += f'; moonshot <= {MOONSHOT_SECONDS[method]} s: {met(rs, MOONSHOT_SECONDS[method])}'
            table.add_row(str(hidden), method, f'{perfect}/{len(rs)}', learnt, ', '.join(f'{r[1]:.0f}' for r in rs),
                          f'{statistics.median(r[1] for r in rs):.1f}', f'{cpu[method]:.1f}',
                          f'{cpu[method] / cpu[RATIO_TO[method]]:.1f}x' if method in RATIO_TO else '', target)
        curves[hidden] = runs['self-play'][0][0].history
    console.print(table)
    for hidden, curve in curves.items():
        losing = [p['losses_x'] + p['losses_o'] for p in curve]
        console.print(f'self-play curve, hidden {hidden}, seed {SEEDS[0]} (one check per point, every '
                      f'{curve[0]["games"]:,} games or so): losing lines {sparkline(losing)} {losing[0]} -> '
                      f'{losing[-1]}; minimax-optimal moves {curve[0]["optimal_pct"]:.1f}% -> '
                      f'{curve[-1]["optimal_pct"]:.1f}% at {curve[-1]["games"]:,} games', highlight=False)
    console.print(f'{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}; '
                  'solver targets: every reachable game (255,168), the dataset\'s build included in wall time; '
                  'self-play: games against itself, its exhaustive check every 1,000 games. Other work on the '
                  'machine inflates wall time more than CPU time: the ratio is of CPU seconds.', highlight=False)
    return not ok  # benchmarks/run.py counts a true result as a failure: a run that missed perfect play


if __name__ == '__main__':
    sys.exit(main())
