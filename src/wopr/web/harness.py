"""Drive the built page for tests and benchmarks: a plain static server in a thread and Debian's headless Chromium."""
import shutil
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

# Quiet and deterministic: no background traffic to count, no QUIC, no first-run pages.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--no-first-run', '--disable-quic']
READY = 'body[data-phase="ready"]'  # app.js sets it whenever the board takes a move


def chromium_path():
    """Debian's chromium binary; never a downloaded browser."""
    path = shutil.which('chromium')
    if path is None:
        raise RuntimeError('chromium is not on PATH: `make chromium` (apt-get install chromium) installs it')
    return path


def launch(playwright):
    """A new headless Chromium with a fresh profile."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextmanager
def static_server(directory):
    """Serve `directory` with Python's plain static file handler (nothing wopr-specific) on 127.0.0.1; yields its URL."""
    server = ThreadingHTTPServer(('127.0.0.1', 0), partial(_Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}/'
    finally:
        server.shutdown()
        server.server_close()
