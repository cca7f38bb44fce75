# linkkit — two commands: `make dashboard` runs the product, `make test` runs every test.
# Both create .venv when it is missing and install the project into it from the lockfile; nothing else is needed
# by hand. The lockfile is requirements/*.txt (exact versions with hashes, made by uv); `make lock` refreshes it.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
RUNTIME_STAMP := $(VENV)/.linkkit-runtime
STAMP  := $(VENV)/.linkkit-installed
OLDEST ?= .venv-oldest
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --quiet

# `make dashboard PORT=9000 ARGS="--ip 0.0.0.0 --public-url https://shop.example.com"`
PORT   ?=
ARGS   ?=

.PHONY: help install install-runtime dashboard test test-fast test-oldest lint lock pg-deps hub-deps browser-deps bench clean

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(PY):
	$(PYTHON) -m venv $(VENV)

# The runtime only (what `make dashboard` needs), re-installed whenever the lockfile or pyproject.toml changes.
$(RUNTIME_STAMP): requirements/runtime.txt pyproject.toml | $(PY)
	$(PIP) install --quiet --require-hashes -r requirements/runtime.txt
	$(PIP) install --quiet --no-deps -e .
	@touch $(RUNTIME_STAMP)

# Runtime plus the test tools.
$(STAMP): requirements/test.txt pyproject.toml | $(PY)
	$(PIP) install --quiet --require-hashes -r requirements/test.txt
	$(PIP) install --quiet --no-deps -e .
	@touch $(STAMP) $(RUNTIME_STAMP)

install: $(STAMP)  ## create .venv and install linkkit with its test tools (from requirements/test.txt)

install-runtime: $(RUNTIME_STAMP)  ## create .venv and install linkkit alone (from requirements/runtime.txt)

dashboard: install-runtime  ## start the sandbox and the dashboard on http://127.0.0.1:8866 (PORT=, ARGS= pass through)
	$(VENV)/bin/linkkit dashboard $(if $(PORT),--port $(PORT)) $(ARGS)

lock: ## refresh requirements/*.txt from pyproject.toml with uv (newest versions allowed; hashes included)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(PIP) install --quiet "uv>=0.5"
	$(UV_COMPILE) --upgrade --generate-hashes -o requirements/runtime.txt
	$(UV_COMPILE) --upgrade --generate-hashes --extra test -o requirements/test.txt
	$(UV_COMPILE) --upgrade --resolution lowest-direct --extra test -o requirements/oldest.txt

# The declared floors, tested: every direct dependency at the lowest version pyproject.toml allows.
test-oldest:  ## install the floors (requirements/oldest.txt) into .venv-oldest and run the unit tests
	@test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/oldest.txt
	$(OLDEST)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(OLDEST)/bin/python -m pytest -p no:cacheprovider -m "not browser and not integration and not slow" -q

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
browser-deps:  ## install Debian's chromium when it is missing (needs root or sudo)
	@if command -v chromium >/dev/null 2>&1; then echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; \
	elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; \
	else echo "chromium is missing and cannot be installed here: the browser tests will fail" >&2; fi

# Debian's PostgreSQL server binaries: the registry tests start a throw-away cluster with them.
pg-deps:  ## install Debian's postgresql when initdb is missing (needs root or sudo)
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then echo "postgresql: $$(ls /usr/lib/postgresql/*/bin/initdb | tail -1)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	else echo "postgresql is missing and cannot be installed here: the PostgreSQL tests will fail" >&2; fi

# JupyterHub's proxy, from npm, into .venv/node (the team-deployment browser test starts a hub with it).
hub-deps: install  ## install configurable-http-proxy (npm) into .venv/node when it is missing
	@test -x $(VENV)/node/node_modules/.bin/configurable-http-proxy || \
	  npm install --silent --no-audit --no-fund --prefix $(VENV)/node configurable-http-proxy

lint: install  ## ruff on everything, mypy on the package, import-linter when .importlinter exists
	$(PY) -m ruff check linkkit tests benchmarks
	$(PY) -m mypy
	@if [ -f .importlinter ]; then echo "$(VENV)/bin/lint-imports"; $(VENV)/bin/lint-imports; fi

test: install browser-deps pg-deps hub-deps lint  ## every test: unit, integration, notebooks (nbval), browser (Playwright)
	$(PY) -m pytest -p no:cacheprovider

test-fast: install  ## unit and integration tests only
	$(PY) -m pytest -p no:cacheprovider -m "not browser"

bench: install  ## benchmarks: link-flow throughput, attribution at 10M orders, dashboard time-to-interactive
	$(PY) benchmarks/run_all.py

clean:  ## remove caches and test artifacts (keeps .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache test-artifacts benchmarks/.cache

# Other parts of the project add their targets in mk/*.mk.
-include mk/*.mk
