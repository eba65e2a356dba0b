"""Pages in Word as in the PDF (styles/handout.css, "Pagination"): headings and captions
kept with what follows, a heading with the first two items of a list after it, list items,
table rows and short tables never split, no line left alone at a page's foot or head.
Word lays its pages out when it opens the file, so these are the paragraph properties it
lays them out by: keepNext, keepLines, widowControl, and cantSplit on table rows."""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.paragraph import CT_P
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.text.paragraph import Paragraph
from lxml import etree

from handouts.furniture import (CALLOUT_STYLES, LINE_CHARACTERS, ONE_LINE_CHARACTERS,
                                TALL_BOX_LINES, leads_in, short_table)

if TYPE_CHECKING:
    from docx.document import Document as WordDocument

SHORT_ITEM = 400     # characters: a list item this short is kept on one page
# Word cannot set a picture smaller to fit the space left on a page, as the PDF does: a
# picture taller than this part of the text box is set smaller to begin with, so that the
# hole it leaves where it moves stays small.
TALLEST_PICTURE = 0.4


def keep_pages(word: WordDocument) -> None:
    styles = word.styles
    styles["Normal"].paragraph_format.widow_control = True
    # A table's caption, above it, keeps with it (its own style, Table Caption); a figure's,
    # under its picture, keeps with nothing: kept with the heading after it, a picture,
    # caption and heading moved as one, and LibreOffice left the heading at a page's foot.
    styles["Caption"].paragraph_format.keep_with_next = False
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
        listed = child.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None
        # a short item on one page; not one holding a picture, which may start the next
        # page (as in the PDF): kept whole, it moved with the items kept with it
        pictured = child.find(f".//{qn('w:drawing')}") is not None
        if listed and len(para.text) <= SHORT_ITEM and not pictured:
            para.paragraph_format.keep_together = True
        elif listed and pictured:  # its picture's line may start a page alone
            para.paragraph_format.widow_control = False
        if _heading(para) or (not listed and leads_in(para.text)):
            # (a heading also directly: LibreOffice lets the style's go at times)
            para.paragraph_format.keep_with_next = True
        if listed and previous is not None and _heading(previous):
            para.paragraph_format.keep_with_next = True  # a heading's first two items
        elif (previous is not None and _heading(previous) and not _heading(para)
              and len(para.text) <= ONE_LINE_CHARACTERS
              and _text_follows(children[n + 1:], word)):
            # A heading's first paragraph, a line long, keeps with the text, list, table or
            # picture after it; not with a heading (sections would chain) or a box: as
            # styles/handout.css does.
            para.paragraph_format.keep_with_next = True
        previous = para
    _items_kept_with_their_lists(word)


def _items_kept_with_their_lists(word: WordDocument) -> None:
    """A list item kept on a page with the first two items of the list under it ("Wound
    care:" and its points): left at a page's foot alone, its words in bold read as a
    heading stranded. Only over a list of one level: items whose lists hold lists would
    chain keeps from level to level, and move a whole long list."""
    for paragraph in word.element.body.iter(qn("w:p")):
        level = _level(paragraph)
        if level < 0:
            continue
        under: list[etree._Element] = []
        following = paragraph.getnext()
        while following is not None and _level(following) > level:
            under.append(following)
            following = following.getnext()
        if under and all(_level(item) == level + 1 for item in under):
            for kept in [paragraph, *under[:1]]:
                if isinstance(kept, CT_P):
                    Paragraph(kept, word._body).paragraph_format.keep_with_next = True


def _level(element: etree._Element) -> int:
    """A list item's level (0 the outermost); -1 for what is not a list item."""
    found = element.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:ilvl')}") \
        if element.tag == qn("w:p") else None
    return -1 if found is None else int(found.get(qn("w:val")) or 0)


def _text_follows(following: list[BaseOxmlElement], word: WordDocument) -> bool:
    """Whether a table, or a paragraph that is not a heading (text or a picture), is next:
    as the PDF keeps a heading's one-line paragraph with a figure after it."""
    after = next((c for c in following if c.tag in (qn("w:p"), qn("w:tbl"))), None)
    if after is not None and after.tag == qn("w:tbl"):
        return _style(after, word) not in CALLOUT_STYLES.values()
    if after is None or not isinstance(after, CT_P):
        return after is not None
    return not _heading(Paragraph(after, word._body))


def _heading(para: Paragraph) -> bool:
    name = para.style.name if para.style is not None else ""
    return name.startswith("Heading") or name == "Callout Title"


