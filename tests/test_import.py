"""Importing a Word handout (issue 21, item 5): `build.py import FILE.docx` writes
source/NAME.md and its pictures, and the handout built from that holds the same text.

Evidence, each read back out of real files: our own Word output (the ketamine handout's
two editions, and a handout with a table, a footnote, a picture, a glossary and a box)
imported and built again holds every paragraph, list item, table cell, footnote and
reference of the Word file it came from, in the new web page, PDF and Word file; a Word
file made here with python-docx keeps its nesting, numbering, table, picture, emphasis,
link and footnote; bad input gets one line and no traceback."""

import datetime
import io
import re
import zipfile

import docx
import lxml.html
import pypdf
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Inches
from PIL import Image, ImageDraw

from conftest import new_project, run_build
from handouts import check as verify
from handouts.read import front_matter

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def squash(text):
    return verify._squash(text)


def drafted(path):
    """The imported handout as it is, or, while a build still requires version and
    review_due (another change makes them draft warnings), with the two added."""
    missing = [k for k in ("version", "review_due") if k in front_matter.REQUIRED]
    if missing:
        text = path.read_text(encoding="utf-8")
        extra = "".join({"version": 'version: "0.1"\n',
                         "review_due": "review_due: 2099-01-01\n"}[k] for k in missing)
        path.write_text(text.replace("\n---\n", "\n" + extra + "---\n", 1), encoding="utf-8")


def word_paragraphs(path):
    """(style name, text) of every paragraph of a Word file's body, table cells included,
    and of its footnotes."""
    word = docx.Document(str(path))
    found = [(docx.text.paragraph.Paragraph(p, word.part).style.name,
              "".join(t.text or "" for t in p.iter(qn("w:t"))))
             for p in word.element.body.iter(qn("w:p"))]
    notes = [rel.target_part for rel in word.part.rels.values()
             if rel.reltype == RT.FOOTNOTES]
    for part in notes:
        root = parse_xml(part.blob)
        for note in root.iter(qn("w:footnote")):
            if int(note.get(qn("w:id"))) > 0:
                found.append(("footnote", "".join(t.text or "" for t in note.iter(qn("w:t")))))
    return [(style, text) for style, text in found if text.strip()]


def text_of(path):
    """All the text of an output, squashed as the build's checker squashes it."""
    if path.suffix == ".html":
        return squash(lxml.html.parse(str(path)).getroot().find("body").text_content())
    if path.suffix == ".pdf":
        return squash(" ".join(p.extract_text() for p in pypdf.PdfReader(str(path)).pages))
    return squash(" ".join(text for _, text in word_paragraphs(path)))


# What our Word file prints that is not the author's text: the version line (an imported
# draft has another) and the contact panel, which the build adds from the theme again.
FURNITURE = {"Document Control"}


def assert_same_text(original_docx, rebuilt):
    """Every paragraph, list item, table cell, footnote and reference of the original Word
    file, in each output built from its import."""
    paragraphs = [(s, t) for s, t in word_paragraphs(original_docx) if s not in FURNITURE]
    assert len(paragraphs) > 5
    for fmt, path in rebuilt.items():
        got = text_of(path)
        lost = [f"{style}: {text}" for style, text in paragraphs if squash(text) not in got]
        assert not lost, f"{fmt} lost {len(lost)} of {len(paragraphs)}: {lost[:5]}"


# The address the build prints after a link whose words do not show it, for paper:
# "doi:10.1/x (doi.org/10.1/x)". An imported reference list's DOI links get it.
PRINTED_ADDRESS = re.compile(r" \((?:www\.)?[a-z0-9.-]+\.[a-z]{2,}/[^\s)]*\)")


def structure(path):
    """A Word file's headings (level, text), list items (level, text), callout boxes, table
    cells and footnotes: what an import must keep besides the words."""
    word = docx.Document(str(path))
    headings, items = [], []
    for p in word.paragraphs:
        if p.style.name.startswith("Heading"):
            headings.append((p.style.name, p.text))
    for p in word.element.body.iter(qn("w:p")):
        level = p.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:ilvl')}")
        if level is not None:
            text = "".join(t.text for t in p.iter(qn("w:t")))
            items.append((level.get(qn("w:val")), PRINTED_ADDRESS.sub("", text)))
    boxes = [t.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}").get(qn("w:val"))
             for t in word.element.body.iter(qn("w:tbl"))
             if t.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}") is not None]
    cells = [[c.text for c in row.cells] for t in word.tables for row in t.rows
             if "Box" not in (t.style.name if t.style is not None else "")]
    notes = [t for s, t in word_paragraphs(path) if s == "footnote"]
    return headings, items, sorted(boxes), cells, notes


