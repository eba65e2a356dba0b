"""The page checker: a PDF's pages judged as a print designer would, page by page.

It reads the text of each page with its place (PDFium, through pypdfium2), groups it into
lines, and finds the pictures and drawn boxes; then it reports

- a heading or caption in the bottom 15% of a page without two lines of its content below
  it on that page (`stranded`);
- a page other than the last less than 75% full, unless a break was asked for there or
  what starts the next page is a block kept together that did not fit (`hole`);
- text outside the page, or outside the text box left and right (`off-page`);
- a running header or footer on more than one line (`furniture`);
- and, given the page count of the Word file (as LibreOffice prints it), counts that
  differ by more than one (`page-count`).

Headings and captions are told by their type: a line set wholly in bold, or at least 8%
larger than the body text (the size most of the page's letters are set in). Structure tags
would name them exactly, but only WeasyPrint's PDF has them: LibreOffice's PDF of the Word
file is untagged unless asked, and the same rule must judge both. A line wholly in bold that
is not a heading (a paragraph all in bold) is held to the same rule, which is what a reader
sees of it anyway.

The text box is the page less the theme's margins (margins_of); the running header and
footer are the lines in the top and bottom margins.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

if TYPE_CHECKING:
    from handouts.style.theme import Theme

MM = 72 / 25.4       # points a millimetre
FOOT = 0.15          # the bottom part of a page where a heading needs its lines below it
FULL = 0.75          # how full a page other than the last must be
LARGER = 1.08        # a heading's size against the body's
SMALLEST = 0.7      # the scale a picture may be set at before it moves to the next page
SLACK = 1.5          # points: rounding, and a glyph's side bearing past its advance
SPACE = 16           # points: the space a block keeps above and below it (a figure's, a box's)


# A list item's line: its bullet or number first.
LIST_ITEM = re.compile(r"^([•◦▪‣–—-]|\d{1,3}[.)]|[a-z][.)])\s")

# A letter read off the page: itself, left, top, right, bottom (points, from the top),
# its size, whether it is bold and whether its font is monospaced (code).
Char = tuple[str, float, float, float, float, float, bool, bool]


class Margins(NamedTuple):
    """The page's margins in points."""
    top: float
    right: float
    bottom: float
    left: float


def margins_of(theme: Theme) -> Margins:
    m = theme.margins_mm
    return Margins(m["top"] * MM, m["right"] * MM, m["bottom"] * MM, m["left"] * MM)


@dataclass
class Line:
    """A line of text on a page; places in points from the top of the page."""
    text: str
    top: float
    bottom: float
    left: float
    right: float
    size: float              # the size most of its letters are set in
    bold: bool               # every letter bold
    letters: int = 0
    code: bool = False       # every letter in a monospaced font

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class Area:
    """A picture or a drawn box (a filled or stroked path), in points from the top."""
    top: float
    bottom: float
    left: float
    right: float


@dataclass
class Page:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)       # the text, furniture included
    pictures: list[Area] = field(default_factory=list)
    boxes: list[Area] = field(default_factory=list)
    rules: list[Area] = field(default_factory=list)      # thin lines, 60 pt long or more


@dataclass(frozen=True)
class Finding:
    page: int
    kind: str      # stranded, hole, off-page, furniture, page-count
    message: str

    def __str__(self) -> str:
        return f"page {self.page}: {self.message}" if self.page else self.message


def read(path: Path, two_up: bool = False) -> list[Page]:
    """Every page's lines, pictures and boxes; two_up: the pages are sheets holding two
    pages side by side (a booklet's), so no line runs across their middle."""
    document = pdfium.PdfDocument(str(path))
    try:
        return [_page(number, page, two_up) for number, page in enumerate(document, 1)]
    finally:
        document.close()


