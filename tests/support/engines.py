"""The page in every engine a player uses, behind one small driver-neutral helper: Chromium (Playwright, Debian's
chromium), Firefox (Debian's firefox-esr over WebDriver BiDi, through Selenium's BiDi connection: no geckodriver is
packaged for Debian or PyPI) and WebKit (WebKitGTK's WebKitWebDriver and MiniBrowser, plain W3C WebDriver through
Selenium, under Xvfb: MiniBrowser has no headless mode). A test says what a person does (open, click, key, a file
chosen) and reads what the page shows; each engine's adapter says how."""
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.browser import AXE, HEARTBEAT, READY, SCREENSHOTS, watch

ENGINES = ('chromium', 'firefox', 'webkit')
MINIBROWSER = Path('/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser')
# W3C WebDriver key values (the same in BiDi and classic actions)
KEYS = {'Tab': '\ue004', 'Enter': '\ue007', 'Shift': '\ue008', 'Escape': '\ue00c', 'Home': '\ue011',
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
        """tests.support.browser.HEARTBEAT from now on (longest_gap reads it)."""
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


class FirefoxBrowser:
    """Debian's firefox-esr, headless, with its WebDriver BiDi session; each page gets its own user context (its own
    storage and service workers)."""

    def __init__(self):
        from selenium.webdriver.remote.websocket_connection import WebSocketConnection
        self.profile = tempfile.mkdtemp(prefix='wopr-firefox-')
        self.process = subprocess.Popen(
            [need('firefox-esr', 'apt-get install firefox-esr'), '--headless', '--no-remote', '--profile',
             self.profile, '--remote-debugging-port', '0'],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in self.process.stderr:  # it says where it listens, then runs on
            if found := re.search(r'WebDriver BiDi listening on (ws://\S+)', line):
                break
        else:
            raise RuntimeError('firefox-esr exited before it listened for WebDriver BiDi')
        subprocess.Popen(['cat'], stdin=self.process.stderr, stdout=subprocess.DEVNULL)  # drained, never blocks it
        self.bidi = WebSocketConnection(found[1] + '/session', 30, 0.005)
        self.send('session.new', capabilities={})
        self.pages = {}  # context id -> Firefox page, for its log entries
        self.bidi.callbacks['log.entryAdded'] = [self.logged]
        self.send('session.subscribe', events=['log.entryAdded'])

    def send(self, method, **params):
        reply = self.bidi.send_cmd(method, params)
        if 'error' in reply:
            raise RuntimeError(f'firefox: {method}: {reply["error"]}: {reply.get("message")}')
        return reply['result']

    def logged(self, entry):
        if entry['level'] in ('error', 'warn'):
            page = self.pages.get(entry['source'].get('context')) or next(iter(self.pages.values()), None)
            if page:  # a worker's entry names no context: it is the one open page's (tests open one at a time)
                page.problems.append(f'{entry["level"]}: {entry.get("text")}')

    def close(self):
        try:
            self.send('browser.close')
        finally:
            self.bidi.close()
            self.process.wait(30)
            shutil.rmtree(self.profile, ignore_errors=True)


class Firefox(Engine):
    name = 'firefox'

    def __init__(self, browser):
        super().__init__()
        self.browser = browser
        self.user_context = browser.send('browser.createUserContext')['userContext']
        self.context = browser.send('browsingContext.create', type='tab', userContext=self.user_context)['context']
        browser.pages[self.context] = self
        self.resize(1280, 900)

    def send(self, method, **params):
        return self.browser.send(method, context=self.context, **params)

    def goto(self, url):
        self.send('browsingContext.navigate', url=url, wait='complete')

    def reload(self):
        self.send('browsingContext.reload', wait='complete')

    def evaluate(self, function, *args):
        # the arguments as JSON text, parsed in the page: BiDi's own objects come as Xray wrappers, which refuse keys
        # such as toString
        result = self.browser.send('script.callFunction', awaitPromise=True, target={'context': self.context},
                                   functionDeclaration=f'(json) => ({as_json(function)})(JSON.parse(json))',
                                   arguments=[{'type': 'string', 'value': json.dumps(args)}])
        if result['type'] == 'exception':
            raise RuntimeError(f'firefox: {result["exceptionDetails"]["text"]}')
        return unwrap(result['result']['value'], self)

    def act(self, *sources):
        self.browser.send('input.performActions', context=self.context, actions=list(sources))

    def click(self, selector):
        x, y = self.evaluate('(s) => { const e = document.querySelector(s); e.scrollIntoView({ block: "nearest" }); '
                             'const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }',
                             selector)
        self.act({'type': 'pointer', 'id': 'mouse', 'actions': [
            {'type': 'pointerMove', 'x': int(x), 'y': int(y)}, {'type': 'pointerDown', 'button': 0},
            {'type': 'pointerUp', 'button': 0}]})

    def key(self, key):
        keys = strokes(key)
        self.act({'type': 'key', 'id': 'keyboard', 'actions': [{'type': 'keyDown', 'value': k} for k in keys] +
                  [{'type': 'keyUp', 'value': k} for k in reversed(keys)]})

    def set_file(self, path):
        node = self.browser.send('script.evaluate', expression='document.getElementById("file")', awaitPromise=False,
                                 target={'context': self.context})['result']
        self.send('input.setFiles', element={'sharedId': node['sharedId']}, files=[str(path)])

    def resize(self, width, height):
        self.send('browsingContext.setViewport', viewport={'width': width, 'height': height})

    def snapshot(self, path):
        Path(path).write_bytes(base64.b64decode(self.send('browsingContext.captureScreenshot', origin='document')
                                                ['data']))

    def close(self):
        self.browser.pages.pop(self.context, None)
        self.send('browsingContext.close')
        self.browser.send('browser.removeUserContext', userContext=self.user_context)


class Display:
    """A private Xvfb display for WebKitGTK, which has no headless mode."""

    def __init__(self):
        read, write = os.pipe()
        self.process = subprocess.Popen(
            [need('Xvfb', 'apt-get install xvfb'), '-displayfd', str(write), '-screen', '0', '1920x1200x24',
             '-nolisten', 'tcp'], pass_fds=[write], stderr=subprocess.DEVNULL)
        os.close(write)
        with open(read) as chosen:
            self.name = ':' + chosen.readline().strip()

    def close(self):
        self.process.terminate()
        self.process.wait(10)


class WebKitBrowser:
    """An Xvfb display for WebKitGTK's pages; each page is its own WebKitWebDriver session, so a new MiniBrowser with
    fresh storage."""

    def __init__(self):
        if not MINIBROWSER.exists():
            raise RuntimeError(f'{MINIBROWSER} is missing: `make browsers` (apt-get install webkit2gtk-driver)')
        self.driver = need('WebKitWebDriver', 'apt-get install webkit2gtk-driver')
        self.display = Display()

    def close(self):
        self.display.close()


# Errors and warnings from here on, in the page's own realm: classic WebDriver carries no console, and MiniBrowser
# writes none of its automation views' messages out. What a worker logs, or the page before its load event, is not
# seen in WebKit; the page's own handling (a worker's failure shown in #status) is what the tests read there.
CONSOLE_HOOK = '''() => {
  if (window.__problems) return;
  window.__problems = [];
  for (const level of ['error', 'warn']) {
    const original = console[level];
    console[level] = (...args) => {
      window.__problems.push(`${level}: ${args.join(' ')}`);
      original.apply(console, args);
    };
  }
  addEventListener('error', (e) => window.__problems.push(`page error: ${e.message}`));
  addEventListener('unhandledrejection', (e) => window.__problems.push(`page error: ${e.reason}`));
}'''


class WebKit(Engine):
    name = 'webkit'

    def __init__(self, browser):
        from selenium import webdriver
        from selenium.webdriver.webkitgtk.options import Options
        from selenium.webdriver.webkitgtk.service import Service
        super().__init__()
        self.browser = browser
        options = Options()
        options.binary_location = str(MINIBROWSER)
        options.add_argument('--automation')
        service = Service(executable_path=browser.driver, env={**os.environ, 'DISPLAY': browser.display.name})
        self.driver = webdriver.WebKitGTK(options=options, service=service)
        self.driver.set_script_timeout(60)
        self.seen = []  # the problems of the documents already left
        self.frame = None
        self.resize(1280, 900)

    @property
    def problems(self):
        return self.seen + (self.evaluate('() => window.__problems || []') if self.driver.session_id else [])

    @problems.setter
    def problems(self, value):
        self.seen = list(value)

    def forget_problems(self, which=lambda problem: True):
        self.seen = [p for p in self.problems if not which(p)]
        self.evaluate('() => { window.__problems = []; }')

    def left(self):
        self.seen += self.evaluate('() => window.__problems || []')

    def goto(self, url):
        self.left()
        if self.frame:  # the page in a frame of the viewport's size, as a phone shows it (see resize)
            self.driver.switch_to.default_content()
            self.driver.get('about:blank')
            self.driver.execute_script('const f = document.createElement("iframe"); f.id = "viewport";'
                                       'f.style = `border: 0; width: ${arguments[1]}px; height: ${arguments[2]}px`;'
                                       'f.src = arguments[0]; document.body.style.margin = 0;'
                                       'document.body.append(f);', url, *self.frame)
            self.driver.switch_to.frame(self.driver.find_element('css selector', '#viewport'))
            self.wait_for('() => document.readyState === "complete" && location.href !== "about:blank"')
        else:
            self.driver.get(url)
        self.evaluate(CONSOLE_HOOK)

    def reload(self):
        self.left()
        self.driver.refresh()
        self.evaluate(CONSOLE_HOOK)

    def evaluate(self, function, *args):
        text = self.driver.execute_async_script(f'({as_json(function)})(arguments[0]).then(arguments[1])', list(args))
        return unwrap(text, self)

    def click(self, selector):
        self.driver.find_element('css selector', selector).click()

    def key(self, key):
        from selenium.webdriver import ActionChains
        keys, chain = strokes(key), ActionChains(self.driver)
        for k in keys:
            chain.key_down(k)
        for k in reversed(keys):
            chain.key_up(k)
        chain.perform()

    def set_file(self, path):
        self.driver.find_element('css selector', '#file').send_keys(str(path))

    def resize(self, width, height):
        """The window, sized so that the viewport is width x height (MiniBrowser's window has chrome around it). A
        window cannot be narrower than MiniBrowser's toolbar (about 450 px): a phone's width is a frame of that size,
        whose document has it as its viewport (its media queries, innerWidth), from the next page opened on."""
        self.driver.set_window_size(width, height)
        inner = self.evaluate('() => [innerWidth, innerHeight]')
        self.driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])
        inner = self.evaluate('() => [innerWidth, innerHeight]')
        self.frame = None if inner == [width, height] else (width, height)
        if self.frame:
            self.driver.set_window_size(1280, 900)

    def snapshot(self, path):
        self.driver.save_screenshot(str(path))

    def close(self):
        self.seen = self.problems
        self.driver.quit()
        self.driver.session_id = None


BROWSERS = {'firefox': FirefoxBrowser, 'webkit': WebKitBrowser}
PAGES = {'chromium': Chromium, 'firefox': Firefox, 'webkit': WebKit}
