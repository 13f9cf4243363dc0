"""Self-play: the contract's LSTM learns tic-tac-toe only from games it plays against itself and their outcomes."""
import copy
import time

import torch

from ..runtime import board
from .model import Model

# Boards here are [N, 9] tensors of 0 (empty), 1 (X) and 2 (O); X moves on even steps, O on odd ones.
LINES = torch.tensor(board.LINES)  # the game's rules, batched: the runtime's own lines


def planes(boards):
    """The runtime's input (wopr.runtime.board.encode) for a batch of boards: X plane, then O plane: [N, 18]."""
    return torch.cat([boards == 1, boards == 2], 1).float()


class Games:
    """A batch of games as the network saw them: at step t (moves made so far) the input x [N, 9, 18], the move
    played [N, 9] (-1 after the end), whether that move won and whether it ended the game ([N, 9] each)."""

    def __init__(self, x, moves, won, ended):
        self.x, self.moves, self.won, self.ended = x, moves, won, ended


@torch.no_grad()
def play(model, n, epsilon, random_share, gen):
    """n self-play games at once, the network fed board by board exactly as the runtime feeds it."""
    boards = torch.zeros(n, 9, dtype=torch.long)
    x, moves = torch.zeros(n, 9, 18), torch.full((n, 9), -1)
    won, ended = torch.zeros(n, 9, dtype=torch.bool), torch.zeros(n, 9, dtype=torch.bool)
    # Exploration decides what is learnt: a perfect player must answer positions that only an arbitrary opponent
    # reaches, so in random_share of the games one side plays uniformly at random; every other side keeps epsilon.
    explore = torch.full((n, 2), epsilon)
    chaotic = torch.rand(n, generator=gen) < random_share
    side = torch.randint(2, (n,), generator=gen)
    explore[chaotic, side[chaotic]] = 1.0
    live, state = torch.ones(n, dtype=torch.bool), None
    for t in range(9):
        x[:, t] = planes(boards)
        q, state = model(x[:, t:t + 1], state)
        legal = boards == 0
        greedy = q[:, 0].masked_fill(~legal, float('-inf')).argmax(1)  # the runtime's choice (ties: lowest cell)
        uniform = torch.multinomial(legal.float(), 1, generator=gen)[:, 0]
        move = torch.where(torch.rand(n, generator=gen) < explore[:, t % 2], uniform, greedy)
        rows = live.nonzero()[:, 0]
        boards[rows, move[rows]] = 1 + t % 2
        moves[rows, t] = move[rows]
        won[:, t] = live & (boards[:, LINES] == 1 + t % 2).all(-1).any(-1)
        ended[:, t] = live & (won[:, t] | (t == 8))
        live &= ~ended[:, t]
    return Games(x, moves, won, ended)


def td_loss(model, games, discount):
    """Negamax TD on the 9 outputs as move values for the side to move: a move is worth +1 if it wins, 0 if it
    draws, else -discount x the opponent's best value at the next step (the discount makes sooner wins and later
    losses worth more, which is what the fastest-move figure asks). One sequence per game serves both sides."""
    q = model(games.x)[0]
    with torch.no_grad():
        legal = (games.x[..., :9] + games.x[..., 9:]) == 0
        best = q.masked_fill(~legal, float('-inf')).amax(-1)  # [B, 9]: the mover's best value at each step
        after = torch.cat([best[:, 1:], torch.zeros(len(best), 1)], 1)  # at the next step (0 after the last)
        target = torch.where(games.ended, games.won.float(), -discount * after)
    played = games.moves >= 0
    value = q.gather(2, games.moves.clamp(min=0).unsqueeze(-1))[..., 0]
    return ((value - target) ** 2)[played].mean()


class Replay:
    """The most recent `size` games, stored compactly; sampled uniformly for every gradient step."""

    def __init__(self, size):
        self.x = torch.zeros(size, 9, 18, dtype=torch.bool)
        self.moves = torch.full((size, 9), -1, dtype=torch.int8)
        self.won, self.ended = torch.zeros(size, 9, dtype=torch.bool), torch.zeros(size, 9, dtype=torch.bool)
        self.size, self.next, self.filled = size, 0, 0

    def add(self, g):
        slots = (self.next + torch.arange(len(g.moves))) % self.size
        self.x[slots], self.moves[slots] = g.x.bool(), g.moves.to(torch.int8)
        self.won[slots], self.ended[slots] = g.won, g.ended
        self.next, self.filled = (self.next + len(slots)) % self.size, min(self.filled + len(slots), self.size)

    def sample(self, n, gen):
        i = torch.randint(self.filled, (n,), generator=gen)
        return Games(self.x[i].float(), self.moves[i].long(), self.won[i], self.ended[i])


