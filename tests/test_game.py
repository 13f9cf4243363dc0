"""Game: both sides, AI replies, illegal moves, new games, winner / line / draw, how the AI picks its cell at each
level, two players, WOPR against itself, moves taken back (checked against the game replayed without them) and
replays (checked against the game as it was played)."""
import copy
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.games import boards_of
from tests.support.knowledge_files import contract_metadata, make_knowledge, write_knowledge
from wopr.runtime.board import encode
from wopr.runtime.format import expected_shapes
from wopr.runtime.game import Game, IllegalMove, Random, choose, sample
from wopr.runtime.knowledge import load
from wopr.runtime.lstm import Network
from wopr.sources import DEFAULT

HIDDEN = 4


def preference_knowledge(tmp_path, bias):
    """Knowledge whose every weight is 0 but the head's bias: h stays 0, so every step's probabilities are
    softmax(bias) and the AI's preference over cells is fixed."""
    tensors = {name: torch.zeros(shape) for name, shape in expected_shapes(HIDDEN).items()}
    tensors['head.bias'] = torch.tensor(bias, dtype=torch.float32)
    return load(write_knowledge(tmp_path / 'pref.safetensors', tensors, contract_metadata(HIDDEN)).read_bytes())


def softmax(values):
    e = [math.exp(v) for v in values]
    return [v / sum(e) for v in e]


def ranked(order):
    """A head bias under which the AI prefers the cells in `order`, first to last."""
    bias = [0.0] * 9
    for rank, cell in enumerate(order):
        bias[cell] = float(9 - rank)
    return bias


@pytest.fixture
def in_order(tmp_path):
    """Knowledge whose AI takes the lowest free cell: 0, then 1, ..."""
    return preference_knowledge(tmp_path, ranked(range(9)))


def test_ai_takes_the_most_probable_legal_cell(tmp_path):
    bias = ranked([4, 0, 8, 2, 6, 1, 3, 5, 7])
    game = Game(preference_knowledge(tmp_path, bias), human='X')
    game.play(1)
    assert game.board[4] == 'O'
    game.play(2)
    assert game.board[0] == 'O'
    status = game.status()
    assert status['last']['cell'] == 0
    assert status['last']['probs'] == pytest.approx(softmax(bias), abs=1e-12)
    assert status['last']['prob'] == status['last']['probs'][0]


def test_ties_go_to_the_lowest_index(tmp_path):
    game = Game(preference_knowledge(tmp_path, [0.0] * 9), human='O')
    assert game.board == ['X'] + [''] * 8
    game.play(1)
    assert game.board[:3] == ['X', 'O', 'X']
    bias = [0.0, 0.0, 5.0, 1.0, 5.0, 0.0, 5.0, 0.0, 0.0]  # 2, 4 and 6 tie
    game = Game(preference_knowledge(tmp_path, bias), human='X')
    game.play(2)
    assert game.status()['last']['cell'] == 4


def test_choose_skips_occupied_cells_and_breaks_ties_low():
    probs = [0.1, 0.3, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3]
    assert choose(probs, [''] * 9) == 1
    assert choose(probs, ['', 'X', '', '', '', '', '', '', '']) == 2
    assert choose(probs, ['', 'X', 'O', '', '', '', '', '', 'X']) == 0
    assert choose(probs, ['X', 'X', 'O', 'O', 'O', 'X', 'X', '', 'X']) == 7


def test_human_as_o_lets_the_ai_open(tmp_path):
    game = Game(preference_knowledge(tmp_path, ranked([4, 0, 1, 2, 3, 5, 6, 7, 8])), human='O')
    status = game.status()
    assert status['board'][4] == 'X' and status['moves'] == [4]
    assert (status['human'], status['ai'], status['turn']) == ('O', 'X', 'O')
    game.play(0)
    assert game.status()['moves'] == [4, 0, 1]


def test_ai_wins_with_its_line(in_order):
    game = Game(in_order, human='X')
    for cell in (4, 8, 6):
        game.play(cell)
    s = game.status()
    assert (s['over'], s['winner'], s['line'], s['draw'], s['turn']) == (True, 'O', [0, 1, 2], False, None)


