# kopdes: `make run` to start the service with demo data, `make test` to run every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install migrate seed run test test-sqlite lint format bench faults clean i18n-update browser

$(BIN)/kopdes: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("kopdes needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The web app's message catalogs, compiled from their .po files whenever those change.
CATALOGS := $(wildcard app/web/translations/*/LC_MESSAGES/messages.po)

%.mo: %.po $(BIN)/kopdes
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(BIN)/kopdes $(CATALOGS:.po=.mo) ## Create .venv and install kopdes with its development tools.

# Beyond gettext's own: an input rule's ValueError (app/models), shown next to its field;
# every problem the API raises (app/errors.py; `field:2` is `Invalid.field(loc, message)`), which
# a reader who asks for Indonesian gets in Indonesian; and the launch planner's texts and errors
# (planner/text.py), which the web app shows in the page's language; and a refused file's
# problems (`row:3` is `ImportErrors.row(number, column, message)`, `query:2` its
# `query(parameter, message)`).
# tests/web/test_catalogs.py reads this list.
I18N_KEYWORDS := -k N_ -k ValueError -k field:2 -k AppError -k BadRequest -k Unauthorized \
	-k Forbidden -k NotFound -k Conflict -k PreconditionFailed -k PreconditionRequired \
	-k UnsupportedMediaType -k Invalid -k TooManyRequests -k ServiceUnavailable -k ContentTooLarge \
	-k Text -k PlannerError -k InvalidInputError -k UnknownRegionError -k CatalogError \
	-k row:3 -k query:2

i18n-update: install ## Extract the web app's messages into the catalogs (then translate the new ones in id).
	$(BIN)/pybabel extract -F babel.cfg $(I18N_KEYWORDS) --no-location --sort-output -o app/web/translations/messages.pot .
	$(BIN)/pybabel update -i app/web/translations/messages.pot -d app/web/translations --no-fuzzy-matching --ignore-obsolete

browser: ## Install Debian's Chromium for the browser tests (needs root and the Debian mirror).
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

migrate: install ## Bring the database (KOPDES_DATABASE_URL; default var/kopdes.sqlite3) to the latest schema.
	$(BIN)/alembic upgrade head

seed: migrate ## Load the Kemendagri regions and Kukar demo data (both idempotent).
	$(BIN)/kopdes regions load
	$(BIN)/kopdes demo load --skip-if-real-records

run: seed ## Serve the API on http://$(HOST):$(PORT) (docs at /docs).
	$(BIN)/uvicorn --factory app.main:create_app --host $(HOST) --port $(PORT)

# One worker process per core, each with databases of its own (tests/conftest.py); a worker
# that finishes early takes tests from the other's queue.
XDIST := -n auto --dist worksteal

test: install ## Run the whole suite: on SQLite, and on PostgreSQL when it is reachable.
	$(BIN)/pytest $(XDIST)

test-sqlite: install ## Run the suite on SQLite only.
	$(BIN)/pytest $(XDIST) -k "not postgresql"

lint: install ## Check style, common mistakes and types.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app planner tests bench faults
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format app planner tests bench faults

bench: install ## Throughput of the hot reads against the raw driver (needs PostgreSQL and wrk).
	$(BIN)/python bench/bench_registry.py

# launch_pg_restart and pg_restart last: they restart the PostgreSQL server itself.
FAULTS := statement_timeout pool_exhausted worker_kill launch_worker_kill launch_redis_down \
	restore_drill launch_pg_restart pg_restart

faults: install ## Fault scripts and the backup/restore drill (needs PostgreSQL, and restarts it).
	set -e; for fault in $(FAULTS); do echo "== faults/$$fault.py"; $(BIN)/python faults/$$fault.py; done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache *.egg-info
