"""The `wopr` command line: train, evaluate, inspect, play, site, serve, publish, import-gob, export."""
import functools
from contextlib import contextmanager
from dataclasses import fields
from inspect import Parameter, Signature, signature
from typing import Annotated

import typer
from rich.markup import escape

from .text import clean
from .train.config import Config
from .usage import Typer, err, error_line, out

app = Typer(no_args_is_help=True)


@app.callback()
def main():
    """WOPR: an LSTM that plays tic-tac-toe from a portable knowledge file."""


MAX_GAMES = 10_000  # random games per side for `evaluate`: ~2 minutes and 350 MB here (all are played at once)


@contextmanager
def user_errors():
    """Turn the errors a user can cause into one clear line and exit code 1, never a traceback."""
    try:
        yield
    except (ValueError, OSError) as e:  # KnowledgeError is a ValueError, S3Error an OSError
        error_line(str(e))
        raise typer.Exit(1) from None


@app.command()
def inspect(knowledge: str = typer.Argument(..., help='Knowledge file or URL.')):
    """Show a knowledge file: metadata, tensors, size, sha256, training history and evaluation."""
    from .report import knowledge_report
    from .sources import load_knowledge
    with user_errors():
        # markup off: the file's strings are printed as written
        out.print(knowledge_report(load_knowledge(knowledge), knowledge), markup=False)


def config_options(cls):
    """Make a command's options from a dataclass's fields (their defaults and help written once, in the dataclass);
    the command receives them as one dict, `options`."""
    def decorate(command):
        own = [p for p in signature(command).parameters.values() if p.name != 'options']
        names = [f.name for f in fields(cls)]
        settings = [Parameter(f.name, Parameter.KEYWORD_ONLY, annotation=f.type, default=typer.Option(
            f.default, f"--{f.name.replace('_', '-')}", *f.metadata['aliases'], help=f.metadata['help']))
            for f in fields(cls)]

        @functools.wraps(command)
        def run(**kwargs):
            return command(options={n: kwargs.pop(n) for n in names}, **kwargs)
        run.__signature__ = Signature(own + settings)
        run.__annotations__ = {p.name: p.annotation for p in own + settings}
        return run
    return decorate


@contextmanager
def training_progress():
    """What a run reports (train.trained.Progress), shown: a progress bar, and a line per check that stays above it."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from .train.trained import strength
    bar = Progress(TextColumn('[bold]{task.description}'), BarColumn(bar_width=20), TaskProgressColumn(),
                   TextColumn('{task.fields[strength]}'), TimeElapsedColumn(), console=out)
    task = bar.add_task('starting', total=None, strength='')  # the run says its total with its first report

    def show(progress):
        bar.update(task, completed=progress.done, total=progress.total, description=progress.at)
        if progress.check:
            bar.update(task, strength=strength(progress.check))
            bar.console.print(progress.line(), highlight=False, soft_wrap=True)
    with bar:
        yield show


@app.command()
@config_options(Config)
def train(options, out_path: str = typer.Option('knowledge.safetensors', '--out', '-o',
                                                help='Where to write the knowledge (a path or s3://...).')):
    """Train an LSTM on tic-tac-toe with PyTorch and write its knowledge file."""
    from .report import evaluation_table
    from .runtime.knowledge import load
    from .sources import validate_writable, write_bytes
    with user_errors():
        config = Config(**options)
        validate_writable(out_path)  # before the training, not after it
        try:
            from .train.export import trained_file
            from .train.loop import train
        except ImportError as e:
            raise ValueError(f"wopr train needs PyTorch ({e.name} is missing): pip install 'wopr[train]'") from None
        with training_progress() as show:
            trained = train(config, show)
        data = trained_file(trained)
        knowledge = load(data)  # what the reader would refuse is never written
        write_bytes(out_path, data)
    out.print(evaluation_table(knowledge.evaluation))
    out.print(f'wrote {escape(out_path)}: {len(data)} bytes, {trained.took} in {trained.seconds:.1f} s; the weights of '
              f'{trained.kept}{", perfect" if trained.perfect else ""}', highlight=False)
    if config.until_perfect and not trained.perfect:
        error_line(f'not perfect after {trained.took}')
        raise typer.Exit(1)


@app.command()
def evaluate(knowledge: str = typer.Argument(..., help='Knowledge file or URL.'),
             as_json: bool = typer.Option(False, '--json', help='Print the figures as JSON.'),
             require_perfect: bool = typer.Option(False, '--require-perfect',
                                                  help='Exit 1 unless 0 losses and 100% fastest-optimal moves.'),
             games: int = typer.Option(100, '--games', help=f'Games per side against a random opponent (0 to '
                                       f'{MAX_GAMES:,}).'),
             seed: int = typer.Option(0, '--seed', help='Seed of the random opponent.')):
    """Measure play strength exhaustively: as X and as O against every opponent line, and against random play."""
    import json

    from .evaluate import RuntimePolicy, play_strength
    from .report import evaluation_table
    from .sources import load_knowledge
    with user_errors():
        if not 0 <= games <= MAX_GAMES:
            raise ValueError(f'--games must be from 0 to {MAX_GAMES:,}, not {games}')
        result = play_strength(RuntimePolicy(load_knowledge(knowledge)), games, seed)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        out.print(evaluation_table(result))
    if require_perfect and not result['perfect']:
        error_line('losses or moves that are not the fastest-optimal (see the figures)', 'not perfect')
        raise typer.Exit(1)


def level_knowledge(level):
    """(path, knowledge) of the shipped file a level plays with by default: at easy, evaluate.easy_pick's choice of
    the shipped files in the page's catalog order; else the default."""
    from .evaluate import RuntimePolicy, easy_pick, play_strength
    from .sources import DEFAULT, load_knowledge, shipped_knowledge
    if level != 'easy':
        return DEFAULT, load_knowledge(DEFAULT)
    path_of = {load_knowledge(p): p for p in shipped_knowledge()}
    found = easy_pick(path_of, lambda k: play_strength(RuntimePolicy(k), games=0)['perfect'])
    if found is None:
        raise ValueError('no shipped knowledge is weak enough for level easy: use --knowledge')
    return path_of[found], found


