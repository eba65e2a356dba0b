"""The PDF read back: its text by PDFium, page by page without the running header and
footer; its outline and link targets by pypdf; and the text it draws where no one can see
it, which the stylesheet may ask for (white on white, no size, off the page, clipped)."""

from __future__ import annotations

import collections
import ctypes
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageChops
from pypdf.generic import Destination

from handouts.read.markdown import squash
from handouts.check import Expected, Extracted

SCALE = 1.5      # pixels a point when the pages are drawn to be looked at: 108 dpi
FAINTEST = 64    # of 255: how much drawing a text must change some pixel of its place
SMALLEST = 4.0   # points: a size no one reads

# pypdfium2 ships no types: its pages, page objects and matrices are Any to mypy.
Bounds = tuple[float, float, float, float]  # left, bottom, right, top: points, from below
Box = tuple[int, int, int, int]             # left, top, right, bottom: pixels, from above
# pypdf's own OutlineType stops at three levels; an outline nests as deep as the headings.
Outline: TypeAlias = "Sequence[Destination | Outline]"

# WeasyPrint draws a page's list numbers last, each a line of its own (only the running
# header and footer after them): taken out of the reading order, or a paragraph the page
# break splits after a numbered list reads as lost. Only those: a line of a narrow table
# cell can be "6)" too, the end of "(pubmed/27324986)" broken anywhere.
LIST_NUMBER = re.compile(r"^[ \t]*\d{1,4}[.)][ \t]*\r?$")
FURNITURE_LINES = 6  # the most lines the running header and footer take, drawn after them


def _without_list_numbers(page: str) -> str:
    lines = page.split("\n")
    end = len(lines) - 1
    while end >= 0 and len(lines) - 1 - end < FURNITURE_LINES and \
            not LIST_NUMBER.match(lines[end]):
        end -= 1
    start = end
    while start >= 0 and LIST_NUMBER.match(lines[start]):
        start -= 1
    return "\n".join(lines[:start + 1] + lines[end + 1:])


def read(path: Path, want: Expected | None = None) -> Extracted:
    reader = pypdf.PdfReader(str(path))
    pages = pdf_page_texts(path)
    text = "\n".join(pages)
    targets: set[str] = set()
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            dest = annot.get("/Dest") or (annot.get("/A") or {}).get("/D")
            if isinstance(dest, str):
                targets.add(str(dest))
    # The PDF has no structure a text reader can tell a marker by; the link annotations
    # pointing at the reference list stand for the in-text markers.
    bodies: list[str] = []
    notes: list[str] = []
    # Each note is at the foot of one page: once found there, it is not looked for again
    # (a note style's short note can read like a later reference entry).
    remaining = collections.Counter(squash(b.text) for b in want.blocks
                                    if b.notes and squash(b.text)) if want else None
    for n, page_text in enumerate(pages, 1):
        if want and remaining is not None:
            body, foot = _notes_apart(
                _without_furniture(squash(_without_list_numbers(page_text)), n, len(pages),
                                   want),
                remaining)
            bodies.append(body)
            notes += foot
    return Extracted(headings=_outline_titles(reader.outline), text=text,
                     reference_entries=[text], markers=None, link_targets=targets,
                     blocks_text="".join(bodies) if want else None,
                     notes="".join(notes) if want else None,
                     hidden=hidden_texts(path), formulas=_formulas(reader, want),
                     outside=outside_texts(path, want.margins) if want and want.margins else [])


def outside_texts(path: Path, margins: tuple[float, float, float, float]
                  ) -> list[tuple[int, str, str]]:
    """(page, text, where) for every run of text past the page's edges or the text box's
    sides (the page checker's judgement: check.pages)."""
    from handouts.check import pages
    return pages.outside_runs(path, pages.Margins(*margins))


def _formulas(reader: pypdf.PdfReader, want: Expected | None) -> list[str]:
    """The alternative texts of the PDF's figures that are a formula's TeX: each formula
    is a picture, tagged as a figure described by its TeX."""
    tex = {f.tex for f in want.formulas} if want else set()
    root = reader.root_object.get("/StructTreeRoot")
    found: list[str] = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop().get_object()
        if not isinstance(node, dict):
            continue
        alt = node.get("/Alt")
        if node.get("/S") == "/Figure" and alt is not None and str(alt) in tex:
            found.append(str(alt))
        kids = node.get("/K")
        stack += reversed(kids) if isinstance(kids, list) else [kids] if kids is not None else []
    return found


