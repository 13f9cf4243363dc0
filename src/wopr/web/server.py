"""A local static server for the built site, with the content types the page needs (wasm, module scripts)."""
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

# Explicit types: browsers refuse a module script or streaming wasm compile served with a wrong type.
CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.wasm': 'application/wasm',
    '.json': 'application/json',
    '.py': 'text/plain; charset=utf-8',
    '.safetensors': 'application/octet-stream',
    '.bin': 'application/octet-stream',
}


class SiteHandler(SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict] = {**SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}

    def end_headers(self):
        self.send_header('Cache-Control', 'no-cache')  # a rebuilt site shows at once on reload
        super().end_headers()

    def log_message(self, format, *args):  # quiet: the URL printed at start is what a user needs
        pass


def make_server(directory, host='127.0.0.1', port=8000):
    """A threaded server for `directory` (port 0 picks a free one); call serve_forever() on it."""
    return ThreadingHTTPServer((host, port), partial(SiteHandler, directory=str(directory)))


def url_of(server):
    host, port = server.server_address[:2]
    return f'http://{host}:{port}/'
