"""Each format carries the structure of the handout: a sampler using every construct a
handout may use is built, and each output is opened and inspected as its reader would."""

import io
import re
import zipfile

import docx
import lxml.html
import pypdf
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm
from PIL import Image

from conftest import ROOT, new_project, run_build
from handouts.style.theme import load_theme

SAMPLER = """\
---
title: Feature Sampler
subtitle: Every construct a handout may use
short_title: Sampler
lang: es
author: Dr Test
keywords: [alpha, beta]
version: "2.1"
date: 2026-03-01
review_due: 2026-09-01
bibliography: references.bib
paper: a4
---

## Lists

1. First step
2. Second step
    - nested bullet
    - another nested
        1. deep numbered
3. Third step

Another list:

1. Restarts at one
2. Two

- **Bold words** and *italic words* and [the society's page](https://example.org/crps)

## Table and quote

| Drug | Dose |
|------|------|
| Ketamine | low |

> A quoted sentence.

![A small red square](square.png)

Cited once.[@sigtermans2009] Cited with another.[@kirkpatrick2020; @sigtermans2009]
With a footnote.[^dose]

[^dose]: Doses vary between protocols.
"""


def _png():
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 0, 0)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def sampler(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("sampler"),
                          {"source/sampler.md": SAMPLER, "source/square.png": _png()})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project.outputs("sampler")


@pytest.fixture(scope="module")
def html(sampler):
    return lxml.html.parse(str(sampler["html"])).getroot()


@pytest.fixture(scope="module")
def word(sampler):
    return docx.Document(str(sampler["docx"]))


@pytest.fixture(scope="module")
def pdf(sampler):
    return pypdf.PdfReader(str(sampler["pdf"]))


# -- HTML -------------------------------------------------------------------------------

def test_html_is_a_standalone_semantic_page(html, sampler):
    assert html.get("lang") == "es"
    assert html.findtext("head/title") == "Feature Sampler"
    assert [h.text_content() for h in html.iter("h1")] == ["Feature Sampler"]
    assert html.find("body/header") is not None and html.find("body/main") is not None
    sections = html.findall(".//main/section")
    assert [s.find("h2").text_content() for s in sections] == ["Lists", "Table and quote",
                                                              "Referencias"]
    raw = sampler["html"].read_text(encoding="utf-8")
    assert "<style>" in raw and "@font-face" in raw and "data:font/woff;base64," in raw
    assert not re.search(r'(src|href)="(file:|/|\.\./)', raw), "the page must not point at files"


def test_html_keeps_lists_tables_quotes_images_and_links(html):
    first = html.find(".//main//ol")
    assert [li.text.strip() for li in first.findall("li")] == ["First step", "Second step",
                                                               "Third step"]
    assert first.find("li/ul/li/ol/li").text_content().strip() == "deep numbered"
    assert [th.text for th in html.iter("th")] == ["Drug", "Dose"]
    assert html.find(".//blockquote").text_content().strip() == "A quoted sentence."
    img = html.find(".//main//img")
    assert img.get("alt") == "A small red square" and img.get("src").startswith("data:image/png")
    link = next(a for a in html.iter("a") if a.text == "the society\u2019s page")
    assert link.get("href") == "https://example.org/crps"
    assert html.find(".//strong").text == "Bold words" and html.find(".//em").text == "italic words"


def test_html_numbers_citations_in_order_of_first_citation(html):
    entries = html.findall(".//ol[@class='references']/li")
    assert [li.get("id") for li in entries] == ["ref-sigtermans2009", "ref-kirkpatrick2020"]
    markers = [c.text_content() for c in html.find_class("citation")]
    assert markers == ["1", "1,2"]


