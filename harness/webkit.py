"""WebKit for harness/engines.py: WebKitGTK's WebKitWebDriver and MiniBrowser (Debian's webkit2gtk-driver),
plain W3C WebDriver through Selenium, on a private Xvfb display (MiniBrowser has no headless mode)."""
import os
import subprocess
import threading
from pathlib import Path

from harness.engines import Engine, as_json, need, strokes, unwrap

# Debian's libwebkit2gtk (a dependency of webkit2gtk-driver) ships it in its multiarch folder
MINIBROWSER = next(Path('/usr/lib').glob('*/webkit2gtk-4.*/MiniBrowser'), Path('/usr/lib/webkit2gtk-4.1/MiniBrowser'))


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


class Browser:
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


def started(options, service, tries=3, seconds=60):
    """A WebKitGTK session, retried: WebKitWebDriver at times never answers the new-session request (no MiniBrowser
    starts; seen once in CI, where the suite then hung). A try that has not answered in `seconds` has its
    WebKitWebDriver (`service()`, a new one each try) killed, which ends the request in its thread."""
    from selenium import webdriver
    made = []
    for _ in range(tries):
        made.clear()
        driver = service()

        def start(driver=driver):
            try:
                made.append(webdriver.WebKitGTK(options=options, service=driver))
            except Exception as e:  # noqa: BLE001 (a killed or failed driver: the loop tries again, or says it)
                made.append(e)
        thread = threading.Thread(target=start, daemon=True)
        thread.start()
        thread.join(seconds)
        if made and not isinstance(made[0], Exception):
            return made[0]
        if driver.process:
            driver.process.kill()
        thread.join(10)
    raise RuntimeError(f'WebKitWebDriver started no session in {tries} tries of {seconds} s ({made[:1]})')


class Page(Engine):
    name = 'webkit'

    def __init__(self, browser):
        from selenium.webdriver.webkitgtk.options import Options
        from selenium.webdriver.webkitgtk.service import Service
        super().__init__()
        self.browser = browser
        options = Options()
        options.binary_location = str(MINIBROWSER)
        options.add_argument('--automation')
        self.driver = started(options, lambda: Service(executable_path=browser.driver,
                                                       env={**os.environ, 'DISPLAY': browser.display.name}))
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
