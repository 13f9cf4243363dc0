// Benchmark peer of wopr's page (bench only): the same wopr.runtime files and knowledge on Pyodide (CPython in wasm),
// on the page's main thread, speaking the same bridge. benchmarks/peers/pyodide.py drives it.
import { loadPyodide } from './pyodide.mjs';

const status = document.getElementById('status');
const bytes = (url) => fetch(url).then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b));

try {
  const started = performance.now();
  // the engine, the runtime ({name: source}) and the knowledge, fetched at once
  const [pyodide, runtime, knowledge] = await Promise.all([
    loadPyodide({ indexURL: new URL('./', import.meta.url).href }),
    fetch('runtime.json').then((r) => r.json()), bytes('knowledge.safetensors')]);
  const engine = performance.now();
  pyodide.FS.mkdirTree('/lib/wopr/runtime');
  pyodide.FS.writeFile('/lib/wopr/__init__.py', '');
  for (const [name, text] of Object.entries(runtime)) pyodide.FS.writeFile(`/lib/wopr/runtime/${name}`, text);
  pyodide.FS.writeFile('/knowledge.safetensors', knowledge);
  pyodide.runPython('import sys; sys.path.insert(0, "/lib")');
  const bridge = pyodide.pyimport('wopr.runtime.bridge');
  const ask = (request) => JSON.parse(bridge.handle(JSON.stringify(request)));
  const loaded = ask({ op: 'load', path: '/knowledge.safetensors', human: 'X' });
  if (!loaded.ok) throw new Error(loaded.error);
  performance.mark('peer-playable');
  window.peer = {
    engineMs: engine - started,
    // one bridge request, timed as the page's worker times its Python part
    ask(request) {
      const t = performance.now();
      const reply = ask(request);
      return { ...reply, ms: performance.now() - t };
    },
  };
  status.textContent = 'playable';
} catch (e) {
  status.textContent = `error: ${e}`;
}
