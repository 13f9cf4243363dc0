"""The terminal game: a plain loop over the runtime's Game, one line of input per move; or WOPR against itself."""
import sys
import time
from collections import Counter
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .runtime.board import other
from .runtime.game import LESSON, OPENINGS, SPEEDUP, Game, IllegalMove
from .text import clean

HELP = 'Type a cell 1-9 to play, u to take back, q to quit.'
CELLS = {str(n): n - 1 for n in range(1, 10)}  # what a move may be typed as, exactly
QUIT = ('q', 'quit', 'exit')
UNDO = ('u', 'undo')
REPLAY = ('r', 'replay')


def board_table(status, probs=None):
    """The board: free cells show their number 1-9 (and the probabilities WOPR chose from), the winning line in
    reverse."""
    line = status['line'] or ()
    table = Table(show_header=False, show_lines=True, box=box.SQUARE, padding=(0, 1))
    for _ in range(3):
        table.add_column(justify='center', width=7 if probs else 3)
    cells = []
    for c, mark in enumerate(status['board']):
        style = 'bold red' if mark == 'X' else 'bold cyan'
        if c in line:
            style += ' reverse'
        text = f'[{style}]{mark}[/]' if mark else f'[dim]{c + 1}[/]'
        if probs:
            text += f' [yellow]{probs[c]:.2f}[/]'
        cells.append(text)
    for r in range(3):
        table.add_row(*cells[3 * r:3 * r + 3])
    return table


def outcome(status):
    line = status['line'] and '-'.join(str(c + 1) for c in status['line'])
    if status['draw']:
        return 'A draw.' if status['players'] == 0 else 'A draw. The only winning move is not to play.'
    if status['players'] == 1:
        who = 'You win' if status['winner'] == status['human'] else 'WOPR wins'
    else:
        who = f'{status["winner"]} wins'
    return f'{who} ({status["winner"]}, line {line}).'


def counts_for(status):
    """Whom a finished game counts for: 'you' or 'WOPR' against WOPR (whichever side you played), the winning mark
    with two players, None for a draw."""
    if status['winner'] is None or status['players'] != 1:
        return status['winner']
    return 'you' if status['winner'] == status['human'] else 'WOPR'


def score_line(score, status):
    """The session's score: you, WOPR and draws (two players: X, O and draws)."""
    if status['players'] == 1:
        return f'Score: you {score["you"]}, WOPR {score["WOPR"]}, draws {score[None]}.'
    return f'Score: X {score["X"]}, O {score["O"]}, draws {score[None]}.'


def take_back(console, game):
    """`u` at the move prompt: the person's last move and WOPR's reply (two players: the last move) taken back, said,
    and the board as it is again. A game ends at once in the terminal (its score counted, then "Play again?"), so
    nothing counted is ever taken back."""
    before = game.status()
    try:
        game.undo()
    except IllegalMove as e:
        console.print(f'[red]{escape(str(e))}.[/] Try again.')
        return
    taken = [c + 1 for c in before['moves'][len(game.moves):]]
    if before['players'] == 2:
        console.print(f"Took back {before['board'][taken[0] - 1]}'s move {taken[0]}.")
    else:
        reply = f" and WOPR's reply {taken[1]}" if len(taken) > 1 else ''
        console.print(f'Took back your move {taken[0]}{reply}.')
    console.print(board_table(game.status()))


def show(console, status, show_probs):
    """The board after a move; WOPR's move and the probabilities it chose from only when the latest move is its
    own (a person's winning or last move leaves WOPR's earlier move unsaid)."""
    last = status['last']
    wopr_moved = status['players'] == 1 and last is not None and status['moves'][-1] == last['cell']
    if wopr_moved:
        console.print(f'WOPR plays {last["cell"] + 1} (p={last["prob"]:.2f})')
    console.print(board_table(status, show_probs and wopr_moved and last['probs']))


def ask(console, prompt):
    """One line of input, stripped; None at the end of input. Piped input is echoed, so a transcript reads like a
    session. On a terminal, a line ended by Ctrl-D rather than Enter (the end of input, or '5' then Ctrl-D twice) is
    ended here, so that what follows starts a line of its own."""
    console.print(prompt, end='')
    line = sys.stdin.readline()
    if not sys.stdin.isatty():
        console.print(line.strip(), highlight=False, markup=False)
    elif not line.endswith('\n'):
        console.print()
    return line.strip() if line else None


def replay(console, game):
    """`r` once a game is over: each of its positions with the probabilities WOPR's network gave every cell there
    (the runtime's replay: for WOPR's moves, what it chose from), the move made and its share, then the end."""
    positions = game.replay(list(game.moves))['positions']
    for n, position in enumerate(positions[:-1], 1):
        console.print(f"Move {n} of {len(positions) - 1}: {position['turn']} plays {position['move'] + 1} "
                      f"(p={position['prob']:.2f})")
        console.print(board_table({'board': position['board'], 'line': None}, position['probs']))
    console.print(board_table(game.status()))


