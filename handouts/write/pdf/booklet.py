"""A folded booklet (issue 23, item 7): output/NAME-booklet.pdf, beside NAME.pdf.

WeasyPrint lays the handout out again on half sheets (half-Letter, 5.5 x 8.5 in, or A5 on
A4), with the same page furniture; pypdf then places those pages two to a landscape sheet
in saddle-stitch order, so that a clinic's ordinary duplex printer (both sides, flip on
the short edge) prints a stack that is folded once and stapled in the middle: sheet 1's
front holds the last page and page 1, its back page 2 and the last but one, and so on,
with blank pages at the end to make a multiple of four.

Kept: the pages' drawing, fonts and pictures, their links, the document information
(title, author, subject, keywords), the language and the XMP metadata (document
control). Lost: the structure tree (tags) and the outline, which refer to the half pages
and cannot follow them onto the sheets. The ordinary NAME.pdf stays the accessible one.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pypdf
from pypdf.generic import BooleanObject, DictionaryObject, NameObject, TextStringObject

from handouts.diagnostics import Diagnostic
from handouts.run import leftovers
from handouts.style.theme import PAPER_MM
from handouts.write.html.page import css_string
from handouts.write.pdf.writer import write_pdf

if TYPE_CHECKING:
    from handouts.write.html.page import Page

POINTS_PER_MM = 72 / 25.4
# A half sheet: the sheet folded across its long side.
HALF_MM = {"letter": (139.7, 215.9), "a4": (148.0, 210.0)}
MARGIN_SHARE = 0.7  # the theme's margins, scaled to the smaller page


def printing_order(pages: int) -> list[tuple[int | None, int | None]]:
    """(left, right) page numbers (from 1) of each side to print, sheet by sheet, front
    then back; None for a blank. 8 pages: (8, 1), (2, 7), (6, 3), (4, 5)."""
    total = max(4, -(-pages // 4) * 4)
    sides: list[tuple[int, int]] = []
    for sheet in range(total // 4):
        sides.append((total - 2 * sheet, 2 * sheet + 1))          # front
        sides.append((2 * sheet + 2, total - 2 * sheet - 1))      # back
    return [(left if left <= pages else None, right if right <= pages else None)
            for left, right in sides]


def half_margins(margins_mm: dict[str, float]) -> dict[str, float]:
    """The half page's margins: the theme's, scaled down with the page."""
    return {side: round(value * MARGIN_SHARE, 1) for side, value in margins_mm.items()}


def half_page_css(sheet: str, margins_mm: dict[str, float], footer: str | None = None) -> str:
    """The page rule for the half sheet, after the theme's own; footer: the running
    footer's words, if not the full page's (the version and dates take two lines on so
    narrow a page)."""
    width, height = HALF_MM[sheet]
    m = half_margins(margins_mm)
    words = f" content: {css_string(footer)};" if footer is not None else ""
    # "Page 1 of 8" kept on one line at the right
    return (f"@page {{ size: {width}mm {height}mm; margin: {m['top']}mm {m['right']}mm "
            f"{m['bottom']}mm {m['left']}mm;\n"
            f"  @bottom-left {{ width: 70%;{words} }}\n"
            "  @bottom-right { width: 30%; white-space: nowrap; } }\n")


def impose(pdf: bytes, sheet: str) -> tuple[bytes, int]:
    """The half pages of pdf placed two-up on landscape sheets in printing order; returns
    the imposed PDF and the number of half pages."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    height, width = (d * POINTS_PER_MM for d in PAPER_MM[sheet])  # landscape
    writer = pypdf.PdfWriter()
    for side in printing_order(pages):
        out = writer.add_blank_page(width, height)
        for slot, number in enumerate(side):
            if number is None:
                continue
            page = reader.pages[number - 1]
            w, h = float(page.mediabox.width), float(page.mediabox.height)
            scale = min(width / 2 / w, height / h, 1.0)
            x = slot * width / 2 + (width / 2 - w * scale) / 2
            y = (height - h * scale) / 2
            out.merge_transformed_page(
                page, pypdf.Transformation().scale(scale).translate(x, y))
        out.compress_content_streams()
    _keep_metadata(reader, writer)
    writer.compress_identical_objects()  # the fonts and pictures each half page brought
    out_bytes = io.BytesIO()
    writer.write(out_bytes)
    return out_bytes.getvalue(), pages


def _keep_metadata(reader: pypdf.PdfReader, writer: pypdf.PdfWriter) -> None:
    """Document information, XMP metadata and language, as the half pages had them."""
    info = reader.metadata
    if info:
        writer.add_metadata({key: value for key, value in info.items()
                             if key != "/Producer"})
    catalog: Any = reader.trailer["/Root"]
    if "/Lang" in catalog:
        writer.root_object[NameObject("/Lang")] = TextStringObject(str(catalog["/Lang"]))
    if reader.xmp_metadata is not None:  # document control (version, dates, approver)
        writer.xmp_metadata = reader.xmp_metadata.stream.get_data()
    preferences = DictionaryObject({NameObject("/DisplayDocTitle"): BooleanObject(True)})
    writer.root_object[NameObject("/ViewerPreferences")] = preferences


def write_booklet(page: Page, sheet: str, margins_mm: dict[str, float], target: Path,
                  verify: Callable[[Path], Sequence[str]] = lambda _: (),
                  footer: str | None = None) -> tuple[int, int]:
    """Print the page on half sheets (footer: their running footer's words), have verify
    read them (the problems it returns stop the build, as the ordinary PDF's do), impose
    them and put target in place (renamed, so that an interrupted build leaves the last
    booklet); returns (pages, sheets)."""
    refused: list[Diagnostic] = []  # reported already by the ordinary PDF
    half = write_pdf(page, refused, extra_css=half_page_css(sheet, margins_mm, footer))
    imposed, pages = impose(half, sheet)
    staged: list[str] = []
    try:
        for content in (half, imposed):
            handle, name = tempfile.mkstemp(dir=target.parent,
                                            prefix=leftovers.staged_prefix(target))
            staged.append(name)
            with os.fdopen(handle, "wb") as out:
                out.write(content)
        problems = verify(Path(staged[0]))
        if problems:
            raise Diagnostic(target, f"the booklet's pages lost content: {problems[0]}",
                             "report this as a bug; the ordinary PDF is complete")
        os.chmod(staged[1], 0o644)  # as the other outputs (mkstemp makes it the owner's only)
        os.replace(staged[1], target)
    except OSError as exc:
        raise Diagnostic(target, f"cannot be written ({exc.strerror})",
                         "make output/ a folder you may write to") from None
    finally:
        for name in staged:
            Path(name).unlink(missing_ok=True)
    return pages, len(printing_order(pages)) // 2
