"""The bridge's JSON protocol: load, new, play, move, undo, replay, state, check; levels and players; failed loads
keep the game; bad requests answer ok:false."""
import hashlib
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.knowledge_files import make_knowledge
from wopr.evaluate import RuntimePolicy, play_strength
from wopr.runtime.check import OUTCOMES, chunk_for
from wopr.runtime.knowledge import load

OPS = ['load', 'new', 'play', 'move', 'undo', 'replay', 'state', 'check', 'other']
requests = st.fixed_dictionaries({'op': st.sampled_from(OPS)}, optional={
    'path': st.none() | st.integers() | st.text(max_size=5) | st.lists(st.integers(), max_size=2),
    'human': st.none() | st.sampled_from(['X', 'O', 'x', '', 'XO']) | st.integers(),
    'level': st.none() | st.sampled_from(['easy', 'medium', 'perfect', 'Perfect']) | st.integers(),
    'players': st.none() | st.integers(-1, 3) | st.booleans() | st.text(max_size=1),
    'cell': st.none() | st.integers(-3, 12) | st.floats() | st.text(max_size=2) | st.booleans(),
    'moves': st.none() | st.text(max_size=3) | st.lists(st.integers(-1, 9) | st.floats() | st.none(), max_size=10),
})


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp('bridge')
    broken = d / 'broken.safetensors'
    broken.write_bytes(b'\x08\0\0\0\0\0\0\0[1, 2]  ')
    return {'a': make_knowledge(d, hidden=8, seed=1), 'b': make_knowledge(d, hidden=4, seed=2, dtype='F16'),
            'broken': broken, 'missing': d / 'nothing.safetensors'}


def test_load_new_play_state(bridge, files):
    reply = bridge({'op': 'load', 'path': str(files['a'])})
    assert reply['ok'] is True
    assert reply['knowledge']['hidden_size'] == 8 and reply['knowledge']['bytes'] == files['a'].stat().st_size
    assert reply['state']['board'] == [''] * 9 and reply['state']['human'] == 'X'
    reply = bridge({'op': 'play', 'cell': 4})
    state = reply['state']
    assert reply['ok'] and state['board'][4] == 'X' and state['board'].count('O') == 1
    assert state['last']['cell'] == state['moves'][1] and len(state['last']['probs']) == 9
    assert bridge({'op': 'state'}) == reply
    reply = bridge({'op': 'new', 'human': 'O'})
    assert reply['ok'] and reply['state']['human'] == 'O' and reply['state']['board'].count('X') == 1
    assert set(bridge('{"op": "state"}')) == {'ok', 'state'}


def test_whole_games_end_with_a_result(bridge, files):
    bridge({'op': 'load', 'path': str(files['b'])})
    for human in ('X', 'O'):
        state = bridge({'op': 'new', 'human': human})['state']
        while not state['over']:
            state = bridge({'op': 'play', 'cell': state['board'].index('')})['state']
        assert state['draw'] or state['winner'] in ('X', 'O')
        assert state['turn'] is None and (state['line'] is None) == state['draw']


@pytest.mark.parametrize('bad', ['broken', 'missing'])
def test_a_failed_load_keeps_the_previous_knowledge_playing(bridge, files, bad):
    loaded = bridge({'op': 'load', 'path': str(files['a'])})
    bridge({'op': 'new', 'human': 'O'})
    before = bridge({'op': 'play', 'cell': bridge({'op': 'state'})['state']['board'].index('')})
    reply = bridge({'op': 'load', 'path': str(files[bad])})
    assert reply['ok'] is False
    assert ('header is not a JSON object' if bad == 'broken' else 'No such file') in reply['error']
    assert bridge({'op': 'state'}) == before
    after = bridge({'op': 'play', 'cell': before['state']['board'].index('')})
    assert after['ok'] and len(after['state']['moves']) == len(before['state']['moves']) + 2
    assert loaded['knowledge']['sha256'] == bridge({'op': 'load', 'path': str(files['a'])})['knowledge']['sha256']


def test_load_keeps_the_side_and_a_new_load_replaces_the_knowledge(bridge, files):
    bridge({'op': 'load', 'path': str(files['a'])})
    bridge({'op': 'new', 'human': 'O'})
    reply = bridge({'op': 'load', 'path': str(files['b'])})
    assert reply['knowledge']['hidden_size'] == 4 and reply['knowledge']['dtype'] == 'F16'
    assert reply['state']['human'] == 'O' and reply['state']['moves'] and len(reply['state']['moves']) == 1


