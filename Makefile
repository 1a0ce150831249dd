# BEG invoice pipeline — `make dev` runs the product on embedded defaults, `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
PG_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/postgres
export BEG_DATA_DIR ?= $(CURDIR)/.beg
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# make dev SIMULADOR=realista: robots that fail like production (wrong passwords, unpublished invoices, flaky API)
SIMULADOR       ?= tranquilo
PORTA_DAGSTER   ?= 3000
PORTA_APP       ?= 8501
PORTA_SIMULADOR ?= 8765

.PHONY: install dev prod-local lint test test-long bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

dev: install
	mkdir -p "$(BEG_DATA_DIR)" "$(DAGSTER_HOME)"
	cp -f dagster.yaml "$(DAGSTER_HOME)/dagster.yaml"
	$(BIN)/beg db upgrade
	@test -f "$(BEG_DATA_DIR)/usuarios-demo.txt" || $(BIN)/beg demo
	$(BIN)/python scripts/dev_servicos.py --simulador "$(SIMULADOR)" --porta-dagster "$(PORTA_DAGSTER)" \
		--porta-app "$(PORTA_APP)" --porta-simulador "$(PORTA_SIMULADOR)"

# The production topology on this machine (README "Produção"): its own data dir and Dagster home.
PROD_DATA_DIR    ?= $(CURDIR)/.beg-prod
PROD_DAGSTER_HOME ?= $(CURDIR)/.dagster_prod
prod-local: export BEG_DATA_DIR = $(PROD_DATA_DIR)
prod-local: export DAGSTER_HOME = $(PROD_DAGSTER_HOME)
prod-local: install
	$(BIN)/python scripts/prod_local.py

lint: install
	$(BIN)/ruff check .

# BEG_TEST_POSTGRES_URL is set when PostgreSQL answers on 127.0.0.1:5432 (always required under CI=true).
test: install lint
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
		echo "PostgreSQL found on 127.0.0.1:5432: database tests run on SQLite and PostgreSQL"; \
		BEG_TEST_POSTGRES_URL="$${BEG_TEST_POSTGRES_URL:-$(PG_URL)}" $(BIN)/pytest -m "not long" $(PYTEST_ARGS); \
	else \
		echo "No PostgreSQL on 127.0.0.1:5432: database tests run on SQLite only"; \
		$(BIN)/pytest -m "not long" $(PYTEST_ARGS); \
	fi

test-long: install
	BEG_TEST_POSTGRES_URL="$${BEG_TEST_POSTGRES_URL:-$(PG_URL)}" $(BIN)/pytest -m long $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
