# wopr: `make play`, `make serve` and `make test` set up everything they need on a fresh Debian machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
WOPR   := $(VENV)/bin/wopr
AXE    := web/node_modules/axe-core/axe.min.js
PEERS  := benchmarks/node_modules/.package-lock.json

.PHONY: play serve test test-fast bench knowledge engine lint wheel clean chromium browsers

# Base install: runtime + terminal game, no torch.
$(VENV)/.base: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# Everything the suite, the trainer and the benchmarks need (torch==2.13.0 is pinned in pyproject's `train` extra).
$(VENV)/.dev: pyproject.toml $(VENV)/.base
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# axe-core, which the page tests inject (the page's engine is in the package: src/wopr/web/engine)
$(AXE): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

# The page's peers and Lighthouse, for `make bench` only (onnxruntime-web, pyodide, lighthouse)
$(PEERS): benchmarks/package.json benchmarks/package-lock.json
	cd benchmarks && npm ci --no-audit --no-fund
	touch $@

# Debian's Chromium drives the browser tests; Playwright never downloads a browser here.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
	@command -v chromium >/dev/null || { echo "chromium is required for the browser tests" >&2; exit 1; }

# The page's three engines, all from Debian: Chromium; Firefox ESR (driven over WebDriver BiDi, no geckodriver);
# WebKitGTK's WebKitWebDriver and MiniBrowser, on an Xvfb display (MiniBrowser has no headless mode).
ENGINE_PROGRAMS := chromium firefox-esr WebKitWebDriver Xvfb
browsers: chromium
	@for p in $(ENGINE_PROGRAMS); do command -v $$p >/dev/null || missing=1; done; \
	  [ -z "$$missing" ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq firefox-esr webkit2gtk-driver xvfb; }
	@for p in $(ENGINE_PROGRAMS); do command -v $$p >/dev/null || \
	  { echo "$$p is required for the browser tests (make browsers installs it as root)" >&2; exit 1; }; done

play: $(VENV)/.base
	$(WOPR) play

# The page on http://127.0.0.1:8000/ (built into site/ when missing or stale).
serve: $(VENV)/.base
	$(WOPR) serve

test: $(VENV)/.dev $(AXE) browsers
	$(PY) -m pytest -q

# The suite without browsers, training or the wheel, one worker per core: a quick check while working (`make test` is
# the whole suite).
test-fast: $(VENV)/.dev
	$(PY) -m pytest -q -n auto -m 'not browser and not train and not wheel'

bench: $(VENV)/.dev $(PEERS) browsers
	$(PY) -m benchmarks.run

knowledge: $(VENV)/.dev
	$(PY) -m wopr.train.shipped

# The wheel users install: it carries MicroPython-wasm (package data), so they need no Node.
wheel: $(VENV)/.dev
	$(PY) -m pip wheel -q --no-deps --no-build-isolation -w dist .

# MicroPython-wasm rebuilt from MicroPython's source with Debian's emscripten (engine/README.md). Not part of the
# suite: the engine it writes is committed, and the suite checks it against engine/SHA256SUMS.
MICROPYTHON ?= build/micropython-1.27.0
engine:
	@command -v emcc >/dev/null || { apt-get update -qq && apt-get install -y -qq emscripten; }
	test -d $(MICROPYTHON) || git clone -q --depth 1 --branch v1.27.0 https://github.com/micropython/micropython $(MICROPYTHON)
	engine/build.sh $(MICROPYTHON)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check src tests harness benchmarks

clean:
	rm -rf $(VENV) web/node_modules benchmarks/node_modules build dist site .pytest_cache
