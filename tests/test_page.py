"""The page in Debian's headless Chromium, served by a plain static file server: games by clicking, the same moves
as the CPython runtime, thinking shown for WOPR's coming move, knowledge from the catalog, a file, a drop or a URL,
refusals at the control that caused them, and the phone layout. The tests over the `engine` fixture run in Chromium,
Firefox and WebKit alike."""
import random
from pathlib import Path

import pytest

from tests.support.browser import (
    READY,
    click,
    minimax,
    open_page,
    play_game,
    random_player,
)
from tests.support.engines import Chromium
from tests.support.site_files import broken_files
from wopr.runtime.game import Game
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT

FAST = '?pace=0'  # no thinking beat: the tests wait for states, not for the page's pace
CONTROLS = [f'#ttt{i}' for i in range(9)] + [
    'input[name="side"][value="X"]', 'input[name="side"][value="O"]', 'input[name="side"][value="2"]', '#level',
    '#new-game', '#zero', '#thinking', '#catalog', '.file-button', '#url', '#url-form button', '.score', '#status']


def card_title(page):
    return page.text_content('#card-title')


def error_at(engine, where):
    return engine.text(f'#{where}-error p') or ''


def fill_url(engine, url):
    """Load knowledge from a URL typed into the field."""
    engine.fill('#url', url)
    engine.click('#url-form button')
    engine.wait(READY)


@pytest.mark.parametrize('engine', ['chromium', 'firefox'], indirect=True)
def test_games_on_both_sides_match_cpython_and_the_default_never_loses(engine, web):
    """From a cold load (a fresh profile), twelve games on both sides."""
    engine.open(web.url + 'good/' + FAST)
    default = load(DEFAULT.read_bytes())
    rng, tally = random.Random(7), {'you': 0, 'draw': 0, 'ai': 0}
    for human in ('X', 'O'):
        engine.choose(f'input[name="side"][value="{human}"]')
        for opponent in [minimax(rng)] * 3 + [random_player(rng)] * 3:
            status = play_game(engine, default, human, opponent)
            assert status['winner'] != human, status
            tally['ai' if status['winner'] else 'draw'] += 1
            text = engine.text('#result-text')
            struck = engine.evaluate('() => [...document.querySelectorAll(".cell.win")].map((c) => +c.id.slice(3))')
            if status['winner']:
                assert text.startswith('WOPR wins') and struck == status['line']
                assert engine.evaluate('() => document.querySelector("#strike").getAttribute("class")') == \
                    status['winner']  # the winner's colour
            else:
                assert text.startswith('A draw') and struck == []
            assert not any(engine.cells_enabled())  # a finished game takes no move
            assert engine.focused() == 'again'  # "Play again", focused
            assert {k: int(engine.text(f'#score-{k}')) for k in tally} == tally
            engine.choose('#again')
    engine.snap('played')


def test_new_game_at_once_without_reload_and_keys_play(engine, web):
    engine.open(web.url + 'good/' + FAST)
    engine.evaluate('() => { window.sameDocument = true; }')
    engine.key('5')
    engine.wait(READY)
    game = Game(load(DEFAULT.read_bytes()), 'X')
    game.play(4)
    assert engine.board() == game.board
    assert engine.evaluate(f'() => document.querySelector("#ttt{game.last["cell"]}").getAttribute("class")') == \
        'cell last'  # its ring, in O's colour
    engine.choose('#new-game')
    assert engine.board() == [''] * 9
    engine.choose('input[name="side"][value="O"]')  # no move made yet: the new side applies at once; WOPR opens
    assert engine.board() == Game(load(DEFAULT.read_bytes()), 'O').board
    assert engine.evaluate('() => window.sameDocument') is True
    assert 'you are O' in engine.text('#status')


