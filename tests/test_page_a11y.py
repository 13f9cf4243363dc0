"""axe-core (npm, injected from the page's own origin, so its CSP stays as it is) finds no violation in any state of
the page, on a phone and on a desktop: loading, playing, thinking shown, each ending, an error shown, the technical
details open, WOPR vs WOPR under way and ended, the card's check under way, passed and failed, nothing able to play.
A screenshot of each state is saved for review (build/screenshots/)."""
import pytest

from tests.support.browser import READY, axe_violations, click, snap, watch
from tests.support.games import winning_line
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT

SIZES = {'phone': {'viewport': {'width': 360, 'height': 740}, 'device_scale_factor': 2, 'is_mobile': True,
                   'has_touch': True},
         'desktop': {'viewport': {'width': 1280, 'height': 800}}}


def checked(page, state):
    """The state's screenshot, and axe's verdict on it."""
    snap(page, state)
    assert axe_violations(page) == [], state


def play_line(page, line):
    for cell in line:
        click(page, cell)


@pytest.mark.parametrize('size', SIZES)
def test_no_axe_violation_in_any_state(browser, web, size):
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    problems = watch(page)
    held = []
    page.route('**/knowledge/index.json', lambda route: held.append(route))  # the page stays in its loading state
    page.goto(web.url + 'good/?pace=0')
    page.wait_for_selector('#boot:has-text("GREETINGS")')
    checked(page, 'loading')
    held[0].continue_()
    page.unroute('**/knowledge/index.json')
    page.wait_for_selector(READY)
    default = load(DEFAULT.read_bytes())

    click(page, 4)
    checked(page, 'playing')
    page.click('#new-game')
    page.wait_for_selector(READY)
    play_line(page, winning_line(default, 'X', winner='O'))
    checked(page, 'lost')
    page.click('#again')
    page.wait_for_selector(READY)
    play_line(page, winning_line(default, 'X', winner='draw'))
    checked(page, 'draw')

    page.select_option('#level', 'easy')
    page.wait_for_selector(READY)
    play_line(page, winning_line(web.knowledge(web.entry('winning-x')), 'X'))
    checked(page, 'won')

    page.check('input[name="side"][value="2"]')
    page.wait_for_selector(READY)
    play_line(page, [0, 3, 1, 4, 2])
    checked(page, 'two-players-won')

    page.set_input_files('#file', files=[{'name': 'notes.safetensors', 'mimeType': 'text/plain', 'buffer': b'notes'}])
    page.wait_for_selector(READY)
    page.click('#file-error summary')
    page.click('#card-details summary')
    checked(page, 'error-and-details')

    page.goto(web.url + 'good/?pace=4')  # thinking, with time to look at it
    page.wait_for_selector(READY)
    page.check('input[name="side"][value="X"]')  # remembered from above: two players, level easy
    page.wait_for_selector(READY)
    page.select_option('#level', 'perfect')
    page.wait_for_selector(READY)
    page.check('#thinking')
    page.click('#ttt0')
    page.wait_for_selector('.heat')
    checked(page, 'thinking')
    page.wait_for_selector(READY)
    page.click('#zero')
    page.wait_for_selector('.heat')
    checked(page, 'wopr-vs-wopr')
    page.click('#zero')  # stop

    page.goto(web.url + 'good/?pace=0')
    page.wait_for_selector(READY)
    page.click('#zero')
    page.wait_for_selector('#result:not([hidden])', timeout=60_000)
    checked(page, 'wopr-vs-wopr-ended')

    page.wait_for_selector('#card[data-check="passed"]', timeout=60_000)
    checked(page, 'check-passed')
    page.select_option('#catalog', 'wide')  # hidden 64: its check takes seconds
    page.wait_for_selector(READY)
    assert page.get_attribute('#card', 'data-check') == 'running'
    checked(page, 'check-running')
    page.goto(web.url + 'claims/?pace=0')
    page.wait_for_selector('#card[data-check="failed"]', timeout=60_000)
    checked(page, 'check-failed')
    page.goto(web.url + 'refused-all/?pace=0')
    page.wait_for_selector('#retry:not([hidden])')
    checked(page, 'nothing-can-play')
    context.close()
    assert problems == []


@pytest.mark.parametrize('size', SIZES)
def test_no_axe_violation_when_taking_back_in_two_players_tally_and_a_broken_engine(browser, web, size):
    """The states of taking back (after a loss, the status saying what went), the two players' tally, the score
    reset, and an engine that could not start with its Retry."""
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    problems = watch(page)
    page.goto(web.url + 'good/?pace=0')
    page.wait_for_selector(READY)
    play_line(page, winning_line(load(DEFAULT.read_bytes()), 'X', winner='O'))
    page.keyboard.press('u')
    page.wait_for_selector(READY)
    assert page.text_content('#status').startswith('Took back your move')
    checked(page, 'taken-back')
    page.check('#alternate')
    page.check('input[name="side"][value="2"]')
    page.click('#new-game')
    page.wait_for_selector(READY)
    play_line(page, [0, 3, 1, 4, 2])
    checked(page, 'two-players-tally')
    page.click('#reset-score')
    checked(page, 'score-reset')
    context.close()
    assert problems == []

    context = browser.new_context(**SIZES[size])  # no service worker: the wasm is fetched again, and refused
    page = context.new_page()
    page.route('**/micropython.wasm', lambda route: route.fulfill(status=404, body='gone'))
    page.goto(web.url + 'good/?pace=0')
    page.wait_for_selector('body[data-phase="failed"]', timeout=20_000)
    checked(page, 'engine-failed')
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
    for selector in ('#ttt0', '#level', '#new-game', '#zero', '#undo', '#catalog', '.file-button', '#url',
                     'fieldset.side', '#share', '#reset-score'):
        assert page.evaluate(CONTRAST, selector) >= 3, selector
