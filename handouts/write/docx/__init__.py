"""Word stage: the document model becomes an editable DOCX brochure (python-docx).

Split as Pandoc splits its Docx writer, one job per file:
  package.py  properties, page, header and footer, footnotes part, zip dates
  styles.py   Word styles and list numbering from the theme
  fonts.py    the bundled typeface embedded
  state.py    what the writer carries from block to block
  blocks.py   one function per block type
  inlines.py  one function per inline type
  tables.py   tables, with merged cells in their columns
  schema.py   children of Word's property elements in the standard's order
The block writer is handed to the inline and table writers, which do not import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handouts import model as m
from handouts.furniture import doc_control
from handouts.write.docx.blocks import (write_blocks, write_contact, write_masthead,
                                        write_online_copy)
from handouts.style import fonts
from handouts.write.docx.fonts import embed_subset
from handouts.write.docx.package import FootnotesPart, finish, issue_day, new_document
from handouts.write.docx.pagination import keep_pages
from handouts.write.docx.state import Context, State

if TYPE_CHECKING:
    from handouts.style.theme import Theme


def write_docx(document: m.Document, theme: Theme) -> bytes:
    """Return the DOCX bytes for the document."""
    doc = document.source
    control = doc_control(doc.meta)
    word = new_document(doc, theme, control)
    state = State(word, theme, doc, FootnotesPart(word))
    state.notes = {note.anchor: note for block in m.walk(document.blocks)
                   if isinstance(block, m.Footnotes) for note in block.notes}
    state.written_notes = {n.anchor for n in m.all_inlines(document.blocks)
                           if isinstance(n, m.FootnoteRef)}
    write_masthead(state, doc.meta, theme, control)
    text = [b for b in document.blocks if not isinstance(b, m.References)]
    write_blocks(state, text, word, Context())
    # As on the page: a 'Contact us' panel closes the text, before the references; with no
    # details to give, the clinic's name alone ends the document.
    panel = bool(theme.organisation.panel_lines(doc))
    if panel:
        write_contact(state, theme)
    write_online_copy(state, doc.meta)
    write_blocks(state, [b for b in document.blocks if isinstance(b, m.References)], word,
                 Context())
    if not panel:
        write_contact(state, theme)
    keep_pages(word)
    words = sum(len(m.inline_text(i).split()) for b in m.walk(document.blocks)
                for i in m.inline_lists(b))
    if state.emoji:
        embed_subset(word, fonts.EMOJI, fonts.PACKAGED[fonts.EMOJI]["normal"], state.emoji)
    return finish(word, issue_day(doc.meta), doc, words)
