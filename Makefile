# TinyMLPerf: two commands for a fresh clone.
#   make site   create .venv, install, verify the datasets, score what is stale, build site/
#   make test   create .venv, install, run the whole test suite
# The canonical datasets are read from $TINYMLPERF_DATA; beside a checkout that has the
# offline copies in ../shared/datasets, that folder is used by default.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED_DATA := $(abspath ../shared/datasets)
TINYMLPERF_DATA ?= $(if $(wildcard $(SHARED_DATA)/SHA256SUMS),$(SHARED_DATA),)
export TINYMLPERF_DATA
# mkdocs-material's end-of-life banner is news for us, not for every build log.
export NO_MKDOCS_2_WARNING := 1

.PHONY: site test test-browser-scale lint data score build bench clean

$(STAMP): pyproject.toml
	@# bubblewrap gives the sandbox its filesystem isolation; best effort: without it the
	@# scorer falls back to unshare namespaces and flags its records weak_isolation.
	@command -v bwrap >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y -qq bubblewrap >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null 2>&1; }; }; } || \
	  echo "note: bubblewrap is not installed; the sandbox falls back to unshare namespaces (see docs/security.md)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

data: $(STAMP)
	$(BIN)/tinymlperf data

score: data
	$(BIN)/tinymlperf score --all

build: $(STAMP)
	$(BIN)/tinymlperf build
	$(BIN)/mkdocs build --strict --quiet
	@echo "Site built in site/. Open it with: $(BIN)/mkdocs serve  (then http://127.0.0.1:8000/)"

site: score build

test: $(STAMP)
	$(BIN)/python -m pytest

# The browser tests on the full 3,000-record synthetic site (1,000 teams): minutes of mkdocs
# and axe-core on 1,000-row boards, so not part of `make test` (which uses 600 records).
test-browser-scale: $(STAMP)
	TINYMLPERF_BROWSER_RECORDS=3000 $(BIN)/python -m pytest -m browser -s tests/test_browser.py

# The same checks run inside `make test` (tests/test_code_health.py); here they print their own
# reports. The layers and their contracts are in pyproject.toml ([tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The PyTorch comparison runs twice: in this machine's environment, and with the OpenBLAS
# kernel overrides some hosts set (they force AVX2 kernels on AVX-512 CPUs) removed, so both
# figures are on record. The scorer itself never changes them.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/vs_pytorch.py
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python benchmarks/vs_pytorch.py

clean:
	rm -rf $(VENV) site build .pytest_cache
