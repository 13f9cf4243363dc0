"""Self-play: the contract's LSTM learns tic-tac-toe only from games it plays against itself and their outcomes."""
import copy
import time

import torch

from ..runtime import board
from ..runtime.format import MAX_ITEMS
from .model import Model
from .trained import Progress, Trained

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


# Move values lie in [-1, 1]: as logits they would read as a near-uniform distribution (the page's thinking, the
# medium level's sampling). A power of two scales them exactly, so the argmax, and the play, stay bit-identical.
VALUE_SCALE = 32


def interval(config):
    """Games between two checks: config.check_every, or a multiple of it that keeps the curve within the history a
    knowledge file holds (MAX_ITEMS points)."""
    base = config.check_every
    return max(base, -(-config.games // (MAX_ITEMS * base)) * base)


def run(config, on_progress=None, check=None):
    """Train a Model by self-play as config says (its self-play settings: docs/self-play.md); a Trained.

    check(model, dtype) -> {'losses_x', 'losses_o', 'optimal_pct', 'fastest_pct', 'perfect'} (the exhaustive
    evaluation: wopr.train.check.check_point) runs once past every interval(config) games and at the end; the learning
    never sees it, so the solver stays out of the learning signal. The history holds one point per check (those
    figures, with games, seconds and loss); the model holds the weights of the best check (fewest losing lines, then
    most optimal moves, then fastest), the first perfect one with until_perfect, its values scaled by VALUE_SCALE.
    on_progress(Progress) after every round of games, with the check when one was made."""
    if config.until_perfect and check is None:
        raise ValueError('until_perfect needs a check: the exhaustive evaluation decides what is perfect')
    every = interval(config)
    torch.set_num_threads(config.threads)  # two threads stall on a 2-core machine; the count is part of the seed
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    model = Model(config.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    memory = Replay(config.replay)
    curve, best, played, steps, total, count = [], None, 0, 0, 0.0, 0
    started = time.perf_counter()
    while played < config.games:
        n = min(config.games_per_round, config.games - played)
        memory.add(play(model, n, config.epsilon, config.random_share, gen))
        played += n
        # Several gradient steps per small batch of new games: updates, not games, are what the model learns from.
        for _ in range(config.steps_per_round):
            loss = td_loss(model, memory.sample(config.batch_size, gen), config.discount)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, count, steps = total + loss.item(), count + 1, steps + 1
        p = None
        if check is not None and (played // every > (played - n) // every or played == config.games):
            p = {'games': played, 'seconds': round(time.perf_counter() - started, 3),
                 'loss': round(total / max(count, 1), 6), **check(model, config.dtype)}
            curve.append(p)
            total, count = 0.0, 0
            if best is None or rank(p) > rank(best[0]):
                best = p, copy.deepcopy(model.state_dict())
        stop = on_progress and on_progress(Progress(played, config.games, f'{played:,} games', p))
        if p and (stop or config.until_perfect and p['perfect']):
            break
    if best is not None:
        model.load_state_dict(best[1])
    with torch.no_grad():
        model.head.weight *= VALUE_SCALE
        model.head.bias *= VALUE_SCALE
    kept = best[0]['games'] if best else played
    return Trained(model, config, curve, bool(best and best[0]['perfect']), played,
                   round(time.perf_counter() - started, 3), took=f'{played:,} self-play games',
                   kept=f'the best check, at {kept:,} games' if best else 'the last games',
                   record={'checkpoint_games': kept, 'gradient_steps': steps, 'optimizer': 'Adam',
                           'value_scale': VALUE_SCALE, 'max_games': config.games})
