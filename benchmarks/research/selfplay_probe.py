"""Self-play probe: games and seconds to first perfect play, per variant (name=value knobs), seed and hidden size.

Milestones: "optimal" = 0 losing lines as X and as O and 100% minimax-optimal moves; "perfect" = also 100% fastest
moves (evaluate's flag). One JSON line per run; run ONE at a time (1 torch thread), other load inflates wall time
(CPU seconds are recorded too, and the cap is on CPU seconds so a loaded machine does not cut a run short).

    python -m benchmarks.research.selfplay_probe --hidden 64 32 --seeds 0 1 2 --out runs.jsonl [knob=value ...]
"""
import argparse
import json
import os
import sys
import time

from wopr.train.config import Config
from wopr.train.loop import train


def optimal(p):
    return p['losses_x'] == 0 and p['losses_o'] == 0 and p['optimal_pct'] == 100.0


def run(hidden, seed, max_cpu, until_perfect=True, verbose=False, **knobs):
    first, cpu = {}, time.process_time()

    def on_progress(progress):
        p = progress.check
        if p is None:
            return False
        p['cpu_seconds'] = round(time.process_time() - cpu, 3)
        if verbose:
            print(p, flush=True)
        if optimal(p):
            first.setdefault('optimal', p)
        if p['perfect']:
            first.setdefault('perfect', p)
        return p['cpu_seconds'] > max_cpu

    knobs = {'games': 2_000_000, **knobs}
    config = Config(method='self-play', hidden=hidden, seed=seed, until_perfect=until_perfect, **knobs)
    started = time.perf_counter()
    trained = train(config, on_progress)  # its checks play the weights as F32 (the default dtype)
    curve = trained.history
    after = [optimal(p) for p in curve[curve.index(first['optimal']):]] if 'optimal' in first else []
    return {'hidden': hidden, 'seed': seed, 'knobs': knobs, 'games': trained.games,
            'seconds': round(time.perf_counter() - started, 1), 'optimal': first.get('optimal'),
            'perfect': first.get('perfect'), 'last': curve[-1],
            'checks_after_first_optimal': len(after), 'optimal_share_after': sum(after) / len(after) if after else None,
            'perfect_share_after': (sum(p['perfect'] for p in curve[curve.index(first['optimal']):]) / len(after)
                                    if after else None),
            'load': os.getloadavg()[0],
            'curve': [[p['games'], p['losses_x'], p['losses_o'], p['optimal_pct'], p['fastest_pct']] for p in curve]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--hidden', type=int, nargs='+', default=[64])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0])
    ap.add_argument('--max-cpu', type=float, default=300, help='stop a run after this many CPU seconds')
    ap.add_argument('--keep-going', action='store_true', help='do not stop at the first perfect check (stability)')
    ap.add_argument('--out', default=None)
    ap.add_argument('-v', action='store_true')
    ap.add_argument('knobs', nargs='*', help='name=value (JSON): Config settings, e.g. epsilon=0.05')
    a = ap.parse_intermixed_args()
    knobs = {k: json.loads(v) for k, v in (kv.split('=', 1) for kv in a.knobs)}
    for h in a.hidden:
        for s in a.seeds:
            line = json.dumps(run(h, s, a.max_cpu, not a.keep_going, a.v, **knobs))
            print(line, flush=True)
            if a.out:
                with open(a.out, 'a') as f:
                    f.write(line + '\n')


if __name__ == '__main__':
    sys.exit(main())
