# The verbs of the project. `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# e.g. LOAD_ARGS="--skip-distributed" or "--requests-for-rss 100000" (python -m tests.bench.load --help)
LOAD_ARGS ?=

.PHONY: help install run run-distributed migrate test test-fast test-integration lint format bench lock asyncapi clean

help:
	@echo "make run              all five services in one process (SQLite + in-process bus)"
	@echo "make run-distributed  five processes against DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS"
	@echo "make test             the whole suite (embedded and distributed)"
	@echo "make lint | bench | lock | asyncapi | clean"

$(BIN)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

install: $(BIN)/.installed

migrate: install
	$(BIN)/python -m services.cli migrate

# The project's modules compiled ahead (a no-op when up to date): a start then reads their bytecode
# even where PYTHONDONTWRITEBYTECODE keeps Python from caching it (0.2-0.5 s of a cold start).
COMPILE = $(BIN)/python -m compileall -q -j 0 shared services

run: install
	@$(COMPILE)
	$(BIN)/python -m services.cli migrate
	@echo ""
	@echo "  OpenAPI docs: http://$(HOST):$(PORT)/docs   (spec: http://$(HOST):$(PORT)/openapi.json)"
	@echo ""
	$(BIN)/uvicorn services.embedded:app --host $(HOST) --port $(PORT)

# Each service its own process, on ports 8001..8005, against the servers you point it at.
run-distributed: install
	@$(COMPILE)
	@test -n "$$DATABASE_URL" || { echo "set DATABASE_URL=postgresql+asyncpg://user:pass@host:5432/db"; exit 2; }
	@test -n "$$KAFKA_BOOTSTRAP_SERVERS" || { echo "set KAFKA_BOOTSTRAP_SERVERS=host:9092"; exit 2; }
	RUN_MODE=distributed $(BIN)/python -m services.cli migrate
	@export RUN_MODE=distributed; pids=(); port=8001; \
	trap 'kill $${pids[@]} 2>/dev/null; wait' INT TERM EXIT; \
	for svc in intake coordination participation outreach directory; do \
	  $(BIN)/uvicorn services.$$svc.app:app --host $(HOST) --port $$port & pids+=($$!); \
	  echo "  $$svc: http://$(HOST):$$port/docs"; port=$$((port+1)); \
	done; wait -n; exit 1

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not distributed" $(PYTEST_ARGS)

test-integration: install
	$(BIN)/python -m pytest -m distributed $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	@$(COMPILE)
	$(BIN)/python -m tests.bench.referral_latency
	$(BIN)/python -m tests.bench.audit_cost
	$(BIN)/python -m tests.bench.directory_search
	$(BIN)/python -m tests.bench.directory_import
	$(BIN)/python -m tests.bench.figures
	$(BIN)/python -m tests.bench.observability_cost
	$(BIN)/python -m tests.bench.load $(LOAD_ARGS)

lock: install
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
	  --output-file requirements.lock pyproject.toml

asyncapi: install
	$(BIN)/python -m services.cli asyncapi --output asyncapi.json
	@echo "wrote asyncapi.json"

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache .mypy_cache *.egg-info
