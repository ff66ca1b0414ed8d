# One entry point for people and CI. `make test` builds its own virtual
# environment from the requirements files, then runs every quality gate.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv lint typecheck test test-slow bench demo package clean

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

# The Python of the SCF runtime named in serverless.yml; wheels are fetched
# for it, not for the Python that builds the package.
SCF_PYTHON ?= 3.10

# One deployable folder per function under build/: its main.py as index.py,
# the shared package and the runtime requirements, with bytecode compiled.
package: $(STAMP)
	rm -rf build
	for dir in functions/*/; do \
		name=$$(basename $$dir); \
		mkdir -p build/$$name; \
		cp $$dir/main.py build/$$name/index.py; \
		cp -r shared build/$$name/shared; \
		$(BIN)/pip install --quiet --target build/$$name -r requirements.txt \
			--platform manylinux2014_x86_64 --python-version $(SCF_PYTHON) \
			--implementation cp --only-binary=:all:; \
		$(BIN)/python -m compileall -q build/$$name; \
	done

clean:
	rm -rf build $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage
