"""Training sets as move lists: every game as 9 int8 cells, batches turned into inputs and target masks on the fly."""
import torch

from .. import solver
from ..runtime.board import winner

CENTRE = 4
POW3 = 3 ** torch.arange(9)
PARITY = torch.arange(9) % 2  # step t's mover: X on even steps, O on odd ones


def code(board):
    """A board as a base-3 number (X = 1, O = 2), the index into a target table."""
    return sum({'X': 1, 'O': 2}.get(v, 0) * 3 ** c for c, v in enumerate(board))


class Dataset:
    """Games as cells (-1 after the end); targets from a table by position, or the move actually played."""

    def __init__(self, name, games, table=None):
        self.name = name
        self.moves = torch.tensor([g + (-1,) * (9 - len(g)) for g in games], dtype=torch.int8)
        self.table = table  # bool [3**9, 9]: the target moves of each position; None: the move played

    def __len__(self):
        return len(self.moves)

    def batch(self, index):
        """Inputs [B, 9, 18], target masks [B, 9, 9] and the mask of steps that have a target [B, 9]."""
        moves = self.moves[index].long()
        steps = moves >= 0
        cells = moves.clamp(min=0)
        # The input at step t is the board before move t: an exclusive running sum of one-hot moves.
        planes = torch.where(steps, cells + 9 * PARITY, 18)
        placed = torch.zeros(*moves.shape, 19).scatter_(2, planes.unsqueeze(-1), 1.0)[..., :18]
        x = placed.cumsum(1) - placed
        if self.table is None:
            target = torch.nn.functional.one_hot(cells, 9).bool()
        else:
            placed_code = torch.where(steps, (1 + PARITY) * POW3[cells], 0)
            target = self.table[placed_code.cumsum(1) - placed_code]
        return x, target, steps


def optimal():
    """Every reachable game; the target at each step is the set of fastest-optimal moves for the side to move."""
    table = torch.zeros(3 ** 9, 9, dtype=torch.bool)
    for board in solver.positions():
        table[code(board), solver.fastest_moves(board)] = True
    return Dataset('optimal', list(solver.games()), table)


def winning_x(centre_first=False):
    """The 2018 original's idea: every game X wins, the target being the move played (X's opening: the centre)."""
    kept = []
    for game in solver.games():
        if centre_first and game[0] != CENTRE:
            continue
        board = [''] * 9
        for i, cell in enumerate(game):
            board[cell] = 'XO'[i % 2]
        if winner(board)[0] == 'X':
            kept.append(game)
    return Dataset('winning-x', kept)

