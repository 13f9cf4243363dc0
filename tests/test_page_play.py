"""Playing the page as people do: levels (easy beaten, perfect never), WOPR vs WOPR to its line (and stopped), two
players, a whole game by keyboard alone, where the focus goes when a game ends, settings kept across reloads and in a
shared link, and a side or level changed mid-game that never drops the game. The flows marked by the `engine` fixture
run in Chromium, Firefox and WebKit (the longest in two of them); the others in Chromium."""
import random

import pytest

from harness.browser import READY, board_of, click, minimax, open_page, play_game
from tests.support.games import winning_line
from wopr.runtime.game import LESSON, Game
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT


@pytest.mark.parametrize('side', ['X', 'O'])
def test_easy_plays_the_2018_network_and_a_scripted_line_beats_it(engine, web, side):
    easy = web.entry('winning-x')
    knowledge = web.knowledge(easy)
    line = winning_line(knowledge, side)
    engine.open(web.url + 'good/?pace=0')
    engine.choose(f'input[name="side"][value="{side}"]')
    engine.select('#level', 'easy')  # no move made yet: at once, with the network the catalog marks as the 2018 one
    assert engine.text('#card-title') == easy['name'] and 'level=easy' in engine.url()
    game = Game(knowledge, side)
    for cell in line:
        engine.play(cell)
        game.play(cell)
        assert engine.board() == game.board
    assert engine.text('#result-text').startswith('You win')
    assert engine.focused() == 'again' and engine.text('#score-you') == '1'
    engine.select('#level', 'perfect')  # the game is over: at once, back to the default
    assert engine.text('#card-title') == web.catalog[0]['name']


@pytest.mark.parametrize('engine', ['chromium', 'webkit'], indirect=True)
def test_perfect_is_never_beaten_and_medium_draws_its_moves_seeded(engine, web):
    """The page plays the CPython runtime's moves (checked move by move), and the runtime's perfect network has no
    losing line at all (the test's own full-tree search); at medium the page draws the runtime's seeded moves."""
    default = load(DEFAULT.read_bytes())
    assert winning_line(default, 'X') is None and winning_line(default, 'O') is None
    engine.open(web.url + 'good/?pace=0')
    rng = random.Random(11)
    for _ in range(3):
        status = play_game(engine, default, 'X', minimax(rng))
        assert status['winner'] != 'X'
        engine.choose('#again')

    engine.open(web.url + 'good/?pace=0&seed=5&level=medium')
    game = Game(default, 'X', 'medium', seed=5)
    for _ in range(4):
        while not game.status()['over']:
            cell = game.board.index('')
            engine.play(cell)
            game.play(cell)
            assert engine.board() == game.board
        engine.choose('#again')
        game.new()


@pytest.mark.parametrize('engine', ['chromium', 'firefox'], indirect=True)
def test_wopr_vs_wopr_ends_on_the_films_line(engine, web):
    engine.open(web.url + 'good/?pace=0')
    engine.click('#zero')
    engine.wait('#result:not([hidden])', timeout=60)
    assert engine.text('#result-text') == 'A draw, every game.' and engine.text('#status') == LESSON
    assert engine.focused() == 'again'
    board = engine.board()
    assert '' not in board and board[7] == 'X'  # the ninth game opened on square 8 and was drawn
    assert [engine.text(f'#score-{k}') for k in ('you', 'draw', 'ai')] == ['0', '0', '0']  # not the player's
    engine.choose('#again')  # back to the player's own game
    assert engine.board() == [''] * 9 and 'you are X' in engine.text('#status')


def test_wopr_vs_wopr_can_be_stopped_and_is_honest_at_easy(page, web):
    open_page(page, web.url + 'good/?pace=1')  # the watchable pace
    page.click('#zero')
    page.wait_for_selector('#status:has-text("game 2 of 9")', timeout=30_000)
    assert page.get_by_role('button', name='Stop WOPR vs WOPR').is_visible()
    page.get_by_role('button', name='Stop WOPR vs WOPR').click()
    page.wait_for_selector(READY)
    assert page.text_content('#zero') == 'WOPR vs WOPR'
    assert page.text_content('#status') != LESSON and page.is_hidden('#result')  # no verdict of a scene cut short
    click(page, 4)  # a game of one's own, at once
    assert board_of(page)[4] == 'X' and board_of(page).count('O') == 1

    open_page(page, web.url + 'good/?pace=0&level=easy')
    page.click('#zero')
    page.wait_for_selector('#result:not([hidden])', timeout=60_000)
    assert page.text_content('#result-text') == 'WOPR beat itself.'
    assert page.text_content('#status').startswith('WOPR beat itself at level easy')


