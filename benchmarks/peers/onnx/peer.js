// Benchmark peer of wopr's page (bench only): the same knowledge exported to ONNX (`wopr export --format onnx`),
// played by onnxruntime-web's wasm backend on the page's main thread. benchmarks/peers/onnx.py drives it.
import * as ort from './ort.wasm.min.mjs';

// No cross-origin isolation on a plain static server, so no SharedArrayBuffer: one thread, said outright.
ort.env.wasm.numThreads = 1;
const status = document.getElementById('status');

// The contract's encoding (ttt-planes/1), one row per step: the empty board, then the board after every move.
function boards(moves) {
  const data = new Float32Array((moves.length + 1) * 18);
  for (let i = 0; i < moves.length; i += 1) {
    for (let j = 0; j <= i; j += 1) data[(i + 1) * 18 + moves[j] + (j % 2) * 9] = 1;  // X moves first: even j
  }
  return new ort.Tensor('float32', data, [moves.length + 1, 18]);
}

let session;

// One inference of the game so far, then the most probable legal cell (ties: the lowest index).
async function reply(moves) {
  const { probs } = await session.run({ boards: boards(moves) });
  const last = Array.from(probs.data.subarray(probs.data.length - 9));
  let best = -1;
  for (let c = 0; c < 9; c += 1) {
    if (!moves.includes(c) && (best < 0 || last[c] > last[best])) best = c;
  }
  return { cell: best, probs: last };
}

try {
  const started = performance.now();
  session = await ort.InferenceSession.create('model.onnx', { executionProviders: ['wasm'] });
  const created = performance.now();
  const first = await reply([]);
  performance.mark('peer-playable');
  window.peer = {
    sessionMs: created - started,
    firstInferenceMs: performance.now() - created,
    async reply(moves) {
      const t = performance.now();
      const answer = await reply(moves);
      return { ...answer, ms: performance.now() - t };
    },
  };
  status.textContent = `playable: X would open on cell ${first.cell}`;
} catch (e) {
  status.textContent = `error: ${e}`;
}
