# One command each: `make run` starts the bot, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install browser run demo test lint typecheck check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	@$(BIN)/python -m compileall -q bot migrations >/dev/null
	@$(BIN)/sigap112 settings check
	$(BIN)/sigap112 db upgrade
	$(BIN)/sigap112 run

demo: install
	$(BIN)/sigap112 demo

# The end-to-end tests mostly wait on real processes, sockets and timers: four workers share two cores well.
PYTEST_WORKERS ?= 6

# The map's end-to-end test (tests/e2e/test_miniapp_e2e.py) runs Debian's Chromium through Playwright; never
# `playwright install` (it would download a browser build).
browser:
	@test -x /usr/bin/chromium || { if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	  || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }; \
	  else echo "The map's browser test needs Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; }

# Byte-compiled once here: with PYTHONDONTWRITEBYTECODE set (as on our machines) every bot process and CLI call of
# the end-to-end tests would otherwise compile the project's modules again (≈ 0.13 s each).
test: install browser
	$(BIN)/python -m compileall -q bot migrations >/dev/null
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy bot

check: lint test

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache .mypy_cache *.egg-info
