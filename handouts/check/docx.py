"""The Word file read back: paragraphs and footnotes as Word shows them, headings, the
reference list, citation markers by their styles, bookmarks and each data table's grid."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.oxml.simpletypes import ST_Merge
from docx.oxml.table import CT_Tbl, CT_Tc
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.text.paragraph import Paragraph
from lxml import etree

from handouts.formula import OMML
from handouts.furniture import BOX_STYLES, bookmark_name
from handouts.check import Expected, Extracted



def read(path: Path, want: Expected | None = None) -> Extracted:
    word = docx.Document(str(path))
    body = word.element.body
    paragraphs = [Paragraph(p, word.part) for p in body.iter(qn("w:p"))]
    style_of = _style_names(word)
    notes = _footnotes_element(word)
    stories = [body] + ([notes] if notes is not None else [])  # citations in footnotes too
    anchors = {h.get(qn("w:anchor")) for story in stories for h in story.iter(qn("w:hyperlink"))}
    citation = {word.styles["Citation"].style_id, word.styles["Citation Number"].style_id}
    markers: list[str] = []
    current: list[str] = []
    for p in (p for story in stories for p in story.iter(qn("w:p"))):
        for run in p.iter(qn("w:r")):  # a marker is a sequence of runs in a Citation style
            style = run.find(qn("w:rPr") + "/" + qn("w:rStyle"))
            if style is not None and style.get(qn("w:val")) in citation:
                current.append("".join(t.text or "" for t in run.iter(qn("w:t"))))
            elif current:
                markers.append("".join(current))
                current = []
        if current:
            markers.append("".join(current))
            current = []
    boxes = {word.styles[name].style_id for name in BOX_STYLES}
    # Footnotes hold tables and boxes too: the notes come after the text, as in the model.
    tables = [_word_table(t) for story in stories for t in story.iter(qn("w:tbl"))
              if _table_style(t) not in boxes]
    in_stories = [Paragraph(p, word.part)
                  for story in stories for p in story.iter(qn("w:p"))]
    return Extracted(
        headings=[p.text for p in in_stories if style_of(p._p).startswith("Heading")
                  or p._p.find(qn("w:pPr") + "/" + qn("w:outlineLvl")) is not None],
        text="\n".join(_paragraph_text(p) for p in body.iter(qn("w:p"))),
        reference_entries=[p.text for p in paragraphs if style_of(p._p) == "Reference"],
        markers=markers,
        link_targets=anchors & {m.get(qn("w:name")) for m in body.iter(qn("w:bookmarkStart"))},
        target_name=bookmark_name,
        notes="\n".join(_paragraph_text(p) for p in notes.iter(qn("w:p")))
        if notes is not None else "",
        tables=tables, formulas=_formulas(stories, want))


def _style_names(word: Document) -> Callable[[BaseOxmlElement], str]:
    """w:p -> the name of its paragraph style. Looked up once per file: python-docx's
    paragraph.style searches the styles part for every paragraph."""
    # python-docx leaves BaseStyle.name and Styles.default unannotated; both are named here.
    names: dict[str | None, str] = {style.style_id: style.name for style in word.styles}
    default: str = word.styles.default(WD_STYLE_TYPE.PARAGRAPH).name

    def style_of(p: BaseOxmlElement) -> str:
        style = p.find(qn("w:pPr") + "/" + qn("w:pStyle"))
        return names.get(style.get(qn("w:val")), default) if style is not None else default
    return style_of


def _paragraph_text(p: etree._Element) -> str:
    """All the text of a w:p as Word shows it: hyperlinks included, breaks as spaces, and
    a footnote's number where it is referred to (Word numbers notes 1, 2, ... by id)."""
    parts: list[str] = []
    for el in p.iter(qn("w:t"), qn("w:br"), qn("w:tab"), qn("w:footnoteReference")):
        if el.tag == qn("w:t"):
            parts.append(el.text or "")
        elif el.tag == qn("w:footnoteReference"):
            note = el.get(qn("w:id"))
            assert note is not None  # w:id is required on w:footnoteReference
            parts.append(note)
        else:
            parts.append(" ")
    return "".join(parts)


def _formulas(stories: list[BaseOxmlElement], want: Expected | None) -> list[str]:
    """Word's equations (their TeX is not kept: ''), and the pictures a formula Word's
    equations cannot hold is drawn as (their alt text is its TeX)."""
    tex = {f.tex for f in want.formulas} if want else set()
    return ["" for story in stories for _ in story.iter(f"{{{OMML}}}oMath")] + [
        descr for story in stories for pr in story.iter(qn("wp:docPr"))
        if (descr := pr.get("descr") or "") in tex]


def _table_style(tbl: etree._Element) -> str | None:
    style = tbl.find(qn("w:tblPr") + "/" + qn("w:tblStyle"))
    return style.get(qn("w:val")) if style is not None else None


def _word_table(tbl: CT_Tbl) -> dict[tuple[int, int], str]:
    """{(row, column): text} as Word shows the grid; a cell's own paragraphs only, not those
    of a table inside it. Read in one pass over the rows: python-docx's table.cell(r, c)
    walks the whole table on every call."""
    grid = _grid(tbl)
    return {(r, c): " ".join(_paragraph_text(p) for p in tc.iterchildren(qn("w:p")))
            for r, row in enumerate(grid) for c, tc in enumerate(row)}


def _grid(tbl: CT_Tbl) -> list[list[CT_Tc]]:
    """Each row's w:tc per grid column, as python-docx's Table._cells lays them out: a
    cell spanning columns stands in each, a vertically merged one in the rows it covers."""
    columns = len(tbl.tblGrid.gridCol_lst)
    cells: list[CT_Tc] = []
    # python-docx leaves CT_Tbl.iter_tcs unannotated: it yields CT_Tc.
    for tc in tbl.iter_tcs():  # type: ignore[no-untyped-call]
        for span in range(tc.grid_span):
            if tc.vMerge == ST_Merge.CONTINUE:
                cells.append(cells[-columns])
            elif span > 0:
                cells.append(cells[-1])
            else:
                cells.append(tc)
    return [cells[r * columns:(r + 1) * columns] for r in range(len(tbl.tr_lst))]


def _footnotes_element(word: Document) -> BaseOxmlElement | None:
    """word/footnotes.xml as an element, or None when the file has no footnotes."""
    for rel in word.part.rels.values():
        if rel.reltype.endswith("/footnotes"):
            return parse_xml(rel.target_part.blob)  # python-docx's classes, as for the body
    return None
