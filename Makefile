# Two commands a new user needs: `make serve` and `make test`. Both install what they need
# into .venv first (Python 3.11+ and pip are all the machine must have).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install serve test lint format bench sdl articles

$(STAMP): pyproject.toml requirements-lock.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-lock.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/pdex serve

test: $(STAMP)
	$(PY) tests/run_all.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

sdl: $(STAMP)
	$(PY) -m schema.export

# docs/ARTICLES.md and core/articles.json from docs/articles.toml, citations and test markers.
articles: $(STAMP)
	$(VENV)/bin/pdex articles --write

bench: $(STAMP)
	$(PY) bench/api.py
