# make        build every handout in source/ (sets up .venv on first use)
# make test   run the tests
# Each handout is rebuilt only when its source, a bibliography, a picture, the styles or the
# code changed. `make -j2` is safe: every output is written to a temporary file and renamed.

PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   ?= $(VENV)/.installed

# One failing handout must not stop the others; make still exits non-zero.
MAKEFLAGS += --keep-going

.PHONY: all html watch import booklet bench bench-scale bench-real test typecheck check release clean distclean help FORCE

# File names may hold spaces, which make cannot take as targets, so make does not track the
# handouts one by one: a single `find` asks whether any file in source/, styles/ or the code
# changed since the last build that left every handout built (output/reports/.built), and
# only then is Python started: `build.py --changed` works out which handouts are stale
# (their source, or any other file in source/ or styles/, or the code, changed since their
# last good build, or a picture was removed) and builds them all in one process, using
# every core, then writes the report (output/report.json, output/index.html and the table).
# A handout that fails keeps its old outputs and is built again by the next make. With
# nothing changed, make starts no Python at all. `make -n` lists what would be built.
BUILT   := output/reports/.built
CHANGED := find -L source styles handouts build.py $(STAMP) -name __pycache__ -prune -o \
           -newer $(BUILT) -print -quit
DRY_RUN  = $(if $(findstring n,$(firstword -$(MAKEFLAGS))),--dry-run)
BUILD    = $(PY) build.py --changed --depends $(STAMP) $(DRY_RUN)

all: $(STAMP)
	+@if [ ! -f $(BUILT) ] || [ -n "$$($(CHANGED) 2>/dev/null || echo failed)" ]; then \
		$(BUILD); fi

# Asked for by name (make output/NAME.pdf), a handout is built at once if it is stale.
output/%.html output/%.pdf output/%.docx: source/%.md FORCE
	+@if [ ! -f "output/reports/$*.json" ] || \
		[ -n "$$($(CHANGED:$(BUILT)="output/reports/$*.json") 2>/dev/null || echo failed)" ]; \
		then $(BUILD) "$<"; fi

FORCE:

# Only the web pages: a quick preview that never loads the PDF or Word writers.
html: $(STAMP)
	$(PY) build.py --html

# Rebuild a handout on every save, with a live preview at http://127.0.0.1:8000/
watch: $(STAMP)
	$(PY) build.py --watch

# Every handout again, with a folded booklet of each: output/NAME-booklet.pdf (print on
# both sides, flipping on the short edge). 'paper: booklet' in a handout or the theme
# makes one at every build.
booklet: $(STAMP)
	$(PY) build.py --booklet

# A Word handout into source/NAME.md: make import FILE=handout.docx (FORCE=1 overwrites).
import: $(STAMP)
	@if [ -z "$(FILE)" ]; then echo "usage: make import FILE=handout.docx [FORCE=1]" >&2; exit 2; fi
	$(PY) build.py import "$(FILE)" $(if $(FORCE),--force)

check: all
	$(PY) build.py --check

# Time and memory against Pandoc 3 (installed in bench/.pandoc-venv for this only).
bench: $(STAMP)
	$(PY) bench/benchmark.py

# How time and memory grow with a handout's size: tables, titles, brackets, long documents.
bench-scale: $(STAMP)
	$(PY) bench/scaling.py

# Real documents nobody here wrote (tests/corpus/real/), against Pandoc's reading of them.
bench-real: $(STAMP)
	$(PY) bench/real_documents.py

# A release: every handout rebuilt, and any warning (no approver, review due, reading
# grade above target, terms not explained, ...) is a failure.
release: $(STAMP)
	$(PY) build.py --strict

# The type checker first (mypy --strict on handouts/: a model type a writer has no case
# for is an error), then the tests.
test: typecheck
	$(PY) -m pytest

typecheck: $(STAMP)
	$(PY) -m mypy

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $@

clean:
	rm -f output/*.html output/*.pdf output/*.docx output/report.json
	rm -rf output/reports
	find output -name ".*" -type f ! -name .gitkeep -delete  # leftovers of an interrupted build

distclean: clean
	rm -rf $(VENV) .pytest_cache .mypy_cache *.egg-info .cache  # .cache: scaled pictures, cut fonts

help:
	@echo "make            build output/NAME.html, .pdf and .docx for every source/NAME.md"
	@echo "make html       only the web pages, a quick preview"
	@echo "make watch      rebuild on every save, with a live preview in the browser"
	@echo "make booklet    every handout again, each with a folded booklet (NAME-booklet.pdf)"
	@echo "make import FILE=x.docx  write source/NAME.md from a Word handout (FORCE=1 overwrites)"
	@echo "make check      verify every word of every block is in each output"
	@echo "make bench      time and memory against Pandoc, written to bench/results.md"
	@echo "make bench-scale  time and memory at three sizes per case, to bench/scaling.md"
	@echo "make bench-real   real documents built as drafts, words against Pandoc's reading"
	@echo "make release    rebuild every handout; any warning is a failure"
	@echo "make test       the type checker, then the test suite"
	@echo "make typecheck  mypy --strict on handouts/"
	@echo "make clean      remove built outputs"
	@echo "make distclean  also remove the virtual environment and .cache"
