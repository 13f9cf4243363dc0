"""A training run's settings: one dataclass holding every default once; the CLI's options, the shipped knowledge and
the knowledge file's `training` metadata are all made from it."""
import os
from dataclasses import dataclass, field, fields

from ..runtime.format import MAX_HIDDEN, MAX_ITEMS

SUPERVISED = ('optimal', 'winning-x')  # learn from targets: a solver's moves, or the moves of games X won
SELF_PLAY = ('self-play',)  # learn from games against itself and their outcomes
METHODS = (*SUPERVISED, *SELF_PLAY)
WEIGHT_TYPES = ('f32', 'f16')
BATCH_SIZE = {'optimal': 256, 'winning-x': 256, 'self-play': 128}  # what each method learnt best with
MAX_BATCH = 65_536  # games per gradient step: a batch's tensors stay under 50 MB
MAX_REPLAY = 1_000_000  # self-play games remembered: about 200 MB
CORES = os.cpu_count() or 1
MAX_SEED = 2 ** 64 - 1  # torch's seeds are unsigned 64-bit numbers


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
                                   "those of the best exhaustive check.", SELF_PLAY)
    batch_size: int = _setting(None, f'Games per gradient step, 1 to {MAX_BATCH:,} (default: '
                                     f"{BATCH_SIZE['optimal']}; self-play {BATCH_SIZE['self-play']}, drawn from its "
                                     'replay).')
    lr: float = _setting(3e-3, 'Adam learning rate (more than 0, at most 1).')
    seed: int = _setting(0, 'Same seed, machine and threads: the same weights.')
    until_perfect: bool = _setting(False, 'Stop at the first exhaustive check that is perfect (0 losses on both '
                                          'sides, every move the fastest win).')
    dtype: str = _setting('f32', 'Stored weights: f32 or f16 (checks play the weights as stored).')
    threads: int = _setting(1, 'Torch threads (two stall a step 30-100x on a 2-core machine).')
    # self-play's own settings: what docs/self-play.md found best
    check_every: int = _setting(1000, 'self-play: games between exhaustive checks (further apart when --games would '
                                      f'make a curve of more than {MAX_ITEMS} checks).', SELF_PLAY)
    games_per_round: int = _setting(32, 'self-play: games played at once before each round of gradient steps.',
                                    SELF_PLAY)
    steps_per_round: int = _setting(4, 'self-play: gradient steps after each round of new games.', SELF_PLAY)
    replay: int = _setting(10_000, f'self-play: the latest games learnt from (at least --games-per-round, at most '
                                   f'{MAX_REPLAY:,}).', SELF_PLAY)
    discount: float = _setting(0.9, "self-play: a move's worth of the opponent's best reply (more than 0, at most "
                                    '1): below 1, sooner wins are worth more.', SELF_PLAY)
    epsilon: float = _setting(0.2, 'self-play: share of random moves (0 to 1) of a side not playing at random.',
                              SELF_PLAY)
    random_share: float = _setting(2 / 3, 'self-play: share of games (0 to 1) in which one side plays at random.',
                                   SELF_PLAY)

    def __post_init__(self):
        for name, options in (('method', METHODS), ('dtype', WEIGHT_TYPES)):
            if getattr(self, name) not in options:
                raise ValueError(f"unknown {name} {getattr(self, name)!r} ({', '.join(options)})")
        for f in fields(self):  # a setting the method would ignore is refused, not silently dropped
            methods = f.metadata['methods']
            if self.method not in methods and getattr(self, f.name) != f.default:
                raise ValueError(f"--{f.name.replace('_', '-')} applies to the {' and '.join(methods)} "
                                 f"method{'s' * (len(methods) > 1)} only")
        if self.batch_size is None:  # the one place a setting's default depends on the method
            object.__setattr__(self, 'batch_size', BATCH_SIZE[self.method])
        for name in ('centre_first', 'until_perfect'):
            if type(getattr(self, name)) is not bool:
                raise ValueError(f'{name} must be True or False, not {getattr(self, name)!r}')
        for name, low, top, why in (('hidden', 1, MAX_HIDDEN, "the reader's largest network"),
                                    ('epochs', 1, MAX_ITEMS, f'a knowledge file holds the history of {MAX_ITEMS} '
                                                             'at most'),
                                    ('games', 1, None, ''), ('batch_size', 1, MAX_BATCH, ''),
                                    ('seed', 0, MAX_SEED, ''), ('threads', 1, CORES, "this machine's cores"),
                                    ('check_every', 1, None, ''), ('games_per_round', 1, None, ''),
                                    ('steps_per_round', 1, None, ''), ('replay', 1, MAX_REPLAY, '')):
            value = getattr(self, name)
            if type(value) is not int or not low <= value <= (top or value):
                raise ValueError(f"{name} must be a whole number from {low}{f' to {top}' if top else ' up'}, "
                                 f"not {value!r}" + (f' ({why})' if why else ''))
        if self.replay < self.games_per_round:
            raise ValueError(f'replay must hold at least games_per_round ({self.games_per_round}), not {self.replay}')
        for name, closed_low in (('lr', False), ('discount', False), ('epsilon', True), ('random_share', True)):
            value = getattr(self, name)  # NaN and infinities are outside any range: refused too
            if type(value) not in (int, float) or not (0 <= value <= 1 if closed_low else 0 < value <= 1):
                raise ValueError(f"{name} must be a number in {'[' if closed_low else '('}0, 1], not {value!r}")

    def as_metadata(self):
        """The settings that apply to this run's method, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if self.method in f.metadata['methods']}
