"""Games as the tests replay them: the boards a network is stepped on, a game scripted through the runtime, and a
line that beats a network."""
from wopr.runtime.board import legal_moves, new_board, to_move
from wopr.runtime.game import Game


def boards_of(moves):
    """The board before each move of a game: what the network is stepped on, one board per move."""
    board, boards = new_board(), []
    for cell in moves:
        boards.append(list(board))
        board[cell] = to_move(board)
    return boards


def scripted_game(knowledge, side, pick):
    """Play one game in-process; returns the human's inputs (1-9), the AI's expected moves (1-9) and the status."""
    game = Game(knowledge, side)
    ai = [game.last['cell'] + 1] if game.last else []
    inputs = []
    while not game.status()['over']:
        cell = pick(legal_moves(game.board))
        inputs.append(cell + 1)
        before = len(game.moves)
        game.play(cell)
        if len(game.moves) == before + 2:  # the AI replied
            ai.append(game.last['cell'] + 1)
    return inputs, ai, game.status()


def winning_line(knowledge, side, level='perfect', winner=None):
    """The human's cells (0-8) of a game won against the network at `level` (its moves are deterministic at easy and
    perfect), found depth first; None when the network never loses. winner='draw' or the network's side: a game that
    ends so instead."""
    winner = winner or side
    def search(moves):
        game = Game(knowledge, side, level)
        for cell in moves:
            game.play(cell)
        status = game.status()
        if status['over']:
            return moves if (status['winner'] or 'draw') == winner else None
        return next((found for cell in legal_moves(game.board) if (found := search([*moves, cell]))), None)
    return search([])
