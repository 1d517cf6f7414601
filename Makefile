# The two commands of the README: `make demo` and `make test`. Each sets itself up.
# `make demo` installs cltv-xl with its runtime dependencies only; `make test` adds the test
# extra, runs ruff and the whole suite, then the version matrix (scripts/matrix.sh: Python 3.11
# and 3.13, dependencies at their floors and at their newest) except the leg the suite itself
# just was (.venv's Python with the newest versions). `make matrix` runs all four legs.
# Python 3.13 is taken from the PATH or pyenv's versions; without it `make test` fails.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install -q --disable-pip-version-check
RUNTIME_STAMP := $(VENV)/.installed-runtime
TEST_STAMP    := $(VENV)/.installed-test

.PHONY: demo test suite matrix lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# A regular (not editable) install: what a user gets, and setuptools has nothing to say about it.
SOURCES := $(shell find cltv_xl templates -type f ! -path '*__pycache__*' 2>/dev/null)
$(RUNTIME_STAMP): pyproject.toml setup.py $(SOURCES) | $(BIN)/python
	$(PIP) .
	touch $@

$(TEST_STAMP): $(RUNTIME_STAMP)
	$(PIP) -e '.[test]'
	touch $@

demo: $(RUNTIME_STAMP)
	$(BIN)/cltv-xl demo -o cltv-demo

test: suite
	MATRIX_SKIP="$$($(BIN)/python -c 'import sys; print("py%d.%d-newest" % sys.version_info[:2])')" \
	  bash scripts/matrix.sh

suite: $(TEST_STAMP)
	bash scripts/ensure-libreoffice.sh
	$(BIN)/ruff check cltv_xl tests bench templates scripts
	$(BIN)/python -m pytest -n 2 -q

# One venv per leg (floor / newest versions) and per Python found; see scripts/matrix.sh.
matrix:
	bash scripts/matrix.sh

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

bench: $(TEST_STAMP)
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) .matrix build *.egg-info cltv-demo
