VENV := .venv
PYTHON := $(VENV)/bin/python

.PHONY: install run test bench

install: $(VENV)/installed

$(VENV)/installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: install
	PYTHONPATH=. $(PYTHON) scripts/serve.py

test: install
	$(PYTHON) -m pytest

bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	PYTHONPATH=. $(PYTHON) bench/run.py
