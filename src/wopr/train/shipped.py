"""Retrain the shipped knowledge files reproducibly (fixed seeds, one thread): `make knowledge`."""
import sys
from functools import partial

from ..sources import KNOWLEDGE_DIR
from .config import Config
from .export import trained_file
from .loop import train

SHIPPED = {  # each one the defaults of Config, but for these settings
    # The page's and the terminal's default: the smallest network found perfect on both sides with fastest wins,
    # hidden 8 in F16 (977 parameters; under 4 KB with its metadata; 39 epochs). docs/smallest.md: the search.
    'default': Config(hidden=8, epochs=80, seed=3, until_perfect=True, dtype='f16'),
    # A wider network, perfect after one epoch: hidden 64 in F32, about 88 KB.
    'wide': Config(seed=1, until_perfect=True),
    # The 2018 original's recipe: games X wins, X opening in the centre. It loses, mostly as O: see the evaluation.
    'original-method': Config(method='winning-x', centre_first=True, seed=1),
    # The network that taught itself: self-play only, no solver in what it learnt from (docs/self-play.md);
    # hidden 32 in F16, perfect after 70,016 games of seed 0 (51 s).
    'self-play': Config(method='self-play', hidden=32, seed=0, until_perfect=True, dtype='f16'),
}


def show(name, progress):
    """A line per check: `make knowledge` is a log, not a screen."""
    if progress.check:
        print(f'{name}: {progress.line()}', flush=True)


def main(names=()):
    for name in names or SHIPPED:
        if name not in SHIPPED:
            raise SystemExit(f'unknown shipped knowledge {name!r} (one of {", ".join(SHIPPED)})')
        config = SHIPPED[name]
        print(f'{name}: {config}', flush=True)
        trained = train(config, partial(show, name))
        out = KNOWLEDGE_DIR / f'{name}.safetensors'
        out.write_bytes(trained_file(trained))
        print(f'{name}: wrote {out} ({out.stat().st_size} bytes){", perfect" if trained.perfect else ""}', flush=True)
        if config.until_perfect and not trained.perfect:
            raise SystemExit(f'{name} did not reach perfect play: {config}')


if __name__ == '__main__':
    main(sys.argv[1:])
