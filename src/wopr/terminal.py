"""The terminal game: the human's input and the runtime are concurrent tasks talking through channels."""
import asyncio
import sys
import threading

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .runtime.game import Game, IllegalMove

HELP = 'Type a cell 1-9 to play, q to quit.'


def board_table(status, show_probs=False):
    """The board: free cells show their number 1-9 (and the AI's probabilities), the winning line in reverse."""
    line = status['line'] or ()
    table = Table(show_header=False, show_lines=True, box=box.SQUARE, padding=(0, 1))
    for _ in range(3):
        table.add_column(justify='center', width=7 if show_probs and status['probs'] else 3)
    cells = []
    for c, mark in enumerate(status['board']):
        style = 'bold red' if mark == 'X' else 'bold cyan'
        if c in line:
            style += ' reverse'
        text = f'[{style}]{mark}[/]' if mark else f'[dim]{c + 1}[/]'
        if show_probs and status['probs']:
            text += f' [yellow]{status["probs"][c]:.2f}[/]'
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


def read_lines(loop, channel):
    """Feed stdin lines into the channel from a daemon thread (None = end of input), so quitting never waits on it."""
    def pump():
        for line in sys.stdin:
            loop.call_soon_threadsafe(channel.put_nowait, line.strip())
        loop.call_soon_threadsafe(channel.put_nowait, None)
    threading.Thread(target=pump, daemon=True).start()


async def engine(game, requests, replies):
    """The runtime task: applies each request to the game and answers with its status or an error."""
    while True:
        op, arg = await requests.get()
        try:
            if op == 'new':
                game.new(arg)
            else:
                game.play(arg)
            await replies.put(('ok', game.status()))
        except IllegalMove as e:
            await replies.put(('error', str(e)))


async def human(console, lines, requests, replies, side, show_probs):
    """The human's task: prompts, parses input, sends moves to the engine and shows its answers."""
    async def ask(prompt):
        console.print(prompt, end='')
        line = await lines.get()
        if line is None or not sys.stdin.isatty():  # echo piped input so a transcript reads like a session
            console.print(line or '', highlight=False, markup=False)
        return line

    async def call(op, arg):
        await requests.put((op, arg))
        return await replies.get()

    while True:
        _, status = await call('new', side)
        console.print(f'\nYou play [bold]{side}[/]. {HELP}')
        show(console, status, show_probs)
        while not status['over']:
            line = await ask('Your move (1-9, q quits): ')
            if line is None or line.lower() in ('q', 'quit', 'exit'):
                return
            if not (line.isdecimal() and 1 <= int(line) <= 9):  # isdigit() admits '²', which int() refuses
                console.print(f'[red]{escape(repr(line))} is not a cell: type a number 1-9, or q.[/]')
                continue
            kind, answer = await call('play', int(line) - 1)
            if kind == 'error':
                console.print(f'[red]{answer}.[/] Try again.')
                continue
            status = answer
            show(console, status, show_probs)
        console.print(f'[bold]{outcome(status)}[/]')
        again = await ask('Play again? [Y/n] ')
        if again is None or again.lower() in ('n', 'no', 'q', 'quit'):
            return


async def main(knowledge, side, show_probs, console):
    lines, requests, replies = asyncio.Queue(), asyncio.Queue(), asyncio.Queue()
    read_lines(asyncio.get_running_loop(), lines)
    runtime = asyncio.create_task(engine(Game(knowledge, side), requests, replies))
    try:
        await human(console, lines, requests, replies, side, show_probs)
    finally:
        runtime.cancel()


def run(knowledge, side='X', show_probs=False, console=None):
    """Play until the human quits (q, end of input or Ctrl-C); returns the exit code."""
    console = console or Console(highlight=False)
    name = knowledge.training.get('name') or f'hidden {knowledge.hidden_size}'
    console.print(f'[bold]Greetings, Professor Falken. Shall we play a game?[/] (knowledge: {escape(str(name))})')
    try:
        asyncio.run(main(knowledge, side, show_probs, console))
    except KeyboardInterrupt:
        console.print()
    console.print('Goodbye.')
    return 0
