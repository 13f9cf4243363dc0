"""A game of tic-tac-toe with the network: levels (how it picks its move), players 0, 1 or 2, winner, draw, take back,
new game, replay."""
from .board import EMPTY, encode, is_over, new_board, other, to_move, winner
from .lstm import Network

SIDES = ('X', 'O')
PLAYERS = (0, 1, 2)  # 0: WOPR plays itself; 1: you against WOPR; 2: two people on one device
OPENINGS = (4, 0, 2, 6, 8, 1, 3, 5, 7)  # WOPR against itself: one game per first move, centre, corners, edges
SPEEDUP = 0.7  # each game of WOPR against itself is played this much faster than the one before
LESSON = 'A strange game. The only winning move is not to play.'  # the film's line, when every such game is a draw
# How WOPR picks its move at each level (front ends also give "easy" a weaker network: see the README): easy and
# perfect take the most probable legal cell; medium draws it from the network's distribution over the legal cells
# flattened by TEMPERATURE (weights p ** (1 / T)). How often that loses depends on how sharp the network is: at 2.5 a
# best-move player beats the perfect hidden-8 network in 10% of the games the network plays as X and 29% as O, the
# hidden-64 one, whose distribution is flatter, in 51% and 55% (benchmarks/levels.py).
LEVELS = ('easy', 'medium', 'perfect')
TEMPERATURE = 2.5


class IllegalMove(ValueError):
    """A move the rules do not allow; the game is left as it was."""


class Random:
    """xorshift32 (Marsaglia 2003): small, seeded, and the same numbers in CPython and MicroPython."""

    def __init__(self, seed=1):
        self.x = (seed & 0xFFFFFFFF) or 0x9E3779B9  # zero is xorshift's one fixed point

    def random(self):
        """The next number in [0, 1)."""
        x = self.x
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.x = x
        return x / 4294967296


def choose(probs, board):
    """The most probable legal cell (ties: the lowest index)."""
    best = None
    for c in range(9):
        if board[c] == EMPTY and (best is None or probs[c] > probs[best]):
            best = c
    return best


def sample(probs, board, r, temperature=TEMPERATURE):
    """A legal cell drawn with weight probs[c] ** (1 / temperature), r being a number in [0, 1)."""
    legal = [c for c in range(9) if board[c] == EMPTY]
    weights = [probs[c] ** (1 / temperature) for c in legal]
    total = sum(weights)
    if not total > 0:  # every legal cell underflowed to 0: no preference left to sample from
        return choose(probs, board)
    at = r * total
    for c, w in zip(legal, weights):
        at -= w
        if at < 0:
            return c
    return legal[-1]  # rounding left r * total a hair above the sum


def one_of(name, value, allowed):
    """`value` if it is one of `allowed`, else a ValueError saying which are ("side must be X or O, not 'Z'")."""
    if type(value) is not type(allowed[0]) or value not in allowed:  # True == 1, but True is not a player count
        words = [str(a) for a in allowed]
        raise ValueError(f"{name} must be {', '.join(words[:-1])} or {words[-1]}, not {value!r}")
    return value


def check_move(board, cell):
    """Raises IllegalMove unless `cell` (0-8) is free on `board`."""
    if type(cell) is not int or not 0 <= cell <= 8:
        raise IllegalMove(f'cell {cell!r} is not on the board (0-8)')
    if board[cell] != EMPTY:
        # people see cells numbered 1-9 (terminal, page keys), so say it their way
        raise IllegalMove(f'square {cell + 1} is already taken by {board[cell]}')


