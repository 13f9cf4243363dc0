"""The NNRE: pure-Python runtime (rules, knowledge reader, LSTM step, game) that CPython and MicroPython both run."""
