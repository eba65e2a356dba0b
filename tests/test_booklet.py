"""A folded booklet (issue 23, item 7): 'paper: booklet' writes NAME-booklet.pdf beside
NAME.pdf, the half pages imposed two-up on landscape sheets in saddle-stitch order.

The ketamine patient edition is built as a booklet, and each sheet side is read back in
halves (by x position): the page numbers in the footers give the printing order, which is
compared with the order worked out here by hand; every page appears once, blanks only at
the end; the text of the half pages, read in page order, is the text of the ordinary PDF,
word for word; the sheets are rendered and the blank halves are white."""

import dataclasses
import math
import re
import shutil

import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from conftest import MINIMAL_FRONT_MATTER, ROOT, new_project, run_build
from handouts import check as verify
from handouts.check import pages
from handouts.style.theme import load_theme
from handouts.write.pdf.booklet import half_margins, printing_order

LETTER_LANDSCAPE = (792, 612)
ROOT_MAKEFILE = ROOT / "Makefile"
A4_LANDSCAPE = (841.89, 595.28)


def squash(text):
    return verify._squash(text)


def test_printing_order_is_saddle_stitch():
    # 8 pages on 2 sheets: sheet 1 front 8|1, back 2|7; sheet 2 front 6|3, back 4|5.
    assert printing_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    # 5 pages: padded to 8, the blanks last in the booklet (pages 6 to 8).
    assert printing_order(5) == [(None, 1), (2, None), (None, 3), (4, 5)]
    assert printing_order(1) == [(None, 1), (None, None)]


def halves(path):
    """(left text, right text) of each side of each sheet, split at the sheet's middle."""
    pdf = pdfium.PdfDocument(str(path))
    found = []
    for page in pdf:
        width, height = page.get_size()
        text = page.get_textpage()
        found.append(tuple(text.get_text_bounded(left=x, bottom=0, right=x + width / 2,
                                                 top=height)
                           for x in (0, width / 2)))
    return found


PAGE_LABEL = re.compile(r"Page (\d+) of (\d+)")


def number(text):
    """The page number a half page's footer prints; None for a blank half."""
    if not text.strip():
        return None
    found = PAGE_LABEL.findall(text)
    assert len(found) == 1, text
    return int(found[0][0]), int(found[0][1])


def without_furniture(text, running_title, *controls):
    """A half page's words: no running title, version line or page number; no bullets,
    which the PDF draws apart from their items' text, and no hyphens, which PDFium drops
    at a line's end when it reads a region ("N-methyl-" / "D-aspartate")."""
    text = squash(PAGE_LABEL.sub("", text)).replace("•", "")
    text = text.replace(squash(running_title), "")
    for control in controls:  # the document control line, then a half page's footer
        text = text.replace(squash(control), "")
    return text.replace("-", "").replace("\x02", "")  # \x02: PDFium's mark for it


@pytest.fixture(scope="module")
def booklet(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("booklet"), with_real_sources=True)
    source = project.source_dir / "ketamine-crps.md"
    text = source.read_text()
    assert "\npaper: letter\n" in text
    source.write_text(text.replace("\npaper: letter\n", "\npaper: booklet\n"))
    result = run_build(project.root, source)
    assert result.returncode == 0, result.stderr
    assert "folded booklet output/ketamine-crps-patient-booklet.pdf" in result.stdout \
        or "ketamine-crps-patient-booklet.pdf: print on both sides" in result.stdout
    return project


