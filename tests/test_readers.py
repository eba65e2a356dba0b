"""What readers' tools check: clickable, described citation links; type no smaller than
the theme's minimum; lines a reader can follow; addresses a reader can type; a Word file
that opens in current Word, not Compatibility Mode."""

import re
import statistics
import zipfile

import docx
import lxml.html
import pypdf
import pytest

from conftest import ROOT
from handouts.style.theme import FOOTER_FONT_PT, MIN_FONT_PT, load_theme

KETAMINE = "ketamine-crps-referrer"  # the edition with citations, references and contact


@pytest.fixture(scope="module")
def pdf(built):
    return pypdf.PdfReader(str(built.outputs(KETAMINE)["pdf"]))


def test_every_citation_link_covers_its_number_and_says_which_work(pdf, built):
    page = lxml.html.parse(str(built.outputs(KETAMINE)["html"])).getroot()
    labels = {a.get("href")[1:]: a.get("aria-label") for a in page.xpath("//*[@class='citation']//a")}
    assert labels and all(re.fullmatch(r"Reference \d+: \S.* \d{4}", label)
                          for label in labels.values()), labels
    links = [a.get_object() for p in pdf.pages for a in p.get("/Annots") or []
             if "/Dest" in a.get_object()]
    assert links
    for link in links:
        x1, y1, x2, y2 = (float(v) for v in link["/Rect"])
        assert abs(x2 - x1) >= 2 and abs(y2 - y1) >= 6, "a link too small to click"
        assert link["/Contents"] == labels[str(link["/Dest"])]


def _sizes(page):
    """(text, size in points) of each piece of text on a PDF page."""
    found = []

    def visit(text, cm, tm, font, size):
        scale = (tm[2] ** 2 + tm[3] ** 2) ** 0.5 * (cm[2] ** 2 + cm[3] ** 2) ** 0.5
        if text.strip():
            found.append((text.strip(), round(size * scale, 1)))
    page.extract_text(visitor_text=visit)
    return found


def test_no_text_a_reader_needs_is_smaller_than_the_theme_minimum(pdf, built):
    meta_line = re.compile(r"^(Version .*|Page \d+ of \d+|IV ketamine for CRPS)$")
    for page in pdf.pages:
        for text, size in _sizes(page):
            if meta_line.match(text):  # the running header and footer
                assert size >= FOOTER_FONT_PT - 0.05, (text, size)
            elif not re.fullmatch(r"[\d,–-]+", text):  # superscript citation numbers
                assert size >= MIN_FONT_PT - 0.05, (text, size)


def test_the_references_are_set_at_one_size_on_paper_and_in_word(pdf, built):
    """Smaller type is a fixed size from the theme (Theme.small_type_pt), the same in the
    PDF as in the Word file and on the web page: WeasyPrint printed CSS max(0.9em, 11pt)
    at the text's full size."""
    word = docx.Document(str(built.outputs(KETAMINE)["docx"]))
    sizes = {size for page in pdf.pages for text, size in _sizes(page)
             if text.startswith("Schwartzman RJ")}
    theme = load_theme(ROOT / "styles" / "theme.yaml")
    assert sizes == {word.styles["Reference"].font.size.pt} == {theme.small_type_pt(0.9)}
    assert theme.small_type_pt(0.9) < theme.font_size_pt


def test_word_styles_for_contact_references_and_control_meet_the_minimum(built):
    word = docx.Document(str(built.outputs(KETAMINE)["docx"]))
    for name in ("Contact", "Reference", "Document Control", "Footnote Text", "Code"):
        assert word.styles[name].font.size.pt >= MIN_FONT_PT, name
    for name in ("Header", "Footer"):
        assert word.styles[name].font.size.pt >= FOOTER_FONT_PT, name


def test_lines_hold_about_75_characters_or_fewer(pdf):
    """The measure of the running text: the lines before the references (set smaller, as
    lists of studies are), without the running header and footer."""
    text = "\n".join(page.extract_text() for page in pdf.pages).rsplit("\nReferences\n", 1)[0]
    lines = [line for line in text.splitlines() if len(line) > 50  # full lines
             and not re.search(r"Page \d+ of \d+$", line)]
    assert len(lines) > 30
    assert statistics.median(len(line) for line in lines) <= 76
    assert 2 <= len(pdf.pages) <= 4


