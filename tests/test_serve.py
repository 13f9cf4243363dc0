"""`wopr serve`'s server over raw sockets: types, precompressed files by Accept-Encoding, revalidation, what it refuses
(hidden files, links out of the folder, malformed paths, heads too large) without a traceback, and slow or idle clients
that hold no thread, delay no one and are closed at the request deadline."""
import gzip
import itertools
import select
import shutil
import socket
import statistics
import threading
import time
from contextlib import suppress

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.serving import wopr_server
from tests.support.commands import cli, one_error_line
from wopr.runtime.format import sha256_hex
from wopr.sources import DEFAULT
from wopr.web import server as server_module
from wopr.web import site

DEFAULT_FILE = f'knowledge/default-{sha256_hex(DEFAULT.read_bytes())[:16]}.safetensors'
BROWSER = 'gzip, deflate, br, zstd'  # what Chromium sends on localhost




@pytest.fixture(scope='module')
def root(tmp_path_factory, built_site):
    """A built site, plus a secret beside it that links inside the site point to."""
    root = tmp_path_factory.mktemp('serve')
    shutil.copytree(built_site[0], root / 'site')
    (root / 'outside').mkdir()
    (root / 'outside' / 'secret.txt').write_text('the launch codes')
    (root / 'site' / 'leak.txt').symlink_to(root / 'outside' / 'secret.txt')
    (root / 'site' / 'leaks').symlink_to(root / 'outside')
    (root / 'site' / 'inside.js').symlink_to(root / 'site' / 'app.js')
    return root


@pytest.fixture(scope='module')
def server(root):
    with wopr_server(root / 'site', request_seconds=1) as server:
        yield server


def exchange(server, data, timeout=10):
    """Send raw bytes; (status, headers, body) of the answer, read until the server closes."""
    with socket.create_connection(server.server_address[:2], timeout=timeout) as s:
        s.sendall(data)
        answer = b''
        while chunk := s.recv(1 << 16):
            answer += chunk
    if not answer.startswith(b'HTTP/1.'):  # an HTTP/0.9 answer: the error page alone
        return int(answer.split(b'Error code: ')[1][:3]), {}, answer
    head, _, body = answer.partition(b'\r\n\r\n')
    status, *lines = head.decode('latin-1').split('\r\n')
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(':') for line in lines)}
    return int(status.split()[1]), headers, body


