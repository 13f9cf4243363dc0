"""Peer: the same knowledge as ONNX (`wopr export --format onnx`) in onnxruntime-web (wasm, one thread)."""
import json
import random
import shutil
import statistics
from pathlib import Path

import numpy as np
import onnxruntime

from harness.browser import launch
from wopr.runtime.board import encode, is_over, legal_moves, new_board, to_move
from wopr.web.server import url_of

from . import cold_load, playable, serving
from . import stage as page_files

HERE = Path(__file__).parent
ORT = HERE.parent / 'node_modules' / 'onnxruntime-web'
# The wasm-only ESM build and the one wasm it loads (the other .wasm files are WebGPU/JSPI variants it never asks for)
ORT_FILES = ('ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm')
MARK = 'peer-playable'


def version():
    return json.loads((ORT / 'package.json').read_text())['version']


def stage(folder, onnx_path):
    """The page's folder: index.html, peer.js, onnxruntime-web's wasm build and the model."""
    page_files(folder, HERE / 'onnx', ORT / 'dist', ORT_FILES)
    shutil.copy(onnx_path, Path(folder) / 'model.onnx')


def replies(playwright, url, onnx_path, games, seed):
    """Reply times (inference of the game so far + argmax over legal cells, in the page), and the largest
    difference between the page's probabilities and onnxruntime's in Python on the same file (a check of peer.js)."""
    native = onnxruntime.InferenceSession(str(onnx_path), providers=['CPUExecutionProvider'])
    browser = launch(playwright)
    try:
        page = browser.new_page()
        page.goto(url)
        page.evaluate(playable(MARK))
        rng, times, max_dp = random.Random(seed), [], 0.0
        for game in range(games):
            board, moves, steps = new_board(), [], [encode(new_board())]
            while not is_over(board):
                if len(moves) % 2 == game % 2:  # the AI plays X (it opens) in even games, O in odd ones
                    answer = page.evaluate('moves => peer.reply(moves)', moves)
                    expected = native.run(None, {'boards': np.array(steps, np.float32)})[0][-1]
                    max_dp = max(max_dp, float(np.abs(np.array(answer['probs']) - expected).max()))
                    times.append(answer['ms'])
                    cell = answer['cell']
                else:
                    cell = rng.choice(legal_moves(board))
                board[cell] = to_move(board)
                moves.append(cell)
                steps.append(encode(board))
        return times, max_dp
    finally:
        browser.close()


def measure(playwright, folder, onnx_path, cold_runs, games, seed=0):
    """Bytes before the first move can be answered, cold navigation to playable (session made and a first
    inference), reply times."""
    stage(folder, onnx_path)
    with serving(folder) as server:
        loads = [cold_load(playwright, server, MARK, '({session: peer.sessionMs})') for _ in range(cold_runs)]
        times, max_dp = replies(playwright, url_of(server), onnx_path, games, seed)
    return {'bytes': max(x['bytes'] for x in loads), 'ready': [x['ready'] for x in loads],
            'reply': times, 'max_dp': max_dp, 'session': statistics.median(x['session'] for x in loads)}
