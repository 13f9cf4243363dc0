"""The one place a method's name picks its training: each method is a `run(config, on_progress) -> Trained`
(train.trained), supervised on a data set (train.supervised) or by self-play (train.selfplay)."""
from functools import partial

from . import datasets, selfplay, supervised
from .check import check_point

RUNS = {
    'optimal': partial(supervised.run, data=lambda config: datasets.optimal()),
    'winning-x': partial(supervised.run, data=lambda config: datasets.winning_x(config.centre_first)),
    # the check is handed over: self-play never imports the solver, so it stays out of the learning signal
    'self-play': partial(selfplay.run, check=check_point),
}


def train(config, on_progress=None):
    """Train a Model as `config` says, by its method; on_progress(Progress) as it goes; returns a Trained."""
    return RUNS[config.method](config, on_progress)
