"""styles/theme.yaml drives the look of all three outputs, and the brochure is laid out
as a clinic would print it: title block, running header, footer, 2 to 4 pages.

What the ketamine handout says (title, dates, callouts, citations) is read from its source,
so editing the handout does not break these tests."""

import datetime
import re
import zipfile

import docx
import lxml.html
import pypdf
import pytest
import yaml
from docx.oxml.ns import qn
from PIL import Image

from conftest import ROOT, new_project, run_build
from handouts.read import editions
from handouts.read.front_matter import load
from handouts.write.docx.fonts import obfuscate

SOURCE = "ketamine-crps"
KETAMINE = "ketamine-crps-referrer"  # the edition checked here: citations, references, box
PAPER_POINTS = {"letter": (612, 792), "a4": (595, 842)}


@pytest.fixture(scope="module")
def ketamine(built):
    """The ketamine handout's edition checked here as the build read it: front matter
    (.meta) and body."""
    return editions.select(load(built.source_dir / f"{SOURCE}.md"), "referrer")


def written_date(day):
    """A date as every output prints it, e.g. November 23, 2026."""
    return f"{day:%B} {day.day}, {day.year}"


def document_control(meta):
    """The footer line of every page: version, issue date and review date."""
    return (f"Version {meta.version} · Issued {written_date(meta.date)} · "
            f"Review due {written_date(meta.review_due)}")


DECORATIVE = "http://schemas.microsoft.com/office/drawing/2017/decorative"


def callout_titles(doc):
    """The title of each '!!! kind "Title"' box in the body, in order (Markdown's
    admonition: without a title, the kind capitalised)."""
    return [title or kind.capitalize()
            for kind, title in re.findall(r'^ *!!! *(\w+)(?: +"(.*?)")?', doc.body, re.M)]


def squashed(text):
    return " ".join(text.split())


def set_theme(project, **changes):
    path = project.styles_dir / "theme.yaml"
    theme = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if isinstance(value, dict):
            theme[key].update(value)
        else:
            theme[key] = value
    path.write_text(yaml.safe_dump(theme))


def test_primary_color_reaches_all_three_outputs(tmp_path):
    project = new_project(tmp_path, with_real_sources=True)
    new = "#7A1F5C"
    set_theme(project, primary_color=new)
    result = run_build(project.root, f"source/{SOURCE}.md")
    assert result.returncode == 0, result.stderr
    outputs = project.outputs(KETAMINE)
    assert f"--primary: {new};" in outputs["html"].read_text(encoding="utf-8")
    # PDF: the headings are painted in the new colour (0.478 0.122 0.361 rg)
    rgb = " ".join(f"{int(new[i:i + 2], 16) / 255:.3f}".rstrip("0") for i in (1, 3, 5))
    pdf = pypdf.PdfReader(str(outputs["pdf"]))
    content = b"".join(page.get_contents().get_data() for page in pdf.pages).decode("latin-1")
    colours = {tuple(round(float(v), 2) for v in m) for m in
               re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) rg", content)}
    assert tuple(round(int(new[i:i + 2], 16) / 255, 2) for i in (1, 3, 5)) in colours, rgb
    # DOCX: the Heading styles carry the colour; no paragraph sets it directly
    word = docx.Document(str(outputs["docx"]))
    assert str(word.styles["Heading 2"].font.color.rgb) == new[1:]
    for tag in ("w:color", "w:shd", "w:rFonts", "w:sz", "w:tcBorders"):
        assert not list(word.element.body.iter(qn(tag))), f"direct formatting {tag} in the body"
    old = "1F4E79"
    assert old not in zipfile.ZipFile(outputs["docx"]).read("word/styles.xml").decode()


def test_font_family_and_size_come_from_the_theme(built):
    word = docx.Document(str(built.outputs(KETAMINE)["docx"]))
    normal = word.styles["Normal"]
    theme = yaml.safe_load((ROOT / "styles" / "theme.yaml").read_text())
    assert normal.font.name == theme["font_family"]
    assert normal.font.size.pt == theme["font_size_pt"] >= 11
    assert f"--font-size: {theme['font_size_pt']}pt" in built.outputs(KETAMINE)["html"].read_text()


