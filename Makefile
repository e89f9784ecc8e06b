# Two commands for a fresh machine: `make demo` (set up, run the offline demo) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test eval bench clean

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

# Quality gates on the real labelled data in ../shared (not part of the repository).
eval: setup
	@if [ ! -f ../shared/data/seed_dev.jsonl ] || [ ! -d ../shared/corpus ]; then \
	  echo "make eval: needs ../shared/data/seed_dev.jsonl, applied_ml.jsonl and ../shared/corpus/ beside the repository"; \
	  echo "(the curator-labelled set, the applied-ML list, the real posts); nothing was evaluated"; exit 2; fi
	$(BIN)/pytest -q bench/gates
	$(BIN)/python bench/curation.py

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) *.egg-info src/*.egg-info .pytest_cache
