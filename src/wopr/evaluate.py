"""Exhaustive play-strength evaluation: the network as X and as O against every opponent line, and random games.

One routine walks the game tree level by level with a batched policy (`start(n)`, `step(states, inputs)`,
`select(states, index)`), so the pure-Python runtime here and the PyTorch model during training share it."""
import random

from . import solver
from .runtime.board import encode, is_over, legal_moves, new_board, to_move, winner
from .runtime.game import choose
from .runtime.lstm import Network

SIDES = ('X', 'O')


class RuntimePolicy:
    """The pure-Python runtime behind the batched policy interface: it simply loops."""

    def __init__(self, knowledge):
        self.network = Network(knowledge)

    def start(self, n):
        return [self.network.start()] * n

    def step(self, states, inputs):
        stepped = [self.network.step(s, x) for s, x in zip(states, inputs)]
        return [s for s, _ in stepped], [p for _, p in stepped]

    def select(self, states, index):
        return [states[i] for i in index]


def _tally():
    return {k: 0 for k in ('games', 'wins', 'draws', 'losses', 'moves', 'optimal', 'fastest', 'missed_wins')}


def play_out(policy, side, replies, games=1):
    """Play `games` games at once, the network as `side`; the opponent follows every cell replies(board) lists."""
    t = _tally()
    boards, state = [new_board() for _ in range(games)], policy.start(games)
    while boards:
        # The network sees every board (either side's move), exactly as runtime.game.Game feeds it.
        state, probs = policy.step(state, [encode(b) for b in boards])
        children, parents = [], []
        for i, (board, p) in enumerate(zip(boards, probs)):
            if to_move(board) == side:
                cell = choose(p, board)
                wins = solver.winning_moves(board)
                t['moves'] += 1
                t['optimal'] += cell in solver.optimal_moves(board)
                t['fastest'] += cell in solver.fastest_moves(board)
                t['missed_wins'] += bool(wins) and cell not in wins
                cells = [cell]
            else:
                cells = replies(board)
            for cell in cells:
                child = list(board)
                child[cell] = to_move(board)
                if is_over(child):
                    won = winner(child)[0]
                    t['games'] += 1
                    t['wins' if won == side else 'losses' if won else 'draws'] += 1
                else:
                    children.append(child)
                    parents.append(i)
        boards, state = children, policy.select(state, parents)
    return t


def percent(part, whole):
    return round(100.0 * part / whole, 3) if whole else 100.0


def play_strength(policy, games=100, seed=0):
    """Exhaustive figures per side, `games` seeded games per side against a uniformly random opponent, `perfect`."""
    result = {}
    for side in SIDES:
        t = play_out(policy, side, legal_moves)
        t['optimal_pct'] = percent(t['optimal'], t['moves'])
        t['fastest_pct'] = percent(t['fastest'], t['moves'])
        result[side] = t
    rng = random.Random(seed)
    result['random'] = {'games': games, 'seed': seed}
    for side in SIDES:
        t = play_out(policy, side, lambda board: [rng.choice(legal_moves(board))], games)
        result['random'][side] = {k: t[k] for k in ('wins', 'draws', 'losses')}
    result['perfect'] = all(result[s]['losses'] == 0 and result[s]['fastest_pct'] == 100.0 for s in SIDES)
    return result
