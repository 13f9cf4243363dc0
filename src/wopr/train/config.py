"""A training run's settings: one dataclass holding every default once; the CLI's options, the shipped knowledge and
the knowledge file's `training` metadata are all made from it."""
from dataclasses import asdict, dataclass, field

from ..runtime.format import MAX_ITEMS

METHODS = ('optimal', 'winning-x')
DTYPES = ('f32', 'f16')


def _setting(default, help, **limits):
    """A field with the help text (and typer limits such as min=1) its command-line option shows."""
    return field(default=default, metadata={'help': help, **limits})


@dataclass(frozen=True)
class Config:
    method: str = _setting('optimal', 'optimal (every game, fastest-optimal targets) or winning-x (the 2018 '
                                      'original: the games X wins, moves played as targets).')
    centre_first: bool = _setting(False, "winning-x: only games whose X opening is the centre, as in 2018.")
    hidden: int = _setting(64, 'LSTM hidden size.', min=1, max=1024)
    epochs: int = _setting(20, 'Epochs (the most, with --until-perfect).', min=1)
    batch_size: int = _setting(256, 'Games per batch.', min=1)
    lr: float = _setting(3e-3, 'Adam learning rate.', min=0.0)
    seed: int = _setting(0, 'Same seed, machine and threads: the same weights.')
    until_perfect: bool = _setting(False, 'Stop at the first epoch whose exhaustive check is perfect.')
    dtype: str = _setting('f32', 'Stored weights: f32 or f16.')
    threads: int = _setting(1, 'Torch threads (two stall a step 30-100x on a 2-core machine).', min=1)

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r} ({' or '.join(METHODS)})")
        if self.centre_first and self.method != 'winning-x':
            raise ValueError('--centre-first applies to the winning-x method only')
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r} ({' or '.join(DTYPES)})")
        for name in ('hidden', 'epochs', 'batch_size', 'threads'):
            if getattr(self, name) < 1:
                raise ValueError(f'{name} must be at least 1, not {getattr(self, name)}')
        if self.epochs > MAX_ITEMS:  # one history entry per epoch, and the reader takes no more
            raise ValueError(f'epochs {self.epochs}: a knowledge file holds the history of {MAX_ITEMS} at most')

    def as_metadata(self):
        return asdict(self)
