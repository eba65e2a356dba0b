"""Nothing lost between formats: every construct of tests/corpus/constructs.md reaches the
web page, the PDF and the Word file, each block's text in reading order and each table cell
in its column, read back out of the real files; a construct a writer cannot write stops the
build by name; errors come at the right line, all in one run.
"""

import random
import re
import zipfile
from dataclasses import dataclass

import docx
import lxml.html
import pypdf
import pytest
from docx.oxml.ns import qn
from PIL import Image

from conftest import EDITIONS, MINIMAL_FRONT_MATTER, ROOT, edition_id, new_project, run_build
from handouts import model as m
from handouts import check as verify
from handouts.check import html as verify_html
from handouts.diagnostics import Diagnostic, Diagnostics
from handouts.run.pipeline import build_document, render_document
from handouts.read.markdown import squash
from handouts.write.html.page import render
from handouts.write.docx import write_docx

CORPUS = ROOT / "tests" / "corpus" / "constructs.md"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("corpus"),
                          {"source/constructs.md": CORPUS.read_text(encoding="utf-8")})
    Image.new("RGB", (40, 40), (200, 0, 0)).save(project.source_dir / "square.png")
    build_document(project.source_dir / "constructs.md", project)
    rendered = render_document(project.source_dir / "constructs.md", project)
    return project, rendered


@pytest.fixture(scope="module")
def word(corpus):
    return docx.Document(str(corpus[0].outputs("constructs")["docx"]))


@pytest.fixture(scope="module")
def html(corpus):
    return lxml.html.parse(str(corpus[0].outputs("constructs")["html"])).getroot()


@pytest.fixture(scope="module")
def pdf_text(corpus):
    reader = pypdf.PdfReader(str(corpus[0].outputs("constructs")["pdf"]))
    return "\n".join(page.extract_text() for page in reader.pages)


# -- the full-text check, on the corpus and on every real handout ---------------------------

@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_every_block_of_the_corpus_is_in_each_format_in_order(corpus, fmt):
    project, rendered = corpus
    want = rendered.expected()
    assert verify.word_count(want.blocks) > 250  # the corpus is compared, not a stub
    assert verify.check({fmt: project.outputs("constructs")[fmt]}, want) == []


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_every_real_handout_loses_no_word(built, fmt):
    for item in EDITIONS:
        rendered = render_document(built.source_dir / item[0].name, built, edition=item[1])
        want = rendered.expected()
        assert verify.word_count(want.blocks) > 100
        assert verify.check({fmt: built.outputs(edition_id(item))[fmt]}, want) == []


def test_the_check_names_format_line_and_text_of_a_lost_sentence(corpus, tmp_path):
    """A Word file with one definition taken out fails the check at that definition."""
    project, rendered = corpus
    damaged = tmp_path / "damaged.docx"
    word = docx.Document(str(project.outputs("constructs")["docx"]))
    lost = next(p for p in word.paragraphs if p.text == "Pain from a touch that should not hurt.")
    lost._p.getparent().remove(lost._p)
    word.save(str(damaged))
    line = next(n for n, text in enumerate(CORPUS.read_text().split("\n"), 1)
                if "Pain from a touch" in text)
    problems = verify.check({"docx": damaged}, rendered.expected())
    assert problems and problems[0].startswith(f"docx: line {line}: text 'Pain from a touch")
    assert problems[0].endswith("is missing")


def test_the_check_notices_a_cell_moved_to_another_column(corpus, tmp_path):
    project, rendered = corpus
    damaged = tmp_path / "moved.docx"
    word = docx.Document(str(project.outputs("constructs")["docx"]))
    table = word.tables[-1] if word.tables[-1].style.name == "Table Grid" else next(
        t for t in word.tables if "Doses a day" in t._tbl.xml)
    ml, mg = table.cell(1, 1), table.cell(1, 2)
    ml.paragraphs[0].runs[0].text, mg.paragraphs[0].runs[0].text = "mg", "ml"
    word.save(str(damaged))
    problems = verify.check({"docx": damaged}, rendered.expected())
    assert any("table cell 'ml' is not in row 2, column 2" in p for p in problems), problems


# -- each construct, read back from each format ---------------------------------------------

