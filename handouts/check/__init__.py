"""Verify stage: pull the text back out of the written HTML, PDF and DOCX and confirm that
the text of every block of the document model is in each of them, in reading order, that
table cells stand in their columns, and that every heading, reference and citation link is
there.

What is expected comes from the model alone (and the theme's contact panel), never from a
writer: the checker imports no writer, so a writer's mistake cannot become the expectation.
Text is compared as letters and digits only (read.squash), so line breaks, PDF
hyphenation and typographic punctuation do not count; the PDF's running header and footer
are taken off each page before comparing. Nothing else is allowed for.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, assert_never

import lxml.html

from handouts import model as m
from handouts.read.markdown import squash
from handouts.messages import catalogue, right_to_left
from handouts.furniture import approval, draft_mark, footer_control, header_right

if TYPE_CHECKING:
    from handouts.cite.format import Citations, Reference
    from handouts.messages import Messages
    from handouts.style.theme import Theme



@dataclass
class Block:
    """One block's text as every output must hold it."""
    kind: str
    text: str
    line: int | None
    notes: bool = False          # a footnote: at the foot of its page (PDF, Word) or its
                                 # section (web page), read in the notes' own order


@dataclass
class Formula:
    """A formula as every output must draw it: not as text, but as MathML, a picture or an
    equation."""
    tex: str
    line: int | None


def formulas(blocks: list[m.Block], line: int | None = None) -> list[Formula]:
    """Every formula of the blocks, in reading order, at the line of the block holding it."""
    out: list[Formula] = []
    for block in blocks:
        here = block.line or line
        if isinstance(block, m.DisplayMath):
            out.append(Formula(block.tex, here))
        out += [Formula(node.tex, here) for inlines in m.inline_lists(block)
                for node in m.walk_inlines(inlines) if isinstance(node, m.Math)]
        out += formulas(m.children_of(block), here)
    return out


def _code_text(blocks: list[m.Block]) -> str:
    return "\n".join([b.text for b in m.walk(blocks) if isinstance(b, m.CodeBlock)]
                     + [n.text for n in m.all_inlines(blocks) if isinstance(n, m.Code)])


def _no_page_label(page: int, pages: int) -> str:
    return ""


@dataclass
class Expected:
    headings: list[str]                         # texts, title first
    references: list[Reference]
    markers: list[str] = field(default_factory=list)  # in-text citation texts, e.g. "1,2,3"
    linked: set[str] = field(default_factory=set)  # reference anchors the citations link to
    blocks: list[Block] = field(default_factory=list)  # in reading order
    tables: list[m.Table] = field(default_factory=list)  # in reading order
    furniture: list[str] = field(default_factory=list)  # running header and footer texts
    # (page, pages) -> "Page 1 of 3", in its language
    page_label: Callable[[int, int], str] = _no_page_label
    right_to_left: bool = False                 # the page's direction, from its language
    entries_by_word: bool = False               # references looked for word by word (PDF)
    # the page's margins in points (top, right, bottom, left): text past them is off the page
    margins: tuple[float, float, float, float] | None = None
    formulas: list[Formula] = field(default_factory=list)  # in reading order
    code: str = ""  # the text of every code block and code span: TeX shown as TeX there


def _same_name(anchor: str) -> str:
    return anchor


@dataclass
class Extracted:
    """What one output holds, as text a reader would see."""
    headings: list[str]
    text: str
    reference_entries: list[str]
    markers: list[str] | None  # None where the format cannot tell a marker from other text
    link_targets: set[str]
    target_name: Callable[[str], str] = _same_name  # HTML id -> this format's name
    notes: str | None = None  # footnote text kept apart from the body (Word); None: in text
    # per table, {(row, column): text}; None: the format cannot tell
    tables: list[dict[tuple[int, int], str]] | None = None
    blocks_text: str | None = None  # the text blocks are looked for in, where not all of text
    hidden: list[str] = field(default_factory=list)  # texts drawn where they cannot be seen
    # (page, text, where) for text past the page's edge or the text box's sides
    outside: list[tuple[int, str, str]] = field(default_factory=list)
    # the formulas drawn (MathML, pictures, equations): each one's TeX where the format
    # keeps it (MathML's alttext, a picture's alt text), '' where it does not; None: not read
    formulas: list[str] | None = None


class Reader(Protocol):
    """A format's module: read(path, want) -> what the file holds."""
    def read(self, path: Path, want: Expected | None = None) -> Extracted: ...


