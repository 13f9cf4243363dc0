"""Research variant (not shipped): actor-critic policy gradient by self-play, to compare with negamax Q-learning.

The head's logits are the policy (softmax over legal cells); a throw-away value head is the baseline. A move's return
is +1 / -1 / 0 for the mover's win / loss / draw, discounted by the plies to the end (so faster wins pay more)."""
import os
import sys
import time

import torch

from benchmarks.research.selfplay_probe import arguments, optimal, report
from wopr.train.loop import check_point
from wopr.train.model import Model
from wopr.train.selfplay import LINES, planes


@torch.no_grad()
def play(model, n, random_share, gen):
    boards = torch.zeros(n, 9, dtype=torch.long)
    xs, moves = torch.zeros(n, 9, 18), torch.full((n, 9), -1)
    onpolicy = torch.ones(n, 9, dtype=torch.bool)
    chaotic = torch.rand(n, generator=gen) < random_share
    side = torch.randint(2, (n,), generator=gen)
    live, state = torch.ones(n, dtype=torch.bool), None
    result, length = torch.zeros(n), torch.zeros(n, dtype=torch.long)
    for t in range(9):
        xs[:, t] = planes(boards)
        q, state = model(xs[:, t:t + 1], state)
        legal = boards == 0
        probs = torch.softmax(q[:, 0].masked_fill(~legal, float('-inf')), -1)
        rand = chaotic & (side == t % 2)
        probs[rand] = legal[rand].float() / legal[rand].sum(1, keepdim=True)
        onpolicy[:, t] = ~rand
        move = torch.multinomial(probs, 1, generator=gen)[:, 0]
        rows = live.nonzero()[:, 0]
        boards[rows, move[rows]] = 1 + t % 2
        moves[rows, t] = move[rows]
        won = live & (boards[:, LINES] == 1 + t % 2).all(-1).any(-1)
        end = live & (won | (t == 8))
        result[won] = 1.0 if t % 2 == 0 else -1.0  # +1 X won, -1 O won
        length[end] = t + 1
        live &= ~end
    return xs, moves, onpolicy, result, length


def train_pg(hidden=64, seed=0, lr=3e-3, games_per_round=32, steps_per_round=1, random_share=2 / 3, discount=0.9,
             entropy=0.01, check_every=1000, max_cpu=300, on_check=None):
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model, value = Model(hidden), torch.nn.Linear(hidden, 1)
    opt = torch.optim.Adam(list(model.parameters()) + list(value.parameters()), lr=lr)
    started, cpu, played, curve = time.perf_counter(), time.process_time(), 0, []
    t = torch.arange(9)
    while True:
        xs, moves, onpolicy, result, length = play(model, games_per_round, random_share, gen)
        played += games_per_round
        mover = torch.where(t % 2 == 0, 1.0, -1.0)  # X on even steps
        ret = result[:, None] * mover[None] * discount ** (length[:, None] - 1 - t[None]).clamp(min=0)
        for _ in range(steps_per_round):
            out, _ = model.lstm(xs)
            logits = model.head(out)
            legal = (xs[..., :9] + xs[..., 9:]) == 0
            logp = torch.log_softmax(logits.masked_fill(~legal, -1e9), -1)
            played_ = moves >= 0
            v = value(out)[..., 0]
            adv = (ret - v).detach()
            lp = logp.gather(2, moves.clamp(min=0).unsqueeze(-1))[..., 0]
            mask = played_ & onpolicy
            ent = -(logp.exp() * logp.masked_fill(~legal, 0)).sum(-1)
            loss = (-(lp * adv)[mask].mean() - entropy * ent[mask].mean() + ((v - ret) ** 2)[played_].mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
        if played % check_every < games_per_round:
            p = {'games': played, 'seconds': round(time.perf_counter() - started, 3),
                 'cpu_seconds': round(time.process_time() - cpu, 3), **check_point(model, 'f32')}
            curve.append(p)
            if on_check:
                on_check(p)
            if p['perfect'] or p['cpu_seconds'] > max_cpu:
                return curve


def main():
    a, knobs = arguments()
    for h in a.hidden:
        for s in a.seeds:
            curve = train_pg(h, s, max_cpu=a.max_cpu, on_check=print if a.v else None, **knobs)
            first = next((p for p in curve if optimal(p)), None)
            perfect = next((p for p in curve if p['perfect']), None)
            best = max(curve, key=lambda p: (-(p['losses_x'] + p['losses_o']), p['optimal_pct']))
            report({'method': 'actor-critic', 'hidden': h, 'seed': s, 'knobs': knobs, 'games': curve[-1]['games'],
                    'optimal': first, 'perfect': perfect, 'best': best, 'last': curve[-1],
                    'load': os.getloadavg()[0]}, a.out)


if __name__ == '__main__':
    sys.exit(main())