def _keep_table(table: BaseOxmlElement, word: WordDocument) -> None:
    """Rows never split, but for one taller than a third of a page (a box that holds a
    long code block would leave a page half empty before it); a short table kept whole,
    each row with the next."""
    rows = table.findall(qn("w:tr"))
    short = short_table([["".join(t.text or "" for t in cell.iter(qn("w:t")))
                          for cell in row.findall(qn("w:tc"))] for row in rows])
    box = _style(table, word) in CALLOUT_STYLES.values()
    for n, row in enumerate(rows):
        properties = row.find(qn("w:trPr"))
        if properties is None:
            properties = OxmlElement("w:trPr")
            row.insert(0 if row.find(qn("w:tblPrEx")) is None else 1, properties)
        if _tall(row):  # the writer keeps every box whole: this one may break
            for kept in properties.findall(qn("w:cantSplit")):
                properties.remove(kept)
            if box:
                _head_row(row, word)
            continue
        if properties.find(qn("w:cantSplit")) is None:
            properties.insert(0, OxmlElement("w:cantSplit"))
        if short and n + 1 < len(rows):
            for paragraph in row.iter(qn("w:p")):
                if isinstance(paragraph, CT_P):
                    Paragraph(paragraph, word._body).paragraph_format.keep_with_next = True


def _style(table: BaseOxmlElement, word: WordDocument) -> str:
    found = table.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}")
    if found is None:
        return ""
    return str(word.styles.element.get_by_id(found.get(qn("w:val"))).name_val or "")


def _head_row(row: etree._Element, word: WordDocument) -> None:
    """A tall box's label and title (and a paragraph of up to three lines after them) moved
    into a row of their own above it, kept whole and with the rest. LibreOffice never breaks a
    row that holds a paragraph kept with the next (as the label and title are), so the box
    would move whole and leave a page half empty; and without the keep its label could be
    left alone at a page's foot."""
    cell = row.find(qn("w:tc"))
    if cell is None:
        return
    blocks = [c for c in cell if c.tag in (qn("w:p"), qn("w:tbl"))]
    head = 0
    while head < len(blocks) and _leads(blocks[head], word):
        head += 1
    if head < len(blocks) and blocks[head].tag == qn("w:tbl"):
        return  # a box in the box: LibreOffice would leave the title without it
    if head + 1 < len(blocks) and _lines(blocks[head]) <= 3:
        head += 1
    if not head or head >= len(blocks):
        return
    top = deepcopy(row)
    top_cell = top.find(qn("w:tc"))
    assert top_cell is not None
    for child in list(top_cell):
        if child.tag != qn("w:tcPr"):
            top_cell.remove(child)
    for block in blocks[:head]:
        top_cell.append(block)  # moved, not copied
    properties = top.find(qn("w:trPr"))
    if properties is not None and properties.find(qn("w:cantSplit")) is None:
        properties.insert(0, OxmlElement("w:cantSplit"))
    for paragraph in top_cell.iter(qn("w:p")):
        if isinstance(paragraph, CT_P):
            Paragraph(paragraph, word._body).paragraph_format.keep_with_next = True
    row.addprevious(top)


def _leads(block: etree._Element, word: WordDocument) -> bool:
    """A box's label or title: a paragraph kept with the next, or a heading."""
    if not isinstance(block, CT_P):
        return False
    paragraph = Paragraph(block, word._body)
    return _kept(paragraph) or _heading(paragraph)


def _kept(paragraph: Paragraph) -> bool:
    """Kept with the next paragraph, itself or by its style."""
    style = paragraph.style
    return bool(paragraph.paragraph_format.keep_with_next or (
        style is not None and style.paragraph_format.keep_with_next))


def _tall(row: etree._Element) -> bool:
    """A table row taller than TALL_BOX_LINES lines of text, about: its tallest cell, each
    cell as wide as its share of the line (five narrow columns make a short text tall)."""
    cells = row.findall(qn("w:tc"))
    width = LINE_CHARACTERS // max(1, len(cells))
    return max((sum(_lines(p, width) for p in cell.iter(qn("w:p"))) for cell in cells),
               default=0) > TALL_BOX_LINES


def _lines(paragraph: etree._Element, width: int = LINE_CHARACTERS) -> int:
    """A paragraph's lines, about, width characters to a line."""
    return 1 + len("".join(t.text or "" for t in paragraph.iter(qn("w:t")))) // width \
        + len(paragraph.findall(f".//{qn('w:br')}"))


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
