# Two commands: `make run` (the bot on SQLite and the console) and `make test` (lint, types, tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config/demo.toml

.PHONY: run test install bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/newsbot --config $(CONFIG) run

# compileall: bytecode once, up front; where PYTHONDONTWRITEBYTECODE is set, each of the hundreds
# of `newsbot` processes the tests start would otherwise compile bot/ from source again.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot
	$(BIN)/lint-imports
	$(BIN)/python -m compileall -q bot tests >/dev/null
	$(BIN)/pytest -q

bench: install
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done
