# The two commands a new user runs: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test lint demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

test: install
	$(VENV)/bin/pytest -q

lint: install
	$(VENV)/bin/ruff check orchestrator tests bench
	$(VENV)/bin/mypy --strict orchestrator

demo: install
	$(PY) -m orchestrator.demo

# Each benchmark prints its figures and ratios measured in one run, and PASS/FAIL per target.
BENCHES := plan_scale engine comment_render preview deploy drift webhooks insights policy

bench: install
	@status=0; for b in $(BENCHES); do echo "== bench/$$b.py"; $(PY) bench/$$b.py || status=1; done; exit $$status

clean:
	rm -rf $(VENV) .orchestrator .pytest_cache .mypy_cache .ruff_cache
