"""Search for the smallest perfect network of the contract: hidden size, seed and recipe, one JSON line per run.

A recipe is the data the set loss is taken over and how the learning rate moves:
- data=all: every reachable game, targets at every step (the shipped recipe);
- data=checked: only the games the exhaustive check plays, each side in turn: that side plays any fastest move,
  the other any legal move; targets only on that side's steps (the positions a perfect player meets, weighted by
  how many opponent lines reach them);
- lr=flat (Adam at a constant rate, as shipped) or lr=cosine (down to a hundredth over the run).
Each run checks every epoch (the weights as F16 stores them) and records the first perfect epoch, else the best
point: fewest losing lines, then most fastest moves. Run ONE at a time (one torch thread), under `nice`:

    python -m benchmarks.research.smallest --hidden 9 8 --seeds 0 1 2 --data checked --lr cosine --epochs 60
"""
import argparse
import json
import time

import torch

from wopr import solver
from wopr.runtime.board import is_over, legal_moves, new_board, to_move
from wopr.train.check import check_point
from wopr.train.datasets import PARITY, Dataset, optimal
from wopr.train.model import Model
from wopr.train.supervised import set_loss


def checked_games(side):
    """Every game in which `side` plays a fastest move and the other side any legal move."""
    def walk(board, moves):
        if is_over(board):
            yield moves
            return
        cells = solver.fastest_moves(board) if to_move(board) == side else legal_moves(board)
        for cell in cells:
            board[cell] = to_move(board)
            yield from walk(board, moves + (cell,))
            board[cell] = ''
    return list(walk(new_board(), ()))


class Checked(Dataset):
    """The check's games, as X then as O; a step has a target only where the side the game trains is to move."""

    def __init__(self):
        table = optimal().table
        x, o = checked_games('X'), checked_games('O')
        super().__init__('checked', x + o, table)
        self.side = torch.tensor([0] * len(x) + [1] * len(o))

    def batch(self, index):
        x, target, steps = super().batch(index)
        return x, target, steps & (self.side[index].unsqueeze(1) == PARITY)


def run(hidden, seed, data, lr, epochs, batch_size=256, rate=3e-3):
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = Model(hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=rate)
    total_steps = epochs * -(-len(data) // batch_size)
    schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, total_steps, eta_min=rate / 100)
                if lr == 'cosine' else None)
    shuffle = torch.Generator().manual_seed(seed)
    best, started = None, time.process_time()
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(data), generator=shuffle)
        for i in range(0, len(data), batch_size):
            x, target, steps = data.batch(order[i:i + batch_size])
            loss = set_loss(model(x)[0], target, steps)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if schedule:
                schedule.step()
        point = check_point(model, 'f16')
        key = (point['losses_x'] + point['losses_o'], -point['fastest_pct'])
        if best is None or key < best[0]:
            best = key, {'epoch': epoch, **point}
        if point['perfect']:
            break
    return {'hidden': hidden, 'parameters': sum(p.numel() for p in model.parameters()), 'seed': seed,
            'data': data.name, 'lr': lr, 'epochs': epochs, 'games': len(data), 'perfect': best[1]['perfect'],
            'best': best[1], 'cpu_seconds': round(time.process_time() - started, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hidden', type=int, nargs='+', default=[9, 8])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--data', choices=('all', 'checked'), default='checked')
    parser.add_argument('--lr', choices=('flat', 'cosine'), default='cosine')
    parser.add_argument('--epochs', type=int, default=60)
    parser.add_argument('--out', default='-')
    args = parser.parse_args()
    data = Checked() if args.data == 'checked' else optimal()
    with open(args.out, 'a') if args.out != '-' else open(1, 'w', closefd=False) as out:
        for hidden in args.hidden:
            for seed in args.seeds:
                print(json.dumps(run(hidden, seed, data, args.lr, args.epochs)), file=out, flush=True)


if __name__ == '__main__':
    main()