def test_two_players_take_turns_on_one_device(engine, web):
    engine.open(web.url + 'good/?pace=0')
    engine.choose('input[name="side"][value="2"]')
    for cell, mark in zip((0, 3, 1, 4), 'XOXO'):
        engine.play(cell)
        assert engine.board()[cell] == mark
    assert engine.text('#status') == 'X to play.'
    engine.play(2)
    assert engine.text('#result-text') == 'X wins.' and engine.text('#status') == 'With squares 1-2-3.'
    assert engine.focused() == 'again'
    assert engine.text('#score-you') == '0'  # the score is the player's against WOPR


def test_a_whole_game_by_keyboard_alone(engine, web):
    """The board is one Tab stop with arrow keys inside; Enter plays the focused square, 1-9 play, N starts again."""
    engine.open(web.url + 'good/?pace=0')
    stops = []
    for _ in range(4):
        engine.key('Tab')
        stops.append(engine.focused())
    assert stops.count('ttt0') == 1 and not any(s.startswith('ttt') and s != 'ttt0' for s in stops)
    while engine.focused() != 'ttt0':
        engine.key('Shift+Tab')
    engine.key('ArrowRight')
    engine.key('ArrowDown')
    assert engine.focused() == 'ttt4'
    engine.key('Enter')
    engine.wait(READY)
    game = Game(load(DEFAULT.read_bytes()), 'X')
    game.play(4)
    assert engine.board() == game.board and engine.focused() == 'ttt4'  # taken squares keep the focus
    while not game.status()['over']:
        cell = game.board.index('')
        engine.key(str(cell + 1))
        engine.wait(READY)
        game.play(cell)
        assert engine.board() == game.board
    assert engine.focused() == 'again'
    engine.key('Enter')  # Play again
    engine.wait(READY)
    assert engine.board() == [''] * 9 and engine.focused().startswith('ttt')
    engine.key('5')
    engine.wait(READY)
    engine.key('n')
    engine.wait(READY)
    assert engine.board() == [''] * 9
    assert 'N' in engine.text('#keys') and '1' in engine.text('#keys')  # the keys are on screen
    engine.focus('#level')
    engine.key('Home')  # easy, by keyboard: a new network loads, and the focus stays where it was
    engine.wait(READY)
    assert engine.value('#level') == 'easy' and engine.focused() == 'level'


def test_the_focus_goes_to_play_again_when_the_players_own_move_ends_the_game(engine, web):
    """As X every draw ends on the player's own move: the focus must not drop to the page."""
    engine.open(web.url + 'good/?pace=0')
    default = load(DEFAULT.read_bytes())
    rng = random.Random(3)
    status = play_game(engine, default, 'X', minimax(rng))
    assert status['draw'] and status['moves'][-1] != status['last']['cell']  # the last move was the player's
    assert engine.focused() == 'again'


def test_settings_and_score_are_kept_across_reloads_and_shared_by_link(engine, web):
    lively = web.url + 'extra/lively.safetensors'
    engine.open(web.url + 'good/?pace=0')
    engine.choose('#thinking')
    engine.select('#level', 'medium')
    engine.choose('input[name="side"][value="O"]')
    engine.fill('#url', lively)
    engine.click('#url-form button')
    engine.wait(READY)
    while not engine.visible('#result'):
        engine.play(engine.board().index(''))
    played = {k: engine.text(f'#score-{k}') for k in ('you', 'draw', 'ai')}
    shared = engine.url()
    assert 'level=medium' in shared and 'knowledge=' in shared
    engine.reload()
    engine.wait(READY)
    assert {k: engine.text(f'#score-{k}') for k in ('you', 'draw', 'ai')} == played
    assert engine.checked('#thinking') and engine.checked('input[name="side"][value="O"]')
    assert engine.value('#level') == 'medium' and engine.text('#card-title') == lively

    friend = engine.stranger()  # someone else, with nothing stored
    try:
        friend.open(shared)
        assert friend.value('#level') == 'medium' and friend.text('#card-title') == lively
    finally:
        friend.close()
    assert friend.problems == []


def test_changing_side_or_level_mid_game_waits_for_the_next_game(engine, web):
    engine.open(web.url + 'good/?pace=0')
    engine.play(4)
    before = engine.board()
    engine.focus('input[name="side"][value="X"]')
    engine.key('ArrowRight')  # arrow keys on the side picker: they used to restart the game silently
    engine.select('#level', 'easy')
    assert engine.board() == before and 'next game' in engine.text('#pending')
    engine.play(before.index(''))  # the game goes on
    engine.choose('#new-game')
    assert 'you are O' in engine.text('#status') and engine.value('#level') == 'easy'
    assert engine.text('#card-title') == web.entry('winning-x')['name'] and engine.text('#pending') == ''
