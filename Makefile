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
# Each handout's build record: written when all its outputs (all its editions') are built.
REPORTS := $(NAMES:%=output/reports/%.json)
# Everything a handout's outputs depend on besides its own Markdown file.
SHARED  := $(filter-out %.md,$(wildcard source/*)) $(wildcard styles/*) \
           $(wildcard handouts/*.py handouts/*/*.py handouts/*/*.yaml) build.py $(STAMP)

# One failing handout must not stop the others; make still exits non-zero.
MAKEFLAGS += --keep-going

.PHONY: all html watch bench test check release clean distclean help

# make works out which handouts are stale; one build.py run then builds them all, loading
# its libraries once and using every core. Each stale handout's rule only adds it to the
# queue (appending a line is safe under -j2); then the queue is built, and the report
# written (output/report.json, output/index.html and the table). A handout that fails
# keeps its old outputs, so the next make queues it again. With nothing queued and the
# report in place, make starts no Python at all.
QUEUE := output/.queue
all: $(REPORTS)
	@if [ -s $(QUEUE) ] || [ ! -f output/report.json ]; then $(PY) build.py --queue $(QUEUE); fi

output/reports/%.json: source/%.md $(SHARED)
ifeq ($(filter-out all check,$(MAKECMDGOALS)),)
	@mkdir -p output && echo $< >> $(QUEUE)
else
	$(PY) build.py $<
endif

# Asked for by name (make output/NAME.pdf), a handout is built at once.
output/%.html output/%.pdf output/%.docx: source/%.md $(SHARED)
	$(PY) build.py $<

# Only the web pages: a quick preview that never loads the PDF or Word writers.
html: $(STAMP)
	$(PY) build.py --html

# Rebuild a handout on every save, with a live preview at http://127.0.0.1:8000/
watch: $(STAMP)
	$(PY) build.py --watch

check: all
	$(PY) build.py --check

# Time and memory against Pandoc 3 (installed in bench/.pandoc-venv for this only).
bench: $(STAMP)
	$(PY) bench/benchmark.py

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
	rm -rf $(VENV) .pytest_cache *.egg-info .cache  # .cache: scaled pictures, cut fonts

help:
	@echo "make            build output/NAME.html, .pdf and .docx for every source/NAME.md"
	@echo "make html       only the web pages, a quick preview"
	@echo "make watch      rebuild on every save, with a live preview in the browser"
	@echo "make check      verify every word of every block is in each output"
	@echo "make bench      time and memory against Pandoc, written to bench/results.md"
	@echo "make release    rebuild every handout; any warning is a failure"
	@echo "make test       run the test suite"
	@echo "make clean      remove built outputs"
	@echo "make distclean  also remove the virtual environment and .cache"
