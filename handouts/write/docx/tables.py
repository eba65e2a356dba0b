"""Tables into Word: every cell in the grid column it stands in on the page, row and
column spans merged, header rows repeated on each page, captions above. A cell holds
blocks: the block writer comes in as a parameter (write_blocks), not as an import."""

from __future__ import annotations

from dataclasses import replace

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.table import Table, _Cell

from handouts import model as m
from handouts.write.docx.inlines import write_inlines
from handouts.write.docx.state import Context, Slot, State, WriteBlocks
from handouts.write.docx.styles import fit_table, shade

ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
         "center": WD_ALIGN_PARAGRAPH.CENTER}


def write_table(state: State, table: m.Table, out: Slot, context: Context,
                write_blocks: WriteBlocks) -> None:
    if table.caption:
        caption = out.paragraph("Table Caption")
        caption.paragraph_format.keep_with_next = True
        state.bookmark(caption, table.anchor)
        write_inlines(state, table.caption, caption, write_blocks)
    grid = list(table.grid())
    word_table = out.add_table(rows=len(table.rows), cols=table.width())
    word_table.style = state.word.styles["Table Grid"]
    fit_table(word_table)
    cells = _grid_cells(word_table)
    for row, tr in zip(table.rows, word_table._tbl.tr_lst):
        if row.head:
            _repeat_header(tr)
    inner = replace(context, style=None, indent=0, depth=0)
    for r, c, cell in grid:
        target = cells[r][c]
        last_row = min(r + cell.rowspan, len(table.rows)) - 1
        last_col = c + cell.colspan - 1
        if (last_row, last_col) != (r, c):
            target = target.merge(cells[last_row][last_col])
            for rr in range(r, last_row + 1):  # the grid now shows the merged cell there
                cells[rr][c:last_col + 1] = [target] * (last_col + 1 - c)
        for extra in target.paragraphs[1:]:  # merging keeps one empty paragraph per cell
            target._tc.remove(extra._p)
        if cell.header:
            shade(target, state.theme.callout_background)
        write_blocks(state, cell.blocks, target, inner, target.paragraphs[0], cell.header)
        if cell.align:
            for para in target.paragraphs:
                para.alignment = ALIGN[cell.align]


def _grid_cells(word_table: Table) -> list[list[_Cell]]:
    """The new table's cells by row and column, read once: python-docx's table.cell(r, c)
    and table.rows[r] walk the whole table on every call, which made a 1,000-row table
    take minutes."""
    return [[_Cell(tc, word_table) for tc in tr.tc_lst] for tr in word_table._tbl.tr_lst]


def _repeat_header(tr: CT_Row) -> None:
    tr_pr = tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)
