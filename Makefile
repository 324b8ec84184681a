# Quick start: `make run` (whole pipeline on the built-in cohort), `make test`.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: install run power report test test-fast bench plots clean-outputs

install: $(STAMP)

# Re-installs only when the requirements change, so `make install` is idempotent and cheap.
# The project itself is installed editable: `pipeline`, `dashboard` and `report` import from
# this checkout wherever a command runs.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	$(PYTHON) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The built-in cohort is generated only when data/ is absent: a user's own cohort is never touched.
run: install
	test -d data || $(PYTHON) -m pipeline.synth data
	dvc repro

# The power study (its own DVC pipeline), then the report again with its Power section.
power: run
	dvc repro power/dvc.yaml
	$(MAKE) report

# The report again, with whatever DVC now lists (experiments run since, the power study).
report: install
	dvc repro --force --single-item report

test: install
	$(PYTHON) -m pytest -q tests

# The quick part only: no pipeline run, DVC, Ray, browser or kernel (tests marked slow).
test-fast: install
	$(PYTHON) -m pytest -q -m "not slow" tests

bench: install
	$(PYTHON) -m bench

# DVC's plots page with Vega inlined: opens offline (report/plots_template.py).
plots: install
	dvc plots show --html-template report/dvc_plots.html -o outputs/dvc_plots

clean-outputs:
	rm -rf outputs metrics report/report.html
