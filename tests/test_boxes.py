"""Boxes that say what they are (issue 23): each kind of box, built into every format, prints
its label ("Warning"), has its own colour at readable contrast, and its own rule, told apart
in a grey render of the PDF; footnotes stand at the foot of their page in the PDF and at the
end of their section on the web page, linked both ways; the Word file keeps the PDF's sizes
and margins."""

import re
import zipfile

import docx
import lxml.html
import pypdfium2
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from conftest import new_project, replace_organisation, run_build
from handouts.messages import catalogue
from handouts.model import CALLOUT_KINDS
from handouts.style import callouts
from handouts.style.theme import MIN_FONT_PT, load_theme

LABELS = {"note": "Note", "tip": "Tip", "important": "Important", "warning": "Warning",
          "caution": "Caution", "danger": "Danger"}
FILLER = ("The nurse checks your pulse, your breathing and your blood pressure while the "
          "medicine goes in, and writes each down on your chart. ") * 3

HANDOUT = """\
---
title: Every Kind of Box
lang: en-US
version: "1.0"
date: 2026-01-15
review_due: 2027-01-15
url: https://clinic.example.org/handouts/boxes
---

## The boxes

Some text before the boxes, with a note.[^first]

!!! note "Key points"
    - Ketamine is given through a drip.
    - You stay for two hours after.

!!! tip "Bring a book"
    The infusion takes four hours, and most people read or rest.

!!! important
    Tell the nurse about every medicine you take.

!!! warning "Before you drive"
    Do not drive for 24 hours after the infusion.

!!! caution "Your blood pressure"
    The nurse measures your blood pressure every 15 minutes.

!!! danger "Go to the emergency room if"
    - you cannot breathe, or
    - your chest hurts.

[^first]: The words of the first note, at the foot of its page.

## On the day

{filler}

{filler}

{filler}

The day ends with a talk with the nurse.[^second]

[^second]: The second note, far from the first, stands on its own page.

- [ ] Bring your list of medicines, with the dose of each and when you last took it, written down
- [x] Eat a light meal
""".replace("{filler}", FILLER)

CLINIC = """organisation:
  name: Pain Medicine Practice
  address: "1 Example Way, Springfield"
  phone: "(555) 010-0000"
  website: "https://clinic.example.org"
"""


@pytest.fixture(scope="module")
def boxes(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("boxes"), {"source/boxes.md": HANDOUT})
    replace_organisation(project, CLINIC)
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project.outputs("boxes")


@pytest.fixture(scope="module")
def pdf(boxes):
    document = pypdfium2.PdfDocument(str(boxes["pdf"]))
    yield document
    document.close()


def _page_texts(pdf):
    return [page.get_textpage().get_text_range() for page in pdf]


# -- the label, in every format ------------------------------------------------------------

def test_every_box_prints_its_label_in_the_web_page(boxes):
    page = lxml.html.parse(str(boxes["html"])).getroot()
    found = [(box.get("class"), box.find_class("callout-label")[0].text_content())
             for box in page.find_class("callout")]
    assert found == [(f"callout {kind}", LABELS[kind]) for kind in CALLOUT_KINDS]
    for box in page.find_class("callout"):
        icon = box.find_class("callout-icon")[0]
        assert icon.get("aria-hidden") == "true" and not icon.text_content()
    # '!!! important' without a title: the label alone, not "Important" twice.
    important = page.find_class("important")[0]
    assert not important.find_class("callout-title")


def test_every_box_prints_its_label_in_the_word_file(boxes):
    word = docx.Document(str(boxes["docx"]))
    by_style = {t.style.name: t for t in word.tables}
    for kind, label in LABELS.items():
        from handouts.furniture import CALLOUT_STYLES
        table = by_style[CALLOUT_STYLES[kind]]
        first = table.cell(0, 0).paragraphs[0]
        assert first.text.strip() == label and first.style.name == f"{kind.capitalize()} Label"
        # Its icon: a picture marked decorative, before the label.
        assert first._p.find(f".//{{{DECORATIVE}}}decorative") is not None


def test_every_box_prints_its_label_in_the_pdf(pdf):
    text = "\n".join(_page_texts(pdf))
    lines = [line.strip() for line in text.splitlines()]
    at = 0
    for kind in CALLOUT_KINDS:
        at = lines.index(LABELS[kind], at) + 1  # each on its own line, in order


