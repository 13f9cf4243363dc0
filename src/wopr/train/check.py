"""The exhaustive check that watches every run: the weights as a file stores them, against every opponent line."""
from .. import evaluate
from .model import TorchPolicy


def check_point(model, dtype):
    """The exhaustive check of the weights as a file of `dtype` stores them: losing lines per side and the shares of
    minimax-optimal and fastest moves (pooled over both sides), and whether that is perfect."""
    result = evaluate.play_strength(TorchPolicy(model, dtype), games=0)
    x, o = result['X'], result['O']
    moves = x['moves'] + o['moves']
    return {'losses_x': x['losses'], 'losses_o': o['losses'],
            'optimal_pct': evaluate.percent(x['optimal'] + o['optimal'], moves),
            'fastest_pct': evaluate.percent(x['fastest'] + o['fastest'], moves), 'perfect': result['perfect']}
