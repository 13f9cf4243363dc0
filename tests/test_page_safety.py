"""The page against hostile input: metadata of the wrong types in every field it shows (refused by the runtime, and
given to the card itself), values at the runtime's limits, nesting deeper than a structured clone takes, a 390 KB
digit string (with a main-thread heartbeat: no gap over 1 s), a catalog of odd entries, a server that drips its bytes
(the download's deadline, the Cancel button), and an engine that fails (a clean message, no traceback). The hostile
files and the odd catalog are refused alike in Chromium, Firefox and WebKit (the `engine` fixture)."""
import random
import socket
import threading
import time
from contextlib import contextmanager

import pytest

from harness.browser import READY, board_of, click, open_page, play_game, random_player, watch
from tests.support.sites import HOSTILE, NOT_A_STRING
from wopr.runtime.knowledge import load
from wopr.runtime.metadata import curve
from wopr.sources import DEFAULT

ODD = ['hostile.safetensors', 'extreme.safetensors', 'digits.safetensors', 'deep500.safetensors',
       'deep2000.safetensors', 'deep100000.safetensors']


def loads_and_plays(engine, web, name):
    """Load `name` as an upload: the page must come back playable, with this knowledge or the previous one."""
    path = web.root / 'extra' / name
    engine.set_file(path)
    engine.wait(READY, timeout=20)
    title = engine.text('#card-title')
    if title == name:  # taken: the page plays this file, which CPython reads alike
        knowledge = load(path.read_bytes())
        card = engine.text('#card')
        assert 'object Object' not in card and 'undefined' not in card and 'NaN' not in card
        assert len(card) < 10_000  # long texts are cut (the file holds 80 KB of them)
    else:  # refused: the default plays on
        assert engine.text('#file-error p').startswith(f'Could not use {name}.')
        knowledge = load(DEFAULT.read_bytes())
    assert not engine.evaluate('() => document.querySelector("#new-game").disabled || '
                               'document.querySelector("#catalog").disabled')
    engine.choose('#new-game')
    play_game(engine, knowledge, 'X', random_player(random.Random(len(name))))


def test_hostile_metadata_and_deep_nesting_leave_the_page_playable_and_responsive(engine, web):
    engine.open(web.url + 'good/?pace=0')
    engine.start_heartbeat()
    for name in ODD:
        loads_and_plays(engine, web, name)
        engine.select('#catalog', web.catalog[0]['name'])  # the default again, for the next file
    assert engine.longest_gap() < 1000  # the main thread never froze (the 390 KB digit string included)


def test_the_card_itself_never_throws_on_hostile_values(engine, web):
    """The runtime refuses such files, but the card must not count on it: given objects where it expects strings,
    numbers and flags, it still renders, with blanks."""
    engine.open(web.url + 'good/?pace=0')
    summary = {'sha256': NOT_A_STRING, 'bytes': NOT_A_STRING, 'hidden_size': NOT_A_STRING, 'dtype': NOT_A_STRING,
               'figures': [NOT_A_STRING, [NOT_A_STRING, 'x'], ['wins', NOT_A_STRING]], **HOSTILE,
               'curve': {'left': NOT_A_STRING, 'lo': NOT_A_STRING, 'points': [
                   NOT_A_STRING, 5, {'at': NOT_A_STRING, 'x': 0.5}, {'at': 1, 'left': 2, 'x': [1], 'y': 0}]}}
    card = engine.evaluate('''async (summary) => {
        const { renderCard } = await import('./card.js');
        renderCard(document.getElementById('card'), 'hostile', summary);
        return document.getElementById('card').textContent;
    }''', summary)
    assert 'hostile' in card and 'object Object' not in card and 'unknown' in card
    engine.play(4)  # and the game goes on
    assert engine.board()[4] == 'X'


def by_games(*points):
    return [{'games': g, 'losses_x': x, 'losses_o': o, 'optimal_pct': pct} for g, x, o, pct in points]