def expected(document: m.Document, citations: Citations | None, theme: Theme) -> Expected:
    """What every output must hold, read from the model: its headings, as the page shows
    them (with the contact panel's and the reference list's), and its citations."""
    meta = document.meta
    references = citations.references if citations else []
    cites = [n for n in m.all_inlines(document.blocks) if isinstance(n, m.Citation)]
    return Expected(
        _headings(document, theme), references,
        markers=[_clean(m.inline_text(c.rendered)) for c in cites],
        linked={link.href[1:] for c in cites for link in m.walk_inlines(c.rendered)
                if isinstance(link, m.Link)},
        blocks=model_blocks(document),
        tables=[b for b in m.walk(document.blocks) if isinstance(b, m.Table)],
        # footer, running title, header's right (from page 2), draft mark (page 1)
        furniture=[footer_control(meta), meta.running_title, header_right(meta),
                   draft_mark(meta)],
        page_label=functools.partial(_page_label, meta.lang),
        right_to_left=right_to_left(meta.lang),
        margins=_margins(theme),
        formulas=formulas(document.blocks), code=_code_text(document.blocks))


def _margins(theme: Theme) -> tuple[float, float, float, float]:
    from handouts.check.pages import margins_of
    return margins_of(theme)


def _headings(document: m.Document, theme: Theme) -> list[str]:
    """The title, the text's headings and box titles, the contact panel's heading (when the
    page has one: Organisation.panel_lines) and the reference list's: in the order the page
    has them."""
    say = catalogue(document.meta.lang)
    text: list[m.Block] = [b for b in document.blocks if not isinstance(b, m.References)]
    listed = [b for b in document.blocks if isinstance(b, m.References)]
    headings = [document.meta.title]
    headings += [h for b in m.walk(text) for h in _heading_texts(b, say)]
    panel = theme.organisation.panel_lines(document.source)
    headings += [say("contact_us")] if panel else []
    headings += [say("references") for _ in listed]
    return [_clean(h) for h in headings]


def _heading_texts(block: m.Block, say: Messages) -> list[str]:
    match block:
        case m.Heading():
            return [m.inline_text(block.children)]
        case m.Callout():  # a box's title is a heading one level below its section
            return [m.inline_text(block.title)] if block.title else []
        case m.References():  # one inside another block: the page writes it there
            return [say("references")]
        case (m.Paragraph() | m.BulletList() | m.OrderedList() | m.DefinitionList()
              | m.Table() | m.Quote() | m.CodeBlock() | m.Figure() | m.Division() | m.Rule()
              | m.Footnotes() | m.DisplayMath() | m.PageBreak()):
            return []
        case _:
            assert_never(block)


def _page_label(lang: str, page: int, pages: int) -> str:
    # A function of its own: Expected is sent to a process.
    return catalogue(lang)("page", page=page, pages=pages)


def model_blocks(document: m.Document) -> list[Block]:
    """The text of every block that holds text itself, in reading order."""
    out = [Block("title", document.meta.title, 1)]
    _collect(document.blocks, out, notes=False, line=None)
    return out


def _collect(blocks: list[m.Block], out: list[Block], notes: bool, line: int | None) -> None:
    for block in blocks:
        line = block.line or line
        kind = type(block).__name__
        match block:
            case m.DefinitionList():  # each term, then what it means
                for item in block.items:
                    out += [Block(kind, m.inline_text(t), line, notes) for t in item.terms]
                    for definition in item.definitions:
                        _collect(definition, out, notes, line)
            case m.Footnotes():
                _collect(m.children_of(block), out, True, line)
            case m.CodeBlock():
                out += [Block(kind, block.text, line, notes)] if squash(block.text) else []
            case m.DisplayMath():  # a formula is no words: looked for as one (formulas())
                pass
            case (m.Heading() | m.Paragraph() | m.BulletList() | m.OrderedList() | m.Table()
                  | m.Callout() | m.Quote() | m.Figure() | m.Division() | m.Rule()
                  | m.PageBreak() | m.References()):
                texts = [m.inline_text(inlines) for inlines in m.inline_lists(block)]
                out += [Block(kind, text, line, notes) for text in texts if squash(text)]
                _collect(m.children_of(block), out, notes, line)
            case _:
                assert_never(block)


def word_count(blocks: list[Block]) -> int:
    return sum(len(re.findall(r"\w+", b.text)) for b in blocks)


# Joined (Arabic-script) letters: WeasyPrint's PDF maps some shaped glyphs back to the wrong
# letters, so such text cannot be read back out of the PDF to be compared. It is compared in
# the web page and the Word file; the build says the PDF's must be checked by eye.
JOINED_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff"
                           "\ufe70-\ufeff]")