class Game:
    """One game at a time with one knowledge; `new` starts again without re-reading the file."""

    def __init__(self, knowledge, human=None, level=None, players=None, seed=1):
        self.knowledge = knowledge
        self.network = Network(knowledge)
        self.random = Random(seed)
        self.human, self.level, self.players = 'X', 'perfect', 1  # what a None below stands for
        self.new(human, level, players)

    def new(self, human=None, level=None, players=None):
        """A new game; a setting left out (None) stays as it was. All are checked before anything changes."""
        human = one_of('side', self.human if human is None else human, SIDES)
        level = one_of('level', self.level if level is None else level, LEVELS)
        players = one_of('players', self.players if players is None else players, PLAYERS)
        self.human, self.level, self.players = human, level, players
        self.ai = other(human)  # WOPR's side against one person
        self.board = new_board()
        self.moves = []
        self.last = None  # WOPR's latest move: {'cell', 'probs' it was chosen from}
        self.trail = []  # before each move: (state, policy, last), so a move taken back restores them as they were
        # the network has seen every board so far; `policy` is its distribution for the move to come
        self.state, self.policy = self.network.step(self.network.start(), encode(self.board))
        if self.players == 1 and self.human == 'O':  # WOPR opens; against itself, each move is asked for
            self.ai_move()

    def wopr_to_move(self):
        if is_over(self.board):
            return False
        return self.players == 0 or (self.players == 1 and to_move(self.board) != self.human)

    def _put(self, cell, player, last=None):
        self.trail.append((self.state, self.policy, self.last))
        self.last = last or self.last
        self.board[cell] = player
        self.moves.append(cell)
        if not is_over(self.board):  # the network sees every board, either side's move
            self.state, self.policy = self.network.step(self.state, encode(self.board))

    def play(self, cell):
        """A person's move for the side to move (or a chosen opening in WOPR vs WOPR), then WOPR's reply when it
        plays the other side."""
        if is_over(self.board):
            raise IllegalMove('the game is over: start a new game')
        if self.players == 1 and to_move(self.board) != self.human:
            raise IllegalMove("it is WOPR's turn")
        check_move(self.board, cell)
        self._put(cell, to_move(self.board))
        if self.players == 1 and not is_over(self.board):
            self.ai_move()

    def ai_move(self):
        """WOPR's move for the side to move, picked by the level's rule."""
        if not self.wopr_to_move():
            raise IllegalMove("it is not WOPR's turn")
        if self.level == 'medium':
            cell = sample(self.policy, self.board, self.random.random())
        else:
            cell = choose(self.policy, self.board)
        self._put(cell, to_move(self.board), {'cell': cell, 'probs': self.policy})
        return cell

    def undo(self):
        """Take back the person's last move and WOPR's reply to it (in a two-person game, the last move), during the
        game or after it ended; the network's state and WOPR's last move are as they were before it."""
        if self.players == 0:
            raise IllegalMove('WOPR vs WOPR takes nothing back: start a new game')
        back = len(self.moves) - 1
        if self.players == 1:  # back to before the person's latest move (X moves at even steps)
            while back >= 0 and SIDES[back % 2] != self.human:
                back -= 1
        if back < 0:
            raise IllegalMove('there is no move of yours to take back')
        while len(self.moves) > back:
            self.board[self.moves.pop()] = EMPTY
            self.state, self.policy, self.last = self.trail.pop()

    def replay(self, moves):
        """Each position of the game `moves` (cells, X first) would play, from the empty board to its last: the
        board, whose move it is and the network's distribution for that move (as this game's network steps through
        the boards: WOPR's own moves are the ones it chose from), the move made and its probability. The game in play
        is not changed; a move the rules do not allow is refused with its number."""
        if type(moves) is not list or len(moves) > 9:
            raise IllegalMove('a replay is a list of at most 9 moves')
        board = new_board()
        state, policy = self.network.step(self.network.start(), encode(board))
        positions = []
        for n, cell in enumerate(moves):
            try:
                if is_over(board):
                    raise IllegalMove('the game was already over')
                check_move(board, cell)
            except IllegalMove as e:
                raise IllegalMove(f'move {n + 1}: {e}') from None
            positions.append({'board': list(board), 'turn': to_move(board), 'probs': policy, 'move': cell,
                              'prob': policy[cell]})
            board[cell] = to_move(board)
            if not is_over(board):
                state, policy = self.network.step(state, encode(board))
        over = is_over(board)
        positions.append({'board': list(board), 'turn': None if over else to_move(board),
                          'probs': None if over else policy, 'move': None, 'prob': None})
        win, line = winner(board)
        return {'positions': positions, 'over': over, 'winner': win, 'line': list(line) if line else None,
                'draw': over and win is None}

    def status(self):
        """Everything a front end shows, JSON-ready."""
        win, line = winner(self.board)
        over = win is not None or EMPTY not in self.board
        last = self.last and {'cell': self.last['cell'], 'prob': self.last['probs'][self.last['cell']],
                              'probs': self.last['probs']}
        one = self.players == 1
        return {
            'board': list(self.board), 'human': self.human if one else None, 'ai': self.ai if one else None,
            'level': self.level, 'players': self.players, 'moves': list(self.moves),
            'turn': None if over else to_move(self.board), 'over': over,
            'winner': win, 'line': list(line) if line else None, 'draw': over and win is None, 'last': last,
        }
