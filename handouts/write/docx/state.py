"""What the Word writer carries from block to block: the document, the theme, list
numbering, bookmark ids and the footnotes part."""

from dataclasses import dataclass, field, replace

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from handouts.furniture import bookmark_name, unwritable
from handouts.write.docx.styles import Numbering


@dataclass(frozen=True)
class Context:
    """Where blocks are being written: the paragraph style by default, the left indent of
    content nested in lists and quotes (in points), and the list depth."""
    style: str = None
    indent: float = 0
    depth: int = 0
    in_footnote: bool = False

    def but(self, **changes):
        return replace(self, **changes)


@dataclass
class State:
    word: object                # docx.Document
    theme: object
    doc: object                 # load.Document, for errors
    numbering: Numbering = None
    footnotes: object = None    # package.FootnotesPart
    notes: dict = field(default_factory=dict)   # footnote anchor -> model.Footnote
    written_notes: set = field(default_factory=set)  # anchors referred to in the text
    notes_done: set = field(default_factory=set)     # anchors already written as notes
    bookmarks: int = 0
    level: int = 1              # of the last heading written
    style_ids: dict = field(default_factory=dict)  # style name -> id, looked up once

    def __post_init__(self):
        self.numbering = Numbering(self.word, self.theme.font_family)

    def style_id(self, name):
        """A style's id by its name. python-docx looks a name up by reading every style
        (and the default) each time; a handout asks hundreds of times."""
        if name not in self.style_ids:
            self.style_ids[name] = self.word.styles[name].style_id
        return self.style_ids[name]

    def set_style(self, para, name):
        para._p.style = self.style_id(name) if name else None
        return para

    def cannot(self, node):
        return unwritable(self.doc, "Word", node)

    def text_width(self):
        section = self.word.sections[0]
        return section.page_width - section.left_margin - section.right_margin

    def bookmark(self, para, anchor):
        if not anchor:
            return
        self.bookmarks += 1
        start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
        start.set(qn("w:id"), str(self.bookmarks))
        start.set(qn("w:name"), bookmark_name(anchor))
        end.set(qn("w:id"), str(self.bookmarks))
        para._p.append(start)
        para._p.append(end)
