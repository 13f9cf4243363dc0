"""Games as the tests replay them: the boards a network is stepped on, and a game scripted through the runtime."""
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
