"""Firefox for harness/engines.py: Debian's firefox-esr, headless, driven over WebDriver BiDi through Selenium's
BiDi connection (no geckodriver is packaged for Debian or PyPI, so no classic WebDriver session)."""
import base64
import json
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from harness.engines import Engine, as_json, need, strokes, unwrap


class Browser:
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
        threading.Thread(target=self.process.stderr.read, daemon=True).start()  # drained: it never blocks on it
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


class Page(Engine):
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