def test_merged_table_headers_stand_over_their_columns_in_word(word):
    table = next(t for t in word.tables if "Doses a day" in t._tbl.xml)
    assert table.cell(0, 1).text == "Dose (ml, mg)"
    assert table.cell(0, 1)._tc is table.cell(0, 2)._tc  # one cell over two columns
    assert table.cell(1, 1).text == "ml" and table.cell(1, 2).text == "mg"
    assert table.cell(0, 3).text == table.cell(1, 3).text == "Doses a day"  # two rows down
    assert table.cell(0, 0).text == table.cell(1, 0).text == "Age"
    merged = [v.get(qn("w:val"), "continue") for v in table._tbl.iter(qn("w:vMerge"))]
    assert merged.count("restart") == 2 and merged.count("continue") == 2
    assert [table.cell(2, c).text for c in range(4)] == ["Adults", "5", "25", "Three"]
    # Block content in a cell: a paragraph and a list.
    assert [p.text for p in table.cell(3, 3).paragraphs] == ["Two", "morning", "evening"]


def test_merged_table_headers_stand_over_their_columns_on_the_page(html):
    table = next(t for t in html.iter("table") if "Doses a day" in t.text_content())
    first, second = table.findall(".//thead/tr")
    assert [(th.text_content(), th.get("colspan"), th.get("rowspan")) for th in first] == [
        ("Age", None, "2"), ("Dose (ml, mg)", "2", None), ("Doses a day", None, "2")]
    assert [th.text_content() for th in second] == ["ml", "mg"]


def test_table_alignment_and_caption_in_every_format(html, word, pdf_text):
    table = next(t for t in html.iter("table") if "Ketamine" in t.text_content())
    assert table.find("caption").text_content() == "Table 1. Doses in the infusion protocol"
    assert [td.get("class") for td in table.find(".//tbody/tr")] == [
        "align-left", "align-right", "align-center"]
    captions = [p.text for p in word.paragraphs if p.style.name == "Table Caption"]
    assert "Table 1. Doses in the infusion protocol" in captions
    grid = next(t for t in word.tables if "Ketamine" in t._tbl.xml)
    assert [c.paragraphs[0].alignment for c in grid.rows[1].cells][1:] == [2, 1]  # right, center
    assert "Table 1. Doses in the infusion protocol" in pdf_text


def test_definition_lists_are_a_glossary_in_every_format(html, word, pdf_text):
    glossary = html.find(".//dl")
    assert glossary.get("class") == "glossary"
    assert [dt.text_content() for dt in glossary.iter("dt")] == ["Allodynia", "Hyperalgesia"]
    assert len(list(glossary.iter("dd"))) == 3
    terms = [p.text for p in word.paragraphs if p.style.name == "Definition Term"]
    meanings = [p.text for p in word.paragraphs if p.style.name == "Definition"]
    assert terms == ["Allodynia", "Hyperalgesia"]
    assert meanings == ["Pain from a touch that should not hurt.",
                        "More pain than expected from something that hurts.",
                        "A second meaning, kept as its own definition."]
    for text in terms + meanings:
        assert squash(text) in squash(pdf_text)


def test_quotes_nest_and_stand_inside_list_items(html, word):
    outer = next(q for q in html.iter("blockquote") if q.find("blockquote") is not None)
    assert outer.find("blockquote").text_content().strip() == "A quote inside the quote."
    assert html.xpath("//li/blockquote")[0].text_content().strip() == "Quoted inside the item."
    quotes = [p for p in word.paragraphs if p.style.name == "Quote"]
    texts = [p.text for p in quotes]
    assert texts == ["A quoted paragraph.", "A quote inside the quote.", "Quoted inside the item."]
    # Each level of quoting stands further in.
    indents = [p.paragraph_format.left_indent or 0 for p in quotes]
    assert indents[1] > indents[0] and indents[2] > 0


def test_task_lists_are_boxes_not_brackets(html, word, pdf_text):
    items = html.xpath("//ul[@class='task-list']/li")
    assert [(li.get("class"), li.text_content().strip()) for li in items] == [
        ("task", "An open task"), ("task done", "A finished task")]
    assert all(li.find("span").get("aria-label") in ("to do", "done") for li in items)
    assert "[ ]" not in pdf_text and "[x]" not in pdf_text
    texts = [p.text for p in word.paragraphs]
    # The box, then a tab to the hanging indent: wrapped lines stand past the box.
    assert "\u2610\tAn open task" in texts and "\u2611\tA finished task" in texts


