VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8080
DATA_DIR ?= ./data

.PHONY: serve test lint venv clean bench-memory

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed

serve: $(VENV)/.installed
	$(VENV)/bin/chatkeep serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy --strict chatkeep

test: lint
	$(VENV)/bin/pytest

# Peak server RSS while receiving 1 GiB uploads; rewrites its section of docs/benchmarks.md.
bench-memory: $(VENV)/.installed-test
	$(PY) -m bench.upload_memory --size-mib 1024 --write-docs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
