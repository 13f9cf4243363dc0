"""The runtime under MicroPython-wasm in Node (the npm build the page loads) plays exactly as under CPython."""
import ast
import hashlib
import json
import random

import pytest

from harness.micropython import RUNTIME_DIR, TOLERANCE, difference
from tests.support.knowledge_files import lying_files, make_knowledge
from tests.test_knowledge_reader import broken_files
from wopr.evaluate import RuntimePolicy, play_strength
from wopr.runtime.check import OUTCOMES
from wopr.runtime.format import MAX_HIDDEN
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT, KNOWLEDGE_DIR

ALLOWED = {'math', 'struct', 'json', 'array', 'hashlib', 'io'}

# Run as is by both interpreters: whole games, the human taking legal_moves[pick % n] from a list of picks.
GAMES = '''
from wopr.runtime.board import legal_moves
from wopr.runtime.game import Game
from wopr.runtime.format import KnowledgeError
from wopr.runtime.knowledge import load

_loaded = {}


def play_games(path, games):
    """For each (human side, picks): the status and the network's latest probabilities after every call."""
    if path not in _loaded:
        with open(path, 'rb') as f:
            _loaded[path] = load(f.read())
    records = []
    for human, picks in games:
        game = Game(_loaded[path], human)
        record = [[game.status(), game.policy]]
        for pick in picks:
            if game.status()['over']:
                break
            moves = legal_moves(game.board)
            game.play(moves[pick % len(moves)])
            record.append([game.status(), game.policy])
        records.append(record)
    return records


def read_error(path):
    """What the reader says about a file: its error type and message, or 'ok'."""
    with open(path, 'rb') as f:
        data = f.read()
    try:
        load(data)
    except KnowledgeError as e:
        return ['KnowledgeError', str(e)]
    return ['ok', '']
'''


def cpython_games():
    scope = {}
    exec(GAMES, scope)
    return scope


@pytest.fixture(scope='module')
def both(micropython):
    """(CPython functions, MicroPython caller) with GAMES defined in each."""
    micropython.run(GAMES)
    return cpython_games(), lambda name, *args: micropython.call_python('__main__', name, *args)


KNOWLEDGE = [  # (hidden, dtype, seed, scale, games per side): scaled-up weights give peaked, varied distributions
    (4, 'F32', 1, 3.0, 12), (16, 'F16', 2, 3.0, 12), (32, 'F32', 3, 2.0, 12), (64, 'F16', 4, 2.0, 12),
    (64, 'F32', 5, 1.0, 12), (130, 'F32', 6, 1.0, 2)]  # 130: dot products summed in chunks of 64, 64 and 2


@pytest.mark.parametrize('hidden, dtype, seed, scale, per_side', KNOWLEDGE)
def test_whole_games_same_moves_and_probabilities(both, micropython, tmp_path, hidden, dtype, seed, scale, per_side):
    ours, theirs = both
    path = make_knowledge(tmp_path, hidden=hidden, dtype=dtype, seed=seed, scale=scale)
    micropython.put(f'/data/{path.name}', path.read_bytes())
    rng = random.Random(seed)
    games = [[side, [rng.randrange(9) for _ in range(5)]] for side in ('X', 'O') for _ in range(per_side)]
    expected = ours['play_games'](str(path), games)
    for n, game in enumerate(games):  # one JS call per game: MicroPython collects its heap between calls only
        got = theirs('play_games', f'/data/{path.name}', [game])[0]
        assert [s['moves'] for s, _ in got] == [s['moves'] for s, _ in expected[n]]
        assert difference(got, expected[n]) is None, (n, difference(got, expected[n]))


@pytest.mark.parametrize('name', sorted(p.name for p in KNOWLEDGE_DIR.glob('*.safetensors')))
def test_shipped_knowledge_plays_every_opening_alike(both, micropython, name):
    ours, theirs = both
    path = KNOWLEDGE_DIR / name
    micropython.put(f'/data/{name}', path.read_bytes())
    games = [['X', [first, 0, 1, 2]] for first in range(9)] + [['O', [0, 1, 2, 3]], ['O', [8, 7, 6, 5]]]
    expected = ours['play_games'](str(path), games)
    for n, game in enumerate(games):
        assert difference(theirs('play_games', f'/data/{name}', [game])[0], expected[n]) is None


def test_reader_errors_are_the_same(both, micropython, tmp_path):
    """Every broken file of the reader's corpus gives the same KnowledgeError message: the runtime's own parser and
    wording decide it, not MicroPython's json (which accepted '{"a": 1,,}') or its repr (which escapes non-ASCII)."""
    ours, theirs = both
    valid = make_knowledge(tmp_path, hidden=3, seed=3).read_bytes()
    compared = 0
    for n, (what, data, _) in enumerate(broken_files(valid, tmp_path)):
        if not isinstance(data, bytes):
            continue
        (tmp_path / 'broken').write_bytes(data)
        micropython.put(f'/data/broken{n}', data)
        expected, got = ours['read_error'](str(tmp_path / 'broken')), theirs('read_error', f'/data/broken{n}')
        assert expected[0] == 'KnowledgeError' and got == expected, what
        compared += 1
    assert compared >= 44


