"""Everything a player needs is in view at a laptop's 1280 x 800 and a phone's 360 x 740, in every state of the game,
without scrolling: the board, the status, the level, the players, New game (Play again once a game ended) and WOPR vs
WOPR. Nothing moves when the result banner or a replay appears, and the status does not repeat the banner."""
import random

import pytest

from harness.browser import play_game, random_player
from wopr.runtime.game import Game
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT

SIZES = [(1280, 800), (360, 740)]
IN_VIEW = ['#board', '#status', '#level', 'fieldset.side', '#new-game', '#zero']
STEADY = ['#board', '#level', 'fieldset.side', '#new-game', '#zero', '#score']  # what the banner must not move
# Chromium's layout shifts while the banner appears (the Layout Instability API: only Chromium has it)
SHIFTS = '''() => {
  window.__shift = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shift += e.value;
  }).observe({ type: 'layout-shift', buffered: false });
}'''


def out_of_view(engine, size, selectors=IN_VIEW):
    """The selectors whose box is not wholly inside the viewport, with the page at its top."""
    width, height = size
    assert engine.evaluate('() => [scrollX, scrollY]') == [0, 0]  # nothing scrolled the page
    def inside(b):
        return b['width'] and b['height'] and 0 <= b['x'] <= width - b['width'] and 0 <= b['y'] <= height - b['height']
    return {s: b for s in selectors if not inside(b := engine.box(s))}


# the lines each of the card's column headers takes ("as X", "as O")
HEADER_LINES = '''() => [...document.querySelectorAll('.evaluation th[scope="col"]')].map((th) => {
  const range = document.createRange();
  range.selectNodeContents(th);
  return range.getClientRects().length;
})'''


def shown(engine, name, size, selectors=IN_VIEW):
    """The state `name` in view, without an accessibility violation, and its screenshot in build/screenshots."""
    engine.snap(f'in-view-{name}')
    assert out_of_view(engine, size, selectors) == {}, name
    assert engine.axe_violations() == [], name


@pytest.mark.parametrize('size', SIZES, ids=['laptop', 'phone'])
def test_every_control_of_the_game_is_in_view_in_every_state(engine, web, size):
    engine.resize(*size)
    engine.open(web.url + 'good/?pace=0')
    shown(engine, 'loaded', size)
    before = {s: engine.box(s) for s in STEADY}
    engine.evaluate('() => { document.querySelector("#card-details").open = true; }')  # the card's details open
    shown(engine, 'card-open', size)
    assert engine.evaluate(HEADER_LINES) == [1, 1]  # no header wraps, at 360 px too

    if engine.name == 'chromium':
        engine.evaluate(SHIFTS)
    play_game(engine, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(3)))  # WOPR wins or draws
    engine.wait('#result:not([hidden])')
    shown(engine, 'banner', size, [*IN_VIEW, '#again'])
    assert {s: engine.box(s) for s in STEADY} == before  # the banner's place was kept for it
    assert engine.text('#result-text') not in engine.text('#status')  # said once
    if engine.name == 'chromium':
        assert engine.evaluate('() => window.__shift') == 0

    engine.click('#review')  # the game's replay, a move back: its heat map and its controls in the same place
    engine.wait('body[data-phase="replay"]')
    engine.key('ArrowLeft')
    engine.wait('.heat')
    shown(engine, 'replay', size, [*IN_VIEW, '#replay-moves', '#replay-back', '#replay-forward', '#replay-done'])
    assert {s: engine.box(s) for s in STEADY} == before
    if engine.name == 'chromium':
        assert engine.evaluate('() => window.__shift') == 0


@pytest.mark.parametrize('size', SIZES, ids=['laptop', 'phone'])
def test_wopr_vs_wopr_plays_in_view(engine, web, size):
    engine.resize(*size)
    engine.open(web.url + 'good/?pace=5')  # a slow scene: its first game is on the board while it is measured
    # pressed in the page (what this test measures is the layout, not the driver's pointer: WebKitGTK's WebDriver
    # click into the phone-sized frame was lost once under load; clicks on it are tested in test_page_play)
    engine.evaluate('() => document.querySelector("#zero").click()')
    engine.wait_for('() => document.querySelector("#zero").textContent.startsWith("Stop")')
    engine.wait_for('() => document.querySelectorAll(".cell:not([data-mark=\'\'])").length >= 2')
    shown(engine, 'wopr-vs-wopr', size)


@pytest.mark.parametrize('size', SIZES, ids=['laptop', 'phone'])
def test_wopr_s_thinking_is_in_view_with_its_legend(engine, web, size):
    engine.resize(*size)
    engine.open(web.url + 'good/?pace=20')  # a long beat (22 s): the heat map stays while it is measured
    engine.choose('#thinking')  # below the fold on a phone: the click scrolled to it
    engine.evaluate('() => scrollTo(0, 0)')
    engine.click('#ttt4')
    engine.wait('#heat-legend:not([hidden])')
    shown(engine, 'thinking', size, [*IN_VIEW, '#heat-legend'])


@pytest.mark.parametrize('size', SIZES, ids=['laptop', 'phone'])
def test_a_whole_games_replay_from_a_link_fits_in_its_place(engine, web, size):
    """Nine moves (a draw of WOPR against itself, opened by a shared link): one row of moves, nothing moved."""
    game = Game(load(DEFAULT.read_bytes()), players=0)
    game.play(4)
    while not game.status()['over']:
        game.ai_move()
    engine.resize(*size)
    engine.open(web.url + 'good/?pace=0')
    before = {s: engine.box(s) for s in STEADY}
    engine.goto(web.url + 'good/?pace=0&moves=' + ','.join(str(c + 1) for c in game.moves))
    engine.wait('body[data-phase="replay"]', 20)
    assert len(game.moves) == 9 and engine.evaluate(
        '() => new Set([...document.querySelectorAll("#replay-moves button")].map((b) => b.offsetTop)).size') == 1
    shown(engine, 'replay-link', size, [*IN_VIEW, '#replay-moves', '#replay-back', '#replay-forward', '#replay-done'])
    assert {s: engine.box(s) for s in STEADY} == before
