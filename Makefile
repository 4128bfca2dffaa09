# The course's commands. `make help` lists them.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PROFILE ?= default
# PyPI's Linux torch wheels are CUDA builds; PyTorch's CPU index has the same version without
# CUDA. Only the torch step uses it. `make install TORCH_INDEX=` skips it.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

# Extra arguments for `make lab`, e.g. on a remote or container machine:
#   make lab LAB_ARGS="--no-browser --ip=0.0.0.0 --port=8888"
LAB_ARGS ?=
# JupyterLab refuses to start as root (CI, containers) without --allow-root; add it only there.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: help install course test test-quick test-browser screenshots workbook solutions lab clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

install: $(VENV)/.installed  ## create .venv with pinned CPU requirements and a Jupyter kernel for it

$(VENV)/.installed: requirements.txt requirements/course.txt requirements/tools.txt requirements-nodeps.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --no-deps "$$(grep '^torch==' requirements.txt)" $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --no-deps --no-build-isolation -e .
	# The kernel papermill and JupyterLab start is this environment's Python, nothing else.
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ragft course)"
	touch $@

course: install  ## run every solution notebook headless (PROFILE=default); results in results/<profile>/
	$(PY) -m ragft.run_course --profile $(PROFILE)

test: install  ## what CI runs: data, helpers, workbook sync, exercises, nbval of every solution, the browser test
	$(PY) -m pytest tests solutions --nbval --nbval-current-env -m "not smoke_course" --durations=40

test-quick: install  ## development: helpers, data, sync, exercises and every notebook in the smoke profile (about 15 min)
	$(PY) -m pytest tests -m "not browser"

test-browser: install  ## only the browser tier: JupyterLab in headless Chromium (needs `apt-get install chromium`)
	$(PY) -m pytest tests/browser -m browser

screenshots: install  ## re-take the README's JupyterLab screenshots (docs/screenshots/) with the browser test
	RAGFT_SCREENSHOTS_DIR=docs/screenshots RAGFT_REQUIRE_BROWSER=1 $(PY) -m pytest tests/browser -m browser

workbook: install  ## regenerate notebooks/ from solutions/
	$(PY) -m ragft.workbook

solutions: install  ## re-execute solutions/ in place (default profile) to refresh committed outputs
	$(PY) -m ragft.refresh_solutions
	$(PY) -m ragft.workbook

lab: install  ## open the course in JupyterLab (LAB_ARGS="--no-browser --ip=0.0.0.0 --port=8888" on a remote machine)
	# ipywidgets: progress bars and notebook 10's decision form in the browser. Not in the test environment: widget
	# outputs would replace the text progress bars that papermill and nbval record.
	$(PY) -m pip install --quiet ipywidgets==8.1.9 || echo "ipywidgets could not be installed (offline?): progress bars will be text, notebook 10's form a function call"
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) $(LAB_ARGS)

clean:  ## remove results/ (keeps .venv and the model cache)
	rm -rf results
