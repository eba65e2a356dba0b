"""Tables into Word: every cell in the grid column it stands in on the page, row and
column spans merged, header rows repeated on each page, captions above."""

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from .inlines import write_inlines
from .styles import GRID_PADDING_TWIPS, indent_table, shade

ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
         "center": WD_ALIGN_PARAGRAPH.CENTER}


def write_table(state, table, container, context):
    from .blocks import write_blocks  # blocks and tables call each other
    if context.in_footnote:
        raise state.cannot(table)
    if table.caption:
        caption = container.add_paragraph(style="Caption")
        caption.paragraph_format.keep_with_next = True
        write_inlines(state, table.caption, caption)
    grid = list(table.grid())
    word_table = container.add_table(rows=len(table.rows), cols=table.width())
    word_table.style = state.word.styles["Table Grid"]
    indent_table(word_table, GRID_PADDING_TWIPS)
    for r, row in enumerate(table.rows):
        if row.head:
            _repeat_header(word_table.rows[r])
    for r, c, cell in grid:
        target = word_table.cell(r, c)
        last_row = min(r + cell.rowspan, len(table.rows)) - 1
        last_col = c + cell.colspan - 1
        if (last_row, last_col) != (r, c):
            target = target.merge(word_table.cell(last_row, last_col))
        for extra in target.paragraphs[1:]:  # merging keeps one empty paragraph per cell
            extra._p.getparent().remove(extra._p)
        if cell.header:
            shade(target, state.theme.callout_background)
        first = target.paragraphs[0]
        write_blocks(state, cell.blocks, target,
                     context.but(style=None, indent=0, depth=0), first=first,
                     strong=cell.header)
        if cell.align:
            for para in target.paragraphs:
                para.alignment = ALIGN[cell.align]


def _repeat_header(row):
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)