def play_again(console, game):
    """y, yes or an empty line: another game; n or no (or a quit word): none; r: the game's replay, then the
    question again; any other answer is asked again."""
    while (answer := ask(console, 'Play again? [Y/n, r replays] ')) is not None:
        if answer.lower() in ('', 'y', 'yes'):
            return True
        if answer.lower() in ('n', 'no', *QUIT):
            return False
        if answer.lower() in REPLAY:
            replay(console, game)
            continue
        console.print('Type y or n (or r to replay the game).')
    return False


def play(console, game, show_probs, alternate=False):
    """Games until a player quits or the input ends (one player against WOPR, or two people taking turns), the
    session's score shown after each; `alternate`: against WOPR, your side changes (X, O, X, ...) each game."""
    score = Counter()  # games won by you and WOPR (two players: X and O), and draws (None)
    human = game.human
    while True:
        game.new(human)
        human = other(human) if alternate else human
        status = game.status()
        who = f'You play [bold]{status["human"]}[/]' if status['players'] == 1 else 'Two players, X first'
        console.print(f'\n{who}, level {status["level"]}. {HELP}')
        show(console, status, show_probs)
        while not status['over']:
            mover = 'Your' if status['players'] == 1 else f'{status["turn"]}\'s'
            line = ask(console, f'{mover} move (1-9, q quits): ')
            if line is None or line.lower() in QUIT:
                return
            if not line:  # Enter alone: the prompt again
                continue
            if line.lower() in UNDO:
                take_back(console, game)
                status = game.status()
                continue
            if line not in CELLS:
                console.print(f'[red]{escape(repr(line))} is not a cell: type a number 1-9, or q.[/]')
                continue
            try:
                game.play(CELLS[line])
            except IllegalMove as e:
                console.print(f'[red]{escape(str(e))}.[/] Try again.')
                continue
            status = game.status()
            show(console, status, show_probs)
        score[counts_for(status)] += 1
        console.print(f'[bold]{outcome(status)}[/]')
        console.print(score_line(score, status))
        if not play_again(console, game):
            return


def scene(console, game, pace):
    """WOPR against itself, one game per opening, each faster than the last (the first waits `pace` seconds a
    move), with the probabilities of each move; returns the winners (None for a draw)."""
    winners = []
    for n, opening in enumerate(OPENINGS):
        game.new(players=0)
        game.play(opening)
        moves = [f'X {opening + 1} (opening)']
        while not game.status()['over']:
            time.sleep(pace * SPEEDUP ** n)
            side = game.status()['turn']
            cell = game.ai_move()
            moves.append(f'{side} {cell + 1} ({100 * game.last["probs"][cell]:.0f}%)')
        status = game.status()
        console.print(f'\nGame {n + 1}: ' + ', '.join(moves))
        console.print(board_table(status))
        console.print(outcome(status))
        winners.append(status['winner'])
    return winners


def verdict(winners, level):
    """The scene's last line: the film's when every game was a draw, else what happened."""
    if not any(winners):
        return LESSON
    won = {side: winners.count(side) for side in ('X', 'O')}
    return (f'WOPR beat itself at level {level}: X won {won["X"]}, O won {won["O"]}, {winners.count(None)} draws '
            f'of {len(winners)} games. No lesson learned this time.')


def network_name(knowledge, source=None):
    """What the greeting calls the network: its training name, else its file's name without the extension (the
    catalog's name, 'original-method'), and its size."""
    source = str(source or '')
    name = knowledge.training.get('name') or PurePosixPath(urlsplit(source).path if '://' in source else source).stem
    return ', '.join(filter(None, [clean(name or '', 80), f'hidden {knowledge.hidden_size}']))


def run(knowledge, side='X', show_probs=False, console=None, level='perfect', players=1, pace=0.5, seed=1,
        source=None, alternate=False):
    """Play until the human quits (q, end of input or Ctrl-C), or watch WOPR play itself (players 0); returns the
    exit code. `source` is where the knowledge came from (a path or URL), named in the greeting; `alternate`: your
    side changes each game (one player)."""
    console = console or Console(highlight=False)
    if hasattr(sys.stdin, 'reconfigure'):
        sys.stdin.reconfigure(errors='replace')  # a byte that is not UTF-8 is a wrong move, not the end of the game
    console.print('[bold]Greetings, Professor Falken. Shall we play a game?[/] '
                  f'(knowledge: {escape(network_name(knowledge, source))})')
    game = Game(knowledge, side, level, players, seed)
    try:
        if players == 0:
            console.print(f'WOPR plays itself at level {level}, one game per opening (Ctrl-C stops it).')
            console.print(f'\n[bold]{verdict(scene(console, game, pace), level)}[/]')
        else:
            play(console, game, show_probs, alternate)
    except KeyboardInterrupt:
        console.print()
    console.print('Goodbye.')
    return 0
