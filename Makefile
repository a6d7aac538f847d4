# The two commands a new user runs: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test test-types lint demo bench fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# One pytest-xdist worker a core (CI has two; TEST_WORKERS=0 runs in one process). A test file's
# tests all run on one worker, so its module fixtures (a deployed sample on moto, a repository
# with history, a browser) are built once, not once a worker. Ports, the sandbox, PostgreSQL
# (a cluster a worker) and Chromium are per worker: the suite is xdist-safe.
TEST_WORKERS ?= auto

test: install
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadfile

# Every resource type's whole life through the engine against moto (tests marked `types`; about
# a minute each); `make test` runs a sample of them.
test-types: install
	$(VENV)/bin/pytest -q -p no:cacheprovider -n 2 -m types tests/aws tests/providers

lint: install
	$(VENV)/bin/ruff check orchestrator tests bench
	$(VENV)/bin/mypy --strict orchestrator

demo: install
	$(PY) -m orchestrator.demo

# Each benchmark prints its figures and ratios measured in one run, and PASS/FAIL per target.
BENCHES := plan_scale engine comment_render preview deploy drift webhooks insights policy

bench: install
	@status=0; for b in $(BENCHES); do echo "== bench/$$b.py"; $(PY) bench/$$b.py || status=1; done; exit $$status

# Property-based fuzzing (tests/fuzz) with the long Hypothesis profile: thousands of examples per
# target and a fresh seed each run (`make test` runs the same tests with a bounded, fixed profile).
# FUZZ_EXAMPLES=N sets the examples per target.
FUZZ_EXAMPLES ?= 2000

fuzz: install
	ORCHESTRATOR_FUZZ_PROFILE=long ORCHESTRATOR_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		$(VENV)/bin/pytest -q -p no:cacheprovider tests/fuzz --hypothesis-show-statistics

clean:
	rm -rf $(VENV) .orchestrator .pytest_cache .mypy_cache .ruff_cache
