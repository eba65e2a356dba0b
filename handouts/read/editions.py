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

import copy
import dataclasses
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from handouts.diagnostics import Diagnostic, Diagnostics
from handouts.model import BOX_KINDS

if TYPE_CHECKING:
    from handouts.read.front_matter import Document, Meta
    from handouts.style.theme import Organisation

OPENER = re.compile(r"^:{3,}\s*(?:\{\s*\.?([\w-]+)\s*\}|([\w-]+))\s*$")
CLOSER = re.compile(r"^:{3,}\s*$")
ANY_OPENER = re.compile(r"^:{3,}\s*\S")
CODE_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# A line holding only {{contact}}: the clinic's name, address, phone and website from
# styles/theme.yaml, as a referrer edition's "How to refer" needs them.
CONTACT = re.compile(r"^\{\{[ \t]*contact[ \t]*\}\}[ \t]*$", re.M)


def select(doc: Document, edition: str | None) -> Document:
    """The document as one edition reads it: its own divs kept (their fences blanked), the
    other editions' divs blanked; other fenced divs (a Quarto callout) are left to the
    reader. With no editions declared, doc as it is."""
    if not doc.meta.editions:
        return doc
    kept: list[str] = []
    errors: list[Diagnostic] = []
    inside: str | None = None
    opened: int | None = None
    fence: str | None = None
    other = 0  # other fenced divs open (a Quarto callout): theirs, with their closing lines
    for number, line in enumerate(doc.body.split("\n"), doc.body_line):
        code = CODE_FENCE.match(line)
        if code and (fence is None or code.group(1)[0] == fence[0]):
            fence = None if fence else code.group(1)
        opener = OPENER.match(line) if fence is None else None
        if opener and _box_or_division(opener.group(1) or opener.group(2), doc.meta.editions):
            opener = None
        if fence is None and (ANY_OPENER.match(line) and not opener or CLOSER.match(line)
                              and other):
            other += 1 if ANY_OPENER.match(line) else -1
            kept.append(line if inside in (None, edition) else "")
        elif opener:
            name = opener.group(1) or opener.group(2)
            if inside is not None:
                errors.append(doc.error(f"'::: {name}' opens inside the '::: {inside}' block "
                                        f"opened on line {opened}", "close that block with "
                                        "a ':::' line first; blocks do not nest", line=number))
            elif name not in doc.meta.editions:
                errors.append(doc.error(f"'::: {name}' names an edition this handout does not "
                                        "declare", _undeclared_hint(name, doc.meta.editions),
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
    meta, field_lines = _titled(doc, meta, edition)
    return dataclasses.replace(doc, body="\n".join(kept), edition=edition, meta=meta,
                               field_lines=field_lines)


def _titled(doc: Document, meta: Meta, edition: str) -> tuple[Meta, dict[str, int]]:
    """The edition's own title, subtitle and short title in place of the handout's, and
    their lines in the front matter in place of the handout's fields' lines. An edition
    with a title of its own has none of the handout's subtitle or short title, which go
    with the handout's title."""
    own = doc.meta.edition_titles.get(edition)
    if own is None:
        return meta, doc.field_lines
    lines = dict(doc.field_lines)
    for key, value in (("title", own.title), ("subtitle", own.subtitle),
                       ("short_title", own.short_title)):
        if value:
            lines[key] = doc.field_lines.get(f"editions.{edition}.{key}") or \
                doc.field_lines.get(f"editions.{edition}") or lines.get("editions", 1)
    if own.title:  # the handout's subtitle and short title go with the handout's title
        meta = dataclasses.replace(meta, title=own.title, subtitle=own.subtitle,
                                   short_title=own.short_title)
    else:
        meta = dataclasses.replace(meta, subtitle=own.subtitle or meta.subtitle,
                                   short_title=own.short_title or meta.short_title)
    return meta, lines


def _box_or_division(name: str, declared: list[str]) -> bool:
    """Whether a fenced div names a box or a class of other tools' (a Quarto callout, a
    Docusaurus ':::note'), not an edition (nor a misspelt one)."""
    if name in declared or any(_one_letter_apart(name, d) for d in declared):
        return False
    return name.removeprefix("callout-") in BOX_KINDS


def _undeclared_hint(name: str, declared: list[str]) -> str:
    """What to do about a block naming an undeclared edition: a declared name one letter
    away from it (a typo, '::: patients' for 'patient'), else declare it."""
    near = [d for d in declared if _one_letter_apart(name, d)]
    if near:
        return f"did you mean '::: {near[0]}'?"
    return ("declare it in the front matter, e.g. "
            f"'editions: [{', '.join(declared + [name])}]'")


def _one_letter_apart(a: str, b: str) -> bool:
    """a and b differ by one letter added, taken away or changed, or two neighbours swapped."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    if len(a) == len(b):
        return a[start + 1:] == b[start + 1:] or (
            a[start + 2:] == b[start + 2:] and a[start:start + 2] == b[start:start + 2][::-1])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[start + 1:] == shorter[start:]


def named(doc: Document, warnings: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The warnings of one edition, each naming it (when the handout has editions): copies,
    so a warning object two editions share keeps naming each its own."""
    if not doc.edition:
        return list(warnings)
    copies = [copy.copy(warning) for warning in warnings]
    for warning in copies:
        warning.edition = doc.edition
    return copies


def documents(doc: Document) -> list[Document]:
    """Every edition of a loaded handout, or the handout itself when it has none."""
    return [select(doc, edition) for edition in doc.meta.editions] or [select(doc, None)]


def fill_contact(doc: Document, organisation: Organisation) -> Document:
    """{{contact}} lines as one line of the clinic's details for the handout's readers (for
    clinicians, the ways to refer too), one line so the lines after keep their numbers; the
    details are text, never Markdown. The writers then print no 'Contact us' panel to
    repeat them (Organisation.panel_lines)."""
    if not CONTACT.search(doc.body):
        return doc
    line = organisation.contact_markdown(doc)
    return dataclasses.replace(doc, body=CONTACT.sub(lambda _: line, doc.body))