def test_docx_embeds_the_typeface_so_it_looks_the_same_everywhere(built):
    path = built.outputs(KETAMINE)["docx"]
    with zipfile.ZipFile(path) as archive:
        table = archive.read("word/fontTable.xml").decode()
        fonts = sorted(n for n in archive.namelist() if n.startswith("word/fonts/"))
        assert len(fonts) == 4
        key = re.search(r'embedRegular r:id="[^"]+" w:fontKey="([^"]+)"', table).group(1)
        regular = obfuscate(archive.read(fonts[0]), key)  # the same XOR undoes it
    import fontpkg_atkinson_hyperlegible as atkinson
    original = (atkinson.ROOT / "files" / "AtkinsonHyperlegible-Regular.ttf").read_bytes()
    assert regular == original
    settings = zipfile.ZipFile(path).read("word/settings.xml").decode()
    assert "<w:embedTrueTypeFonts/>" in settings


def test_ketamine_brochure_fits_two_to_four_pages_with_header_and_footer(built, ketamine):
    meta = ketamine.meta
    assert written_date(datetime.date(2026, 11, 23)) == "November 23, 2026"
    paper = meta.paper or yaml.safe_load((built.styles_dir / "theme.yaml").read_text())["paper"]
    pdf = pypdf.PdfReader(str(built.outputs(KETAMINE)["pdf"]))
    assert 2 <= len(pdf.pages) <= 4
    for page in pdf.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) \
            == PAPER_POINTS[paper]
    texts = [page.extract_text() for page in pdf.pages]
    assert squashed(meta.title) in squashed(texts[0])
    header = meta.running_title
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of {len(texts)}" in text
        assert document_control(meta) in text
        lines = [line.strip() for line in text.splitlines()]
        assert (header in lines) == (number > 1), "running header from page 2"


def test_docx_header_footer_fields_and_styles(built, ketamine):
    meta = ketamine.meta
    word = docx.Document(str(built.outputs(KETAMINE)["docx"]))
    section = word.sections[0]
    assert section.different_first_page_header_footer
    assert section.header.paragraphs[0].text == meta.running_title
    for footer in (section.footer, section.first_page_footer):
        fields = [f.get(qn("w:instr")).strip() for f in footer._element.iter(qn("w:fldSimple"))]
        assert fields == ["PAGE", "NUMPAGES"]
        # The same document-control line as the PDF's footer: version, issue and review dates.
        assert footer.paragraphs[0].text.startswith(document_control(meta) + "\tPage ")
    used = {docx.text.paragraph.Paragraph(p, word.part).style.name
            for p in word.element.body.iter(qn("w:p"))}
    # Each style the handout's Markdown calls for (the title is Heading 1).
    body = ketamine.body
    wanted = {"Heading 1": True,
              "Heading 2": re.search(r"^## ", body, re.M),
              "Heading 3": re.search(r"^### ", body, re.M),
              "List Paragraph": re.search(r"^ *([-*+]|\d+\.) ", body, re.M),
              "Reference": re.search(r"\[[^\]]*@", body),
              "Callout Title": callout_titles(ketamine)}
    assert {style for style, present in wanted.items() if present} <= used


def test_callout_is_a_box_in_every_format(built, ketamine):
    titles = callout_titles(ketamine)
    assert titles, "the ketamine handout has no '!!!' callout to look for"
    outputs = built.outputs(KETAMINE)
    boxes = lxml.html.parse(str(outputs["html"])).getroot().find_class("callout")
    assert [box[1].text for box in boxes] == titles  # after the kind's label
    box = boxes[0]
    assert box.get("role") == "note"
    assert box[0].get("class") == "callout-label" and box[1].get("class") == "callout-title"
    if re.search(r'^ *!!!.*\n+ +[-*+] ', ketamine.body, re.M):  # the first box holds a list
        assert box.find("ul") is not None
    word = docx.Document(str(outputs["docx"]))
    tables = [t for t in word.tables if t.style.name == "Callout Box"]
    assert [t.cell(0, 0).paragraphs[1].text for t in tables] == titles
    shading = tables[0].style.element.find(qn("w:tcPr")).find(qn("w:shd"))
    theme = yaml.safe_load((ROOT / "styles" / "theme.yaml").read_text())
    assert shading.get(qn("w:fill")) == theme["callout_background"][1:].upper()
    pdf_lines = [line.strip() for page in pypdf.PdfReader(str(outputs["pdf"])).pages
                 for line in page.extract_text().splitlines()]
    assert all(title in pdf_lines for title in titles)


