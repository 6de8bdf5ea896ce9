# The two commands a newcomer runs: `make demo` and `make test`. Each builds .venv when missing or stale.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench clean browser

# pip byte-compiles the ~19,000 installed files (torch alone has thousands) one at a time, ~50 s; compileall
# does it on every core. Left to first import, compiling would land inside timed tests. Its status is
# ignored as pip ignores it: a few files are for newer Pythons (torch's py312_intrinsics.py).
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -c constraints.txt -e '.[dev]'
	@$(BIN)/python -m compileall -qq -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" || true
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/quorum demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Browser tests drive Debian's Chromium; install it when missing and we may (root), else say how.
# Headless needs none of its ~100 recommended packages (desktop, printing, sound): 25 packages, not 125.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q --no-install-recommends chromium; \
	  else echo "browser tests need Debian's chromium: run 'sudo apt-get install chromium'"; fi; \
	fi

# One pytest-xdist worker per core; each worker has its own PostgreSQL database and SQLite files.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# worksteal: a worker that runs out of tests takes some of the other's, so neither idles at the end behind
# a few slow real-process tests.
unit: $(STAMP) browser
	$(BIN)/pytest -n $(JOBS) --dist worksteal

test: lint typecheck unit

# The benchmarks' own extras (a plot, a second embedding model) on top of the dev install.
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -c constraints.txt -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/import_export.py
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/assign.py
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/models.py
	$(BIN)/python benchmarks/active.py
	$(BIN)/python benchmarks/embed.py
	$(BIN)/python benchmarks/assist.py

clean:
	rm -rf $(VENV) quorum-data test-output