def _notes_apart(page: str, remaining: collections.Counter[str]) -> tuple[str, list[str]]:
    """A page's squashed text without the footnotes at its foot, and those notes' texts in
    the order they stand there; remaining counts the notes not yet found on an earlier page
    (two notes may say the same). The notes are the page's last text (its furniture taken
    off), so they are peeled off its end first, each with its number: a note's words found
    higher on the page (code that shows the note's own Markdown) are the page's, and a
    paragraph the page break splits reads whole again. What cannot be peeled (a box's label
    stands between a note's blocks) is taken where it stands last on the page."""
    peeled: list[str] = []
    number: int | None = None  # the number of the last note peeled, where it was read
    while True:
        # a longer note ends with a shorter one's words: the longer is tried first; the
        # number of the note below stands between two notes
        candidates = sorted((t for t in remaining if remaining[t] > 0), key=len, reverse=True)
        hit = next(((text, cut) for cut in _numbers_at_end(page, peeled) for text in candidates
                    if page[:len(page) - len(cut)].endswith(text)), None)
        if hit is None:
            break
        text, cut = hit
        number = int(cut) if cut else None
        page = page[:len(page) - len(cut) - len(text)]
        peeled.insert(0, text)
        remaining[text] -= 1
    if peeled:  # the first note's own number: one less than the next one's, or one digit
        first = str(number - 1) if number else page[-1:]
        page = page[:-len(first)] if first.isdigit() and page.endswith(first) else page
    placed: list[tuple[int, str]] = []
    for text in sorted(remaining, key=len, reverse=True):  # a longer note holds a shorter
        for _ in range(remaining[text]):
            at = page.rfind(text)
            if at < 0:
                break
            placed.append((at, text))
            remaining[text] -= 1
            page = page[:at] + "\0" * len(text) + page[at + len(text):]
    placed.sort()
    return page.replace("\0", ""), [text for _, text in placed] + peeled


def _numbers_at_end(page: str, peeled: list[str]) -> list[str]:
    """The note numbers that may end the page: none before the first note is peeled; then
    the shortest digits first (no number is longer than four)."""
    if not peeled:
        return [""]
    digits = len(page) - len(page.rstrip("0123456789"))
    return [page[len(page) - n:] for n in range(1, min(digits, 4) + 1)]


def pdf_page_texts(path: Path) -> list[str]:
    """Each page's text in drawing order, read by PDFium: the same text a PDF reader finds
    and copies, at a fraction of pypdf's time. PDFium reports a hyphen that ends a line as
    U+FFFE; it is the hyphen printed there."""
    document = pdfium.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range().replace("\ufffe", "-")
                for page in document]
    finally:
        document.close()


def hidden_texts(path: Path) -> list[str]:
    """The texts the PDF draws where they cannot be seen, page by page. Each page is drawn
    with its text and without it: a text whose place on the page drawing it did not change
    is the colour of what lies behind it, transparent, clipped, covered or off the page."""
    document = pdfium.PdfDocument(str(path))
    try:
        return [text for page in document for text in _hidden_on(page)]
    finally:
        document.close()


def _hidden_on(page: pdfium.PdfPage) -> list[str]:
    texts, places = _texts(page)
    if not texts:
        return []
    shown = _drawn(page)
    drawn = ImageChops.difference(shown, _drawn(page, texts))
    boxes = [_pixels(bounds, shown.height) for bounds, _ in places]
    textpage = page.get_textpage()
    hidden: list[str] = []
    for text, (_, scale), box in zip(texts, places, boxes):
        words = _text_of(text, textpage)
        if not squash(words):
            continue
        seen = _size(text) * scale >= SMALLEST and _changed(drawn, box)
        if seen and any(_overlap(box, other) for other in boxes if other is not box):
            # Where another text is drawn too, only this one's own drawing tells.
            seen = _changed(ImageChops.difference(shown, _drawn(page, [text])), box)
        hidden += [] if seen else [words]
    return hidden


