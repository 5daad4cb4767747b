# Kappa Commerce: every developer/CI entry point. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
REQUIREMENTS := requirements.txt requirements-cdk.txt requirements-flink.txt requirements-dev.txt constraints.txt pyproject.toml

# Thread-mode PyFlink needs the venv's pemja on PATH/VIRTUAL_ENV; jsii and CDK are quiet and offline.
export PATH := $(BIN):$(PATH)
export VIRTUAL_ENV := $(abspath $(VENV))
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_DEPRECATED := quiet
export CDK_DISABLE_CLI_TELEMETRY := true
export POWERTOOLS_TRACE_DISABLED ?= true

$(STAMP): $(REQUIREMENTS)
	@command -v java >/dev/null || { echo "Java 11+ is required for PyFlink (apt-get install openjdk-17-jre-headless)"; exit 1; }
	@test -x $(BIN)/python || { echo "==> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> installing pinned packages into $(VENV) (first run takes a few minutes)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3" "setuptools==80.9.0" "wheel==0.45.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@
	@echo "==> $(VENV) is ready"

.PHONY: help venv test test-fast lint format demo bench synth package-flink build-lambdas clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2}'

venv: $(STAMP) ## Create/refresh .venv from the pinned requirements

test: $(STAMP) ## Run ruff and every test (unit, moto, CDK, Flink mini-cluster, end-to-end)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## Run the fast subset (no Flink cluster, end-to-end or CDK synth)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP) ## ruff check + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: $(STAMP) ## Run the whole pipeline locally (no AWS account): simulator → API → log → Flink → webhooks
	$(BIN)/kappa demo

bench: $(STAMP) ## Run the benchmarks under bench/ (results: docs/benchmarks.md)
	$(BIN)/python -m bench

build-lambdas: $(STAMP) ## Build the Lambda code assets and dependency layers into build/lambda (needs PyPI)
	$(BIN)/python -m stacks.lambda_build

synth: $(STAMP) build-lambdas package-flink ## Synthesize the CDK app into cdk.out, cdk-nag + cfn-lint (SYNTH_CONTEXT="-c env=dev-msk")
	$(BIN)/python app.py $(SYNTH_CONTEXT)
	$(BIN)/cfn-lint cdk.out/*.template.json

package-flink: $(STAMP) ## Build the Managed Flink application zip into build/flink
	$(BIN)/python -m flink_app.packaging

clean: ## Remove build output (keeps .venv)
	rm -rf build cdk.out .pytest_cache .ruff_cache
