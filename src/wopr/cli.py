"""The `wopr` command line: train, evaluate, inspect, play, site, serve, publish, import-gob."""
from contextlib import contextmanager

import typer
from rich.console import Console

from .runtime.knowledge import KnowledgeError

app = typer.Typer(help='WOPR: an LSTM that plays tic-tac-toe from a portable knowledge file.',
                  no_args_is_help=True, pretty_exceptions_enable=False)
err = Console(stderr=True)
out = Console()


@app.callback()
def main():
    """WOPR: an LSTM that plays tic-tac-toe from a portable knowledge file."""


@contextmanager
def user_errors():
    """Turn the errors a user can cause into one clear line and exit code 1, never a traceback."""
    try:
        yield
    except (KnowledgeError, ValueError, OSError) as e:
        err.print(f'[bold red]error:[/] {e}', highlight=False)
        raise typer.Exit(1) from None


@app.command()
def inspect(knowledge: str = typer.Argument(..., help='Knowledge file or URL.')):
    """Show a knowledge file: metadata, tensors, size, sha256, training history and evaluation."""
    from .report import knowledge_report
    from .sources import load_knowledge
    with user_errors():
        out.print(knowledge_report(load_knowledge(knowledge), knowledge))


@app.command()
def play(knowledge: str = typer.Option(None, '--knowledge', '-k', help='Knowledge file or URL (default: shipped).'),
         side: str = typer.Option('X', '--as', help='Your side: X (moves first) or O.'),
         show_probs: bool = typer.Option(False, '--show-probs', help="Show the network's probability per cell.")):
    """Play tic-tac-toe in the terminal against a knowledge file."""
    from . import terminal
    from .sources import load_knowledge
    with user_errors():
        side = side.upper()
        if side not in ('X', 'O'):
            raise ValueError(f'--as must be X or O, not {side!r}')
        loaded = load_knowledge(knowledge)
    raise typer.Exit(terminal.run(loaded, side, show_probs))