def test_footnotes_are_word_footnotes_and_numbered_alike(html, word, corpus):
    assert html.xpath("//sup/a[@class='footnote-ref']")[0].text == "1"
    archive = zipfile.ZipFile(corpus[0].outputs("constructs")["docx"])
    notes = archive.read("word/footnotes.xml").decode()
    assert "explains the World Health Organization" in notes
    references = list(word.element.body.iter(qn("w:footnoteReference")))
    assert [r.get(qn("w:id")) for r in references] == ["1"]


def test_abbreviations_are_spelled_out_for_print_readers(html, word, pdf_text):
    abbr = html.find(".//abbr")
    assert abbr.text == "WHO" and abbr.get("title") == "World Health Organization"
    spelled = "WHO (World Health Organization)"
    assert spelled in html.text_content()
    assert any(spelled in p.text for p in word.paragraphs)
    assert squash(spelled) in squash(pdf_text)


def test_code_raw_divs_and_pictures_reach_every_format(html, word, pdf_text):
    assert "dose = weight * 0.35" in html.find(".//pre").text_content()
    code = [p for p in word.paragraphs if p.style.name == "Code"]
    assert code and code[0].text.startswith("dose = weight * 0.35")
    assert "Text in a raw div block." in [p.text for p in word.paragraphs]
    assert "Text in a raw div block." in pdf_text and "dose = weight" in pdf_text
    assert html.find(".//figure/img").get("alt") == "A small red square"
    described = [d.get("descr") for d in word.element.body.iter(qn("wp:docPr"))]
    assert "A small red square" in described


def test_each_callout_kind_has_its_own_look(html, word):
    kinds = [d.get("class") for d in html.find_class("callout")]
    assert kinds == ["callout note", "callout warning", "callout tip", "callout danger"]
    styles = [t.style.name for t in word.tables if t.style.name.endswith("Box")]
    assert styles == ["Callout Box", "Warning Box", "Tip Box", "Danger Box"]
    css = html.find(".//style").text
    for kind in ("tip", "warning", "danger"):
        assert f".callout.{kind}" in css


# -- writers that meet a construct they do not know -----------------------------------------

@dataclass
class Marquee:
    """A block no writer knows."""
    line: int = 7


@dataclass
class Blink:
    """An inline no writer knows."""
    text: str = "x"


def _with(corpus, block):
    project, rendered = corpus
    document = rendered.document
    return m.Document(document.source, document.blocks + [block]), rendered.theme


@pytest.mark.parametrize("node", [Marquee(), m.Paragraph([Blink()], line=7)],
                         ids=["block", "inline"])
def test_the_web_page_writer_stops_at_a_construct_it_does_not_know(corpus, node):
    document, theme = _with(corpus, node)
    with pytest.raises(Diagnostic) as caught:
        render(document, theme, "")
    name = type(node if isinstance(node, Marquee) else node.children[0]).__name__
    assert f"web page writer cannot write a {name}" in str(caught.value)
    assert str(caught.value).startswith(f"{document.source.path}:7:") or name == "Blink"


@pytest.mark.parametrize("node", [Marquee(), m.Paragraph([Blink()], line=7)],
                         ids=["block", "inline"])
def test_the_word_writer_stops_at_a_construct_it_does_not_know(corpus, node):
    """mypy refuses a type without a case; at run time the Word writer's first walk over
    the model (for its footnotes) stops at it, naming it, as the check's does."""
    document, theme = _with(corpus, node)
    name = type(node if isinstance(node, Marquee) else node.children[0]).__name__
    with pytest.raises(AssertionError, match=name):
        write_docx(document, theme)


def test_the_check_stops_at_a_construct_it_does_not_know(corpus):
    document, _ = _with(corpus, Marquee())
    with pytest.raises(AssertionError, match="Marquee"):
        verify.model_blocks(document)


# -- errors at the right line, all at once --------------------------------------------------

def _lines_of(text, needle):
    return [n for n, line in enumerate(text.split("\n"), 1) if needle in line]


