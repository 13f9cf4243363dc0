"""The training loop: batched, padded and masked, with an exhaustive play check after every epoch."""
import time

import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import evaluate
from . import datasets
from .model import Model, TorchPolicy


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


def train(dataset='optimal', centre_first=False, hidden=64, epochs=20, batch_size=256, lr=3e-3, seed=0,
          until_perfect=False, dtype='f32', threads=1, progress=True):
    """Train a Model; returns (model, training parameters, per-epoch history, perfect)."""
    torch.set_num_threads(threads)  # two threads stall 30-100x on a 2-core machine; the count is part of the seed
    torch.manual_seed(seed)
    data = datasets.build(dataset, centre_first)
    model = Model(hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    shuffle = torch.Generator().manual_seed(seed)
    batches = (len(data) + batch_size - 1) // batch_size
    history, perfect, started = [], False, time.perf_counter()
    with _progress(progress) as bar:
        task = bar.add_task('train', total=epochs * batches, epoch=1, loss=float('nan'), strength='')
        for epoch in range(1, epochs + 1):
            order, total = torch.randperm(len(data), generator=shuffle), 0.0
            for i in range(0, len(data), batch_size):
                x, target, steps = data.batch(order[i:i + batch_size])
                loss = set_loss(model(x)[0], target, steps)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item()
                bar.update(task, advance=1, epoch=epoch)
            # The loss cannot tell when play is perfect; the exhaustive check on the weights as exported does.
            check = evaluate.evaluate(TorchPolicy(model, dtype), games=0)
            perfect = check['perfect']
            both = {k: check['X'][k] + check['O'][k] for k in ('losses', 'moves', 'optimal', 'fastest')}
            history.append({'epoch': epoch, 'loss': round(total / batches, 6),
                            'seconds': round(time.perf_counter() - started, 3), 'losses': both['losses'],
                            'optimal_pct': evaluate.percent(both['optimal'], both['moves']),
                            'fastest_pct': evaluate.percent(both['fastest'], both['moves']), 'perfect': perfect})
            bar.update(task, loss=history[-1]['loss'], strength=strength(check))
            if progress:  # one line per epoch stays on screen above the bar
                bar.console.print(f"epoch {epoch}: loss {history[-1]['loss']:.4f} · {strength(check)}", highlight=False)
            if until_perfect and perfect:
                break
    training = {'dataset': dataset, 'centre_first': centre_first, 'games': len(data), 'hidden_size': hidden,
                'epochs': len(history), 'max_epochs': epochs, 'batch_size': batch_size, 'lr': lr,
                'optimizer': 'Adam', 'loss': 'set', 'seed': seed, 'until_perfect': until_perfect, 'dtype': dtype,
                'threads': threads, 'seconds': round(time.perf_counter() - started, 3)}
    return model, training, history, perfect