@pytest.mark.parametrize('history, caption, ticks', [
    # a flat curve: a scale of one line, no half lines
    (by_games((1000, 0, 0, 100), (2000, 0, 0, 100), (3000, 0, 0, 100)),
     'losing lines (left) optimal moves (right) by self-play games. 1,000 games: losing lines 0, optimal moves 100%',
     ['0', '0%', '50%', '1', '100%', '1k', '2k', '3k']),
    # not yet perfect is not shown as 100%; millions of games
    (by_games((10 ** 6, 9, 4, 97.2), (2 * 10 ** 6, 3, 0, 99.2), (2_500_000, 1, 0, 99.87)),
     '2,500,000 games: losing lines 1, optimal moves 99.8%', ['0', '0%', '50%', '13', '100%', '1M', '2M', '2.5M']),
    # a sum past float64: that point is dropped, the others drawn
    (by_games((1, 1e308, 1e308, 50), (2, 4, 0, 60), (3, 2, 0, 70), (4, 0, 0, 80)),
     '2 games: losing lines 4, optimal moves 60%; 4 games: losing lines 0',
     ['0', '0%', '2', '50%', '4', '100%', '2', '3', '4']),
    # an older file: pooled losses by epoch; entries without an epoch are left out
    ([{'epoch': 1, 'losses': 40}, {'losses': 7}, {'epoch': 2, 'losses': 10}, {'epoch': 3, 'losses': 0}],
     'losing lines (left) by epoch. epoch 1: losing lines 40; epoch 3: losing lines 0',
     ['0', '20', '40', '1', '2', '3']),
    # loss only
    ([{'epoch': e, 'loss': 1 / e} for e in (1, 2, 3)], 'loss (left) by epoch. epoch 1: loss 1.00; epoch 3: loss 0.33',
     ['0.00', '0.50', '1.00', '1', '2', '3']),
])
def test_the_curve_reads_right_for_odd_histories(page, web, history, caption, ticks):
    open_page(page, web.url + 'good/?pace=0')
    drawn = page.evaluate('''async (shape) => {
        const { renderCard } = await import('./card.js');
        renderCard(document.getElementById('card'), 'odd', { curve: shape });
        const curve = document.getElementById('card-curve');
        return { caption: curve.querySelector('figcaption').textContent, svg: curve.innerHTML,
                 ticks: [...curve.querySelectorAll('text')].map((t) => t.textContent) };
    }''', curve(history))  # as the runtime's summary gives it
    assert caption in drawn['caption'] and 'NaN' not in drawn['svg'] and 'Infinity' not in drawn['svg']
    assert drawn['ticks'] == ticks


def test_a_refused_shared_link_and_an_odd_catalog_leave_the_page_playable(engine, web):
    engine.open(web.url + f'good/?pace=0&knowledge={web.url}extra/hostile.safetensors')
    assert 'This is not a knowledge file WOPR can use' in engine.text('#catalog-error p')
    assert engine.text('#card-title') == web.catalog[0]['name']
    play_game(engine, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(1)))

    engine.open(web.url + 'hostile/?pace=0')  # a catalog with objects for its method, size and evaluation
    options = engine.evaluate('() => [...document.querySelectorAll("#catalog option")].map((x) => x.text)')
    assert len(options) == len(web.catalog) and options[1] == f'{web.catalog[1]["name"]} (level easy)'
    engine.select('#catalog', web.catalog[1]['name'])
    assert engine.text('#card-title') == web.catalog[1]['name']
    play_game(engine, web.knowledge(web.catalog[1]), 'X', random_player(random.Random(2)))


