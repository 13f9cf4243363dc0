"""Where knowledge comes from and goes to, against hostile servers and full disks: every download has one deadline
and a size limit (on decoded bytes too: gzip, deflate), follows 10 redirects at most, only to http(s), and never reaches
a link-local or cloud metadata address; every file is written whole or not at all; a destination that cannot be
written fails before the training, not after it."""
import gzip
import hashlib
import ipaddress
import os
import resource
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import zlib
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

import brotli
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.commands import WOPR, cli, one_error_line
from wopr import sources

DRIP = 0.2  # seconds between two bytes of a dripping server: each read is far within the 20 s socket timeout
DRIPS_FOR = 10  # seconds a dripping server keeps at it: code without a deadline fails this suite late, not never


class Hostile(socketserver.ThreadingTCPServer):
    """An HTTP server that misbehaves as `kind` says, on every request."""
    daemon_threads = allow_reuse_address = True

    def __init__(self, kind):
        self.kind, self.stop = kind, threading.Event()
        super().__init__(('127.0.0.1', 0), Handler)
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f'http://127.0.0.1:{self.server_address[1]}/k.safetensors'

    def close(self):
        self.stop.set()
        self.shutdown()
        self.server_close()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        kind, stop, send = self.server.kind, self.server.stop, self.request.sendall
        self.request.recv(65536)  # the request
        head = b'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n'
        drips = {'headers': (b'', head + b'X-Slow: ' + b'a' * 1000),
                 'body': (head + b'Content-Length: 1000000\r\n\r\n', b'\0' * 1000),
                 'chunked': (head + b'Transfer-Encoding: chunked\r\n\r\n', b'1\r\n\0\r\n' * 1000),
                 'silent': (b'', b'')}
        try:
            if kind == 'endless':  # no length, and no end
                send(head + b'\r\n')
                while not stop.is_set():
                    send(b'\0' * 65536)
            elif kind == 'huge':
                send(head + b'Content-Length: 1000000000000\r\n\r\n')
                stop.wait(DRIPS_FOR)
            else:
                first, rest = drips[kind]
                send(first)
                started = time.monotonic()
                for byte in rest:
                    if stop.wait(DRIP) or time.monotonic() - started > DRIPS_FOR:
                        break
                    send(bytes([byte]))
                stop.wait(DRIPS_FOR if kind == 'silent' else 0)
        except OSError:
            pass  # the client hung up


@pytest.fixture
def hostile():
    servers = []

    def start(kind):
        servers.append(Hostile(kind))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


@pytest.mark.parametrize('kind', ['headers', 'body', 'chunked', 'silent'])
def test_a_dripping_server_meets_the_deadline(hostile, kind, monkeypatch):
    """The 20 s timeout is per read: a byte every 0.2 s kept `wopr inspect URL` waiting for days."""
    monkeypatch.setattr(sources, 'DEADLINE', 1)
    server = hostile(kind)
    started = time.monotonic()
    message = one_error_line(cli('inspect', server.url))
    assert f'cannot fetch {server.url}: it did not arrive within 1 s' in message
    assert time.monotonic() - started < 3


def test_an_s3_endpoint_that_drips_meets_the_deadline(hostile, monkeypatch):
    monkeypatch.setattr(sources, 'DEADLINE', 1)
    server = hostile('body')
    for name, value in {'AWS_ENDPOINT_URL_S3': server.url.rsplit('/', 1)[0], 'AWS_ACCESS_KEY_ID': 'testing',
                        'AWS_SECRET_ACCESS_KEY': 'testing', 'AWS_DEFAULT_REGION': 'us-east-1'}.items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    assert 'cannot fetch s3://bk/k.safetensors: it did not arrive within 1 s' in one_error_line(
        cli('inspect', 's3://bk/k.safetensors'))
    assert time.monotonic() - started < 3


@pytest.mark.parametrize('kind, message', [('endless', 'is over 100000 bytes'), ('huge', 'is 1000000000000 bytes')])
def test_a_download_is_size_limited(hostile, kind, message, monkeypatch):
    monkeypatch.setattr(sources, 'MAX_BYTES', 100_000)
    server = hostile(kind)
    started = time.monotonic()
    assert f'{server.url} {message}: too large for a knowledge file' in one_error_line(cli('inspect', server.url))
    assert time.monotonic() - started < 3


KNOWLEDGE = sources.DEFAULT.read_bytes()
SHA = hashlib.sha256(KNOWLEDGE).hexdigest()
BOMB = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip: 1 MB of zeros in 1 KB, fully flushed, so the same bytes each time
BOMB_START = BOMB.compress(b'\0' * (1 << 20)) + BOMB.flush(zlib.Z_FULL_FLUSH)
BOMB_MEGABYTE = BOMB.compress(b'\0' * (1 << 20)) + BOMB.flush(zlib.Z_FULL_FLUSH)


