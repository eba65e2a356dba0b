"""Verify stage: pull the text back out of the written HTML, PDF and DOCX and confirm that
the text of every block of the document model is in each of them, in reading order, that
table cells stand in their columns, and that every heading, reference and citation link is
there.

What is expected comes from the model and the rendered page in memory, before any writer
runs. Text is compared as letters and digits only (read.squash), so line breaks, PDF
hyphenation and typographic punctuation do not count; the PDF's running header and footer
are taken off each page before comparing. Nothing else is allowed for.
"""

import dataclasses
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import import_module

import lxml.html

from handouts import model as m
from handouts.read.markdown import squash
from handouts.messages import catalogue, right_to_left
from handouts.furniture import doc_control

# Each format's reader is its own module, loaded when that format is checked: a web-page-only
# build never loads the PDF and Word libraries.
READERS = {"html": "html", "pdf": "pdf", "docx": "docx"}


@dataclass
class Block:
    """One block's text as every output must hold it."""
    kind: str
    text: str
    line: int
    notes: bool = False          # a footnote: at the foot of a Word page, at the end elsewhere


@dataclass
class Expected:
    headings: list                              # texts, title first
    references: list                            # cite.Reference
    markers: list = field(default_factory=list)  # in-text citation texts, e.g. "1,2,3"
    linked: set = field(default_factory=set)    # reference anchors the in-text citations link to
    blocks: list = field(default_factory=list)  # Block, in reading order
    tables: list = field(default_factory=list)  # model.Table, in reading order
    furniture: list = field(default_factory=list)  # running header and footer texts
    page_label: object = None                   # (page, pages) -> "Page 1 of 3", in its language
    right_to_left: bool = False                 # the page's direction, from its language
    entries_by_word: bool = False               # references looked for word by word (PDF)


@dataclass
class Extracted:
    """What one output holds, as text a reader would see."""
    headings: list
    text: str
    reference_entries: list
    markers: list        # None where the format cannot tell a marker from other text
    link_targets: set
    target_name: object = staticmethod(lambda anchor: anchor)  # HTML id -> this format's name
    notes: str = None    # footnote text kept apart from the body (Word); None: in text
    tables: list = None  # per table, {(row, column): text}; None: the format cannot tell
    blocks_text: str = None  # the text blocks are looked for in, where not all of text
    hidden: list = field(default_factory=list)  # texts drawn where they cannot be seen


def expected(document, citations, page):
    """What every output must hold, read from the model and the rendered page."""
    tree = page.tree
    headings = [_clean(h.text_content()) for h in tree.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    references = citations.references if citations else []
    markers = [_clean(s.text_content()) for s in tree.find_class("citation")]
    linked = {a.get("href")[1:] for s in tree.find_class("citation") for a in s.iter("a")}
    meta = document.meta
    return Expected(headings, references, markers, linked, blocks=model_blocks(document),
                    tables=[b for b in m.walk(document.blocks) if isinstance(b, m.Table)],
                    furniture=[doc_control(meta), meta.running_title],
                    page_label=functools.partial(_page_label, meta.lang),
                    right_to_left=right_to_left(meta.lang))


def _page_label(lang, page, pages):  # a function of its own: Expected is sent to a process
    return catalogue(lang)("page", page=page, pages=pages)


def model_blocks(document):
    """The text of every block that holds text itself, in reading order."""
    out = [Block("title", document.meta.title, 1)]
    _collect(document.blocks, out, notes=False, line=None)
    return out


def _collect(blocks, out, notes, line):
    for block in blocks:
        if not isinstance(block, m.BLOCK_TYPES):  # a new type must be taught here too
            raise TypeError(f"verify has no expectation for a {type(block).__name__}")
        line = getattr(block, "line", None) or line
        kind = type(block).__name__
        inside_notes = notes or isinstance(block, m.Footnotes)
        if isinstance(block, m.DefinitionList):  # each term, then what it means
            for item in block.items:
                out += [Block(kind, m.inline_text(t), line, inside_notes) for t in item.terms]
                for definition in item.definitions:
                    _collect(definition, out, inside_notes, line)
            continue
        for inlines in m.inline_lists(block):
            text = m.inline_text(inlines)
            if squash(text):
                out.append(Block(kind, text, line, inside_notes))
        if isinstance(block, m.CodeBlock) and squash(block.text):
            out.append(Block(kind, block.text, line, inside_notes))
        _collect(m.children_of(block), out, inside_notes, line)


def word_count(blocks):
    return sum(len(re.findall(r"\w+", b.text)) for b in blocks)


# Joined (Arabic-script) letters: WeasyPrint's PDF maps some shaped glyphs back to the wrong
# letters, so such text cannot be read back out of the PDF to be compared. It is compared in
# the web page and the Word file; the build says the PDF's must be checked by eye.
JOINED_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff"
                           "\ufe70-\ufeff]")


class Problem(str):
    """A 'format: what is wrong' line, and the line of the source it names (or None)."""

    @property
    def line(self):
        found = re.match(r"\w+: line (\d+): ", self)
        return int(found.group(1)) if found else None