@contextmanager
def dripping_server(seconds=30):
    """A real socket server on 127.0.0.1 that answers any request with a 100 KB body (200 MB when the path holds
    "huge"), one byte every half second; it stops by itself after `seconds`. Yields its URL."""
    listener = socket.create_server(('127.0.0.1', 0))
    listener.settimeout(0.5)
    until = time.monotonic() + seconds
    stop = threading.Event()

    def drip(connection):
        with connection:
            connection.settimeout(seconds)
            size = b'200000000' if b'huge' in connection.recv(65536).split(b'\r\n')[0] else b'100000'
            connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n'
                               b'Access-Control-Allow-Origin: *\r\nContent-Length: ' + size + b'\r\n\r\n')
            while time.monotonic() < until and not stop.is_set():
                try:
                    connection.sendall(b'\0')
                except OSError:  # the page gave up
                    return
                time.sleep(0.5)

    def serve():
        while time.monotonic() < until and not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=drip, args=(connection,), daemon=True).start()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{listener.getsockname()[1]}/knowledge.safetensors'
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_a_dripping_download_meets_its_deadline_a_huge_one_is_refused_and_cancel_stops_one(engine, web):
    with dripping_server() as url:
        engine.open(web.url + 'good/?pace=0&deadline=2')
        board = engine.board()
        began = time.monotonic()
        engine.fill('#url', url)
        engine.click('#url-form button')
        assert engine.visible('#cancel')
        engine.wait(READY, timeout=10)
        assert 1.5 < time.monotonic() - began < 8
        assert engine.text('#url-error p') == f'Could not use {url}. The download took too long and was stopped.'
        assert 'within 2 s' in engine.text('#url-error details')
        assert engine.board() == board and engine.text('#card-title') == web.catalog[0]['name']

        engine.fill('#url', url.replace('knowledge', 'huge'))  # its length alone refuses it, at once
        engine.click('#url-form button')
        engine.wait(READY, timeout=5)
        assert engine.text('#url-error p').endswith('The file is far too large to be a knowledge file.')

        engine.open(web.url + 'good/?pace=0')  # the default deadline: 30 s
        engine.fill('#url', url)
        engine.click('#url-form button')
        engine.click('#cancel')
        engine.wait(READY, timeout=5)
        assert engine.text('#url-error p') == f'Could not use {url}. Loading was cancelled.'
        assert not engine.visible('#loading')
        play_game(engine, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(2)))


def broken_bytecode(route):
    """The runtime as served (MicroPython bytecode in a bundle), every .mpy header made another version's (the same
    length: the bundle keeps its layout), as a runtime built for another engine would be."""
    body = route.fetch().body()
    route.fulfill(body=body.replace(b'M\x06', b'M\x05'), content_type='application/octet-stream')


@pytest.mark.parametrize('broken', ['runtime', 'wasm'])
def test_an_engine_that_cannot_start_is_told_in_words_without_a_traceback(browser, web, broken):
    context = browser.new_context()
    page = context.new_page()
    problems = watch(page)
    if broken == 'runtime':  # bytecode MicroPython refuses: its error carries a whole traceback
        page.route('**/runtime/**', broken_bytecode)
    else:
        page.route('**/micropython.wasm', lambda route: route.fulfill(status=404, body='gone'))
    page.goto(web.url + 'good/?pace=0')
    page.wait_for_selector('body[data-phase="failed"]', timeout=20_000)
    status = page.text_content('#status')
    assert status.startswith('Nothing can play') and 'Traceback' not in status and 'File "' not in status
    assert '\n' not in status
    if broken == 'runtime':  # the reason is the traceback's last line
        assert status.endswith('ValueError: incompatible .mpy file)')
    context.close()
    assert all('Traceback' not in p for p in problems)


@pytest.mark.parametrize('broken', ['runtime', 'wasm'])
def test_a_broken_engine_finishes_its_greeting_and_retry_starts_a_new_one(browser, web, broken):
    """The greeting is typed at its own pace (no ?pace=0): an engine that fails while it types leaves it whole, never
    cut mid-word; Retry (reloading the page, the one way to a new engine) plays once the engine's files are sound."""
    context = browser.new_context()
    page = context.new_page()
    problems = watch(page)
    where = '**/runtime/**' if broken == 'runtime' else '**/micropython.wasm'
    page.route(where, broken_bytecode if broken == 'runtime' else lambda route: route.fulfill(status=404, body='gone'))
    page.goto(web.url + 'good/')
    page.wait_for_selector('body[data-phase="failed"]', timeout=20_000)
    assert page.text_content('#boot') == 'GREETINGS PROFESSOR FALKEN.'
    assert page.is_visible('#retry') and page.is_enabled('#retry') and page.is_disabled('#undo')
    page.unroute(where)
    page.click('#retry')
    page.wait_for_selector(READY, timeout=20_000)
    assert page.is_hidden('#retry') and page.text_content('#status') == 'Your move: you are X.'
    click(page, 4)
    assert board_of(page)[4] == 'X' and board_of(page).count('O') == 1
    context.close()
    assert all('Traceback' not in p for p in problems)
