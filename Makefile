# Counterparty. `make demo` and `make test` bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint serve bench clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# `make demo PORT=8001` (or CPTY_PORT) listens elsewhere; `make serve` after `make demo` serves the
# demo's data with its settings (counterparty-data/demo.env).
PORT ?=
PORT_OPTION := $(if $(PORT),--port $(PORT))

demo: $(STAMP)
	$(BIN)/counterparty demo $(PORT_OPTION)

serve: $(STAMP)
	$(BIN)/counterparty serve $(PORT_OPTION)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy aggregates commands queries projections processes services
	$(BIN)/lint-imports

# The portal's browser test drives Debian's Chromium (no browser download); as root, install it
# when it is missing. Without it (and not root) that test is skipped.
chromium:
	@test -x /usr/bin/chromium || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: lint chromium
	$(BIN)/pytest -n 2 --dist worksteal --durations=30

bench: $(STAMP)
	$(BIN)/counterparty bench

clean:
	rm -rf $(VENV) counterparty-data .pytest_cache .mypy_cache .ruff_cache