def test_human_wins_and_the_ai_does_not_reply(in_order):
    game = Game(in_order, human='X')
    for cell in (4, 2, 6):
        game.play(cell)
    s = game.status()
    assert (s['winner'], s['line'], s['moves']) == ('X', [2, 4, 6], [4, 0, 2, 1, 6])


def test_draw(in_order):
    game = Game(in_order, human='X')
    for cell in (1, 3, 4, 6, 8):
        game.play(cell)
    s = game.status()
    assert (s['over'], s['winner'], s['line'], s['draw']) == (True, None, None, True)
    assert s['board'] == ['O', 'X', 'O', 'X', 'X', 'O', 'X', 'O', 'X']


@pytest.mark.parametrize('cell', [0, 4, 9, -1, '3', 3.0, True, None, [1]])
def test_illegal_moves_leave_the_game_unchanged(in_order, cell):
    game = Game(in_order, human='X')
    game.play(4)  # the AI took 0
    before, state = copy.deepcopy(game.status()), game.state
    with pytest.raises(IllegalMove) as caught:
        game.play(cell)
    assert str(caught.value)
    assert game.status() == before and game.state is state


def test_moves_after_the_end_and_out_of_turn_are_refused(in_order):
    game = Game(in_order, human='X')
    with pytest.raises(IllegalMove, match="not WOPR's turn"):
        game.ai_move()
    for cell in (4, 8, 6):
        game.play(cell)
    before = copy.deepcopy(game.status())
    with pytest.raises(IllegalMove, match='the game is over'):
        game.play(3)
    with pytest.raises(IllegalMove):
        game.ai_move()
    with pytest.raises(ValueError, match='side must be X or O'):
        game.new('Z')
    assert game.status() == before


def test_new_game_without_rereading(tmp_path):
    knowledge = load(make_knowledge(tmp_path, hidden=8, seed=5).read_bytes())
    game = Game(knowledge, human='X')
    network = game.network
    game.play(4)
    game.play(game.board.index(''))
    game.new('O')
    assert game.network is network and game.knowledge is knowledge
    fresh = Game(knowledge, human='O')
    assert game.status() == fresh.status()
    game.new('X')
    s = game.status()
    assert s['board'] == [''] * 9 and s['moves'] == [] and s['last'] is None
    assert (s['turn'], s['over']) == ('X', False)


def test_the_network_sees_every_board_of_both_sides(tmp_path):
    """The AI's probabilities equal a network stepped by hand on each board after every move."""
    knowledge = load(make_knowledge(tmp_path, hidden=8, seed=2, scale=3.0).read_bytes())
    game = Game(knowledge, human='X')
    while not game.status()['over']:
        game.play(game.board.index(''))
        if game.status()['over']:
            break
        net = Network(knowledge)
        state = net.start()
        for b in boards_of(game.moves):
            state, probs = net.step(state, encode(b))
        assert game.status()['last']['probs'] == probs


def test_xorshift_is_seeded_and_uniform():
    first = [Random(7).random() for _ in range(2)]
    assert first[0] == first[1]  # the same seed, the same numbers
    rng = Random(7)
    draws = [rng.random() for _ in range(20_000)]
    assert all(0 <= r < 1 for r in draws) and len(set(draws)) == len(draws)
    assert abs(sum(draws) / len(draws) - 0.5) < 0.01
    assert Random(0).random() != 0  # zero, xorshift's fixed point, is replaced


def test_sample_follows_the_tempered_distribution_over_legal_cells():
    probs = [0.5, 0.3, 0.2] + [0.0] * 6
    board = [''] * 9
    rng = Random(3)
    counts = [0] * 9
    for _ in range(6000):
        counts[sample(probs, board, rng.random(), temperature=1.0)] += 1
    assert [round(c / 6000, 1) for c in counts[:3]] == [0.5, 0.3, 0.2] and sum(counts[3:]) == 0
    assert sample(probs, ['X'] + [''] * 8, 0.0, temperature=1.0) == 1  # taken cells never come out
    assert sample(probs, board, 0.999999, temperature=0.5) == 2
    assert sample([0.0] * 9, ['X', 'O'] + [''] * 7, 0.5) == 2  # nothing to weigh: the argmax rule