@pytest.fixture(scope="module")
def ketamine(built, tmp_path_factory):
    """The ketamine handout's two Word files (built from source/), imported into a new
    project and built again."""
    project = new_project(tmp_path_factory.mktemp("imported"))
    originals = {}
    for edition in ("patient", "referrer"):
        original = built.outputs(f"ketamine-crps-{edition}")["docx"]
        result = run_build(project.root, "import", original)
        assert result.returncode == 0, result.stderr
        # Our own Word file's styles are all known: nothing to warn about.
        assert "warning" not in result.stderr, result.stderr
        drafted(project.source_dir / f"ketamine-crps-{edition}.md")
        originals[edition] = original
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project, originals


@pytest.mark.parametrize("edition", ["patient", "referrer"])
def test_the_ketamine_word_file_imported_and_built_again_holds_the_same_text(ketamine,
                                                                            edition):
    project, originals = ketamine
    assert_same_text(originals[edition], project.outputs(f"ketamine-crps-{edition}"))


@pytest.mark.parametrize("edition", ["patient", "referrer"])
def test_the_ketamine_import_keeps_headings_lists_and_boxes(ketamine, edition):
    project, originals = ketamine
    rebuilt = project.outputs(f"ketamine-crps-{edition}")["docx"]
    assert structure(rebuilt) == structure(originals[edition])


def test_the_ketamine_import_has_front_matter_from_the_word_file(ketamine):
    project, _ = ketamine
    doc = front_matter.load(project.source_dir / "ketamine-crps-referrer.md")
    meta = doc.meta
    assert meta.title == "Intravenous Ketamine for Complex Regional Pain Syndrome"
    assert meta.subtitle == "What to know about ketamine infusion therapy"
    assert meta.lang == "en-US" and meta.audience == "clinicians"
    assert meta.organisation == "Pain Medicine Practice"
    assert meta.date == datetime.date(2026, 11, 23)
    assert "CRPS" in meta.keywords
    text = (project.source_dir / "ketamine-crps-referrer.md").read_text()
    assert "\nversion:" not in text.split("\n---\n")[0] or "version" in front_matter.REQUIRED
    # The reference list stays a numbered list under its heading, the citations numbers.
    assert "## References\n\n1.  Schwartzman RJ" in text
    assert "<sup>1</sup>" in text


OWN = """\
---
title: Round Trip Handout
subtitle: Before and after an infusion
lang: en-US
version: "1.0"
date: 2026-01-15
review_due: 2027-01-15
url: https://clinic.example.org/handouts/trip
---

## Before your visit

Bring **your medicines** and *a friend*. See [the clinic visit page](https://clinic.example.org/visit).[^1]

1. Stop eating six hours before.
    - Water is fine until two hours before.
    - No chewing gum on the day.
2. Arrive early at reception.

| Medicine | Usual dose |
|---|---|
| Ketamine | 0.5 mg/kg |
| Midazolam | 2 mg |

: Typical doses for adults

![A drip stand beside a chair](drip.png "The infusion chair")

### After the infusion

!!! warning "Go to the emergency room if"
    - you have chest pain
    - you cannot stay awake

Infusion
:   Medicine given slowly through a vein.

[^1]: The page lists parking and opening hours.
"""