def test_labels_are_in_the_handouts_language(tmp_path):
    spanish = HANDOUT.replace("lang: en-US", "lang: es").split("## On the day")[0]
    project = new_project(tmp_path, {"source/cajas.md": spanish})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    page = lxml.html.parse(str(project.outputs("cajas")["html"])).getroot()
    say = catalogue("es")
    assert [b.text_content() for b in page.find_class("callout-label")] == [
        say(f"callout_{kind}") for kind in CALLOUT_KINDS] == [
        "Nota", "Consejo", "Importante", "Advertencia", "Precaución", "Peligro"]
    assert page.xpath("//section[@class='footnotes']/h3")[0].text == "Notas"
    word = docx.Document(str(project.outputs("cajas")["docx"]))
    assert word.tables[3].cell(0, 0).paragraphs[0].text.strip() == "Advertencia"


def test_a_box_kind_the_model_does_not_know_is_a_note_with_a_warning_naming_the_kinds(
        tmp_path):
    """MkDocs' own kinds map onto the six ('hint' is a tip); another is printed as a note."""
    text = HANDOUT.split("## On the day")[0].replace("!!! tip", "!!! pied-piper")
    project = new_project(tmp_path, {"source/bad.md": text})
    result = run_build(project.root)
    assert result.returncode == 0
    assert re.search(r"warning: \S*bad\.md:\d+: unknown box kind 'pied-piper', printed as a "
                     "note", result.stderr)
    assert "note, tip, important, warning, caution or danger" in result.stderr
    strict = run_build(project.root, "--strict")
    assert strict.returncode == 1 and "unknown box kind 'pied-piper'" in strict.stderr


# -- colour and rule -------------------------------------------------------------------------

def test_each_kind_has_its_own_colour_at_readable_contrast():
    theme = load_theme(ROOT_THEME)
    looks = {kind: callouts.look(kind, theme) for kind in CALLOUT_KINDS}
    assert len({(k.ink, k.fill) for k in looks.values()}) == len(CALLOUT_KINDS)
    assert len({k.rule for k in looks.values()}) == len(CALLOUT_KINDS)
    for kind, k in looks.items():
        assert callouts.contrast(k.ink, k.fill) >= 4.5, kind      # the label on the fill
        assert callouts.contrast(theme.text_color, k.fill) >= 4.5, kind  # the text
        assert callouts.contrast(theme.primary_color, k.fill) >= 4.5, kind  # the title


def test_contrast_is_measured_as_wcag_measures_it():
    assert callouts.contrast("#000000", "#FFFFFF") == pytest.approx(21)
    assert callouts.contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert callouts.contrast("#FFFFFF", "#FFFFFF") == 1


def _grey(pdf, number, scale):
    """A page drawn in grey, as a black-and-white printer prints it."""
    return pdf[number].render(scale=scale, grayscale=True).to_pil().convert("L")


def _label_boxes(pdf, scale):
    """Each label's page and its box in pixels (left, top, right, bottom), by searching the
    PDF's text."""
    found = {}
    for number, page in enumerate(pdf):
        height = page.get_height()
        textpage = page.get_textpage()
        for kind, label in LABELS.items():
            searcher = textpage.search(label, match_case=True, match_whole_word=True)
            hit = searcher.get_next()
            while hit and kind not in found:
                index, count = hit
                boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
                left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
                right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
                # The label, not the same word in a title: the label is the line's first word.
                before = textpage.get_text_range(max(index - 1, 0), 1) if index else "\n"
                if before in ("\n", "\r", ""):
                    found[kind] = (number, (int(left * scale), int((height - top) * scale),
                                            int(right * scale), int((height - bottom) * scale)))
                hit = searcher.get_next()
    return found


def _runs(values):
    """The dark runs of a line of grey pixels: (count, dark share)."""
    dark = [v < 140 for v in values]
    runs = sum(1 for i, d in enumerate(dark) if d and (i == 0 or not dark[i - 1]))
    return runs, sum(dark) / len(dark)


def _rule_signature(image, label):
    """What the box's rules look like around its label, in grey: the left bar's pattern down
    the box (dark runs, share), its stripes across (a double bar has two), whether a bar
    stands at the right and whether a rule runs along the top."""
    left, top, right, bottom = label
    row = (top + bottom) // 2
    width = image.width
    line = [image.getpixel((x, row)) for x in range(width)]
    bar = next(x for x in range(width) if line[x] < 140)  # the first dark pixel: the bar
    assert bar < left - 5, "the label is not inside a box with a rule at its left"
    across, _ = _runs(line[bar:bar + int(0.4 * (left - bar))])  # not as far as the icon
    column = [image.getpixel((bar + 1, y)) for y in range(top - 12, bottom + 45)]
    down, share = _runs(column)
    right_bar = any(v < 140 for v in line[int(width * 0.75):])
    middle = (left + int(width * 0.6)) // 2
    top_rule = any(image.getpixel((middle, y)) < 140 for y in range(top - 25, top - 2))
    return (min(down, 3), round(share, 1) >= 0.9, across, right_bar, top_rule)