@pytest.mark.parametrize('value, error', [('hard', "level must be easy, medium or perfect, not 'hard'"),
                                          (3, 'players must be 0, 1 or 2, not 3'),
                                          (True, 'players must be 0, 1 or 2, not True')])
def test_bad_settings_change_nothing(in_order, value, error):
    game = Game(in_order, human='X')
    game.play(4)
    before = copy.deepcopy(game.status())
    with pytest.raises(ValueError, match=error):
        game.new(level=value) if isinstance(value, str) else game.new(players=value)
    assert game.status() == before


def test_medium_draws_its_moves_seeded_and_perfect_takes_the_argmax(tmp_path):
    knowledge = load(make_knowledge(tmp_path, hidden=8, seed=4, scale=0.5).read_bytes())  # a flat distribution
    games = {}
    for level, seed in (('perfect', 1), ('perfect', 2), ('medium', 1), ('medium', 1), ('medium', 2)):
        game = Game(knowledge, human='X', level=level, seed=seed)
        moves = []
        for _ in range(4):
            game.new()
            while not game.status()['over']:
                game.play(game.board.index(''))
            moves.append(game.moves)
        games.setdefault((level, seed), []).append(moves)
    assert games[('perfect', 1)][0] == games[('perfect', 2)][0]  # argmax: no randomness at all
    assert games[('medium', 1)][0] == games[('medium', 1)][1]  # seeded: reproducible
    assert games[('medium', 1)][0] != games[('medium', 2)][0]
    assert len({tuple(m) for m in games[('medium', 1)][0]}) > 1  # and varied from game to game
    assert Game(knowledge, level='medium').status()['level'] == 'medium'


def test_two_players_take_turns_and_wopr_never_moves(in_order):
    game = Game(in_order, human='O', players=2)
    assert game.board == [''] * 9  # WOPR does not open for O
    for cell in (0, 3, 1, 4, 2):
        game.play(cell)
    s = game.status()
    assert (s['winner'], s['line'], s['last'], s['human'], s['players']) == ('X', [0, 1, 2], None, None, 2)
    with pytest.raises(IllegalMove, match="not WOPR's turn"):
        Game(in_order, players=2).ai_move()


def test_wopr_against_itself_one_move_per_call(in_order):
    game = Game(in_order, players=0)
    assert game.moves == []  # every move is asked for
    game.play(8)  # an opening chosen for it
    while not game.status()['over']:
        side = game.status()['turn']
        cell = game.ai_move()
        assert game.board[cell] == side and game.last['cell'] == cell
    assert game.moves == [8, 0, 1, 2, 3, 4, 5, 6]  # in_order: the lowest free cell every time; O wins with 2-4-6
    assert game.status()['winner'] == 'O'


@pytest.mark.parametrize('opening', range(9))
def test_the_shipped_default_draws_against_itself_from_every_opening(opening):
    game = Game(load(DEFAULT.read_bytes()), players=0)
    game.play(opening)
    while not game.status()['over']:
        game.ai_move()
    assert game.status()['draw']


@pytest.fixture(scope='module')
def default():
    return load(DEFAULT.read_bytes())


def replayed(knowledge, game):
    """The reference: a new game with the same settings where the people play the moves `game` holds."""
    fresh = Game(knowledge, game.human, game.level, game.players)
    for step, cell in enumerate(game.moves):
        if game.players == 2 or 'XO'[step % 2] == game.human:
            fresh.play(cell)
    return fresh


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_move_taken_back_leaves_the_game_as_if_never_played(default, data):
    """Moves and take-backs in any order, after the end too: the game is always the one its remaining moves give."""
    game = Game(default, data.draw(st.sampled_from('XO')), data.draw(st.sampled_from(('easy', 'perfect'))),
                data.draw(st.sampled_from((1, 2))))
    for _ in range(data.draw(st.integers(1, 14))):
        if data.draw(st.booleans()) and not game.status()['over']:
            game.play(data.draw(st.sampled_from([c for c in range(9) if not game.board[c]])))
        else:
            before = game.status()
            try:
                game.undo()
            except IllegalMove as e:  # nothing of the person's to take back: nothing changes
                assert 'no move of yours' in str(e) and game.status() == before
                assert not [m for i, m in enumerate(game.moves) if game.players == 2 or 'XO'[i % 2] == game.human]
        reference = replayed(default, game)
        assert game.status() == reference.status() and game.policy == reference.policy