def test_bridge_session_is_the_same(micropython, bridge, micropython_bridge, tmp_path):
    good = make_knowledge(tmp_path, hidden=8, seed=7, scale=2.0, name='good.safetensors')
    broken = tmp_path / 'broken.safetensors'
    broken.write_bytes(good.read_bytes()[:-3])
    micropython.put('/data/good.safetensors', good.read_bytes())
    micropython.put('/data/broken.safetensors', broken.read_bytes())
    session = [
        {'op': 'state'}, {'op': 'load', 'path': '@good'}, {'op': 'play', 'cell': 4}, {'op': 'play', 'cell': 4},
        {'op': 'load', 'path': '@broken'}, {'op': 'play', 'cell': 8}, {'op': 'new', 'human': 'O'},
        {'op': 'load', 'path': '@good', 'sha256': '0' * 64}, {'op': 'state'},
        {'op': 'load', 'path': '@good', 'human': 'O', 'sha256': hashlib.sha256(good.read_bytes()).hexdigest()},
        {'op': 'new', 'human': 'Z'}, {'op': 'play', 'cell': 9}, {'op': 'play', 'cell': 'a'}, {'op': 'fly'},
        {'op': 'load'}, {'op': 'load', 'path': 3}, {'op': 'play', 'cell': 0},
        # levels and players: medium's seeded draws, WOPR against itself move by move, two people
        {'op': 'load', 'path': '@good', 'human': 'X', 'level': 'medium', 'seed': 12345},
        *[{'op': 'new'}, {'op': 'play', 'cell': 0}, {'op': 'play', 'cell': 2}, {'op': 'play', 'cell': 7}] * 4,
        {'op': 'new', 'human': 'O', 'level': 'bad'}, {'op': 'new', 'human': 'O'}, {'op': 'move'},
        {'op': 'new', 'players': 0}, {'op': 'play', 'cell': 5}, *[{'op': 'move'}] * 9,
        {'op': 'new', 'players': 0, 'level': 'perfect'}, *[{'op': 'move'}] * 9,
        {'op': 'new', 'players': 2}, {'op': 'play', 'cell': 4}, {'op': 'move'}, {'op': 'play', 'cell': 0},
        # moves taken back: two people one by one, against WOPR with its reply, refused in WOPR vs WOPR
        {'op': 'undo'}, {'op': 'undo'}, {'op': 'undo'}, {'op': 'play', 'cell': 8},
        {'op': 'new', 'players': 1, 'human': 'O'}, {'op': 'undo'}, {'op': 'play', 'cell': 4}, {'op': 'undo'},
        {'op': 'play', 'cell': 2}, {'op': 'new', 'players': 0}, {'op': 'move'}, {'op': 'undo'},
        # replays: the game on the board, a shared link's moves, moves the rules refuse
        {'op': 'replay', 'moves': [5, 0]}, {'op': 'replay', 'moves': [4, 0, 8, 2, 1, 7, 6, 3, 5]},
        {'op': 'replay', 'moves': [0, 3, 1, 4, 2, 5]}, {'op': 'replay', 'moves': [4, 4]},
        {'op': 'replay', 'moves': [1.0]}, {'op': 'replay', 'moves': [True]}, {'op': 'replay', 'moves': '5,1'},
        {'op': 'replay', 'moves': list(range(10))}, {'op': 'replay'}]
    for request in session:
        path = request.get('path')
        named = path in ('@good', '@broken')
        local = dict(request, path=str(tmp_path / f'{path[1:]}.safetensors')) if named else request
        remote = dict(request, path=f'/data/{path[1:]}.safetensors') if named else request
        expected, got = bridge(local), micropython_bridge(remote)
        if 'knowledge' in expected:
            assert got['knowledge']['sha256'] == expected['knowledge']['sha256']
            got['knowledge'] = expected['knowledge'] = None
        assert difference(got, expected) is None, (request, difference(got, expected))