class Problem(str):
    """A 'format: line N: what is wrong' line; its format, its source line (or None) and
    what is wrong, apart, for a diagnostic of its own."""
    fmt: str
    line: int | None
    what: str

    def __new__(cls, fmt: str, what: str, line: int | None = None) -> Problem:
        problem = super().__new__(cls, f"{fmt}: line {line}: {what}" if line
                                  else f"{fmt}: {what}")
        problem.fmt, problem.what, problem.line = fmt, what, line
        return problem

    def __reduce__(self) -> tuple[type[Problem], tuple[str, str, int | None]]:
        return Problem, (self.fmt, self.what, self.line)  # whole across processes


Missing = tuple[int | None, str]  # the source line, where known, and what is wrong


def check(paths: Mapping[str, Path], want: Expected) -> list[Problem]:
    """Problems, one per format and thing wrong; empty when all is there."""
    problems = []
    for fmt, path in paths.items():
        wanted = readable_in_pdf(want) if fmt == "pdf" else want
        # Each format's reader is its own module (check.html, .pdf, .docx), loaded when that
        # format is checked: a web-page-only build never loads the PDF and Word libraries.
        reader: Reader = import_module(f".{fmt}", __name__)
        got = reader.read(path, wanted)
        problems += [Problem(fmt, what, line) for line, what in _compare(wanted, got)]
    return problems


def unreadable_in_pdf(want: Expected) -> int:
    """How many of the blocks hold text the PDF cannot give back (JOINED_SCRIPT)."""
    return sum(1 for b in want.blocks if JOINED_SCRIPT.search(b.text))


def _readable(text: str) -> bool:
    return not JOINED_SCRIPT.search(text)


def readable_in_pdf(want: Expected) -> Expected:
    """What the PDF can give back. On a right-to-left page, or with joined letters in an
    entry, a line's runs of text stand in the order they are shown, not read: the
    references are looked for word by word."""
    by_word = want.right_to_left or any(JOINED_SCRIPT.search(r.html) for r in want.references)
    want = dataclasses.replace(want, entries_by_word=by_word) if by_word else want
    if not unreadable_in_pdf(want):
        return want
    return dataclasses.replace(
        want, headings=[h for h in want.headings if _readable(h)],
        markers=[x for x in want.markers if _readable(x)],
        blocks=[b for b in want.blocks if _readable(b.text)],
        furniture=[f for f in want.furniture if _readable(f)])


def _compare(want: Expected, got: Extracted) -> list[Missing]:
    missing: list[Missing] = []
    headings = {_squash(h) for h in got.headings}
    body = _squash(got.text)
    blocks = {_squash(b.text) for b in want.blocks}
    for heading in want.headings:
        # A heading whose text is gone altogether is named at its line by the blocks' check.
        gone = _squash(heading) not in body and _squash(heading) in blocks
        if _squash(heading) not in headings and not gone:
            missing.append((None, f"section heading '{heading}' is missing"))
    entries = [_squash(e) for e in got.reference_entries]
    for ref in want.references:
        if not _entry_found(_plain(ref.html), body, entries, want.entries_by_word):
            missing.append((None, f"reference {ref.number} ({ref.key}) is missing from the "
                                  "list"))
        if ref.anchor in want.linked and got.target_name(ref.anchor) not in got.link_targets:
            missing.append((None, f"no in-text citation links to reference {ref.number} "
                                  f"({ref.key})"))
    missing += _hidden(want.blocks, got.hidden)
    missing += _outside(want.blocks, got.outside)
    markers = [_squash(m) for m in got.markers or []]
    for marker in want.markers if got.markers is not None else []:
        if _squash(marker) not in markers:
            missing.append((None, f"in-text citation '{marker}' is missing"))
        else:
            markers.remove(_squash(marker))
    missing += _compare_blocks(want.blocks, got)
    missing += _compare_tables(want.tables, got.tables)
    missing += _compare_formulas(want.formulas, got, want.code)
    return missing


def _compare_formulas(wanted: list[Formula], got: Extracted, code: str = "") -> list[Missing]:
    """Each formula drawn, and none printed as the TeX it was typed in (more often than
    code, which shows what is typed, holds it)."""
    text, code = _clean(got.text), _clean(code)  # line breaks as spaces, as code spans
    for formula in wanted:
        tex = _clean(formula.tex)
        for typed in (f"${tex}$", f"\\({tex}\\)", f"\\[{tex}\\]"):
            if text.count(typed) > code.count(typed):
                return [(formula.line, f"formula '{_shown(formula.tex)}' is printed as TeX")]
    if got.formulas is None:
        return []
    drawn = list(got.formulas)
    for formula in wanted:
        found = formula.tex if formula.tex in drawn else "" if "" in drawn else None
        if found is None:
            return [(formula.line, f"formula '{_shown(formula.tex)}' is not drawn")]
        drawn.remove(found)
    return []


