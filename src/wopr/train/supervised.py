"""Supervised training, epoch by epoch, on a data set's targets (train.datasets); an exhaustive check each epoch."""
import time

import torch

from .check import check_point
from .model import Model
from .trained import Progress, Trained


def set_loss(logits, target, steps):
    """-log of the total probability on the target moves, averaged over the steps that have targets.

    Any move of the set will do, so the network may put its mass on one of them: this learns faster than
    spreading the target evenly over the set."""
    logits, target = logits[steps], target[steps]
    on_target = torch.logsumexp(logits.masked_fill(~target, float('-inf')), -1)
    return (torch.logsumexp(logits, -1) - on_target).mean()


def run(config, on_progress=None, *, data):
    """Learn the targets of `data(config)` (a datasets.Dataset) as config says; on_progress(Progress) after every
    batch, with the epoch's check after its last one. The model keeps the last epoch's weights."""
    torch.set_num_threads(config.threads)  # the thread count is part of the seed: sums run in another order
    torch.manual_seed(config.seed)
    data = data(config)
    model = Model(config.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    shuffle = torch.Generator().manual_seed(config.seed)
    batches = (len(data) + config.batch_size - 1) // config.batch_size
    history, perfect, started = [], False, time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        order, total = torch.randperm(len(data), generator=shuffle), 0.0
        for i in range(0, len(data), config.batch_size):
            x, target, steps = data.batch(order[i:i + config.batch_size])
            loss = set_loss(model(x)[0], target, steps)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            done = (epoch - 1) * batches + i // config.batch_size + 1
            if on_progress and done % batches:  # the epoch's last batch is reported with its check
                on_progress(Progress(done, config.epochs * batches, f'epoch {epoch}'))
        # The loss cannot tell when play is perfect; the exhaustive check on the weights as exported does.
        point = check_point(model, config.dtype)
        perfect = point['perfect']
        history.append({'epoch': epoch, 'loss': round(total / batches, 6),
                        'seconds': round(time.perf_counter() - started, 3), **point})
        stop = on_progress and on_progress(Progress(epoch * batches, config.epochs * batches, f'epoch {epoch}',
                                                    history[-1]))
        if stop or config.until_perfect and perfect:
            break
    epochs = len(history)
    return Trained(model, config, history, perfect, len(data), round(time.perf_counter() - started, 3),
                   took=f"{epochs} epoch{'s' * (epochs != 1)}", kept='the last epoch',
                   record={'optimizer': 'Adam', 'loss': 'set', 'trained_epochs': epochs})