def test_contact_block_and_logo_appear_when_configured(tmp_path):
    project = new_project(tmp_path, with_real_sources=True)
    organisation = yaml.safe_load((project.styles_dir / "theme.yaml").read_text())[
        "organisation"]["name"]
    shown = load(project.source_dir / f"{SOURCE}.md").meta.organisation or organisation
    Image.new("RGB", (300, 100), (31, 78, 121)).save(project.styles_dir / "logo.png")
    set_theme(project, organisation={"address": "1 Example Way", "phone": "(555) 010-0000",
                                     "website": "clinic.example.org", "logo": "logo.png"})
    result = run_build(project.root, f"source/{SOURCE}.md")
    assert result.returncode == 0 and "whom to call" not in result.stderr
    outputs = project.outputs(KETAMINE)
    pdf_text = "".join(p.extract_text() for p in pypdf.PdfReader(str(outputs["pdf"])).pages)
    word = docx.Document(str(outputs["docx"]))
    word_text = "\n".join(p.text for p in word.paragraphs)
    html = outputs["html"].read_text(encoding="utf-8")
    for line in ("1 Example Way", "(555) 010-0000", "clinic.example.org"):
        assert line in pdf_text and line in word_text and line in html
    assert f'alt="{organisation} logo"' in html
    # The panel: in the patient edition (the referrer's "How to refer" holds the details).
    patient = docx.Document(str(project.outputs(f"{SOURCE}-patient")["docx"]))
    # Boxed with a single rule as on the page, its heading inside, kept on one page.
    [panel] = [t for t in patient.tables if t.style.name == "Contact Box"]
    cell = panel.cell(0, 0)
    assert [p.style.name for p in cell.paragraphs] == ["Heading 2", "Contact Details"]
    assert "1 Example Way" in cell.paragraphs[1].text
    assert panel._tbl.tr_lst[0].find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None
    rules = panel.style.element.find(f"{qn('w:tblPr')}/{qn('w:tblBorders')}")
    assert {edge.get(qn("w:val")) for edge in rules if "inside" not in edge.tag} == {"single"}
    described = [d.get("descr") for d in word.element.body.iter(qn("wp:docPr"))
                 if d.find(f".//{{{DECORATIVE}}}decorative") is None]  # not a box's icon
    assert described == [f"{organisation} logo"]
    # As on the page: the name at the left, the logo at the right, on the first line.
    first = word.paragraphs[0]
    assert first.style.name == "Organisation" and first.text == f"{shown}\t"
    assert first._p.findall(f".//{qn('wp:docPr')}")


def test_patient_handout_without_contact_details_warns(built, tmp_path):
    project = new_project(tmp_path, with_real_sources=True)
    set_theme(project, organisation={"address": "", "phone": "", "website": ""})
    result = run_build(project.root, f"source/{SOURCE}.md")
    assert result.returncode == 0
    assert "patients need to know whom to call" in result.stderr


@pytest.mark.parametrize("setting, value, message", [
    ("paper", "legal", "unknown paper size 'legal'"),
    ("margins_mm", {"top": 1}, "'margins_mm' needs top, bottom, left and right"),
    ("organisation", {"logo": "missing.png"}, "logo 'missing.png' is not a file in styles/"),
    ("accent_color", "#9AD3C4", "contrast"),
    # Body text still reads on this background, but a link inside a callout would not.
    ("callout_background", "#D0DEE8", "text in #2A7866 on #D0DEE8 has contrast 3.85:1"),
    ("shadow", "yes", "unknown theme setting 'shadow'"),
    ("organisation", {"name": ["A", "B"]}, "each 'organisation' entry must be plain text"),
    ("font_family", "Atkinson\\", "'font_family' is not a font name"),  # would break the CSS
    # Not on this machine: WeasyPrint would quietly print in another font.
    ("font_family", "Comic Nonexistent Sans", "the font 'Comic Nonexistent Sans' is not installed"),
])
def test_invalid_theme_values_are_refused(tmp_path, setting, value, message):
    project = new_project(tmp_path, {"source/a.md": "---\ntitle: T\nlang: en\nversion: '1'\n"
                                     "date: 2026-01-01\nreview_due: 2027-01-01\n---\nText.\n"})
    path = project.styles_dir / "theme.yaml"
    theme = yaml.safe_load(path.read_text())
    theme[setting] = value if setting != "organisation" else {**theme[setting], **value}
    path.write_text(yaml.safe_dump(theme))
    result = run_build(project.root)
    assert result.returncode == 1
    assert "styles/theme.yaml" in result.stderr and message in result.stderr