def test_dois_print_as_the_style_prints_them_and_link_to_their_address(pdf, built):
    """AMA prints 'doi:10...' (AMA Manual of Style 3.15.1), as Pandoc's citeproc does; a
    reader on screen follows it to https://doi.org/10... (issue 22)."""
    text = "".join(page.extract_text() for page in pdf.pages)
    word_file = docx.Document(str(built.outputs(KETAMINE)["docx"]))
    word = "\n".join(p.text for p in word_file.paragraphs)
    for fmt, found in (("pdf", text), ("docx", word)):
        assert re.search(r"doi:10\.\d+/", found) and "https://doi.org/10" not in found, fmt
    links = [a.get_object().get("/A", {}).get("/URI") for page in pdf.pages
             for a in page.get("/Annots") or []]
    assert any(str(uri).startswith("https://doi.org/10.") for uri in links if uri)
    targets = [r.target_ref for r in word_file.part.rels.values() if r.is_external]
    assert any(t.startswith("https://doi.org/10.") for t in targets)


def test_the_word_file_opens_in_current_word_with_its_own_properties(built):
    archive = zipfile.ZipFile(built.outputs(KETAMINE)["docx"])
    settings = archive.read("word/settings.xml").decode()
    assert re.search(r'w:name="compatibilityMode"[^>]*w:val="15"', settings)
    app = archive.read("docProps/app.xml").decode()
    assert "Macintosh" not in app and "<Application>Clinical handouts build</Application>" in app
    words = int(re.search(r"<Words>(\d+)</Words>", app).group(1))
    assert words > 300


def test_the_theme_keeps_the_measure_and_the_minimum_together():
    theme = load_theme(ROOT / "styles" / "theme.yaml")
    assert theme.font_size_pt >= MIN_FONT_PT
    css = theme.css_variables(theme.paper)
    assert f"--min-font: {MIN_FONT_PT}pt" in css and f"--footer-font: {FOOTER_FONT_PT}pt" in css


def test_the_web_page_carries_only_the_faces_and_glyphs_it_uses(built):
    html = built.outputs(KETAMINE)["html"]
    assert html.stat().st_size < 85_000  # the six box kinds' icons are 2.3 KB of it
    css = lxml.html.parse(str(html)).getroot().find(".//style").text
    faces = re.findall(r"@font-face \{[^}]*font-style: (\w+); font-weight: (\d+); "
                       r"font-display: swap; src: url\('data:font/woff;base64,", css)
    # The handout has headings (bold) and a journal name in italics, but nothing bold italic.
    assert sorted(faces) == [("italic", "400"), ("normal", "400"), ("normal", "700")]


def test_the_pdf_opens_with_its_bookmarks_and_carries_no_web_settings(pdf):
    assert pdf.trailer["/Root"]["/PageMode"] == "/UseOutlines"
    assert "/viewport" not in pdf.metadata
    assert pdf.metadata["/handoutversion"] and pdf.metadata["/handoutreviewdue"]


def test_a_boxes_title_is_a_heading_readers_can_jump_to(pdf, built):
    page = lxml.html.parse(str(built.outputs(KETAMINE)["html"])).getroot()
    titles = page.find_class("callout-title")
    assert titles and all(t.tag in ("h2", "h3", "h4") for t in titles)
    def titles_of(items):
        return [t for item in items for t in
                (titles_of(item) if isinstance(item, list) else [item.title])]
    outline = titles_of(pdf.outline)
    word = docx.Document(str(built.outputs(KETAMINE)["docx"]))
    outlined = [p.text for t in word.tables for p in t.cell(0, 0).paragraphs
                if p._p.pPr is not None and p._p.pPr.find(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}outlineLvl")
                is not None]
    for title in titles:
        assert title.text_content() in outline and title.text_content() in outlined