class Local(ThreadingHTTPServer):
    """A server on 127.0.0.1 that redirects (/hops/N: N redirects to the file; /to?URL: to URL; /loop: to itself)
    and sends the default knowledge plain, encoded (/gzip, /deflate, /br), badly encoded (/broken, /cut, /twice,
    /trailing) or as a gzip bomb that never ends (/bomb)."""
    daemon_threads = True

    def __init__(self):
        super().__init__(('127.0.0.1', 0), Answer)
        self.base, self.bomb_sent, self.hung_up = f'http://127.0.0.1:{self.server_address[1]}', 0, threading.Event()
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


class Answer(BaseHTTPRequestHandler):
    def do_GET(self):
        path, _, query = self.path.partition('?')
        parts = path.strip('/').split('/')
        if parts[0] == 'hops' and int(parts[1]) > 0:
            return self.redirect(f'/hops/{int(parts[1]) - 1}')
        if parts[0] == 'loop':
            return self.redirect('/loop')
        if parts[0] == 'to':
            return self.redirect(unquote(query))
        if parts[0] == 'bomb':
            return self.bomb()
        body, encoding = {
            'gzip': (gzip.compress(KNOWLEDGE), 'gzip'), 'deflate': (zlib.compress(KNOWLEDGE), 'deflate'),
            'br': (brotli.compress(KNOWLEDGE), 'br'), 'broken': (KNOWLEDGE, 'gzip'),
            'cut': (gzip.compress(KNOWLEDGE)[:-100], 'gzip'),
            'twice': (gzip.compress(gzip.compress(KNOWLEDGE)), 'gzip, gzip'),
            'trailing': (gzip.compress(KNOWLEDGE) + b'more', 'gzip'),
        }.get(parts[0], (KNOWLEDGE, None))
        self.send_response(200)
        if encoding:
            self.send_header('Content-Encoding', encoding)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location):
        self.send_response(302)
        if location:
            self.send_header('Location', location)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def bomb(self):
        self.send_response(200)
        self.send_header('Content-Encoding', 'gzip')
        self.end_headers()
        try:
            self.wfile.write(BOMB_START)
            started = time.monotonic()
            while time.monotonic() - started < DRIPS_FOR:  # endless, but for the test's own sake
                self.wfile.write(BOMB_MEGABYTE)
                self.server.bomb_sent += len(BOMB_MEGABYTE)
        except OSError:
            self.server.hung_up.set()

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope='module')
def local():
    server = Local()
    yield server
    server.close()


TRIED = []  # connections and name lookups the code tried beyond this machine while `outside` watched (each refused)
HOOKED = []


def watch(event, args):
    """An audit hook: refuse (and note) a connection, or a name looked up, that would leave this machine."""
    if not TRIED or event not in ('socket.connect', 'socket.getaddrinfo'):
        return
    address = args[1] if event == 'socket.connect' else (args[0],)
    host = str(address[0]) if isinstance(address, tuple) else 'localhost'  # a Unix socket's path stays here
    try:
        if event == 'socket.getaddrinfo':
            socket.inet_aton(host)  # a numeric form (2852039166, 0251.0376.0251.0376) is looked up on this machine
            return
    except OSError:
        pass
    with suppress(ValueError):
        if host == 'localhost' or ipaddress.ip_address(host.split('%')[0]).is_loopback:
            return
    TRIED.append((event, host))
    raise ConnectionRefusedError(f'the test lets nothing leave the machine ({host})')


@pytest.fixture
def outside():
    """What the code under test tried to reach beyond this machine: nothing gets there (refused as it is tried)."""
    if watch not in HOOKED:
        sys.addaudithook(watch)  # an audit hook stays for the process: it acts only while TRIED holds its marker
        HOOKED.append(watch)
    TRIED[:] = ['watching']
    yield TRIED
    TRIED.clear()


@pytest.mark.parametrize('path', ['gzip', 'deflate', 'to?%2Fgzip'])
def test_an_encoded_download_is_decoded(local, path):
    """`wopr inspect URL` read the gzip-compressed bytes as knowledge ("header claims 7714666612657785631 bytes")."""
    result = cli('inspect', f'{local.base}/{path}')
    assert result.exit_code == 0 and SHA[:48] in result.output, result.output


@pytest.mark.parametrize('path, message', [
    ('br', "it is sent with Content-Encoding 'br', which wopr does not decode (it asks for gzip, deflate)"),
    ('twice', "it is sent with Content-Encoding 'gzip, gzip', which wopr does not decode"),
    ('broken', 'its gzip encoding is broken'), ('cut', 'its gzip stream is cut short'),
    ('trailing', 'bytes after the end of its gzip stream')])
