"""The document model: what a handout says, between reading Markdown and writing formats.

As in Pandoc (readers -> one AST -> writers), the reader (handouts/read/markdown.py) builds these
typed blocks and inlines, each block with the source line it came from, and every writer
(HTML page, Word file, verification's expectations) dispatches over them exhaustively: a
type a writer does not handle stops the build with file, line and construct, instead of
vanishing from one format.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, assert_never

if TYPE_CHECKING:
    from pathlib import Path

    from handouts.diagnostics import Diagnostic
    from handouts.read.citations import CiteItem
    from handouts.read.front_matter import Document as Source, Meta


# -- inlines ----------------------------------------------------------------------------

@dataclass
class Text:
    text: str


@dataclass
class Styled:
    """Inline content in one style: strong, emphasis, superscript, subscript, underline,
    small (as HTML names them), small-caps (a style's Roman numerals), or print-address: a link's address for readers on paper,
    not shown on screen."""
    style: str
    children: list[Inline]


@dataclass
class Code:
    text: str


@dataclass
class Link:
    href: str              # an address, or '#anchor' inside the handout
    children: list[Inline]
    label: str = ""        # what the link is, for screen readers, when its text cannot say


@dataclass
class LineBreak:
    pass


@dataclass
class Abbreviation:
    """An abbreviation with its expansion; the first use in a handout prints both, since
    print readers cannot hover."""
    text: str
    expansion: str
    first: bool = False


@dataclass
class Citation:
    """[see @a, p. 3; @b] or a narrative @a: its items (cite_syntax.CiteItem) as written;
    rendered holds the style's inlines once cite has run."""
    items: list[CiteItem]
    narrative: bool = False
    rendered: list[Inline] = field(default_factory=list)
    lead: list[Inline] = field(default_factory=list)  # narrative: the authors, in the sentence
    line_offset: int = 0   # lines from the start of the block that holds it to its own

    @property
    def keys(self) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for item in self.items:
            seen.setdefault(item.key.lower(), item.key)
        return tuple(seen.values())


@dataclass
class FootnoteRef:
    number: int
    anchor: str            # the footnote's id


@dataclass
class InlineImage:
    src: str               # a data: URL once pictures are checked, at print size
    alt: str
    screen_src: str = ""   # the same picture at a screen's size, for the web page


@dataclass
class Math:
    """A formula in a line of text, as the author typed it in TeX ($...$, \\(...\\); $$...$$
    inside a paragraph is displayed): drawn in each format (handouts/formula.py), never
    printed as TeX. Its text is no words: readers and checks see a formula, not letters."""
    tex: str
    display: bool = False


# -- blocks -----------------------------------------------------------------------------

@dataclass
class Heading:
    level: int
    anchor: str
    children: list[Inline]
    line: int | None = None


@dataclass
class Paragraph:
    children: list[Inline]
    line: int | None = None


@dataclass
class ListItem:
    blocks: list[Block]
    task: bool | None = None  # None: not a task; True or False: done or open
    anchor: str = ""


@dataclass
class BulletList:
    items: list[ListItem]
    line: int | None = None


@dataclass
class OrderedList:
    items: list[ListItem]
    start: int = 1
    line: int | None = None


@dataclass
class Definition:
    terms: list[list[Inline]]
    definitions: list[list[Block]]


@dataclass
class DefinitionList:
    items: list[Definition]
    line: int | None = None


@dataclass
class Cell:
    blocks: list[Block]
    header: bool = False
    colspan: int = 1
    rowspan: int = 1
    align: str = ""        # left, right, center or '' (the default)


@dataclass
class Row:
    cells: list[Cell]
    head: bool = False     # part of the table's header rows


@dataclass
class Table:
    rows: list[Row]
    caption: list[Inline] = field(default_factory=list)
    line: int | None = None
    anchor: str = ""       # its id (Quarto's {#tbl-x}), for cross references

    def grid(self) -> Iterator[tuple[int, int, Cell]]:
        """(row, column, cell) for each cell, its column counted past earlier row and
        column spans, as a reader sees the cell stand."""
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row.cells:
                while (r, c) in taken:
                    c += 1
                yield r, c, cell
                # A span past the last row ends there, as on the page (rowspan="9999"
                # colspan="9999" in a two-row table was 10**8 places).
                taken.update((r + dr, c + dc)
                             for dr in range(min(cell.rowspan, len(self.rows) - r))
                             for dc in range(cell.colspan))
                c += cell.colspan

    def width(self) -> int:
        return max((c + cell.colspan for _, c, cell in self.grid()), default=0)


# The kinds of box, each with its own label, colour, rule and icon (style/callouts.py).
CALLOUT_KINDS = ("note", "tip", "important", "warning", "caution", "danger")

# The six kinds of box, and what other tools call them (MkDocs Material's types,
# reStructuredText's, Quarto's, Docusaurus').
BOX_KINDS = {
    "note": "note", "abstract": "note", "summary": "note", "tldr": "note", "info": "note",
    "todo": "note", "question": "note", "help": "note", "faq": "note", "example": "note",
    "quote": "note", "cite": "note", "seealso": "note", "admonition": "note",
    "tip": "tip", "hint": "tip", "success": "tip", "check": "tip", "done": "tip",
    "important": "important",
    "warning": "warning", "attention": "warning",
    "caution": "caution",
    "danger": "danger", "error": "danger", "failure": "danger", "fail": "danger",
    "missing": "danger", "bug": "danger",
}


@dataclass
class Callout:
    kind: str              # one of CALLOUT_KINDS
    title: list[Inline]
    blocks: list[Block]
    line: int | None = None


@dataclass
class Quote:
    blocks: list[Block]
    line: int | None = None


@dataclass
class CodeBlock:
    text: str
    line: int | None = None


@dataclass
class Figure:
    src: str               # a data: URL once pictures are checked, at print size
    alt: str
    caption: list[Inline] = field(default_factory=list)
    line: int | None = None
    screen_src: str = ""   # the same picture at a screen's size, for the web page
    anchor: str = ""       # its id (Quarto's {#fig-x}), for cross references


@dataclass
class DisplayMath:
    """A formula on its own lines ($$...$$ or \\[...\\] as a paragraph), centred."""
    tex: str
    line: int | None = None


@dataclass
class Division:
    """A raw <div> or <section> an author wrote: its content, without their classes."""
    blocks: list[Block]
    line: int | None = None


@dataclass
class Rule:
    line: int | None = None


@dataclass
class PageBreak:
    """Quarto's {{< pagebreak >}}: on paper (PDF and Word), what follows starts a page."""
    line: int | None = None


@dataclass
class Footnote:
    number: int
    anchor: str
    blocks: list[Block]


@dataclass
class Footnotes:
    notes: list[Footnote]
    line: int | None = None


@dataclass
class ReferenceEntry:
    key: str
    anchor: str
    number: int
    children: list[Inline]  # the formatted entry, without its number
    where: tuple[Path, int | None] | None = None  # its bibliography file and line


@dataclass
class References:
    entries: list[ReferenceEntry]
    numbered: bool
    line: int | None = None


@dataclass
class Document:
    """The handout: front matter (load.Document) and its blocks, in reading order."""
    source: Source
    blocks: list[Block]
    warnings: list[Diagnostic] = field(default_factory=list)  # found while reading

    @property
    def meta(self) -> Meta:
        return self.source.meta


Inline = (Text | Styled | Code | Link | LineBreak | Abbreviation | Citation | FootnoteRef
          | InlineImage | Math)
Block = (Heading | Paragraph | BulletList | OrderedList | DefinitionList | Table | Callout
         | Quote | CodeBlock | Figure | Division | Rule | PageBreak | Footnotes | References
         | DisplayMath)


def children_of(block: Block) -> list[Block]:
    """The blocks directly inside a block, for walks that look at every block."""
    match block:
        case BulletList() | OrderedList():
            return [b for item in block.items for b in item.blocks]
        case DefinitionList():
            return [b for item in block.items for d in item.definitions for b in d]
        case Table():
            return [b for row in block.rows for cell in row.cells for b in cell.blocks]
        case Callout() | Quote() | Division():
            return block.blocks
        case Footnotes():
            return [b for note in block.notes for b in note.blocks]
        case (Heading() | Paragraph() | CodeBlock() | Figure() | Rule() | PageBreak()
              | References() | DisplayMath()):
            return []
        case _:
            assert_never(block)


def walk(blocks: list[Block]) -> Iterator[Block]:
    """Every block, depth first, in reading order."""
    for block in blocks:
        yield block
        yield from walk(children_of(block))


def inline_lists(block: Block) -> list[list[Inline]]:
    """The runs of inlines a block holds itself (not those of the blocks inside it)."""
    match block:
        case Heading() | Paragraph():
            return [block.children]
        case DefinitionList():
            return [term for item in block.items for term in item.terms]
        case Table() | Figure():
            return [block.caption]
        case Callout():
            return [block.title]
        case References():
            return [entry.children for entry in block.entries]
        case (BulletList() | OrderedList() | Quote() | CodeBlock() | Division() | Rule()
              | PageBreak() | Footnotes() | DisplayMath()):
            return []
        case _:
            assert_never(block)


def walk_inlines(inlines: list[Inline]) -> Iterator[Inline]:
    """Every inline, depth first, in reading order."""
    for node in inlines:
        yield node
        match node:
            case Styled() | Link():
                yield from walk_inlines(node.children)
            case Citation():
                yield from walk_inlines(node.lead + node.rendered)
            case (Text() | Code() | LineBreak() | Abbreviation() | FootnoteRef()
                  | InlineImage() | Math()):
                pass
            case _:
                assert_never(node)


def all_inlines(blocks: list[Block]) -> Iterator[Inline]:
    for block in walk(blocks):
        for inlines in inline_lists(block):
            yield from walk_inlines(inlines)


def inline_text(inlines: list[Inline], citations: bool = True) -> str:
    """The text a reader sees of some inlines; without citations, what the author typed
    (a citation's words are the bibliography's)."""
    parts = []
    for node in inlines:
        match node:
            case Text() | Code():
                parts.append(node.text)
            case Styled() | Link():
                parts.append(inline_text(node.children, citations))
            case LineBreak():
                parts.append(" ")
            case Abbreviation():
                parts.append(f"{node.text} ({node.expansion})" if node.first else node.text)
            case Citation():
                parts.append(inline_text(node.lead + node.rendered) if citations else "")
            case FootnoteRef():
                parts.append(str(node.number))
            case InlineImage() | Math():
                pass
            case _:
                assert_never(node)
    return "".join(parts)


def lines_about(blocks: list[Block], line: int) -> int:
    """How many lines blocks take, about: a paragraph's characters by line (line characters
    to a line), a code block's own lines."""
    count = 0
    for block in walk(blocks):
        if isinstance(block, CodeBlock):
            count += block.text.count("\n") + 1
        for inlines in inline_lists(block):
            count += 1 + len(inline_text(inlines)) // line
    return count
