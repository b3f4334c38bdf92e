# gananim: `make demo` sets up .venv and renders a scenario; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench gallery slides clean

DEMO_STAMP := $(VENV)/.installed-demo

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP) $(DEMO_STAMP)

# the demo needs gananim only (no test extras); into demo/, not the committed gallery/
$(DEMO_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e .
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(VENV)/bin/gananim render scenarios/strong_discr.yaml --out demo
	@echo "open demo/strong_discr/animation.gif, summary.png and hessian.png"

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench.py

gallery: $(STAMP)
	$(VENV)/bin/gananim gallery scenarios --out gallery --jobs 2
	$(VENV)/bin/gananim compare scenarios/balanced.yaml scenarios/strong_discr.yaml scenarios/strong_gen.yaml --out gallery/compare
	$(VENV)/bin/gananim compare scenarios/dirac_simgd.yaml scenarios/dirac_altgd.yaml scenarios/dirac_r1.yaml --out gallery/compare_dirac

slides: $(STAMP)
	$(VENV)/bin/gananim gallery scenarios --out slides --size slide --jobs 2

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info demo
