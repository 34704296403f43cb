# The two commands that do everything on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT   ?= runs/demo

.PHONY: install demo test test-slow docs docs-check lab clean

install: $(STAMP)          ## .venv with everything (and the Debian packages when root)
$(STAMP): settings.ini setup.py tools/install.sh
	bash tools/install.sh
	touch $(STAMP)

demo: install              ## the main job: the toy unlearning experiment (fast setting) -> $(OUT)
	$(BIN)/msgm toy --fast --out $(OUT)

test: install              ## hygiene and style checks, then every notebook (nbdev's test_nb) and tests/ under pytest
	bash tools/check_sync.sh
	$(BIN)/ruff check nbs
	$(BIN)/ruff format --check nbs
	$(BIN)/python -m pytest tests/ -q

test-slow: install         ## also the cells flagged slow and gpu (run this on a GPU machine)
	NBDEV_FLAGS="slow gpu" $(BIN)/python -m pytest tests/ -q

docs: install              ## render the docs site into _docs/ (nbdev_docs if Quarto is on PATH, else offline: nbdev + Sphinx)
	$(BIN)/python tools/render_docs.py

docs-check: docs           ## open every page in headless Chromium: math, links, images, titles, search, console -> _docs/screenshots/
	$(BIN)/python tools/docs_check.py

lab: install               ## start JupyterLab on the notebooks
	$(BIN)/jupyter lab nbs

clean:
	rm -rf _docs _proc nbs/.quarto runs
