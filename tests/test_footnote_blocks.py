"""Footnotes hold any block, as Pandoc's model does: a footnote whose definition holds a
table, a box and a nested list builds and verifies in every format, each read back out of
the file. The Word half reads word/footnotes.xml: Word's own footnotes hold tables."""

import zipfile

import lxml.html
import pypdf
import pytest
from docx.oxml.ns import qn
from lxml import etree

from conftest import MINIMAL_FRONT_MATTER, new_project, run_build
from handouts.check import check
from handouts.check import pdf as pdf_reader
from handouts.read.markdown import squash
from handouts.run.pipeline import render_document
from test_accessibility import outline_titles, structure_types

# The shared document: one reference in the text, and a note that holds, indented by four
# spaces, a pipe table, a titled box and a nested bullet list.
DOCUMENT = MINIMAL_FRONT_MATTER + """
## Doses

The dose depends on weight.[^dose]

[^dose]: Doses by weight, checked by the pharmacy.

    | Weight | Dose |
    |--------|------|
    | 40 kg  | 2 mg |
    | 80 kg  | 4 mg |

    !!! note "Check the label"
        The pharmacy label gives the dose in millilitres.

    - Before the infusion
        - Eat a light meal
        - Bring your list of medicines
    - After the infusion
"""


@pytest.fixture(scope="module")
def notes_project(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("footnote-blocks"),
                          {"source/notes.md": DOCUMENT})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project


def _text(element):
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


@pytest.fixture(scope="module")
def word_note(notes_project):
    """The one real footnote of the Word file (ids -1 and 0 are Word's separators)."""
    with zipfile.ZipFile(notes_project.outputs("notes")["docx"]) as package:
        root = etree.fromstring(package.read("word/footnotes.xml"))
    notes = [n for n in root.iterchildren(qn("w:footnote")) if int(n.get(qn("w:id"))) > 0]
    assert len(notes) == 1
    return notes[0]


def test_word_footnote_opens_with_its_number_and_text(word_note):
    first = word_note[0]
    assert first.tag == qn("w:p")
    assert first.find(f"{qn('w:r')}/{qn('w:footnoteRef')}") is not None
    assert _text(first).strip() == "Doses by weight, checked by the pharmacy."


def test_word_footnote_holds_the_table_in_its_columns(word_note):
    tables = [t for t in word_note.iterchildren(qn("w:tbl"))]
    data = [t for t in tables if "Weight" in _text(t)]
    assert len(data) == 1
    rows = [[_text(tc).strip() for tc in tr.iterchildren(qn("w:tc"))]
            for tr in data[0].iterchildren(qn("w:tr"))]
    assert rows == [["Weight", "Dose"], ["40 kg", "2 mg"], ["80 kg", "4 mg"]]


def test_word_footnote_holds_the_box_as_a_one_cell_table(word_note):
    boxes = [t for t in word_note.iterchildren(qn("w:tbl")) if "Check the label" in _text(t)]
    assert len(boxes) == 1
    cells = list(boxes[0].iter(qn("w:tc")))
    assert len(cells) == 1
    texts = [_text(p) for p in cells[0].iterchildren(qn("w:p"))]
    # The box's kind first: a footnote holds no picture, so the label without its icon.
    assert texts == ["Note", "Check the label",
                     "The pharmacy label gives the dose in millilitres."]


def test_word_footnote_holds_the_nested_list_at_its_levels(word_note):
    items = [(p.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:ilvl')}"), _text(p))
             for p in word_note.iterchildren(qn("w:p"))]
    listed = [(int(level.get(qn("w:val"))), text) for level, text in items
              if level is not None]
    assert listed == [(0, "Before the infusion"), (1, "Eat a light meal"),
                      (1, "Bring your list of medicines"), (0, "After the infusion")]


# -- the web page and the PDF ------------------------------------------------------------

def _web_note(notes_project):
    page = lxml.html.parse(str(notes_project.outputs("notes")["html"])).getroot()
    [note] = page.xpath("//section[@class='footnotes']/ol/li")
    return note


def test_web_page_footnote_holds_the_table_box_and_nested_list(notes_project):
    note = _web_note(notes_project)
    assert [child.tag for child in note] == ["p", "table", "div", "ul", "a"]  # a: back
    rows = [[cell.text_content().strip() for cell in row] for row in note.iter("tr")]
    assert rows == [["Weight", "Dose"], ["40 kg", "2 mg"], ["80 kg", "4 mg"]]
    assert [th.get("scope") for th in note.iter("th")] == ["col", "col"]
    box = note.find("div")
    assert box.get("class") == "callout note" and box.get("role") == "note"
    assert [p.text_content() for p in box] == [
        "Note", "Check the label", "The pharmacy label gives the dose in millilitres."]
    [inner] = note.find("ul").findall("li/ul")
    assert [li.text_content() for li in inner] == ["Eat a light meal",
                                                   "Bring your list of medicines"]


def test_a_box_title_in_a_footnote_is_a_heading_as_elsewhere(notes_project):
    # As the checker expects, and as the Word file marks it: readers who move from heading
    # to heading find the box, and the PDF has a bookmark for it.
    note = _web_note(notes_project)
    assert note.find("div/h3[@class='callout-title']") is not None
    reader = pypdf.PdfReader(str(notes_project.outputs("notes")["pdf"]))
    assert "Check the label" in outline_titles(reader.outline)


def test_pdf_footnote_holds_the_table_box_and_list_in_reading_order(notes_project):
    path = notes_project.outputs("notes")["pdf"]
    text = squash(pdf_reader.read(path).text)
    parts = ["Doses by weight", "Weight", "Dose", "40 kg", "2 mg", "80 kg", "4 mg",
             "Check the label", "millilitres", "Before the infusion", "Eat a light meal",
             "Bring your list of medicines", "After the infusion"]
    at = 0
    for part in parts:
        at = text.index(squash(part), at)  # each after the one before
    structure = structure_types(pypdf.PdfReader(str(path)))
    assert {"/Table", "/TH", "/TD", "/L", "/LI"} <= structure


def test_a_table_lost_from_a_footnote_fails_verification(notes_project, tmp_path):
    """The check reads a note's table cells in their columns: a page without them fails."""
    rendered = render_document(notes_project.source_dir / "notes.md", notes_project)
    page = lxml.html.parse(str(notes_project.outputs("notes")["html"])).getroot()
    cell = page.xpath("//section[@class='footnotes']//td")[0]
    cell.getparent().remove(cell)
    broken = tmp_path / "notes.html"
    broken.write_bytes(lxml.html.tostring(page))
    assert check({"html": broken}, rendered.expected())