def page_count(path: Path) -> int:
    document = pdfium.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def _page(number: int, page: pdfium.PdfPage, two_up: bool = False) -> Page:
    width, height = page.get_size()
    middle = width / 2 if two_up else None
    out = Page(number, width, height)
    textpage = page.get_textpage()
    raw = textpage.raw
    current: list[Char] = []
    lines: list[list[Char]] = []
    weight_name = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    for index in range(textpage.count_chars()):
        char = chr(pdfium_c.FPDFText_GetUnicode(raw, index))
        if char in "\r\n":  # PDFium's own line ends
            if current:
                lines.append(current)
                current = []
            continue
        if char in "\ufffe\x02":
            continue
        left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), \
            ctypes.c_double()
        if not pdfium_c.FPDFText_GetCharBox(raw, index, left, right, bottom, top):
            continue
        box = (left.value, height - top.value, right.value, height - bottom.value)
        if char.isspace() or box[2] <= box[0]:
            if current and char.isspace():
                current.append((" ",) + current[-1][1:])  # keep the word gap
            continue
        size = pdfium_c.FPDFText_GetFontSize(raw, index)
        weight = pdfium_c.FPDFText_GetFontWeight(raw, index)
        pdfium_c.FPDFText_GetFontInfo(raw, index, weight_name, 256, flags)
        name = weight_name.value.decode("latin-1", "replace")
        bold = weight >= 600 or bool(re.search(r"bold|black|heavy|semibold", name, re.I)) \
            or bool(flags.value & (1 << 18))  # ForceBold
        mono = bool(flags.value & 1) or bool(re.search(r"mono|courier|consol", name, re.I))
        if current:
            shown = [c for c in current if c[0] != " "]
            upper, lower = min(c[2] for c in shown), max(c[4] for c in shown)
            reach = (lower - upper) * 0.4
            if box[3] < upper - reach or box[1] > lower + reach or \
                    _across(middle, current[-1][1], box[0]):  # not this line's
                lines.append(current)
                current = []
        current.append((char, box[0], box[1], box[2], box[3], size, bold, mono))
    if current:
        lines.append(current)
    out.lines = [_line(chars) for chars in lines if any(c[0] != " " for c in chars)]
    out.lines.sort(key=lambda line: (round(line.top), line.left))
    out.lines = _merged(out.lines, middle)
    _areas(page, out)
    return out


def _line(chars: list[Char]) -> Line:
    shown = [c for c in chars if c[0] != " "]
    sizes: dict[float, int] = {}
    for c in shown:
        sizes[round(c[5], 1)] = sizes.get(round(c[5], 1), 0) + 1
    return Line(text=re.sub(r" +", " ", "".join(c[0] for c in chars)).strip(),
                top=min(c[2] for c in shown), bottom=max(c[4] for c in shown),
                left=min(c[1] for c in shown), right=max(c[3] for c in shown),
                size=max(sizes, key=lambda s: sizes[s]),
                bold=all(c[6] for c in shown if c[0].isalnum()) and any(c[0].isalnum()
                                                                        for c in shown),
                letters=len(shown), code=all(c[7] for c in shown))


def _across(middle: float | None, left: float, right: float) -> bool:
    """Whether two places are on either side of a two-up sheet's middle."""
    return middle is not None and (left < middle) != (right < middle)


def _merged(lines: list[Line], middle: float | None = None) -> list[Line]:
    """Runs of text PDFium read apart that share a line (a list's number drawn last, a
    right-aligned page number) joined into one line, left to right; never across a two-up
    sheet's middle."""
    out: list[Line] = []
    for line in lines:
        centre = (line.top + line.bottom) / 2
        mate = next((o for o in reversed(out[-6:]) if o.top - 0.5 <= centre <= o.bottom + 0.5
                     and not _across(middle, o.left, line.left)), None)
        if mate is None:
            out.append(line)
            continue
        first, second = (mate, line) if mate.left <= line.left else (line, mate)
        joined = Line(f"{first.text} {second.text}", min(mate.top, line.top),
                      max(mate.bottom, line.bottom), min(mate.left, line.left),
                      max(mate.right, line.right),
                      mate.size if mate.letters >= line.letters else line.size,
                      mate.bold and line.bold, mate.letters + line.letters,
                      mate.code and line.code)
        out[out.index(mate)] = joined
    return out


def _areas(page: pdfium.PdfPage, out: Page) -> None:
    """The page's pictures and drawn boxes, through the forms they sit in."""
    forms: list[pdfium.PdfMatrix] = []
    for item in page.get_objects():
        del forms[item.level:]
        if item.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            forms.append(item.get_matrix())
            continue
        if item.type not in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH):
            continue
        bounds = item.get_bounds()
        for matrix in reversed(forms):
            bounds = matrix.on_rect(*bounds)
        left, bottom, right, top = bounds
        area = Area(out.height - top, out.height - bottom, left, right)
        if item.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            out.pictures.append(area)
        elif 4 < area.bottom - area.top < out.height * 0.8 and area.right - area.left > 20:
            out.boxes.append(area)  # not a rule, a bullet, an underline or the page's ground
        elif area.bottom - area.top <= 2 and area.right - area.left > 60:
            out.rules.append(area)