def test_undo_takes_back_the_persons_move_and_the_reply(in_order):
    game = Game(in_order, human='O')  # WOPR opens at 0
    with pytest.raises(IllegalMove, match='no move of yours'):
        game.undo()  # WOPR's opening is not the person's to take back
    game.play(4)  # WOPR replies at 1
    assert game.moves == [0, 4, 1]
    game.undo()
    assert game.moves == [0] and game.board == ['X'] + [''] * 8 and game.last['cell'] == 0
    two = Game(in_order, players=2)
    for cell in (0, 3, 1):
        two.play(cell)
    two.undo()
    assert two.moves == [0, 3] and two.status()['turn'] == 'X'
    with pytest.raises(IllegalMove, match='WOPR vs WOPR'):
        Game(in_order, players=0).undo()


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_replay_shows_each_position_as_the_game_saw_it(default, data):
    """Any game, WOPR on either side or none: each position of its replay is the board before that move with the
    network's distribution there (a Network stepped over the boards by hand), WOPR's moves the one it chose from as
    the game said, the move's share of it; the last is the game's end as its status says it; the game is unchanged."""
    game = Game(default, data.draw(st.sampled_from('XO')), data.draw(st.sampled_from(('medium', 'perfect'))),
                data.draw(st.sampled_from((0, 1, 2))), seed=data.draw(st.integers(1, 99)))
    chosen = {}  # each of WOPR's moves: the distribution the game said it chose from
    for _ in range(data.draw(st.integers(0, 9))):
        if game.status()['over']:
            break
        if game.wopr_to_move():
            game.ai_move()
        else:
            game.play(data.draw(st.sampled_from([c for c in range(9) if not game.board[c]])))
        if game.last:
            chosen[game.moves.index(game.last['cell'])] = game.last['probs']
    status = game.status()
    replay = game.replay(list(game.moves))
    assert game.status() == status
    network, board = Network(default), [''] * 9
    state, policy = network.step(network.start(), encode(board))
    for n, (position, cell) in enumerate(zip(replay['positions'], game.moves)):
        side = 'XO'[n % 2]
        assert position == {'board': board, 'turn': side, 'probs': policy, 'move': cell, 'prob': policy[cell]}
        assert chosen.get(n, policy) == policy
        board = board[:cell] + [side] + board[cell + 1:]
        state, policy = network.step(state, encode(board))
    end = replay['positions'][len(game.moves)]
    assert len(replay['positions']) == len(game.moves) + 1 and end['move'] is None and end['prob'] is None
    assert end['board'] == status['board'] and end['turn'] == status['turn']
    assert end['probs'] == (None if status['over'] else policy)
    assert replay == {'positions': replay['positions'], **{k: status[k] for k in ('over', 'winner', 'line', 'draw')}}


@pytest.mark.parametrize('moves, error', [
    ([4, 4], "move 2: square 5 is already taken by X"),
    ([0, 3, 1, 4, 2, 5], 'move 6: the game was already over'),
    ([9], 'move 1: cell 9 is not on the board'), (['5'], "move 1: cell '5' is not on the board"),
    ([True], 'move 1: cell True'), ([4.0], 'move 1: cell 4.0'), ([None], 'move 1: cell None'),
    (list(range(10)), 'at most 9 moves'), ('5,1,9', 'a list of at most 9 moves'), (None, 'a list'),
])
def test_a_replay_of_moves_the_rules_refuse_says_which_and_changes_nothing(in_order, moves, error):
    game = Game(in_order, players=2)
    game.play(8)
    before = game.status()
    with pytest.raises(IllegalMove, match=error):
        game.replay(moves)
    assert game.status() == before


def test_a_replay_may_stop_before_the_end(in_order):
    replay = Game(in_order).replay([4, 0])
    assert [p['move'] for p in replay['positions']] == [4, 0, None]
    assert replay['over'] is False and replay['positions'][-1]['turn'] == 'X'
    assert replay['positions'][-1]['probs'] is not None and Game(in_order).replay([])['positions'][0]['turn'] == 'X'
