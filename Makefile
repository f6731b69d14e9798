# Counterparty. `make demo` and `make test` bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint serve bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/counterparty demo

serve: $(STAMP)
	$(BIN)/counterparty serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy aggregates commands queries projections processes services
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/counterparty bench

clean:
	rm -rf $(VENV) counterparty-data .pytest_cache .mypy_cache .ruff_cache
