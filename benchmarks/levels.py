"""How often each level loses, per shipped network: seeded games against a best-move player (a random minimax-optimal
move each turn) and a uniformly random one, WOPR as X and as O (`python -m benchmarks.levels`)."""
import random

from rich.console import Console
from rich.table import Table

from wopr import solver
from wopr.runtime.board import legal_moves
from wopr.runtime.game import LEVELS, Game
from wopr.sources import KNOWLEDGE_DIR, load_knowledge

GAMES = 2000  # a side: a loss rate of 10% is then known to about +-1.3 points (2 standard errors)
NETWORKS = ('default', 'wide')
OPPONENTS = {'best-move': lambda board, rng: rng.choice(solver.optimal_moves(board)),
             'random': lambda board, rng: rng.choice(legal_moves(board))}


def loss_rate(knowledge, level, wopr_side, opponent, games=GAMES, seed=0):
    """The share of `games` that WOPR, playing `wopr_side` at `level`, loses to `opponent`."""
    rng, lost = random.Random(seed), 0
    human = 'O' if wopr_side == 'X' else 'X'
    for game_number in range(games):
        game = Game(knowledge, human, level, seed=game_number + 1)  # medium's own draws, seeded per game
        while not game.status()['over']:
            game.play(OPPONENTS[opponent](game.board, rng))
        lost += game.status()['winner'] == human
    return lost / games


def main():
    table = Table(title=f'Games WOPR loses, per level ({GAMES:,} a side, seeded)')
    for column in ('network', 'level', 'opponent', 'WOPR as X', 'WOPR as O'):
        table.add_column(column)
    for name in NETWORKS:
        knowledge = load_knowledge(KNOWLEDGE_DIR / f'{name}.safetensors')
        for level in LEVELS[1:]:  # easy plays the 2018 network, another file: see the README
            for opponent in OPPONENTS:
                rates = [loss_rate(knowledge, level, side, opponent) for side in 'XO']
                table.add_row(f'{name} (hidden {knowledge.hidden_size})', level, opponent,
                              *(f'{100 * r:.1f} %' for r in rates))
    Console().print(table)
    return 0


if __name__ == '__main__':
    main()