def test_no_heading_is_stranded_at_the_foot_of_a_page(tmp_path):
    # Sections of uneven length, so that many page breaks fall near a heading.
    sections = "\n".join(f"## Section {n}\n\n"
                         + "Text of a paragraph that runs on. " * (7 + n * 5 % 11) + "\n"
                         for n in range(1, 40))
    project = new_project(tmp_path, {"source/long.md": "---\ntitle: Long\nlang: en\n"
                                     "version: '1'\ndate: 2026-01-01\nreview_due: 2027-01-01\n"
                                     "---\n" + sections})
    assert run_build(project.root).returncode == 0
    pages = pypdf.PdfReader(str(project.outputs("long")["pdf"])).pages
    assert len(pages) > 5
    for number, page in enumerate(pages, 1):
        body = [line.strip() for line in page.extract_text().splitlines()
                if line.strip() and "Page " not in line and "Version 1" not in line]
        assert not re.fullmatch(r"Section \d+", body[-1]), f"page {number} ends on a heading"
    word = docx.Document(str(project.outputs("long")["docx"]))
    assert all(word.styles[f"Heading {n}"].paragraph_format.keep_with_next for n in (1, 2, 3))


def test_dois_are_never_split_across_lines_in_the_pdf(built, ketamine):
    # A physician types the DOI from paper; a line break inside it reads as its end.
    lines = [line for page in pypdf.PdfReader(str(built.outputs(KETAMINE)["pdf"])).pages
             for line in page.extract_text().splitlines()]
    cited = {key.lower() for group in re.findall(r"\[([^\]]*@[^\]]*)\]", ketamine.body)
             for key in re.findall(r"@([^\s;,\]]+)", group)}
    bib = (built.source_dir / ketamine.meta.bibliography).read_text(encoding="utf-8")
    dois = [doi for entry in re.split(r"\n(?=@)", bib)
            if (key := re.match(r"\s*@\w+\{([^,]+),", entry)) and key.group(1).lower() in cited
            for doi in re.findall(r"doi\s*=\s*\{(.+?)\}", entry)]
    assert dois, "the ketamine handout cites no work with a DOI"
    for doi in dois:  # as AMA prints it: doi:10...
        assert any(f"doi:{doi}" in line for line in lines), doi


def test_word_callout_box_lines_up_with_the_margins(built, ketamine):
    # In Word 2013's layout (compatibilityMode 15) a table's indent moves its rule in from
    # the margin: a box has none, and is as wide as the text, so it ends at the right margin.
    word = docx.Document(str(built.outputs(KETAMINE)["docx"]))
    boxes = [t for t in word.tables if t.style.name == "Callout Box"]
    assert len(boxes) == len(callout_titles(ketamine)) >= 1
    section = word.sections[0]
    text_width = (section.page_width - section.left_margin - section.right_margin) / 635
    for box in boxes:
        assert box._tbl.tblPr.find(qn("w:tblInd")) is None
        width = box._tbl.tblPr.find(qn("w:tblW"))
        assert width.get(qn("w:type")) == "dxa"
        # narrowed by its side rules, which LibreOffice draws outside the columns' width
        assert text_width - 300 <= int(width.get(qn("w:w"))) <= text_width


@pytest.mark.parametrize("text, message, line", [
    # 'logo:' written inside the address above it: a search of the text stopped there (5).
    ("organisation:\n  name: Clinic\n  address: |\n    12 High Street\n"
     "    logo: the blue sign\n  logo: missing.png\n", "logo 'missing.png' is not a file", 6),
    # A quoted setting name: a search for 'name:' at a line's start found no line at all.
    ("primary_color: \"#1F4E79\"\n\"paper\": legal\n", "unknown paper size 'legal'", 2),
])
def test_a_theme_error_names_the_line_the_yaml_reader_marks(tmp_path, text, message, line):
    from handouts.diagnostics import Diagnostic
    from handouts.style.theme import load_theme
    (tmp_path / "theme.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(Diagnostic) as caught:
        load_theme(tmp_path / "theme.yaml")
    assert message in caught.value.message and caught.value.line == line