def test_the_boxes_stay_visible_when_photocopied_in_grey(built):
    """Printed in grayscale, the key-points box's tint all but vanishes, so its rule must
    carry it: a dark vertical line as tall as the box, at least 3:1 against the paper."""
    import pypdfium2
    document = pypdfium2.PdfDocument(str(built.outputs(KETAMINE)["pdf"]))
    page = document[0].render(scale=60 / 72, grayscale=True).to_pil().convert("L")
    document.close()
    width, height = page.size
    pixels = page.load()
    line_px = 12 * 1.45 * 60 / 72  # one line of body text at 60 dpi

    def longest_dark_run(x):
        longest = run = 0
        for y in range(height):
            run = run + 1 if pixels[x, y] < 150 else 0
            longest = max(longest, run)
        return longest
    runs = {x: longest_dark_run(x) for x in range(width)}
    x, tallest = max(runs.items(), key=lambda item: item[1])
    assert tallest >= 4 * line_px, "no rule as tall as the box: only its tint would show"
    def luminance(grey):  # WCAG relative luminance of a grey level
        c = grey / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    rule = min(pixels[x, y] for y in range(height))
    assert (luminance(255) + 0.05) / (luminance(rule) + 0.05) >= 3


def _struct_walk(reader):
    """(reachable struct elements, every struct element in the file)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
    reachable = set()

    def walk(node, ref=None):
        if isinstance(node, IndirectObject):
            ref, node = node.idnum, node.get_object()
        if not isinstance(node, DictionaryObject):
            return
        if node.get("/Type") == "/StructElem":
            reachable.add(ref)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else []:
            walk(kid)
    walk(reader.trailer["/Root"].raw_get("/StructTreeRoot"))
    numbers = {n for table in reader.xref.values() for n in table} | set(reader.xref_objStm)
    every = {n for n in numbers
             if isinstance(reader.get_object(n), DictionaryObject)
             and reader.get_object(n).get("/Type") == "/StructElem"}
    return reachable, every


def _text_by_mark(page, reader):
    """(marked-content tag, text) for each piece of text drawn on the page."""
    from pypdf.generic import ContentStream
    found, stack = [], []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator in (b"BDC", b"BMC"):
            stack.append(str(operands[0]))
        elif operator == b"EMC" and stack:
            stack.pop()
        elif operator in (b"Tj", b"TJ"):
            found.append(stack[-1] if stack else None)
    return found


def test_pdf_structure_passes_the_machine_checkable_matterhorn_points(pdf, built):
    """Page furniture is a pagination artifact (18-001); every structure element can be
    reached from the root (01-005); all other text is tagged (01-001); links have a
    /StructParent and a description (28-004, 28-008); the document has a language."""
    reachable, every = _struct_walk(pdf)
    assert every and every <= reachable, f"unreachable: {sorted(every - reachable)[:5]}"
    for number, page in enumerate(pdf.pages, 1):
        marks = _text_by_mark(page, pdf)
        assert None not in marks, "text outside any marked content"
        artifacts = marks.count("/Artifact")
        assert artifacts == (2 if number == 1 else 3), (number, marks)  # footer (+ header)
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            assert "/StructParent" in annotation and annotation.get("/Contents")
    assert pdf.trailer["/Root"]["/Lang"]


def test_links_print_where_they_lead_when_their_words_do_not_say(tmp_path):
    from conftest import MINIMAL_FRONT_MATTER, new_project
    from handouts.run.pipeline import build_document
    body = ("\n## Links\n\nRead [the pain society guide](https://www.example.org/crps/) or "
            "<https://example.org/pain>.\n")
    project = new_project(tmp_path, {"source/l.md": MINIMAL_FRONT_MATTER + body})
    build_document(project.source_dir / "l.md", project)
    paths = project.outputs("l")
    printed = " ".join(p.extract_text() for p in pypdf.PdfReader(str(paths["pdf"])).pages)
    assert re.search(r"the pain society guide\s+\(example\.org/crps\)", printed)
    assert printed.count("example.org/pain") == 1  # its words are its address already
    word = "\n".join(p.text for p in docx.Document(str(paths["docx"])).paragraphs)
    assert "the pain society guide (example.org/crps)" in word
    page = lxml.html.parse(str(paths["html"])).getroot()
    assert [s.text_content() for s in page.find_class("print-address")] == [" (example.org/crps)"]
    css = page.find(".//style").text
    assert ".print-address { display: none; }" in css and ".print-address { display: inline; }" in css


def test_the_word_file_is_styled_not_formatted_by_hand(built):
    """Every run of text takes its look from a style, so a clinic's edits stay consistent."""
    from docx.oxml.ns import qn
    word = docx.Document(str(built.outputs(KETAMINE)["docx"]))
    runs = list(word.element.body.iter(qn("w:r")))
    direct = [r for r in runs if r.rPr is not None
              and any(child.tag != qn("w:rStyle") for child in r.rPr)]
    assert len(runs) > 50 and direct == []


