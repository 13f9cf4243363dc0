"""Retrain the shipped knowledge files reproducibly (fixed seeds, one thread): `make knowledge`."""
import sys

from ..sources import KNOWLEDGE_DIR
from .config import Config
from .export import trained_file
from .loop import train

SHIPPED = {  # each one the defaults of Config, but for these settings
    # Perfect on both sides with fastest wins; hidden 64 in F32 is about 88 KB.
    'default': Config(seed=1, until_perfect=True),
    # Hidden 32 is perfect too (after about two epochs), at a third of the size and of the step's cost.
    'small': Config(hidden=32, epochs=30, seed=1, until_perfect=True),
    # The 2018 original's recipe: games X wins, X opening in the centre. It loses, mostly as O: see the evaluation.
    'original-method': Config(method='winning-x', centre_first=True, seed=1),
}


def main(names=()):
    for name in names or SHIPPED:
        if name not in SHIPPED:
            raise SystemExit(f'unknown shipped knowledge {name!r} (one of {", ".join(SHIPPED)})')
        config = SHIPPED[name]
        print(f'{name}: {config}', flush=True)
        trained = train(config)
        out = KNOWLEDGE_DIR / f'{name}.safetensors'
        out.write_bytes(trained_file(trained))
        print(f'{name}: wrote {out} ({out.stat().st_size} bytes){", perfect" if trained.perfect else ""}', flush=True)
        if config.until_perfect and not trained.perfect:
            raise SystemExit(f'{name} did not reach perfect play within {config.epochs} epochs')


if __name__ == '__main__':
    main(sys.argv[1:])