@pytest.mark.parametrize('request_, error', [
    ('not json', 'a request is a JSON object'),
    ('[1, 2]', 'a request is a JSON object'),
    ('[' * 100_000, 'a request is a JSON object'),  # nesting too deep for CPython's parser (RecursionError)
    ('{"op": "fly"}', "unknown request 'fly'"),
    ('{}', 'unknown request None'),
    ('{"op": "load"}', 'missing field'),
    ('{"op": "load", "path": 0}', 'path must be a string'),
    ('{"op": "load", "path": null}', 'path must be a string'),
    ('{"op": "play", "cell": 4}', 'no knowledge loaded yet'),
    ('{"op": "state"}', 'no knowledge loaded yet'),
])
def test_bad_requests_before_any_load(bridge, request_, error):
    reply = bridge(request_)
    assert reply['ok'] is False and error in reply['error']


@pytest.mark.parametrize('request_, error', [
    ({'op': 'play', 'cell': 4}, 'square 5 is already taken by X'),
    ({'op': 'play', 'cell': 9}, 'cell 9 is not on the board (0-8)'),
    ({'op': 'play', 'cell': '4'}, "cell '4' is not on the board"),
    ({'op': 'play'}, 'cell None is not on the board'),
    ({'op': 'new', 'human': 'Z'}, "side must be X or O, not 'Z'"),
    ({'op': 'replay', 'moves': [4, 0, 4]}, 'move 3: square 5 is already taken by X'),
    ({'op': 'replay', 'moves': '5,1,9'}, 'a replay is a list of at most 9 moves'),
    ({'op': 'replay'}, 'a replay is a list'),
])
def test_bad_moves_answer_ok_false_and_change_nothing(bridge, files, request_, error):
    bridge({'op': 'load', 'path': str(files['a'])})
    before = bridge({'op': 'play', 'cell': 4})
    reply = bridge(request_)
    assert reply == {'ok': False, 'error': reply['error'], 'kind': reply['kind']} and error in reply['error']
    assert bridge({'op': 'state'}) == before


def test_a_replay_gives_the_game_on_the_board_position_by_position_and_keeps_it(bridge, files):
    bridge({'op': 'load', 'path': str(files['a'])})
    state = bridge({'op': 'new', 'human': 'O'})['state']
    while not state['over']:
        state = bridge({'op': 'play', 'cell': state['board'].index('')})['state']
    reply = bridge({'op': 'replay', 'moves': state['moves']})
    assert reply['ok'] and set(reply) == {'ok', 'replay'} and bridge({'op': 'state'})['state'] == state
    positions = reply['replay']['positions']
    assert [p['move'] for p in positions] == state['moves'] + [None] and positions[-1]['board'] == state['board']
    assert positions[state['moves'].index(state['last']['cell'])]['probs'] == state['last']['probs']
    assert reply['replay']['winner'] == state['winner'] and reply['replay']['line'] == state['line']
    # another game's moves too (a shared link's): the game in play stays
    other = bridge({'op': 'replay', 'moves': [0, 4, 8]})['replay']
    assert other['over'] is False and other['positions'][-1]['turn'] == 'O'
    assert bridge({'op': 'state'})['state'] == state


def test_any_request_gets_a_json_answer(bridge, files):
    bridge({'op': 'load', 'path': str(files['a'])})

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(requests, min_size=1, max_size=6))
    def check(batch):
        for request in batch:
            reply = bridge(request)
            assert reply['ok'] in (True, False)
            assert reply['ok'] or reply['error']
    check()


def test_a_load_checks_the_catalogs_sha256_and_carries_the_side(bridge, files):
    data = files['a'].read_bytes()
    reply = bridge({'op': 'load', 'path': str(files['a']), 'human': 'O', 'sha256': hashlib.sha256(data).hexdigest()})
    assert reply['ok'] and reply['state']['human'] == 'O' and reply['state']['board'].count('X') == 1
    before = bridge({'op': 'state'})
    reply = bridge({'op': 'load', 'path': str(files['b']), 'human': 'X', 'sha256': hashlib.sha256(data).hexdigest()})
    assert reply['ok'] is False and 'does not match the catalog' in reply['error']
    assert bridge({'op': 'state'}) == before  # refused: the game on the side it was on goes on
    assert bridge({'op': 'load', 'path': str(files['a']), 'human': 'Z'})['error'] == "side must be X or O, not 'Z'"
    assert bridge({'op': 'state'}) == before


