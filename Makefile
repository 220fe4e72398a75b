# MediMyth: `make run` serves the API on http://127.0.0.1:8000/graphql, `make test` runs the suite.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-browser test-drills fuzz fuzz-mutations install install-dev lint format typecheck schema migrate check-migrations operations graphiql clean-data

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: install
	$(PY) manage.py run

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# Headless Chromium (Debian's chromium package) against a live gunicorn; screenshot in artifacts/.
test-browser: install-dev
	$(PY) -m pytest -m browser tests/browser $(PYTEST_ARGS)

# Fault drills (tests/drills): a real gunicorn against a private PostgreSQL that is stopped,
# restarted, and a master and workers that are signalled; observations in artifacts/drills.log.
test-drills: install-dev
	$(PY) -m pytest -m drill tests/drills $(PYTEST_ARGS)

# schemathesis against a live gunicorn over a private, seeded PostgreSQL: anonymous, as a doctor
# and as an admin; every answer must be typed or coded. FUZZ_ARGS="--max-examples 200" digs deeper.
fuzz: install-dev
	$(PY) -m tests.fuzz.run $(FUZZ_ARGS)

# Our own mutation fuzzer (tests/fuzz/mutations.py) on the same kind of live server: the
# frontend's operations with each variable replaced in turn by hostile values, as anonymous,
# doctor and admin; fails on a 5xx, INTERNAL_SERVER_ERROR or an "unexpected error" log line.
# The seed is printed: FUZZ_MUTATIONS_ARGS="--seconds 600 --seed N" repeats and digs deeper.
FUZZ_MUTATIONS_ARGS ?= --seconds 120
fuzz-mutations: install-dev
	$(PY) -m tests.fuzz.mutations $(FUZZ_MUTATIONS_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install-dev
	$(VENV)/bin/mypy .

schema: install
	$(PY) manage.py export-schema

migrate: install
	$(PY) manage.py migrate

check-migrations: install
	$(VENV)/bin/alembic check

operations: install
	$(PY) ../shared/tools/check_operations.py schema.graphql --with integrations --with live --with patients

# Rebuild the committed GraphiQL bundle (app/graphiql/static) from app/graphiql/frontend/package-lock.json
# and ../shared/operations; commit the result.
graphiql:
	cd app/graphiql/frontend && npm ci --no-audit --no-fund && npm run build

clean-data:
	rm -rf .data

# Load benchmark (bench/run.py): seeds the bench database (BENCH_DATABASE_URL, else an embedded
# one under .data/bench), serves MediMyth and the asyncpg floor with gunicorn (2 workers,
# 127.0.0.1 only), drives each read operation at 1 and 16 clients for BENCH_SECONDS each, stops.
.PHONY: bench
BENCH_SECONDS ?= 10
bench: install-dev
	$(PY) -m bench.run --seconds $(BENCH_SECONDS) $(BENCH_ARGS)

# Live fan-out benchmark (bench/live.py): the Procfile's server with 2 workers in production
# mode over the bench database, BENCH_LIVE_ARGS subscribers (WatchSession and WatchMyPlace over
# graphql-transport-ws, in separate load processes) over RUNNING sessions, one CallNext a
# second; delays commit-to-receipt, memory per subscription, CPU per fan-out, connections.
.PHONY: bench-live
BENCH_LIVE_ARGS ?= --subscribers 5000 --sessions 300 --seconds 60 --rate 1
bench-live: install-dev
	$(PY) -m bench.live $(BENCH_LIVE_ARGS)

# MediMyth against PostGraphile v5 (bench/peer, Node 22 from its lock file) on the bench
# database (bench/side_by_side.py): the Procfile's server in production mode with 2 workers
# against one Node process, the same rows checked, plain wrk at 16 connections, 3 alternating
# runs of 15 s, medians of req/s, p50/p99 and server and PostgreSQL CPU per request.
# BENCH_PEER_ARGS: --scale (1 vs 2 workers, page sizes 10/50/100, response cache off),
# --env RESPONSE_CACHE=false, --only SHAPE, --write-results (updates bench/RESULTS.md).
.PHONY: bench-peer
BENCH_PEER_ARGS ?=
bench/peer/node_modules/.package-lock.json: bench/peer/package-lock.json
	cd bench/peer && npm ci --no-audit --no-fund
bench-peer: install-dev bench/peer/node_modules/.package-lock.json
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(PY) -m bench.side_by_side $(BENCH_PEER_ARGS)
