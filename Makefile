# The project's commands. Each sets DAGSTER_HOME to the git-ignored instance folder holding a
# copy of dagster.yaml, so every command uses the same instance configuration.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/.dagster_home
SCALE ?= 1
# The oldest DuckDB client the analysts' file is written for (pipeline/publish.ANALYST_STORAGE_VERSION);
# the tests open the file with its CLI, installed beside the environment (docs/duckdb-version.md).
OLDEST_DUCKDB_CLI := 1.4.4.post2
OLDEST_CLIENT_DIR := $(VENV)/clients/duckdb-1.4

.PHONY: run test test-fast ui instance instance-postgres sample-data rollback bench browser postgresql

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(BIN)/pip install -q -c constraints.txt -e ".[test]"
	$(BIN)/pip install -q --no-deps --target $(OLDEST_CLIENT_DIR) duckdb-cli==$(OLDEST_DUCKDB_CLI)
	touch $@

instance:
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

## The instance on PostgreSQL instead of SQLite (deploy/dagster-postgres.storage.yaml, docs/deployment.md).
instance-postgres:
	mkdir -p $(DAGSTER_HOME)
	cat deploy/dagster-postgres.storage.yaml dagster.yaml > $(DAGSTER_HOME)/dagster.yaml

## Install, materialise the whole warehouse from data/raw and print the fiscal-year rollup.
run: $(VENV)/.installed-run instance
	$(BIN)/python -m pipeline.run

## Install what the tests need and run the whole test suite (what CI runs): tests/unit, then
## tests/e2e (real refreshes of the sample, the UI in Chromium, a wheel install).
test: $(VENV)/.installed-test instance browser postgresql
	$(BIN)/python -m pytest

## The inner loop: the unit tests only (no refresh, no browser), in well under a minute.
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/unit -q

## Debian's Chromium and a Thai font for the browser tests (Playwright drives /usr/bin/chromium;
## no browser download). Installed with apt-get when missing, as root or through sudo.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=th 2>/dev/null | grep -q .; then \
	    if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	    $$sudo apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium fonts-thai-tlwg fontconfig; \
	fi

## Debian's PostgreSQL server for the DuckLake and Dagster-instance tests, which start their own
## server in a temporary folder (tests/support.py). Installed with apt-get when missing.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	    if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	    $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq postgresql; \
	fi

## The Dagster UI (webserver and daemon) on http://127.0.0.1:3000
ui: $(VENV)/.installed-run instance
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000

## Regenerate the committed sample data and its truth file.
sample-data: $(VENV)/.installed-test
	$(BIN)/python -m devtools.sample_data --scale 1 --seed 2564 --out data/raw --truth tests/fixtures/sample_truth.json

## Restore the previously published warehouse.
rollback: $(VENV)/.installed-run
	$(BIN)/python -m pipeline.publish rollback

## Benchmark the refresh at a scale of the sample data: full refresh in a fresh process, the
## plain-reading floor, a no-change and a one-new-month refresh (make bench SCALE=100).
## Data cached in .bench/data/, results in .bench/results/ (see docs/performance.md).
bench: $(VENV)/.installed-test
	$(BIN)/python -m devtools.benchmark --scale $(SCALE)
