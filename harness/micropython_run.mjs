// Drive MicroPython-wasm (the npm build the browser loads) for the tests and benchmarks.
// Usage: node micropython_run.mjs <abs path to micropython.mjs>
// One JSON request per stdin line, one JSON reply per stdout line: {"result": ...} or {"error": "..."}.
//   {"op": "write", "path", "text"}     a text file into MicroPython's FS (parent folders made)
//   {"op": "put", "path", "hex"}        bytes into MicroPython's FS
//   {"op": "run", "code"}               run source in __main__; result = what it printed
//   {"op": "call", "module", "function", "args"}   module.function(*args) with JSON in and out
//                                       (module "__main__": a function `run` defined)
//   {"op": "time", "function", "args", "repeat"}   call a __main__ function `repeat` times, one JS call each
//                                       (as the page's worker does); result = {ms: per call, returned: values}
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";

const { loadMicroPython } = await import(process.argv[2]);
let printed = "";
const mp = await loadMicroPython({ stdout: (s) => { printed += s + "\n"; }, stderr: (s) => { printed += s + "\n"; } });
mp.runPython("import json, sys");

function dirname(path) { return path.slice(0, path.lastIndexOf("/")); }

function write(path, data) {
  mp.FS.mkdirTree(dirname(path));
  mp.FS.writeFile(path, data);
  return data.length;
}

const ops = {
  write: (r) => write(r.path, r.text),
  put: (r) => write(r.path, Buffer.from(r.hex, "hex")),
  run: (r) => { printed = ""; mp.runPython(r.code); return printed; },
  call: (r) => {
    mp.globals.set("_request", JSON.stringify(r));
    mp.runPython(
      "_r = json.loads(_request)\n" +
      "if _r['module'] == '__main__':\n" +
      "    _f = globals()[_r['function']]\n" +
      "else:\n" +
      "    __import__(_r['module'])\n" +
      "    _f = getattr(sys.modules[_r['module']], _r['function'])\n" +
      "_reply = json.dumps(_f(*_r['args']))");
    return JSON.parse(mp.globals.get("_reply"));
  },
  time: (r) => {
    const f = mp.globals.get(r.function);
    const ms = [], returned = [];
    for (let n = 0; n < r.repeat; n++) {
      const t0 = performance.now();
      const value = f(...(r.args || []));
      ms.push(performance.now() - t0);
      returned.push(typeof value === "object" ? null : value);  // numbers and strings come back as JS values
    }
    return { ms, returned };
  },
};

for await (const line of createInterface({ input: process.stdin })) {
  let reply;
  try {
    reply = { result: ops[JSON.parse(line).op](JSON.parse(line)) };
  } catch (e) {
    reply = { error: (printed + String(e && e.message ? e.message : e)).trim() };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
}