def body_size(pages: list[Page], margins: Margins) -> float:
    """The size most of the text box's letters are set in, code left out (set smaller, it
    would make the body text of a page of code examples read as headings)."""
    sizes: dict[float, int] = {}
    for page in pages:
        for line in _body(page, margins):
            if line.code:
                continue
            sizes[line.size] = sizes.get(line.size, 0) + line.letters
    return max(sizes, key=lambda s: sizes[s]) if sizes else 0.0


def _body(page: Page, margins: Margins) -> list[Line]:
    """The lines in the text box: not in the top or bottom margin."""
    return [line for line in page.lines
            if line.bottom > margins.top + SLACK and line.top < page.height - margins.bottom - SLACK]


def furniture(page: Page, margins: Margins) -> tuple[list[Line], list[Line]]:
    """The lines in the top margin and in the bottom margin."""
    return ([line for line in page.lines if line.bottom <= margins.top + SLACK],
            [line for line in page.lines if line.top >= page.height - margins.bottom - SLACK])


def is_heading(line: Line, body: float) -> bool:
    if line.code:
        return False
    if LIST_ITEM.match(line.text) and not line.text.endswith(":") and \
            line.size < body * LARGER:
        return False  # a list item in bold (a heading may be numbered, but is larger)
    return line.bold or (body > 0 and line.size >= body * LARGER)


def check(path: Path, margins: Margins, breaks: Collection[int] = (),
          word_pages: int | None = None, shrink: float = SMALLEST) -> list[Finding]:
    """Every finding on every page of the PDF at path. breaks: the pages after which a
    break was asked for; word_pages: the Word file's page count, where it is known; shrink:
    how small a picture may be set to stay on a page (1: not at all, as in Word)."""
    pages = read(path)
    return check_pages(pages, margins, breaks, word_pages, shrink)


def check_pages(pages: list[Page], margins: Margins, breaks: Collection[int] = (),
                word_pages: int | None = None, shrink: float = SMALLEST) -> list[Finding]:
    body = body_size(pages, margins)
    findings: list[Finding] = []
    for n, page in enumerate(pages):
        findings += off_page(page, margins)
        findings += _furniture_lines(page, margins)
        findings += _stranded(page, margins, body, pages[n + 1] if n + 1 < len(pages) else None)
        if n + 1 < len(pages) and page.number not in breaks:
            findings += _hole(page, pages[n + 1], margins, body, shrink)
    if word_pages is not None and abs(word_pages - len(pages)) > 1:
        findings.append(Finding(0, "page-count", f"the PDF has {len(pages)} pages and the Word "
                                f"file {word_pages}: they differ by more than one"))
    return findings


def outside(page: Page, margins: Margins) -> list[tuple[Line, str]]:
    """The lines that run past the page's edges ("off the page"), or past the text box left
    or right ("past the margin"), each with where."""
    found = []
    for line in page.lines:
        where = _where(line.left, line.top, line.right, line.bottom, page.width, page.height,
                       margins)
        if where:
            found.append((line, where))
    return found


def _where(left: float, top: float, right: float, bottom: float, width: float,
           height: float, margins: Margins) -> str:
    """Where text at these places runs: "off the page", "past the margin" (the text box's
    left or right side), or "" (nowhere it should not)."""
    if left < -SLACK or top < -SLACK or right > width + SLACK or bottom > height + SLACK:
        return "off the page"
    if left < margins.left - SLACK or right > width - margins.right + SLACK:
        return "past the margin"
    return ""


def outside_runs(path: Path, margins: Margins) -> list[tuple[int, str, str]]:
    """(page, text, where) for each run of text past the page's edges or the text box's
    sides: outside's judgement on PDFium's text rectangles (a run of text on one line each),
    a tenth of the time reading every letter takes, for the build's own check."""
    document = pdfium.PdfDocument(str(path))
    found = []
    try:
        for number, page in enumerate(document, 1):
            width, height = page.get_size()
            textpage = page.get_textpage()
            for index in range(textpage.count_rects()):
                left, bottom, right, top = textpage.get_rect(index)  # from the page's foot
                where = _where(left, height - top, right, height - bottom, width, height,
                               margins)
                if not where:
                    continue
                text = textpage.get_text_bounded(left, bottom, right, top)
                found.append((number, re.sub(r"\s+", " ", text).strip(), where))
    finally:
        document.close()
    return found


