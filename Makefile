# mspweb: the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run run-empty test test-e2e lint bench clean scan-tools

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "mspweb needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install everything

run: install ## migrate, then start sandbox, console, worker and scheduler (Ctrl-C stops all)
	$(BIN)/python -m mspweb.devserver

run-empty: install ## the same, without importing the demo account on first start
	$(BIN)/python -m mspweb.devserver --no-demo

test: install ## the whole suite (embedded default, or DATABASE_URL / REDIS_URL when set)
	$(BIN)/pytest

test-e2e: install ## the browser tests alone
	$(BIN)/pytest tests/e2e

lint: install ## ruff check, ruff format --check and mypy (as CI and pre-commit run them)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install ## the benchmarks (figures go to the terminal; see docs/performance.md)
	$(BIN)/python bench/sync_scale.py
	$(BIN)/python bench/pages.py

scan-tools: ## wapiti (the security scan of the test suite) in its own .venv-scan
	$(PYTHON) -m venv .venv-scan
	.venv-scan/bin/pip install --quiet -r requirements-scan.txt

clean:
	rm -rf $(VENV) .venv-scan .pytest_cache .ruff_cache
