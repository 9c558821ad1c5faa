# bedrock-tuner — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck unit bench bench-quick clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## demo: validate the bundled sample datasets (a passing and a failing report), then estimate
demo: install
	@bash scripts/demo.sh

## lint: ruff (lint + format) and mypy --strict on the package
lint: install
	$(BIN)/ruff check layers/core tests benchmarks scripts
	$(BIN)/ruff format --check layers/core tests benchmarks scripts
	$(BIN)/mypy

typecheck: lint

## test: lint, then every test tier
test: lint
	$(BIN)/python -m pytest -q

unit: install
	$(BIN)/python -m pytest -q tests/unit

## bench: throughput and memory of the validator vs parse-only baselines (100 MB and 1 GB files)
bench: install
	$(BIN)/python benchmarks/run.py

bench-quick: install
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build *.egg-info
