"""Peer: the same wopr.runtime files and knowledge on Pyodide (CPython compiled to wasm), speaking the same bridge."""
import json
import random
import shutil
from pathlib import Path

from harness.browser import launch
from wopr.web.server import url_of
from wopr.web.site import runtime_sources

from . import cold_load, playable, serving
from . import stage as page_files

HERE = Path(__file__).parent
PYODIDE = HERE.parent / 'node_modules' / 'pyodide'
# What loadPyodide fetches for a page that imports no package: the loader, the engine, the standard library
FILES = ('pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json')
MARK = 'peer-playable'


def version():
    return json.loads((PYODIDE / 'package.json').read_text())['version']


def stage(folder, knowledge_path):
    page_files(folder, HERE / 'pyodide', PYODIDE, FILES)
    runtime = {p.name: p.read_text() for p in runtime_sources()}
    (Path(folder) / 'runtime.json').write_text(json.dumps(runtime))
    shutil.copy(knowledge_path, Path(folder) / 'knowledge.safetensors')


def replies_on(page, url, games, seed=0):
    """The Python part of each AI reply (the bridge's `play`), in games against a random opponent, on a page opened
    at `url` (a Playwright page or an engine of harness.engines: both evaluate a function's source, one argument)."""
    page.goto(url)
    page.evaluate(f'() => {playable(MARK, 120000)}')
    rng, times = random.Random(seed), []
    for game in range(games):
        state = page.evaluate('(human) => peer.ask({ op: "new", human })', 'XO'[game % 2])['state']
        while not state['over']:
            free = [c for c in range(9) if not state['board'][c]]
            reply = page.evaluate('(cell) => peer.ask({ op: "play", cell })', rng.choice(free))
            state = reply['state']
            if state['board'].count('') == len(free) - 2:  # the AI replied (as the page's figure counts)
                times.append(reply['ms'])
    return times


def replies(playwright, url, games, seed):
    browser = launch(playwright)
    try:
        return replies_on(browser.new_page(), url, games, seed)
    finally:
        browser.close()


def measure(playwright, folder, knowledge_path, cold_runs, games, seed=0):
    stage(folder, knowledge_path)
    with serving(folder) as server:
        loads = [cold_load(playwright, server, MARK, '({engine: peer.engineMs})') for _ in range(cold_runs)]
        times = replies(playwright, url_of(server), games, seed) if games else []
    return {'bytes': max(x['bytes'] for x in loads), 'ready': [x['ready'] for x in loads], 'reply': times,
            'engine': sorted(x['engine'] for x in loads)[len(loads) // 2]}
