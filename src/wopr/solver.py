"""Depth-aware minimax over every reachable position (pure Python, no torch), and game enumeration."""
from functools import cache

from .runtime.board import EMPTY, is_over, legal_moves, new_board, to_move, winner

WIN = 10  # a win with d plies still to play scores WIN - d; a loss -(WIN - d); a draw 0


def _child(board, cell):
    child = list(board)
    child[cell] = to_move(board)
    return tuple(child)


@cache
def _score(board):
    """Score for the side to move: higher is a sooner win or a later loss."""
    if winner(board)[0] is not None:
        return -WIN  # the previous move won: the side to move has lost, 0 plies left
    if EMPTY not in board:
        return 0
    best = -WIN - 1
    for cell in legal_moves(board):
        s = -_score(_child(board, cell))
        best = max(best, s - (s > 0) + (s < 0))  # one ply further away: shrink towards 0
    return best


def score(board):
    return _score(tuple(board))


def value(board):
    """The game value for the side to move: 1 win, 0 draw, -1 loss under perfect play."""
    s = score(board)
    return (s > 0) - (s < 0)


def _move_scores(board):
    board = tuple(board)
    return {cell: -_score(_child(board, cell)) for cell in legal_moves(board)}


def optimal_moves(board):
    """Moves that keep the game value (minimax-optimal, ignoring how fast)."""
    signs = {c: (s > 0) - (s < 0) for c, s in _move_scores(board).items()}
    best = max(signs.values(), default=None)
    return [c for c, s in signs.items() if s == best]


def fastest_moves(board):
    """Value-optimal moves that also win soonest or lose latest (every drawing move, in a draw)."""
    scores = _move_scores(board)
    best = max(scores.values(), default=None)
    return [c for c, s in scores.items() if s == best]


def winning_moves(board):
    """Moves that win at once."""
    board = tuple(board)
    return [c for c in legal_moves(board) if winner(_child(board, c))[0] is not None]


def games(board=None, moves=()):
    """Every complete game from board (default: the empty board), as tuples of cells, in lexicographic order."""
    board = list(board or new_board())
    if is_over(board):
        yield moves
        return
    player = to_move(board)
    for cell in legal_moves(board):
        board[cell] = player
        yield from games(board, moves + (cell,))
        board[cell] = EMPTY


def positions():
    """Every reachable position (terminal ones included), as 9-tuples."""
    seen, frontier = set(), [tuple(new_board())]
    while frontier:
        board = frontier.pop()
        if board in seen:
            continue
        seen.add(board)
        if not is_over(board):
            frontier.extend(_child(board, c) for c in legal_moves(board))
    return seen
