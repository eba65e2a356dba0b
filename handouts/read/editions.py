"""Editions: one source, one handout per reader. Front matter `editions: [patient, referrer]`
and fenced divs, as Pandoc and Quarto users write them,

    ::: patient
    Text only the patient edition holds.
    :::

make output/NAME-patient.* and output/NAME-referrer.*; text outside any div is in both.
Each edition is then a document of its own: read, written, verified and reported alone.
Lines left out become blank lines, so every error still names the line of the file.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from handouts.diagnostics import Diagnostic, Diagnostics

if TYPE_CHECKING:
    from handouts.read.front_matter import Document
    from handouts.style.theme import Organisation

OPENER = re.compile(r"^:{3,}\s*(?:\{\s*\.?([\w-]+)\s*\}|([\w-]+))\s*$")
CLOSER = re.compile(r"^:{3,}\s*$")
CODE_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# A line holding only {{contact}}: the clinic's name, address, phone and website from
# styles/theme.yaml, as a referrer edition's "How to refer" needs them.
CONTACT = re.compile(r"^\{\{[ \t]*contact[ \t]*\}\}[ \t]*$", re.M)
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def select(doc: Document, edition: str | None) -> Document:
    """The document as one edition reads it: its own divs kept (their fences blanked), the
    other editions' divs blanked. With no editions declared, doc as it is: the reader then
    refuses any ':::' at its line."""
    if not doc.meta.editions:
        return doc
    kept: list[str] = []
    errors: list[Diagnostic] = []
    inside: str | None = None
    opened: int | None = None
    fence: str | None = None
    for number, line in enumerate(doc.body.split("\n"), doc.body_line):
        code = CODE_FENCE.match(line)
        if code and (fence is None or code.group(1)[0] == fence[0]):
            fence = None if fence else code.group(1)
        opener = OPENER.match(line) if fence is None else None
        if opener:
            name = opener.group(1) or opener.group(2)
            if inside is not None:
                errors.append(doc.error(f"'::: {name}' opens inside the '::: {inside}' block "
                                        f"opened on line {opened}", "close that block with "
                                        "a ':::' line first; blocks do not nest", line=number))
            elif name not in doc.meta.editions:
                errors.append(doc.error(f"'::: {name}' names an edition this handout does not "
                                        "declare", "declare it in the front matter, e.g. "
                                        f"'editions: [{', '.join(doc.meta.editions + [name])}]'",
                                        line=number))
            inside, opened = name, number
            kept.append("")
        elif fence is None and CLOSER.match(line) and inside is not None:
            inside = None
            kept.append("")
        else:
            kept.append(line if inside in (None, edition) else "")
    if inside is not None:
        errors.append(doc.error(f"the '::: {inside}' block is never closed",
                                "end it with a line of three colons, ':::'", line=opened))
    if errors:
        raise Diagnostics(errors)
    edition = edition or ""  # None: only the text outside every edition's blocks
    meta = dataclasses.replace(doc.meta, audience=doc.meta.edition_audiences.get(
        edition, doc.meta.audience))
    return dataclasses.replace(doc, body="\n".join(kept), edition=edition, meta=meta)


def documents(doc: Document) -> list[Document]:
    """Every edition of a loaded handout, or the handout itself when it has none."""
    return [select(doc, edition) for edition in doc.meta.editions] or [select(doc, None)]


def fill_contact(doc: Document, organisation: Organisation) -> Document:
    """{{contact}} lines as one line of the clinic's details (one line, so the lines after
    keep their numbers); the details are text, never Markdown."""
    if not CONTACT.search(doc.body):
        return doc
    details = [organisation.name] + organisation.contact_lines()
    line = " · ".join(MARKDOWN_PUNCTUATION.sub(r"\\\1", d) for d in details if d)
    return dataclasses.replace(doc, body=CONTACT.sub(lambda _: line, doc.body))
