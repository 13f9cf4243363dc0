"""The page in Debian's headless Chromium, served by a plain static file server: games by clicking, the same moves
as the CPython runtime, knowledge from the catalog, a file, a drop or a URL, refusals, and the phone layout."""
import json
import random
import shutil
from pathlib import Path

import pytest

from tests.support.browser import READY, board_of, click, open_page, play_game, random_player, static_server, watch
from tests.support.knowledge_files import make_knowledge
from wopr import solver
from wopr.runtime.format import KnowledgeError
from wopr.runtime.game import Game
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT
from wopr.web import site

SCREENSHOTS = Path(__file__).resolve().parents[1] / 'build' / 'screenshots'
CONTROLS = [f'#ttt{i}' for i in range(9)] + [
    'input[name="side"][value="X"]', 'input[name="side"][value="O"]', '#new-game', '#thinking', '#catalog',
    '#file', '#url', '#url-form button', '.score', '#status']


def broken_files():
    """Hostile or damaged knowledge, each with the CPython reader's own message for it."""
    good = DEFAULT.read_bytes()
    nan = bytearray(good)
    nan[-4:] = b'\x00\x00\xc0\x7f'  # the last weight (head.bias, F32) becomes NaN
    files = {'truncated.safetensors': good[:len(good) // 2], 'nan.safetensors': bytes(nan),
             'huge-header.safetensors': (2 ** 40).to_bytes(8, 'little') + b'{}',
             'notes.safetensors': b'Shall we play a game? Not with this file.'}
    messages = {}
    for name, data in files.items():
        with pytest.raises(KnowledgeError) as refused:
            load(data)
        messages[name] = (data, str(refused.value))
    return messages


class Web:
    def __init__(self, root, url):
        self.root, self.url = root, url
        self.lively = load((root / 'extra' / 'lively.safetensors').read_bytes())


@pytest.fixture(scope='module')
def web(tmp_path_factory):
    """One plain static server for the module: /good/ is the built site, /tampered/ a copy whose catalog has a wrong
    sha256 for its second file, /extra/ knowledge files outside any catalog."""
    root = tmp_path_factory.mktemp('web')
    site.build(root / 'good')
    shutil.copytree(root / 'good', root / 'tampered')
    catalog_path = root / 'tampered' / 'knowledge' / 'index.json'
    catalog = json.loads(catalog_path.read_text())
    catalog['knowledge'][1]['sha256'] = '0' * 64
    catalog_path.write_text(json.dumps(catalog))
    (root / 'extra').mkdir()
    make_knowledge(root / 'extra', hidden=16, seed=3, scale=3.0, name='lively.safetensors')
    for name, (data, _) in broken_files().items():
        (root / 'extra' / name).write_bytes(data)
    with static_server(root) as url:
        yield Web(root, url)


def minimax(rng):
    return lambda board: rng.choice(sorted(solver.optimal_moves(board)))


def choose_side(page, side):
    page.check(f'input[name="side"][value="{side}"]')
    page.wait_for_selector(READY)


def test_games_on_both_sides_match_cpython_and_the_default_never_loses(page, web):
    open_page(page, web.url + 'good/')
    default = load(DEFAULT.read_bytes())
    rng, tally = random.Random(7), {'you': 0, 'draw': 0, 'ai': 0}
    for human in ('X', 'O'):
        choose_side(page, human)
        for opponent in [minimax(rng)] * 3 + [random_player(rng)] * 3:
            status = play_game(page, default, human, opponent)
            assert status['winner'] != human, status
            tally['ai' if status['winner'] else 'draw'] += 1
            text = page.text_content('#status')
            highlighted = page.eval_on_selector_all('.cell.win', 'cells => cells.map((c) => Number(c.id.slice(3)))')
            if status['winner']:
                assert text.startswith('WOPR wins') and highlighted == status['line']
            else:
                assert text.startswith('A draw') and highlighted == []
            assert all(page.is_disabled(f'#ttt{i}') for i in range(9))  # a finished game takes no move
            assert {k: int(page.text_content(f'#score-{k}')) for k in tally} == tally
            page.click('#new-game')
            page.wait_for_selector(READY)
    page.screenshot(path=str(SCREENSHOTS / 'desktop.png'), full_page=True)


def test_new_game_at_once_without_reload_and_keys_play(page, web):
    open_page(page, web.url + 'good/')
    page.evaluate('window.sameDocument = true')
    page.keyboard.press('5')
    page.wait_for_selector(READY)
    game = Game(load(DEFAULT.read_bytes()), 'X')
    game.play(4)
    assert board_of(page) == game.board
    page.click('#new-game')
    page.wait_for_selector(READY)
    assert board_of(page) == [''] * 9
    choose_side(page, 'O')  # the network opens as X at once
    assert board_of(page) == Game(load(DEFAULT.read_bytes()), 'O').board
    assert page.evaluate('window.sameDocument') is True
    assert 'you are O' in page.text_content('#status')


def test_show_thinking_gives_the_runtimes_probabilities(page, web):
    open_page(page, web.url + f'good/?knowledge={web.url}extra/lively.safetensors')
    page.check('#thinking')
    game = Game(web.lively, 'X')
    click(page, 0)
    game.play(0)
    shown = page.eval_on_selector_all('.cell', 'cells => cells.map((c) => c.querySelector(".prob")?.textContent)')
    for cell, text in enumerate(shown):
        if game.board[cell] and cell != game.last['cell']:
            assert text is None  # taken before the network chose: not a candidate
        else:
            assert abs(float(text.rstrip('%')) - 100 * game.last['probs'][cell]) <= 0.51
    page.uncheck('#thinking')
    assert page.query_selector('.prob') is None


def test_knowledge_card_of_the_default(page, web):
    open_page(page, web.url + 'good/')
    default = load(DEFAULT.read_bytes())
    assert page.text_content('#card-title') == 'default'
    facts = dict(zip(page.eval_on_selector_all('#card-facts dt', 'e => e.map((x) => x.textContent)'),
                     page.eval_on_selector_all('#card-facts dd', 'e => e.map((x) => x.textContent)')))
    assert facts['Hidden size'] == str(default.hidden_size)
    assert facts['Method'].startswith(default.training['method'])
    assert f"{default.training['seconds']:.1f} s" in facts['Training time']
    assert page.get_attribute('#card-facts dd:nth-of-type(3)', 'title') == default.sha256
    rows = page.eval_on_selector_all('#card-evaluation tbody tr', 'rows => rows.map((r) => r.innerText)')
    assert any(row.split('\t') == ['losses', '0', '0'] for row in rows)
    assert page.locator('#card-curve svg path.line.loss').count() == 1
    assert page.locator('#card-curve svg circle.loss').count() == len(default.history)


def test_good_upload_and_drop_play_the_uploaded_knowledge(page, web):
    open_page(page, web.url + 'good/')
    path = web.root / 'extra' / 'lively.safetensors'
    page.set_input_files('#file', str(path))
    page.wait_for_selector(READY)
    assert page.text_content('#card-title') == 'lively.safetensors'
    assert page.text_content('#knowledge-error') == ''
    assert page.eval_on_selector('#catalog', 's => s.selectedOptions[0].text') == 'Yours: lively.safetensors'
    play_game(page, web.lively, 'X', random_player(random.Random(1)))
    page.click('#new-game')
    page.wait_for_selector(READY)
    page.select_option('#catalog', 'default')  # back to the catalog, then drop the file on the page
    page.wait_for_selector(READY)
    assert page.text_content('#card-title') == 'default'
    page.evaluate('''bytes => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], 'dropped.safetensors'));
        document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true }));
    }''', list(path.read_bytes()))
    page.wait_for_selector(READY)  # the drop makes the page busy at once
    assert page.text_content('#card-title') == 'dropped.safetensors'
    play_game(page, web.lively, 'X', random_player(random.Random(2)))


def test_broken_uploads_show_the_readers_error_and_the_knowledge_in_use_keeps_playing(page, web):
    open_page(page, web.url + 'good/')
    default = load(DEFAULT.read_bytes())
    game = Game(default, 'X')
    click(page, 4)
    game.play(4)
    for name, (data, message) in broken_files().items():
        page.set_input_files('#file', files=[{'name': name, 'mimeType': 'application/octet-stream', 'buffer': data}])
        page.wait_for_selector(READY)
        assert page.text_content('#knowledge-error') == f'Could not use {name}: {message}'
        assert page.text_content('#card-title') == 'default'
        assert board_of(page) == game.board  # the game in progress is untouched
    rng = random.Random(3)
    while not game.status()['over']:
        cell = rng.choice([c for c in range(9) if not game.board[c]])
        click(page, cell)
        game.play(cell)
        assert board_of(page) == game.board


def test_knowledge_from_a_shared_link_and_from_the_url_field(page, web):
    lively_url = web.url + 'extra/lively.safetensors'
    open_page(page, web.url + f'good/?knowledge={lively_url}')
    assert page.text_content('#card-title') == lively_url
    play_game(page, web.lively, 'X', random_player(random.Random(4)))
    page.click('#new-game')
    page.wait_for_selector(READY)
    page.select_option('#catalog', 'default')
    page.wait_for_selector(READY)
    assert 'knowledge=' not in page.url  # the default needs no link
    page.fill('#url', lively_url)
    page.click('#url-form button')
    page.wait_for_selector(READY)
    assert page.text_content('#card-title') == lively_url
    shared = page.url
    assert 'knowledge=' in shared
    page.goto(shared)  # the link reopens the same knowledge
    page.wait_for_selector(READY)
    assert page.text_content('#card-title') == lively_url


def test_a_broken_shared_link_says_why_and_the_default_plays(page, web):
    message = broken_files()['truncated.safetensors'][1]
    open_page(page, web.url + f'good/?knowledge={web.url}extra/truncated.safetensors')
    assert message in page.text_content('#knowledge-error')
    assert 'The default knowledge plays instead.' in page.text_content('#knowledge-error')
    assert page.text_content('#card-title') == 'default'
    play_game(page, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(5)))