def off_page(page: Page, margins: Margins) -> list[Finding]:
    return [Finding(page.number, "off-page", f"text '{_shown(line.text)}' runs {where} "
                    f"({line.left:.0f} to {line.right:.0f} pt of {page.width:.0f})")
            for line, where in outside(page, margins)]


def _stranded(page: Page, margins: Margins, body: float, following: Page | None
              ) -> list[Finding]:
    """A heading (or caption) in the page's foot with fewer than two lines of its content
    below it on the page; or with fewer than all of it, where it has fewer than two (a
    glossary's term with a one-line meaning, the next term at the top of the next page)."""
    lines = [line for line in _body(page, margins) if line.top < notes_top(page, margins)]
    found = []
    n = 0
    while n < len(lines):
        if not is_heading(lines[n], body) or _continues(lines, n, body):
            n += 1
            continue
        group = n
        while n < len(lines) and is_heading(lines[n], body):
            n += 1
        start = lines[group]
        if start.top < page.height * (1 - FOOT):
            continue
        below = len(lines) - n + _picture_lines(page, lines[n - 1].bottom, body)
        if following is None and not below:
            continue  # the document's last words, bold (the clinic's name): nothing follows
        if below < 2 and not (below and _starts_with_heading(
                following, margins, body)):
            found.append(Finding(page.number, "stranded",
                                 f"heading '{_shown(start.text)}' is at the foot of the page "
                                 f"with {below} line{'s' if below != 1 else ''} of its text "
                                 "below it (at least 2 wanted)"))
    return found


def _continues(lines: list[Line], n: int, body: float) -> bool:
    """Whether a line in bold goes on the paragraph above it (set as close under it as a
    paragraph's lines are, in its size): bold words inside a paragraph are no heading."""
    if n == 0:
        return False
    above, line = lines[n - 1], lines[n]
    # (a paragraph's lines stand about 0.6 of a line apart, paragraphs 1.2)
    close = line.top - above.bottom <= 0.8 * above.height and abs(line.size - above.size) < 0.5
    return close and (not is_heading(above, body) or _continues(lines, n - 1, body))


def notes_top(page: Page, margins: Margins) -> float:
    """Where the footnotes at the page's foot begin, or the page's foot. WeasyPrint draws
    its footnote area as a box standing on the text box's foot, its rule on top; Word
    (LibreOffice) puts a short rule at the text box's left over them. Neither has text just
    above it, as a heading's rule or a table's has, nor bold text under it."""
    foot = page.height - margins.bottom
    areas = [a for a in page.boxes if abs(a.bottom - foot) <= 2 * SLACK and a.top > page.height / 2]
    areas += [r for r in page.rules if abs(r.left - margins.left) <= 2 * SLACK
              and r.top > page.height / 2]
    for area in sorted(areas, key=lambda a: a.top):
        below = [line for line in page.lines if area.top <= line.top and line.bottom <= foot]
        above = [line for line in page.lines
                 if area.top - 1.5 * line.height <= line.bottom <= area.top + 0.5]
        if below and not above and not any(line.bold for line in below):
            return area.top
    return page.height


def _starts_with_heading(page: Page | None, margins: Margins, body: float) -> bool:
    lines = _body(page, margins) if page else []
    return bool(lines) and is_heading(lines[0], body)


