"""The same source gives the same bytes, whatever optional libraries the machine has.

WeasyPrint subsets fonts with the system's HarfBuzz-Subset where it is installed and with
fontTools where it is not, and fontTools stamps the current time into every font. The PDF
stage subsets with the HarfBuzz of the pinned uharfbuzz wheel instead (handouts/font_subset.py),
and pins SOURCE_DATE_EPOCH to the issue date while WeasyPrint converts the page's WOFF fonts.
These tests build with WeasyPrint seeing the machine as it is and as if the library were
absent; CI runs them on a machine without it first, then again after installing it.
"""

import hashlib
import logging
import time

import pytest
from weasyprint.pdf import fonts as weasyprint_fonts

from conftest import new_project
from handouts import font_subset
from handouts.pipeline import build_document

def _pdf_hash(project):
    build_document(project.source_dir / "ketamine-crps.md", project)
    return hashlib.sha256(project.outputs("ketamine-crps-referrer")["pdf"].read_bytes()).hexdigest()


@pytest.fixture
def project(tmp_path):
    return new_project(tmp_path, with_real_sources=True)


@pytest.fixture
def without_harfbuzz_subset(monkeypatch):
    """WeasyPrint as it runs on a machine without libharfbuzz-subset0."""
    monkeypatch.setattr(weasyprint_fonts, "harfbuzz_subset", None)


def test_the_pdf_is_the_same_with_or_without_harfbuzz_subset(project, monkeypatch):
    as_installed = _pdf_hash(project)
    monkeypatch.setattr(weasyprint_fonts, "harfbuzz_subset", None)
    assert _pdf_hash(project) == as_installed


def test_three_builds_in_a_row_without_harfbuzz_subset_give_one_hash(
        project, without_harfbuzz_subset):
    hashes = set()
    for _ in range(3):
        hashes.add(_pdf_hash(project))
        time.sleep(1.1)  # fonts carry times in whole seconds
    assert len(hashes) == 1


@pytest.mark.skipif(weasyprint_fonts.harfbuzz_subset is None,
                    reason="libharfbuzz-subset0 is absent: there is only one path to compare")
def test_control_weasyprints_own_subsetting_differs_with_and_without_the_library(
        project, monkeypatch, caplog):
    """Why font_subset exists: WeasyPrint's two ways of subsetting write different bytes, so
    a handout built where the library is installed differs from one built where it is not.
    If this starts failing, WeasyPrint made them agree, and font_subset may go."""
    monkeypatch.setattr(weasyprint_fonts.Font, "subset", font_subset.WEASYPRINT_SUBSET)
    with_library = _pdf_hash(project)
    monkeypatch.setattr(weasyprint_fonts, "harfbuzz_subset", None)
    caplog.set_level(logging.WARNING, logger="weasyprint")
    without = _pdf_hash(project)
    assert "Using fontTools instead of HarfBuzz-Subset" in caplog.text  # the path is taken
    assert without != with_library