def test_thinking_shows_the_distribution_of_wopr_s_coming_move(engine, web):
    """During WOPR's beat the free squares carry the probabilities it is choosing from, in large labels matching their
    spoken names; then it plays, and on the person's turn no square carries a number that could read as a hint."""
    engine.open(web.url + f'good/?pace=4&knowledge={web.url}extra/lively.safetensors')
    engine.choose('#thinking')
    game = Game(web.lively, 'X')
    engine.click('#ttt0')
    game.play(0)
    engine.wait('.heat')
    assert engine.visible('#heat-legend') and 'next move' in engine.text('#heat-legend')
    shown = engine.evaluate('() => [...document.querySelectorAll(".cell")].map((c) => '
                            '[c.querySelector(".heat")?.textContent ?? null, c.getAttribute("aria-label")])')
    for cell, (text, label) in enumerate(shown):
        if cell == 0:
            assert text is None and label == 'Square 1, X'
        else:
            assert text == f'{round(100 * game.last["probs"][cell])}%' and label.endswith(f', WOPR {text}')
    assert engine.board()[game.last['cell']] == ''  # the decision is still to come
    engine.snap('thinking')
    engine.wait(READY)
    assert engine.board() == game.board and engine.text('.heat') is None
    assert f'its network gave it {round(100 * game.status()["last"]["prob"])}%' in engine.text('#status')


def test_knowledge_card_leads_with_a_plain_verdict(page, web):
    open_page(page, web.url + 'good/' + FAST)
    default = load(DEFAULT.read_bytes())
    assert card_title(page) == web.catalog[0]['name']
    assert page.text_content('#card-summary') == 'Never loses: checked against every possible game, as X and as O.'
    assert f'{default.hidden_size} hidden units' in page.text_content('#card-size')
    assert not page.is_visible('#card-facts')  # technical details: collapsed
    page.click('#card-details summary')
    facts = dict(zip(page.eval_on_selector_all('#card-facts dt', 'e => e.map((x) => x.textContent)'),
                     page.eval_on_selector_all('#card-facts dd', 'e => e.map((x) => x.textContent)')))
    assert facts['Method'].startswith(default.training['method']) and facts['sha256'] == default.sha256
    assert f"{default.training['seconds']:.1f} s" in facts['Training time']
    rows = page.eval_on_selector_all('#card-evaluation tbody tr', 'rows => rows.map((r) => r.innerText)')
    assert any(row.split('\t') == ['losses', '0', '0'] for row in rows)
    assert any(row.split('\t') == ['fastest-win moves', '100%', '100%'] for row in rows)
    if len(default.history) >= 3:
        assert page.locator('#card-curve svg circle.losing').count() == len(default.history)
    else:  # one or two epochs: numbers, not a chart of one dot
        assert page.locator('#card-curve svg').count() == 0
        assert page.locator('#card-curve li').count() == len(default.history)
    page.select_option('#catalog', web.entry('winning-x')['name'])
    page.wait_for_selector(READY)
    summary = page.text_content('#card-summary')
    evaluation = web.knowledge(web.entry('winning-x')).evaluation
    assert summary.startswith(f"Beatable: it loses {evaluation['X']['losses']} of the {evaluation['X']['games']}")
    # the network that taught itself: its curve counts self-play games, not epochs
    page.select_option('#catalog', web.entry('self-play')['name'])
    page.wait_for_selector(READY)
    history = web.knowledge(web.entry('self-play')).history
    first, last = history[0], history[-1]
    caption = page.text_content('#card-curve figcaption')
    assert caption.startswith('losing lines (left) optimal moves (right) by self-play games. ')
    assert f"{first['games']:,} games: losing lines {first['losses_x'] + first['losses_o']:,}, optimal moves" in caption
    assert f"{last['games']:,} games: losing lines 0, optimal moves 100%, perfect" in caption
    assert page.locator('#card-curve svg circle.losing').count() == len(history)


def test_good_upload_and_drop_play_the_uploaded_knowledge(engine, web):
    engine.open(web.url + 'good/' + FAST)
    path = web.root / 'extra' / 'lively.safetensors'
    engine.set_file(path)
    engine.wait(READY)
    assert engine.text('#card-title') == 'lively.safetensors'
    assert error_at(engine, 'file') == ''
    assert engine.evaluate('() => document.querySelector("#catalog").selectedOptions[0].text') == \
        'Yours: lively.safetensors'
    play_game(engine, web.lively, 'X', random_player(random.Random(1)))
    engine.choose('#new-game')
    engine.select('#catalog', web.catalog[0]['name'])  # back to the catalog, then drop the file on the page
    engine.evaluate('''(bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], 'dropped.safetensors'));
        document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true }));
    }''', list(path.read_bytes()))
    engine.wait(READY)  # the drop makes the page busy at once
    assert engine.text('#card-title') == 'dropped.safetensors'
    play_game(engine, web.lively, 'X', random_player(random.Random(2)))


