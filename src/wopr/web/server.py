"""`wopr serve`: the built site over HTTP with the types the page needs, precompressed files by Accept-Encoding,
nothing outside the folder or hidden, and no thread held by a connection that sends nothing."""
import os
import selectors
import shutil
import socket
import stat
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .compress import decodes_to, file_sha256, sibling
from .policy import ENCODINGS, compressible, content_type

WORKERS = 8          # requests handled at once; a connection waiting for its request holds no thread
IDLE_SECONDS = 10    # a connection that sends nothing for this long is closed
REQUEST_SECONDS = 10  # a request must arrive, and its answer be taken, within this
MAX_PATH = 1024      # longer paths are refused before touching the file system


def accepted(header):
    """The content codings an Accept-Encoding header allows (q > 0; `*` stands for any); identity always is."""
    codings = set()
    for item in header.split(','):
        name, *params = [part.strip() for part in item.split(';')]
        q = next((p[2:] for p in params if p.startswith('q=')), '1')
        try:
            if float(q) > 0:
                codings.add(name.lower())
        except ValueError:
            pass
    return codings


class Site:
    """The folder served: paths in, files out, and which precompressed siblings decode to their file."""

    def __init__(self, directory):
        self.root = Path(os.path.realpath(directory))
        self.checked = {}  # (path, encoding) -> (stats of both, verdict): a rebuilt file is checked again

    def locate(self, target):
        """The file a request target names; ValueError for a malformed one, None when there is no such file to
        serve: hidden parts (dotfiles), links leading outside the folder, anything but a regular file."""
        path = urlsplit(target).path
        if not path.startswith('/') or len(path) > MAX_PATH:
            raise ValueError(target)
        parts = unquote(path, errors='strict').split('/')[1:]
        if any('\0' in p or '\\' in p or p in ('.', '..') for p in parts):
            raise ValueError(target)
        if parts[-1] == '':
            parts[-1] = 'index.html'
        if any(p.startswith('.') or p == '' for p in parts):
            return None
        real = Path(os.path.realpath(self.root.joinpath(*parts)))
        try:
            inside = real.is_relative_to(self.root) and stat.S_ISREG(real.stat().st_mode)
        except OSError:  # missing, or a name too long for the file system
            return None
        return real if inside else None

    def variant(self, path, codings):
        """(file to send, its Content-Encoding or None): the best sibling the client accepts that decodes to the
        file, else the file itself (a client that sends no Accept-Encoding gets the plain file)."""
        for encoding in ENCODINGS:
            if (encoding in codings or '*' in codings) and self.sound(path, encoding):
                return sibling(path, encoding), encoding
        return path, None

    def sound(self, path, encoding):
        candidate = sibling(path, encoding)
        try:
            stats = tuple((s.st_mtime_ns, s.st_size, s.st_ino) for s in (path.stat(), candidate.stat()))
        except OSError:
            return False
        known = self.checked.get((path, encoding))
        if not known or known[0] != stats:
            known = (stats, decodes_to(candidate, encoding, file_sha256(path)))
            self.checked[(path, encoding)] = known
        return known[1]


class Counted:
    """A response stream that counts what it sends (the benchmarks read the server's total)."""

    def __init__(self, stream, count):
        self.stream, self.count = stream, count

    def write(self, data):
        self.count(len(data))
        return self.stream.write(data)

    def __getattr__(self, name):
        return getattr(self.stream, name)


