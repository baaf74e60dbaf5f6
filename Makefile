# Two commands for a fresh clone: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install assets compilemessages messages run test test-fast lint format doctor lock check-deploy bench bench-search bench-match bench-digest bench-stats bench-load backup restore clean

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version)). Set PYTHON=/path/to/python3.11."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

## install: virtualenv with the locked dependencies, front-end assets, compiled translations
install: $(STAMP) assets compilemessages

## assets: pinned front-end packages from the npm registry (assets.lock.json)
assets: $(STAMP)
	@$(BIN)/python scripts/fetch_assets.py

## compilemessages: locale/*.po → .mo with Babel (no GNU gettext needed)
compilemessages: $(STAMP)
	@$(BIN)/pybabel -q compile -d locale -D django

## messages: refresh locale/zh_Hans/LC_MESSAGES/django.po from the code (needs GNU gettext)
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'media/*' --ignore 'tests/*'

## doctor: report optional system pieces that are missing (never fails)
doctor: $(STAMP)
	@$(BIN)/python scripts/doctor.py

## run: migrate, load demo data and serve http://127.0.0.1:8000 on SQLite with eager tasks
run: install doctor
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: the whole suite (uses DATABASE_URL / REDIS_URL when set)
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: ruff lint and format check
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## check-deploy: Django's deployment checks with production-like settings
check-deploy: install
	DEBUG=0 SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=market.example.cn \
		SITE_URL=https://market.example.cn $(BIN)/python manage.py check --deploy --fail-level WARNING

## lock: re-resolve requirements.lock from pyproject.toml
lock:
	@test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-find-links --no-emit-index-url -o requirements.lock pyproject.toml

## bench: every benchmark (each writes docs/bench/*.json; docs/performance.md explains them)
bench: bench-search bench-match bench-digest bench-stats bench-load

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/market_bench
BENCH_SEARCH_ARGS ?=

## bench-search: 1,000,000 achievements + 200,000 demands on PostgreSQL; indexing rate, index size, query latency
bench-search: install
	$(BIN)/python scripts/create_database.py $(BENCH_DATABASE_URL)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_search $(BENCH_SEARCH_ARGS)

BENCH_QUALITY_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/market_bench_quality
BENCH_MATCH_ARGS ?=

## bench-match: matching on bench-search's data (recompute rate, stored reads, free text), then its quality on the CSL sample
bench-match: install
	$(BIN)/python scripts/create_database.py $(BENCH_DATABASE_URL)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	@DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py shell -c "from demands.models import Demand; import sys; sys.exit(Demand.objects.count() < 1000)" \
		|| DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_search --build-only
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_match $(BENCH_MATCH_ARGS)
	$(BIN)/python scripts/create_database.py $(BENCH_QUALITY_DATABASE_URL)
	DATABASE_URL=$(BENCH_QUALITY_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_QUALITY_DATABASE_URL) $(BIN)/python manage.py bench_match --quality

BENCH_DIGEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/market_bench_digest
BENCH_DIGEST_ARGS ?=

## bench-digest: the featured-achievements digest to 100,000 subscribers on PostgreSQL; plan time, send rate into an SMTP sink
bench-digest: install
	$(BIN)/python scripts/create_database.py $(BENCH_DIGEST_DATABASE_URL)
	DATABASE_URL=$(BENCH_DIGEST_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DIGEST_DATABASE_URL) $(BIN)/python manage.py bench_digest $(BENCH_DIGEST_ARGS)

BENCH_STATS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/market_bench_stats
BENCH_STATS_ARGS ?=

## bench-stats: the statistics console over 100,000 contracts and 1,000,000 achievements on PostgreSQL; p50/p95 per function and view
bench-stats: install
	$(BIN)/python scripts/create_database.py $(BENCH_STATS_DATABASE_URL)
	DATABASE_URL=$(BENCH_STATS_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_STATS_DATABASE_URL) $(BIN)/python manage.py bench_stats $(BENCH_STATS_ARGS)

BENCH_LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/market_bench_load
BENCH_LOAD_ARGS ?=

## bench-load: 50 concurrent visitors (locust) against gunicorn on loopback with PostgreSQL for 60 s; rps and p95 per page
bench-load: install
	$(BIN)/python scripts/bench_load.py --database-url $(BENCH_LOAD_DATABASE_URL) $(BENCH_LOAD_ARGS)

## backup: pg_dump (custom format) of DATABASE_URL + the media files + a manifest of row counts and checksums, into BACKUP_DIR (backups/)
backup: $(STAMP)
	$(BIN)/python manage.py backup_database $(if $(BACKUP_DIR),--output-dir $(BACKUP_DIR))

## restore: make restore DUMP=backups/market-….dump TARGET=name-or-postgres-url [FORCE=1]; verifies every table against the manifest
restore: $(STAMP)
	@test -n "$(DUMP)" -a -n "$(TARGET)" || { echo "usage: make restore DUMP=backups/market-YYYYmmdd-HHMMSS.dump TARGET=market_restored [FORCE=1] [MEDIA_ROOT=dir]"; exit 2; }
	$(BIN)/python manage.py restore_database $(DUMP) --target $(TARGET) $(if $(FORCE),--force) $(if $(MEDIA_ROOT),--media-root $(MEDIA_ROOT))

clean:
	rm -rf $(VENV) staticfiles marketplace/static/vendor .pytest_cache .ruff_cache
