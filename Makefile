# Two commands for a fresh machine: `make demo` (set up, run the offline demo) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench clean

$(BIN)/blogsift: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/blogsift

setup: $(BIN)/blogsift

demo: setup
	$(BIN)/blogsift demo --output demo-digest.md

test: setup
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) *.egg-info src/*.egg-info .pytest_cache