def test_the_booklet_is_written_beside_the_ordinary_pdf(booklet):
    ordinary = booklet.outputs("ketamine-crps-patient")["pdf"]
    folded = booklet.output_dir / "ketamine-crps-patient-booklet.pdf"
    assert ordinary.exists() and folded.exists()
    page = pypdf.PdfReader(str(ordinary)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (612, 792)
    for sheet in pypdf.PdfReader(str(folded)).pages:
        assert (float(sheet.mediabox.width), float(sheet.mediabox.height)) == LETTER_LANDSCAPE


def test_the_sheets_are_in_saddle_stitch_order_with_blanks_at_the_end(booklet):
    folded = booklet.output_dir / "ketamine-crps-patient-booklet.pdf"
    sides = [(number(left), number(right)) for left, right in halves(folded)]
    totals = {n[1] for side in sides for n in side if n}
    assert len(totals) == 1  # every footer says "of N", the same N
    pages = totals.pop()
    assert pages > 4  # more than one sheet: the order means something
    sheets = math.ceil(pages / 4)
    assert len(sides) == 2 * sheets
    padded = sheets * 4
    expected = []
    for s in range(sheets):  # by hand: front last|first, back second|last but one, inwards
        expected += [(padded - 2 * s, 2 * s + 1), (2 * s + 2, padded - 2 * s - 1)]
    got = [tuple(n[0] if n else None for n in side) for side in sides]
    assert got == [tuple(p if p <= pages else None for p in side) for side in expected]
    numbers = sorted(n for side in got for n in side if n)
    assert numbers == list(range(1, pages + 1))  # each page exactly once
    blanks = [p for side, want in zip(got, expected) for g, p in zip(side, want) if g is None]
    assert sorted(blanks) == list(range(pages + 1, padded + 1))  # at the end


def test_every_page_of_text_appears_once_in_reading_order(booklet):
    ordinary = booklet.outputs("ketamine-crps-patient")["pdf"]
    folded = booklet.output_dir / "ketamine-crps-patient-booklet.pdf"
    by_number = {}
    for side in halves(folded):
        for text in side:
            if number(text):
                by_number[number(text)[0]] = text
    pdf = pdfium.PdfDocument(str(ordinary))
    normal = [page.get_textpage().get_text_range() for page in pdf]
    running_title = "IV ketamine for CRPS"
    control = re.search(r"Version 1\.0 · Issued .*?2027", " ".join(normal[0].split())).group(0)
    booklet_text = "".join(without_furniture(by_number[n], running_title, control,
                                             "Version 1.0") for n in sorted(by_number))
    ordinary_text = "".join(without_furniture(t, running_title, control) for t in normal)
    assert len(ordinary_text) > 4000
    assert booklet_text == ordinary_text
    for words in ("Complex regional pain syndrome (CRPS) is a nerve pain problem",
                  "Questions to ask your care team", "Will my insurance cover this treatment?"):
        assert booklet_text.count(squash(words)) == ordinary_text.count(squash(words)) >= 1


def test_the_booklet_keeps_the_document_information_and_language(booklet):
    folded = pypdf.PdfReader(str(booklet.output_dir / "ketamine-crps-patient-booklet.pdf"))
    assert folded.metadata.title == "Intravenous Ketamine for Complex Regional Pain Syndrome"
    assert folded.metadata.author == "Pain Medicine Practice"
    assert folded.trailer["/Root"]["/Lang"] == "en-US"
    xmp = folded.xmp_metadata.stream.get_data().decode()
    assert "<handout:Version>1.0</handout:Version>" in xmp
    # Links survive the imposition, placed on the sheet (the references' addresses).
    ordinary = pypdf.PdfReader(str(booklet.outputs("ketamine-crps-patient")["pdf"]))
    count = lambda reader: sum(len(p.get("/Annots") or []) for p in reader.pages)  # noqa: E731
    assert count(folded) == count(ordinary)


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) not installed")
def test_the_rendered_sheets_are_printed_halves_and_white_blanks(booklet, tmp_path):
    import subprocess
    folded = booklet.output_dir / "ketamine-crps-patient-booklet.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(folded), str(tmp_path / "sheet")],
                   check=True)
    images = sorted(tmp_path.glob("sheet-*.png"))
    sides = halves(folded)
    assert len(images) == len(sides)
    for path, side in zip(images, sides):
        with Image.open(path) as image:
            gray = image.convert("L")
            width, height = gray.size
            for slot, text in enumerate(side):
                half = gray.crop((slot * width // 2, 0, (slot + 1) * width // 2, height))
                inked = sum(half.histogram()[:200])  # pixels darker than paper
                if text.strip():
                    assert inked > 500, f"{path.name} half {slot}: printed page looks empty"
                else:
                    assert inked == 0, f"{path.name} half {slot}: a blank page has ink"


def test_a4_booklet_and_the_theme_setting(tmp_path):
    body = "\n## One\n\nSome text.\n\n## Two\n\nMore text.\n"
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER.replace(
        "lang: en-US", "lang: en-US\npaper: a4 booklet") + body,
        "source/b.md": MINIMAL_FRONT_MATTER + body})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    sheet = pypdf.PdfReader(str(project.output_dir / "a-booklet.pdf")).pages[0]
    assert (round(float(sheet.mediabox.width)), round(float(sheet.mediabox.height))) == \
        tuple(round(v) for v in A4_LANDSCAPE)
    assert not (project.output_dir / "b-booklet.pdf").exists()
    theme = project.styles_dir / "theme.yaml"
    theme.write_text(re.sub(r"(?m)^paper:.*$", "", theme.read_text()) + "\npaper: booklet\n")
    result = run_build(project.root, "source/b.md")
    assert result.returncode == 0, result.stderr
    assert (project.output_dir / "b-booklet.pdf").exists()
    # A handout withdrawn (its source deleted) takes its booklet with it.
    (project.source_dir / "a.md").unlink()
    result = run_build(project.root, "--report")
    assert result.returncode == 0, result.stderr
    assert not (project.output_dir / "a-booklet.pdf").exists()
    assert (project.output_dir / "b-booklet.pdf").exists()


