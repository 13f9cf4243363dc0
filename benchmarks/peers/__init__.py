"""What benchmarks/page.py measures every page with: its folder served by `wopr serve`'s server (a peer's folder
given compressed copies as `wopr site build` makes wopr's), and cold loads in a new Chromium with a new profile, timed
to the page's playable mark."""
import shutil
from contextlib import contextmanager
from pathlib import Path

from harness.browser import launch
from harness.serving import wopr_server
from wopr.web.compress import write_siblings
from wopr.web.policy import compressible, sibling_of
from wopr.web.server import url_of


@contextmanager
def serving(folder):
    """`wopr serve`'s server on `folder`, every text and wasm file given its compressed copies first; yields it."""
    for path in sorted(Path(folder).rglob('*')):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and compressible(rel) and not sibling_of(rel):
            write_siblings(path)
    with wopr_server(folder) as server:
        yield server


def stage(folder, page, package, files):
    """A peer's folder: its page (index.html, peer.js) and the files it loads from its npm package."""
    if not package.is_dir():
        raise RuntimeError(f'{package} is missing: make bench installs it (cd benchmarks && npm ci)')
    for path in page.iterdir():
        shutil.copy(path, folder)
    for name in files:
        shutil.copy(package / name, folder)


def playable(mark, timeout_ms=60000):
    """Script that resolves with the time of the page's `mark`, awaited in its main world (wait_for_selector would
    first inject Playwright's selector engine there, some 80 ms of script inside the very window measured)."""
    return f'''new Promise((resolve, reject) => {{
  new PerformanceObserver((list, observer) => {{
    const mark = list.getEntriesByName('{mark}')[0];
    if (mark) {{
      observer.disconnect();
      resolve(mark.startTime);
    }}
  }}).observe({{ type: 'mark', buffered: true }});
  setTimeout(() => reject(new Error(`not playable: ${{document.body.innerText.slice(0, 300)}}`)), {timeout_ms});
}})'''


def cold_load(playwright, server, mark, figures='({})'):
    """A new browser with a new profile opens the page: bytes the server sent until it was playable, ms from
    navigation to playable, and `figures` (a script's value) read then."""
    browser = launch(playwright)
    try:
        page = browser.new_page()
        before = server.bytes_sent
        page.goto(url_of(server))
        ready = page.evaluate(playable(mark))
        sent = server.bytes_sent - before
        return {'bytes': sent, 'ready': ready, **page.evaluate(figures)}
    finally:
        browser.close()