def test_a_heading_warning_names_its_own_line_when_its_text_stands_earlier(tmp_path):
    text = (MINIMAL_FRONT_MATTER + "\n## Level 2\n\n### Level 3 with *emphasis*\n\nText.\n\n"
            "## Another\n\n#### Level 3\n\nMore text.\n")
    project = new_project(tmp_path, {"source/a.md": text})
    result = build_document(project.source_dir / "a.md", project)
    [skipped] = [w for w in result.warnings if w.code == "heading-level-skipped"]
    assert skipped.line == _lines_of(text, "#### Level 3")[0]
    assert "skips a level (#### after ##)" in skipped.message


def test_one_run_reports_every_problem_with_its_line(tmp_path):
    text = (MINIMAL_FRONT_MATTER + "\n# A second title\n\nText.\n\n## Fine\n\n"
            "#### Skipped a level\n\n![A photo](absent.png)\n\n!!! aside \"Odd\"\n    Text.\n")
    project = new_project(tmp_path, {"source/a.md": text})
    result = run_build(project.root, "--strict")  # a release: every warning an error
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    # A '#' section is printed as '##' now, with no complaint; a skipped level, a missing
    # picture and a box of a kind of its own (printed as a note) are a draft's warnings,
    # each at its line in the one run, and a release refuses them.
    problems = [_lines_of(text, "#### Skipped")[0], _lines_of(text, "absent.png")[0],
                _lines_of(text, "!!! aside")[0]]
    lines = {int(found.group(1)) for e in errors if (found := re.match(r"error: \S+?:(\d+):", e))}
    assert set(problems) <= lines
    assert any("unknown box kind 'aside'" in e for e in errors)
    draft = run_build(project.root)  # a draft: built, with its warnings at their lines
    assert draft.returncode == 0, draft.stderr
    warned = [line for line in draft.stderr.splitlines() if line.startswith("warning:")]
    lines = {int(m.group(1)) for w in warned if (m := re.match(r"warning: \S+?:(\d+):", w))}
    assert set(problems) <= lines
    assert any("image 'absent.png' not found" in w for w in warned)
    assert "1 of 1 handout(s) failed" in result.stderr


def test_errors_stop_at_a_limit(tmp_path):
    body = "\n\n".join(f"- ## Title {n}" for n in range(40))  # headings inside a list
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\n" + body + "\n"})
    with pytest.raises(Diagnostics) as caught:
        build_document(project.source_dir / "a.md", project)
    assert len(caught.value.errors) == 20


def test_a_fenced_div_naming_a_box_kind_is_that_box_and_code_keeps_its_colons(tmp_path):
    """Pandoc's and Docusaurus' '::: warning' (tests/test_dialects.py has the rest)."""
    text = MINIMAL_FRONT_MATTER + "\n## S\n\n::: warning\nText.\n:::\n\n```\n:::\n```\n"
    project = new_project(tmp_path, {"source/a.md": text})
    build_document(project.source_dir / "a.md", project)
    blocks = render_document(project.source_dir / "a.md", project).document.blocks
    box = next(b for b in blocks if isinstance(b, m.Callout))
    assert (box.kind, box.line) == ("warning", _lines_of(text, "::: warning")[0])
    assert [b.text for b in blocks if isinstance(b, m.CodeBlock)] == [":::"]


def test_raw_html_cannot_forge_a_citation_or_a_callout(tmp_path):
    text = (MINIMAL_FRONT_MATTER + '\n## S\n\n<div class="admonition warning"><p>Raw.</p></div>'
            '\n\nSee <span class="citation" data-cites="sigtermans2009">this</span>.\n')
    project = new_project(tmp_path, {"source/a.md": text})
    build_document(project.source_dir / "a.md", project)
    page = lxml.html.parse(str(project.outputs("a")["html"])).getroot()
    assert not page.find_class("callout") and not page.find_class("citation")
    assert "Raw." in page.text_content() and "See this." in page.text_content()


# -- large pictures -------------------------------------------------------------------------