def test_load_and_new_carry_level_players_and_seed(bridge, files):
    reply = bridge({'op': 'load', 'path': str(files['a']), 'level': 'medium', 'players': 2, 'seed': 9})
    state = reply['state']
    assert (state['level'], state['players'], state['human'], state['board']) == ('medium', 2, None, [''] * 9)
    state = bridge({'op': 'play', 'cell': 0})['state']
    assert state['board'][0] == 'X' and state['turn'] == 'O' and state['last'] is None  # nobody replied
    state = bridge({'op': 'new', 'players': 1, 'human': 'O'})['state']
    assert (state['level'], state['players'], state['human'], len(state['moves'])) == ('medium', 1, 'O', 1)
    state = bridge({'op': 'load', 'path': str(files['b'])})['state']  # a load keeps every setting
    assert (state['level'], state['players'], state['human']) == ('medium', 1, 'O')
    assert bridge({'op': 'new', 'level': 'perfect'})['state']['level'] == 'perfect'


def test_move_plays_wopr_against_itself_one_move_per_request(bridge, files):
    bridge({'op': 'load', 'path': str(files['a'])})
    assert 'not WOPR' in bridge({'op': 'move'})['error']  # one player: WOPR only replies
    state = bridge({'op': 'new', 'players': 0})['state']
    assert state['moves'] == [] and state['players'] == 0
    state = bridge({'op': 'play', 'cell': 2})['state']  # the opening, chosen for it
    while not state['over']:
        before = len(state['moves'])
        state = bridge({'op': 'move'})['state']
        assert len(state['moves']) == before + 1 and state['last']['cell'] == state['moves'][-1]
    assert bridge({'op': 'move'})['ok'] is False


@pytest.mark.parametrize('request_, error', [
    ({'op': 'new', 'level': 'hard'}, "level must be easy, medium or perfect, not 'hard'"),
    ({'op': 'new', 'players': '0'}, "players must be 0, 1 or 2, not '0'"),
    ({'op': 'load', 'path': '@a', 'players': 5}, 'players must be 0, 1 or 2, not 5'),
    ({'op': 'load', 'path': '@a', 'seed': 1.5}, 'seed must be a whole number, not 1.5'),
])
def test_bad_settings_are_refused_and_change_nothing(bridge, files, request_, error):
    bridge({'op': 'load', 'path': str(files['a'])})
    before = bridge({'op': 'play', 'cell': 4})
    if request_.get('path') == '@a':
        request_ = dict(request_, path=str(files['a']))
    reply = bridge(request_)
    assert reply['ok'] is False and reply['error'] == error
    assert bridge({'op': 'state'}) == before


def test_the_check_runs_in_parts_between_moves_and_a_new_load_starts_it_again(bridge, files):
    assert bridge({'op': 'check'}) == {'ok': False, 'error': 'no knowledge loaded yet', 'kind': 'KnowledgeError'}
    bridge({'op': 'load', 'path': str(files['a'])})
    first = bridge({'op': 'check'})['check']
    assert first['done'] is False and 0 < first['positions'] <= chunk_for(8)  # one part: a few positions at most
    assert bridge({'op': 'play', 'cell': 4})['ok']  # a move between two parts is answered at once
    assert first['positions'] < bridge({'op': 'check'})['check']['positions'] <= first['positions'] + chunk_for(8)
    bridge({'op': 'load', 'path': str(files['b'])})  # other knowledge: its own check, from the start
    reply = bridge({'op': 'check'})
    assert reply['check']['positions'] == 1  # the empty board: the first level
    while not reply['check']['done']:
        reply = bridge({'op': 'check'})
    figures = play_strength(RuntimePolicy(load(files['b'].read_bytes())), games=0)
    for side in ('X', 'O'):
        assert reply['check'][side] == {k: figures[side][k] for k in OUTCOMES}
    assert reply['check']['never_loses'] is False
    assert bridge({'op': 'check'}) == reply  # done: the same answer again
    assert bridge({'op': 'state'})['state']['moves'] == []  # the check never touches the game


def test_a_gob_file_without_the_importer_asks_for_it_and_keeps_the_game(bridge, files, monkeypatch):
    """The page's runtime comes without the 2018 importer: the runtime, not the worker, tells a gob file (the worker
    installs the importer on this answer and loads again)."""
    gob = Path(__file__).parent / 'fixtures' / 'gob' / 'h8.bin'
    before = bridge({'op': 'load', 'path': str(files['a'])})
    monkeypatch.setitem(sys.modules, 'wopr.runtime.gob', None)  # its import fails, as in a page that lacks it
    reply = bridge({'op': 'load', 'path': str(gob)})
    assert (reply['ok'], reply['kind']) == (False, 'ImporterMissing') and 'gob importer' in reply['error']
    assert bridge({'op': 'state'})['state'] == before['state']
    assert bridge({'op': 'load', 'path': str(files['b'])})['ok']  # a safetensors file needs no importer
    monkeypatch.undo()
    assert bridge({'op': 'load', 'path': str(gob)})['knowledge']['hidden_size'] == 8
