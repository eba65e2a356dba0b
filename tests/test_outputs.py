"""Every section and every citation of every handout in source/ reaches each output.

Expected headings are read from the Markdown source; expected references from the
bibliography file itself. Both are then looked for in text pulled back out of the built
HTML, PDF and DOCX.
"""

import re
import shutil

import docx
import lxml.html
import pypdf
import pytest
from docx.oxml.ns import qn

from conftest import (EDITIONS, MINIMAL_FRONT_MATTER, ROOT, edition_id, load_edition, new_project,
                      run_build)
from handouts.cite import format as cite
from handouts import check as verify
from handouts.check.pdf import pdf_page_texts
from handouts.furniture import bookmark_name
from handouts.read.front_matter import load

FORMATS = ("html", "pdf", "docx")


def squash(text):
    return verify._squash(text)


def text_of(path, fmt):
    if fmt == "html":
        return lxml.html.parse(str(path)).getroot().find("body").text_content()
    if fmt == "pdf":
        return "\n".join(p.extract_text() for p in pypdf.PdfReader(str(path)).pages)
    return "\n".join(p.text for p in _docx_paragraphs(path))


def _docx_paragraphs(path):
    word = docx.Document(str(path))
    return [docx.text.paragraph.Paragraph(p, word.part)
            for p in word.element.body.iter(qn("w:p"))]


def bib_titles(doc):
    """Title of each cited work, read straight from the BibTeX file, in citation order."""
    bib = (doc.path.parent / doc.meta.bibliography).read_text(encoding="utf-8")
    titles = {}
    for entry in re.split(r"\n@", bib):
        key = re.match(r"\w+\{([^,]+),", entry.strip().lstrip("@"))
        title = re.search(r"\btitle\s*=\s*\{(.+?)\},?\s*\n", entry)
        if key and title:
            titles[key.group(1)] = title.group(1).replace("{", "").replace("}", "")
    order = []
    for keys in citations_in_source(doc):
        order += [k for k in keys if k not in order]
    return [(key, titles[key]) for key in order]


def citations_in_source(doc):
    """Each [@a; @b] of the handout's text, read with a plain pattern of the test's own."""
    return [re.findall(r"@([\w-]+)", m) for m in re.findall(r"\[(@[^\]]+)\]", doc.body)]


def headings_in_source(doc):
    return [doc.meta.title] + [re.sub(r"[*_`]", "", m.group(1)).strip()
                               for m in re.finditer(r"^#{2,6}\s+(.+)$", doc.body, re.M)]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("source", EDITIONS, ids=edition_id)
def test_every_section_heading_is_in_the_output(built, source, fmt):
    doc = load_edition(built.source_dir, source)
    text = squash(text_of(built.outputs(doc.name)[fmt], fmt))
    missing = [h for h in headings_in_source(doc) if squash(h) not in text]
    assert not missing, f"{fmt} lacks {missing}"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("source", EDITIONS, ids=edition_id)
def test_every_cited_work_is_in_the_reference_list_in_citation_order(built, source, fmt):
    doc = load_edition(built.source_dir, source)
    text = squash(text_of(built.outputs(doc.name)[fmt], fmt))
    references_at = text.rfind("references")
    positions = []
    for key, title in bib_titles(doc):
        position = text.find(squash(title), references_at)
        assert position > references_at, f"{fmt}: '{title}' ({key}) not in the reference list"
        positions.append(position)
    assert positions == sorted(positions), f"{fmt}: references not in order of first citation"


@pytest.mark.parametrize("source", EDITIONS, ids=edition_id)
def test_reference_list_holds_exactly_the_cited_works(built, source):
    doc = load_edition(built.source_dir, source)
    page = lxml.html.parse(str(built.outputs(doc.name)["html"])).getroot()
    entries = page.xpath("//ol[@class='references']/li | //ul[@class='references']/li")
    cited = [key for key, _ in bib_titles(doc)]
    assert [li.get("id") for li in entries] == [cite.anchor_for(k) for k in cited]
    word = [p.text for p in _docx_paragraphs(built.outputs(doc.name)["docx"])
            if p.style.name == "Reference"]
    assert len(word) == len(cited)