def _texts(page: pdfium.PdfPage) -> tuple[list[pdfium.PdfObject],
                                          list[tuple[Bounds, float]]]:
    """The page's text objects, and for each its bounds on the page and the scale it is
    drawn at: inside a form (WeasyPrint's groups for opacity), through the form's matrix."""
    texts: list[pdfium.PdfObject] = []
    places: list[tuple[Bounds, float]] = []
    forms: list[pdfium.PdfMatrix] = []
    for item in page.get_objects():
        del forms[item.level:]
        if item.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            forms.append(item.get_matrix())
        elif item.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
            bounds, scale = item.get_bounds(), 1.0
            for matrix in reversed(forms):
                bounds = matrix.on_rect(*bounds)
                scale *= math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
            texts.append(item)
            places.append((bounds, scale))
    return texts, places


def _drawn(page: pdfium.PdfPage, leaving_out: Sequence[pdfium.PdfObject] = ()) -> Image.Image:
    """The page as a picture, without the texts left out (made invisible meanwhile)."""
    modes = [pdfium_c.FPDFTextObj_GetTextRenderMode(text.raw) for text in leaving_out]
    for text in leaving_out:
        pdfium_c.FPDFTextObj_SetTextRenderMode(text.raw, pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)
    try:
        picture: Image.Image = page.render(scale=SCALE).to_pil()
        return picture
    finally:
        for text, mode in zip(leaving_out, modes):
            pdfium_c.FPDFTextObj_SetTextRenderMode(text.raw, mode)


def _pixels(bounds: Bounds, height: int) -> Box:
    left, bottom, right, top = (value * SCALE for value in bounds)
    return (max(0, math.floor(left)), max(0, math.floor(height - top)),
            math.ceil(right), math.ceil(height - bottom))


def _changed(difference: Image.Image, box: Box) -> bool:
    left, top, right, bottom = box
    right, bottom = min(right, difference.width), min(bottom, difference.height)
    if right <= left or bottom <= top:  # off the page
        return False
    bands = difference.crop((left, top, right, bottom)).getextrema()
    # The page is drawn in colour: a (low, high) pair for each band, never one pair.
    return max(band[1] for band in bands if isinstance(band, tuple)) >= FAINTEST


def _overlap(one: Box, other: Box) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


def _size(text: pdfium.PdfObject) -> float:
    """The size the text is printed at, in points."""
    size = ctypes.c_float()
    pdfium_c.FPDFTextObj_GetFontSize(text.raw, size)
    matrix = text.get_matrix()
    return size.value * math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))


def _text_of(text: pdfium.PdfObject, textpage: pdfium.PdfTextPage) -> str:
    length = pdfium_c.FPDFTextObj_GetText(text.raw, textpage.raw, None, 0)  # bytes, UTF-16
    buffer = ctypes.create_string_buffer(length)
    pdfium_c.FPDFTextObj_GetText(text.raw, textpage.raw,
                                 ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)), length)
    return buffer.raw.decode("utf-16-le").rstrip("\0")


def _without_furniture(page: str, number: int, total: int, want: Expected) -> str:
    """A page's squashed text less the running header and footer at its start and end. Each
    is drawn once a page, so each is taken off once at each end: the title page's own
    title and version line, which the footer repeats, stay. The end first, where PDFium
    puts them, and what is taken off there is not taken off the start again: a page whose
    text starts with the running title's words ('Content tabs are linked ...' under the
    running title 'Content tabs') keeps them."""
    # The running title (furniture[1:]) is printed from page 2 on; the first page has none.
    # On the first page: the footer, and a draft's mark (furniture[3]) alone at the right.
    furniture = want.furniture if number > 1 else want.furniture[:1] + want.furniture[3:]
    pieces = [squash(want.page_label(number, total))] + [squash(t) for t in furniture]
    left = [piece for piece in pieces if piece]
    for at_start in (False, True):
        while found := next((p for p in left if (page.startswith(p) if at_start
                                                 else page.endswith(p))), None):
            page = page[len(found):] if at_start else page[:-len(found)]
            left.remove(found)
    return page


def _outline_titles(outline: Outline) -> list[str]:
    titles: list[str] = []
    for item in outline:
        if isinstance(item, Destination):  # a heading (pypdf's OutlineItem)
            titles.append(str(item.title))
        else:  # the headings under the one before
            titles += _outline_titles(item)
    return titles