@app.command()
def play(knowledge: str = typer.Option(None, '--knowledge', '-k', metavar='FILE|URL', help='Knowledge file or URL '
                                       '(default: shipped, by level).'),
         side: str = typer.Option('X', '--as', metavar='X|O', help='Your side: X (moves first) or O.'),
         level: str = typer.Option('perfect', '--level', help='easy (the 2018 method\'s network: beatable), medium '
                                   '(the perfect network, sampling its moves) or perfect.'),
         players: int = typer.Option(1, '--players', metavar='N', help='1: you against WOPR; 2: two people taking '
                                     'turns; 0: WOPR plays itself.'),
         pace: float = typer.Option(0.5, '--pace', min=0, max=60, metavar='SECONDS', help='WOPR vs WOPR: seconds per '
                                    'move in the first game.'),
         seed: int = typer.Option(1, '--seed', metavar='N', help="Seed of level medium's draws."),
         show_probs: bool = typer.Option(False, '--show-probs', help="Show the network's probability per cell."),
         alternate: bool = typer.Option(False, '--alternate', help='Against WOPR: your side changes each game (X, '
                                        'then O, ...), starting with --as.')):
    """Play tic-tac-toe in the terminal against a knowledge file (or watch it play itself: --players 0)."""
    from . import terminal
    from .runtime.game import LEVELS, PLAYERS, SIDES, one_of
    from .sources import load_knowledge
    with user_errors():
        side = one_of('--as', side.upper(), SIDES)
        one_of('--level', level, LEVELS)
        one_of('--players', players, PLAYERS)
        source, loaded = (knowledge, load_knowledge(knowledge)) if knowledge else level_knowledge(level)
    raise typer.Exit(terminal.run(loaded, side, show_probs, level=level, players=players, pace=pace, seed=seed,
                                  source=source, alternate=alternate))


