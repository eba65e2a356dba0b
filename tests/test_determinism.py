"""The same source gives the same bytes, whatever optional libraries the machine has.

WeasyPrint subsets fonts with the system's HarfBuzz-Subset where it is installed and with
fontTools where it is not, and fontTools stamps the current time into every font. The PDF
stage subsets with the HarfBuzz of the pinned uharfbuzz wheel instead (handouts/write/pdf/font_subset.py),
and pins SOURCE_DATE_EPOCH while WeasyPrint converts any WOFF font a stylesheet brings.
These tests build with WeasyPrint seeing the machine as it is and as if the library were
absent; CI runs them on a machine without it first, then again after installing it.

The same source also gives the same bytes whatever the process printed before: fonts and
the theme's stylesheet are registered once per process (pdf_writer), so a handout printed
by a worker after forty others must match one printed alone.
"""

import hashlib
import logging
import time

import pytest
from weasyprint.pdf import fonts as weasyprint_fonts

from conftest import new_project
from handouts.write.pdf import font_subset
from handouts.write.pdf import writer as pdf_writer  # noqa: F401 - installs font_subset before any test patches
from handouts.run.pipeline import build_document

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


HANDOUTS = {  # an English handout, and one whose letters need the packaged Noto Sans
    "en": "---\ntitle: Pain after surgery\nlang: en-US\nversion: \"1\"\ndate: 2026-01-15\n"
          "review_due: 2027-01-15\n---\n\n## What to know\n\nMost pain eases in a week. "
          "*Call* us if it **does not**.\n",
    "vi": "---\ntitle: Ketamine cho hội chứng đau\nlang: vi\nversion: \"1\"\n"
          "date: 2026-01-15\nreview_due: 2027-01-15\n---\n\n## Đây là gì?\n\nHội chứng "
          "đau vùng phức hợp là một tình trạng đau mạn tính.\n",
}


def test_a_pdf_does_not_depend_on_what_its_process_printed_before(tmp_path):
    from conftest import run_build_process
    files = {f"source/{name}.md": text for name, text in HANDOUTS.items()}
    alone, together = new_project(tmp_path / "alone", files), new_project(tmp_path / "together",
                                                                          files)
    for name in HANDOUTS:  # each in a new process, printing nothing else
        assert run_build_process(alone.root, f"source/{name}.md").returncode == 0
    for name in [*HANDOUTS, *reversed(HANDOUTS)]:  # one process: each after the other
        build_document(together.source_dir / f"{name}.md", together)
        pdf = together.outputs(name)["pdf"].read_bytes()
        assert pdf == alone.outputs(name)["pdf"].read_bytes(), name
