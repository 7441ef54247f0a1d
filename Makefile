# Everyday commands. Each target installs what it needs, so both work on a fresh machine.
PYTHON ?= python3

.PHONY: install demo test test-fast lint format package services-up services-down

install:
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'

demo: install
	$(PYTHON) -m cl3_cli demo

# The whole suite: starts Redis and a MongoDB wire server (FerretDB) itself when
# REDIS_URL / MONGODB_URI are not given.
test: install
	$(PYTHON) -m pytest

test-fast: install
	$(PYTHON) -m pytest tests/unit --no-cov

lint:
	ruff check .
	ruff format --check .
	mypy

format:
	ruff check --fix .
	ruff format .

# The layers/common Lambda layer zip and `chalice package --pkg-format terraform` (infra/out/).
package: install
	$(PYTHON) -m cl3_cli package

services-up:
	$(PYTHON) -m cl3_cli services up

services-down:
	$(PYTHON) -m cl3_cli services down
