"""The web page read back: its text, headings, references, citations and table grid."""

from __future__ import annotations

import copy
from pathlib import Path

import lxml.html

from handouts import model as m
from handouts.check import Expected, Extracted

# Large pictures make an HTML file past libxml2's default limits; it must read them whole.
HTML_PARSER = lxml.html.HTMLParser(huge_tree=True)


def read(path: Path, want: Expected | None = None) -> Extracted:
    tree = lxml.html.parse(str(path), parser=HTML_PARSER).getroot()
    body = tree.find("body")
    # A formula is MathML, its TeX kept as alttext: read as a formula, not as words.
    formulas = [math.get("alttext") or "" for math in body.iter("math")]
    for math in list(body.iter("math")):
        math.drop_tree()
    return Extracted(
        headings=[h.text_content() for h in body.iter("h1", "h2", "h3", "h4", "h5", "h6")],
        text=body.text_content(),
        reference_entries=[li.text_content() for li in body.xpath("//*[@class='references']/li")],
        markers=[s.text_content() for s in body.find_class("citation")],
        link_targets={a.get("href")[1:] for a in body.iter("a")
                      if (a.get("href") or "").startswith("#")},
        tables=[_html_table(t) for t in _tables(body.find("main"))],
        formulas=formulas)


def _tables(main: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The tables in the model's order: the text's, then the footnotes' (the page puts
    each note at the end of its section)."""
    tables = list(main.iter("table"))
    in_notes = [t for t in tables if t.xpath("ancestor::section[@class='footnotes']")]
    return [t for t in tables if t not in in_notes] + in_notes


def _html_table(table: lxml.html.HtmlElement) -> dict[tuple[int, int], str]:
    rows: list[m.Row] = []
    for tr in table.iter("tr"):
        if next(tr.iterancestors("table")) is not table:
            continue
        rows.append(m.Row([m.Cell([m.Paragraph([m.Text(_own_text(cell))])],
                                  colspan=int(cell.get("colspan", 1)),
                                  rowspan=int(cell.get("rowspan", 1)))
                           for cell in tr if cell.tag in ("th", "td")]))
    grid = m.Table(rows).grid()
    return {(r, c): _cell_text(cell) for r, c, cell in grid}


def _cell_text(cell: m.Cell) -> str:
    """The text of a cell made above: one paragraph of one text."""
    first = cell.blocks[0]
    assert isinstance(first, m.Paragraph)  # made so by _html_table
    return m.inline_text(first.children)


def _own_text(cell: lxml.html.HtmlElement) -> str:
    """A cell's text without the text of tables inside it."""
    cell = copy.deepcopy(cell)
    for inner in list(cell.iter("table")):
        inner.drop_tree()
    text: str = cell.text_content()  # a str in Python 3; lxml-stubs say a union
    return text
