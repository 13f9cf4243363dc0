"""Board rules and encoding, checked on every one of the 3^9 boards against a brute-force geometric formulation."""
from itertools import combinations, product

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wopr.runtime.board import EMPTY, LINES, encode, is_over, legal_moves, new_board, other, to_move, winner

ALL_BOARDS = [list(b) for b in product((EMPTY, 'X', 'O'), repeat=9)]


def collinear_triples():
    """Every set of three cells on one straight line of the 3x3 grid (zero cross product), by brute force."""
    def rc(cell):
        return divmod(cell, 3)
    found = set()
    for a, b, c in combinations(range(9), 3):
        (r1, c1), (r2, c2), (r3, c3) = rc(a), rc(b), rc(c)
        if (r2 - r1) * (c3 - c1) == (r3 - r1) * (c2 - c1):
            found.add(frozenset((a, b, c)))
    return found


TRIPLES = collinear_triples()


def completed(board):
    """(player, line) pairs of every completed line, brute force."""
    return {(board[min(t)], t) for t in TRIPLES if board[min(t)] != EMPTY and len({board[c] for c in t}) == 1}


def test_lines_are_exactly_the_eight_straight_lines():
    assert len(TRIPLES) == 8
    assert {frozenset(line) for line in LINES} == TRIPLES
    assert all(list(line) == sorted(line) for line in LINES)


def test_winner_on_every_board():
    for board in ALL_BOARDS:
        lines = completed(board)
        player, line = winner(board)
        if not lines:
            assert (player, line) == (None, None), board
        else:
            assert (player, frozenset(line)) in lines, board


def test_every_line_wins_for_either_player():
    for line in LINES:
        for player in ('X', 'O'):
            board = new_board()
            for c in line:
                board[c] = player
            assert winner(board) == (player, line)
            assert is_over(board)


def test_legal_moves_to_move_and_over_on_every_board():
    for board in ALL_BOARDS:
        assert legal_moves(board) == [c for c in range(9) if board[c] not in ('X', 'O')]
        xs, os = board.count('X'), board.count('O')
        if xs in (os, os + 1):
            assert to_move(board) == ('X' if xs == os else 'O')
        assert is_over(board) == (bool(completed(board)) or xs + os == 9)


def test_encoding_on_every_board():
    for board in ALL_BOARDS:
        x = encode(board)
        assert len(x) == 18 and all(type(v) is float for v in x)
        assert [board[c] == 'X' for c in range(9)] == [v == 1.0 for v in x[:9]]
        assert [board[c] == 'O' for c in range(9)] == [v == 1.0 for v in x[9:]]
        assert sum(x) == 9 - board.count(EMPTY)


def test_game_counts():
    """The known counts: 255,168 games (131,184 X wins, 77,904 O wins, 46,080 draws), 5,478 positions."""
    results = {'X': 0, 'O': 0, None: 0}
    positions = set()

    def walk(board):
        positions.add(tuple(board))
        if is_over(board):
            results[winner(board)[0]] += 1
            return
        player = to_move(board)
        for c in legal_moves(board):
            board[c] = player
            walk(board)
            board[c] = EMPTY

    walk(new_board())
    assert results == {'X': 131184, 'O': 77904, None: 46080}
    assert len(positions) == 5478


# rules, not speed: a busy machine must not fail it
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 8), min_size=1, max_size=30))
def test_random_play_alternates_and_ends_at_a_line_or_a_full_board(picks):
    board = new_board()
    for n, pick in enumerate(picks):
        if is_over(board):
            break
        moves = legal_moves(board)
        player = to_move(board)
        assert player == ('X' if n % 2 == 0 else 'O')
        board[moves[pick % len(moves)]] = player
        assert other(player) == to_move(board)
    if is_over(board):
        assert winner(board)[0] is not None or not legal_moves(board)
    assert new_board() == [EMPTY] * 9
