"""Pages in Word as in the PDF (styles/handout.css, "Pagination"): headings and captions
kept with what follows, a heading with the first two items of a list after it, list items,
table rows and short tables never split, no line left alone at a page's foot or head.
Word lays its pages out when it opens the file, so these are the paragraph properties it
lays them out by: keepNext, keepLines, widowControl, and cantSplit on table rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.paragraph import CT_P
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.text.paragraph import Paragraph
from lxml import etree

from handouts.furniture import SHORT_TABLE, SHORT_TABLE_CHARACTERS

if TYPE_CHECKING:
    from docx.document import Document as WordDocument

SHORT_ITEM = 400     # characters: a list item this short is kept on one page
LINE = 90            # characters on a line of text, about, for a row's height
TALL_ROW_LINES = 15  # a table row (a box is one) taller than this may run onto the next page
# Word cannot set a picture smaller to fit the space left on a page, as the PDF does: a
# picture taller than this part of the text box is set smaller to begin with, so that the
# hole it leaves where it moves stays small.
TALLEST_PICTURE = 0.45


def keep_pages(word: WordDocument) -> None:
    styles = word.styles
    styles["Normal"].paragraph_format.widow_control = True
    styles["Caption"].paragraph_format.keep_with_next = True  # a table's caption, above it
    body = word.element.body
    section = word.sections[0]
    height = (section.page_height or 0) - (section.top_margin or 0) - (section.bottom_margin or 0)
    for extent in body.iter(qn("wp:extent")):
        _at_most(extent, int(height * TALLEST_PICTURE))
    previous: Paragraph | None = None
    children = list(body.iterchildren())
    for n, child in enumerate(children):
        if child.tag == qn("w:tbl"):
            _keep_table(child, word)
            previous = None
            continue
        if child.tag != qn("w:p"):
            continue
        para = Paragraph(child, word._body)
        name = para.style.name if para.style is not None else ""
        listed = child.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None
        if listed and len(para.text) <= SHORT_ITEM:
            para.paragraph_format.keep_together = True
        if _heading(para):  # also directly: LibreOffice lets the style's go at times
            para.paragraph_format.keep_with_next = True
        if listed and previous is not None and _heading(previous):
            para.paragraph_format.keep_with_next = True  # a heading's first two items
        elif (previous is not None and _heading(previous) and not _heading(para)
              and _text_follows(children[n + 1:], word)):
            # A heading's first paragraph keeps with the text, list or table after it;
            # not with a heading (sections would chain) or a picture (which would move it
            # too): as styles/handout.css does.
            para.paragraph_format.keep_with_next = True
        previous = para


def _text_follows(following: list[BaseOxmlElement], word: WordDocument) -> bool:
    """Whether a table, or a paragraph that is neither a heading nor a picture, is next."""
    after = next((c for c in following if c.tag in (qn("w:p"), qn("w:tbl"))), None)
    if after is not None and after.tag == qn("w:tbl"):
        # a tall box may break across pages, but LibreOffice moves a table a paragraph
        # keeps with whole: kept with a tall one, the heading would leave a page half empty
        return not any(_tall(row) for row in after.findall(qn("w:tr")))
    if after is None or not isinstance(after, CT_P):
        return after is not None
    return not _heading(Paragraph(after, word._body)) and after.find(
        f".//{qn('w:drawing')}") is None


def _heading(para: Paragraph) -> bool:
    name = para.style.name if para.style is not None else ""
    return name.startswith("Heading") or name == "Callout Title"


def _keep_table(table: BaseOxmlElement, word: WordDocument) -> None:
    """Rows never split, but for one taller than a third of a page (a box that holds a
    long code block would leave a page half empty before it); a short table kept whole,
    each row with the next."""
    rows = table.findall(qn("w:tr"))
    short = len(rows) <= SHORT_TABLE and sum(
        len(t.text or "") for t in table.iter(qn("w:t"))) <= SHORT_TABLE_CHARACTERS
    for n, row in enumerate(rows):
        properties = row.find(qn("w:trPr"))
        if properties is None:
            properties = OxmlElement("w:trPr")
            row.insert(0 if row.find(qn("w:tblPrEx")) is None else 1, properties)
        if _tall(row):  # the writer keeps every box whole: this one may break
            for kept in properties.findall(qn("w:cantSplit")):
                properties.remove(kept)
            continue
        if properties.find(qn("w:cantSplit")) is None:
            properties.insert(0, OxmlElement("w:cantSplit"))
        if short and n + 1 < len(rows):
            for paragraph in row.iter(qn("w:p")):
                if isinstance(paragraph, CT_P):
                    Paragraph(paragraph, word._body).paragraph_format.keep_with_next = True


def _tall(row: etree._Element) -> bool:
    """A table row taller than TALL_ROW_LINES lines of text, about."""
    lines = sum(1 + len("".join(t.text or "" for t in p.iter(qn("w:t")))) // LINE
                + len(p.findall(f".//{qn('w:br')}")) for p in row.iter(qn("w:p")))
    return lines > TALL_ROW_LINES


def _at_most(extent: BaseOxmlElement, tallest: int) -> None:
    """A picture's size (wp:extent, and its a:ext) set no taller than tallest EMU."""
    width, height = int(extent.get("cx", "0")), int(extent.get("cy", "0"))
    if height <= tallest or not height:
        return
    width = width * tallest // height
    inline = extent.getparent()
    sizes = [extent] + ([] if inline is None else list(inline.iter(qn("a:ext"))))
    for size in sizes:
        size.set("cx", str(width))
        size.set("cy", str(tallest))
