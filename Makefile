# linkkit — two commands: `make dashboard` runs the product, `make test` runs every test.
# Both create .venv when it is missing and install the project into it; nothing else is needed by hand.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.linkkit-installed

.PHONY: help install dashboard test test-fast lint browser-deps bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# The virtual environment, re-installed whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install linkkit with its test tools

dashboard: install  ## start the sandbox and the Voila dashboard on http://127.0.0.1:8866 (Ctrl-C stops both)
	$(VENV)/bin/linkkit dashboard

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
browser-deps:  ## install Debian's chromium when it is missing (needs root or sudo)
	@if command -v chromium >/dev/null 2>&1; then echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; \
	elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; \
	else echo "chromium is missing and cannot be installed here: the browser tests will fail" >&2; fi

lint: install  ## ruff on everything, mypy on the package
	$(PY) -m ruff check linkkit tests benchmarks
	$(PY) -m mypy

test: install browser-deps lint  ## every test: unit, integration, notebooks (nbval), browser (Playwright)
	$(PY) -m pytest -p no:cacheprovider

test-fast: install  ## unit and integration tests only
	$(PY) -m pytest -p no:cacheprovider -m "not browser"

bench: install  ## benchmarks: link-flow throughput, attribution at 10M orders, dashboard time-to-interactive
	$(PY) benchmarks/run_all.py

clean:  ## remove caches and test artifacts (keeps .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache test-artifacts benchmarks/.cache