def test_catalog_files_are_checked_against_their_sha256(page, web):
    second = json.loads((web.root / 'good' / 'knowledge' / 'index.json').read_text())['knowledge'][1]
    knowledge = load((web.root / 'good' / 'knowledge' / second['file']).read_bytes())
    open_page(page, web.url + 'good/')
    page.select_option('#catalog', second['name'])
    page.wait_for_selector(READY)
    assert page.text_content('#card-title') == second['name']
    play_game(page, knowledge, 'X', random_player(random.Random(6)))

    open_page(page, web.url + 'tampered/')
    page.select_option('#catalog', second['name'])
    page.wait_for_selector(READY)
    error = page.text_content('#knowledge-error')
    assert 'does not match the catalog' in error and 'refused' in error
    assert page.text_content('#card-title') == 'default'
    assert page.eval_on_selector('#catalog', 's => s.value') == 'default'
    play_game(page, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(6)))


def test_phone_layout_shows_every_control_within_360px(browser, web):
    context = browser.new_context(viewport={'width': 360, 'height': 740}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = watch(page)
    open_page(page, web.url + 'good/')
    page.tap('#ttt4')
    page.wait_for_selector(READY)
    page.check('#thinking')
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / 'phone.png'), full_page=True)
    assert page.evaluate('document.documentElement.scrollWidth') <= 360
    for selector in CONTROLS:
        box = page.locator(selector).bounding_box()
        assert page.is_visible(selector), selector
        assert box and box['x'] >= 0 and box['x'] + box['width'] <= 360, (selector, box)
    assert page.locator('#ttt0').bounding_box()['width'] >= 44  # a comfortable touch target
    context.close()
    assert problems == []