def test_an_encoding_not_decoded_or_broken_is_refused(local, path, message):
    url = f'{local.base}/{path}'
    assert one_error_line(cli('inspect', url)).startswith(f'error: cannot fetch {url}: {message}')


def test_a_gzip_bomb_stops_at_the_size_limit(local):
    """An endless gzip stream of zeros (1 MB in each 1 KB): reading stops once 64 MB are decoded, having taken about
    64 KB (and what the sockets buffer) of what the server sends."""
    started = time.monotonic()
    message = one_error_line(cli('inspect', f'{local.base}/bomb'))
    assert message == f'error: {local.base}/bomb is over {sources.MAX_BYTES} bytes once decoded: too large for a ' \
                      'knowledge file'
    assert local.hung_up.wait(5) and local.bomb_sent < 16 << 20, local.bomb_sent
    print(f'the bomb: {local.bomb_sent} bytes sent before the client hung up')
    assert time.monotonic() - started < DRIPS_FOR


@pytest.mark.parametrize('extra', [-1, 0, 1])
def test_the_size_limit_counts_decoded_bytes(local, monkeypatch, extra):
    monkeypatch.setattr(sources, 'MAX_BYTES', len(KNOWLEDGE) + extra)
    url = f'{local.base}/gzip'
    if extra >= 0:
        assert sources.read_bytes(url) == KNOWLEDGE
    else:
        with pytest.raises(sources.KnowledgeError, match=f'is over {len(KNOWLEDGE) - 1} bytes once decoded'):
            sources.read_bytes(url)


@pytest.mark.parametrize('hops', range(13))
def test_redirects_are_followed_ten_times_at_most(local, hops):
    """A finite 11-hop chain was reported as "would lead to an infinite loop"."""
    result = cli('inspect', f'{local.base}/hops/{hops}')
    if hops <= 10:
        assert result.exit_code == 0 and SHA[:48] in result.output, result.output
    else:
        assert one_error_line(result) == f'error: cannot fetch {local.base}/hops/{hops}: too many redirects (more ' \
                                         'than 10)'


def test_a_redirect_loop_is_too_many_redirects(local):
    assert one_error_line(cli('inspect', f'{local.base}/loop')) == f'error: cannot fetch {local.base}/loop: too many ' \
                                                                   'redirects (more than 10)'


FORBIDDEN = ['http://169.254.169.254/latest/meta-data/', 'http://169.254.170.2/v2/credentials', 'http://[fe80::1]/k',
             'http://[::ffff:169.254.169.254]/', 'http://[fd00:ec2::254]/latest/meta-data/', 'http://100.100.100.200/',
             'http://metadata.google.internal/computeMetadata/v1/', 'http://METADATA.GOOGLE.INTERNAL./', 'http://metadata/',
             'https://169.254.169.254/', 'http://127.0.0.1:1@169.254.169.254/']
RESOLVED = ['http://2852039166/latest/meta-data/', 'http://0251.0376.0251.0376/', 'http://0xa9fea9fe/']
NOT_HTTP = ['ftp://127.0.0.1/k.safetensors', 'file:///etc/hostname', 'data:application/octet-stream;base64,AAAA',
            'gopher://127.0.0.1:70/']
NEVER = [*[(url, 'a link-local or cloud metadata address (never fetched)') for url in FORBIDDEN],
         *[(url, 'resolves to a link-local or cloud metadata address (never fetched)') for url in RESOLVED]]


@pytest.mark.parametrize('target, message', [*NEVER, *[(url, 'not an http:// or https:// URL') for url in NOT_HTTP],
                                             *[(url, NEVER[0][1]) for url in ('//169.254.169.254/', 'HTTP://[FE80::1]/')],
                                             ('', 'a redirect (302) without a Location')])
def test_where_a_redirect_never_leads(local, outside, target, message):
    """Redirects from http(s) were followed to ftp:// and to 169.254.169.254 (a cloud metadata address): each such
    target is refused before any connection to it, and the message says where the redirect led."""
    url = f'{local.base}/to?{quote(target)}'
    line = one_error_line(cli('inspect', url))
    assert line.startswith(f'error: cannot fetch {url}: ') and line.endswith(message), line
    if target in FORBIDDEN or target in NOT_HTTP:
        assert f'it redirects to {target}, ' in line
    assert outside == ['watching']  # nothing was tried beyond this machine


@pytest.mark.parametrize('url, message', NEVER)
def test_a_metadata_address_given_is_never_fetched(outside, url, message):
    line = one_error_line(cli('inspect', url))
    assert line.startswith(f'error: cannot fetch {url}: ') and line.endswith(message), line
    assert outside == ['watching']


