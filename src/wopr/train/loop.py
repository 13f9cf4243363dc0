"""Training runs, supervised (by epoch) or by self-play (train.selfplay), watched by exhaustive checks: a Trained."""
import time
from dataclasses import dataclass, field

import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import evaluate
from ..runtime.format import MAX_ITEMS
from . import datasets, selfplay
from .config import Config
from .model import Model, TorchPolicy


@dataclass
class Trained:
    """What a run produced: the model, its settings, the history (one point per check), and how it went."""
    model: Model
    config: Config
    history: list
    perfect: bool
    games: int
    seconds: float
    record: dict = field(default_factory=dict)  # what the method itself reports (self-play: its settings, steps)

    def training_metadata(self):
        """The knowledge file's `training` value: the settings, then what the run took."""
        took = {'games': self.games, 'seconds': self.seconds}
        if self.config.method == 'self-play':
            return {**self.config.as_metadata(), **self.record, 'max_games': self.config.games, **took}
        return {**self.config.as_metadata(), 'optimizer': 'Adam', 'loss': 'set', 'trained_epochs': len(self.history),
                **took}


def train(config, progress=True):
    """Train a Model as `config` says, by its method; returns a Trained."""
    return self_play(config, progress) if config.method == 'self-play' else supervised(config, progress)


def set_loss(logits, target, steps):
    """-log of the total probability on the target moves, averaged over the steps that have targets.

    Any move of the set will do, so the network may put its mass on one of them: this learns faster than
    spreading the target evenly over the set."""
    logits, target = logits[steps], target[steps]
    on_target = torch.logsumexp(logits.masked_fill(~target, float('-inf')), -1)
    return (torch.logsumexp(logits, -1) - on_target).mean()


def check_point(model, dtype):
    """The exhaustive check of the weights as a file of `dtype` stores them: losing lines per side and the shares of
    minimax-optimal and fastest moves (pooled over both sides), and whether that is perfect."""
    result = evaluate.play_strength(TorchPolicy(model, dtype), games=0)
    x, o = result['X'], result['O']
    moves = x['moves'] + o['moves']
    return {'losses_x': x['losses'], 'losses_o': o['losses'],
            'optimal_pct': evaluate.percent(x['optimal'] + o['optimal'], moves),
            'fastest_pct': evaluate.percent(x['fastest'] + o['fastest'], moves), 'perfect': result['perfect']}


def strength(point):
    """One line of play strength for the progress bar."""
    return (f"losing lines X {point['losses_x']} O {point['losses_o']} · optimal {point['optimal_pct']:.1f}% · "
            f"fastest {point['fastest_pct']:.1f}%" + (' · perfect' if point['perfect'] else ''))


def supervised(config, progress=True):
    """Learn the targets of the optimal or winning-x training set, epoch by epoch."""
    torch.set_num_threads(config.threads)  # the thread count is part of the seed: sums run in another order
    torch.manual_seed(config.seed)
    data = datasets.build(config.method, config.centre_first)
    model = Model(config.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    shuffle = torch.Generator().manual_seed(config.seed)
    batches = (len(data) + config.batch_size - 1) // config.batch_size
    history, perfect, started = [], False, time.perf_counter()
    bar = Progress(TextColumn('[bold]epoch {task.fields[epoch]}'), BarColumn(), MofNCompleteColumn(),
                   TextColumn('loss {task.fields[loss]:.4f}'), TextColumn('{task.fields[strength]}'),
                   TimeElapsedColumn(), disable=not progress)
    with bar:
        task = bar.add_task('train', total=config.epochs * batches, epoch=1, loss=float('nan'), strength='')
        for epoch in range(1, config.epochs + 1):
            order, total = torch.randperm(len(data), generator=shuffle), 0.0
            for i in range(0, len(data), config.batch_size):
                x, target, steps = data.batch(order[i:i + config.batch_size])
                loss = set_loss(model(x)[0], target, steps)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item()
                bar.update(task, advance=1, epoch=epoch)
            # The loss cannot tell when play is perfect; the exhaustive check on the weights as exported does.
            point = check_point(model, config.dtype)
            perfect = point['perfect']
            history.append({'epoch': epoch, 'loss': round(total / batches, 6),
                            'seconds': round(time.perf_counter() - started, 3), **point})
            bar.update(task, loss=history[-1]['loss'], strength=strength(point))
            if progress:  # one line per epoch stays on screen above the bar
                bar.console.print(f"epoch {epoch}: loss {history[-1]['loss']:.4f} · {strength(point)}", highlight=False)
            if config.until_perfect and perfect:
                break
    return Trained(model, config, history, perfect, len(data), round(time.perf_counter() - started, 3))


def check_every(games):
    """Games between two checks of a self-play run: selfplay.KNOBS' 1,000, or a multiple of that which keeps the curve
    within the history a knowledge file holds (MAX_ITEMS points)."""
    base = selfplay.KNOBS['check_every']
    return max(base, -(-games // (MAX_ITEMS * base)) * base)


def self_play(config, progress=True):
    """Learn from games against itself (train.selfplay); the exhaustive check only watches and picks the weights."""
    bar = Progress(TextColumn('[bold]self-play'), BarColumn(), MofNCompleteColumn(),
                   TextColumn('{task.fields[rate]} games/s'), TextColumn('{task.fields[strength]}'),
                   TimeElapsedColumn(), disable=not progress)

    def watch(point):
        bar.update(task, completed=point['games'], rate=f"{point['games'] / max(point['seconds'], 1e-9):,.0f}",
                   strength=strength(point))
        if progress:  # one line per check stays on screen above the bar
            bar.console.print(f"{point['games']:,} games: {strength(point)}", highlight=False)

    with bar:
        task = bar.add_task('self-play', total=config.games, rate='-', strength='')
        model, record, curve = selfplay.train_selfplay(config, check=lambda m: check_point(m, config.dtype),
                                                       on_check=watch, check_every=check_every(config.games))
    games, seconds, perfect = record.pop('games'), record.pop('seconds'), record.pop('perfect')
    return Trained(model, config, curve, perfect, games, seconds, record)
