"""A game between a human and the network: moves, AI replies, winner, draw, new game."""
from .board import EMPTY, encode, is_over, new_board, other, to_move, winner
from .lstm import Network

SIDES = ('X', 'O')


class IllegalMove(ValueError):
    """A move the rules do not allow; the game is left as it was."""


def choose(probs, board):
    """The most probable legal cell (ties: the lowest index)."""
    best = None
    for c in range(9):
        if board[c] == EMPTY and (best is None or probs[c] > probs[best]):
            best = c
    return best


def check_side(human):
    if human not in SIDES:
        raise ValueError(f'side must be X or O, not {human!r}')
    return human


class Game:
    """One game at a time against one knowledge; `new` starts again without re-reading the file."""

    def __init__(self, knowledge, human='X'):
        self.knowledge = knowledge
        self.network = Network(knowledge)
        self.new(human)

    def new(self, human='X'):
        self.human = check_side(human)
        self.ai = other(human)
        self.board = new_board()
        self.moves = []
        self.last = None  # the AI's latest move: {'cell', 'probs' it was chosen from}
        # the network has seen every board so far; `policy` is its distribution for the move to come
        self.state, self.policy = self.network.step(self.network.start(), encode(self.board))
        if self.ai == 'X':
            self.ai_move()

    def _put(self, cell, player):
        self.board[cell] = player
        self.moves.append(cell)
        if not is_over(self.board):  # the network sees every board, either side's move
            self.state, self.policy = self.network.step(self.state, encode(self.board))

    def play(self, cell):
        """The human's move, then the AI's reply unless the game is over."""
        if is_over(self.board):
            raise IllegalMove('the game is over: start a new game')
        if type(cell) is not int or not 0 <= cell <= 8:
            raise IllegalMove(f'cell {cell!r} is not on the board (0-8)')
        if self.board[cell] != EMPTY:
            # people see cells numbered 1-9 (terminal, page keys), so say it their way
            raise IllegalMove(f'square {cell + 1} is already taken by {self.board[cell]}')
        self._put(cell, self.human)
        if not is_over(self.board):
            self.ai_move()

    def ai_move(self):
        if is_over(self.board) or to_move(self.board) != self.ai:
            raise IllegalMove('it is not the AI\'s turn')
        cell = choose(self.policy, self.board)
        self.last = {'cell': cell, 'probs': self.policy}
        self._put(cell, self.ai)
        return cell

    def status(self):
        """Everything a front end shows, JSON-ready."""
        win, line = winner(self.board)
        over = win is not None or EMPTY not in self.board
        last = self.last and {'cell': self.last['cell'], 'prob': self.last['probs'][self.last['cell']],
                              'probs': self.last['probs']}
        return {
            'board': list(self.board), 'human': self.human, 'ai': self.ai, 'moves': list(self.moves),
            'turn': None if over else to_move(self.board), 'over': over,
            'winner': win, 'line': list(line) if line else None, 'draw': over and win is None, 'last': last,
        }
