"""The browser worker's one entry point: a JSON request in, a JSON reply out, one call per message."""
import json

from .game import Game
from .knowledge import KnowledgeError, load

_game = None


def _read_file(path):
    """The file's bytes, read at once into a buffer of its size: MicroPython's read() grows its buffer as it
    goes, which took 7 s for a 7 MB file."""
    with open(path, 'rb') as f:
        data = bytearray(f.seek(0, 2))
        f.seek(0)
        n = f.readinto(data)
    return data if n == len(data) else data[:n]


def _load(path):
    global _game
    data = _read_file(path)
    knowledge = load(data)  # raises before anything changes: a bad file keeps the knowledge in use
    _game = Game(knowledge, _game.human if _game else 'X')
    return {'knowledge': knowledge.summary(), 'state': _game.status()}


def _request(message):
    try:
        request = json.loads(message)
    except Exception:  # noqa: BLE001 (bad JSON, or nesting deep enough to exhaust CPython's parser: RecursionError)
        request = None
    if type(request) is not dict:
        raise ValueError('a request is a JSON object')
    return request


def _dispatch(request):
    op = request.get('op')
    if op not in ('load', 'new', 'play', 'state'):
        raise ValueError(f'unknown request {op!r}')
    if op == 'load':
        path = request['path']
        if type(path) is not str:  # open() takes a number as a file descriptor: 0 would read stdin
            raise ValueError(f'path must be a string, not {path!r}')
        return _load(path)
    if _game is None:
        raise KnowledgeError('no knowledge loaded yet')
    if op == 'new':
        _game.new(request.get('human', 'X'))
    elif op == 'play':
        _game.play(request.get('cell'))
    return {'state': _game.status()}


def handle(message):
    """Answer one request: {'op': 'load', 'path'} | {'op': 'new', 'human'} | {'op': 'play', 'cell'} | {'op': 'state'}."""
    try:
        reply = _dispatch(_request(message))
        reply['ok'] = True
    except (ValueError, KeyError, OSError) as e:  # KnowledgeError and IllegalMove are ValueErrors
        # a KeyError's str() differs between CPython ("'path'") and MicroPython ("path"): use its argument
        reply = {'ok': False, 'error': f'missing field {e.args[0]!r}' if isinstance(e, KeyError) else str(e)}
    return json.dumps(reply)
