"""Exhaustive play-strength evaluation: the network as X and as O against every opponent line, and random games.

The runtime's walk (wopr.runtime.check) goes through the game tree level by level with a batched policy (`start(n)`,
`step(states, inputs)`, `select(states, index)`), so the pure-Python runtime, the PyTorch model during training and
the page's check in the browser count the same games. A file's own `evaluation` is a claim: `checked` computes the
figures and names the ones it gets wrong."""
import random

from . import solver
from .runtime.board import legal_moves
from .runtime.check import OUTCOMES, SIDES, RuntimePolicy, walk

__all__ = ['SIDES', 'RuntimePolicy', 'play_out', 'play_strength', 'claim_differences', 'checked', 'easy_pick']
CLAIMED_GAMES = 1_000  # random games per side replayed as a file's claim says it played them; more: the default


def play_out(policy, side, replies, games=1):
    """Play `games` games at once, the network as `side`; the opponent follows every cell replies(board) lists. The
    runtime's walk, a whole level per step, each of the network's moves judged by the solver."""
    t = dict.fromkeys((*OUTCOMES, 'optimal', 'fastest', 'missed_wins'), 0)

    def judge(board, cell):
        wins = solver.winning_moves(board)
        t['optimal'] += cell in solver.optimal_moves(board)
        t['fastest'] += cell in solver.fastest_moves(board)
        t['missed_wins'] += bool(wins) and cell not in wins

    for _ in walk(policy, side, replies, t, games, judge):
        pass
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


def claim_differences(claimed, computed, prefix=''):
    """The figures a file's own evaluation states that the computation does not give, as dotted names ('O.losses',
    'perfect'), in the claim's order; [] when every figure it states is right (it may state fewer, or none). Keys the
    computation has no figure for (a note) are not claims about play."""
    out = []
    for key, value in claimed.items():
        if key not in computed:
            continue
        mine = computed[key]
        if isinstance(value, dict):
            out += (claim_differences(value, mine, f'{prefix}{key}.') if isinstance(mine, dict)
                    else [f'{prefix}{key}'])
        elif value != mine or isinstance(value, bool) != isinstance(mine, bool):
            out.append(f'{prefix}{key}')
    return out


def checked(knowledge):
    """(the knowledge's figures computed here, the names of those its own `evaluation` claims otherwise). The random
    games are played as the claim says it played them (up to CLAIMED_GAMES a side), else 100 with seed 0."""
    claim = knowledge.evaluation.get('random')
    games, seed = (claim.get('games'), claim.get('seed')) if isinstance(claim, dict) else (None, None)
    if not (type(games) is int and 0 <= games <= CLAIMED_GAMES and type(seed) is int):
        games, seed = 100, 0
    computed = play_strength(RuntimePolicy(knowledge), games, seed)
    return computed, claim_differences(knowledge.evaluation, computed)


def easy_pick(files, perfect):
    """Of knowledge files in the catalog's order, the one level easy plays with, or None: the 2018 method's network
    (training method winning-x), else the first that is not perfect by the exhaustive check, never by its own word.
    perfect(file) gives that check's verdict; it is asked only when no file is of the 2018 method. The terminal and
    the site's catalog (the page's easy level) both choose by this rule."""
    files = list(files)
    return (next((f for f in files if f.training.get('method') == 'winning-x'), None)
            or next((f for f in files if not perfect(f)), None))