def test_footnotes_reach_every_format_without_a_way_back_that_paper_cannot_follow(
        html, word, pdf):
    # On the web page at the end of its section, under "Notes", with a link back to the
    # marker (Python-Markdown's own back link, which paper cannot follow, is not used).
    note = html.find(".//section[@class='footnotes']//li")
    assert note.xpath("string(p)").strip() == "Doses vary between protocols."
    assert not html.find_class("footnote-backref")
    back = note.find("a[@class='back-link footnote-back']").get("href")
    assert html.find(f".//sup[@id='{back[1:]}']/a").get("href") == "#" + note.get("id")
    # A real Word footnote: a reference in the text, the note in word/footnotes.xml.
    assert "Doses vary between protocols." not in [p.text.strip() for p in word.paragraphs]
    assert list(word.element.body.iter(qn("w:footnoteReference")))
    notes = next(r.target_part for r in word.part.rels.values()
                 if r.reltype.endswith("/footnotes"))
    assert "Doses vary between protocols." in notes.blob.decode()
    assert "Doses vary between protocols." in "".join(p.extract_text() for p in pdf.pages)


# -- DOCX -------------------------------------------------------------------------------

def _paragraphs(word):
    return [docx.text.paragraph.Paragraph(p, word.part) for p in word.element.body.iter(qn("w:p"))]


def test_docx_uses_word_heading_styles(word):
    styles = {p.text: p.style.name for p in _paragraphs(word) if p.style.name.startswith("Heading")}
    assert styles == {"Feature Sampler": "Heading 1", "Lists": "Heading 2",
                      "Table and quote": "Heading 2", "Referencias": "Heading 2"}


def _numbering(word):
    root = word.part.numbering_part.element
    formats = {a.get(qn("w:abstractNumId")): a.find(qn("w:lvl")).find(qn("w:numFmt")).get(qn("w:val"))
               for a in root.findall(qn("w:abstractNum"))}
    return {n.get(qn("w:numId")): formats[n.find(qn("w:abstractNumId")).get(qn("w:val"))]
            for n in root.findall(qn("w:num"))}


def test_docx_lists_use_real_word_numbering_with_nesting(word):
    kinds = _numbering(word)
    items = {}
    for p in _paragraphs(word):
        num_pr = p._p.find(qn("w:pPr") + "/" + qn("w:numPr"))
        if num_pr is not None:
            items[p.text.strip()] = (num_pr.find(qn("w:numId")).get(qn("w:val")),
                                     int(num_pr.find(qn("w:ilvl")).get(qn("w:val"))))
    first, nested, deep = items["First step"], items["nested bullet"], items["deep numbered"]
    assert kinds[first[0]] == "decimal" and first[1] == 0
    assert kinds[nested[0]] == "bullet" and nested[1] == 1
    assert kinds[deep[0]] == "decimal" and deep[1] == 2
    assert items["Third step"] == first, "a list continues after its nested list"
    restart = items["Restarts at one"]
    assert restart[0] != first[0], "each numbered list restarts at 1"


def test_docx_has_links_emphasis_superscript_citations_tables_and_alt_text(word, sampler):
    body = word.element.body
    rels = {r.rId: r.target_ref for r in word.part.rels.values() if r.is_external}
    external = [rels[h.get(qn("r:id"))] for h in body.iter(qn("w:hyperlink")) if h.get(qn("r:id"))]
    assert external == ["https://example.org/crps", "https://doi.org/10.1016/j.pain.2009.06.023",
                        "https://doi.org/10.1097/AJP.0000000000000831"]
    runs = [r for p in _paragraphs(word) for r in p.runs]
    strong = next(r for r in runs if r.text == "Bold words")
    assert strong.style.name == "Strong" and strong.style.font.bold
    emphasis = next(r for r in runs if r.text == "italic words")
    assert emphasis.style.name == "Emphasis" and emphasis.style.font.italic
    cited = [h for h in body.iter(qn("w:hyperlink"))
             if (h.get(qn("w:anchor")) or "").startswith("ref_")]  # not the footnote's link
    assert [h.get(qn("w:anchor")) for h in cited][:1] == ["ref_sigtermans2009"]
    # Numeric citations: superscript through their style, not direct formatting.
    number = word.styles["Citation Number"]
    assert number.font.superscript and number.base_style.name == "Citation"
    assert all(r.find(qn("w:rPr")).find(qn("w:rStyle")).get(qn("w:val")) == number.style_id
               for h in cited for r in h.iter(qn("w:r")))
    assert all(r.find(qn("w:rPr")).find(qn("w:vertAlign")) is None
               for h in cited for r in h.iter(qn("w:r")))
    table = word.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Drug", "Dose"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    # Header cells filled as on the page, in the theme's colour; body cells left plain.
    fill = load_theme(ROOT / "styles" / "theme.yaml").callout_background[1:]
    shading = [[c._tc.find(f"{qn('w:tcPr')}/{qn('w:shd')}") for c in row.cells]
               for row in table.rows]
    assert all(s is not None and s.get(qn("w:fill")) == fill for s in shading[0])
    assert all(s is None for s in shading[1])
    described = [d.get("descr") for d in body.iter(qn("wp:docPr"))]
    assert described == ["A small red square"]
    assert [p.text for p in _paragraphs(word) if p.style.name == "Quote"] == ["A quoted sentence."]


