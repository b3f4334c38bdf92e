# gananim: `make demo` sets up .venv and renders a scenario; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench gallery slides clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/gananim render scenarios/strong_discr.yaml --out gallery

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench.py

gallery: $(STAMP)
	$(VENV)/bin/gananim gallery scenarios --out gallery --jobs 2
	$(VENV)/bin/gananim compare scenarios/balanced.yaml scenarios/strong_discr.yaml scenarios/strong_gen.yaml --out gallery/compare

slides: $(STAMP)
	$(VENV)/bin/gananim gallery scenarios --out slides --size slide --jobs 2

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
