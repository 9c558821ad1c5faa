# bedrock-tuner — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The SAM CLI (+ cfn-lint) and checkov each get their own venv: both pin boto3 differently.
TOOLS := .venv-tools
SAM := $(TOOLS)/sam/bin
CHECKOV := $(TOOLS)/checkov/bin
# sam build needs the Lambda runtime's interpreter (python3.13) on PATH; under pyenv, add the
# newest installed 3.13 to the active version for the build only.
SAM_PYENV = $(shell python3.13 -c '' >/dev/null 2>&1 || { v=$$(pyenv versions --bare 2>/dev/null | grep -E '^3\.13(\.[0-9]+)?$$' | tail -1); [ -n "$$v" ] && echo "PYENV_VERSION=$$(pyenv version-name):$$v"; })

# The test tiers, each a pytest process of its own (tests/<folder>); `make test` runs them all.
# Extra pytest options: PYTEST_ARGS='-x -k name'.
TIERS := unit infra integration docs-test faults e2e
PYTEST = $(BIN)/python -m pytest -q $(PYTEST_ARGS)

.PHONY: install lock demo demo-validate test lint pre-commit lint-iac sam-build deploy typecheck bench bench-quick clean $(TIERS)

# Three distributions by where the code runs (pyproject.toml says which is which), installed
# editable into one .venv with the development tools.
# Every version comes from requirements.lock (`make lock` regenerates it).
DISTS := layers/core localcloud cli
$(STAMP): pyproject.toml $(DISTS:%=%/pyproject.toml) requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e layers/core -e localcloud -e 'cli[local]' --group dev
	@touch $(STAMP)

install: $(STAMP)

$(TOOLS)/%/.installed: tools/requirements-%.txt
	@test -x $(TOOLS)/$*/bin/python || $(PYTHON) -m venv $(TOOLS)/$*
	$(TOOLS)/$*/bin/python -m pip install -q --upgrade pip
	$(TOOLS)/$*/bin/python -m pip install -q -r $<
	@touch $@

## lock: resolve requirements.lock (the three distributions and the dev group, for every
## platform), then the Lambda layer's layers/core/requirements.txt from it (python3.13 on arm64).
## Kept pins stay; UPGRADE=1 takes the newest versions the pyproject files allow.
UV := $(TOOLS)/uv/bin/uv
LOCK_FLAGS = --quiet --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade)
lock: $(TOOLS)/uv/.installed
	$(UV) pip compile requirements.in --group pyproject.toml:dev --universal --python-version 3.11 \
	    --no-emit-package bedrock-tuner-core --no-emit-package bedrock-tuner-localcloud \
	    --no-emit-package bedrock-tuner $(LOCK_FLAGS) -o requirements.lock
	$(UV) pip compile layers/core/pyproject.toml -c requirements.lock --python-version 3.13 \
	    --python-platform aarch64-manylinux_2_28 --annotation-style line $(LOCK_FLAGS) \
	    -o layers/core/requirements.txt

## demo: the whole flow on a local AWS emulator (moto): deploy template.yaml, upload a spec and
## a dataset, follow the run live, print the registered version and the notifications
demo: install
	$(BIN)/bedrock-tuner local demo

## demo-validate: the validator on the bundled samples (a passing and a failing report), estimate
demo-validate: install
	@bash scripts/demo.sh

## lint: the pre-commit hooks on every file (ruff, ruff format, YAML/JSON syntax, final
## newlines, trailing whitespace; they fix what they can and fail) but cfn-lint (lint-iac runs
## it), then mypy --strict on the three packages and functions/
lint: install
	SKIP=cfn-lint $(BIN)/pre-commit run --all-files --show-diff-on-failure
	$(BIN)/mypy

## pre-commit: every pre-commit hook on every file, cfn-lint included (needs the SAM CLI's venv)
pre-commit: install $(TOOLS)/sam/.installed
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

typecheck: lint

## lint-iac: sam validate --lint, cfn-lint with the serverless rules, checkov (template.yaml)
lint-iac: $(TOOLS)/sam/.installed $(TOOLS)/checkov/.installed
	SAM_CLI_TELEMETRY=0 $(SAM)/sam validate --lint --template template.yaml --region us-east-1
	$(SAM)/cfn-lint -a cfn_lint_serverless.rules -- template.yaml
	$(CHECKOV)/checkov --framework cloudformation -f template.yaml --compact --quiet --skip-download

## sam-build: build the functions and the layer for python3.13 on arm64 into .aws-sam/
sam-build: $(TOOLS)/sam/.installed
	SAM_CLI_TELEMETRY=0 $(SAM_PYENV) $(SAM)/sam build --template template.yaml --parallel

## deploy: sam build (as sam-build), then sam deploy with the same pinned SAM CLI; needs AWS
## credentials. Options go to sam deploy: GUIDED=1 adds --guided, ARGS='--config-env prod' ...
deploy: sam-build
	SAM_CLI_TELEMETRY=0 $(SAM)/sam deploy --template-file .aws-sam/build/template.yaml $(strip $(if $(GUIDED),--guided) $(ARGS))

## test: lint, lint-iac, sam-build, then every test tier in a process of its own; every step
## runs even after one failed, and a summary lists each step's result and time
test:
	@MAKE='$(MAKE)' bash scripts/steps.sh lint lint-iac sam-build $(TIERS)

## unit: tests/unit — no sockets (pytest-socket), no AWS emulator
unit: install
	$(PYTEST) tests/unit

## infra: tests/infrastructure — the template's invariants (SAM-translated offline), the ASL
infra: install
	$(PYTEST) tests/infrastructure

## integration: tests/integration — handlers, client and CLI against moto and a fake HTTP API
integration: install
	$(PYTEST) tests/integration

## docs-test: tests/docs — every shell block of README.md and docs/*.md, each page on a local cloud
docs-test: install
	$(PYTEST) tests/docs

## faults: tests/faults — every AWS call site failed on the local cloud, invariants checked
faults: install
	$(PYTEST) tests/faults

## e2e: tests/e2e — the deployed template and workflow on the local cloud
e2e: install
	$(PYTEST) tests/e2e

## bench: throughput and memory of the validator vs parse-only baselines (100 MB and 1 GB files)
bench: install
	$(BIN)/python benchmarks/run.py

bench-quick: install
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .mypy_cache .ruff_cache .pytest_cache .hypothesis build *.egg-info
