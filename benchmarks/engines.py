"""The page in each engine a player uses (Chromium, Firefox, WebKit; harness/engines.py drives them), beside the
same runtime and knowledge on Pyodide in the same engine and run: bytes before the board plays, cold navigation to
playable (a new browser, a new profile, each run), the Python part of the AI's reply; and the ratios (Pyodide's figure
over wopr's). Firefox and WebKit round performance.now() to the millisecond (no cross-origin isolation here): their
reply figures are whole milliseconds, read as medians of many."""
import os
import platform
import random
import statistics
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks import standalone
from benchmarks.page import LATEST
from benchmarks.peers import playable, pyodide, serving
from harness.engines import ENGINES, classes
from harness.serving import wopr_server
from wopr.sources import DEFAULT
from wopr.web import site
from wopr.web.server import url_of

COLD_RUNS, PEER_RUNS, GAMES = 5, 3, 10
FREE = '() => [...document.querySelectorAll(".cell")].flatMap((c, i) => c.dataset.mark ? [] : [i])'
MARKS = {'wopr': 'wopr-playable', 'pyodide': pyodide.MARK}


class Opened:
    """A page in a new browser with a new profile (Chromium through Playwright's own launch), closed with it."""

    def __init__(self, name, shared):
        self.name, self.shared = name, shared
        if name == 'chromium':
            from playwright.sync_api import sync_playwright

            from harness.browser import launch
            self.playwright = sync_playwright().start()
            self.browser = launch(self.playwright)
        else:  # WebKit's pages are new MiniBrowsers already; Firefox gets a new process and profile
            self.browser = shared if name == 'webkit' else classes(name)[0]()
        self.page = classes(name)[1](self.browser)

    def close(self):
        self.page.close()
        if self.name == 'chromium':
            self.browser.close()
            self.playwright.stop()
        elif self.name == 'firefox':
            self.browser.close()


def cold_load(name, shared, server, mark):
    """Bytes the server sent until the page was playable, and ms from navigation to playable."""
    opened = Opened(name, shared)
    try:
        before = server.bytes_sent
        opened.page.goto(url_of(server))
        ready = opened.page.evaluate(f'() => {playable(mark)}')
        return {'bytes': server.bytes_sent - before, 'ready': ready}
    finally:
        opened.close()


def wopr_replies(page, url, games=GAMES, seed=0):
    """The Python part of each AI reply in the page (the worker's bridge call), in games clicked against a random
    opponent."""
    page.open(url)
    rng, times = random.Random(seed), []
    for game in range(games):
        page.choose(f'input[name="side"][value="{"XO"[game % 2]}"]')
        page.choose('#new-game')
        while not page.visible('#result'):
            free = page.evaluate(FREE)
            page.play(rng.choice(free))
            if len(page.evaluate(FREE)) == len(free) - 2:  # the AI replied
                times.append(page.evaluate(LATEST, 'wopr-python'))
    return times


def measure(name, shared, folders, cold_runs=COLD_RUNS, peer_runs=PEER_RUNS, games=GAMES):
    """{'wopr': ..., 'pyodide': ...}, each with its bytes, cold loads and replies, in engine `name`."""
    figures = {}
    for what, runs, replies in (('wopr', cold_runs, wopr_replies), ('pyodide', peer_runs, pyodide.replies_on)):
        # wopr's site as built (site.build wrote its compressed copies); the peer's given them first
        with (wopr_server if what == 'wopr' else serving)(folders[what]) as server:
            loads = [cold_load(name, shared, server, MARKS[what]) for _ in range(runs)]
            opened = Opened(name, shared)
            try:
                times = replies(opened.page, url_of(server) + ('?pace=0' if what == 'wopr' else ''), games)
            finally:
                opened.close()
        figures[what] = {'bytes': max(x['bytes'] for x in loads), 'ready': [x['ready'] for x in loads],
                         'reply': times}
    return figures


def main(engines=ENGINES, **runs):
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        site.build(tmp / 'wopr')
        (tmp / 'pyodide').mkdir()
        pyodide.stage(tmp / 'pyodide', DEFAULT)
        folders = {'wopr': tmp / 'wopr', 'pyodide': tmp / 'pyodide'}
        webkit = classes('webkit')[0]() if 'webkit' in engines else None
        try:
            results = {name: measure(name, webkit, folders, **runs) for name in engines}
        finally:
            if webkit:
                webkit.close()
    show(results, load, runs)
    return 0


def show(results, load, runs):
    median = statistics.median
    table = Table(title=f'wopr and Pyodide in each engine, served compressed by wopr serve on localhost '
                        f'({platform.machine()}, {os.cpu_count()} cores, load average {load[0]:.2f} before; '
                        f'{runs.get("cold_runs", COLD_RUNS)} / {runs.get("peer_runs", PEER_RUNS)} cold loads, '
                        f'{runs.get("games", GAMES)} games each)')
    for column in ('engine', 'bytes: wopr', 'Pyodide', 'ratio', 'cold to playable: wopr', 'Pyodide', 'ratio',
                   'reply (Python): wopr', 'Pyodide', 'ratio'):
        table.add_column(column, justify='left' if column == 'engine' else 'right')
    for name, f in results.items():
        w, p = f['wopr'], f['pyodide']
        ready = median(w['ready']), median(p['ready'])
        reply = median(w['reply']), median(p['reply'])
        table.add_row(name, f'{w["bytes"] / 1e6:.3f} MB', f'{p["bytes"] / 1e6:.2f} MB',
                      f'{p["bytes"] / w["bytes"]:.0f}x', f'{ready[0]:.0f} ms', f'{ready[1]:.0f} ms',
                      f'{ready[1] / ready[0]:.1f}x',
                      f'{reply[0]:.2f} ms', f'{reply[1]:.2f} ms', f'{reply[1] / reply[0]:.1f}x')
    Console(width=max(Console().width, 160)).print(table)


if __name__ == '__main__':
    standalone(main)