def png(size=(400, 240), colour="navy"):
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((40, 40, size[0] - 40, size[1] - 40), outline=colour,
                                    width=10)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_our_word_file_with_a_table_footnote_picture_and_box_comes_back_whole(tmp_path):
    first = new_project(tmp_path / "first", {"source/trip.md": OWN, "source/drip.png": png()})
    result = run_build(first.root)
    assert result.returncode == 0, result.stderr
    original = first.outputs("trip")["docx"]
    second = new_project(tmp_path / "second")
    result = run_build(second.root, "import", original)
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    text = (second.source_dir / "trip.md").read_text()
    for construct in ["[the clinic visit page](https://clinic.example.org/visit).[^1]",
                      "1.  Stop eating six hours before.\n    -   Water is fine",
                      "| Medicine | Usual dose |\n| --- | --- |\n| Ketamine | 0.5 mg/kg |",
                      ": Typical doses for adults",
                      '![A drip stand beside a chair](trip-1.png "The infusion chair")',
                      '!!! warning "Go to the emergency room if"\n    -   you have chest pain',
                      "Infusion\n:   Medicine given slowly through a vein.",
                      "[^1]: The page lists parking and opening hours."]:
        assert construct in text
    # The address our Word file prints after a link's words is not imported twice.
    assert "(clinic.example.org/visit)" not in text
    with Image.open(second.source_dir / "trip-1.png") as picture:
        assert picture.format == "PNG"
    # The QR code and the boxes' icons are the build's own: not pictures of the text.
    assert sorted(p.name for p in second.source_dir.glob("trip-*")) == ["trip-1.png"]
    assert "\nurl: https://clinic.example.org/handouts/trip\n" in text
    drafted(second.source_dir / "trip.md")
    result = run_build(second.root)
    assert result.returncode == 0, result.stderr
    rebuilt = second.outputs("trip")
    assert_same_text(original, rebuilt)
    assert structure(rebuilt["docx"]) == structure(original)
    html = lxml.html.parse(str(rebuilt["html"])).getroot()
    assert html.xpath("//figure//img") and html.xpath("//table/caption")


def make_word_file(path, alt="Two hands holding a cup"):
    """A Word file as a clinic might have one, made with python-docx: a title, headings,
    bold and italic, a link, nested bullets and numbers, a table, a picture, a footnote,
    a comment and a style of the clinic's own."""
    word = docx.Document()
    props = word.core_properties
    props.title = "Property title, not printed"
    props.author = "Dr A. Chen"
    props.subject = "After your nerve block"
    props.keywords = "nerve block; pain, recovery"
    props.language = "en-GB"
    props.created = datetime.datetime(2024, 3, 1)
    props.modified = datetime.datetime(2025, 6, 30, 14, 5)
    word.add_paragraph("Going Home After a Nerve Block", style="Title")
    word.add_heading("Your first day", level=1)
    para = word.add_paragraph("Rest today. ")
    para.add_run("Do not drive").bold = True
    para.add_run(" for ")
    para.add_run("24 hours").italic = True
    para.add_run(". Read ")
    _hyperlink(word, para, "our recovery page", "https://clinic.example.org/recovery")
    para.add_run(" before you go.")
    _footnote(word, para, "Ask the nurse if you are unsure.")
    word.add_paragraph("Watch for:", style="Normal")
    word.add_paragraph("Numbness", style="List Bullet")
    word.add_paragraph("In the arm that was numbed", style="List Bullet 2")
    word.add_paragraph("Weakness", style="List Bullet")
    word.add_heading("Medicines", level=2)
    word.add_paragraph("Take the first dose", style="List Number")
    word.add_paragraph("With food", style="List Number 2")
    word.add_paragraph("Take the second dose", style="List Number")
    table = word.add_table(rows=3, cols=2)
    for r, row in enumerate([("Medicine", "When"), ("Paracetamol", "Every six hours"),
                             ("Ibuprofen", "With meals")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    box = word.add_table(rows=1, cols=1).cell(0, 0)  # a box, as Word users draw one
    box.paragraphs[0].add_run("Before you come").bold = True
    box.add_paragraph("Stop blood thinners only if your doctor says so.")
    picture = io.BytesIO(png())
    word.add_paragraph().add_run().add_picture(picture, width=Inches(3))
    if alt is not None:
        word.inline_shapes[0]._inline.docPr.set("descr", alt)
    fancy = word.styles.add_style("Clinic Banner", 1)
    word.add_paragraph("Call us any time.", style=fancy)
    word.add_comment(word.paragraphs[-1].runs, text="Check the number", author="AC")
    word.save(str(path))


def _hyperlink(word, para, text, url):
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), word.part.relate_to(url, RT.HYPERLINK, is_external=True))
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = text
    run.append(t)
    link.append(run)
    para._p.append(link)


def _footnote(word, para, text):
    """A footnotes part (python-docx writes none) holding one note, and its reference."""
    xml = (f'<w:footnotes {nsdecls("w")}>'
           '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
           '</w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
           '<w:continuationSeparator/></w:r></w:p></w:footnote>'
           f'<w:footnote w:id="1"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:footnote>'
           '</w:footnotes>')
    part = Part(PackURI("/word/footnotes.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                xml.encode(), word.part.package)
    word.part.relate_to(part, RT.FOOTNOTES)
    para._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:rPr><w:vertAlign w:val="superscript"/>'
                             '</w:rPr><w:footnoteReference w:id="1"/></w:r>'))


