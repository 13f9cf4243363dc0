# wopr: no frozen modules (no asyncio); -Oz at link: wasm-opt -Oz and emscripten's JS minifier (the Makefile links without -O).
FROZEN_MANIFEST =
JSFLAGS += -s ALLOW_MEMORY_GROWTH
JSFLAGS += -Oz