def test_a_handout_with_four_phone_photos_verifies(tmp_path):
    """Four 4032 x 3024 photos (noise: they compress badly) made a page of over 10 MB, past
    libxml2's default limit; scaled to a screen's size they make a third of that."""
    project = new_project(tmp_path, {"source/p.md": (
        MINIMAL_FRONT_MATTER + "\n## Before\n\n"
        + "\n\n".join(f"![Photo {n}](p{n}.jpg)" for n in range(4))
        + "\n\n## When to call us\n\nCall if the wound is red.\n")})
    for n in range(4):
        noise = random.Random(n).randbytes(1008 * 756 * 3)
        Image.frombytes("RGB", (1008, 756), noise).resize((4032, 3024), Image.NEAREST).save(
            project.source_dir / f"p{n}.jpg", quality=85)
    build_document(project.source_dir / "p.md", project)
    html = project.outputs("p")["html"]
    assert html.stat().st_size < 5_000_000
    assert "When to call us" in verify_html.read(html).headings


# -- Markdown nobody here wrote -----------------------------------------------------------

THEIRS = ROOT / "tests" / "corpus" / "python-markdown"


def _as_handout(text, name):
    """Front matter added, headings one level down, as the build's errors ask of them."""
    lines, fence = [], None
    for line in text.split("\n"):
        opening = re.match(r"^\s{0,3}(`{3,}|~{3,})", line)
        if opening and fence is None:
            fence = opening.group(1)
        elif opening and opening.group(1)[0] == fence[0] and not line.strip(" `~"):
            fence = None
        elif fence is None and re.match(r"^#{1,5} ", line):
            line = "#" + line
        lines.append(line)
    text = "\n".join(lines)
    text = re.sub(r"(?m)^(\S[^\n]*)\n=+[ \t]*$", r"## \1", text)
    text = re.sub(r"(?m)^(\S[^\n]*)\n-+[ \t]*$", r"### \1", text)
    return (f"---\ntitle: {name}\nlang: en\nversion: \"1\"\ndate: 2026-01-01\n"
            f"review_due: 2027-01-01\n---\n\n{text}")


@pytest.mark.parametrize("name", ["markdown-syntax", "footnote", "loose_def_list", "raw-html",
                                  "nested-blockquotes"])
def test_python_markdowns_own_test_documents_lose_nothing(tmp_path, name):
    text = _as_handout((THEIRS / f"{name}.txt").read_text(encoding="utf-8"), name)
    project = new_project(tmp_path, {f"source/{name}.md": text})
    result = build_document(project.source_dir / f"{name}.md", project)  # verifies all text
    assert result.words >= len((THEIRS / f"{name}.txt").read_text().split()) // 2
    rendered = render_document(project.source_dir / f"{name}.md", project)
    assert verify.check(project.outputs(name), rendered.expected()) == []


def test_box_kinds_of_their_own_in_their_documents_print_as_notes_named_with_their_line(
        tmp_path):
    text = _as_handout((THEIRS / "admonition.txt").read_text(encoding="utf-8"), "admonition")
    project = new_project(tmp_path, {"source/admonition.md": text})
    result = build_document(project.source_dir / "admonition.md", project)
    found = [(w.line, w.message.split(",")[0]) for w in result.warnings
             if w.code == "unknown-box-kind"]
    assert found == [(_lines_of(text, "!!! mycustomcssclass")[0],
                      "unknown box kind 'mycustomcssclass'"),
                     (_lines_of(text, "!!! class1")[0], "unknown box kind 'class1'")]


def test_word_boxes_are_layout_tables_that_say_so_and_data_tables_keep_their_headers(word):
    """A box is a one-cell layout table: no header row claimed, a caption naming the box and
    a description saying it is layout. A data table keeps its header row."""
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    body = word.element.body
    boxes, data = [], []
    for table in body.iter(f"{{{ns['w']}}}tbl"):
        caption = table.find("w:tblPr/w:tblCaption", ns)
        (boxes if caption is not None else data).append(table)
    assert len(boxes) == 4 and len(data) == 2  # note, tip, warning, danger; two data tables
    for box in boxes:
        look = box.find("w:tblPr/w:tblLook", ns)
        assert look.get(f"{{{ns['w']}}}firstRow") == "0"
        assert box.find("w:tblPr/w:tblDescription", ns).get(f"{{{ns['w']}}}val") == (
            "Layout table: the box " + box.find("w:tblPr/w:tblCaption", ns).get(
                f"{{{ns['w']}}}val"))
        assert box.find(".//w:tblHeader", ns) is None
    for table in data:
        assert table.find("w:tblPr/w:tblLook", ns).get(f"{{{ns['w']}}}firstRow") == "1"
        assert table.find(".//w:tblHeader", ns) is not None