def test_a_grey_print_tells_every_kind_apart_by_its_rule(pdf):
    scale = 150 / 72
    labels = _label_boxes(pdf, scale)
    assert set(labels) == set(LABELS)
    pages = {number: _grey(pdf, number, scale) for number, _ in labels.values()}
    signatures = {kind: _rule_signature(pages[number], box)
                  for kind, (number, box) in labels.items()}
    assert len(set(signatures.values())) == len(LABELS), signatures
    # And as the rules were meant: solid, dotted, double, dashed, two bars, a frame.
    assert signatures["note"][:3] == (1, True, 1)
    assert signatures["tip"][0] == 3 and not signatures["tip"][1]
    assert signatures["important"][2] == 2
    assert signatures["warning"][0] >= 2 and not signatures["warning"][1]
    assert signatures["caution"][3] and not signatures["note"][3]
    assert signatures["danger"][4] and not signatures["caution"][4]


# -- footnotes -------------------------------------------------------------------------------

NOTES = {"Some text before the boxes, with a note.": "The words of the first note",
         "The day ends with a talk with the nurse.": "The second note, far from the first"}


def test_pdf_footnotes_stand_on_the_page_of_their_marker(pdf):
    pages = [re.sub(r"\s+", " ", text) for text in _page_texts(pdf)]

    def page_of(words):
        return next(n for n, text in enumerate(pages) if words in text)
    for sentence, note in NOTES.items():
        marker_page = page_of(sentence[:-1])  # the marker follows the sentence's words
        assert page_of(note) == marker_page, (sentence, note)
    # The second note is on a later page than the first: at the foot, not gathered at the end.
    assert page_of(NOTES[list(NOTES)[1]]) > page_of(NOTES[list(NOTES)[0]])
    last = pages[-1]
    assert NOTES[list(NOTES)[0]] not in last


def test_pdf_footnote_area_has_a_rule_above_it(pdf):
    scale = 100 / 72
    page = pdf[0]
    textpage = page.get_textpage()
    searcher = textpage.search("The words of the first note", match_case=True)
    index, _ = searcher.get_next()
    top = int((page.get_height() - textpage.get_charbox(index)[3]) * scale)
    image = _grey(pdf, 0, scale)
    x = image.width // 2
    assert any(image.getpixel((x, y)) < 200 for y in range(top - 25, top - 1))


def test_web_page_notes_close_their_section_linked_both_ways(boxes):
    page = lxml.html.parse(str(boxes["html"])).getroot()
    sections = page.xpath("//main/section[h2]")
    for section, note in zip(sections, NOTES.values()):
        [notes] = section.xpath("./section[@class='footnotes']")
        assert notes is section[-1]  # at the end of its own section
        assert notes.find("h3").text == "Notes"
        [item] = notes.findall("ol/li")
        assert note in item.text_content()
        back = item.find("a[@class='back-link footnote-back']").get("href")
        marker = page.xpath(f"//sup[@id='{back[1:]}']/a")[0]
        assert marker.get("href") == "#" + item.get("id")
        assert section.xpath(f".//sup[@id='{back[1:]}']")  # the marker is in this section


def test_word_footnotes_stay_at_the_foot_of_the_page(boxes):
    with zipfile.ZipFile(boxes["docx"]) as package:
        notes = etree.fromstring(package.read("word/footnotes.xml"))
    texts = ["".join(t.text or "" for t in n.iter(qn("w:t")))
             for n in notes.iterchildren(qn("w:footnote")) if int(n.get(qn("w:id"))) > 0]
    assert [t.split(",")[0].strip() for t in texts] == [
        "The words of the first note", "The second note"]


# -- Word as the PDF ---------------------------------------------------------------------------

def _size(paragraph, styles_by_id, default):
    """The size a paragraph's text is set in: its runs', else its style's (and the styles it
    is based on), else the document's default."""
    sizes = [r.font.size for r in paragraph.runs if r.font.size and r.text.strip()]
    style = paragraph.style
    while style is not None and style.font.size is None:
        style = style.base_style
    own = style.font.size if style is not None else default
    return min(sizes + [own]) if sizes else own


