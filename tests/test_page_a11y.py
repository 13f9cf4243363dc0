"""axe-core (npm, evaluated by the driver or served from the page's own origin, so its CSP stays as it is) finds no
violation in any state of the page, on a phone and on a desktop: loading, playing, thinking shown, each ending, an
error shown, the technical details open, WOPR vs WOPR under way and ended, the card's check under way, passed and
failed, nothing able to play, in Chromium, Firefox and WebKit; a move taken back, the two players' tally, the score
reset and a broken engine in Chromium. A screenshot of each state is saved for review (build/screenshots/)."""
import pytest

from harness.browser import READY, axe_violations, snap, watch
from harness.engines import Chromium
from tests.support.games import winning_line
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT

SIZES = {'phone': (360, 740), 'desktop': (1280, 800)}


def checked(engine, state):
    """The state's screenshot, and axe's verdict on it."""
    engine.snap(state)
    assert engine.axe_violations() == [], state


def play_line(engine, line):
    for cell in line:
        engine.play(cell)


@pytest.mark.parametrize('size', SIZES)
def test_no_axe_violation_while_loading(browser, web, size):
    """The loading state, held by holding the catalog's request (Playwright's routes: Chromium only)."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={'width': width, 'height': height})
    page = context.new_page()
    problems = watch(page)
    held = []
    page.route('**/knowledge/index.json', lambda route: held.append(route))  # the page stays in its loading state
    page.goto(web.url + 'good/?pace=0')
    page.wait_for_selector('#boot:has-text("GREETINGS")')
    snap(page, 'loading')
    assert axe_violations(page) == []
    held[0].continue_()
    page.unroute('**/knowledge/index.json')
    page.wait_for_selector(READY)
    context.close()
    assert problems == []


# both sizes in Chromium, the phone in WebKit (a phone's engine), the desktop in Firefox
@pytest.mark.parametrize('engine, size', [('chromium', 'phone'), ('webkit', 'phone'), ('chromium', 'desktop'),
                                          ('firefox', 'desktop')], indirect=['engine'])
def test_no_axe_violation_in_any_state(engine, web, size, tmp_path):
    engine.resize(*SIZES[size])
    engine.open(web.url + 'good/?pace=0')
    default = load(DEFAULT.read_bytes())

    engine.play(4)
    checked(engine, 'playing')
    engine.choose('#new-game')
    play_line(engine, winning_line(default, 'X', winner='O'))
    checked(engine, 'lost')
    engine.choose('#again')
    play_line(engine, winning_line(default, 'X', winner='draw'))
    checked(engine, 'draw')

    engine.select('#level', 'easy')
    play_line(engine, winning_line(web.knowledge(web.entry('winning-x')), 'X'))
    checked(engine, 'won')

    engine.choose('input[name="side"][value="2"]')
    play_line(engine, [0, 3, 1, 4, 2])
    checked(engine, 'two-players-won')

    (tmp_path / 'notes.safetensors').write_bytes(b'notes')
    engine.set_file(tmp_path / 'notes.safetensors')
    engine.wait(READY)
    engine.click('#file-error summary')
    engine.click('#card-details summary')
    checked(engine, 'error-and-details')

    engine.open(web.url + 'good/?pace=4')  # thinking, with time to look at it
    engine.choose('input[name="side"][value="X"]')  # remembered from above: two players, level easy
    engine.select('#level', 'perfect')
    engine.choose('#thinking')
    engine.click('#ttt0')
    engine.wait('.heat')
    checked(engine, 'thinking')
    engine.wait(READY)
    engine.click('#zero')
    engine.wait('.heat')
    checked(engine, 'wopr-vs-wopr')
    engine.click('#zero')  # stop

    engine.open(web.url + 'good/?pace=0')
    # pressed in the page: what this state checks is axe's verdict, not the driver's pointer (WebKitGTK's WebDriver
    # click into the phone-sized frame was lost here under CI's load; clicks on it are tested in test_page_play)
    engine.evaluate('() => document.querySelector("#zero").click()')
    engine.wait('#result:not([hidden])', timeout=60)
    checked(engine, 'wopr-vs-wopr-ended')

    engine.wait('#card[data-check="passed"]', timeout=60)
    checked(engine, 'check-passed')
    engine.select('#catalog', 'wide')  # hidden 64: its check takes seconds
    assert engine.evaluate('() => document.querySelector("#card").dataset.check') == 'running'
    checked(engine, 'check-running')
    engine.open(web.url + 'claims/?pace=0')
    engine.wait('#card[data-check="failed"]', timeout=60)
    checked(engine, 'check-failed')
    engine.goto(web.url + 'refused-all/?pace=0')  # never playable: no board to wait for
    engine.wait('#retry:not([hidden])')
    checked(engine, 'nothing-can-play')


@pytest.mark.parametrize('size', SIZES)
def test_no_axe_violation_when_taking_back_in_two_players_tally_and_a_broken_engine(browser, web, size):
    """The states of taking back (after a loss, the status saying what went), the two players' tally, the score
    reset, and an engine that could not start with its Retry."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={'width': width, 'height': height})
    page = context.new_page()
    problems = watch(page)
    view = Chromium.of(page)
    page.goto(web.url + 'good/?pace=0')
    page.wait_for_selector(READY)
    play_line(view, winning_line(load(DEFAULT.read_bytes()), 'X', winner='O'))
    page.keyboard.press('u')
    page.wait_for_selector(READY)
    assert page.text_content('#status').startswith('Took back your move')
    checked(view, 'taken-back')
    page.check('#alternate')
    page.check('input[name="side"][value="2"]')
    page.click('#new-game')
    page.wait_for_selector(READY)
    play_line(view, [0, 3, 1, 4, 2])
    checked(view, 'two-players-tally')
    page.click('#reset-score')
    checked(view, 'score-reset')
    context.close()
    assert problems == []

    context = browser.new_context(viewport={'width': width, 'height': height})  # no service worker: the wasm is
    # fetched again, and refused
    page = context.new_page()
    view = Chromium.of(page)
    page.route('**/micropython.wasm', lambda route: route.fulfill(status=404, body='gone'))
    page.goto(web.url + 'good/?pace=0')
    page.wait_for_selector('body[data-phase="failed"]', timeout=20_000)
    checked(view, 'engine-failed')
    context.close()


CONTRAST = '''(selector) => {
  const luminance = (colour) => {
    const [r, g, b] = colour.match(/[\\d.]+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const element = document.querySelector(selector);
  const panel = luminance(getComputedStyle(element.closest('section')).backgroundColor);
  const edge = luminance(getComputedStyle(element).borderTopColor);
  return (Math.max(panel, edge) + 0.05) / (Math.min(panel, edge) + 0.05);
}'''


def test_the_empty_board_and_the_controls_stand_out_from_the_panel(page, web):
    """WCAG 1.4.11: the edges of squares and controls have at least 3:1 against the panel (they had 1.47:1)."""
    page.goto(web.url + 'good/?pace=0')
    page.wait_for_selector(READY)
    for selector in ('#ttt0', '#level', '#new-game', '#zero', '#catalog', '.file-button', '#url', 'fieldset.side',
                     '#share'):
        assert page.evaluate(CONTRAST, selector) >= 3, selector
