"""Accessible by default: tagged PDF/UA-1 with language, title and bookmarks; HTML with
landmarks and one h1; a Word file with its language, headings and alt text; and build-time
rules for what authors get wrong (the failing inputs are in test_bad_input.py)."""

import docx
import lxml.html
import pypdf
import pytest
from docx.oxml.ns import qn

from conftest import (EDITIONS, MINIMAL_FRONT_MATTER, ROOT, edition_id, load_edition,
                      new_project, run_build)
from handouts.read.front_matter import load



def structure_types(reader):
    found = set()

    def walk(node):
        node = node.get_object()
        if not isinstance(node, dict):
            return
        if "/S" in node:
            found.add(str(node["/S"]))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid)
    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def outline_titles(outline):
    titles = []
    for item in outline:
        titles += outline_titles(item) if isinstance(item, list) else [str(item.title)]
    return titles


@pytest.mark.parametrize("source", EDITIONS, ids=edition_id)
def test_pdf_is_pdf_ua_1_with_language_title_metadata_and_structure(built, source):
    doc = load_edition(built.source_dir, source)
    reader = pypdf.PdfReader(str(built.outputs(doc.name)["pdf"]))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == doc.meta.lang
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    xmp = reader.xmp_metadata.stream.get_data().decode()
    assert 'pdfuaid:part="1"' in xmp
    for value in (doc.meta.title, doc.meta.subtitle, ", ".join(doc.meta.keywords)):
        assert value in xmp
    page = lxml.html.parse(str(built.outputs(doc.name)["html"])).getroot()
    links = {"/Link"} if any(a.get("href") for a in page.find("body").iter("a")) else set()
    assert {"/Document", "/H1", "/H2", "/P", "/L", "/LI"} | links <= structure_types(reader)


@pytest.mark.parametrize("source", EDITIONS, ids=edition_id)
def test_pdf_has_a_bookmark_for_every_heading(built, source):
    outputs = built.outputs(edition_id(source))
    page = lxml.html.parse(str(outputs["html"])).getroot()
    headings = [h.text_content().strip() for h in page.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    titles = outline_titles(pypdf.PdfReader(str(outputs["pdf"])).outline)
    assert titles == headings


@pytest.mark.parametrize("source", EDITIONS, ids=edition_id)
def test_html_has_language_one_title_and_landmarks_in_reading_order(built, source):
    page = lxml.html.parse(str(built.outputs(edition_id(source))["html"])).getroot()
    assert page.get("lang") == load_edition(built.source_dir, source).meta.lang
    assert len(list(page.iter("h1"))) == 1
    assert [child.tag for child in page.find("body")] == ["header", "main", "footer"]
    assert page.find("body/header//h1") is not None


@pytest.mark.parametrize("source", EDITIONS, ids=edition_id)
def test_docx_has_language_title_and_heading_styles(built, source):
    doc = load_edition(built.source_dir, source)
    word = docx.Document(str(built.outputs(doc.name)["docx"]))
    defaults = word.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    assert defaults.find(qn("w:rPr")).find(qn("w:lang")).get(qn("w:val")) == doc.meta.lang
    assert word.core_properties.title == doc.meta.title
    assert word.core_properties.language == doc.meta.lang
    headings = [p for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0].style.name == "Heading 1" and headings[0].text == doc.meta.title
    levels = [int(p.style.name.split()[-1]) for p in headings]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), "no skipped levels"


@pytest.mark.parametrize("link, shown", [
    ("<https://example.org/crps>", "https://example.org/crps"),
    ("[click here](https://example.org/crps)", "click here"),
])
def test_links_that_do_not_say_where_they_lead_are_warned_about(tmp_path, link, shown):
    body = f"\n## Links\n\nFor more, {link}.\n"
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + body})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    assert f"a.md:12: link text '{shown}' does not say where it leads" in result.stderr


def test_descriptive_link_text_gets_no_warning(tmp_path):
    body = "\n## Links\n\nRead [the CRPS society's guide](https://example.org/crps).\n"
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + body})
    result = run_build(project.root)
    assert result.returncode == 0 and "does not say where it leads" not in result.stderr