@pytest.mark.parametrize("source", EDITIONS, ids=edition_id)
def test_in_text_citations_are_superscript_numbers_linked_to_their_entries(built, source):
    doc = load_edition(built.source_dir, source)
    cited = [key for key, _ in bib_titles(doc)]
    outputs = built.outputs(doc.name)
    page = lxml.html.parse(str(outputs["html"])).getroot()
    markers = page.find_class("citation")
    assert len(markers) == len(citations_in_source(doc))
    for marker in markers:
        for link in marker.iter("a"):
            number = int(link.text)
            assert link.getparent().tag == "sup"
            assert link.get("href") == "#" + cite.anchor_for(cited[number - 1])
    # PDF: a link annotation into the reference list for every cited work
    targets = set()
    for pdf_page in pypdf.PdfReader(str(outputs["pdf"])).pages:
        for annot in pdf_page.get("/Annots") or []:
            targets.add(str(annot.get_object().get("/Dest")))
    assert {cite.anchor_for(k) for k in cited} <= targets
    # DOCX: superscript runs inside internal hyperlinks to the entries' bookmarks
    word = docx.Document(str(outputs["docx"]))
    anchors = {h.get(qn("w:anchor")) for h in word.element.body.iter(qn("w:hyperlink"))}
    bookmarks = {b.get(qn("w:name")) for b in word.element.body.iter(qn("w:bookmarkStart"))}
    for key in cited:
        name = bookmark_name(cite.anchor_for(key))
        assert name in anchors and name in bookmarks, f"docx: no citation links to {key}"


def test_check_command_confirms_every_format(built):
    result = run_build(built.root, "--check")
    assert result.returncode == 0, result.stderr
    for source, _ in EDITIONS:
        assert f"{source.name}: every block, section and citation is in html, pdf and docx" \
            in result.stdout


def test_check_command_names_what_a_damaged_output_lost(built, tmp_path):
    """--check must fail when an output lacks a heading: remove one from a copy of the HTML."""
    project = new_project(tmp_path, with_real_sources=True)
    shutil.copytree(built.output_dir, project.output_dir)  # the session's build, copied
    name = edition_id(EDITIONS[0])
    html_path = project.outputs(name)["html"]
    doc = load_edition(project.source_dir, EDITIONS[0])
    heading = headings_in_source(doc)[1]
    html_path.write_text(html_path.read_text(encoding="utf-8").replace(heading, "Something else"),
                         encoding="utf-8")
    result = run_build(project.root, "--check")
    assert result.returncode == 1
    # Its text gone, the heading is named at its line (not again as a missing section).
    assert re.search(rf"html: line \d+: heading '{re.escape(heading)}' is missing",
                     result.stderr), result.stderr
    assert "pdf:" not in result.stderr and "docx:" not in result.stderr


def test_a_paragraph_split_by_a_page_break_after_a_numbered_list_verifies(tmp_path):
    """WeasyPrint draws a page's list numbers after the rest of its text, so they stood
    between the two halves of a paragraph the page break splits (seen on a real MkDocs
    page); the handout was refused as having lost that paragraph."""
    words = "Filler line of ordinary words. " * 150
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + (
        "\n## Steps\n\n1. First step.\n2. Second step.\n3. Third step.\n\n" + words + "\n")})
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 0, result.stderr
    pages = pdf_page_texts(project.outputs("a")["pdf"])
    assert len(pages) >= 2 and "Filler" in pages[0] and "Filler" in pages[1]


def test_a_table_cell_line_that_looks_like_a_list_number_is_text(tmp_path):
    """Only the list numbers WeasyPrint draws at a page's end are taken out of its text: in
    a narrow cell an address broken anywhere can leave a line of its own that reads '6)'
    (quest-bih/quarto_love_methods), and the handout was refused as having lost it."""
    from handouts.check.pdf import _without_list_numbers
    page = "PMID\r\n2732\r\n498\r\n6)\r\nRRID\r\nLast words.\r\n1. \r\n2. \r\nRunning title\r\nPage 2 of 3"
    assert _without_list_numbers(page).split("\n") == [
        "PMID\r", "2732\r", "498\r", "6)\r", "RRID\r", "Last words.\r", "Running title\r",
        "Page 2 of 3"]
