"""Replaying a game in the page: after a game, its moves stepped through by buttons, the move list and the keys
(arrows, Home, End, Escape), each position with WOPR's network's distribution as the heat map and the share it gave
the move made, as the CPython runtime computes them; and a shared link that carries a game (?moves=5,1,9), its
mistakes said in one line with the page playing on. The main flow runs in Chromium, Firefox and WebKit."""
import random

import pytest

from harness.browser import READY, play_game, random_player
from wopr.runtime.game import Game
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT

REPLAY = 'body[data-phase="replay"]'
# what the board shows: each square's mark, heat (its percentage, or null), and whether it is the move made next
SHOWN = '''() => [...document.querySelectorAll(".cell")].map((c) => [c.dataset.mark || "",
  c.querySelector(".heat")?.textContent ?? null, c.classList.contains("next")])'''


@pytest.fixture(scope='module')
def default():
    return load(DEFAULT.read_bytes())


def expected_board(position):
    """The board as the page must show a replay's position: marks, the distribution on the free squares, the next move
    marked."""
    probs = position['probs']
    return [[mark, None if mark or probs is None else f'{round(100 * probs[c])}%', c == position['move']]
            for c, mark in enumerate(position['board'])]


def expected_status(replay, at):
    positions = replay['positions']
    n, position = len(positions) - 1, positions[at]
    if at < n:
        return (f"Move {at + 1} of {n}: {position['turn']} played square {position['move'] + 1}; WOPR's network gave "
                f"it {round(100 * position['prob'])}%.")
    if not replay['over']:
        return f"After {n} moves, {position['turn']} to play: the squares show what WOPR's network would play."
    if replay['winner']:
        return f"The end: {replay['winner']} wins with squares {'-'.join(str(c + 1) for c in replay['line'])}."
    return 'The end: a draw, every square taken.'


def at_position(engine, replay, at):
    """The page shows position `at` of `replay` (the CPython runtime's) exactly."""
    engine.wait_for('(s) => document.querySelector("#status").textContent === s', 10, expected_status(replay, at))
    assert engine.evaluate(SHOWN) == expected_board(replay['positions'][at])
    current = engine.evaluate('() => [...document.querySelectorAll("#replay-moves button")].map('
                              '(b) => b.getAttribute("aria-current"))')
    assert current == ['step' if i == at else None for i in range(len(replay['positions']) - 1)]
    assert engine.evaluate('() => ["#replay-back", "#replay-forward"].map((s) => document.querySelector(s).disabled)') \
        == [at == 0, at == len(replay['positions']) - 1]


def test_a_finished_game_replays_move_by_move_by_buttons_list_and_keys(engine, web, default):
    engine.open(web.url + 'good/?pace=0')
    assert engine.evaluate('() => document.querySelector("#replay").hidden')
    status = play_game(engine, default, 'X', random_player(random.Random(5)))
    replay = Game(default).replay(status['moves'])
    n = len(status['moves'])
    engine.click('#review')
    engine.wait(REPLAY)
    at_position(engine, replay, n)  # the end first: the result, the winning line struck
    assert engine.focused() == 'replay-back' and not engine.visible('#result')
    assert engine.evaluate('() => [...document.querySelectorAll("#replay-moves button")].map((b) => '
                           '[b.textContent, b.className, b.getAttribute("aria-label")])') == [
        [str(c + 1), 'XO'[i % 2], f"Move {i + 1}: {'XO'[i % 2]} on square {c + 1}"]
        for i, c in enumerate(status['moves'])]
    engine.snap('replay-end')
    assert engine.axe_violations() == []

    engine.key('ArrowLeft')  # the last move: the position before it, with what the network gave each square
    at_position(engine, replay, n - 1)
    engine.click('#replay-back')
    at_position(engine, replay, n - 2)
    engine.key('Home')
    at_position(engine, replay, 0)  # the empty board and the network's opening distribution
    assert engine.focused() == 'replay-forward'  # Back is disabled now: the keyboard is not dropped
    engine.snap('replay-start')
    assert engine.axe_violations() == []
    engine.key('ArrowLeft')  # nothing before the first position
    at_position(engine, replay, 0)
    engine.key('Enter')  # Forward, by keyboard
    at_position(engine, replay, 1)
    engine.key('ArrowRight')
    at_position(engine, replay, 2)
    engine.key('Shift+Tab')  # from Forward, back through Back to the last move of the list
    engine.key('Shift+Tab')
    assert engine.focused() == 'BUTTON'
    engine.key('Enter')
    at_position(engine, replay, n - 1)
    engine.click('#replay-moves li:nth-child(2) button')
    at_position(engine, replay, 1)
    engine.key('End')
    at_position(engine, replay, n)

    for cell in range(9):  # the board takes no move and nothing is taken back while a replay is shown
        engine.key(str(cell + 1))
    engine.key('u')
    at_position(engine, replay, n)
    engine.key('Escape')  # back to the game as it ended
    engine.wait(READY)
    assert engine.visible('#result') and not engine.visible('#replay') and engine.focused() == 'review'
    assert engine.board() == status['board'] and engine.evaluate(SHOWN) == expected_board(
        {'board': status['board'], 'probs': None, 'move': None})
    engine.key('r')  # R opens it again; New game closes it and starts one
    engine.wait(REPLAY)
    at_position(engine, replay, n)
    engine.click('#replay-done')
    engine.wait(READY)
    engine.key('n')
    engine.wait(READY)
    assert engine.board() == [''] * 9 and not engine.visible('#replay')
    assert engine.evaluate('() => document.querySelector("#review").disabled')  # nothing to replay yet


