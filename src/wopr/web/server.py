"""A local static server for the built site, with the content types the page needs (wasm, module scripts)."""
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from .policy import CONTENT_TYPES  # the types publish gives the same files: the page behaves alike here and on S3


class SiteHandler(SimpleHTTPRequestHandler):
    # explicit types: browsers refuse a module script or a streaming wasm compile served with a wrong one
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