def test_docx_page_matches_the_pdf_and_the_theme(word, pdf):
    section = word.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.5) and abs(section.page_height - Mm(297)) < Mm(0.5)
    box = pdf.pages[0].mediabox
    assert round(float(box.width) / 72 * 25.4) == 210 and round(float(box.height) / 72 * 25.4) == 297
    margins = load_theme(ROOT / "styles" / "theme.yaml").margins_mm
    assert round(section.left_margin.mm) == margins["left"]
    assert round(section.top_margin.mm) == margins["top"]


def test_docx_footer_counts_pages_with_fields_and_properties_are_set(word):
    footer = word.sections[0].footer._element
    fields = [f.get(qn("w:instr")).strip() for f in footer.iter(qn("w:fldSimple"))]
    assert fields == ["PAGE", "NUMPAGES"]
    assert "Versión 2.1" in "".join(t.text for t in footer.iter(qn("w:t")))  # lang: es
    props = word.core_properties
    assert (props.title, props.author, props.subject, props.language) == (
        "Feature Sampler", "Dr Test", "Every construct a handout may use", "es")


def test_docx_zip_is_dated_on_the_issue_date(sampler):
    with zipfile.ZipFile(sampler["docx"]) as archive:
        assert {i.date_time[:3] for i in archive.infolist()} == {(2026, 3, 1)}


# -- PDF --------------------------------------------------------------------------------

def test_pdf_embeds_atkinson_hyperlegible_and_numbers_pages(pdf):
    fonts = set()
    for page in pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
    assert {"Atkinson-Hyperlegible", "Atkinson-Hyperlegible-Bold"} <= fonts
    # Nothing, not even a list marker, may come from a fallback font another machine lacks.
    assert all(f.startswith("Atkinson-Hyperlegible") for f in fonts), fonts
    total = len(pdf.pages)
    for number, page in enumerate(pdf.pages, 1):
        assert f"Página {number} de {total}" in page.extract_text()  # the sampler is Spanish


def test_pdf_is_tagged_with_language_title_and_bookmarks(pdf):
    root = pdf.trailer["/Root"]
    assert root["/Lang"] == "es"
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert "/StructTreeRoot" in root
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    assert pdf.metadata.title == "Feature Sampler" and pdf.metadata.author == "Dr Test"
    titles = [o.title for o in pdf.outline if not isinstance(o, list)]
    titles += [o.title for group in pdf.outline if isinstance(group, list) for o in group]
    assert {"Feature Sampler", "Lists", "Table and quote", "Referencias"} <= set(titles)
    xmp = pdf.xmp_metadata
    assert xmp is not None and "pdfuaid" in xmp.stream.get_data().decode()


def test_pdf_links_are_clickable(pdf):
    uris = [a.get_object()["/A"]["/URI"] for page in pdf.pages for a in page.get("/Annots") or []
            if "/A" in a.get_object()]
    assert "https://example.org/crps" in uris


def test_letter_is_the_default_paper(tmp_path):
    source = SAMPLER.replace("paper: a4\n", "").replace("![A small red square](square.png)", "")
    project = new_project(tmp_path, {"source/letter.md": source})
    assert run_build(project.root).returncode == 0
    box = pypdf.PdfReader(str(project.outputs("letter")["pdf"])).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    section = docx.Document(str(project.outputs("letter")["docx"])).sections[0]
    assert round(section.page_width.inches, 2) == 8.5 and round(section.page_height.inches, 2) == 11