def get(server, path, method='GET', timeout=10, **headers):
    lines = [f'{method} {path} HTTP/1.1', 'Host: 127.0.0.1']
    lines += [f'{name.replace("_", "-")}: {value}' for name, value in headers.items()]
    return exchange(server, ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1'), timeout)


def decode(headers, body):
    return {'br': brotli.decompress, 'gzip': gzip.decompress}.get(headers.get('content-encoding'), bytes)(body)


@pytest.mark.parametrize('path, kind', [
    ('index.html', 'text/html'), ('app.js', 'text/javascript'), ('micropython.mjs', 'text/javascript'),
    ('micropython.wasm', 'application/wasm'), ('knowledge/index.json', 'application/json'), ('style.css', 'text/css'),
    ('manifest.webmanifest', 'application/manifest+json'), (site.RUNTIME, 'application/octet-stream'),
    (DEFAULT_FILE, 'application/octet-stream')])
@pytest.mark.parametrize('accept', [BROWSER, 'gzip', None])
def test_types_and_bytes_for_every_kind_of_client(server, root, path, kind, accept):
    status, headers, body = get(server, f'/{path}', **({'Accept_Encoding': accept} if accept else {}))
    assert status == 200 and headers['content-type'].split(';')[0] == kind
    assert decode(headers, body) == (root / 'site' / path).read_bytes()
    assert int(headers['content-length']) == len(body)
    compressible = not path.endswith('.safetensors')
    assert headers.get('vary') == ('Accept-Encoding' if compressible else None)
    expected = {BROWSER: 'br', 'gzip': 'gzip', None: None}[accept] if compressible else None
    if path == 'micropython.wasm' or accept != BROWSER:
        assert headers.get('content-encoding') == expected


@pytest.mark.parametrize('accept, encoding', [('br;q=0, gzip', 'gzip'), ('gzip;q=0', None), ('identity', None),
                                              ('*', 'br'), ('GZIP; q=0.5', 'gzip'), ('br;q=x', None)])
def test_accept_encoding_weights(server, root, accept, encoding):
    status, headers, body = get(server, '/micropython.wasm', Accept_Encoding=accept)
    assert (status, headers.get('content-encoding')) == (200, encoding)
    assert decode(headers, body) == (root / 'site' / 'micropython.wasm').read_bytes()


def test_an_old_client_gets_the_plain_page(server, root):
    status, headers, body = exchange(server, b'GET / HTTP/1.0\r\n\r\n')
    assert (status, body) == (200, (root / 'site' / 'index.html').read_bytes())
    assert 'content-encoding' not in headers


def test_a_copy_in_hand_is_revalidated_by_etag(server):
    _, first, _ = get(server, '/app.js', Accept_Encoding='gzip')
    status, headers, body = get(server, '/app.js', Accept_Encoding='gzip', If_None_Match=first['etag'])
    assert (status, body, headers['etag']) == (304, b'', first['etag'])
    _, brotli_copy, _ = get(server, '/app.js', Accept_Encoding='br')
    assert brotli_copy['etag'] != first['etag']  # each encoding is its own representation
    assert get(server, '/app.js', Accept_Encoding='br', If_None_Match=first['etag'])[0] == 200


def test_a_damaged_or_stale_compressed_copy_is_never_sent(tmp_path, root):
    copy = tmp_path / 'site'
    shutil.copytree(root / 'site', copy, symlinks=True)
    br = (copy / 'app.js.br').read_bytes()
    (copy / 'app.js.br').write_bytes(br[:len(br) // 2])  # cut short
    (copy / 'worker.js.gz').write_bytes(b'\x1f\x8b not gzip')
    (copy / 'style.css').write_text('/* edited after the build */')  # its copies are stale
    with wopr_server(copy) as server:
        for path in ('app.js', 'worker.js', 'style.css'):
            status, headers, body = get(server, f'/{path}', Accept_Encoding=BROWSER)
            assert status == 200 and decode(headers, body) == (copy / path).read_bytes(), path
        assert get(server, '/app.js', Accept_Encoding=BROWSER)[1]['content-encoding'] == 'gzip'
        assert 'content-encoding' not in get(server, '/style.css', Accept_Encoding=BROWSER)[1]


@pytest.mark.parametrize('path, status', [
    ('/.wopr-site', 404), ('/knowledge/.hidden', 404), ('/%2ewopr-site', 404), ('/leak.txt', 404),
    ('/leaks/secret.txt', 404), ('/knowledge', 404), ('/knowledge/', 404), ('/nope.js', 404),
    ('/../outside/secret.txt', 400), ('/%2e%2e/outside/secret.txt', 400), ('/knowledge/..%2f..%2fsite', 400),
    ('/%00', 400), ('/app.js%00.png', 400), ('/a%ffb', 400), ('/..\\secret', 400), ('/' + 'a' * 5000, 400),
    ('noslash', 400)])
def test_what_is_refused_and_how(server, capfd, path, status):
    assert get(server, path)[0] == status
    assert get(server, path, method='HEAD')[0] == status
    assert capfd.readouterr().err == ''  # no traceback, no log line


def test_a_link_inside_the_folder_is_served(server, root):
    assert get(server, '/inside.js')[2] == (root / 'site' / 'app.js').read_bytes()


def test_broken_requests_get_an_answer_and_no_traceback(server, capfd):
    assert exchange(server, b'GET /' + b'a' * 70000 + b' HTTP/1.1\r\n\r\n')[0] == 414
    assert exchange(server, b'NONSENSE\r\n\r\n')[0] == 400
    assert exchange(server, b'GET / HTTP/1.1 and more\r\n\r\n')[0] == 400
    assert exchange(server, b'DELETE /index.html HTTP/1.1\r\n\r\n')[0] == 501
    assert capfd.readouterr().err == ''


@settings(max_examples=30, deadline=None)
@given(cuts=st.sets(st.integers(1, 60), max_size=6), newline=st.sampled_from(['\r\n', '\n']))
def test_a_head_that_arrives_in_pieces_is_answered_whole(server, root, cuts, newline):
    """The head is gathered until its empty line, wherever the pieces split it (a line end or the end itself)."""
    head = newline.join(['GET /app.js HTTP/1.1', 'Host: 127.0.0.1', 'Accept-Encoding: gzip', '', '']).encode()
    with socket.create_connection(server.server_address[:2], timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start, end in itertools.pairwise([0, *sorted(c for c in cuts if c < len(head)), len(head)]):
            s.sendall(head[start:end])
            time.sleep(0.005)  # each piece its own segment
        answer = b''.join(iter(lambda: s.recv(1 << 16), b''))
    status, _, rest = answer.partition(b'\r\n\r\n')
    assert status.startswith(b'HTTP/1.1 200 OK') and gzip.decompress(rest) == (root / 'site' / 'app.js').read_bytes()


@pytest.mark.parametrize('head, status', [
    (b'GET / HTTP/1.1\r\n' + b'X-Many: a\r\n' * 20000 + b'\r\n', 431),  # a head over MAX_HEAD, in short lines
    (b'GET / HTTP/1.1\r\nX-Long: ' + b'a' * 70000 + b'\r\n\r\n', 431),
    (b'GET / HTTP/1.1\r\n' + b'X-Endless: a\r\n' * 20000, 431),  # and one that never ends
    (b'GET / HTTP/1.1\r\n' + b'X-Some: a\r\n' * 101 + b'\r\n', 431),  # over http.server's 100 headers
    (b'GET /index.html HTTP/1.1\r\n' + b'X-Some: a\r\n' * 90 + b'\r\n', 200)])
def test_a_head_too_large_is_refused(server, head, status):
    assert exchange(server, head)[0] == status


def test_a_client_that_stops_taking_its_answer_is_dropped(tmp_path):
    (tmp_path / 'big.bin').write_bytes(bytes(32 << 20))
    with wopr_server(tmp_path, request_seconds=1) as server:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(server.server_address[:2])
            s.sendall(b'GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
            time.sleep(2.5)  # takes nothing for longer than the deadline
            s.settimeout(5)
            received = 0
            with suppress(ConnectionResetError):
                while chunk := s.recv(1 << 16):
                    received += len(chunk)
        assert 0 < received < 16 << 20  # dropped, far from the whole file
        started = time.monotonic()
        assert get(server, '/big.bin', method='HEAD')[0] == 200
        assert time.monotonic() - started < 1


def test_connections_beyond_the_bound_wait_their_turn(root, monkeypatch):
    """Connections are bounded (sockets, not threads): one over the bound waits in the listen queue until the
    deadline frees a place, then it is answered."""
    monkeypatch.setattr(server_module, 'MAX_CONNECTIONS', 4)
    with wopr_server(root / 'site', request_seconds=1) as server:
        idle = [socket.create_connection(server.server_address[:2], timeout=5) for _ in range(4)]
        try:
            time.sleep(0.2)
            started = time.monotonic()
            assert get(server, '/index.html')[2] == (root / 'site' / 'index.html').read_bytes()
            assert 0.6 < time.monotonic() - started < 3
        finally:
            for s in idle:
                s.close()


def test_a_port_in_use_is_one_clear_line(root):
    """It was a raw `[Errno 98] Address already in use`."""
    with socket.create_server(('127.0.0.1', 0)) as taken:
        port = taken.getsockname()[1]
        message = one_error_line(cli('serve', '--port', port, '--out', root / 'site'))
    assert message == (f'error: cannot listen on 127.0.0.1:{port}: the port is in use (another server? --port 0 picks '
                       'a free one)')
    assert one_error_line(cli('serve', '--host', '192.0.2.1', '--port', 0, '--out', root / 'site')) == (
        'error: cannot listen on 192.0.2.1:0: no such address on this machine')  # an address of another machine


def test_idle_connections_hold_no_thread_and_are_closed(server, root):
    threads = threading.active_count()
    idle = [socket.create_connection(server.server_address[:2], timeout=5) for _ in range(300)]
    try:
        time.sleep(0.3)
        assert threading.active_count() == threads
        started = time.monotonic()
        assert get(server, '/index.html')[2] == (root / 'site' / 'index.html').read_bytes()  # served meanwhile
        assert time.monotonic() - started < 1
        time.sleep(1.5)  # past the idle limit (1 s here)
        assert all(s.recv(1) == b'' for s in idle)  # the server closed each one
    finally:
        for s in idle:
            s.close()


def drip(address, count, seconds, opened, every=0.25):
    """`count` connections that each send a request head one byte every `every` s, a head that never ends, for
    `seconds` at most: {connection: seconds from its connect until the server closed it}."""
    head = b'GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + b'a' * 10000
    sockets = {socket.create_connection(address, timeout=5): time.monotonic() for _ in range(count)}
    opened.set()
    closed, sent = {}, 0
    try:
        while len(closed) < count and time.monotonic() - min(sockets.values()) < seconds:
            for s in sockets.keys() - closed.keys():
                try:
                    s.send(head[sent:sent + 1])
                except OSError:  # the server closed it since
                    closed[s] = time.monotonic() - sockets[s]
            sent += 1
            readable, _, _ = select.select(list(sockets.keys() - closed.keys()), [], [], every)
            for s in readable:
                with suppress(OSError):
                    if s.recv(1 << 16):
                        continue  # an answer: only a closed connection counts
                closed[s] = time.monotonic() - sockets[s]
    finally:
        for s in sockets:
            s.close()
    return closed


def test_slow_clients_never_delay_others_and_are_closed_at_the_deadline(root):
    """8 connections that each sent a byte every 3 s held all 8 threads: normal requests timed out, and the slow ones
    were never closed (the 10 s limit was per read, not per request)."""
    deadline, slow = 3, 64
    index = (root / 'site' / 'index.html').read_bytes()
    with wopr_server(root / 'site', request_seconds=deadline) as server:
        address, opened, outcome = server.server_address[:2], threading.Event(), {}
        dripping = threading.Thread(target=lambda: outcome.update(drip(address, slow, deadline + 3, opened)))
        dripping.start()
        assert opened.wait(10)
        # clients that ask for the wasm and never read its answer
        takers = [socket.create_connection(address, timeout=5) for _ in range(8)]
        for s in takers:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b'GET /micropython.wasm HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
        latencies, started = [], time.monotonic()
        try:
            while time.monotonic() - started < deadline - 0.5:  # while every slow client is still connected
                sent = time.monotonic()
                try:
                    status, _, body = get(server, '/index.html', timeout=1)
                    assert (status, body) == (200, index)
                except TimeoutError:
                    pass
                latencies.append(time.monotonic() - sent)
        finally:
            dripping.join()
            for s in takers:
                s.close()
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]
    print(f'{len(latencies)} requests beside {slow} slow clients: p99 {p99 * 1000:.1f} ms')
    assert p99 < 0.2
    assert len(outcome) == slow, f'{slow - len(outcome)} slow clients never closed'
    assert all(deadline - 0.1 < seconds < deadline + 1.5 for seconds in outcome.values()), sorted(outcome.values())