LINK_LOCAL = st.one_of(  # a host in 169.254.0.0/16 (dotted, decimal, hex, IPv4-mapped IPv6) or in fe80::/10
    st.integers(0xA9FE0000, 0xA9FEFFFF).map(ipaddress.IPv4Address).flatmap(
        lambda ip: st.sampled_from([str(ip), str(int(ip)), hex(int(ip)), f'[::ffff:{ip}]'])),
    st.integers(0xFE80 << 112, (0xFEC0 << 112) - 1).map(lambda n: f'[{ipaddress.IPv6Address(n)}]'))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host=LINK_LOCAL)
def test_any_link_local_address_in_any_form_is_never_reached(outside, host):
    with pytest.raises(sources.KnowledgeError, match='link-local or cloud metadata address'):
        sources.read_bytes(f'http://{host}/latest/meta-data/')
    assert outside == ['watching']


GOB = (Path(__file__).parent / 'fixtures' / 'gob' / 'h8.bin').read_bytes()  # converts to a 4.8 KB knowledge file


def in_limits(size):
    """A child process that may write files of `size` bytes at most, and gets EFBIG (not killed) beyond."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


def test_a_write_over_the_file_size_limit_keeps_the_old_file(tmp_path):
    """`import-gob -o` and `train --out` (the same write) truncated the old file, then failed to write the new one:
    both were lost."""
    (tmp_path / 'model.bin').write_bytes(GOB)
    out = tmp_path / 'k.safetensors'
    for run in (
        lambda: subprocess.run(['bash', '-c', 'ulimit -f 2; exec "$@"', 'sh', *WOPR, 'import-gob',
                                str(tmp_path / 'model.bin'), '-o', str(out)], capture_output=True, text=True,
                               timeout=120, check=False),
        lambda: subprocess.run([*WOPR, 'import-gob', tmp_path / 'model.bin', '-o', out], capture_output=True,
                               text=True, timeout=120, check=False, preexec_fn=in_limits(3000)),
    ):
        out.write_bytes(b'the old knowledge')
        result = run()
        assert result.returncode == 1 and result.stderr == f'error: cannot write {out}: File too large\n'
        assert out.read_bytes() == b'the old knowledge'
        assert sorted(p.name for p in tmp_path.iterdir()) == ['k.safetensors', 'model.bin']  # no temporary left


TRAIN = ('import atexit, sys\n'
         'atexit.register(lambda: print("torch imported" if "torch" in sys.modules else "no torch", file=sys.stderr))\n'
         'from wopr.cli import app\napp(sys.argv[1:])\n')


def train_at_once(*args, env=None):
    """`wopr train ARGS` (the smallest settings): (stderr, seconds); stderr ends by saying whether torch was loaded."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, '-c', TRAIN, 'train', '--hidden', '4', '--epochs', '1', *map(str, args)],
                            capture_output=True, text=True, timeout=300, check=False, env={**os.environ, **(env or {})})
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stderr, time.monotonic() - started


def test_a_missing_bucket_fails_before_any_training(endpoint):
    """`train --out s3://nosuchbucket/k` trained first, then failed."""
    stderr, seconds = train_at_once('--out', 's3://nosuchbucket/k.safetensors',
                                    env={'AWS_ENDPOINT_URL_S3': endpoint.url})
    assert stderr == 'error: no such bucket: nosuchbucket (for s3://nosuchbucket/k.safetensors)\nno torch\n'
    assert seconds < 30


@pytest.mark.parametrize('args, message', [
    (['--out', '{tmp}/file/k.safetensors'], 'error: cannot write {tmp}/file/k.safetensors: File exists'),
    (['--out', '{tmp}'], 'error: cannot write {tmp}: it is a folder'),
    (['--out', '{tmp}/new/'], 'error: cannot write {tmp}/new/: a file name cannot end in /'),  # not a file 'new'
    (['--out', 'https://example.org/k.safetensors'], 'error: cannot write to https://example.org/k.safetensors: '
                                                     'give a path or an s3:// URL'),
    (['--epochs', '501', '--out', '{tmp}/k.safetensors'], 'error: epochs must be a whole number from 1 to 500, not '
                                                          '501 (a knowledge file holds the history of 500 at most)'),
])
def test_a_destination_that_cannot_be_written_fails_before_any_training(tmp_path, args, message):
    (tmp_path / 'file').write_text('a file, not a folder')
    stderr, _ = train_at_once(*[a.format(tmp=tmp_path) for a in args])
    assert stderr == message.format(tmp=tmp_path) + '\nno torch\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['file']