def test_an_unknown_paper_names_the_choices(tmp_path):
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER.replace(
        "lang: en-US", "lang: en-US\npaper: folded") + "\n## One\n\nText.\n"})
    result = run_build(project.root)
    assert result.returncode == 1
    assert "unknown paper size 'folded'; use letter or a4, and booklet" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_half_pages_are_verified_before_the_booklet_is_put_in_place(tmp_path, monkeypatch):
    """The half pages are read back as the ordinary PDF is: a paragraph they lost stops
    the build, and no booklet is written."""
    from handouts.write.pdf import booklet as folding
    laid_out = folding.half_page_css
    monkeypatch.setattr(folding, "half_page_css",
                        lambda *args: laid_out(*args) + "h2 + p { display: none }\n")
    body = "\n## One\n\nA paragraph the booklet loses.\n\n## Two\n\nMore text.\n"
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER.replace(
        "lang: en-US", "lang: en-US\npaper: booklet") + body})
    result = run_build(project.root)
    assert result.returncode == 1
    assert "a-booklet.pdf: the booklet's pages lost content: " in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project.output_dir / "a-booklet.pdf").exists()
    assert not [p for p in project.output_dir.iterdir() if p.name.startswith(".a-booklet")]


def test_make_booklet_asks_for_one_of_every_handout(tmp_path):
    """make booklet runs build.py --booklet: a booklet of a handout that does not ask for
    one in its front matter."""
    project = new_project(tmp_path, {"source/b.md": MINIMAL_FRONT_MATTER
                                     + "\n## One\n\nSome text.\n"})
    result = run_build(project.root, "--booklet")
    assert result.returncode == 0, result.stderr
    assert "folded booklet output/b-booklet.pdf: print on both sides, flipping on the short " \
           "edge" in result.stdout.replace(str(project.root) + "/", "")
    sheets = pypdf.PdfReader(str(project.output_dir / "b-booklet.pdf")).pages
    assert len(sheets) == 2  # one sheet, front and back, for a one-page handout
    # Listed in output/report.json and linked from the catalogue page.
    import json
    report = json.loads((project.output_dir / "report.json").read_text())
    assert report["handouts"][0]["files"]["booklet"]["path"] == "b-booklet.pdf"
    assert 'href="b-booklet.pdf"' in (project.output_dir / "index.html").read_text()
    assert "booklet:" in (ROOT_MAKEFILE.read_text()) and "build.py --booklet" in \
        ROOT_MAKEFILE.read_text()


def half_pages(path):
    """The half pages of a booklet, in reading order, for the page checker: each sheet
    side read by the checker and its lines, pictures and boxes parted at the middle (the
    half sheets are imposed at full size: only the right half is moved across)."""
    sides = pages.read(path, two_up=True)
    found = {}
    for side, numbers in zip(sides, printing_order(2 * len(sides))):
        middle = side.width / 2
        for slot, page_number in enumerate(numbers):
            shift = slot * middle
            half = pages.Page(page_number or 0, middle, side.height)
            half.lines = [dataclasses.replace(line, left=line.left - shift,
                                              right=line.right - shift)
                          for line in side.lines if (line.left >= middle) == bool(slot)]
            for name in ("pictures", "boxes", "rules"):
                setattr(half, name, [dataclasses.replace(a, left=a.left - shift,
                                                         right=a.right - shift)
                                     for a in getattr(side, name)
                                     if (a.left >= middle - 1) == bool(slot)])
            found[page_number] = half
    # (printing_order here numbers every half; the blanks at the end hold no lines)
    return [found[n] for n in sorted(found) if found[n].lines]


def test_the_half_pages_pass_the_page_checker(booklet):
    """No stranded heading, no hole, nothing off the half page, and the footer (the
    version, and the page number) on one line, on every half page of both editions."""
    theme = load_theme(booklet.styles_dir / "theme.yaml")
    m = half_margins(theme.margins_mm)
    margins = pages.Margins(*(m[side] * pages.MM for side in ("top", "right", "bottom", "left")))
    for name in ("ketamine-crps-patient", "ketamine-crps-referrer"):
        laid = half_pages(booklet.output_dir / f"{name}-booklet.pdf")
        assert [number(" ".join(line.text for line in p.lines))[0] for p in laid] == \
            list(range(1, len(laid) + 1))
        assert pages.check_pages(laid, margins) == [], name
        for half in laid:
            foot = pages.furniture(half, margins)[1]
            assert len(foot) == 1 and foot[0].text.startswith("Version "), foot
