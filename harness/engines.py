"""The page in every engine a player uses, behind one small driver-neutral helper: Chromium (Playwright, Debian's
chromium), Firefox (Debian's firefox-esr over WebDriver BiDi, through Selenium's BiDi connection: no geckodriver is
packaged for Debian or PyPI) and WebKit (WebKitGTK's WebKitWebDriver and MiniBrowser, plain W3C WebDriver through
Selenium, under Xvfb: MiniBrowser has no headless mode). A test says what a person does (open, click, key, a file
chosen) and reads what the page shows; each engine's adapter says how (Firefox's in harness/firefox.py,
WebKit's in harness/webkit.py)."""
import importlib
import json
import shutil
import time

from harness.browser import AXE, HEARTBEAT, READY, SCREENSHOTS, watch

ENGINES = ('chromium', 'firefox', 'webkit')
# W3C WebDriver key values (the same in BiDi and classic actions)
KEYS = {'Tab': '\ue004', 'Enter': '\ue007', 'Shift': '\ue008', 'Escape': '\ue00c', 'End': '\ue010', 'Home': '\ue011',
        'ArrowLeft': '\ue012', 'ArrowUp': '\ue013', 'ArrowRight': '\ue014', 'ArrowDown': '\ue015'}


def as_json(function):
    """A JS function of an argument list that returns `function`'s result as JSON text, or its error as
    {"thrown": text}: the one shape every driver returns alike. Composed as source, not eval'd: the page's CSP
    forbids eval."""
    return (f'(args) => Promise.resolve().then(() => ({function})(...args)).then('
            '(v) => JSON.stringify(v === undefined ? null : v), (e) => JSON.stringify({ thrown: String(e) }))')


def need(program, install):
    """The program's path on PATH, or a loud error that says how to install it."""
    if path := shutil.which(program):
        return path
    raise RuntimeError(f'{program} is missing: `make browsers` ({install}) installs it')


def strokes(key):
    """'Shift+Tab' -> the W3C key values to hold down, in order."""
    return [KEYS.get(part, part) for part in key.split('+')]