def test_the_check_in_parts_gives_evaluates_figures(micropython, bridge, micropython_bridge, tmp_path):
    """The page's check, one bridge call (one call from JS) per part in MicroPython-wasm, counts what `wopr evaluate`
    counts in CPython, part by part as the CPython bridge does: the shipped default, a lively random network, a
    zero-weight network whose metadata claims the default's figures."""
    files = {'default': DEFAULT, 'lively': make_knowledge(tmp_path, hidden=8, seed=7, scale=2.0),
             'copied': lying_files(tmp_path)['copied']}
    for name, path in files.items():
        micropython.put(f'/data/{name}', path.read_bytes())
        bridge({'op': 'load', 'path': str(path)})
        micropython_bridge({'op': 'load', 'path': f'/data/{name}'})
        parts = []
        while not parts or not parts[-1]['done']:
            parts.append(micropython_bridge({'op': 'check'})['check'])
            assert bridge({'op': 'check'})['check'] == parts[-1], name
        figures = play_strength(RuntimePolicy(load(path.read_bytes())), games=0)
        for side in ('X', 'O'):
            assert parts[-1][side] == {k: figures[side][k] for k in OUTCOMES}, name
        assert parts[-1]['never_loses'] is (name == 'default') and len(parts) > 2


def test_the_widest_dot_product_fits_micropython(micropython):
    """A dot product as wide as the widest hidden size the reader accepts (one kernel that wide overflowed
    MicroPython-wasm's Python stack), equal to CPython's."""
    code = (f'from wopr.runtime.lstm import dot_function\n'
            f'w = [((k * 7919) % 1000) / 999.0 - 0.5 for k in range({MAX_HIDDEN})]\n'
            f'result = dot_function({MAX_HIDDEN})(0.25, w, w[::-1])\n')
    scope = {}
    exec(code, scope)
    got = float(micropython.run(code + 'print(repr(result))'))
    assert abs(got - scope['result']) <= TOLERANCE


def runtime_imports():
    """(file, module) for every import statement of every runtime file; relative ones as '.name'."""
    found = []
    for path in sorted(RUNTIME_DIR.glob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found += [(path.name, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                found.append((path.name, '.' * node.level + (node.module or '')))
            elif isinstance(node, ast.Call) and getattr(node.func, 'id', None) == '__import__':
                found.append((path.name, '__import__'))
    return found


def test_runtime_imports_only_what_micropython_has():
    imports = runtime_imports()
    assert imports
    modules = {p.stem for p in RUNTIME_DIR.glob('*.py')}
    for name, module in imports:
        if module.startswith('.'):
            assert module[1:] in modules and not module.startswith('..'), (name, module)
        else:
            assert module in ALLOWED, (name, module)


def test_every_runtime_module_imports_in_micropython(micropython):
    names = sorted(p.stem for p in RUNTIME_DIR.glob('*.py') if p.stem != '__init__')
    printed = micropython.run(
        'import sys\nbefore = set(sys.modules)\n'
        + ''.join(f'import wopr.runtime.{n}\n' for n in names)
        + 'print(json.dumps(sorted(m for m in set(sys.modules) - before if not m.startswith("wopr"))))')
    assert set(json.loads(printed)) <= ALLOWED
    assert micropython.run('import sys\nprint(sys.implementation.name, sys.implementation.version[:2])').split() == \
        ['micropython', '(1,', '27)']


def test_the_training_curve_is_the_same(micropython):
    """The card draws the curve the runtime computes in the worker: MicroPython places every point as CPython does,
    a sum of counts past any float included."""
    from wopr.runtime.metadata import curve
    odd = [{'epoch': 1, 'losses_x': 3, 'losses_o': 1, 'optimal_pct': 80.0}, {'loss': 0.5},
           {'epoch': 2, 'losses_x': 10 ** 308, 'losses_o': 10 ** 308}, {'epoch': 5, 'losses_x': 0, 'losses_o': 0}]
    histories = [odd, [{'loss': 1 / n} for n in (1, 2, 3)]]
    histories += [load(p.read_bytes()).history for p in sorted(KNOWLEDGE_DIR.glob('*.safetensors'))]
    printed = micropython.run('import json\nfrom wopr.runtime.metadata import curve\n'
                              f'for h in {histories!r}:\n    print(json.dumps(curve(h)))\n')
    got = [json.loads(line) for line in printed.splitlines()]
    assert len(got) == len(histories) and [p['at'] for p in got[0]['points']] == [1, 5]
    for history, theirs in zip(histories, got):
        assert difference(theirs, curve(history)) is None


def test_the_settings_read_in_the_same_words(micropython):
    from wopr.runtime.metadata import setting_words
    trainings = [load(p.read_bytes()).training for p in sorted(KNOWLEDGE_DIR.glob('*.safetensors'))]
    trainings.append({'lr': 2 / 3, 'threads': 1, 'until_perfect': False, 'odd': None, 'big': 10 ** 30, 'f': 1e-7})
    printed = micropython.run('import json\nfrom wopr.runtime.metadata import setting_words\n'
                              f'for t in {trainings!r}:\n    print(json.dumps(setting_words(t)))\n')
    assert [json.loads(line) for line in printed.splitlines()] == [setting_words(t) for t in trainings]
