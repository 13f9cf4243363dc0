"""The one protocol every front end speaks: a JSON request in, a JSON reply out, one call per message.

Requests:
  {'op': 'load', 'path', 'human'?, 'level'?, 'players'?, 'seed'?, 'sha256'?}  new knowledge and a new game on it
  {'op': 'new', 'human'?, 'level'?, 'players'?}  a new game (WOPR opens when it plays X)
  {'op': 'play', 'cell'}  a person's move (cells 0-8), with WOPR's reply in a one-player game
  {'op': 'move'}          WOPR's next move in a game it plays on both sides (players 0): one call per move
  {'op': 'undo'}          take back the person's last move and WOPR's reply (players 2: the last move)
  {'op': 'replay', 'moves'}  each position of the game `moves` (cells 0-8) plays, with the network's distribution
                          for the move made from it (Game.replay); the game in play is not changed
  {'op': 'state'}
  {'op': 'check'}         one more part of the exhaustive check of the knowledge in play (runtime.check): a few
                          milliseconds per call, so a move asked for meanwhile waits for one part, never the whole
human is 'X' or 'O', level 'easy', 'medium' or 'perfect' (see game.LEVELS), players 0, 1 or 2; a setting left out
stays as it was (at the first load: X, perfect, 1; seed 1 seeds medium's draws). Replies: {'ok': true, 'state',
'knowledge'? (load)}, {'ok': true, 'replay'} (replay), {'ok': true, 'check': Check.status()} (check: after a new
load it starts again; once done it answers its result again), or {'ok': false, 'error', 'kind'} (the error's class
name); a request that fails changes nothing (a check that fails starts again at the next call).
"""
import json

from .check import Check, chunk_for
from .game import Game
from .knowledge import KnowledgeError, load

_game = None
_check = None  # the exhaustive check of _game's knowledge, under way or done
SETTINGS = ('human', 'level', 'players')


class Mismatch(KnowledgeError):
    """The file is not the one the catalog describes (a stale copy in a cache, or a corrupted one)."""


def _read_file(path):
    """The file's bytes, read at once into a buffer of its size (MicroPython's read() grows its buffer step by step,
    which took 7 s for a 7 MB file)."""
    with open(path, 'rb') as f:
        data = bytearray(f.seek(0, 2))
        f.seek(0)
        n = f.readinto(data)
    return data if n == len(data) else data[:n]


def _load(request):
    """A game on new knowledge; the game in use is replaced only once the whole reply is ready."""
    global _game
    path = request['path']
    if type(path) is not str:  # open() takes a number as a file descriptor: 0 would read stdin
        raise ValueError(f'path must be a string, not {path!r}')
    knowledge = load(_read_file(path))
    expected = request.get('sha256')
    if expected is not None and knowledge.sha256 != expected:
        raise Mismatch(f'the file does not match the catalog (sha256 {knowledge.sha256[:12]}..., expected '
                             f'{str(expected)[:12]}...): refused')
    seed = request.get('seed', 1)
    if type(seed) is not int:
        raise ValueError(f'seed must be a whole number, not {seed!r}')
    settings = {}
    for key in SETTINGS:  # each left out (or null) as the game before had it
        value = request.get(key)
        settings[key] = getattr(_game, key) if value is None and _game else value
    game = Game(knowledge, seed=seed, **settings)
    reply = json.dumps({'ok': True, 'knowledge': knowledge.summary(), 'state': game.status()})
    _game = game
    return reply


def _request(message):
    try:
        request = json.loads(message)
    except Exception:  # noqa: BLE001 (bad JSON, or nesting deep enough to exhaust the parser)
        request = None
    if type(request) is not dict:
        raise ValueError('a request is a JSON object')
    return request


def _checked():
    """One more part of the check of the knowledge in play; a check of other knowledge is dropped."""
    global _check
    knowledge = _game.knowledge
    if _check is None or _check.knowledge is not knowledge:
        # on the game's network, built already: the first part is as quick as the others
        _check = Check(knowledge, chunk_for(knowledge.hidden_size), _game.network)
    if not _check.done:
        try:
            _check.advance()
        except BaseException:  # a walk cut short (out of memory) cannot resume: the next call starts it again
            _check = None
            raise
    return json.dumps({'ok': True, 'check': _check.status()})


def _answer(request):
    op = request.get('op')
    if op not in ('load', 'new', 'play', 'move', 'undo', 'replay', 'state', 'check'):
        raise ValueError(f'unknown request {op!r}')
    if op == 'load':
        return _load(request)
    if _game is None:
        raise KnowledgeError('no knowledge loaded yet')
    if op == 'check':
        return _checked()
    if op == 'replay':
        return json.dumps({'ok': True, 'replay': _game.replay(request.get('moves'))})
    if op == 'new':
        _game.new(request.get('human'), request.get('level'), request.get('players'))
    elif op == 'play':
        _game.play(request.get('cell'))
    elif op == 'move':
        _game.ai_move()
    elif op == 'undo':
        _game.undo()
    return json.dumps({'ok': True, 'state': _game.status()})


def handle(message):
    """Answer one request (see the module's docstring); never raises, so the page always gets its answer."""
    try:
        return _answer(_request(message))
    except KeyError as e:  # its str() differs between CPython ("'path'") and MicroPython ("path"): use the argument
        error, kind = f'missing field {e.args[0]!r}', 'KeyError'
    except (ValueError, OSError) as e:  # KnowledgeError and IllegalMove are ValueErrors
        error, kind = str(e), type(e).__name__
    except Exception as e:  # noqa: BLE001 (out of memory, too deep to serialise: the engine lives on, this request fails)
        error, kind = f'the engine could not answer this request ({type(e).__name__})', type(e).__name__
    return json.dumps({'ok': False, 'error': error, 'kind': kind})
