# make        build every handout in source/ (sets up .venv on first use)
# make test   run the tests
# Each handout is rebuilt only when its source, a bibliography, an image, the styles or the
# code changed. `make -j2` is safe: every output is written to a temporary file and renamed.

PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   ?= $(VENV)/.installed
SOURCES := $(wildcard source/*.md)
NAMES   := $(SOURCES:source/%.md=%)
OUTPUTS := $(foreach n,$(NAMES),output/$(n).html output/$(n).pdf output/$(n).docx)
# Everything a handout's outputs depend on besides its own Markdown file.
SHARED  := $(filter-out %.md,$(wildcard source/*)) $(wildcard styles/*) \
           $(wildcard handouts/*.py handouts/*/*.py handouts/*/*.yaml) build.py $(STAMP)

# One failing handout must not stop the others; make still exits non-zero.
MAKEFLAGS += --keep-going

.PHONY: all html test check release clean distclean help
all: $(OUTPUTS) output/report.json

# The build report (output/report.json, output/index.html and a table), after any rebuild.
output/report.json: $(OUTPUTS)
	@$(PY) build.py --report

# A pattern rule with several targets makes all three in one run of build.py.
output/%.html output/%.pdf output/%.docx: source/%.md $(SHARED)
	$(PY) build.py $<

# Only the web pages: a quick preview that never loads the PDF or Word writers.
html: $(STAMP)
	$(PY) build.py --html

check: $(OUTPUTS)
	$(PY) build.py --check

# A release: every handout rebuilt, and any warning (no approver, review due, reading
# grade above target, terms not explained, ...) is a failure.
release: $(STAMP)
	$(PY) build.py --strict

test: $(STAMP)
	$(PY) -m pytest

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $@

clean:
	rm -f output/*.html output/*.pdf output/*.docx output/report.json
	rm -rf output/reports
	find output -name ".*" -type f ! -name .gitkeep -delete  # leftovers of an interrupted build

distclean: clean
	rm -rf $(VENV) .pytest_cache *.egg-info

help:
	@echo "make            build output/NAME.html, .pdf and .docx for every source/NAME.md"
	@echo "make html       only the web pages, a quick preview"
	@echo "make check      verify every word of every block is in each output"
	@echo "make release    rebuild every handout; any warning is a failure"
	@echo "make test       run the test suite"
	@echo "make clean      remove built outputs"
	@echo "make distclean  also remove the virtual environment"
