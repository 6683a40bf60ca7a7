# The two commands a newcomer runs: `make demo` and `make test`. Both install what is missing.
.PHONY: setup demo test lint unit network bench down clean

PY := .venv/bin/python

setup:
	@bash scripts/setup.sh

demo: setup
	@$(PY) -m cornerstone.cli demo

down: setup
	@$(PY) -m cornerstone.cli localnet down

lint: setup
	@$(PY) -m ruff check src tests bench
	@$(PY) -m ruff format --check src tests bench
	@$(PY) -m mypy

unit: setup
	@$(PY) -m pytest -q -m "not network"

network: setup
	@$(PY) -m pytest -q -m network

test: setup lint
	@$(PY) -m pytest -q

bench: setup
	@$(PY) -m bench

clean:
	rm -rf .venv .tools .localnet .artifacts
