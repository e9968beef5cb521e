# Kent & Medway hotspot mapping. `make help` lists the targets.
.DEFAULT_GOAL := help
.PHONY: help setup browser run test lint typecheck format bench data samples clean

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared/data

help:  ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -c "from hotspots import _kernels; _kernels.warm()"  # compile the KDE's and HDBSCAN's loops once (about 15 s)
	touch $(STAMP)

setup: $(STAMP)  ## Create .venv and install the pinned requirements (only when they changed)

browser:  ## Install Debian's Chromium for the browser tests (when missing and apt-get exists)
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || echo "Chromium not found: the browser tests will be skipped."

run: setup  ## Start the dashboard on the bundled Kent & Medway data
	$(BIN)/python scripts/prepare_dashboard.py
	$(BIN)/python scripts/serve.py

lint: setup  ## Ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup  ## mypy over the package
	$(BIN)/mypy hotspots

test: setup browser  ## Lint, type-check and run every test (browser tests in Chromium)
	$(BIN)/ruff check .
	$(BIN)/mypy hotspots
	$(BIN)/pytest

format: setup  ## Fix lint where possible and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup browser  ## Print performance figures (BENCH_ARGS="--only density" for one part)
	$(BIN)/python -m bench $(BENCH_ARGS)

data: setup  ## Rebuild data/ and boundaries/ from the raw open data in ../shared/data
	$(BIN)/python scripts/make_data.py --shared $(SHARED)
	$(BIN)/python scripts/make_sample_data.py

samples: setup  ## Regenerate only the generated partner samples in data/samples/
	$(BIN)/python scripts/make_sample_data.py

clean:  ## Remove the local store and caches (keeps .venv)
	rm -rf data/store .pytest_cache .mypy_cache .ruff_cache test-artifacts