def test_a_broken_upload_is_explained_at_the_drop_zone_and_the_game_goes_on(engine, web, tmp_path):
    engine.open(web.url + 'good/' + FAST)
    game = Game(load(DEFAULT.read_bytes()), 'X')
    engine.play(4)
    game.play(4)
    for name, (data, message) in broken_files().items():
        (tmp_path / name).write_bytes(data)
        engine.set_file(tmp_path / name)
        engine.wait(READY)
        assert error_at(engine, 'file') == (f'Could not use {name}. This is not a knowledge file WOPR can use: it may '
                                            'be damaged, cut short or another kind of file.')
        assert engine.text('#file-error details') == f'Technical reason{message}'  # collapsed, one click away
        assert error_at(engine, 'url') == error_at(engine, 'catalog') == ''
        assert engine.text('#card-title') == web.catalog[0]['name']
        assert engine.board() == game.board  # the game in progress is untouched
    engine.snap('upload-refused')
    rng = random.Random(3)
    while not game.status()['over']:
        cell = rng.choice([c for c in range(9) if not game.board[c]])
        engine.play(cell)
        game.play(cell)
        assert engine.board() == game.board


def test_knowledge_from_a_shared_link_and_from_the_url_field(engine, web):
    lively_url = web.url + 'extra/lively.safetensors'
    engine.open(web.url + f'good/?pace=0&knowledge={lively_url}')
    assert engine.text('#card-title') == lively_url
    play_game(engine, web.lively, 'X', random_player(random.Random(4)))
    engine.choose('#new-game')
    engine.select('#catalog', web.catalog[0]['name'])
    assert 'knowledge=' not in engine.url()  # the default needs no link
    fill_url(engine, lively_url)
    assert engine.text('#card-title') == lively_url
    shared = engine.url()
    assert 'knowledge=' in shared
    engine.open(shared)  # the link reopens the same knowledge
    assert engine.text('#card-title') == lively_url
    fill_url(engine, web.url + 'extra/no-such-file.safetensors')
    assert 'could not be downloaded' in error_at(engine, 'url') and 'HTTP 404' in engine.text('#url-error details')
    assert error_at(engine, 'file') == '' and engine.text('#card-title') == lively_url


def test_a_broken_shared_link_says_why_and_the_default_plays(engine, web):
    engine.open(web.url + f'good/?pace=0&knowledge={web.url}extra/truncated.safetensors')
    assert 'This is not a knowledge file WOPR can use' in error_at(engine, 'catalog')
    assert error_at(engine, 'catalog').endswith('The default plays instead.')
    assert broken_files()['truncated.safetensors'][1] in engine.text('#catalog-error details')
    assert engine.text('#card-title') == web.catalog[0]['name']
    play_game(engine, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(5)))


def test_catalog_files_are_checked_against_their_sha256(engine, web):
    second = web.catalog[1]
    engine.open(web.url + 'good/' + FAST)
    engine.select('#catalog', second['name'])
    assert engine.text('#card-title') == second['name']
    play_game(engine, web.knowledge(second), 'X', random_player(random.Random(6)))

    engine.open(web.url + 'tampered/' + FAST)
    engine.select('#catalog', second['name'])
    assert 'not the one the catalog lists' in error_at(engine, 'catalog')
    assert 'does not match the catalog' in engine.text('#catalog-error details')
    assert engine.text('#card-title') == web.catalog[0]['name']
    assert engine.value('#catalog') == web.catalog[0]['name']
    play_game(engine, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(6)))