class SiteHandler(BaseHTTPRequestHandler):
    server_version = 'wopr'
    # HTTP/1.1, as Chromium revalidates by ETag only then; one request per connection (Connection: close), so nothing
    # holds a thread between requests
    protocol_version = 'HTTP/1.1'
    timeout = REQUEST_SECONDS

    def setup(self):
        super().setup()
        self.wfile = Counted(self.wfile, self.server.count)

    def do_GET(self):
        self.answer(body=True)

    def do_HEAD(self):
        self.answer(body=False)

    def answer(self, body):
        site = self.server.site
        try:
            path = site.locate(self.path)
        except (ValueError, UnicodeDecodeError):
            return self.send_error(HTTPStatus.BAD_REQUEST)
        if path is None:
            return self.send_error(HTTPStatus.NOT_FOUND)
        rel = path.relative_to(site.root).as_posix()
        sent, encoding = site.variant(path, accepted(self.headers.get('Accept-Encoding', '')))
        with open(sent, 'rb') as f:
            size = os.fstat(f.fileno()).st_size
            source = path.stat()
            tag = f'"{source.st_mtime_ns:x}-{source.st_size:x}{"-" + encoding if encoding else ""}"'
            fresh = tag in [t.strip() for t in self.headers.get('If-None-Match', '').split(',')]
            self.send_response(HTTPStatus.NOT_MODIFIED if fresh else HTTPStatus.OK)
            self.send_header('Content-Type', content_type(rel))
            self.send_header('Cache-Control', 'no-cache')  # a rebuilt site shows at once on reload
            self.send_header('ETag', tag)
            self.send_header('Connection', 'close')
            self.send_header('X-Content-Type-Options', 'nosniff')
            if compressible(rel):
                self.send_header('Vary', 'Accept-Encoding')
            if encoding:
                self.send_header('Content-Encoding', encoding)
            if fresh:
                return self.end_headers()
            self.send_header('Content-Length', str(size))
            self.end_headers()
            if body:
                shutil.copyfileobj(f, self.wfile)

    def log_message(self, format, *args):  # quiet: the URL printed at start is what a user needs
        pass


class SiteServer:
    """A selector thread holds every connection until its request arrives (or closes it when idle); a small pool
    of threads answers requests. So many idle connections cost sockets, never threads."""

    def __init__(self, directory, host='127.0.0.1', port=8000, idle_seconds=IDLE_SECONDS):
        self.site = Site(directory)
        self.idle_seconds = idle_seconds
        self.socket = socket.create_server((host, port), family=socket.AF_INET6 if ':' in host else socket.AF_INET)
        self.server_address = self.socket.getsockname()
        self.pool = ThreadPoolExecutor(WORKERS, thread_name_prefix='wopr-serve')
        self.selector = selectors.DefaultSelector()
        self.stopping, self.stopped = threading.Event(), threading.Event()
        self.lock, self.bytes_sent = threading.Lock(), 0

    def serve_forever(self):
        self.selector.register(self.socket, selectors.EVENT_READ)
        try:
            while not self.stopping.is_set():
                for key, _ in self.selector.select(timeout=0.25):
                    if key.fileobj is self.socket:
                        self.accept()
                    else:
                        self.selector.unregister(key.fileobj)
                        self.pool.submit(self.handle, key.fileobj, key.data[0])
                self.close_idle()
        finally:
            for key in list(self.selector.get_map().values()):
                if key.fileobj is not self.socket:
                    key.fileobj.close()
            self.selector.close()
            self.stopped.set()

    def accept(self):
        try:
            connection, address = self.socket.accept()
        except OSError:  # the client gave up before we got to it
            return
        self.selector.register(connection, selectors.EVENT_READ, (address, time.monotonic() + self.idle_seconds))

    def close_idle(self):
        now = time.monotonic()
        for key in list(self.selector.get_map().values()):
            if key.data and key.data[1] < now:
                self.selector.unregister(key.fileobj)
                key.fileobj.close()

    def handle(self, connection, address):
        try:
            connection.setblocking(True)
            SiteHandler(connection, address, self)
        except OSError:  # the client went away or stalled past REQUEST_SECONDS
            pass
        except Exception as e:  # noqa: BLE001  one line, never a traceback: the server goes on
            print(f'wopr serve: {address[0]}: {type(e).__name__}: {e}', file=sys.stderr)
        finally:
            with suppress(OSError):  # already gone
                connection.shutdown(socket.SHUT_WR)
            connection.close()

    def count(self, nbytes):
        with self.lock:
            self.bytes_sent += nbytes

    def shutdown(self):
        self.stopping.set()
        self.stopped.wait()

    def server_close(self):
        self.pool.shutdown(wait=True)
        self.socket.close()


def make_server(directory, host='127.0.0.1', port=8000, **options):
    """A server for `directory` (port 0 picks a free one); call serve_forever() on it."""
    return SiteServer(directory, host, port, **options)


def url_of(server):
    host, port = server.server_address[:2]
    return f'http://{f"[{host}]" if ":" in host else host}:{port}/'