class Engine:
    """One page in one engine. Adapters implement goto, reload, evaluate, click, key, set_file, resize, snapshot;
    everything else is read through evaluate, the same in all three."""
    name = ''

    def __init__(self):
        self.problems = []  # console errors and warnings, uncaught errors

    def forget_problems(self, which=lambda problem: True):
        """Forget the problems seen so far that `which` picks (those a test caused on purpose)."""
        self.problems[:] = [p for p in self.problems if not which(p)]

    def open(self, url, timeout=20):
        self.goto(url)
        self.wait(READY, timeout)

    def wait_for(self, function, timeout=10, *args):
        """Poll until the JS function returns something truthy; on a timeout, say what the page shows."""
        until = time.monotonic() + timeout
        while not (value := self.evaluate(function, *args)):
            if time.monotonic() > until:
                shows = self.evaluate('() => [location.href, document.body && document.body.dataset.phase, '
                                      'document.body && document.body.innerText.slice(0, 300)]')
                raise TimeoutError(f'{self.name}: {function} not true after {timeout} s; the page shows {shows}')
            time.sleep(0.05)
        return value

    def wait(self, selector, timeout=10):
        self.wait_for('(s) => document.querySelector(s) !== null', timeout, selector)

    def play(self, cell):
        self.click(f'#ttt{cell}')
        self.wait(READY)

    def board(self):
        return self.evaluate('() => [...document.querySelectorAll(".cell")].map((c) => c.dataset.mark || "")')

    def cells_enabled(self):
        """The squares a click may take now."""
        return self.evaluate('() => [...document.querySelectorAll(".cell")].map('
                             '(c) => c.getAttribute("aria-disabled") === "false")')

    def text(self, selector):
        return self.evaluate('(s) => document.querySelector(s)?.textContent ?? null', selector)

    def visible(self, selector):
        """As Playwright tells it: a box of some size, and not hidden by display or visibility."""
        return self.evaluate('(s) => { const e = document.querySelector(s); if (!e) return false; '
                             'const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && '
                             'e.checkVisibility({ visibilityProperty: true }); }', selector)

    def box(self, selector):
        return self.evaluate('(s) => { const r = document.querySelector(s).getBoundingClientRect(); '
                             'return { x: r.x, y: r.y, width: r.width, height: r.height }; }', selector)

    def value(self, selector):
        return self.evaluate('(s) => document.querySelector(s).value', selector)

    def focused(self):
        return self.evaluate('() => document.activeElement.id || document.activeElement.tagName')

    def focus(self, selector):
        self.evaluate('(s) => document.querySelector(s).focus()', selector)

    def select(self, selector, value):
        """Choose an option as a person does: the value changes, then input and change fire (as Playwright does)."""
        self.evaluate('(s, v) => { const e = document.querySelector(s); e.value = v; '
                      'for (const t of ["input", "change"]) e.dispatchEvent(new Event(t, { bubbles: true })); }',
                      selector, value)
        self.wait(READY)

    def fill(self, selector, text):
        """A field's value typed in: the value set, then input fires (as Playwright's fill does)."""
        self.evaluate('(s, t) => { const e = document.querySelector(s); e.value = t; '
                      'e.dispatchEvent(new Event("input", { bubbles: true })); }', selector, text)

    def choose(self, selector):
        """Click a radio button or checkbox, then wait for the board."""
        self.click(selector)
        self.wait(READY)

    def url(self):
        return self.evaluate('() => location.href')

    def start_heartbeat(self):
        """harness.browser.HEARTBEAT from now on (longest_gap reads it)."""
        self.evaluate(f'() => {{ {HEARTBEAT} }}')

    def longest_gap(self):
        return self.evaluate('() => Math.max(window.__gaps.longest, performance.now() - window.__gaps.last)')

    def axe_violations(self):
        """axe-core's violations (its default rules), as 'rule: selectors'. Its source is evaluated by the driver,
        which the page's CSP does not govern: the page stays as it is."""
        if not self.evaluate('() => Boolean(window.axe)'):
            self.evaluate(f'() => {{ {AXE.read_text()}\n}}')
        return self.evaluate('() => axe.run(document).then((r) => r.violations.map((v) => '
                             '`${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`))')

    def snap(self, name):
        """A screenshot of the page for review, named by state, engine and viewport width."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = self.evaluate('() => innerWidth')
        self.snapshot(SCREENSHOTS / f'{name}-{self.name}-{width}.png')

    def stranger(self):
        """Someone else's page in the same engine: nothing stored. The caller closes it."""
        return type(self)(self.browser)

    def checked(self, selector):
        return self.evaluate('(s) => document.querySelector(s).checked', selector)

    def __repr__(self):
        return self.name


class Chromium(Engine):
    """A Playwright page of Debian's Chromium in a fresh context."""
    name = 'chromium'

    def __init__(self, browser):
        super().__init__()
        self.browser = browser
        self.context = browser.new_context(viewport={'width': 1280, 'height': 900})
        self.page = self.context.new_page()
        self.problems = watch(self.page)

    @classmethod
    def of(cls, page):
        """A Playwright page opened elsewhere, read as an engine (its context stays its opener's)."""
        engine = cls.__new__(cls)
        Engine.__init__(engine)
        engine.page, engine.context, engine.browser = page, page.context, page.context.browser
        return engine

    def goto(self, url):
        self.page.goto(url)

    def reload(self):
        self.page.reload()

    def evaluate(self, function, *args):
        return unwrap(self.page.evaluate(as_json(function), list(args)), self)

    def wait(self, selector, timeout=10):
        self.page.wait_for_selector(selector, timeout=timeout * 1000)

    def click(self, selector):
        self.page.click(selector)

    def key(self, key):
        self.page.keyboard.press(key)

    def set_file(self, path):
        self.page.set_input_files('#file', str(path))

    def resize(self, width, height):
        self.page.set_viewport_size({'width': width, 'height': height})

    def snapshot(self, path):
        self.page.screenshot(path=str(path), full_page=True, animations='disabled')

    def close(self):
        self.context.close()


def unwrap(text, engine):
    value = json.loads(text)
    if isinstance(value, dict) and set(value) == {'thrown'}:
        raise RuntimeError(f'{engine.name}: the page threw {value["thrown"]}')
    return value


def classes(name):
    """Engine `name`'s browser class (None for Chromium: Playwright's, from the `browser` fixture) and page class.
    Firefox's and WebKit's modules load Selenium: only when used."""
    if name == 'chromium':
        return None, Chromium
    module = importlib.import_module(f'harness.{name}')
    return module.Browser, module.Page
