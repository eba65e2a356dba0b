"""What the Word writer carries from block to block: the document, the theme, list
numbering, bookmark ids and the footnotes part; and the types the block, inline and table
writers share, so that none of them imports another."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Never, NoReturn, Protocol

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length
from docx.table import Table
from docx.text.paragraph import Paragraph

from handouts import model as m
from handouts.diagnostics import Diagnostic
from handouts.furniture import bookmark_name, unwritable
from handouts.write.docx.package import FootnotesPart, text_width
from handouts.write.docx.styles import Numbering

if TYPE_CHECKING:
    from docx.document import Document as WordDocument

    from handouts.read.front_matter import Document
    from handouts.style.theme import Theme


@dataclass(frozen=True)
class Context:
    """Where blocks are being written: the paragraph style by default, the left indent of
    content nested in lists and quotes (in points), and the list depth. Changed with
    dataclasses.replace, which mypy checks field by field."""
    style: str | None = None
    indent: float = 0
    depth: int = 0
    in_footnote: bool = False


class Container(Protocol):
    """Where blocks go: the body, a table cell, a footnote (python-docx's block containers
    and package.FootnoteContainer)."""

    def add_paragraph(self) -> Paragraph: ...

    def add_table(self, rows: int, cols: int) -> Table: ...


class Slot:
    """Hands out paragraphs in a container: its waiting empty paragraph first (a new table
    cell has one), then new ones."""

    def __init__(self, container: Container, first: Paragraph | None, state: State) -> None:
        self.container, self.first, self.state = container, first, state

    def paragraph(self, style: str | None = None) -> Paragraph:
        if self.first is not None:
            para, self.first = self.first, None
        else:
            para = self.container.add_paragraph()
        return self.state.set_style(para, style) if style else para

    def add_table(self, rows: int, cols: int) -> Table:
        table = self.container.add_table(rows=rows, cols=cols)
        if self.first is not None:  # a table first in a cell: the empty paragraph goes
            cell = self.first._p.getparent()
            assert cell is not None
            cell.remove(self.first._p)
            self.first = None
        return table


# write_blocks(state, blocks, container, context, first, strong): the block writer, handed
# to the inline writer (a footnote holds blocks) and the table writer (so does a cell).
WriteBlocks = Callable[["State", Sequence[m.Block], Container, Context, Paragraph | None, bool],
                       None]


@dataclass
class State:
    word: WordDocument
    theme: Theme
    doc: Document               # for errors
    footnotes: FootnotesPart
    numbering: Numbering = field(init=False)
    notes: dict[str, m.Footnote] = field(default_factory=dict)   # anchor -> the note
    written_notes: set[str] = field(default_factory=set)  # anchors referred to in the text
    notes_done: set[str] = field(default_factory=set)     # anchors already written as notes
    bookmarks: int = 0
    emoji: set[str] = field(default_factory=set)  # characters printed in the emoji font
    level: int = 1              # of the last heading written
    style_ids: dict[str, str] = field(default_factory=dict)  # name -> id, looked up once

    def __post_init__(self) -> None:
        self.numbering = Numbering(self.word, self.theme.font_family)

    def style_id(self, name: str) -> str:
        """A style's id by its name. python-docx looks a name up by reading every style
        (and the default) each time; a handout asks hundreds of times."""
        if name not in self.style_ids:
            style_id = self.word.styles[name].style_id
            assert isinstance(style_id, str), name  # python-docx: untyped
            self.style_ids[name] = style_id
        return self.style_ids[name]

    def set_style(self, para: Paragraph, name: str | None) -> Paragraph:
        para._p.style = self.style_id(name) if name else None
        return para

    def cannot(self, node: m.Block | m.Inline) -> Diagnostic:
        return unwritable(self.doc, "Word", node)

    def unknown(self, node: Never) -> NoReturn:
        """assert_never that, at run time, names the construct for people: a model type
        without a case is a type error, and an object of no model type stops the build."""
        raise unwritable(self.doc, "Word", node)

    def text_width(self) -> Length:
        return text_width(self.word)

    def bookmark(self, para: Paragraph, anchor: str) -> None:
        if not anchor:
            return
        self.bookmarks += 1
        start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
        start.set(qn("w:id"), str(self.bookmarks))
        start.set(qn("w:name"), bookmark_name(anchor))
        end.set(qn("w:id"), str(self.bookmarks))
        para._p.append(start)
        para._p.append(end)
