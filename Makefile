# The two commands in the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format bench clean services elasticsearch elasticsearch-stop

# Settings may live in .env (see .env.example); the environment wins over nothing else.
ifneq (,$(wildcard .env))
include .env
export
endif

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py runservice

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy factories publisher apel vacmon/probes
	$(BIN)/mypy --follow-imports=silent vacmon/store/es vacmon/store/elasticsearch.py
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
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
