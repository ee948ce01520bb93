# closedloop — every target installs what it needs first, so a fresh clone needs only `make demo` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test bench lint chromium

install: $(STAMP)

# Re-install only when the pins change; pip reads torch's CPU wheel from local disk where it lies there.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3"
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(VENV)/bin/closedloop demo $(DEMO_ARGS)

test: install chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# The dashboard's browser test drives Debian's Chromium through Playwright (never `playwright install`).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

bench: install chromium
	$(PY) -m bench

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check closedloop models flows services cli replay bench
	$(VENV)/bin/mypy
