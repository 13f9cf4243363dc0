"""Where knowledge comes from and goes to: local paths, http(s):// URLs and s3:// URLs. A download is bounded in time
and size (decoded bytes too), and follows a few redirects to http(s) only, never to a cloud's metadata service; a file
is written whole or not at all."""
import errno
import http.client
import ipaddress
import os
import secrets
import socket
import threading
import time
import urllib.request
import zlib
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from .runtime.knowledge import Knowledge, KnowledgeError, load

KNOWLEDGE_DIR = Path(__file__).parent / 'knowledge'
DEFAULT = KNOWLEDGE_DIR / 'default.safetensors'
MAX_BYTES = 64 * 1024 * 1024  # hidden 1024 in F32 is 17 MB (its gob up to 40 MB); stops a hostile URL filling memory
TIMEOUT = 20   # seconds a connection may stay silent
DEADLINE = 60  # seconds for a whole download, however slowly the server sends it
MAX_REDIRECTS = 10  # as browsers' 20 and curl's 50, a limit only a broken or hostile server reaches
REDIRECTS = (301, 302, 303, 307, 308)
DECODED = ('gzip', 'deflate')  # the Content-Encodings decoded (zlib can stop at a limit); others are refused
# Never fetched, whatever leads there: link-local addresses (169.254.0.0/16, fe80::/10, where clouds answer
# credentials) and the other well-known metadata services (AWS over IPv6, Alibaba, Oracle) and their names
METADATA_NETWORKS = [ipaddress.ip_network(n) for n in ('fd00:ec2::254/128', '100.100.100.200/32', '192.0.0.192/32')]
METADATA_HOSTS = {'metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data',
                  'instance-data.ec2.internal'}


def shipped_knowledge():
    """The shipped knowledge files, the default one first (the page starts with the catalog's first entry)."""
    files = sorted(KNOWLEDGE_DIR.glob('*.safetensors'), key=lambda p: (p.stem != 'default', p.stem))
    if not files:
        raise FileNotFoundError(f'no knowledge files in {KNOWLEDGE_DIR}: run `make knowledge`')
    return files


def read_bytes(location):
    """The bytes at a path or URL; KnowledgeError with a clear message when they cannot be had."""
    location = str(location)
    if location.startswith(('s3://', 'http://', 'https://')):
        return _within_deadline(location, _s3 if location.startswith('s3://') else _http)
    path = Path(location)
    if not path.is_file():  # a folder, a device, or nothing
        raise KnowledgeError(f'{location} is a folder, not a knowledge file' if path.is_dir() else
                             f'{location} is not a regular file' if path.exists() else f'no such file: {location}')
    if path.stat().st_size > MAX_BYTES:
        raise KnowledgeError(f'{location} is {path.stat().st_size} bytes: too large for a knowledge file')
    return path.read_bytes()


def _within_deadline(location, fetch):
    """fetch(location, deadline), given DEADLINE seconds in all: a server can drip its answer a byte at a time (each
    read within TIMEOUT) or stall a name lookup, and neither has a timeout of its own. It runs in a thread the caller
    stops waiting for; fetch may stop at the deadline too."""
    deadline, outcome = time.monotonic() + DEADLINE, []

    def run():
        try:
            outcome.append((fetch(location, deadline), None))
        except BaseException as e:  # noqa: BLE001 (raised again in the caller's thread)
            outcome.append((None, e))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(DEADLINE)
    if not outcome:
        raise _late(location)
    data, error = outcome[0]
    if error is not None:
        raise error
    return data


def _late(location):
    return KnowledgeError(f'cannot fetch {location}: it did not arrive within {DEADLINE} s')


def _s3(location, deadline):
    """The object at an s3:// URL, decoded as its Content-Encoding says, as an http(s):// body is."""
    from . import s3  # boto3 is an extra: only s3:// needs it
    try:
        encoding, length, chunks = s3.object_stream(location)
        return _decoded(location, encoding, length, chunks, deadline)
    except (s3.S3Error, ValueError) as e:
        raise KnowledgeError(str(e)) from None


