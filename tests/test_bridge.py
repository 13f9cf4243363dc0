"""The browser bridge's JSON protocol: load, new, play, state; failed loads keep the game; bad requests answer ok:false."""
import importlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_knowledge
from wopr.runtime import bridge

requests = st.fixed_dictionaries({'op': st.sampled_from(['load', 'new', 'play', 'state', 'other'])}, optional={
    'path': st.none() | st.integers() | st.text(max_size=5) | st.lists(st.integers(), max_size=2),
    'human': st.none() | st.sampled_from(['X', 'O', 'x', '', 'XO']) | st.integers(),
    'cell': st.none() | st.integers(-3, 12) | st.floats() | st.text(max_size=2) | st.booleans(),
})


@pytest.fixture
def handle():
    """A fresh bridge (its game is module state, as in the worker); returns handle() with JSON decoded."""
    importlib.reload(bridge)
    yield lambda request: json.loads(bridge.handle(request if isinstance(request, str) else json.dumps(request)))
    importlib.reload(bridge)  # leave no game behind for other tests of the bridge


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp('bridge')
    broken = d / 'broken.safetensors'
    broken.write_bytes(b'\x08\0\0\0\0\0\0\0[1, 2]  ')
    return {'a': make_knowledge(d, hidden=8, seed=1), 'b': make_knowledge(d, hidden=4, seed=2, dtype='F16'),
            'broken': broken, 'missing': d / 'nothing.safetensors'}


def test_load_new_play_state(handle, files):
    reply = handle({'op': 'load', 'path': str(files['a'])})
    assert reply['ok'] is True
    assert reply['knowledge']['hidden_size'] == 8 and reply['knowledge']['bytes'] == files['a'].stat().st_size
    assert reply['state']['board'] == [''] * 9 and reply['state']['human'] == 'X'
    reply = handle({'op': 'play', 'cell': 4})
    state = reply['state']
    assert reply['ok'] and state['board'][4] == 'X' and state['board'].count('O') == 1
    assert state['last']['cell'] == state['moves'][1] and len(state['probs']) == 9
    assert handle({'op': 'state'}) == reply
    reply = handle({'op': 'new', 'human': 'O'})
    assert reply['ok'] and reply['state']['human'] == 'O' and reply['state']['board'].count('X') == 1
    assert set(handle('{"op": "state"}')) == {'ok', 'state'}


def test_whole_games_end_with_a_result(handle, files):
    handle({'op': 'load', 'path': str(files['b'])})
    for human in ('X', 'O'):
        state = handle({'op': 'new', 'human': human})['state']
        while not state['over']:
            state = handle({'op': 'play', 'cell': state['board'].index('')})['state']
        assert state['draw'] or state['winner'] in ('X', 'O')
        assert state['turn'] is None and (state['line'] is None) == state['draw']


@pytest.mark.parametrize('bad', ['broken', 'missing'])
def test_a_failed_load_keeps_the_previous_knowledge_playing(handle, files, bad):
    loaded = handle({'op': 'load', 'path': str(files['a'])})
    handle({'op': 'new', 'human': 'O'})
    before = handle({'op': 'play', 'cell': handle({'op': 'state'})['state']['board'].index('')})
    reply = handle({'op': 'load', 'path': str(files[bad])})
    assert reply['ok'] is False
    assert ('header is not a JSON object' if bad == 'broken' else 'No such file') in reply['error']
    assert handle({'op': 'state'}) == before
    after = handle({'op': 'play', 'cell': before['state']['board'].index('')})
    assert after['ok'] and len(after['state']['moves']) == len(before['state']['moves']) + 2
    assert loaded['knowledge']['sha256'] == handle({'op': 'load', 'path': str(files['a'])})['knowledge']['sha256']


def test_load_keeps_the_side_and_a_new_load_replaces_the_knowledge(handle, files):
    handle({'op': 'load', 'path': str(files['a'])})
    handle({'op': 'new', 'human': 'O'})
    reply = handle({'op': 'load', 'path': str(files['b'])})
    assert reply['knowledge']['hidden_size'] == 4 and reply['knowledge']['dtype'] == 'F16'
    assert reply['state']['human'] == 'O' and reply['state']['moves'] and len(reply['state']['moves']) == 1


@pytest.mark.parametrize('request_, error', [
    ('not json', ''),
    ('[1, 2]', 'a request is a JSON object'),
    ('{"op": "fly"}', "unknown request 'fly'"),
    ('{}', 'unknown request None'),
    ('{"op": "load"}', 'missing field'),
    ('{"op": "load", "path": 0}', 'path must be a string'),
    ('{"op": "load", "path": null}', 'path must be a string'),
    ('{"op": "play", "cell": 4}', 'no knowledge loaded yet'),
    ('{"op": "state"}', 'no knowledge loaded yet'),
])
def test_bad_requests_before_any_load(handle, request_, error):
    reply = handle(request_)
    assert reply['ok'] is False and error in reply['error'] and reply['error']


@pytest.mark.parametrize('request_, error', [
    ({'op': 'play', 'cell': 4}, 'square 5 is already taken by X'),
    ({'op': 'play', 'cell': 9}, 'cell 9 is not on the board (0-8)'),
    ({'op': 'play', 'cell': '4'}, "cell '4' is not on the board"),
    ({'op': 'play'}, 'cell None is not on the board'),
    ({'op': 'new', 'human': 'Z'}, "side must be X or O, not 'Z'"),
])
def test_bad_moves_answer_ok_false_and_change_nothing(handle, files, request_, error):
    handle({'op': 'load', 'path': str(files['a'])})
    before = handle({'op': 'play', 'cell': 4})
    reply = handle(request_)
    assert reply == {'ok': False, 'error': reply['error']} and error in reply['error']
    assert handle({'op': 'state'}) == before


def test_any_request_gets_a_json_answer(handle, files):
    handle({'op': 'load', 'path': str(files['a'])})

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(requests, min_size=1, max_size=6))
    def check(batch):
        for request in batch:
            reply = handle(request)
            assert reply['ok'] in (True, False)
            assert reply['ok'] or reply['error']
    check()
