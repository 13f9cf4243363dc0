"""The page in headless Chromium: bytes before the board plays, cold time to a playable board, the AI's reply time."""
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.table import Table
from tests.support.browser import READY, launch, static_server

from wopr.web import site

COLD_RUNS = 9       # one cold run varies by +-100 ms on this shared machine: a median of 5 moved by 50 ms
GAMES = 20          # full games against a random opponent, sides alternating
ORIGINAL_BYTES = 25e6  # the 2018 page: a 25 MB Go wasm file, before its knowledge file
TARGET_BYTES, TARGET_READY_MS, TARGET_REPLY_MS = 0.8e6, 500, 30
FREE = '.cell[aria-disabled="false"]'  # the squares a click may take (taken ones stay focusable: aria-disabled)


def transferred(request):
    """Bytes on the wire for one finished request, from Chromium's network events."""
    sizes = request.sizes()
    body = sizes['responseBodySize']
    if body == 0:  # Chromium reports no body size for a worker's own script; its Content-Length is exact here
        body = int(request.response().header_value('content-length') or 0)
    return sizes['requestHeadersSize'] + sizes['responseHeadersSize'] + body


# The page's own playable mark, awaited in its main world: wait_for_selector would first inject Playwright's selector
# engine there, some 80 ms of script compiled on the page's main thread inside the very window measured.
PLAYABLE = '''new Promise((resolve, reject) => {
  new PerformanceObserver((list, observer) => {
    const mark = list.getEntriesByName('wopr-playable')[0];
    if (mark) {
      observer.disconnect();
      resolve(mark.startTime);
    }
  }).observe({ type: 'mark', buffered: true });
  setTimeout(() => reject(new Error(`not playable: ${document.querySelector('#status').textContent}`)), 30000);
})'''
PHASES = {'engineMs': 'worker: MicroPython-wasm start', 'importMs': 'worker: runtime import',
          'loadMs': 'worker: knowledge load (Python)'}


def cold_load(playwright, url):
    """A new browser with a new profile opens the page: bytes, requests, ms to playable, and the worker's phases."""
    browser = launch(playwright)
    try:
        page = browser.new_page()
        finished = []
        page.on('requestfinished', lambda request: finished.append(request))
        page.goto(url)
        ready_ms = page.evaluate(PLAYABLE)
        phases = {k: float(page.get_attribute('#board', f'data-{k[:-2].lower()}-ms')) for k in PHASES}
        page.wait_for_timeout(200)  # any straggler would show up here, and be counted
        return {'bytes': sum(transferred(r) for r in finished), 'requests': len(finished), 'ready': ready_ms,
                **phases}
    finally:
        browser.close()


def reply_times(playwright, url, games=GAMES, seed=0):
    """The page's own round trip per AI reply (click to rendered reply), and the Python part of it, in ms."""
    browser = launch(playwright)
    try:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector(READY)
        rng, replies, python = random.Random(seed), [], []
        for game in range(games):
            page.check(f'input[name="side"][value="{"XO"[game % 2]}"]')
            page.click('#new-game')
            page.wait_for_selector(READY)
            while free := page.locator(FREE).count():
                page.locator(FREE).nth(rng.randrange(free)).click()
                page.wait_for_selector(READY)
                if page.locator('.cell:not([data-mark=""])').count() == 11 - free:  # the AI replied
                    replies.append(float(page.get_attribute('#board', 'data-reply-ms')))
                    python.append(float(page.get_attribute('#board', 'data-python-ms')))
        return replies, python
    finally:
        browser.close()


def p90(values):
    return statistics.quantiles(values, n=10)[-1]


def row(table, what, original, measured, target, ok):
    table.add_row(what, original, measured, target, '[green]yes[/]' if ok else '[red]no[/]')


def main():
    console = Console(width=max(Console().width, 118))
    with tempfile.TemporaryDirectory() as out:
        files = site.build(Path(out))
        with static_server(out) as url, sync_playwright() as playwright:
            loads = [cold_load(playwright, url) for _ in range(COLD_RUNS)]
            replies, python = reply_times(playwright, url)
    nbytes = max(load['bytes'] for load in loads)
    ready = statistics.median(load['ready'] for load in loads)
    reply = statistics.median(replies)
    table = Table(title=f'The page in headless Chromium ({platform.machine()}, {COLD_RUNS} cold loads, '
                        f'{len(replies)} replies in {GAMES} games; shared 2 cores: provisional)')
    for column in ('', '2018 original', 'wopr', 'target', 'met'):
        table.add_column(column, justify='right' if column else 'left')
    row(table, f'bytes before the board plays ({loads[0]["requests"]} requests)',
        f'{ORIGINAL_BYTES / 1e6:.0f} MB + knowledge', f'{nbytes / 1e6:.3f} MB', f'<= {TARGET_BYTES / 1e6} MB',
        nbytes <= TARGET_BYTES)
    row(table, 'navigation to playable board, cold (median)', 'wait for the compile', f'{ready:.0f} ms',
        f'<= {TARGET_READY_MS} ms', ready <= TARGET_READY_MS)
    table.add_row('  each cold run', '', ', '.join(f'{load["ready"]:.0f}' for load in loads), '', '')
    for key, label in PHASES.items():
        table.add_row(f'  {label}, median', '', f'{statistics.median(x[key] for x in loads):.0f} ms', '', '')
    row(table, 'AI reply, median (click to rendered)', 'a reload per game', f'{reply:.1f} ms',
        f'<= {TARGET_REPLY_MS} ms', reply <= TARGET_REPLY_MS)
    table.add_row('AI reply, p90', '', f'{p90(replies):.1f} ms', '', '')
    table.add_row('  Python part (median / p90)', '',
                  f'{statistics.median(python):.1f} / {p90(python):.1f} ms', '', '')
    table.add_row('site on disk (every catalog file)', '', f'{sum(files.values()) / 1e6:.3f} MB', '', '')
    console.print(table)
    return 0


if __name__ == '__main__':
    started = time.perf_counter()
    status = main()
    print(f'({time.perf_counter() - started:.0f} s)', file=sys.stderr)
    sys.exit(status)
