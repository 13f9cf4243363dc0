"""A training run's settings: one dataclass holding every default once; the CLI's options, the shipped knowledge and
the knowledge file's `training` metadata are all made from it."""
from dataclasses import dataclass, field, fields

from ..runtime.format import MAX_HIDDEN, MAX_ITEMS

SUPERVISED = ('optimal', 'winning-x')  # learn from targets: a solver's moves, or the moves of games X won
METHODS = (*SUPERVISED, 'self-play')
DTYPES = ('f32', 'f16')


def _setting(default, help, methods=METHODS, aliases=()):
    """A field with the help text its command-line option shows (and any other names the option answers to), and
    the methods it applies to (the knowledge's metadata records only those)."""
    return field(default=default, metadata={'help': help, 'methods': methods, 'aliases': aliases})


@dataclass(frozen=True)
class Config:
    method: str = _setting('optimal', 'optimal (every game, targets from a minimax solver), winning-x (the 2018 '
                                      "original: the games X wins, the moves played as targets) or self-play (only "
                                      "games against itself and their outcomes: no solver).",
                         aliases=('--dataset',))  # its name before self-play, which learns from no data set
    centre_first: bool = _setting(False, "winning-x: only games whose X opening is the centre, as in 2018.",
                                  ('winning-x',))
    hidden: int = _setting(64, f'LSTM hidden size (1 to {MAX_HIDDEN}).')
    epochs: int = _setting(20, f'optimal, winning-x: epochs (the most, with --until-perfect; up to {MAX_ITEMS}).',
                           SUPERVISED)
    games: int = _setting(100_000, 'self-play: games to play (the most, with --until-perfect); the weights kept are '
                                   "those of the best exhaustive check.", ('self-play',))
    batch_size: int = _setting(256, 'optimal, winning-x: games per batch.', SUPERVISED)
    lr: float = _setting(3e-3, 'Adam learning rate.')
    seed: int = _setting(0, 'Same seed, machine and threads: the same weights.')
    until_perfect: bool = _setting(False, 'Stop at the first exhaustive check that is perfect (0 losses on both '
                                          'sides, every move the fastest win).')
    dtype: str = _setting('f32', 'Stored weights: f32 or f16 (checks play the weights as stored).')
    threads: int = _setting(1, 'Torch threads (two stall a step 30-100x on a 2-core machine).')

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r} ({', '.join(METHODS)})")
        for f in fields(self):  # a setting the method would ignore is refused, not silently dropped
            methods = f.metadata['methods']
            if self.method not in methods and getattr(self, f.name) != f.default:
                raise ValueError(f"--{f.name.replace('_', '-')} applies to the {' and '.join(methods)} "
                                 f"method{'s' * (len(methods) > 1)} only")
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r} ({' or '.join(DTYPES)})")
        for name, top, why in (('hidden', MAX_HIDDEN, "the reader's largest network"),
                               ('epochs', MAX_ITEMS, f'a knowledge file holds the history of {MAX_ITEMS} at most'),
                               ('games', None, ''), ('batch_size', None, ''), ('threads', None, '')):
            value = getattr(self, name)
            if type(value) is not int or value < 1 or top and value > top:
                raise ValueError(f"{name} must be a whole number from 1{f' to {top}' if top else ' up'}, not {value}"
                                 + (f' ({why})' if why else ''))
        if not self.lr > 0:
            raise ValueError(f'lr must be more than 0, not {self.lr}')

    def as_metadata(self):
        """The settings that apply to this run's method, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if self.method in f.metadata['methods']}