def test_each_reference_leads_back_to_where_it_is_first_cited_on_screen(pdf, built):
    page = lxml.html.parse(str(built.outputs(KETAMINE)["html"])).getroot()
    entries = page.xpath("//ol[@class='references']/li")
    assert entries
    for entry in entries:
        back = entry.find_class("back-link")[0]
        cited = page.get_element_by_id(back.get("href")[1:])
        assert "citation" in cited.get("class")
        assert entry.get("id") in {a.get("href")[1:] for a in cited.iter("a")} or \
            entry.get("id").removeprefix("ref-") in cited.get("data-cites").split()
    assert "Back to text" not in "".join(p.extract_text() for p in pdf.pages)  # screen only


def test_whom_to_call_closes_the_text_before_the_references(tmp_path):
    """A patient looks for the clinic's phone at the end of what they read, not under the
    list of studies; on paper the name is not repeated on a page of its own."""
    import yaml
    from conftest import new_project, run_build
    project = new_project(tmp_path, with_real_sources=True)
    theme_path = project.styles_dir / "theme.yaml"
    theme = yaml.safe_load(theme_path.read_text())
    theme["organisation"].update(address="1 Example Way", phone="(555) 010-0000")
    theme_path.write_text(yaml.safe_dump(theme))
    assert run_build(project.root).returncode == 0
    for name in (KETAMINE, "ketamine-crps-patient"):
        paths = project.outputs(name)
        printed = " ".join(p.extract_text() for p in pypdf.PdfReader(str(paths["pdf"])).pages)
        word_file = docx.Document(str(paths["docx"]))
        # the contact panel is a boxed table in Word, as on paper: its cells in their place
        word = "\n".join(p.text for p in word_file.paragraphs) + "\n" + "\n".join(
            c.text for t in word_file.tables for row in t.rows for c in row.cells)
        page = lxml.html.parse(str(paths["html"])).getroot().find("body").text_content()
        for fmt, text in (("pdf", printed), ("docx", word), ("html", page)):
            if name == KETAMINE:
                # "How to refer" gives the details ({{contact}}): no panel repeats them
                assert "Contact us" not in text and text.count("(555) 010-0000") == 1, fmt
                assert text.index("(555) 010-0000") < text.rindex("References"), fmt
            else:
                assert text.index("Contact us") < text.rindex("(555) 010-0000"), fmt
    assert _more_than_a_name_on_the_last_page(project.outputs(KETAMINE)["pdf"])


def _more_than_a_name_on_the_last_page(path):
    """The last page's own text (not its running header and footer) is more than the
    clinic's name: paper is not spent on a name alone."""
    lines = pypdf.PdfReader(str(path)).pages[-1].extract_text().splitlines()
    own = [line for line in lines if line != "IV ketamine for CRPS"
           and not re.search(r"Page \d+ of \d+$", line)]
    return len(" ".join(own).split()) > len("Pain Medicine Practice".split()) + 5


def test_the_clinics_name_at_the_end_keeps_company_on_paper(built):
    """Without contact details the name closes the text; it goes over with the last
    reference rather than alone onto a fourth sheet."""
    assert _more_than_a_name_on_the_last_page(built.outputs(KETAMINE)["pdf"])


def test_without_contact_details_the_clinics_name_ends_the_word_file_as_it_ends_the_page(built):
    """The patient edition: the referrer's text holds the name already ({{contact}} in "How
    to refer"), so nothing repeats it there (tests/test_referral.py)."""
    word = docx.Document(str(built.outputs("ketamine-crps-patient")["docx"]))
    styles = [p.style.name for p in word.paragraphs if p.text.strip()]
    assert styles[-1] == "Contact" and styles.count("Contact") == 1
    referrer = docx.Document(str(built.outputs(KETAMINE)["docx"]))
    assert "Contact" not in [p.style.name for p in referrer.paragraphs]
    assert [p.style.name for p in referrer.paragraphs if p.text.strip()][-1] == "Reference"
