"""The training loop: batched, padded and masked, with an exhaustive play check after every epoch."""
import time
from dataclasses import dataclass

import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import evaluate
from . import datasets
from .config import Config
from .model import Model, TorchPolicy


@dataclass
class Trained:
    """What a run produced: the model, its settings, the per-epoch history, and how it went."""
    model: Model
    config: Config
    history: list
    perfect: bool
    games: int
    seconds: float

    def training_metadata(self):
        """The knowledge file's `training` value: the settings, then what the run took."""
        return {**self.config.as_metadata(), 'optimizer': 'Adam', 'loss': 'set', 'games': self.games,
                'trained_epochs': len(self.history), 'seconds': self.seconds}


def set_loss(logits, target, steps):
    """-log of the total probability on the target moves, averaged over the steps that have targets.

    Any move of the set will do, so the network may put its mass on one of them: this learns faster than
    spreading the target evenly over the set."""
    logits, target = logits[steps], target[steps]
    on_target = torch.logsumexp(logits.masked_fill(~target, float('-inf')), -1)
    return (torch.logsumexp(logits, -1) - on_target).mean()


def strength(result):
    """One line of play strength for the progress bar."""
    x, o = result['X'], result['O']
    return (f"losses X {x['losses']} O {o['losses']} · fastest X {x['fastest_pct']:.1f}% O {o['fastest_pct']:.1f}%"
            + (' · perfect' if result['perfect'] else ''))


def _progress(enabled):
    return Progress(TextColumn('[bold]epoch {task.fields[epoch]}'), BarColumn(), MofNCompleteColumn(),
                    TextColumn('loss {task.fields[loss]:.4f}'), TextColumn('{task.fields[strength]}'),
                    TimeElapsedColumn(), disable=not enabled)


def train(config, progress=True):
    """Train a Model as `config` says; returns a Trained."""
    torch.set_num_threads(config.threads)  # the thread count is part of the seed: sums run in another order
    torch.manual_seed(config.seed)
    data = datasets.build(config.method, config.centre_first)
    model = Model(config.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    shuffle = torch.Generator().manual_seed(config.seed)
    batches = (len(data) + config.batch_size - 1) // config.batch_size
    history, perfect, started = [], False, time.perf_counter()
    with _progress(progress) as bar:
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
            check = evaluate.play_strength(TorchPolicy(model, config.dtype), games=0)
            perfect = check['perfect']
            both = {k: check['X'][k] + check['O'][k] for k in ('losses', 'moves', 'optimal', 'fastest')}
            history.append({'epoch': epoch, 'loss': round(total / batches, 6),
                            'seconds': round(time.perf_counter() - started, 3), 'losses': both['losses'],
                            'optimal_pct': evaluate.percent(both['optimal'], both['moves']),
                            'fastest_pct': evaluate.percent(both['fastest'], both['moves']), 'perfect': perfect})
            bar.update(task, loss=history[-1]['loss'], strength=strength(check))
            if progress:  # one line per epoch stays on screen above the bar
                bar.console.print(f"epoch {epoch}: loss {history[-1]['loss']:.4f} · {strength(check)}", highlight=False)
            if config.until_perfect and perfect:
                break
    return Trained(model, config, history, perfect, len(data), round(time.perf_counter() - started, 3))
