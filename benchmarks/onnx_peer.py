"""Benchmark peer: the same knowledge as ONNX in onnxruntime-web (wasm, one thread) in headless Chromium."""
import gzip
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import onnxruntime
from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.table import Table
from tests.support.browser import launch, static_server

from wopr.runtime.board import encode, is_over, legal_moves, new_board, to_move

HERE = Path(__file__).parent
ORT = HERE / 'node_modules' / 'onnxruntime-web'
# The wasm-only ESM build and the one wasm it loads (the other .wasm files are WebGPU/JSPI variants it never asks for)
ORT_FILES = ('ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm')
COLD_RUNS = 5   # each moves 14 MB over loopback and compiles it: fewer runs than the page's 9
GAMES = 20      # full games against a random opponent, sides alternating
PLAYABLE = '''new Promise((resolve, reject) => {
  new PerformanceObserver((list, observer) => {
    const mark = list.getEntriesByName('peer-playable')[0];
    if (mark) {
      observer.disconnect();
      resolve(mark.startTime);
    }
  }).observe({ type: 'mark', buffered: true });
  setTimeout(() => reject(new Error(`not playable: ${document.querySelector('#status').textContent}`)), 60000);
})'''


def transferred(request):
    """Bytes on the wire for one finished request (as benchmarks/page.py counts them)."""
    sizes = request.sizes()
    body = sizes['responseBodySize'] or int(request.response().header_value('content-length') or 0)
    return sizes['requestHeadersSize'] + sizes['responseHeadersSize'] + body


def stage(folder, onnx_path):
    """The page's folder: index.html, peer.js, onnxruntime-web's wasm build and the model."""
    dist = ORT / 'dist'
    if not dist.is_dir():
        raise RuntimeError(f'{dist} is missing: make bench installs it (cd benchmarks && npm ci)')
    for path in (HERE / 'onnx_peer').iterdir():
        shutil.copy(path, folder)
    for name in ORT_FILES:
        shutil.copy(dist / name, folder)
    shutil.copy(onnx_path, Path(folder) / 'model.onnx')


def cold_load(playwright, url):
    """A new browser with a new profile opens the page: bytes and requests until playable, ms to playable."""
    browser = launch(playwright)
    try:
        page = browser.new_page()
        finished = []
        page.on('requestfinished', lambda request: finished.append(request))
        page.goto(url)
        ready = page.evaluate(PLAYABLE)
        phases = page.evaluate('[peer.sessionMs, peer.firstInferenceMs]')
        page.wait_for_timeout(200)  # any straggler would show up here, and be counted
        return {'bytes': sum(transferred(r) for r in finished), 'requests': len(finished), 'ready': ready,
                'session': phases[0], 'first': phases[1]}
    finally:
        browser.close()


def replies(playwright, url, onnx_path, games, seed):
    """Reply times (inference of the game so far + argmax over legal cells, in the page), and the largest
    difference between the page's probabilities and onnxruntime's in Python on the same file and the runtime's
    encoding (a check of peer.js too)."""
    native = onnxruntime.InferenceSession(str(onnx_path), providers=['CPUExecutionProvider'])
    browser = launch(playwright)
    try:
        page = browser.new_page()
        page.goto(url)
        page.evaluate(PLAYABLE)
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


def measure_onnx_peer(onnx_path, shared=None, cold_runs=COLD_RUNS, games=GAMES, seed=0):
    """The peer's figures for an ONNX file from `wopr export --format onnx`: bytes before the first move can be
    answered, cold navigation to playable (session created + first inference), reply time; `shared`: a running
    sync Playwright to use (wopr's page measured in the same run), else one is started."""
    with tempfile.TemporaryDirectory() as folder, (nullcontext(shared) if shared else sync_playwright()) as playwright:
        stage(folder, onnx_path)
        gzipped = sum(len(gzip.compress(path.read_bytes(), 9)) for path in Path(folder).iterdir())
        with static_server(folder) as url:
            loads = [cold_load(playwright, url) for _ in range(cold_runs)]
            times, max_dp = replies(playwright, url, onnx_path, games, seed)
    return {'onnxruntime_web': json.loads((ORT / 'package.json').read_text())['version'],
            'model_bytes': Path(onnx_path).stat().st_size,
            'bytes': max(load['bytes'] for load in loads), 'requests': loads[0]['requests'], 'gzip_bytes': gzipped,
            'ready_ms': statistics.median(load['ready'] for load in loads),
            'ready_runs_ms': [load['ready'] for load in loads],
            'session_ms': statistics.median(load['session'] for load in loads),
            'first_inference_ms': statistics.median(load['first'] for load in loads),
            'reply_ms': statistics.median(times), 'reply_p90_ms': statistics.quantiles(times, n=10)[-1],
            'replies': len(times), 'max_dp_vs_onnxruntime': max_dp}


def main():
    """Export the shipped default knowledge and measure the peer alone (benchmarks/page.py may compare)."""
    from wopr.export.onnx import onnx_bytes
    from wopr.sources import DEFAULT, load_knowledge
    load = os.getloadavg()[0]  # before: the measurement's own load would count otherwise
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / 'default.onnx'
        path.write_bytes(onnx_bytes(load_knowledge(DEFAULT)))
        figures = measure_onnx_peer(path)
    table = Table(title=f'Peer: {DEFAULT.name} as ONNX in onnxruntime-web {figures["onnxruntime_web"]} (wasm, 1 '
                        f'thread), headless Chromium, {platform.machine()}, load average {load:.2f} before')
    table.add_column('')
    table.add_column('peer', justify='right')
    table.add_row(f'bytes before the first move ({figures["requests"]} requests)', f'{figures["bytes"] / 1e6:.3f} MB')
    table.add_row('  the same files gzip -9 (the plain server sends them raw)', f'{figures["gzip_bytes"] / 1e6:.3f} MB')
    table.add_row(f'navigation to playable, cold (median of {COLD_RUNS})', f'{figures["ready_ms"]:.0f} ms')
    table.add_row('  each cold run', ', '.join(f'{ms:.0f}' for ms in figures['ready_runs_ms']))
    table.add_row('  session created / first inference (median)',
                  f'{figures["session_ms"]:.0f} / {figures["first_inference_ms"]:.1f} ms')
    table.add_row(f'reply: inference + legal argmax, median / p90 ({figures["replies"]})',
                  f'{figures["reply_ms"]:.2f} / {figures["reply_p90_ms"]:.2f} ms')
    table.add_row('max |dp| vs onnxruntime (Python)', f'{figures["max_dp_vs_onnxruntime"]:.1e}')
    Console(width=max(Console().width, 100)).print(table)
    return 0


if __name__ == '__main__':
    started = time.perf_counter()
    status = main()
    print(f'({time.perf_counter() - started:.0f} s)', file=sys.stderr)
    sys.exit(status)
