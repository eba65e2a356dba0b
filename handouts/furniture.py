"""What every writer and the checker share, so that neither imports a writer: the document
control line, dates in the reader's language, the Word names a box and a bookmark get, and
the error for a construct a writer has no code for."""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

from handouts.diagnostics import Diagnostic
from handouts.messages import catalogue

if TYPE_CHECKING:
    from handouts.read.front_matter import Document, Meta

# A table this short is kept whole on one page, with its caption (PDF and Word): so many
# rows, and so many characters in all (tall rows make a long table of few rows)
SHORT_TABLE = 12
SHORT_TABLE_CHARACTERS = 1200
SHORT_TABLE_LINES = 24  # and so many lines, about, as its columns wrap its cells
LINE_CHARACTERS = 90    # on a line of the text box, about
# A paragraph of a line or less at the body's size: under a heading, it is kept with what
# follows it (a list, a table, a paragraph; not a box), in the PDF and in Word alike.
ONE_LINE_CHARACTERS = 80
# A box taller than this many lines, about, may break across pages (PDF and Word): kept
# whole, one holding a long code block moved to the next page and left a hole behind it.
TALL_BOX_LINES = 15


def short_table(rows: list[list[str]]) -> bool:
    """Whether a table (its cells' text, row by row) is kept whole on a page: SHORT_TABLE
    rows at most, SHORT_TABLE_CHARACTERS characters, and SHORT_TABLE_LINES lines as its
    columns wrap them (five narrow columns of long identifiers made four rows a page tall,
    and WeasyPrint dropped the header of the table it could not keep whole)."""
    if len(rows) > SHORT_TABLE or sum(len(c) for r in rows for c in r) > SHORT_TABLE_CHARACTERS:
        return False
    width = max(8, LINE_CHARACTERS // max((len(r) for r in rows), default=1))
    return sum(max((1 + len(c) // width for c in r), default=1) for r in rows) \
        <= SHORT_TABLE_LINES


def leads_in(text: str) -> bool:
    """A paragraph of a line or less that ends in a colon ("You should see a histogram like
    this:"): it introduces what follows, and is kept on a page with it (PDF and Word)."""
    return len(text) <= ONE_LINE_CHARACTERS and text.rstrip().endswith(":")


# The Word style of each kind of box: the Word writer sets it, the checker knows a box by it.
# The note box (the key points) keeps the name it has always had.
CALLOUT_STYLES = {"note": "Callout Box", "tip": "Tip Box", "important": "Important Box",
                  "warning": "Warning Box", "caution": "Caution Box", "danger": "Danger Box"}
# Word tables that lay the page out and hold no data: the contact panel and the QR code.
PANEL_STYLE, QR_STYLE = "Contact Box", "Online Copy Box"
BOX_STYLES = {*CALLOUT_STYLES.values(), PANEL_STYLE, QR_STYLE}


def doc_control(meta: Meta) -> str:
    """The document control line, in the handout's language: version and dates, and who
    approved this version."""
    return " · ".join(part for part in (draft_mark(meta), footer_control(meta), approval(meta))
                      if part)


def footer_control(meta: Meta) -> str:
    """The running footer's part of the document control line: version and dates. Who
    approved it, and a draft's mark, are printed in the running header (header_right), so
    that the footer, with the page number beside it, stays on one line (a Spanish draft's
    wrapped onto three)."""
    say = catalogue(meta.lang)
    parts = [say("version", version=meta.version)] if meta.version else []
    parts += [say("issued", date=say.date(meta.date))] if meta.date else []
    parts += [say("review_due", date=say.date(meta.review_due))] if meta.review_due else []
    return " · ".join(parts)


def booklet_footer(meta: Meta) -> str:
    """The running footer of a folded booklet's half pages: the version alone. The dates
    are on its cover, under the title (doc_control): with them, so narrow a footer took two
    lines."""
    return catalogue(meta.lang)("version", version=meta.version) if meta.version else ""


def approval(meta: Meta) -> str:
    """Who approved this version, and when; empty before approval."""
    say = catalogue(meta.lang)
    if meta.approved_by and meta.approved_on:
        return say("approved_on", who=meta.approved_by, date=say.date(meta.approved_on))
    return say("approved", who=meta.approved_by) if meta.approved_by else ""


def header_right(meta: Meta) -> str:
    """The running header's right-hand words from page 2: a draft's mark, and who approved
    the handout (a draft's mark alone on the title page)."""
    return " · ".join(part for part in (draft_mark(meta), approval(meta)) if part)


def draft_mark(meta: Meta) -> str:
    """The mark on every page of a draft (a handout lacking document control), in the
    running header of the PDF and the Word file and at the top of the web page; empty for
    a handout with its document control whole."""
    return catalogue(meta.lang)("draft") if meta.draft else ""


def abstract_parts(meta: Meta) -> list[str]:
    """The abstract's paragraphs (blank lines between them), each on one line: printed
    under the title in every format."""
    return [" ".join(part.split()) for part in re.split(r"\n\s*\n", meta.abstract)
            if part.strip()]


def date_text(day: datetime.date, lang: str = "en") -> str:
    return catalogue(lang).date(day)


def bookmark_name(anchor: str) -> str:
    """Word bookmark names: a letter first, then letters, digits and underscores, 40 at most."""
    name = re.sub(r"\W", "_", anchor)
    return (name if name[:1].isalpha() else "a" + name)[:40]


def unwritable(doc: Document, fmt: str, node: object) -> Diagnostic:
    """The error for a construct a writer has no code for: a bug, named so it can be fixed."""
    line: int | None = getattr(node, "line", None)
    return Diagnostic(doc.path, f"the {fmt} writer cannot write a {type(node).__name__}",
                      "report this as a bug; until it is fixed, write the passage another way",
                      line)
