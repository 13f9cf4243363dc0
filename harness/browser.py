"""Debian's headless Chromium for the tests and benchmarks: a plain static server, a page watched for console errors,
a player who clicks whole games, checked move by move against the CPython runtime, axe-core's accessibility check, a
main-thread heartbeat, and screenshots for review."""
import shutil
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from wopr import solver
from wopr.runtime.game import Game

# Quiet and deterministic: no background traffic to count, no QUIC, no first-run pages.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--no-first-run', '--disable-quic']
READY = 'body[data-phase="ready"]'  # app.js sets it whenever the board takes a move
ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / 'web' / 'node_modules' / 'axe-core' / 'axe.min.js'
SCREENSHOTS = ROOT / 'build' / 'screenshots'  # git-ignored: the page's states, for a person to review
# Every gap between two ticks of the page's main thread, from its first script on (see longest_gap)
HEARTBEAT = """
window.__gaps = { last: performance.now(), longest: 0 };
setInterval(() => {
  const now = performance.now();
  window.__gaps.longest = Math.max(window.__gaps.longest, now - window.__gaps.last);
  window.__gaps.last = now;
}, 50);
"""


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


def minimax(rng):
    """A perfect opponent: one of the solver's optimal moves, picked by rng."""
    return lambda board: rng.choice(sorted(solver.optimal_moves(board)))


def play_game(page, knowledge, human, opponent):
    """Play to the end by clicking; after every move the page's board equals the CPython runtime's. `page` is a
    Playwright page or an engine (harness.engines.Engine)."""
    board, move = (page.board, page.play) if hasattr(page, 'play') else (partial(board_of, page), partial(click, page))
    game = Game(knowledge, human)
    assert board() == game.board
    while not game.status()['over']:
        cell = opponent(game.board)
        move(cell)
        game.play(cell)
        assert board() == game.board
    return game.status()


def axe_violations(page):
    """axe-core's violations on the page as it is now (its default rules: WCAG 2 A/AA and best practices), each as
    'rule: the nodes' selectors'. axe is served from the page's own origin, so the page's CSP stays as it is."""
    url = page.url.split('?')[0].rsplit('/', 1)[0] + '/__axe.min.js'
    page.route(url, lambda route: route.fulfill(body=AXE.read_bytes(), content_type='text/javascript'))
    if not page.evaluate('Boolean(window.axe)'):
        page.add_script_tag(url=url)
    found = page.evaluate('axe.run(document).then((r) => r.violations.map((v) => '
                          '`${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`))')
    return found


def snap(page, name):
    """A screenshot of the whole page for review, named by state and viewport width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f'{name}-{page.viewport_size["width"]}.png'), full_page=True,
                    animations='disabled')  # strokes and the winning line drawn to their end


def longest_gap(page):
    """The longest the page's main thread went without running its heartbeat, in ms (HEARTBEAT must be an init
    script of the page or its context)."""
    return page.evaluate('Math.max(window.__gaps.longest, performance.now() - window.__gaps.last)')
