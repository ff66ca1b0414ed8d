# One entry point for people and CI. `make test` builds its own virtual
# environment from the requirements files, then runs every quality gate.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv lint typecheck test test-py310 py310-path bench demo package clean

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
	$(BIN)/python -m pytest -p no:cacheprovider \
		--cov --cov-report=term --cov-fail-under=95

# The functions also run on Python 3.10 (an SCF runtime). The newest
# hypothesis needs 3.11, so this suite takes the last release for 3.10.
# PY310 is the first python3.10 that runs: on the PATH, or one pyenv installed
# (whose shim on the PATH refuses to run while another version is selected).
PY310 ?= $(shell for py in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python3.10; do \
	"$$py" -c "" 2>/dev/null && { echo "$$py"; break; }; done)

py310-path:
	@echo "$(PY310)"

test-py310:
	@test -n "$(PY310)" || { echo "no Python 3.10 found; set PY310=/path/to/python3.10"; exit 1; }
	$(PY310) -m venv .venv310
	.venv310/bin/pip install --quiet -r requirements.txt functions-framework==3.10.2 \
		pytest==9.2.0 hypothesis==6.168.5 cryptography==50.0.2 tccli==3.1.189.1
	.venv310/bin/python -m pytest -p no:cacheprovider -q

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
	rm -rf build $(VENV) .venv310 .mypy_cache .ruff_cache .pytest_cache .coverage