def _http(location, deadline):
    """The body at an http(s):// URL, redirects followed by hand: each is counted and its target checked before any
    connection is made to it."""
    url = location
    try:
        for _ in range(MAX_REDIRECTS + 1):
            _check_target(location, url)
            request = urllib.request.Request(url, headers={'Accept-Encoding': ', '.join(DECODED)})
            with _OPENER.open(request, timeout=TIMEOUT) as response:
                if response.status not in REDIRECTS:
                    return _decoded(location, response.headers.get('Content-Encoding'), response.length,
                                    iter(lambda: response.read1(1 << 16), b''), deadline)
                if not response.headers.get('Location'):
                    raise KnowledgeError(f'cannot fetch {location}: a redirect ({response.status}) without a Location')
                url = urljoin(url, response.headers['Location'])
        raise KnowledgeError(f'cannot fetch {location}: too many redirects (more than {MAX_REDIRECTS})')
    except KnowledgeError:
        raise
    except (OSError, ValueError) as e:  # URLError is an OSError; a malformed URL a ValueError
        raise KnowledgeError(f'cannot fetch {location}: {getattr(e, "reason", e)}') from None
    except http.client.HTTPException as e:  # not an OSError: a port speaking another protocol, a cut answer
        raise KnowledgeError(f'cannot fetch {location}: broken HTTP answer ({type(e).__name__})') from None


def _decoded(location, encoding, length, chunks, deadline):
    """A download's body (`chunks`, its pieces as they come; `length`, the size it announces, or None), decoded as its
    Content-Encoding says; at most MAX_BYTES, on the wire and decoded alike, so a small compressed answer cannot fill
    memory, and not one byte more is read."""
    encoding = (encoding or 'identity').strip().lower()
    if encoding not in DECODED and encoding != 'identity':
        raise KnowledgeError(f'cannot fetch {location}: it is sent with Content-Encoding {encoding[:40]!r}, which '
                             f'wopr does not decode (it asks for {", ".join(DECODED)})')
    decoder = zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding in DECODED else None  # gzip or zlib, by header
    if (length or 0) > MAX_BYTES:
        raise KnowledgeError(f'{location} is {length} bytes: too large for a knowledge file')
    parts, wire, size = [], 0, 0
    for chunk in chunks:  # what has come: the deadline is checked as bytes drip in
        if time.monotonic() > deadline:
            raise _late(location)
        wire += len(chunk)
        if decoder:
            try:
                chunk = decoder.decompress(chunk, MAX_BYTES + 1 - size)  # one byte past the limit, never more
            except zlib.error as e:
                raise KnowledgeError(f'cannot fetch {location}: its {encoding} encoding is broken ({e})') from None
            if decoder.unused_data:
                raise KnowledgeError(f'cannot fetch {location}: bytes after the end of its {encoding} stream')
        parts.append(chunk)
        size += len(chunk)
        if max(size, wire) > MAX_BYTES:
            decoded = ' once decoded' if size > MAX_BYTES and decoder else ''
            raise KnowledgeError(f'{location} is over {MAX_BYTES} bytes{decoded}: too large for a knowledge file')
    if decoder and not decoder.eof:
        raise KnowledgeError(f'cannot fetch {location}: its {encoding} stream is cut short')
    return b''.join(parts)


def _check_target(location, url):
    """Refuse a URL (the one given, or where a redirect leads) that is not http(s), or that names a link-local or
    cloud metadata address; a name is also checked for every address it resolves to, when connecting."""
    parts = urlsplit(url)
    via = f'it redirects to {url[:200]}, ' if url != location else ''
    if parts.scheme not in ('http', 'https'):
        raise KnowledgeError(f'cannot fetch {location}: {via}not an http:// or https:// URL')
    if (parts.hostname or '').rstrip('.') in METADATA_HOSTS or _forbidden(parts.hostname or ''):
        raise KnowledgeError(f'cannot fetch {location}: {via}a link-local or cloud metadata address (never fetched)')


def _forbidden(host):
    """Whether a host is an IP address that is link-local (169.254.0.0/16, fe80::/10) or a cloud's metadata service
    (a name is checked by _connect, for each address it resolves to)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    ip = getattr(ip, 'ipv4_mapped', None) or ip  # ::ffff:169.254.169.254 is 169.254.169.254
    return ip.is_link_local or any(ip in network for network in METADATA_NETWORKS)


def _connect(address, *args):
    """socket.create_connection for http.client, once every address the host resolves to is checked: a name (or a
    numeric form such as 2852039166) cannot lead to a metadata service."""
    host, port = address
    resolved = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    if any(_forbidden(ip) for ip in resolved):  # an OSError, as a refused connection is: _http names the URL
        raise PermissionError(f'{host} resolves to a link-local or cloud metadata address (never fetched)')
    error = None
    for ip in resolved:
        try:
            return socket.create_connection((ip, port), *args)
        except OSError as e:
            error = e
    raise error


def _guarded(connection_class):
    def connection(*args, **kwargs):
        made = connection_class(*args, **kwargs)
        made._create_connection = _connect  # http.client's own hook for opening its socket
        return made
    return connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, request):
        return self.do_open(_guarded(http.client.HTTPConnection), request)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, request):
        return self.do_open(_guarded(http.client.HTTPSConnection), request, context=self._context)


class _Redirects(urllib.request.HTTPRedirectHandler):
    """A redirect comes back as the response itself: _http counts it and checks where it leads."""
    def http_error_302(self, request, response, code, message, headers):
        return response

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


_OPENER = urllib.request.build_opener(_HTTPHandler, _HTTPSHandler, _Redirects)


def load_knowledge(location=None) -> Knowledge:
    """Read and validate knowledge from a path, http(s):// or s3:// URL (the shipped default when None);
    the 2018 original's Go gob files are converted on the way."""
    return load(read_bytes(location or DEFAULT))


def write_bytes(location, data):
    """Write bytes to a path (parents created; whole or not at all) or an s3:// URL."""
    location = str(location)
    if location.startswith('s3://'):
        from . import s3
        return s3.write_object(location, data)
    write_files({_path(location): data})


def validate_writable(location):
    """Fail at once, not after the work that makes the bytes (a training run), when `location` cannot take a file:
    a missing bucket, an unreachable endpoint, a folder where no file can be made."""
    location = str(location)
    if location.startswith('s3://'):
        from . import s3
        return s3.validate_bucket(location)
    with _new_file_beside(_path(location)) as (temp, _):
        temp.unlink()


def out_file(location):
    """`location` as the path of a file to write, or one clear error: empty, a folder, or ending in a separator."""
    path = Path(location)
    if not str(location):
        raise ValueError('cannot write to an empty path')
    if not path.name or path.is_dir():
        raise ValueError(f'cannot write {location}: it is a folder')
    if str(location).endswith(('/', os.sep)):
        raise ValueError(f'cannot write {location}: a file name cannot end in {str(location)[-1]}')
    return path


def _path(location):
    """A local destination, its folders made."""
    if location.startswith(('http://', 'https://')):
        raise ValueError(f'cannot write to {location}: give a path or an s3:// URL')
    path = out_file(location)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _cannot_write(path, e) from None
    return path


def _cannot_write(path, e):
    """The OSError e (its kind kept) as a sentence naming the path."""
    return type(e)(f'cannot write {path}: {e.strerror or e}')


def write_files(files):
    """Write {path: bytes} whole or not at all: each goes to a temporary file beside it, flushed to the disk, and all
    are renamed into place only once every one is written; an error (a full disk, a file size limit) leaves each
    existing file as it was and no temporary file behind."""
    temps = {}
    try:
        for path, data in files.items():
            path = Path(path)
            with _new_file_beside(path) as (temp, f):
                temps[temp] = path
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for temp, path in temps.items():
            os.replace(temp, path)
        # the renames reach the disk too, where the file system can sync a folder (not every one can)
        for folder in {path.parent for path in temps.values()}:
            with suppress(OSError):
                fd = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


@contextmanager
def _new_file_beside(path):
    """(path, file open for writing) of a new temporary file in path's folder, where os.replace onto path is atomic;
    any OSError names `path`."""
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, 'it is a folder')
        temp = path.with_name(f'.{path.name}.{secrets.token_hex(4)}.tmp')
        with open(temp, 'xb') as f:  # open(), not mkstemp: the file gets the usual permissions (0666 - umask)
            yield temp, f
    except OSError as e:
        raise _cannot_write(path, e) from None
