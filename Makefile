# Two commands do all the set-up on a fresh machine (Python 3.10+ with venv):
#   make up     installs into .venv if needed, then runs the main job
#   make test   installs into .venv if needed, then runs the test suite
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install up test bench faults lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

up: install
	$(BIN)/evidence up

test: install
	$(BIN)/python -m pytest -q $(ARGS)

bench: install
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/harvest.py
	$(BIN)/python bench/link.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/review_load.py --reviews 50 --records 20000
	$(BIN)/python bench/scifact.py cv
	$(BIN)/python bench/stance_eval.py
	$(BIN)/python bench/engine.py --limit 100 --baseline a08a794
	$(BIN)/python bench/extraction.py --baseline 3bc4c40

faults: install
	$(BIN)/python bench/kill_store.py --kills 100 --runs 10
	$(BIN)/python bench/kill_harvest.py --kills 100
	$(BIN)/python bench/hostile_import.py --gib 4
	$(BIN)/python bench/hostile_network.py

lint: install
	$(BIN)/ruff check .