def test_word_sets_nothing_a_reader_needs_under_eleven_points(boxes):
    word = docx.Document(str(boxes["docx"]))
    default = Pt(10)  # python-docx's template: w:sz 20 in docDefaults
    body = word.element.body
    checked = 0
    for p in body.iter(qn("w:p")):
        paragraph = docx.text.paragraph.Paragraph(p, word.part)
        if not paragraph.text.strip() or paragraph.style.name in ("Rule",):
            continue
        assert _size(paragraph, None, default) >= Pt(MIN_FONT_PT), (
            paragraph.style.name, paragraph.text[:40])
        checked += 1
    assert checked > 20
    for name in ("Caption", "Table Caption", "Footnote Text", "Contact Details",
                 "Document Control", "Reference", *(f"{k.capitalize()} Label" for k in LABELS)):
        style = word.styles[name]
        while style.font.size is None:
            style = style.base_style
        assert style.font.size >= Pt(MIN_FONT_PT), name
    assert not word.styles["Caption"].font.bold  # not the template's 9 pt bold


def test_word_boxes_and_tables_stay_within_the_margins(boxes):
    word = docx.Document(str(boxes["docx"]))
    section = word.sections[0]
    text_width = (section.page_width - section.left_margin - section.right_margin) / 635
    tables = list(word.element.body.iter(qn("w:tbl")))
    assert len(tables) >= 8  # six boxes, the contact panel, the QR code
    for table in tables:
        properties = table.find(qn("w:tblPr"))
        indent = properties.find(qn("w:tblInd"))
        assert indent is None or int(indent.get(qn("w:w"))) == 0
        width = properties.find(qn("w:tblW"))
        assert width.get(qn("w:type")) == "dxa"
        assert int(width.get(qn("w:w"))) <= text_width + 1
        grid = sum(int(c.get(qn("w:w"))) for c in table.iter(qn("w:gridCol")))
        assert grid <= text_width + 1
    for p in word.element.body.iter(qn("w:p")):  # no paragraph stands out past a margin
        ind = p.find(f"{qn('w:pPr')}/{qn('w:ind')}")
        if ind is not None:
            assert int(ind.get(qn("w:right")) or 0) >= 0
            assert int(ind.get(qn("w:left")) or 0) >= 0


def test_word_qr_code_has_its_words_beside_it_at_its_middle(boxes):
    word = docx.Document(str(boxes["docx"]))
    [table] = [t for t in word.tables if t.style.name == "Online Copy Box"]
    code, words = table.rows[0].cells
    assert code._tc.find(f".//{qn('wp:docPr')}").get("descr") == "QR code: this handout online"
    assert words.text == "Read this handout online: https://clinic.example.org/handouts/boxes"
    align = words._tc.find(f"{qn('w:tcPr')}/{qn('w:vAlign')}")
    assert align.get(qn("w:val")) == "center"
    rules = table.style.element.find(f"{qn('w:tblPr')}/{qn('w:tblBorders')}")
    assert {edge.get(qn("w:val")) for edge in rules} == {"nil"}  # no rules: as on the page


def test_word_task_items_wrap_past_their_box(boxes):
    word = docx.Document(str(boxes["docx"]))
    [item] = [p for p in word.paragraphs if p.text.startswith("\u2610")]
    fmt = item.paragraph_format
    assert fmt.first_line_indent < 0 and fmt.left_indent + fmt.first_line_indent >= 0
    assert item.text.startswith("\u2610\t")  # the text starts at the hanging indent


DECORATIVE = "http://schemas.microsoft.com/office/drawing/2017/decorative"
from conftest import ROOT  # noqa: E402
ROOT_THEME = ROOT / "styles" / "theme.yaml"


def test_word_boxes_drawn_by_libreoffice_end_at_the_right_margin(boxes, tmp_path):
    """Printed by LibreOffice, no rule of a box, the contact panel or a table crosses the
    right margin (LibreOffice draws a table's side rules outside its columns' width)."""
    import os
    import shutil
    import subprocess
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("HANDOUTS_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice is required but soffice is not installed")
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer")
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(boxes["docx"])], check=True, capture_output=True, timeout=300)
    theme = load_theme(ROOT_THEME)
    document = pypdfium2.PdfDocument(str(tmp_path / "boxes.pdf"))
    try:
        scale = 144 / 72
        for number in range(len(document)):
            page = _grey(document, number, scale)
            width_pt = document[number].get_width()
            margin = (width_pt - theme.margins_mm["right"] / 25.4 * 72) * scale
            inked = [x for y in range(0, page.height, 2) for x in
                     range(int(margin) + 2, page.width) if page.getpixel((x, y)) < 200]
            assert not inked, f"page {number + 1}: ink {max(inked) - margin:.0f} px past the margin"
    finally:
        document.close()