def check(paths, want):
    """Problems as 'format: what is wrong' lines; empty when all is there."""
    problems = []
    for fmt, path in paths.items():
        wanted = readable_in_pdf(want) if fmt == "pdf" else want
        got = import_module(f".{READERS[fmt]}", __name__).read(path, wanted)
        problems += [Problem(f"{fmt}: {p}") for p in _compare(wanted, got)]
    return problems


def unreadable_in_pdf(want):
    """How many of the blocks hold text the PDF cannot give back (JOINED_SCRIPT)."""
    return sum(1 for b in want.blocks if JOINED_SCRIPT.search(b.text))


def readable_in_pdf(want):
    """What the PDF can give back. On a right-to-left page, or with joined letters in an
    entry, a line's runs of text stand in the order they are shown, not read: the
    references are looked for word by word."""
    by_word = want.right_to_left or any(JOINED_SCRIPT.search(r.html) for r in want.references)
    want = dataclasses.replace(want, entries_by_word=by_word) if by_word else want
    if not unreadable_in_pdf(want):
        return want
    keep = lambda text: not JOINED_SCRIPT.search(text)  # noqa: E731
    return dataclasses.replace(
        want, headings=[h for h in want.headings if keep(h)],
        markers=[x for x in want.markers if keep(x)],
        blocks=[b for b in want.blocks if keep(b.text)],
        furniture=[f for f in want.furniture if keep(f)])


def _compare(want, got):
    missing = []
    headings = {_squash(h) for h in got.headings}
    body = _squash(got.text)
    for heading in want.headings:
        if _squash(heading) not in headings:
            missing.append(f"section heading '{heading}' is missing")
    entries = [_squash(e) for e in got.reference_entries]
    for ref in want.references:
        if not _entry_found(_plain(ref.html), body, entries, want.entries_by_word):
            missing.append(f"reference {ref.number} ({ref.key}) is missing from the list")
        if ref.anchor in want.linked and got.target_name(ref.anchor) not in got.link_targets:
            missing.append(f"no in-text citation links to reference {ref.number} ({ref.key})")
    missing += _hidden(want.blocks, got.hidden)
    markers = [_squash(m) for m in got.markers or []]
    for marker in want.markers if got.markers is not None else []:
        if _squash(marker) not in markers:
            missing.append(f"in-text citation '{marker}' is missing")
        else:
            markers.remove(_squash(marker))
    missing += _compare_blocks(want.blocks, got)
    missing += _compare_tables(want.tables, got.tables)
    return missing


def _entry_found(entry, body, entries, by_word):
    if by_word:  # the words the PDF can give back, each somewhere in the text
        return all(_squash(word) in body for word in re.findall(r"\w+", entry)
                   if not JOINED_SCRIPT.search(word))
    entry = _squash(entry)
    return entry in body and any(entry in e for e in entries)


def _hidden(blocks, texts):
    """The first text drawn where it cannot be seen, named by its block."""
    if not texts:
        return []
    block = next((b for b in blocks if squash(texts[0]) in squash(b.text)), None)
    shown = _clean(block.text if block else texts[0])
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    where = f"line {block.line}: {_KINDS.get(block.kind, block.kind)}" if block else "text"
    return [f"{where} '{shown}' cannot be seen on the page (styles/handout.css gives it the "
            "colour of what is behind it, no size, or no place on the page)"]


def _compare_blocks(blocks, got):
    """The first block whose text is missing, or stands out of reading order."""
    text = squash(got.blocks_text if got.blocks_text is not None else got.text)
    streams = {False: [text, 0], True: [squash(got.notes) if got.notes is not None else text, 0]}
    for block in blocks:
        stream = streams[block.notes and got.notes is not None]
        wanted = squash(block.text)
        found = stream[0].find(wanted, stream[1])
        if found < 0:
            where = "is out of reading order" if wanted in stream[0] else "is missing"
            shown = _clean(block.text)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return [f"line {block.line}: {_KINDS.get(block.kind, block.kind)} '{shown}' {where}"]
        stream[1] = found + len(wanted)
    return []


_KINDS = {"Paragraph": "text", "Heading": "heading", "DefinitionList": "term",
          "Table": "table caption", "Callout": "box title", "CodeBlock": "code",
          "Figure": "picture caption", "References": "reference", "title": "title"}


def _compare_tables(tables, got_tables):
    if got_tables is None:
        return []
    if len(got_tables) < len(tables):
        return [f"{len(tables) - len(got_tables)} of {len(tables)} tables are missing"]
    for table, cells in zip(tables, got_tables):
        for r, c, cell in table.grid():
            wanted = squash(" ".join(m.inline_text(i) for b in m.walk(cell.blocks)
                                     for i in m.inline_lists(b)))
            if squash(cells.get((r, c), "")) != wanted:
                shown = _clean(" ".join(m.inline_text(i) for b in cell.blocks
                                        for i in m.inline_lists(b)))[:40]
                return [f"line {table.line}: table cell '{shown}' is not in row {r + 1}, "
                        f"column {c + 1}"]
    return []


def _plain(html):
    return lxml.html.fragment_fromstring(html, create_parent="div").text_content()


def _clean(text):
    return re.sub(r"\s+", " ", text).strip()


def _squash(text):
    """Text compared without layout: no white space, soft hyphens or case, compatibility
    forms folded (ligatures), so PDF line breaks and small caps do not matter."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return re.sub(r"\s+", "", text).casefold()
