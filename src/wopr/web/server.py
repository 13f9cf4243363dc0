"""`wopr serve`: the built site over HTTP with the types the page needs, precompressed files by Accept-Encoding,
nothing outside the folder or hidden; one event loop holds every connection and each request head must arrive whole
within a deadline, so slow or idle clients cost a socket, never a thread, and never delay anyone else."""
import asyncio
import errno
import io
import os
import re
import socket
import stat
import sys
import threading
from contextlib import suppress
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .compress import READ_BYTES, decodes_to, file_sha256, sibling
from .policy import ENCODINGS, compressible, content_type

REQUEST_SECONDS = 10  # a request's head must arrive whole within this of connecting; each piece of an answer be taken
LINGER_SECONDS = 2    # after an answer, what the client still sends is read and dropped for this long at most
MAX_CONNECTIONS = 512  # held at once (sockets, not threads); more wait in the listen queue until one ends
MAX_HEAD = 2 * 65536  # bytes of a request head: http.server's longest request line (65536) and headers after it
MAX_PATH = 1024      # longer paths are refused before touching the file system
HEAD_END = re.compile(rb'\n\r?\n')  # the empty line after the headers (http.server takes bare newlines too)


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
            if (encoding in codings or '*' in codings) and self.intact(path, encoding):
                return sibling(path, encoding), encoding
        return path, None

    def intact(self, path, encoding):
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


class Request(BaseHTTPRequestHandler):
    """One request, parsed by http.server from its head in memory. What it answers is left for the server to send:
    `wfile` holds the status line and headers (or a whole error page), `body` the open file to send after them."""
    server_version = 'wopr'
    # HTTP/1.1, as Chromium revalidates by ETag only then; one request per connection (Connection: close)
    protocol_version = 'HTTP/1.1'

    def __init__(self, head, address, server):
        self.body = None
        try:
            super().__init__(head, address, server)
        except BaseException:
            if self.body:
                self.body.close()
            raise

    def setup(self):
        self.rfile, self.wfile = io.BytesIO(self.request), io.BytesIO()

    def finish(self):  # wfile's bytes stay for the server to send
        pass

    def parse_request(self):
        parsed = super().parse_request()
        if parsed and len(self.request) > MAX_HEAD:  # its head never ended (a request line too long got its 414)
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            return False
        return parsed

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
        # open until the server has sent it (and closes it): a site rebuilt meanwhile cannot change its size
        self.body = open(sent, 'rb')  # noqa: SIM115
        size = os.fstat(self.body.fileno()).st_size
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
        if not fresh:
            self.send_header('Content-Length', str(size))
        self.end_headers()
        if fresh or not body:
            self.body.close()
            self.body = None

    def log_message(self, format, *args):  # quiet: the URL printed at start is what a user needs
        pass


async def request_head(reader):
    """The request's head up to its empty line; or what came before the client stopped sending; or, for a head that
    does not end, a little more than MAX_HEAD bytes."""
    head = bytearray()
    while chunk := await reader.read(READ_BYTES):
        searched = max(0, len(head) - 2)  # only what is new, and the two bytes before it that could start the end
        head += chunk
        if HEAD_END.search(head, searched) or len(head) > MAX_HEAD:
            break
    return bytes(head)


def listen(host, port):
    """A socket listening on host:port, or an OSError whose message is one line saying why not."""
    try:
        return socket.create_server((host, port), family=socket.AF_INET6 if ':' in host else socket.AF_INET)
    except OSError as e:
        why = {errno.EADDRINUSE: 'the port is in use (another server? --port 0 picks a free one)',
               errno.EACCES: 'not allowed (ports below 1024 need root)',
               errno.EADDRNOTAVAIL: 'no such address on this machine'}.get(
                   e.errno, str(e.strerror or e).partition(' (while attempting')[0])  # create_server's suffix
        raise type(e)(f'cannot listen on {f"[{host}]" if ":" in host else host}:{port}: {why}') from None


class SiteServer:
    """An asyncio event loop that holds every connection (up to MAX_CONNECTIONS) as a task: a request head must
    arrive whole within `request_seconds` of connecting or the connection is closed, and an answer whose client stops
    taking it is dropped after as long. Nothing waits on a client in a thread."""

    def __init__(self, directory, host='127.0.0.1', port=8000, request_seconds=REQUEST_SECONDS):
        self.site = Site(directory)
        self.request_seconds = request_seconds
        self.socket = listen(host, port)
        self.socket.setblocking(False)
        self.server_address = self.socket.getsockname()
        self.bytes_sent = 0  # what it has sent in all (the benchmarks read it)
        self.running, self.stopped = threading.Event(), threading.Event()

    def serve_forever(self):
        """Serve until shutdown() is called from another thread (or Ctrl-C: KeyboardInterrupt)."""
        try:
            with suppress(asyncio.CancelledError), asyncio.Runner() as runner:
                runner.run(self.serve())
        finally:
            self.stopped.set()

    async def serve(self):
        self.loop, self.task = asyncio.get_running_loop(), asyncio.current_task()
        self.running.set()
        slots = asyncio.Semaphore(MAX_CONNECTIONS)
        async with asyncio.TaskGroup() as connections:
            while True:
                await slots.acquire()
                try:
                    connection, address = await self.loop.sock_accept(self.socket)
                except OSError:  # the client gave up before we got to it, or no file descriptor is free for now
                    slots.release()
                    await asyncio.sleep(0.05)
                    continue
                connections.create_task(self.handle(connection, address, slots))

    async def handle(self, connection, address, slots):
        request = writer = None
        try:
            reader, writer = await asyncio.open_connection(sock=connection)
            writer.transport.set_write_buffer_limits(high=0)  # drain() returns once all is with the kernel
            async with asyncio.timeout(self.request_seconds):
                head = await request_head(reader)
            request = Request(head, address, self)
            await self.send(writer, request.wfile.getvalue())
            while request.body and (chunk := request.body.read(READ_BYTES)):
                await self.send(writer, chunk)
            writer.write_eof()
            async with asyncio.timeout(LINGER_SECONDS):  # closing with unread bytes would reset the connection,
                while await reader.read(READ_BYTES):          # and the client could lose the answer before reading it
                    pass
        except (TimeoutError, OSError):  # past the deadline, or the client went away
            pass
        except Exception as e:  # noqa: BLE001  one line, never a traceback: the server goes on
            print(f'wopr serve: {address[0]}: {type(e).__name__}: {e}', file=sys.stderr)
        finally:
            if request and request.body:
                request.body.close()
            if writer:  # its buffer is empty unless the client stopped taking it: that is dropped
                writer.transport.abort()
            connection.close()
            slots.release()

    async def send(self, writer, data):
        writer.write(data)
        self.bytes_sent += len(data)
        async with asyncio.timeout(self.request_seconds):  # a client that stops taking its answer is let go
            await writer.drain()

    def shutdown(self):
        """Stop serve_forever (running in another thread) and wait until it has: every connection is closed."""
        self.running.wait()
        self.loop.call_soon_threadsafe(self.task.cancel)
        self.stopped.wait()

    def server_close(self):
        self.socket.close()


def make_server(directory, host='127.0.0.1', port=8000, **options):
    """A server for `directory` (port 0 picks a free one); call serve_forever() on it."""
    return SiteServer(directory, host, port, **options)


def url_of(server):
    host, port = server.server_address[:2]
    return f'http://{f"[{host}]" if ":" in host else host}:{port}/'
