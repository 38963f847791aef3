VENV := .venv
PYTHON := $(VENV)/bin/python

.PHONY: help install run test test-fast lint typecheck bench bench-workers bench-overload profile upgrade-trial

help: ## what each target does
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 20

install: $(VENV)/installed ## a .venv with the pinned dependencies and the provisioning command (fast when done)

$(VENV)/installed: requirements.txt requirements-dev.txt pyproject.toml clients/typescript/package-lock.json
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null)
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: install ## serve on 127.0.0.1, port PORT (8080); starts the embedded database when none answers
	PYTHONPATH=. $(PYTHON) scripts/serve.py

test: install ## the whole test suite (MONGODB_URI=... make test runs it against that server)
	$(PYTHON) -m pytest

test-fast: install ## every tier but system (unit, api, storage, cli): no gunicorn, nginx or browser
	$(PYTHON) -m pytest tests/unit tests/api tests/storage tests/cli

lint: install ## ruff on the code and the tests
	$(VENV)/bin/ruff check .

typecheck: install ## mypy on app/ and the service tests' fakes (checked against the same ports as the stores)
	$(VENV)/bin/mypy

bench: install ## each endpoint under load beside its floors; writes docs/performance.md
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	PYTHONPATH=. $(PYTHON) bench/run.py

bench-workers: install ## customer/create and user/create for several worker counts per CPU; writes docs/workers.md
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	PYTHONPATH=. $(PYTHON) bench/workers.py

bench-events: install ## the events relay's events/s and lag under customer/create load; writes docs/events-performance.md
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	PYTHONPATH=. $(PYTHON) bench/events.py

upgrade-trial: install ## db upgrade on a million customers while a writer tries duplicates; writes docs/upgrade-trial.md
	PYTHONPATH=. $(PYTHON) bench/upgrade_trial.py

bench-overload: install ## goodput while 370 clients give up after 3 s and retry, against capacity; health meanwhile
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update -qq && apt-get install -y -qq nginx)
	PYTHONPATH=. $(PYTHON) bench/overload.py

profile: install ## where a worker's CPU goes per customer/create, by package (cProfile, in-process)
	PYTHONPATH=. $(PYTHON) bench/cpu_profile.py