def _picture_lines(page: Page, below: float, body: float) -> int:
    """Pictures below a place, counted as lines of the body's text."""
    heights = sorted(line.height for line in page.lines if not is_heading(line, body))
    pitch = heights[len(heights) // 2] * 1.4 if heights else 16.0
    return sum(int((p.bottom - p.top) // pitch) for p in page.pictures if p.top >= below - 1)


def _hole(page: Page, following: Page, margins: Margins, body: float, shrink: float
          ) -> list[Finding]:
    """A page less than FULL full, where what starts the next page would have fitted."""
    box_top, box_bottom = margins.top, page.height - margins.bottom
    bottom = content_bottom(page, margins)
    if bottom is None:
        return [Finding(page.number, "hole", "the page is empty")]
    filled = (bottom - box_top) / (box_bottom - box_top)
    if filled >= FULL:
        return []
    first = first_unit(following, margins, body, shrink)
    if first is not None and first + SPACE > box_bottom - bottom:
        return []  # kept together, and too tall for the space (with its space around it)
    return [Finding(page.number, "hole", f"the page is only {filled:.0%} full, and what starts "
                    f"page {following.number} ({first or 0:.0f} pt) would fit in the "
                    f"{box_bottom - bottom:.0f} pt left")]


def fullness(page: Page, margins: Margins) -> float:
    """How much of the text box's height the page's text and pictures fill, 0 to 1."""
    bottom = content_bottom(page, margins)
    if bottom is None:
        return 0.0
    return (bottom - margins.top) / (page.height - margins.bottom - margins.top)


def content_bottom(page: Page, margins: Margins) -> float | None:
    lines = _body(page, margins)
    box_bottom = page.height - margins.bottom + SLACK
    ends = [line.bottom for line in lines] + [
        a.bottom for a in page.pictures + page.boxes
        if a.top > margins.top - SLACK and a.bottom <= box_bottom]
    return max(ends) if ends else None


def first_unit(page: Page, margins: Margins, body: float, shrink: float = SMALLEST
               ) -> float | None:
    """The height of what starts the page and had to move whole: a picture, a drawn box
    (a callout, a panel, a table's first row), or a block of text; a heading with what
    must follow it (two lines)."""
    lines = _body(page, margins)
    top_area = min((a for a in page.pictures + page.boxes if a.top > margins.top - SLACK),
                   key=lambda a: a.top, default=None)
    if not lines and top_area is None:
        return None
    start = min([line.top for line in lines[:1]] + ([top_area.top] if top_area else []))
    end = start
    n = 0
    # A heading's own rule or ground (a box no more than a line deeper than it) is the
    # heading's; a box reaching further holds it (a callout's title) and moves whole.
    heading = bool(lines) and is_heading(lines[0], body) and not any(
        a.top <= lines[0].top + 1 and a.bottom > lines[0].bottom + lines[0].height
        for a in page.pictures + page.boxes if a.top > margins.top - SLACK)
    if heading:
        while n < len(lines) and is_heading(lines[n], body):
            n += 1
        end = lines[n - 1].bottom
        following = lines[n:n + 2]
        end = max([end] + [line.bottom for line in following])
        pictures = [a for a in page.pictures if a.top >= lines[n - 1].bottom - 1]
        if pictures and (not following or pictures[0].top < following[0].top):
            end = max(end, pictures[0].top + shrink * (pictures[0].bottom - pictures[0].top))
        return end - start
    pictures = [a for a in page.pictures if a.top <= start + 2 and a.bottom > start]
    if pictures:
        return _picture_unit(page, lines, pictures, shrink)
    holding = [a for a in page.boxes
               if a.top <= start + 2 and a.bottom > start and a.top > margins.top - SLACK]
    if holding:
        return max(a.bottom for a in holding) - start
    block = _text_block(lines)
    block = block if len(block) <= 6 else block[:3]
    if len(block) == 1:  # a line introducing a picture, or an item's words over it
        under = [a for a in page.pictures if 0 <= a.top - block[0].bottom < 24]
        if under:
            return under[0].top - start + _picture_unit(page, lines, under, shrink)
    return block[-1].bottom - start if block else None


def _picture_unit(page: Page, lines: list[Line], pictures: list[Area], shrink: float
                  ) -> float:
    """The height pictures side by side take, scaled down to fit (to shrink), and their
    caption, the lines just under them, which moves with them."""
    bottom = max(a.bottom for a in pictures)
    caption = _text_block([line for line in lines if line.top >= bottom - 1])
    caption = caption if caption and caption[0].top - bottom < 12 else []
    return shrink * max(a.bottom - a.top for a in pictures) + (
        caption[-1].bottom - bottom if caption else 0)


def _text_block(lines: list[Line]) -> list[Line]:
    """The first lines set close together: one paragraph or list item."""
    block = lines[:1]
    for line in lines[1:]:
        if line.top - block[-1].bottom > 0.35 * block[-1].height:
            break
        block.append(line)
    return block


def _furniture_lines(page: Page, margins: Margins) -> list[Finding]:
    found = []
    for where, lines in zip(("header", "footer"), furniture(page, margins)):
        rows = _rows(lines)
        if len(rows) > 1:
            found.append(Finding(page.number, "furniture",
                                 f"the running {where} takes {len(rows)} lines: "
                                 + " / ".join(f"'{_shown(r)}'" for r in rows)))
    return found


def _rows(lines: list[Line]) -> list[str]:
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda x: x.top):
        if rows and line.top < rows[-1][-1].bottom - 0.3 * rows[-1][-1].height:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [" ".join(x.text for x in sorted(row, key=lambda x: x.left)) for row in rows]


def _shown(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= 50 else text[:47] + "..."