def _entry_found(entry: str, body: str, entries: list[str], by_word: bool) -> bool:
    if by_word:  # the words the PDF can give back, each somewhere in the text
        return all(_squash(word) in body for word in re.findall(r"\w+", entry)
                   if not JOINED_SCRIPT.search(word))
    entry = _squash(entry)
    return entry in body and any(entry in e for e in entries)


def _hidden(blocks: list[Block], texts: list[str]) -> list[Missing]:
    """The first text drawn where it cannot be seen, named by its block."""
    if not texts:
        return []
    block = next((b for b in blocks if squash(texts[0]) in squash(b.text)), None)
    shown = _shown(block.text if block else texts[0])
    what = (f"{_KINDS.get(block.kind, block.kind)} '{shown}'" if block else f"text '{shown}'")
    return [(block.line if block else None,
             f"{what} cannot be seen on the page (styles/handout.css gives it the colour of "
             "what is behind it, no size, or no place on the page)")]


def _outside(blocks: list[Block], texts: list[tuple[int, str, str]]) -> list[Missing]:
    """The first text that runs off the page or past the text box, named by its block."""
    if not texts:
        return []
    page, text, where = texts[0]
    longest = max(text.split(), key=len, default="")
    block = (next((b for b in blocks if squash(text) and squash(text) in squash(b.text)), None)
             or next((b for b in blocks if squash(longest) and squash(longest) in squash(b.text)),
                     None))
    what = (f"{_KINDS.get(block.kind, block.kind)} '{_shown(block.text)}'" if block
            else f"text '{_shown(text)}'")
    return [(block.line if block else None,
             f"{what} runs {where} on page {page} ('{_shown(text)}'); a reader cannot see "
             "all of it: break the long line or word, or shorten it")]


def _compare_blocks(blocks: list[Block], got: Extracted) -> list[Missing]:
    """The first block whose text is missing, or stands out of reading order."""
    text = squash(got.blocks_text if got.blocks_text is not None else got.text)
    # The body, and the notes apart (or the body again), each read up to where it has been.
    held = {False: text, True: squash(got.notes) if got.notes is not None else text}
    read_to = {False: 0, True: 0}
    for block in blocks:
        stream = block.notes  # notes in their own order: at a page's or a section's foot
        wanted = squash(block.text)
        found = held[stream].find(wanted, read_to[stream])
        if found < 0:
            where = "is out of reading order" if wanted in held[stream] else "is missing"
            return [(block.line, f"{_KINDS.get(block.kind, block.kind)} "
                                 f"'{_shown(block.text)}' {where}")]
        read_to[stream] = found + len(wanted)
    return []


_KINDS = {"Paragraph": "text", "Heading": "heading", "DefinitionList": "term",
          "Table": "table caption", "Callout": "box title", "CodeBlock": "code",
          "Figure": "picture caption", "References": "reference", "title": "title"}


def _compare_tables(tables: list[m.Table],
                    got_tables: list[dict[tuple[int, int], str]] | None) -> list[Missing]:
    if got_tables is None:
        return []
    if len(got_tables) < len(tables):
        return [(None, f"{len(tables) - len(got_tables)} of {len(tables)} tables are missing")]
    for table, cells in zip(tables, got_tables):
        for r, c, cell in table.grid():
            wanted = squash(" ".join(m.inline_text(i) for b in m.walk(cell.blocks)
                                     for i in m.inline_lists(b)))
            if squash(cells.get((r, c), "")) != wanted:
                shown = _clean(" ".join(m.inline_text(i) for b in cell.blocks
                                        for i in m.inline_lists(b)))[:40]
                return [(table.line, f"table cell '{shown}' is not in row {r + 1}, "
                                     f"column {c + 1}")]
    return []


def _plain(html: str) -> str:
    text: str = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    return text


def _shown(text: str) -> str:
    """A block's text as an error quotes it: on one line, 60 characters at most."""
    shown = _clean(text)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _squash(text: str) -> str:
    """Text compared without layout: no white space, soft hyphens or case, compatibility
    forms folded (ligatures), so PDF line breaks and small caps do not matter."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return re.sub(r"\s+", "", text).casefold()