def test_wopr_vs_wopr_and_two_players_replay_too(page, web, default):
    page.goto(web.url + 'good/?pace=0')
    page.wait_for_selector(READY)
    page.click('#zero')
    page.wait_for_selector('#result:not([hidden])')
    moves = page.evaluate('() => [...document.querySelectorAll(".cell")].map((c) => c.dataset.mark)')
    page.click('#review')
    page.wait_for_selector(REPLAY)
    labels = page.eval_on_selector_all('#replay-moves button', 'bs => bs.map((b) => b.getAttribute("aria-label"))')
    assert len(labels) == 9 - moves.count('') and labels[0] == 'Move 1: X on square 8'  # the last opening
    page.keyboard.press('Escape')
    page.check('input[name="side"][value="2"]')
    page.wait_for_selector(READY)
    for cell in (0, 3, 1, 4, 2):
        page.click(f'#ttt{cell}')
        page.wait_for_selector(READY)
    page.click('#review')
    page.wait_for_selector(REPLAY)
    assert page.text_content('#status') == 'The end: X wins with squares 1-2-3.'
    page.keyboard.press('ArrowLeft')
    replay = Game(default, players=2).replay([0, 3, 1, 4, 2])
    assert page.text_content('#status') == expected_status(replay, 4)


def test_a_shared_link_carries_the_game_to_replay(engine, web, default):
    engine.open(web.url + 'good/?pace=0')
    status = play_game(engine, default, 'X', random_player(random.Random(11)))
    engine.click('#share')
    engine.wait_for('() => document.querySelector("#share-note").textContent !== ""')
    squares = ','.join(str(c + 1) for c in status['moves'])
    assert f'moves={squares}' in engine.url() and "this game's replay" in engine.text('#share-note')
    shared = engine.url()
    engine.click('#again')
    engine.wait(READY)
    assert 'moves=' not in engine.url()  # a new game is not the shared one

    friend = engine.stranger()
    try:
        friend.goto(shared)
        friend.wait(REPLAY, 20)
        at_position(friend, Game(default).replay(status['moves']), len(status['moves']))
        assert f'moves={squares}' in friend.url()  # the address bar still opens it
        friend.click('#replay-done')
        friend.wait(READY)
        assert friend.board() == [''] * 9 and 'moves=' not in friend.url()
        friend.play(4)  # and the page plays
    finally:
        friend.close()
    assert friend.problems == []


@pytest.mark.parametrize('moves, said', [
    ('5,1,9', None),  # a game not finished: its last position shows what the network would play next
    ('5,5', "The link's game cannot be replayed: move 2: square 5 is already taken by X."),
    ('1,4,2,5,3,6', "The link's game cannot be replayed: move 6: the game was already over."),
    ('1,2,3,4,5,6,7,8,9,1', "The link's game cannot be replayed: a replay is a list of at most 9 moves."),
    ('5,a', "The link's moves (5,a) are not squares 1-9 separated by commas: a new game instead."),
    ('0,10', "The link's moves (0,10) are not squares 1-9 separated by commas: a new game instead."),
    ('', "The link's moves () are not squares 1-9 separated by commas: a new game instead."),
])
def test_a_links_moves_are_replayed_or_refused_in_one_line(page, web, default, moves, said):
    page.goto(web.url + f'good/?pace=0&moves={moves}')
    if said is None:
        page.wait_for_selector(REPLAY)
        replay = Game(default).replay([4, 0, 8])
        assert page.text_content('#status') == expected_status(replay, 3)
        assert replay['over'] is False and page.eval_on_selector_all('.heat', 'hs => hs.length') == 6
        return
    page.wait_for_selector(f'#status:text-is("{said}")')
    page.wait_for_selector(READY)
    assert page.is_hidden('#replay') and page.is_disabled('#review')
    page.click('#ttt4')  # the page plays on
    page.wait_for_selector(READY)
    assert page.eval_on_selector_all('.cell[data-mark="X"]', 'cs => cs.length') == 1