def test_a_word_file_made_with_python_docx_keeps_its_constructs(tmp_path):
    project = new_project(tmp_path)
    make_word_file(tmp_path / "After Your Block.docx")
    result = run_build(project.root, "import", tmp_path / "After Your Block.docx")
    assert result.returncode == 0, result.stderr
    assert "source/after-your-block.md" in result.stdout
    md = project.source_dir / "after-your-block.md"
    text = md.read_text()
    head, body = text.split("\n---\n", 1)
    assert head == ("---\ntitle: Going Home After a Nerve Block\n"
                    "subtitle: After your nerve block\nlang: en-GB\nauthor: Dr A. Chen\n"
                    "keywords:\n- nerve block\n- pain\n- recovery\ndate: 2025-06-30")
    for construct in [
            "## Your first day", "### Medicines",  # Heading 1 is the top level: ##
            "Rest today. **Do not drive** for *24 hours*. Read "
            "[our recovery page](https://clinic.example.org/recovery) before you go.[^1]",
            "-   Numbness\n    -   In the arm that was numbed\n-   Weakness",
            "1.  Take the first dose\n    1.  With food\n2.  Take the second dose",
            "| Medicine | When |\n| --- | --- |\n| Paracetamol | Every six hours |",
            '!!! note "Before you come"\n    Stop blood thinners only if your doctor says so.',
            "![Two hands holding a cup](after-your-block-1.png)",
            "Call us any time.",
            "[^1]: Ask the nurse if you are unsure."]:
        assert construct in body
    with Image.open(project.source_dir / "after-your-block-1.png") as picture:
        assert picture.size == (400, 240)
    # What could not be carried over, each a warning naming the Word file.
    warnings = result.stderr.strip().splitlines()
    assert all(w.startswith("warning: ") and "After Your Block.docx" in w for w in warnings)
    assert any("Unrecognised paragraph style: Clinic Banner" in w for w in warnings)
    assert any("1 comment(s) not carried over" in w for w in warnings)

    drafted(md)
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    out = project.outputs("after-your-block")
    word = docx.Document(str(out["docx"]))
    items = [(p.text, p._p.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:ilvl')}").get(qn("w:val")))
             for p in word.paragraphs if p._p.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None]
    assert items == [("Numbness", "0"), ("In the arm that was numbed", "1"), ("Weakness", "0"),
                     ("Take the first dose", "0"), ("With food", "1"),
                     ("Take the second dose", "0")]
    assert [[c.text for c in row.cells] for row in word.tables[0].rows][1] == \
        ["Paracetamol", "Every six hours"]
    assert word.tables[1].style.name == "Callout Box"
    styled = {(r.text, r.style.name) for p in word.paragraphs for r in p.runs}
    assert ("Do not drive", "Strong") in styled and ("24 hours", "Emphasis") in styled
    assert ("footnote", " Ask the nurse if you are unsure.") in word_paragraphs(out["docx"])
    assert "Two hands holding a cup" in [s._inline.docPr.get("descr") for s in word.inline_shapes]
    pdf = pypdf.PdfReader(str(out["pdf"]))
    links = [a.get_object()["/A"].get("/URI") for page in pdf.pages
             for a in page.get("/Annots") or [] if "/A" in a.get_object()]
    assert "https://clinic.example.org/recovery" in links
    assert "Ask the nurse if you are unsure." in " ".join(p.extract_text() for p in pdf.pages)


def test_a_picture_without_alt_text_is_imported_with_a_warning(tmp_path):
    project = new_project(tmp_path)
    make_word_file(tmp_path / "a.docx", alt=None)
    result = run_build(project.root, "import", tmp_path / "a.docx")
    assert result.returncode == 0
    assert "![](a-1.png)" in (project.source_dir / "a.md").read_text()
    assert re.search(r"warning: .*a\.docx: picture a-1\.png has no alt text; describe",
                     result.stderr)


def test_an_existing_handout_is_kept_unless_forced(tmp_path):
    project = new_project(tmp_path, {"source/a.md": "mine\n"})
    make_word_file(tmp_path / "a.docx")
    result = run_build(project.root, "import", tmp_path / "a.docx")
    assert result.returncode == 1
    assert "source/a.md is there already; pass --force" in result.stderr
    assert (project.source_dir / "a.md").read_text() == "mine\n"
    assert not (project.source_dir / "a-1.png").exists()
    result = run_build(project.root, "import", tmp_path / "a.docx", "--force")
    assert result.returncode == 0, result.stderr
    assert (project.source_dir / "a.md").read_text().startswith("---\ntitle: Going Home")


def _real_docx():
    out = io.BytesIO()
    docx.Document().save(out)
    return out.getvalue()


def _rezipped(replace):
    """A real .docx with some of its members replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_real_docx())) as src, \
            zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename in replace:
                if replace[item.filename] is not None:
                    dst.writestr(item.filename, replace[item.filename])
            else:
                dst.writestr(item, src.read(item.filename))
    return out.getvalue()


# An OLE compound file: what Word 97-2003 writes, and what Word wraps a .docx in when it
# is protected by a password (its stream named EncryptedPackage).
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
BAD = {
    "plain text named .docx": (b"Dear patient,\nplease come early.\n",
                               "not a Word document (.docx); open it in Word or LibreOffice"),
    "a Word 97-2003 .doc": (OLE + "WordDocument".encode("utf-16-le") + bytes(512),
                            "old Word 97-2003 document (.doc), not a .docx; open it in Word "
                            "and save it as Word Document (.docx)"),
    "protected by a password": (OLE + "EncryptedPackage".encode("utf-16-le") + bytes(512),
                                "the document is protected by a password; open it in Word, "
                                "remove the password"),
    "cut short in transfer": (_real_docx()[:5000], "not a Word document (.docx)"),
    "a zip, not a Word file": (_rezipped({"word/document.xml": None}),
                               "a zip file, but not a Word document (no word/document.xml)"),
    "damaged XML inside": (_rezipped({"word/document.xml": b"<w:document><w:body><w:p>"}),
                           "the Word document is damaged ("),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_gets_one_line_and_no_traceback(tmp_path, case):
    data, message = BAD[case]
    project = new_project(tmp_path)
    suffix = ".doc" if "97" in case else ".docx"
    path = tmp_path / f"handout{suffix}"
    path.write_bytes(data)
    result = run_build(project.root, "import", path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: ") and f"handout{suffix}: " in lines[0], lines[0]
    assert message in lines[0]
    assert list(project.source_dir.glob("*.md")) == []


def test_a_missing_file_gets_one_line(tmp_path):
    project = new_project(tmp_path)
    result = run_build(project.root, "import", tmp_path / "nowhere.docx")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nowhere.docx'}: no such file; give the path of a .docx file"]


def test_equations_and_text_boxes_are_reported(tmp_path):
    """What mammoth drops without saying so: an equation (Word's OMML), a text box."""
    word = docx.Document()
    para = word.add_paragraph("The dose is ")
    para._p.append(parse_xml('<m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument'
                             '/2006/math"><m:r><m:t>0.5 mg/kg</m:t></m:r></m:oMath>'))
    box = word.add_paragraph("Before the box.")
    box._p.append(parse_xml(
        f'<w:r {nsdecls("w", "wp", "a")} xmlns:wps="http://schemas.microsoft.com/office/word/'
        '2010/wordprocessingShape"><w:drawing><wp:inline><wp:extent cx="914400" cy="914400"/>'
        '<wp:docPr id="9" name="Text Box 1"/><a:graphic><a:graphicData uri="http://schemas.'
        'microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp><wps:txbx>'
        '<w:txbxContent><w:p><w:r><w:t>Call 911 in an emergency.</w:t></w:r></w:p>'
        '</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:inline>'
        '</w:drawing></w:r>'))
    word.save(str(tmp_path / "m.docx"))
    project = new_project(tmp_path / "p")
    result = run_build(project.root, "import", tmp_path / "m.docx")
    assert result.returncode == 0, result.stderr
    assert "m.docx: 1 equation(s) not carried over; write each where it stood as TeX" \
        in result.stderr
    assert "oMath" not in result.stderr  # said once, in words
    # mammoth drops a text box drawn without Word's VML fallback: said, quoting it.
    assert "Call 911" not in (project.source_dir / "m.md").read_text()
    assert "m.docx: a text box ('Call 911 in an emergency.') was not carried over" \
        in result.stderr
