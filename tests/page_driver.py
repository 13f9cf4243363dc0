"""Drive the page in Chromium as a player does: open it, click cells, read the board, whole games checked move by move
against the CPython runtime; and watch its console."""
from wopr.runtime.game import Game
from wopr.web.harness import READY


def watch(page):
    """The console errors and warnings (the worker's included) and uncaught errors of a page, as they come."""
    problems = []
    page.on('console', lambda m: problems.append(f'{m.type}: {m.text}') if m.type in ('error', 'warning') else None)
    page.on('pageerror', lambda e: problems.append(f'page error: {e}'))
    return problems


def open_page(page, url):
    page.goto(url)
    page.wait_for_selector(READY)


def board_of(page):
    return page.eval_on_selector_all('.cell', 'cells => cells.map((c) => c.dataset.mark || "")')


def click(page, cell):
    page.click(f'#ttt{cell}')
    page.wait_for_selector(READY)


def random_player(rng):
    return lambda board: rng.choice([c for c in range(9) if not board[c]])


def play_game(page, knowledge, human, opponent):
    """Play to the end by clicking; after every move the page's board equals the CPython runtime's."""
    game = Game(knowledge, human)
    assert board_of(page) == game.board
    while not game.status()['over']:
        cell = opponent(game.board)
        click(page, cell)
        game.play(cell)
        assert board_of(page) == game.board
    return game.status()
