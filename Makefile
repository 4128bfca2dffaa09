# The course's commands. `make help` lists them.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PROFILE ?= default
# PyPI's Linux torch wheels are CUDA builds; PyTorch's CPU index has the same version without
# CUDA. Only the torch step uses it. `make install TORCH_INDEX=` skips it.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: help install course test test-quick workbook solutions lab clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

install: $(VENV)/.installed  ## create .venv with pinned CPU requirements and a Jupyter kernel for it

$(VENV)/.installed: requirements.txt requirements/course.txt requirements-nodeps.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --no-deps "$$(grep '^torch==' requirements.txt)" $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --no-deps --no-build-isolation -e .
	# The kernel papermill and JupyterLab start is this environment's Python, nothing else.
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ragft course)"
	touch $@

course: install  ## run every solution notebook headless (PROFILE=default); results in results/
	$(PY) -m ragft.run_course --profile $(PROFILE)

test: install  ## the full test suite: data, helpers, workbook sync, exercises, smoke runs, nbval
	$(PY) -m pytest tests solutions --nbval --nbval-current-env --durations=40

test-quick: install  ## everything except re-executing the committed solutions (about 5 minutes)
	$(PY) -m pytest tests

workbook: install  ## regenerate notebooks/ from solutions/
	$(PY) -m ragft.workbook

solutions: install  ## re-execute solutions/ in place (default profile) to refresh committed outputs
	$(PY) -m ragft.refresh_solutions
	$(PY) -m ragft.workbook

lab: install  ## open the course in JupyterLab
	# ipywidgets: progress bars and notebook 10's decision form in the browser. Not in the test environment: widget
	# outputs would replace the text progress bars that papermill and nbval record.
	$(PY) -m pip install --quiet jupyterlab==4.6.6 ipywidgets==8.1.9
	$(VENV)/bin/jupyter lab

clean:  ## remove results/ (keeps .venv and the model cache)
	rm -rf results