def test_phone_layout_shows_every_control_within_360px(engine, web):
    """A 360 x 740 viewport (in WebKitGTK a frame of that size: see tests.support.webkit.Page.resize)."""
    engine.resize(360, 740)
    engine.open(web.url + 'good/' + FAST)
    engine.play(4)
    assert engine.evaluate('() => document.documentElement.scrollWidth') <= 360
    assert engine.box('#level')['y'] + 44 <= 740  # the level is on the first screen
    for selector in CONTROLS:
        box = engine.box(selector)
        assert engine.visible(selector), selector
        assert box and box['x'] >= 0 and box['x'] + box['width'] <= 360, (selector, box)
    assert engine.box('#ttt0')['width'] >= 44  # a comfortable touch target
    engine.snap('phone')


def test_nothing_moves_while_the_page_loads_and_types_its_greeting(browser, web):
    """The boot line types into a box that is there from the first paint; loading, the legend, the result and the keys
    share one reserved place below the board: no layout shift at all, on a phone or a desktop."""
    for viewport in ({'width': 360, 'height': 740}, {'width': 1280, 'height': 800}):
        context = browser.new_context(viewport=viewport)
        context.add_init_script('window.shifts = []; new PerformanceObserver((list) => window.shifts.push(...list'
                                '.getEntries().map((e) => e.value))).observe({type: "layout-shift", buffered: true})')
        page = context.new_page()
        open_page(page, web.url + 'good/')
        page.wait_for_selector('#boot:has-text("SHALL WE PLAY A GAME?")')
        assert page.evaluate('window.shifts') == [], viewport
        context.close()


def test_marks_are_drawn_as_strokes_unless_motion_is_reduced(browser, web):
    for motion, animation in (('no-preference', 'draw'), ('reduce', 'none')):
        context = browser.new_context(reduced_motion=motion)
        page = context.new_page()
        open_page(page, web.url + 'good/')
        click(page, 4)
        assert page.eval_on_selector('#ttt4 .mark.X path', 'p => getComputedStyle(p).animationName') == animation
        if motion == 'reduce':  # the greeting is there at once, not typed
            assert page.text_content('#boot') in ('GREETINGS PROFESSOR FALKEN.', 'SHALL WE PLAY A GAME?')
        context.close()


def test_a_2018_gob_file_plays_as_the_runtime_converts_it(engine, web):
    path = Path(__file__).parent / 'fixtures' / 'gob' / 'h8.bin'
    knowledge = load(path.read_bytes())
    engine.open(web.url + 'good/' + FAST)
    engine.set_file(path)
    engine.wait(READY)
    assert error_at(engine, 'file') == ''
    assert engine.text('#card-title') == 'h8.bin'
    play_game(engine, knowledge, 'X', random_player(random.Random(8)))


def test_a_catalog_file_older_than_the_catalog_is_fetched_again_not_refused(page, web):
    """A browser cache may hold the previous publish's file for a while; the page asks the server again once."""
    second = web.catalog[1]
    served = []

    def stale_first(route):
        served.append(route.request.url)
        if len(served) == 1:
            route.fulfill(body=DEFAULT.read_bytes(), content_type='application/octet-stream')
        else:
            route.continue_()
    page.context.route(f'**/good/knowledge/{second["file"]}', stale_first)
    open_page(page, web.url + 'good/' + FAST)
    page.select_option('#catalog', second['name'])
    page.wait_for_selector(READY)
    assert error_at(Chromium.of(page), 'catalog') == ''
    assert card_title(page) == second['name']
    assert len(served) == 2


def test_every_engine_reports_the_page_s_console_errors_and_uncaught_ones(engine, web):
    """The fixture's promise (a console error or warning fails the test) holds in each engine's adapter."""
    engine.open(web.url + 'good/' + FAST)
    engine.evaluate('() => { console.error("seen error"); console.warn("seen warning"); console.log("not a problem");'
                    ' setTimeout(() => { throw new Error("seen uncaught"); }); }')
    engine.wait_for('() => new Promise((done) => setTimeout(() => done(true), 100))')
    seen = ' '.join(engine.problems)
    assert all(f'seen {what}' in seen for what in ('error', 'warning', 'uncaught')) and 'not a problem' not in seen
    engine.forget_problems()
