VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8080
DATA_DIR ?= ./data

.PHONY: serve test test-slow lint venv clean bench bench-smoke bench-memory bench-messages bench-tools

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed

serve: $(VENV)/.installed
	$(VENV)/bin/chatkeep serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy --strict chatkeep

# bench-tools lets the benchmark smoke test run here too (CI runs as root).
test: lint bench-tools
	$(VENV)/bin/pytest

# nginx and wrk from Debian's packages, when missing and this user may install them.
bench-tools:
	@command -v nginx >/dev/null && command -v wrk >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    (apt-get update -qq && apt-get install -y -qq nginx-light wrk >/dev/null) || \
	    echo "bench-tools: nginx or wrk missing and not installable here"; }

# The whole suite (about 10 minutes): rewrites docs/benchmarks.md and docs/benchmarks.png.
bench: $(VENV)/.installed-test bench-tools
	$(PY) -m bench.suite
	$(PY) -m bench.routing --write-docs

# One round at small sizes, under a minute; prints, rewrites nothing.
bench-smoke: $(VENV)/.installed-test bench-tools
	$(PY) -m bench.suite --smoke --no-docs

# The whole suite with the long variants: 20 kill -9 rounds instead of 5, 60 s of load instead
# of 15, 20 rounds of each deletion-write race instead of 2.
test-slow: lint bench-tools
	CHATKEEP_KILL_ROUNDS=20 CHATKEEP_LOAD_SECONDS=60 CHATKEEP_RACE_ROUNDS=20 $(VENV)/bin/pytest

# Peak server RSS while receiving 1 GiB uploads; rewrites its section of docs/benchmarks.md.
bench-memory: $(VENV)/.installed-test
	$(PY) -m bench.upload_memory --size-mib 1024 --write-docs

# Last 20 messages and one-message appends at 10 KB and 100 MB of history; rewrites its section.
bench-messages: $(VENV)/.installed-test
	$(PY) -m bench.messages --write-docs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
