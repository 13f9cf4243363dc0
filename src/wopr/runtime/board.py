"""Tic-tac-toe rules and the network's 18-float input encoding (pure Python, MicroPython-safe)."""

# Cells are numbered 0-8, row by row from the top left; a board is a list of 9 of 'X', 'O' or ''.
EMPTY = ''
LINES = (
    (0, 1, 2), (3, 4, 5), (6, 7, 8),  # rows
    (0, 3, 6), (1, 4, 7), (2, 5, 8),  # columns
    (0, 4, 8), (2, 4, 6),             # diagonals
)


def new_board():
    return [EMPTY] * 9


def other(player):
    return 'O' if player == 'X' else 'X'


def to_move(board):
    """X moves first, so X is to move whenever the counts are equal."""
    xs = board.count('X')
    return 'X' if xs == board.count('O') else 'O'


def legal_moves(board):
    return [c for c in range(9) if board[c] == EMPTY]


def winner(board):
    """(player, line) for a completed line, else (None, None)."""
    for line in LINES:
        a, b, c = line
        if board[a] != EMPTY and board[a] == board[b] == board[c]:
            return board[a], line
    return None, None


def is_over(board):
    return winner(board)[0] is not None or EMPTY not in board


def encode(board):
    """The contract's input: x[c] = 1 if cell c holds X, x[9 + c] = 1 if it holds O."""
    x = [0.0] * 18
    for c in range(9):
        if board[c] == 'X':
            x[c] = 1.0
        elif board[c] == 'O':
            x[9 + c] = 1.0
    return x
