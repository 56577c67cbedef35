# The two commands in the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp

.PHONY: run test lint format bench clean services elasticsearch elasticsearch-stop

# Settings may live in .env (see .env.example); the environment wins over nothing else.
ifneq (,$(wildcard .env))
include .env
export
endif

# `make run` installs the runtime only; `make test` adds the test and lint tools.
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(DEV_STAMP)

# A development run: DJANGO_DEBUG defaults to true here, so the development SECRET_KEY is
# allowed (a production start with DJANGO_DEBUG=false refuses it; see README).
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python manage.py runservice

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy factories publisher apel probes
	$(BIN)/mypy --follow-imports=silent vacmon/store/es vacmon/store/elasticsearch.py
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Install and start PostgreSQL, Redis and RabbitMQ (STOMP) for the test suite, as CI does.
services:
	bash scripts/services.sh

# A private single-node Elasticsearch on 127.0.0.1 from Maven Central's integration-test
# distribution; prints ELASTICSEARCH_URL. See docs/elasticsearch.md ("Testing").
elasticsearch:
	bash scripts/elasticsearch.sh start

elasticsearch-stop:
	bash scripts/elasticsearch.sh stop

clean:
	rm -rf $(VENV) var
