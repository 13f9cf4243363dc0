"""Debian's headless Chromium for the tests and benchmarks: a plain static server, a page watched for console errors,
and a player who clicks whole games, checked move by move against the CPython runtime."""
import shutil
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from wopr.runtime.game import Game

# Quiet and deterministic: no background traffic to count, no QUIC, no first-run pages.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--no-first-run', '--disable-quic']
READY = 'body[data-phase="ready"]'  # app.js sets it whenever the board takes a move


def chromium_path():
    """Debian's chromium binary; never a downloaded browser."""
    path = shutil.which('chromium')
    if path is None:
        raise RuntimeError('chromium is not on PATH: `make chromium` (apt-get install chromium) installs it')
    return path


def launch(playwright):
    """A new headless Chromium with a fresh profile."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextmanager
def static_server(directory):
    """Serve `directory` with Python's plain file handler (nothing wopr-specific) on 127.0.0.1; yields the URL."""
    server = ThreadingHTTPServer(('127.0.0.1', 0), partial(_Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}/'
    finally:
        server.shutdown()
        server.server_close()


def watch(page):
    """The console errors and warnings (the worker's included) and uncaught errors of a page, as they come."""
    problems = []
    page.on('console', lambda m: problems.append(f'{m.type}: {m.text}') if m.type in ('error', 'warning') else None)
    page.on('pageerror', lambda e: problems.append(f'page error: {e}'))
    return problems


def open_page(page, url):
    page.goto(url)
    page.wait_for_selector(READY)


def board_of(page):
    return page.eval_on_selector_all('.cell', 'cells => cells.map((c) => c.dataset.mark || "")')


def click(page, cell):
    page.click(f'#ttt{cell}')
    page.wait_for_selector(READY)


def random_player(rng):
    return lambda board: rng.choice([c for c in range(9) if not board[c]])


def play_game(page, knowledge, human, opponent):
    """Play to the end by clicking; after every move the page's board equals the CPython runtime's."""
    game = Game(knowledge, human)
    assert board_of(page) == game.board
    while not game.status()['over']:
        cell = opponent(game.board)
        click(page, cell)
        game.play(cell)
        assert board_of(page) == game.board
    return game.status()
