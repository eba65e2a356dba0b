"""The document model: what a handout says, between reading Markdown and writing formats.

As in Pandoc (readers -> one AST -> writers), the reader (handouts/read.py) builds these
typed blocks and inlines, each block with the source line it came from, and every writer
(HTML page, Word file, verification's expectations) dispatches over them exhaustively: a
type a writer does not handle stops the build with file, line and construct, instead of
vanishing from one format.
"""

from dataclasses import dataclass, field


# -- inlines ----------------------------------------------------------------------------

@dataclass
class Text:
    text: str


@dataclass
class Styled:
    """Inline content in one style: strong, emphasis, superscript, subscript, underline,
    small (as HTML names them), or print-address: a link's address for readers on paper,
    not shown on screen."""
    style: str
    children: list


@dataclass
class Code:
    text: str


@dataclass
class Link:
    href: str              # an address, or '#anchor' inside the handout
    children: list
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
    items: list
    narrative: bool = False
    rendered: list = field(default_factory=list)
    lead: list = field(default_factory=list)   # narrative: the authors, part of the sentence

    @property
    def keys(self):
        seen = {}
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


# -- blocks -----------------------------------------------------------------------------

@dataclass
class Heading:
    level: int
    anchor: str
    children: list
    line: int = None


@dataclass
class Paragraph:
    children: list
    line: int = None


@dataclass
class ListItem:
    blocks: list
    task: object = None    # None: not a task; True or False: done or open
    anchor: str = ""


@dataclass
class BulletList:
    items: list
    line: int = None


@dataclass
class OrderedList:
    items: list
    start: int = 1
    line: int = None


@dataclass
class Definition:
    terms: list            # lists of inlines
    definitions: list      # lists of blocks


@dataclass
class DefinitionList:
    items: list
    line: int = None


@dataclass
class Cell:
    blocks: list
    header: bool = False
    colspan: int = 1
    rowspan: int = 1
    align: str = ""        # left, right, center or '' (the default)


@dataclass
class Row:
    cells: list
    head: bool = False     # part of the table's header rows


@dataclass
class Table:
    rows: list
    caption: list = field(default_factory=list)   # inlines
    line: int = None

    def grid(self):
        """(row, column, cell) for each cell, its column counted past earlier row and
        column spans, as a reader sees the cell stand."""
        taken = set()
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

    def width(self):
        return max((c + cell.colspan for _, c, cell in self.grid()), default=0)


@dataclass
class Callout:
    kind: str              # note, tip, warning or danger
    title: list            # inlines
    blocks: list
    line: int = None


@dataclass
class Quote:
    blocks: list
    line: int = None


@dataclass
class CodeBlock:
    text: str
    line: int = None


@dataclass
class Figure:
    src: str               # a data: URL once pictures are checked, at print size
    alt: str
    caption: list = field(default_factory=list)   # inlines
    line: int = None
    screen_src: str = ""   # the same picture at a screen's size, for the web page


@dataclass
class Division:
    """A raw <div> or <section> an author wrote: its content, without their classes."""
    blocks: list
    line: int = None


@dataclass
class Rule:
    line: int = None


@dataclass
class Footnote:
    number: int
    anchor: str
    blocks: list


@dataclass
class Footnotes:
    notes: list
    line: int = None


@dataclass
class ReferenceEntry:
    key: str
    anchor: str
    number: int
    children: list         # inlines of the formatted entry, without its number


@dataclass
class References:
    entries: list
    numbered: bool
    line: int = None


@dataclass
class Document:
    """The handout: front matter (load.Document) and its blocks, in reading order."""
    source: object         # load.Document
    blocks: list
    warnings: list = field(default_factory=list)   # for the author, found while reading

    @property
    def meta(self):
        return self.source.meta


BLOCK_TYPES = (Heading, Paragraph, BulletList, OrderedList, DefinitionList, Table, Callout,
               Quote, CodeBlock, Figure, Division, Rule, Footnotes, References)


def children_of(block):
    """The blocks directly inside a block, for walks that look at every block."""
    if isinstance(block, (BulletList, OrderedList)):
        return [b for item in block.items for b in item.blocks]
    if isinstance(block, DefinitionList):
        return [b for item in block.items for d in item.definitions for b in d]
    if isinstance(block, Table):
        return [b for row in block.rows for cell in row.cells for b in cell.blocks]
    if isinstance(block, (Callout, Quote, Division)):
        return block.blocks
    if isinstance(block, Footnotes):
        return [b for note in block.notes for b in note.blocks]
    return []


def walk(blocks):
    """Every block, depth first, in reading order."""
    for block in blocks:
        yield block
        yield from walk(children_of(block))


def inline_lists(block):
    """The runs of inlines a block holds itself (not those of the blocks inside it)."""
    if isinstance(block, (Heading, Paragraph)):
        return [block.children]
    if isinstance(block, DefinitionList):
        return [term for item in block.items for term in item.terms]
    if isinstance(block, (Table, Figure)):
        return [block.caption]
    if isinstance(block, Callout):
        return [block.title]
    if isinstance(block, References):
        return [entry.children for entry in block.entries]
    return []


def walk_inlines(inlines):
    """Every inline, depth first, in reading order."""
    for node in inlines:
        yield node
        if isinstance(node, (Styled, Link)):
            yield from walk_inlines(node.children)
        elif isinstance(node, Citation):
            yield from walk_inlines(node.lead + node.rendered)


def all_inlines(blocks):
    for block in walk(blocks):
        for inlines in inline_lists(block):
            yield from walk_inlines(inlines)


def inline_text(inlines):
    """The text a reader sees of some inlines."""
    parts = []
    for node in inlines:
        if isinstance(node, Text):
            parts.append(node.text)
        elif isinstance(node, Code):
            parts.append(node.text)
        elif isinstance(node, (Styled, Link)):
            parts.append(inline_text(node.children))
        elif isinstance(node, LineBreak):
            parts.append(" ")
        elif isinstance(node, Abbreviation):
            parts.append(f"{node.text} ({node.expansion})" if node.first else node.text)
        elif isinstance(node, Citation):
            parts.append(inline_text(node.lead + node.rendered))
        elif isinstance(node, FootnoteRef):
            parts.append(str(node.number))
        elif isinstance(node, InlineImage):
            pass
        else:
            raise TypeError(f"unknown inline {type(node).__name__}")
    return "".join(parts)
