"""Where knowledge comes from and goes to, against hostile servers and full disks: every download has one deadline
and a size limit; every file is written whole or not at all; a destination that cannot be written fails before the
training, not after it."""
import os
import resource
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

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
