# One entry point for people and CI. `make test` builds its own virtual
# environment from the requirements files, then runs every quality gate.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv lint typecheck test test-slow bench demo clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected no test; that must fail the build, and it
# does, because make stops on any non-zero exit.
test: lint typecheck
	$(BIN)/python -m pytest -m "not slow" -p no:cacheprovider \
		--cov --cov-report=term --cov-fail-under=95

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m bench

demo: $(STAMP)
	$(BIN)/python -m demo

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage
