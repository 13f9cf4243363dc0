"""Retrain the shipped knowledge files reproducibly (fixed seeds, one thread): `python -m wopr.train.shipped [NAME...]`."""
import sys

from ..sources import KNOWLEDGE_DIR
from .export import train_to

SHIPPED = {
    # Perfect on both sides with fastest wins; hidden 64 in F32 is about 88 KB.
    'default': {'dataset': 'optimal', 'hidden': 64, 'epochs': 20, 'seed': 1, 'until_perfect': True},
    # Hidden 32 is perfect too (after about two epochs), at a third of the size and of the step's cost.
    'small': {'dataset': 'optimal', 'hidden': 32, 'epochs': 30, 'seed': 1, 'until_perfect': True},
    # The 2018 original's recipe: games X wins, X opening in the centre. It loses, mostly as O: see the evaluation.
    'original-method': {'dataset': 'winning-x', 'centre_first': True, 'hidden': 64, 'epochs': 20, 'seed': 1},
}


def main(names=()):
    for name in names or SHIPPED:
        if name not in SHIPPED:
            raise SystemExit(f'unknown shipped knowledge {name!r} (one of {", ".join(SHIPPED)})')
        options = SHIPPED[name]
        out = KNOWLEDGE_DIR / f'{name}.safetensors'
        print(f'{name}: {options}', flush=True)
        data, perfect = train_to(out, threads=1, **options)
        print(f'{name}: wrote {out} ({len(data)} bytes){", perfect" if perfect else ""}', flush=True)
        if options.get('until_perfect') and not perfect:
            raise SystemExit(f'{name} did not reach perfect play within {options["epochs"]} epochs')


if __name__ == '__main__':
    main(sys.argv[1:])