site_app = Typer(help='The static site: page, MicroPython-wasm engine, runtime and knowledge catalog.',
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


def show_changes(todo, dry_run):
    """The bucket changes of a publish, said before they are made."""
    would = 'would ' if dry_run else ''
    for change in todo.changes:
        warning = '[bold yellow]warning:[/] ' if change.warning else ''
        out.print(f'{warning}{change.option}: {would}{escape(clean(change.words))}', highlight=False)
    for note in todo.notes:
        out.print(f'note: {note}', highlight=False)


@contextmanager
def upload_progress(uploads):
    """A bar on stderr while the uploads go, gone when they are done; yields the callback that advances it."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
    with Progress(TextColumn('{task.description}'), BarColumn(), DownloadColumn(), transient=True,
                  console=err) as progress:
        task = progress.add_task('uploading', total=sum(u.size for u in uploads))
        yield lambda upload: progress.update(task, description=upload.rel, advance=upload.size)


def show_uploads(todo, dry_run):
    """The uploads (a table in a dry run), what was left out of the folder and why, a summary, and the site's URL."""
    from itertools import groupby

    from rich.measure import Measurement
    from rich.style import Style
    from rich.table import Table
    from rich.text import Text

    from .publish import shown
    if dry_run:
        table = Table('file', 'bytes', 'action', 'Content-Type', 'Cache-Control', title='dry run: nothing uploaded',
                      box=None)
        for u in todo.uploads:  # the plan's names are URL-safe: no markup, nothing a terminal acts on
            action = 'skip' if u.skip else f'upload {u.encoding}' if u.encoding else 'upload'
            table.add_row(u.rel, f'{u.size:,}', action, u.headers['ContentType'].split(';')[0],
                          u.headers['CacheControl'])
        # at its own width, every row one line: a narrower terminal wraps it, nothing is cut (and a pipe gets it whole)
        table.width = Measurement.get(out, out.options.update_width(1 << 14), table).maximum
        out.print(table, crop=False)
    for why, left in groupby(sorted(todo.left_out, key=lambda entry: entry[::-1]), key=lambda entry: entry[1]):
        names = ', '.join(shown(rel) for rel, _ in left)  # shown: a name's control characters as visible escapes
        out.print(f'left out ({why}): {escape(names)}', highlight=False, soft_wrap=True)
    sent = todo.sent
    out.print(f'{"would upload" if dry_run else "uploaded"} [bold]{len(sent)}[/] files '
              f'({sum(u.size for u in sent):,} bytes before compression), skipped '
              f'[bold]{len(todo.uploads) - len(sent)}[/] unchanged')
    out.print('site:', Text(todo.url, style=Style(link=todo.url)))  # Text: an endpoint may hold brackets ([::1])


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
    from .publish import execute, plan, site_folder, target_of
    from .s3 import client
    with user_errors():
        s3 = client(endpoint_url, region, profile)
        target_of(target)  # a bad bucket name or prefix is refused before a site is built for it
        with site_folder(site) as folder:
            todo = plan(s3, folder, target, create=create_bucket, website=website, public=public,
                        cors_origins=cors_origin or ())
            show_changes(todo, dry_run)
            if not dry_run:
                with upload_progress(todo.sent) as on_sent:
                    execute(s3, todo, on_sent)
    show_uploads(todo, dry_run)


@app.command('import-gob')
def import_gob(source: str = typer.Argument(..., help='A Go gob file of the 2018 original (tictactoe.bin), or URL.'),
               out_path: str = typer.Option(..., '--out', '-o', help='Where to write the safetensors knowledge.')):
    """Convert a knowledge file of the 2018 Go original (encoding/gob) into a wopr safetensors file."""
    from .runtime.format import is_safetensors
    from .runtime.gob import to_safetensors
    from .runtime.knowledge import load
    from .sources import read_bytes, write_bytes
    with user_errors():
        data = read_bytes(source)
        if is_safetensors(data):
            raise ValueError(f'{source} is a safetensors file already, not a Go gob file')
        knowledge = load(to_safetensors(data))
        write_bytes(out_path, knowledge.data)
    out.print(f'wrote {escape(out_path)}: hidden size {knowledge.hidden_size}, {knowledge.nbytes} bytes, '
              f'sha256 {knowledge.sha256}',
              highlight=False, soft_wrap=True)


@app.command()
def export(knowledge: str = typer.Argument(..., help='Knowledge file or URL (a 2018 .bin too).'),
           fmt: str = typer.Option(..., '--format', help='onnx: a model for onnxruntime; card: a model card '
                                   '(such as README.md, with the training curve beside it: README.md.curve.svg).'),
           out_path: str = typer.Option(..., '--out', '-o', help='Where to write (written whole or not at all).')):
    """Export a knowledge file as an ONNX model or as a Hugging Face model card."""
    from .sources import load_knowledge, out_file, write_files
    with user_errors():
        out_file(out_path)  # before the work, as the card's figure is named after it
        if fmt == 'onnx':
            try:
                from .export.onnx import onnx_bytes
            except ImportError as e:
                raise ValueError(f"--format onnx needs {e.name}: pip install 'wopr[onnx]'") from None
            files = {out_path: onnx_bytes(load_knowledge(knowledge))}
        elif fmt == 'card':
            from .export.card import card_files
            files = card_files(load_knowledge(knowledge), knowledge, out_path)
        else:
            raise ValueError(f'unknown --format {fmt!r} (onnx or card)')
        write_files(files)
    out.print(f"wrote {escape(', '.join(map(str, files)))}", highlight=False, soft_wrap=True)