def test_a_2018_gob_file_plays_as_the_runtime_converts_it(page, web):
    path = Path(__file__).parent / 'fixtures' / 'gob' / 'h8.bin'
    knowledge = load(path.read_bytes())
    open_page(page, web.url + 'good/')
    page.set_input_files('#file', str(path))
    page.wait_for_selector(READY)
    assert page.text_content('#knowledge-error') == ''
    assert page.text_content('#card-title') == 'h8.bin'
    play_game(page, knowledge, 'X', random_player(random.Random(8)))


def test_a_catalog_file_older_than_the_catalog_is_fetched_again_not_refused(page, web):
    """A browser cache may hold the previous publish's file for a while; the page asks the server again once."""
    second = json.loads((web.root / 'good' / 'knowledge' / 'index.json').read_text())['knowledge'][1]
    served = []

    def stale_first(route):
        served.append(route.request.url)
        if len(served) == 1:
            route.fulfill(body=DEFAULT.read_bytes(), content_type='application/octet-stream')
        else:
            route.continue_()
    page.context.route(f'**/good/knowledge/{second["file"]}', stale_first)
    open_page(page, web.url + 'good/')
    page.select_option('#catalog', second['name'])
    page.wait_for_selector(READY)
    assert page.text_content('#knowledge-error') == ''
    assert page.text_content('#card-title') == second['name']
    assert len(served) == 2