def rank(p):
    """Fewer losing lines first, then more optimal moves, then more fastest ones."""
    return -(p['losses_x'] + p['losses_o']), p['optimal_pct'], p['fastest_pct']


# The method's own settings (the run's are in a Config): what docs/self-play.md found best, kept as the defaults.
KNOBS = {'check_every': 1000, 'batch_size': 128, 'games_per_round': 32, 'steps_per_round': 4, 'replay': 10_000,
         'discount': 0.9, 'epsilon': 0.2, 'random_share': 2 / 3}
# Move values lie in [-1, 1]: as logits they would read as a near-uniform distribution (the page's thinking, the
# medium level's sampling). A power of two scales them exactly, so the argmax, and the play, stay bit-identical.
VALUE_SCALE = 32


def _validate(knobs, check, until_perfect):
    """Bad knobs fail at once, with the knob's name and the allowed range."""
    unknown = set(knobs) - set(KNOBS)
    if unknown:
        raise ValueError(f"unknown self-play setting {', '.join(sorted(unknown))} ({', '.join(KNOBS)})")
    for name in ('check_every', 'batch_size', 'games_per_round', 'steps_per_round', 'replay'):
        if type(knobs[name]) is not int or knobs[name] <= 0:
            raise ValueError(f'{name} must be a positive whole number, not {knobs[name]!r}')
    for name, low, high in (('discount', 0, 1), ('epsilon', 0, 1), ('random_share', 0, 1)):
        value = knobs[name]
        if type(value) not in (int, float) or not low <= value <= high or name == 'discount' and value == 0:
            raise ValueError(f"{name} must be in {'(' if name == 'discount' else '['}{low}, {high}], not {value!r}")
    if knobs['replay'] < knobs['games_per_round']:
        raise ValueError(f"replay ({knobs['replay']} games) must hold at least games_per_round "
                         f"({knobs['games_per_round']})")
    if until_perfect and check is None:
        raise ValueError('until_perfect needs a check: the exhaustive evaluation decides what is perfect')


def train_selfplay(config, check=None, on_check=None, **knobs):
    """Train a Model by self-play as config (hidden, games, seed, lr, threads, until_perfect) and the KNOBS say;
    returns (model, record, curve).

    check(model) -> {'losses_x', 'losses_o', 'optimal_pct', 'fastest_pct', 'perfect'} (the exhaustive evaluation:
    wopr.train.loop.check_point) runs every check_every games; the learning never sees it, so the solver stays
    out of the learning signal. The curve holds one point per check (those figures, with games, seconds and loss);
    the model returned holds the weights of the best check (fewest losing lines, then most optimal moves, then
    fastest), the first perfect one with until_perfect, its values scaled by VALUE_SCALE. on_check(point) sees
    each point; True stops the training. record: what the run did and the knobs, for the knowledge's metadata."""
    knobs = {**KNOBS, **knobs}
    _validate(knobs, check, config.until_perfect)
    every, batch, discount = knobs['check_every'], knobs['batch_size'], knobs['discount']
    torch.set_num_threads(config.threads)  # two threads stall on a 2-core machine; the count is part of the seed
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    model = Model(config.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    memory = Replay(knobs['replay'])
    curve, best, played, steps, total, count = [], None, 0, 0, 0.0, 0
    started = time.perf_counter()
    while played < config.games:
        n = min(knobs['games_per_round'], config.games - played)
        memory.add(play(model, n, knobs['epsilon'], knobs['random_share'], gen))
        played += n
        # Several gradient steps per small batch of new games: updates, not games, are what the model learns from.
        for _ in range(knobs['steps_per_round']):
            loss = td_loss(model, memory.sample(batch, gen), discount)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, count, steps = total + loss.item(), count + 1, steps + 1
        if check is not None and (played // every > (played - n) // every or played == config.games):
            p = {'games': played, 'seconds': round(time.perf_counter() - started, 3),
                 'loss': round(total / max(count, 1), 6), **check(model)}
            curve.append(p)
            total, count = 0.0, 0
            if best is None or rank(p) > rank(best[0]):
                best = p, copy.deepcopy(model.state_dict())
            stop = on_check(p) if on_check else False
            if stop or config.until_perfect and p['perfect']:
                break
    if best is not None:
        model.load_state_dict(best[1])
    with torch.no_grad():
        model.head.weight *= VALUE_SCALE
        model.head.bias *= VALUE_SCALE
    record = {'games': played, 'checkpoint_games': best[0]['games'] if best else played, 'gradient_steps': steps,
              'optimizer': 'Adam', 'value_scale': VALUE_SCALE, **knobs, 'perfect': bool(best and best[0]['perfect']),
              'seconds': round(time.perf_counter() - started, 3)}
    return model, record, curve
