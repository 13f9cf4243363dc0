"""The terminal game: a plain loop over the runtime's Game, one line of input per move."""
import sys

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .runtime.game import Game, IllegalMove
from .text import clean

HELP = 'Type a cell 1-9 to play, q to quit.'
CELLS = {str(n): n - 1 for n in range(1, 10)}  # what a move may be typed as, exactly
QUIT = ('q', 'quit', 'exit')


def board_table(status, show_probs=False):
    """The board: free cells show their number 1-9 (and the AI's probabilities), the winning line in reverse."""
    line = status['line'] or ()
    probs = show_probs and status['last'] and status['last']['probs']
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
    if status['draw']:
        return 'A draw. The only winning move is not to play.'
    who = 'You win' if status['winner'] == status['human'] else 'WOPR wins'
    return f'{who} ({status["winner"]}, line {"-".join(str(c + 1) for c in status["line"])}).'


def show(console, status, show_probs):
    if status['last']:
        console.print(f'WOPR plays {status["last"]["cell"] + 1} (p={status["last"]["prob"]:.2f})')
    console.print(board_table(status, show_probs))


def ask(console, prompt):
    """One line of input, stripped; None at the end of input. Piped input is echoed, so a transcript reads like a
    session."""
    console.print(prompt, end='')
    line = sys.stdin.readline()
    if not sys.stdin.isatty():
        console.print(line.strip(), highlight=False, markup=False)
    return line.strip() if line else None


def play(console, game, side, show_probs):
    """Games until the human quits or the input ends."""
    while True:
        game.new(side)
        status = game.status()
        console.print(f'\nYou play [bold]{side}[/]. {HELP}')
        show(console, status, show_probs)
        while not status['over']:
            line = ask(console, 'Your move (1-9, q quits): ')
            if line is None or line.lower() in QUIT:
                return
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
        console.print(f'[bold]{outcome(status)}[/]')
        again = ask(console, 'Play again? [Y/n] ')
        if again is None or again.lower() in ('n', 'no', *QUIT):
            return


def run(knowledge, side='X', show_probs=False, console=None):
    """Play until the human quits (q, end of input or Ctrl-C); returns the exit code."""
    console = console or Console(highlight=False)
    if hasattr(sys.stdin, 'reconfigure'):
        sys.stdin.reconfigure(errors='replace')  # a byte that is not UTF-8 is a wrong move, not the end of the game
    name = knowledge.training.get('name') or f'hidden {knowledge.hidden_size}'
    console.print(f'[bold]Greetings, Professor Falken. Shall we play a game?[/] (knowledge: {escape(clean(name, 80))})')
    try:
        play(console, Game(knowledge, side), side, show_probs)
    except KeyboardInterrupt:
        console.print()
    console.print('Goodbye.')
    return 0
