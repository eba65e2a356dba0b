"""Real documents nobody here wrote (tests/corpus/real/, sources in SOURCES.md), built as
their authors wrote them: each builds as a draft, shows no other tool's raw markup, and
loses no more than 3% of the words Pandoc's reading of the same file keeps, in each of the
three outputs; its PDF passes the page checker. A few are also checked for structure: list
nesting, box kinds, pictures."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import lxml.html
import pytest

from conftest import print_word_files

from handouts.check import pages
from handouts.style.theme import load_theme

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "real"
_spec = importlib.util.spec_from_file_location("real_documents",
                                               ROOT / "bench" / "real_documents.py")
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
sys.modules["real_documents"] = bench  # its dataclasses look their module up
_spec.loader.exec_module(bench)

FOLDERS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def test_the_corpus_is_real_and_named():
    """A dozen or more documents, each named with its source and licence."""
    sources = (CORPUS / "SOURCES.md").read_text()
    assert len(FOLDERS) >= 12
    for name in FOLDERS:
        assert f"| {name} |" in sources, f"{name} has no line in SOURCES.md"


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    return tmp_path_factory.mktemp("real")


@pytest.mark.parametrize("name", FOLDERS)
def test_builds_as_written_and_keeps_pandocs_words(name, kept):
    outcome = bench.build_one(CORPUS / name, kept)
    assert outcome.built, "\n".join(outcome.messages)
    assert not outcome.raw_markup, outcome.raw_markup
    for kind, lost in outcome.lost.items():
        assert lost <= bench.LIMIT, (
            f"{kind} lost {lost:.1%} of Pandoc's words, e.g. {outcome.missing.get(kind)}")
    # and its pages as a print designer would have them (handouts/check/pages.py)
    margins = pages.margins_of(load_theme(ROOT / "styles" / "theme.yaml"))
    for pdf in sorted((kept / name).glob("*.pdf")):
        assert pages.check(pdf, margins) == [], pdf.name


def _page(kept: Path, name: str) -> lxml.html.HtmlElement:
    if not (kept / name).exists():
        assert bench.build_one(CORPUS / name, kept).built
    return lxml.html.parse(str(kept / name / f"{name}.html")).getroot()


def _nesting(ul: lxml.html.HtmlElement) -> int:
    inner = [_nesting(child) for child in ul.xpath("./li/ul|./li/ol")]
    return 1 + max(inner, default=0)


def test_mkdocs_lists_keep_their_nesting(kept):
    """lists.md nests its lists by four spaces and its task lists by four: every nested
    list stays nested (Pandoc reads three levels at most in it)."""
    page = _page(kept, "mkdocs-lists")
    tops = page.xpath("//main//ul[not(ancestor::ul or ancestor::ol)] | "
                      "//main//ol[not(ancestor::ul or ancestor::ol)]") or \
        page.xpath("//ul[not(ancestor::ul or ancestor::ol)]")
    assert max(_nesting(top) for top in tops) >= 3


def test_github_alerts_are_boxes_of_their_kind(kept):
    page = _page(kept, "github-alerts")
    kinds = [set(el.get("class", "").split()) for el in page.xpath("//*[contains(@class,'callout')]")]
    for kind in ("note", "tip", "important", "warning", "caution"):
        assert any(kind in classes for classes in kinds), f"no {kind} box"
    for code in page.xpath("//pre|//code"):  # the page shows the syntax as code too
        code.drop_tree()
    assert "[!" not in page.text_content()


def test_mkdocs_admonitions_are_boxes(kept):
    page = _page(kept, "mkdocs-admonitions")
    assert len(page.xpath("//*[contains(concat(' ', @class, ' '), ' callout ')]")) >= 5


def test_the_papers_pictures_keep_their_words(kept):
    """The JOSS paper's picture inside a line is drawn and keeps its alt text."""
    page = _page(kept, "joss-inara")
    assert [img.get("alt") for img in page.xpath("//img[contains(@alt, 'Nyan')]")] == \
        ["Nyan cat"]


def test_each_word_file_as_libreoffice_prints_it_passes_the_page_checker(kept,
                                                                          tmp_path_factory):
    """The Word file of each document, printed by LibreOffice, has no stranded heading, no
    hole, nothing off the page, and as many pages as its PDF, give or take one."""
    for name in FOLDERS:  # built here, where another worker ran the build test
        if not (kept / name).exists():
            assert bench.build_one(CORPUS / name, kept).built
    files = sorted(kept.glob("*/*.docx"))
    assert len(files) == len(FOLDERS)
    printed = print_word_files(files, tmp_path_factory.mktemp("word-pdfs"),
                               tmp_path_factory.mktemp("lo-profile"))
    margins = pages.margins_of(load_theme(ROOT / "styles" / "theme.yaml"))
    found = {}
    for docx in files:
        word = printed[docx.stem]
        findings = pages.check(word, margins, shrink=1.0) + pages.check(
            docx.with_suffix(".pdf"), margins, word_pages=pages.page_count(word))
        if findings:
            found[docx.stem] = [str(f) for f in findings]
    assert found == {}


@pytest.fixture(scope="module", autouse=True)
def _clean(kept):
    yield
    shutil.rmtree(kept, ignore_errors=True)
