"""The minimax solver and game enumeration: known counts, and minimax facts checked against a plain reference."""
from collections import Counter

import pytest

from wopr import solver
from wopr.runtime.board import legal_moves, new_board, to_move, winner


def play(moves):
    board = new_board()
    for cell in moves:
        board[cell] = to_move(board)
    return board


@pytest.fixture(scope='module')
def games():
    return list(solver.games())


def test_known_counts(games):
    assert len(games) == 255_168
    assert len(set(games)) == len(games)
    outcomes = Counter(winner(play(g))[0] for g in games)
    assert outcomes == {'X': 131_184, 'O': 77_904, None: 46_080}
    assert len(solver.positions()) == 5_478
    assert Counter(len(g) for g in games)[9] == 127_872  # full boards: 46,080 draws + 81,792 won on the 9th move


def test_every_game_ends_and_never_runs_past_a_win(games):
    for g in games[::97]:
        assert all(winner(play(g[:k]))[0] is None for k in range(len(g)))
        assert winner(play(g))[0] is not None or len(g) == 9


def reference(board):
    """(result for the side to move, plies to the end) by plain recursion: prefer a win, soonest; a loss, latest."""
    if winner(board)[0] is not None:
        return -1, 0
    if '' not in board:
        return 0, 0
    best = None
    for cell in legal_moves(board):
        child = list(board)
        child[cell] = to_move(board)
        result, plies = reference(child)
        mine = (-result, plies + 1)
        key = (mine[0], -mine[1] if mine[0] > 0 else mine[1])
        if best is None or key > best[0]:
            best = (key, mine)
    return best[1]


def test_scores_match_a_plain_minimax_reference():
    checked = 0
    for board in solver.positions():
        if 9 - board.count('') >= 3:  # small subtrees keep the unmemoized reference quick
            result, plies = reference(list(board))
            assert solver.value(board) == result
            assert solver.score(board) == (0 if result == 0 else result * (solver.WIN - plies))
            checked += 1
    assert checked > 5_000


def test_empty_board_is_a_draw_and_every_opening_keeps_it():
    assert solver.value(new_board()) == 0
    assert solver.fastest_moves(new_board()) == list(range(9))


def test_corner_opening_must_be_answered_in_the_centre():
    assert solver.optimal_moves(play([0])) == [4]
    assert solver.value(play([0, 1])) == 1  # an edge reply loses


def test_an_immediate_win_is_the_only_fastest_move():
    with_wins = 0
    for board in solver.positions():
        wins = solver.winning_moves(board)
        fastest = solver.fastest_moves(board)
        assert set(fastest) <= set(solver.optimal_moves(board))
        if wins:
            assert fastest == wins
            with_wins += 1
    assert with_wins > 1_000
    # X to move (X 0, 4; O 1, 2): 8 wins now; 3, 5 and 6 make a fork and win too, but later
    board = play([0, 1, 4, 2])
    assert solver.fastest_moves(board) == [8]
    assert set(solver.optimal_moves(board)) == {3, 5, 6, 8}


def test_a_lost_position_resists_longest():
    # O to move, X (0, 4) threatens 8 and O cannot also block the fork that follows: every move loses,
    # but blocking at 8 loses two plies later than anything else
    board = play([0, 1, 4])
    assert solver.value(board) == -1
    assert solver.fastest_moves(board) == [8]
    assert solver.optimal_moves(board) == legal_moves(board)
