"""Read stage: the Markdown body of a handout becomes the document model (handouts/model.py).

Python-Markdown parses the body; the HTML it writes is sanitised (nh3) and walked element
by element into typed blocks and inlines. Each block gets its source line from the reading
itself: the block parser notes the line of each chunk of text it reads, and the element it
makes from the chunk carries that line (data-line). What Python-Markdown cannot attribute
is found by a line map that follows the source forward (see LineMap). Problems are
collected, not raised one at a time: one run names every problem it finds, up to
MAX_ERRORS, as a compiler does.

Elements Python-Markdown made carry a per-run mark (MARK); raw HTML typed by the author does
not, so its classes can never stand for one of our constructs (a callout, a citation, a
footnote): they are read as plain HTML.
"""

from __future__ import annotations

import difflib
from html import unescape as unescape_html
import json
import re
import secrets
import xml.etree.ElementTree as etree
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

import lxml.html
import markdown
import nh3
from lxml.html import HtmlElement
from markdown.blockparser import BlockParser
from markdown.extensions import Extension
from markdown.extensions.md_in_html import HtmlBlockPreprocessor, HTMLExtractorExtra
from markdown.extensions.tables import TableProcessor
from markdown.htmlparser import void_tags
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER, AtomicString

from handouts import model as m
from handouts.model import BOX_KINDS
from handouts.read.dialects import (DialectExtension, grid_tables_with_spans, page_break_text,
                                    shortcodes, table_caption_text)
from handouts.read.citations import (BRACKET, NARRATIVE, CiteItem, CitationSyntaxError, parse_bracket, parse_narrative)
from handouts.diagnostics import WARNING, Diagnostic, Diagnostics
from handouts.messages import catalogue
from handouts.read.images import ImageProblem, picture
from handouts.read.math_syntax import CLASS as MATH_CLASS, MathExtension
from handouts import formula
from handouts.paths import Outside, inside

if TYPE_CHECKING:
    from handouts.read.front_matter import Document as Source

# Other tools' boxes: GitHub alerts (markdown-gfm-admonition), MkDocs' ??? (pymdownx.details)
# and === tabs (pymdownx.tabbed); dialects.py makes each a box, as 'admonition' makes !!!.
EXTENSIONS = ["abbr", "attr_list", "def_list", "fenced_code", "footnotes", "md_in_html",
              "tables", "admonition", "sane_lists", "smarty", "toc", "pymdownx.tasklist",
              "markdown_gfm_admonition", "pymdownx.details", "pymdownx.tabbed"]
EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True},
                     "pymdownx.tasklist": {"custom_checkbox": False},
                     "pymdownx.tabbed": {"alternate_style": True}}
# What raw HTML in a handout may keep; everything else (script, style, iframe, object,
# form, event handlers, javascript: links) is removed before it is read.
ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl",
                "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
                "i", "img", "input", "li", "ol", "p", "pre", "section", "small", "span",
                "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
                "u", "ul"}
# data-line counts only on elements that carry the run's mark (see _Reader.line_of).
ALLOWED_ATTRIBUTES = {"*": {"class", "id", "title", "lang", "data-md", "data-line"},
                      "a": {"href"},
                      "img": {"src", "alt", "width", "height"}, "ol": {"start"},
                      "th": {"colspan", "rowspan", "align"}, "td": {"colspan", "rowspan", "align"},
                      "span": {"data-cite", "data-cite-error", "data-narrative", "data-offset"},
                      "input": {"type", "checked"}}
CALLOUT_KINDS = m.CALLOUT_KINDS
STYLED = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "sup": "sup", "sub": "sub",
          "u": "u", "small": "small"}
MAX_ERRORS = 20
MAX_DEPTH = 60          # elements inside one another: about 30 levels of lists
MAX_OPEN_ANGLES = 200   # '<' that start a tag and never end it (see _refuse_open_angles)
OPEN_ANGLE = re.compile(r"<[A-Za-z/?!][^<>]*(?=<|\Z)")
BARE_LINK_TEXT = re.compile(r"^(https?://\S+|www\.\S+|click here|here|link|this link)$", re.I)
RAW_CITATION = re.compile(r"\[[^\[\]]*(?<![\w@/.:+-])-?@[\w{][^\[\]]*\]")
CAPTION_ID = re.compile(r"\s*\{#([\w-]+)[^{}]*\}\s*$")
CROSS_REFERENCE = re.compile(r"^(fig|tbl|sec)-", re.I)
ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
# An override makes the letters print in the opposite order ('evil' as 'live'): it becomes
# the embedding of the same direction, so the letters keep the order they were typed in.
OVERRIDES_AS_EMBEDDINGS = {0x202D: 0x202A, 0x202E: 0x202B}
NUMERIC_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
# Characters no document can hold (XML refuses them, no font has them), as a character
# reference may still spell them: controls, and the non-characters U+FDD0-FDEF and
# U+xxFFFE/U+xxFFFF.
UNHOLDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef" + "".join(
    f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0, 0x110000, 0x10000))
    + "]")
# A stashed block (fenced code, raw HTML) as the block parser sees it: one line.
PLACEHOLDER = re.compile(re.escape(HTML_PLACEHOLDER).replace(r"%s", r"(\d+)"))
# What a nested block loses of its first line: quote marks, a list or definition marker,
# the indent of a list item's or a box's content.
NESTED_PREFIX = re.compile(r"[ >]*(?:(?:[-*+:]|\d{1,9}[.)])[ >]*)?")


class LineMap:
    """Source lines of the body, searched forward from the last block found. The fallback
    for what Python-Markdown's block parser does not attribute (see _ChunkLines): raw HTML
    (stashed whole; its elements are not Python-Markdown's), what a markdown="1" block holds
    (parsed from the stashed element, not from lines), footnotes (parsed after the body,
    from stored text), the table of contents, text after a nested list in an item, and
    where on its lines a block's inline content stands (an image, a citation's error)."""

    def __init__(self, doc: Source) -> None:
        self.first = doc.body_line
        self.lines = doc.body.split("\n")
        squashed: list[str] = []
        owner: list[int] = []
        self.starts: list[int] = []
        for number, text in enumerate(self.lines):
            self.starts.append(len(owner))  # where each line begins in squashed
            for char in squash(text):
                squashed.append(char)
                owner.append(number)
        self.squashed, self.owner = "".join(squashed), owner
        self.cursor = 0        # position in squashed
        self.line_index = 0    # line of the last block found

    def find(self, text: str, headings_only: bool = False) -> int:
        """The line of the next block whose text starts like text, or the last line found."""
        probe = squash(text)[:16]
        if headings_only:
            for index in range(self.line_index + (1 if self.cursor else 0), len(self.lines)):
                if ATX_HEADING.match(self.lines[index]) and probe in squash(self.lines[index]) \
                        or (index + 1 < len(self.lines) and probe
                            and squash(self.lines[index]).startswith(probe)
                            and re.match(r"^\s{0,3}(=+|-+)\s*$", self.lines[index + 1])):
                    return self._move(index)
        if probe:
            found = self.squashed.find(probe, self.cursor)
            if found >= 0:
                self.cursor = found + len(probe)
                return self._move(self.owner[found])
        return self.first + self.line_index

    def enter(self, text: str) -> int:
        """The line of a block that holds other blocks (a <div>): where its first line of
        text is, for its source has tags between its lines ('foo</div><div>bar' is not
        'foobar'). What it holds is then looked for from that line, not after its first
        words: a <div> in a <div> around 'foo' was found at the next 'foo' in the document."""
        line = self.find(next((part for part in text.splitlines() if squash(part)), ""))
        self.cursor = self.starts[self.line_index]
        return line

    def at(self, line: int) -> int:
        """A line the reading gave: what follows is looked for from its start."""
        index = min(max(line - self.first, 0), len(self.lines) - 1)
        self.line_index, self.cursor = index, self.starts[index]
        return line

    def peek(self, pattern: str) -> int:
        """The next line the pattern matches, without moving on; if none does, the current
        line."""
        found = self.peek_found(pattern)
        return self.current() if found is None else found

    def peek_found(self, pattern: str) -> int | None:
        """The next line the pattern matches, without moving on, or None."""
        return next((self.first + index for index in range(self.line_index, len(self.lines))
                     if re.search(pattern, self.lines[index], re.I)), None)

    def first_matching(self, pattern: str) -> int | None:
        """The first line of the body the pattern matches, or None."""
        return next((self.first + index for index, text in enumerate(self.lines)
                     if re.search(pattern, text, re.I)), None)

    def next_matching(self, pattern: str) -> int:
        for index in range(self.line_index, len(self.lines)):
            if re.search(pattern, self.lines[index]):
                return self._move(index)
        return self.first + self.line_index

    def _move(self, index: int) -> int:
        self.line_index = index
        self.cursor = max(self.cursor, self.starts[index])
        return self.first + index

    def current(self) -> int:
        return self.first + self.line_index

    def save(self) -> tuple[int, int]:
        return self.cursor, self.line_index

    def restore(self, saved: tuple[int, int]) -> None:
        self.cursor, self.line_index = saved


def squash(text: str) -> str:
    """Letters and digits only, folded: text as both the source and the outputs hold it,
    whatever markup, smart quotes, hyphenation or line breaks stand between."""
    return "".join(c for c in text.casefold() if c.isalnum())


# -- Python-Markdown: the line each block starts on -------------------------------------

@dataclass
class _Frame:
    """One call of the block parser over some blocks of text, and the block it reads."""
    parent: etree.Element
    base: int | None       # parsed line of its first block; None when it cannot be known
    original: list[str]
    tails: list[int]       # newlines in the last k original blocks, joined as they were
    chunk: str = ""
    line: int = 0
    cursor: int = 0        # line of chunk from which a nested call's text is looked for
    after: int | None = None  # the line after a nested call on the same parent

    def line_of(self, blocks: list[str]) -> int:
        """The block parser leaves its blocks a suffix of the text it was given (it takes
        from the front and puts back the rest), so the line of blocks[0] is counted from
        the end."""
        assert self.base is not None
        k = len(blocks) - 1
        if k < len(self.original) and (k == 0 or blocks[-1] is self.original[-1]
                                      and blocks[1] is self.original[-k]):
            rest = self.tails[k] + (2 if k else 0)
        else:
            rest = sum(b.count("\n") for b in blocks[1:]) + 2 * k
        return self.base + self.tails[-1] - blocks[0].count("\n") - rest

    def find(self, text: str) -> int | None:
        """The line of the chunk a nested call's text starts on: that line less its quote
        marks, list marker or indent."""
        lines = text.split("\n")
        lead = next((n for n, line in enumerate(lines) if line.strip()), None)
        if lead is None or self.base is None:
            return None
        first = lines[lead].strip()
        chunk = self.chunk.split("\n")
        for index in range(self.cursor, len(chunk)):
            line = chunk[index].rstrip()
            if line.endswith(first) and NESTED_PREFIX.fullmatch(line[:len(line) - len(first)]):
                self.cursor = max(index - lead + len(lines), self.cursor)
                return self.line + index - lead
        return None


class _ChunkLines:
    """The line each element of the block parser starts on. The parser reads the text in
    chunks (split at blank lines); an element gets the line of the chunk it was made from,
    or of its part of the chunk (a heading after a paragraph's lines). Lines are counted in
    the text the parser reads and mapped back to the body through the preprocessors."""

    def __init__(self) -> None:
        self.body: list[str] = []      # the body's lines, as the preprocessors got them
        self.origin: list[int] = []    # body line (0-based) of each line the parser reads
        self.previous: list[str] = []  # the lines the last preprocessor was given
        self.stashed: list[int] = []   # line (0-based) of each line raw HTML stashing left
        self.frames: list[_Frame] = []
        self.starts: dict[etree.Element, int] = {}   # where an element starts
        self.content: dict[etree.Element, int] = {}  # where what it holds starts

    def body_line(self, element: etree.Element) -> int | None:
        line = self.starts.get(element, self.content.get(element))
        if line is None or not self.origin:
            return None
        return self.origin[min(line, len(self.origin) - 1)]

    def enter(self, parent: etree.Element, blocks: list[str], top: bool) -> _Frame:
        outer = self.frames[-1] if self.frames else None
        base = 0 if top and outer is None else \
            outer.find("\n\n".join(blocks)) if outer is not None else None
        tails = [0]
        for block in reversed(blocks):
            tails.append(tails[-1] + block.count("\n") + (2 if len(tails) > 1 else 0))
        frame = _Frame(parent, base, list(blocks), tails)
        if base is not None:
            # Text already in the parent moved into a paragraph (an item become loose).
            known = self.starts.get(parent, self.content.get(parent))
            if known is not None:
                for child in parent:
                    self.starts.setdefault(child, known)
            self.content.setdefault(parent, base)  # a list item's, a definition's text
        self.frames.append(frame)
        return frame

    def leave(self, frame: _Frame) -> None:
        self.frames.pop()
        outer = self.frames[-1] if self.frames else None
        if outer is not None and outer.parent is frame.parent and frame.base is not None:
            outer.after = frame.base + frame.tails[-1] + 1

    def note(self, frame: _Frame, new: Sequence[etree.Element],
             taken: etree.Element | None) -> None:
        """Elements the parser made from the chunk: they start on its line, or after the
        part of it read by a nested call (the paragraph lines above a heading), or where
        the paragraph they took in starts (the term above a definition)."""
        line = frame.line if frame.after is None else frame.after
        if taken is not None and new and taken in self.starts:
            line = self.starts[taken]
        for element in new:
            self.starts.setdefault(element, line)
        frame.after = None

    def realign(self, before: list[str], after: list[str], stash: Sequence[object],
                fences: bool) -> None:
        """Follow one preprocessor: lines it kept keep their origin; a stashed block's
        placeholder stands at the block's first line."""
        origin = self.origin or list(range(len(before)))
        if after[:len(before)] == before:
            self.origin = origin + [origin[-1] if origin else 0] * (len(after) - len(before))
            return
        if not fences and len(self.stashed) == len(after):
            self.origin = [origin[min(i, len(origin) - 1)] for i in self.stashed]
            return
        fenced = _fenced_origin(origin, before, after, stash) if fences else None
        self.origin = fenced if fenced is not None else _diff_origin(origin, before, after)


def _fenced_origin(origin: list[int], before: list[str], after: list[str],
                   stash: Sequence[object]) -> list[int] | None:
    """The origin of the lines after fenced code is stashed: each block's lines become '',
    its placeholder, ''; its stashed HTML has as many line breaks as its code. None when
    the lines changed in any other way."""
    out: list[int] = []
    i = 0
    for j, line in enumerate(after):
        if len(out) > j:
            continue
        found = PLACEHOLDER.fullmatch(after[j + 1]) if line == "" and j + 1 < len(after) \
            else None
        if found and int(found.group(1)) < len(stash) and i < len(before):
            code = stash[int(found.group(1))]
            span = str(code).count("\n") + 2
            if i + span > len(before) or j + 2 >= len(after):
                return None
            out += [origin[i], origin[i], origin[i + span - 1]]
            i += span
        elif i < len(before) and line == before[i]:
            out.append(origin[i])
            i += 1
        else:
            return None
    return out if i == len(before) else None


def _diff_origin(origin: list[int], before: list[str], after: list[str]) -> list[int]:
    """The origin of lines a preprocessor changed (raw HTML stashed): what it kept is
    matched as a diff; a placeholder stands at the first non-blank line it replaced."""
    out: list[int] = []
    last = len(before) - 1
    opcodes = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal" or tag == "replace" and i2 - i1 == j2 - j1 and \
                not any(PLACEHOLDER.search(line) for line in after[j1:j2]):
            out += origin[i1:i2]
            continue
        starts = [i for i in range(i1, i2) if before[i].strip()
                  and (i == i1 or not before[i - 1].strip())] or [min(i1, last)]
        placeholders = 0
        for j in range(j1, j2):
            if PLACEHOLDER.search(after[j]):
                out.append(origin[starts[min(placeholders, len(starts) - 1)]])
                placeholders += 1
            else:
                out.append(origin[min(i1 + j - j1, i2 - 1 if i2 > i1 else last, last)])
    return out


class _LineParser(BlockParser):
    """Python-Markdown's block parser (the same loop), noting the line of each chunk it
    reads and the elements each processor makes from it."""
    lines: _ChunkLines

    def parseBlocks(self, parent: etree.Element, blocks: list[str]) -> None:
        frame = self.lines.enter(parent, blocks, parent is self.root)
        while blocks:
            count = len(parent)
            last = parent[-1] if count else None
            if frame.base is not None:
                frame.chunk, frame.line, frame.cursor = blocks[0], frame.line_of(blocks), 0
            for processor in self.blockprocessors:
                if processor.test(parent, blocks[0]):
                    if processor.run(parent, blocks) is not False:
                        break
            if frame.base is not None:  # a definition list takes the paragraph above
                kept = last is None or len(parent) >= count and parent[count - 1] is last
                taken = None if kept else last
                self.lines.note(frame, parent[count - (taken is not None):], taken)
        self.lines.leave(frame)


class _KeepLines(Preprocessor):
    """Before and after each preprocessor that moves lines: where each line came from."""

    def __init__(self, md: markdown.Markdown, lines: _ChunkLines, after: str) -> None:
        super().__init__(md)
        self.lines, self.after = lines, after  # the preprocessor that ran before, or ""

    def run(self, lines: list[str]) -> list[str]:
        tab = self.md.tab_length
        if not self.after:  # as NormalizeWhitespace leaves them, which changes no line count
            self.lines.body = ["" if not line.expandtabs(tab).strip(" ") else
                               line.expandtabs(tab) for line in lines]
            self.lines.origin = []
            self.lines.previous = self.lines.body
        else:
            stash: list[object] = list(self.md.htmlStash.rawHtmlBlocks)
            self.lines.realign(self.lines.previous, lines, stash,
                               self.after == "fenced_code_block")
            self.lines.previous = list(lines)
        return lines


# -- Python-Markdown: citations, and a mark on every element it makes ------------------

class _BracketCitation(InlineProcessor):
    """[see @a, p. 3; @b]: a span carrying the items as JSON, or the reason it cannot be
    read; brackets with no key in them are left to the other patterns."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(BRACKET, md)

    def handleMatch(  # type: ignore[override]  # the stubs give InlineProcessor Pattern's
            self, match: re.Match[str], data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        try:
            items = parse_bracket(self.unescape(match.group(1)))  # \[ as STX 91 ETX
        except CitationSyntaxError as problem:
            return _cite_span(None, False, str(problem), match.group(0)), *match.span(0)
        if items is None:
            return None, None, None
        _place_keys(items, match.group(0))
        return _cite_span(items, False, offset=_lines_before(data, match)), *match.span(0)


class _NarrativeCitation(InlineProcessor):
    """@a says ... or @a [p. 3] says ...: the authors are part of the sentence."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(NARRATIVE, md)

    def handleMatch(  # type: ignore[override]  # as in _BracketCitation
            self, match: re.Match[str], data: str) -> tuple[etree.Element, int, int]:
        bracket = self.unescape(match.group(2)) if match.group(2) else None
        return _cite_span([parse_narrative(match.group(1), bracket)], True,
                          offset=_lines_before(data, match)), *match.span(0)


def _place_keys(items: list[CiteItem], text: str) -> None:
    """Each key's line within a citation written over several lines."""
    at = 0
    for item in items:
        found = text.find("@" + item.key, at)
        if found >= 0:
            item.line_offset, at = text.count("\n", 0, found), found + 1


def _lines_before(data: str, match: re.Match[str]) -> int:
    """The citation's line within its block: the text of a paragraph keeps its line breaks
    (a code span or link before it, stashed, may hide one)."""
    return data.count("\n", 0, match.start(0))


def _cite_span(items: list[CiteItem] | None, narrative: bool, problem: str | None = None,
               text: str = "", offset: int = 0) -> etree.Element:
    span = etree.Element("span")
    if offset:
        span.set("data-offset", str(offset))
    if problem:
        span.set("data-cite-error", problem)
        span.text = AtomicString(text)  # shown as typed, not read again for citations
    else:
        span.set("data-cite", json.dumps([vars(i) for i in items or []]))
        span.set("data-narrative", "1" if narrative else "")
    return span


class _Mark(Treeprocessor):
    def __init__(self, md: markdown.Markdown, mark: str, lines: _ChunkLines) -> None:
        super().__init__(md)
        self.mark = mark
        self.lines = lines

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element is not root:  # the wrapper Python-Markdown strips again
                element.set("data-md", self.mark)
                line = self.lines.body_line(element)
                if line is not None:
                    element.set("data-line", str(line))


class _HandoutExtension(Extension):
    def __init__(self, mark: str, unclosed: list[tuple[str, int, str]]) -> None:
        super().__init__()
        self.mark = mark
        self.unclosed = unclosed

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Above 'reference' (170) and 'link' (160): a citation is not a link. Below
        # 'backtick' (190) and 'escape' (180): code and \[ are not citations.
        md.inlinePatterns.register(_BracketCitation(md), "citation", 175)
        md.inlinePatterns.register(_NarrativeCitation(md), "narrative-citation", 174)
        md.ESCAPED_CHARS.append("@")  # \@ is an at sign, not a citation
        lines = _ChunkLines()
        md.treeprocessors.register(_Mark(md, self.mark, lines), "handout-mark", 1)
        md.preprocessors.register(_HtmlBlocks(md, self.unclosed, lines), "html_block", 20)
        # Around each preprocessor that moves lines (30, 25, 20): where each line came from.
        for after, priority in (("", 35), ("normalize_whitespace", 27),
                                ("fenced_code_block", 22), ("html_block", 0)):
            md.preprocessors.register(_KeepLines(md, lines, after), f"lines-{priority}",
                                      priority)
        md.parser.__class__ = _LineParser
        assert isinstance(md.parser, _LineParser)
        md.parser.lines = lines
        tables = md.parser.blockprocessors["table"]
        assert isinstance(tables, TableProcessor)
        config = tables.config  # type: ignore[attr-defined]  # not in the stubs
        md.parser.blockprocessors.register(_WideTable(md.parser, config), "table", 75)


class _Extractor(HTMLExtractorExtra):
    """md_in_html's reader of raw HTML, noting where each block tag still open began: one
    never closed loses what follows it (inside a markdown="1" block) or shows the rest of
    the handout as raw text."""

    def reset(self) -> None:
        self.opened: list[tuple[str, int, str]] = []  # (tag, line number, the line's text)
        self.unclosed: list[tuple[str, int, str]] = []
        self.block_line: int | None = None  # where the raw HTML block being read began
        super().reset()
        self.cleandoc = _Pieces(self)

    def piece_line(self, piece: str) -> int:
        """The line (0-based) of the text where a piece of the output starts: a stashed
        block's, the line its first tag is on."""
        line = self.getpos()[0] - 1
        if PLACEHOLDER.fullmatch(piece):
            line = line if self.block_line is None else self.block_line
            self.block_line = None
        return line

    def _depth(self) -> int:
        return len(self.stack) + len(self.mdstack)  # type: ignore[attr-defined]  # not in the stubs

    def handle_starttag(self, tag: str, attrs: Iterable[tuple[str, str | None]]) -> None:
        depth = self._depth()
        super().handle_starttag(tag, attrs)
        if self._depth() > depth and tag not in void_tags:
            if not depth:
                self.block_line = self.lineno - 1
            line = self.rawdata[self.line_offset:].split("\n", 1)[0]
            self.opened.append((tag, self.lineno, line))

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        del self.opened[self._depth():]

    def close(self) -> None:
        self.goahead(True)  # what HTMLParser.close() does first: the last tags are read
        self.unclosed = self.opened[:self._depth()]
        super().close()


class _Pieces(list[str]):
    """md_in_html's output as it is written, piece by piece, with the line of the text
    each piece starts on."""

    def __init__(self, parser: _Extractor) -> None:
        super().__init__()
        self.parser = parser
        self.lines: list[int] = []

    def append(self, piece: str) -> None:
        super().append(piece)
        self.lines.append(self.parser.piece_line(piece))

    def sources(self) -> list[int]:
        """The line of the text each line of the output comes from: a placeholder's is
        its block's first line."""
        out = [0]
        at = 0  # the output line the next piece starts on
        for piece, start in zip(self, self.lines):
            parts = piece.split("\n")
            for k, part in enumerate(parts):
                if at + k == len(out):
                    out.append(out[-1])
                if k or part.strip():  # a line begun by an earlier piece keeps its line
                    out[at + k] = start if PLACEHOLDER.fullmatch(piece) else start + k
            at += len(parts) - 1
        return out


class _HtmlBlocks(HtmlBlockPreprocessor):
    """md_in_html's preprocessor, keeping the tags left open in `unclosed` and where each
    line it leaves came from."""

    def __init__(self, md: markdown.Markdown, unclosed: list[tuple[str, int, str]],
                 lines: _ChunkLines) -> None:
        super().__init__(md)
        self.unclosed = unclosed
        self.lines = lines

    def run(self, lines: list[str]) -> list[str]:
        parser = _Extractor(self.md)
        parser.feed("\n".join(lines))
        parser.close()
        self.unclosed += parser.unclosed
        pieces = parser.cleandoc
        self.lines.stashed = pieces.sources() if isinstance(pieces, _Pieces) else []
        return "".join(parser.cleandoc).split("\n")


class _WideTable(TableProcessor):
    """Pipe tables as wide as their widest row: Python-Markdown drops the cells a row has
    beyond the header's."""

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        rows = blocks[0].split("\n")
        width = max(len(self._cells(row)) for row in rows[:1] + rows[2:])
        separator: list[str] = list(self.separator)
        self.separator = [*separator, *[""] * (width - len(separator))]  # type: ignore[assignment]  # a list at run time, str in the stubs
        super().run(parent, blocks)

    def _cells(self, row: str) -> list[str]:
        cells: list[str] = self._split_row(row.strip(" "))  # type: ignore[attr-defined]  # not in the stubs
        while cells and not cells[-1].strip():  # '| a | b ||' holds nothing more
            cells.pop()
        return cells


def markdown_html(body: str, mark: str, unclosed: list[tuple[str, int, str]] | None = None
                  ) -> str:
    """The body as sanitised HTML; the raw HTML tags it leaves open are added to unclosed.
    Elements Python-Markdown made carry data-line: the body's line (from 0) they start on."""
    extensions: list[str | Extension] = [*EXTENSIONS, MathExtension(), _HandoutExtension(
        mark, [] if unclosed is None else unclosed), DialectExtension(mark)]
    html = markdown.markdown(body, extensions=extensions, extension_configs=EXTENSION_CONFIGS,
                             output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, link_rel=None,
                     url_schemes={"http", "https", "mailto", "tel", "file", "data"},
                     attribute_filter=_attribute_filter, clean_content_tags={"script", "style"})


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Links may not point at files or embed data; only images may (and are checked).
    Attributes that count must hold a number."""
    if tag != "img" and re.match(r"\s*(file|data):", value or "", re.I):
        return None
    if attribute in ("start", "colspan", "rowspan") and not re.fullmatch(r"\d{1,4}", value or ""):
        return None
    return value


# -- the reader ---------------------------------------------------------------------------

def read(doc: Source, source_dir: str | Path) -> m.Document:
    """The body of a loaded handout as a model.Document; raise Diagnostics listing every
    problem found."""
    return _Reader(doc, source_dir).read()


class _Reader:
    def __init__(self, doc: Source, source_dir: str | Path) -> None:
        self.doc = doc
        self.source_root = Path(source_dir).resolve()
        self.mark = secrets.token_hex(8)
        self.lines = LineMap(doc)
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.level = 1            # the title is the one h1
        self.shift = 0            # 1 when the body's sections are '#' headings (read())
        self.abbreviations_seen: set[str] = set()

    def read(self) -> m.Document:
        unclosed: list[tuple[str, int, str]] = []
        self._refuse_notes_defined_twice()
        self._warn_of_undefined_notes()
        self._refuse_open_angles()
        try:
            html = markdown_html(self.doc.body.translate(OVERRIDES_AS_EMBEDDINGS), self.mark,
                                 unclosed)
        except RecursionError:
            raise self._too_deep() from None
        except RuntimeError:
            # Python-Markdown's footnotes register a note defined inside another note's
            # text while they iterate over the notes ("OrderedDict mutated during iteration").
            nested = self.lines.first_matching(r"^(\s{4,}|\t)\[\^[^\]]+\]:")
            if nested is None:
                raise
            raise Diagnostic(self.doc.path, "a footnote is defined inside another footnote",
                             "define each footnote on its own, not indented", nested) from None
        self._refuse_unclosed_html(unclosed)
        self._refuse_unholdable_characters(html)
        self._warn_of_dialects()
        if self.errors:  # before reading what an unclosed tag has mangled
            raise Diagnostics(self.errors)
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        self._refuse_citations_in_raw_html(root)
        if any(len(e) == 0 and sum(1 for _ in e.iterancestors()) > MAX_DEPTH for e in root.iter()):
            raise self._too_deep()
        # A body whose sections are '#' headings (the title in the front matter, or taken
        # from its first heading) has each heading printed a level down: its '#' is '##'.
        self.shift = 1 if any(self.ours(h) for h in root.iter("h1")) else 0
        blocks = self._leave_out_unused_notes(self.blocks(root))
        self._cross_references(blocks)
        if self.errors:
            raise Diagnostics(self.errors)
        document = m.Document(self.doc, blocks, self.warnings)
        _number_notes(document)
        return document

    def error(self, message: str, hint: str, line: int | None = None) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(Diagnostic(self.doc.path, message, hint,
                                          line or self.lines.current()))

    def warn(self, code: str, line: int | None, text: str) -> None:
        """A warning, its text as the terminal and report.json have always shown it."""
        self.warnings.append(Diagnostic(self.doc.path, text, line=line, code=code,
                                        severity=WARNING))

    def ours(self, el: HtmlElement) -> bool:
        return bool(el.get("data-md") == self.mark)

    def line_of(self, el: HtmlElement) -> int | None:
        """The line Python-Markdown's block parser read the element from (see _ChunkLines);
        None for raw HTML and what it could not attribute. What follows is looked for
        from there."""
        found = el.get("data-line") if self.ours(el) else None
        if found is None or not found.isdigit():
            return None
        return self.lines.at(self.lines.first + int(found))

    def classes(self, el: HtmlElement) -> list[str]:
        """The element's classes, when Python-Markdown made it; raw HTML's do not count."""
        return (el.get("class") or "").split() if self.ours(el) else []

    def _too_deep(self) -> Diagnostic:
        """The error for nesting too deep to lay out, at the line nested deepest."""
        depths = [(len(found.group()) if (found := NESTING.match(text)) else 0, index)
                  for index, text in enumerate(self.lines.lines)]
        deepest = max(depths, default=(0, 0), key=lambda found: found[0])[1]
        return Diagnostic(self.doc.path, "lists or quotes are nested too deeply to lay out",
                          "keep to three levels of lists and quotes inside one another",
                          self.lines.first + deepest)

    def _refuse_open_angles(self) -> None:
        """Python's HTML parser reads to the end of the text again for each '<' that
        starts a tag and never ends it ('<a ' with no '>'): 8,000 of them took 4 s, and
        the cost grows with their square. No handout has more than a few."""
        opened = list(OPEN_ANGLE.finditer(self.doc.body, 0))
        if len(opened) > MAX_OPEN_ANGLES:
            raise Diagnostic(
                self.doc.path, f"{len(opened)} '<' begin a tag that never ends with '>' (the "
                "first on this line)", "write &lt; for a less-than sign, or end each tag "
                "with '>'", self.lines.first + self.doc.body.count("\n", 0, opened[0].start()))

    def _refuse_notes_defined_twice(self) -> None:
        """Python-Markdown keeps one of two notes with the same label and drops the other
        silently; the author must choose."""
        seen: dict[str, int] = {}
        for index, text in enumerate(self.lines.lines):
            found = re.match(r"^\s{0,3}\[\^([^\]]+)\]:", text)
            if not found:
                continue
            label = found.group(1).lower()
            if label in seen:
                self.error(f"footnote [^{found.group(1)}] is defined twice (first at line "
                           f"{seen[label]})", "give each note a label of its own",
                           self.lines.first + index)
            else:
                seen[label] = self.lines.first + index

    def _cross_references(self, blocks: list[m.Block]) -> None:
        """Quarto's @fig-x, @tbl-x and @sec-x (read as citations) as links to what they
        name: "Figure 2", "Table 1", the section's title; figures and tables with such an
        id are numbered in their captions. One naming nothing is printed as [?fig-x], with
        a warning."""
        say = catalogue(self.doc.meta.lang)
        names: dict[str, tuple[str, list[m.Inline]]] = {}  # by id, folded: id, its name
        counts = {"figure": 0, "table": 0}
        for block in m.walk(blocks):
            if isinstance(block, m.Heading) and CROSS_REFERENCE.match(block.anchor):
                names[block.anchor.lower()] = (block.anchor, list(block.children))
            elif isinstance(block, (m.Figure, m.Table)) and CROSS_REFERENCE.match(block.anchor):
                kind = "figure" if isinstance(block, m.Figure) else "table"
                counts[kind] += 1
                label = say(kind, number=counts[kind])
                names[block.anchor.lower()] = (block.anchor, [m.Text(label)])
                block.caption[:0] = [m.Text(label + (": " if block.caption else ""))]
        for block in m.walk(blocks):
            for inlines in m.inline_lists(block):
                self._resolve(inlines, names, block.line)

    def _resolve(self, inlines: list[m.Inline], names: dict[str, tuple[str, list[m.Inline]]],
                 line: int | None) -> None:
        out: list[m.Inline] = []
        for node in inlines:
            if isinstance(node, (m.Styled, m.Link)):
                self._resolve(node.children, names, line)
            if not isinstance(node, m.Citation) or not all(
                    CROSS_REFERENCE.match(item.key) for item in node.items):
                out.append(node)
                continue
            for n, item in enumerate(node.items):
                out += [m.Text(", ")] if n else []
                out += [m.Text(item.prefix + " ")] if item.prefix else []
                target = names.get(item.key.lower())
                if target is None:
                    self.warn("unknown-cross-reference", (line or self.lines.first)
                              + node.line_offset + item.line_offset,
                              f"'@{item.key}' names no figure, table or section; give the "
                              f"one it means the id {{#{item.key}}}, or correct the name")
                    out.append(m.Text(f"[?{item.key}]"))
                else:
                    out.append(m.Link("#" + target[0], list(target[1])))
                out += [m.Text(" " + item.suffix.lstrip(", "))] if item.suffix else []
        inlines[:] = out

    def _warn_of_dialects(self) -> None:
        """Quarto's and Hugo's shortcodes other than a page break are left out, by name; a
        grid table's merged cells are read as cells of their own."""
        for index, name in shortcodes(self.doc.body):
            self.warn("shortcode-left-out", self.lines.first + index,
                      f"the shortcode '{{{{< {name} >}}}}' is left out: only Quarto and Hugo "
                      "print it; write what it stands for as text, or delete it")
        for index in grid_tables_with_spans(self.doc.body):
            self.warn("grid-table-spans", self.lines.first + index,
                      "this grid table has cells that span rows or columns, which are read "
                      "as cells of their own; check the table in the outputs, or write it "
                      "as a pipe table or an HTML table with colspan and rowspan")

    def _warn_of_undefined_notes(self) -> None:
        """A reference to a footnote never defined prints as typed, '[^2]', where a reader
        sees it; the author hears where (code blocks and spans are left alone)."""
        defined = {found.group(1).lower() for text in self.lines.lines
                   if (found := re.match(r"^\s{0,3}\[\^([^\]]+)\]:", text))}
        fence = ""
        for index, text in enumerate(self.lines.lines):
            opened = re.match(r"^\s{0,3}(`{3,}|~{3,})", text)
            if opened and (not fence or opened.group(1)[0] == fence[0]):
                fence = "" if fence else opened.group(1)
                continue
            if fence or text.startswith(("    ", "\t")):
                continue
            for label in re.findall(r"\[\^([^\]\s]+)\](?!:)", re.sub(r"`[^`]*`", "", text)):
                if label.lower() not in defined:
                    self.warn("undefined-footnote", self.lines.first + index,
                              f"footnote [^{label}] is referred to but never defined, so it "
                              f"prints as typed; define it on a line '[^{label}]: The note.', "
                              "or delete the reference")

    def _refuse_unclosed_html(self, unclosed: list[tuple[str, int, str]]) -> None:
        for tag, number, text in unclosed:
            self.error(f"the HTML tag <{tag}> is never closed",
                       f"add </{tag}> where the passage it holds ends",
                       self.lines.first + _source_index(self.lines.lines, number - 1, text))

    def _refuse_unholdable_characters(self, html: str) -> None:
        """Character references that spell a character no document can hold: the page
        gets it (or U+FFFD, for a surrogate or a number past Unicode), and Word refuses it."""
        if not UNHOLDABLE.search(html) and "\ufffd" not in html:
            return
        for index, text in enumerate(self.lines.lines):
            for reference in NUMERIC_REFERENCE.finditer(text):
                if _unholdable(reference, html):
                    self.error(f"'{reference.group()}' is not a character a document can hold",
                               "delete it, or type the character you meant",
                               self.lines.first + index)
        found = UNHOLDABLE.search(html)
        if found and not self.errors:  # typed as it is
            self.error(f"the character U+{ord(found.group()):04X} cannot be printed",
                       "delete it (it is often invisible)",
                       self.lines.peek(re.escape(found.group())))

    def _leave_out_unused_notes(self, blocks: list[m.Block]) -> list[m.Block]:
        """A footnote nothing refers to has no place in Word, whose notes hang on their
        marks: it is left out of every format, with a warning."""
        used = {n.anchor for n in m.all_inlines(blocks) if isinstance(n, m.FootnoteRef)}
        for block in (b for b in blocks if isinstance(b, m.Footnotes)):
            for note in (n for n in block.notes if n.anchor not in used):
                label = note.anchor.removeprefix("fn:")
                line = self.lines.first_matching(rf"^\s{{0,3}}\[\^{re.escape(label)}\]:")
                self.warn("unused-footnote", line,
                          f"footnote [^{label}] is not referred to anywhere, so it is left "
                          f"out; refer to it with [^{label}] in the text, or delete it")
            block.notes = [n for n in block.notes if n.anchor in used]
        return [b for b in blocks if not isinstance(b, m.Footnotes) or b.notes]

    def _refuse_citations_in_raw_html(self, root: HtmlElement) -> None:
        """Markdown is not read inside raw HTML, so a citation there would print as typed."""
        for element in root.iter():
            if not isinstance(element.tag, str) or element is root or self.ours(element) or \
                    any(e.tag in ("pre", "code") for e in [element, *element.iterancestors()]):
                continue  # Markdown's own elements, and code, which shows what is typed
            for text in [element.text] + [child.tail for child in element]:
                found = RAW_CITATION.search(text or "")
                if found:
                    self.error(f"the citation '{found.group()}' is inside HTML, where it is not "
                               "read", "write the passage (or the table) in Markdown",
                               self.lines.peek(re.escape(found.group())))

    # -- blocks ---------------------------------------------------------------------------
    def blocks(self, container: HtmlElement, line: int | None = None) -> list[m.Block]:
        """The blocks of an element holding block content; loose text becomes a paragraph.
        Text at its start stands on the container's line (a tight list item's), or line."""
        blocks: list[m.Block] = []
        loose: list[m.Inline] = []
        first = None
        if (container.text or "").strip():
            loose += [m.Text(container.text or "")]
            first = self.line_of(container) or line
        children = list(container)
        for index, child in enumerate(children):
            if _is_block(child):
                if loose:
                    blocks.append(self.loose_paragraph(loose, first))
                    loose, first = [], None
                block = self.block(child, children[index - 1] if index else None)
                if block is not None:
                    blocks.append(block)
                if (child.tail or "").strip():
                    loose.append(m.Text(child.tail))
            else:
                loose += self.inline(child, with_tail=True)
        if loose and any(not isinstance(i, m.Text) or i.text.strip() for i in loose):
            blocks.append(self.loose_paragraph(loose, first))
        return _attach_captions(blocks, table_caption_text(self.mark))

    def loose_paragraph(self, inlines: list[m.Inline], line: int | None = None) -> m.Paragraph:
        inlines = _trim(inlines)
        return m.Paragraph(inlines, line or self.lines.find(m.inline_text(inlines)))

    def block(self, el: HtmlElement, previous: HtmlElement | None) -> m.Block | None:
        tag = el.tag
        classes = self.classes(el)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return self.heading(el)
        if tag == "p":
            return self.paragraph(el)
        if tag in ("ul", "ol"):
            return self.list_block(el)
        if tag == "dl":
            return self.definition_list(el, previous)
        if tag == "table":
            return self.table(el)
        if tag == "div" and "admonition" in classes:
            return self.callout(el)
        if tag == "div" and MATH_CLASS in classes:
            return self.display_math(el)
        if tag == "div" and "footnote" in classes:
            return self.footnotes(el)
        if tag == "div" and "toc" in classes:  # [TOC]: headings' text, but not their lines
            at = self.lines.save()
            contents = m.Division(self.blocks(el), self.lines.current())
            self.lines.restore(at)
            return contents
        if tag in ("div", "section"):
            line = self.line_of(el) or self.lines.enter(el.text_content())
            return m.Division(self.blocks(el), line)
        if tag == "blockquote":
            line = self.line_of(el) or (self.lines.next_matching(r"^\s*>") if self.ours(el)
                                        else self.lines.enter(el.text_content()))
            return m.Quote(self.blocks(el), line)
        if tag == "pre":
            # Fenced code is stashed: its line is that of the paragraph left in its place.
            stashed = previous is not None and previous.tag == "p" and previous.get(
                "data-line") and not previous.text_content().strip()
            line = self.line_of(el) or (self.line_of(previous) if stashed and previous
                                        is not None else None) \
                or self.lines.find(el.text_content())
            code = m.CodeBlock(el.text_content().rstrip("\n"), line)
            named = el.find("code")
            title = (named.get("title") or "").strip() if named is not None else ""
            if title:  # a fence's title="x" (MkDocs) or filename="x" (Quarto), over its code
                return m.Division([m.Paragraph([m.Styled("em", [m.Text(title)])], line), code],
                                  line)
            return code
        if tag == "hr":
            return m.Rule(self.line_of(el) or self.lines.current())
        if tag == "figure":
            return self.figure(el)
        if tag == "img":
            image = self.image(el)
            if isinstance(image, m.Text):
                return _missing_picture_box(image, self.lines.current())
            return m.Figure(image.src, image.alt, [], self.lines.current(),
                            screen_src=image.screen_src) if image else None
        self.error(f"the HTML element <{tag}> cannot be written to every format",
                   "remove it, or write the same thing in Markdown",
                   self.lines.find(el.text_content()))
        return None

    def heading(self, el: HtmlElement) -> m.Heading | None:
        line = self.line_of(el)
        inlines = self.inlines(el)
        text = m.inline_text(inlines).strip()
        new = min(int(el.tag[1]) + self.shift, 6)
        line = line or self.lines.find(text, headings_only=True)
        if not text:  # Pandoc keeps an empty heading; there is nothing of it to print
            self.warn("empty-heading", line, "a heading has no text, so it is left out; "
                      "write the heading after the #, or delete the line")
            return None
        if new == 1:
            self.error(f"second top-level title '{text}'",
                       "the front-matter title is the only '#' heading; use '##' for sections",
                       line)
        elif any(a.tag in ("li", "td", "th", "dd") for a in el.iterancestors()):
            self.error(f"heading '{text}' is inside a list or a table",
                       "start headings at the left margin, with a blank line before", line)
        elif new > self.level + 1:
            self.warn("heading-level-skipped", line,
                      f"heading '{text}' skips a level ({'#' * (new - self.shift)} after "
                      f"{'#' * max(self.level - self.shift, 1)}), so it is printed one level "
                      "below the heading before it; use one '#' more than that heading")
            new = self.level + 1
        self.level = max(new, 2)
        return m.Heading(new, el.get("id") or _slug(text), inlines, line)

    def paragraph(self, el: HtmlElement) -> m.Paragraph | m.Figure | m.Callout | m.PageBreak | None:
        line = self.line_of(el)
        if len(el) == 0 and (el.text or "").strip() == page_break_text(self.mark):
            return m.PageBreak(line or self.lines.next_matching(r"\{\{<\s*pagebreak"))
        images = [c for c in el if c.tag == "img"]
        if len(el) == 1 and images and not (el.text or "").strip() \
                and not (images[0].tail or "").strip():
            return self.figure_from_image(images[0], line)
        inlines = _trim(self.inlines(el))
        if not inlines:
            return None
        line = line or self.lines.find(m.inline_text(inlines))
        return m.Paragraph(inlines, line)

    def figure_from_image(self, img: HtmlElement, line: int | None = None
                          ) -> m.Figure | m.Callout | None:
        line = line or self._image_line(img)
        image = self.image(img, line)
        if isinstance(image, m.Text):
            return _missing_picture_box(image, line)
        if image is None:
            return None
        # A picture alone in its paragraph is a figure; its title, or else (as Pandoc's
        # implicit figures) its alt text, is its caption.
        title = (img.get("title") or "").strip() or image.alt
        caption: list[m.Inline] = [m.Text(title)] if title else []
        return m.Figure(image.src, image.alt, caption, line, screen_src=image.screen_src,
                        anchor=(img.get("id") or "") if self.ours(img) else "")

    def figure(self, el: HtmlElement) -> m.Figure | m.Callout | None:
        imgs = list(el.iter("img"))
        caption = el.find("figcaption")
        if len(imgs) != 1:
            self.error("a <figure> must hold exactly one picture",
                       "write ![what the picture shows](file.png \"Caption\") instead",
                       self.lines.current())
            return None
        line = self._image_line(imgs[0])
        image = self.image(imgs[0], line)
        if isinstance(image, m.Text):
            return _missing_picture_box(image, line)
        if image is None:
            return None
        return m.Figure(image.src, image.alt,
                        _trim(self.inlines(caption)) if caption is not None else [], line,
                        screen_src=image.screen_src)

    def list_block(self, el: HtmlElement) -> m.BulletList | m.OrderedList:
        known = self.line_of(el)
        line = known or self.lines.current()
        items: list[m.ListItem] = []
        for child in el:
            if child.tag != "li":
                self.error(f"a list holds <{child.tag}>, which is not a list item",
                           "put it inside an <li>", line)
                continue
            items.append(self.list_item(child))
            if len(items) == 1 and not known:
                line = _first_line(items[0].blocks) or line
        if el.tag == "ol":
            return m.OrderedList(items, int(el.get("start") or 1), line)
        return m.BulletList(items, line)

    def list_item(self, li: HtmlElement) -> m.ListItem:
        task = None
        box = li.find("input")
        if box is not None and "task-list-item" in self.classes(li) and li.index(box) == 0:
            task = box.get("checked") is not None
            li.text = (li.text or "") + (box.tail or "")
            li.remove(box)
        elif box is not None:
            box.drop_tree()  # an author's form field: the sanitiser's job, as for <form>
        return m.ListItem(self.blocks(li), task, li.get("id", ""))

    def definition_list(self, el: HtmlElement, previous: HtmlElement | None
                        ) -> m.DefinitionList | _CaptionFor:
        known = self.line_of(el)
        line = known or self.lines.current()
        items: list[m.Definition] = []
        current: m.Definition | None = None
        for child in el:
            if child.tag == "dt":
                inlines = _trim(self.inlines(child))
                if current is None or current.definitions:
                    current = m.Definition([], [])
                    items.append(current)
                    if len(items) == 1 and not known:
                        line = self.lines.find(m.inline_text(inlines))
                current.terms.append(inlines)
            elif child.tag == "dd":
                if current is None:
                    current = m.Definition([], [])
                    items.append(current)
                current.definitions.append(self.blocks(child))
            else:
                self.error(f"a definition list holds <{child.tag}>",
                           "use <dt> for terms and <dd> for definitions", line)
        if previous is not None and previous.tag == "table" and items and \
                all(not item.terms for item in items):
            # ': caption' under a table (Pandoc's syntax) reads as a term-less definition.
            return _CaptionFor(items)
        for item in items:
            if not item.terms:
                self.error("a line starting with ':' has no term above it",
                           "write the term on the line above ': meaning', or, for a table's "
                           "caption, put ': caption' right below a pipe table", line)
        return m.DefinitionList(items, line)

    def table(self, el: HtmlElement) -> m.Table | None:
        known = self.line_of(el)
        line = known or self.lines.current()
        rows: list[m.Row] = []
        for section in [el] + [c for c in el if c.tag in ("thead", "tbody", "tfoot")]:
            for tr in (c for c in section if c.tag == "tr"):
                cells: list[m.Cell] = []
                # A pipe table's rows are its lines, less the line under the header.
                row_line = known + len(rows) + (len(rows) > 0) if known else None
                for cell in tr:
                    if cell.tag not in ("th", "td"):
                        self.error(f"a table row holds <{cell.tag}>", "use <th> or <td>", line)
                        continue
                    blocks = self.blocks(cell, row_line)
                    if not rows and not cells and not known:
                        line = _first_line(blocks) or line
                    cells.append(m.Cell(blocks, cell.tag == "th", int(cell.get("colspan") or 1),
                                        int(cell.get("rowspan") or 1),
                                        cell.get("align", "") if cell.get("align") in
                                        ("left", "right", "center") else ""))
                head = section.tag == "thead" or (cells and all(c.header for c in cells))
                rows.append(m.Row(cells, bool(head)))
        caption_el = el.find("caption")
        caption = _trim(self.inlines(caption_el)) if caption_el is not None else []
        if not rows:
            self.error("a table has no rows", "add rows, or remove the table", line)
            return None
        return m.Table(rows, caption, line)

    def callout(self, el: HtmlElement) -> m.Callout:
        classes = self.classes(el)
        named = [c for c in classes if c != "admonition"] or ["note"]
        written = next((c for c in named if c.lower() in BOX_KINDS), named[0])
        kind = BOX_KINDS.get(written.lower(), "note")
        line = self.line_of(el) or self.lines.next_matching(
            r"^\s*(!!!|\?\?\?|===|>\s*\[!|:::|<details)")
        if written.lower() not in BOX_KINDS:  # another tool's own kind: printed as a note
            self.warn("unknown-box-kind", line,
                      f"unknown box kind '{written}', printed as a note; use "
                      + ", ".join(CALLOUT_KINDS[:-1]) + " or " + CALLOUT_KINDS[-1])
        title_el = next((c for c in el if c.tag == "p" and "admonition-title" in self.classes(c)),
                        None)
        title: list[m.Inline] = []
        if title_el is not None:
            title = _trim(self.inlines(title_el))
            el.remove(title_el) if title_el.tail is None else title_el.drop_tree()
            # '!!! important' without a title: Python-Markdown titles it "Important"; the
            # box prints its kind's label itself, so it has no title of its own.
            index = line - self.lines.first if line else -1
            written = self.lines.lines[index] if 0 <= index < len(self.lines.lines) else ""
            if m.inline_text(title) == kind.capitalize() and not re.search(
                    r"""^\s*!!!\s*\S+\s+["']""", written):
                title = []
        return m.Callout(kind, title, self.blocks(el), line)

    def footnotes(self, el: HtmlElement) -> m.Footnotes:
        notes: list[m.Footnote] = []
        line = self.lines.current()
        for number, li in enumerate(el.iter("li"), 1):
            parent = li.getparent()
            if parent is None or parent.getparent() is not el:
                continue
            for back in [a for a in li.iter("a") if "footnote-backref" in self.classes(a)]:
                back.drop_tree()
            anchor = li.get("id", f"fn:{number}")
            notes.append(m.Footnote(len(notes) + 1, anchor, self.blocks(li)))
        return m.Footnotes(notes, line)

    # -- inlines --------------------------------------------------------------------------
    def inlines(self, el: HtmlElement) -> list[m.Inline]:
        result: list[m.Inline] = [m.Text(el.text)] if el.text else []
        for child in el:
            result += self.inline(child, with_tail=True)
        return _merge(result)

    def inline(self, el: HtmlElement, with_tail: bool = False) -> list[m.Inline]:
        nodes = self._inline(el)
        if with_tail and el.tail:
            nodes.append(m.Text(el.tail))
        return nodes

    def _inline(self, el: HtmlElement) -> list[m.Inline]:
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag:  # a comment the sanitiser kept
            return []
        if tag == "sup" and len(el) == 1 and "footnote-ref" in self.classes(el[0]):
            return [m.FootnoteRef(int(el[0].text_content() or 0),
                                  el[0].get("href", "#")[1:])]
        if tag in STYLED:
            return [m.Styled(STYLED[tag], self.inlines(el))]
        if tag == "code":
            return [m.Code(el.text_content())]
        if tag == "a":
            return self.link(el)
        if tag == "br":
            return [m.LineBreak()]
        if tag == "abbr":
            return self.abbreviation(el)
        if tag == "img":
            image = self.image(el, self._image_line(el))
            if isinstance(image, m.Text):  # not found: its name in brackets, in the line
                return [m.Text(f"[{MISSING_PICTURE}: {image.text}]")]
            return [image] if image else []
        cited, problem = el.get("data-cite"), el.get("data-cite-error")
        if tag == "span" and self.ours(el) and cited:
            items = [CiteItem(**i) for i in json.loads(cited)]
            offset = el.get("data-offset") or "0"
            return [m.Citation(items, bool(el.get("data-narrative")),
                               line_offset=int(offset) if offset.isdigit() else 0)]
        if tag == "span" and self.ours(el) and problem:
            self.error(problem,
                       "write citations as [@key], [see @key, p. 3; @other] or @key; "
                       "write \\@ for an at sign that is not a citation",
                       self.lines.peek(re.escape(el.text_content()[:40])))
            return [m.Text(el.text_content())]
        if tag == "span" and MATH_CLASS in self.classes(el):
            return [self.math(el.text_content(), "display" in self.classes(el))]
        if tag == "span":
            return self.inlines(el)
        if tag == "input":
            return []  # an author's form field, removed as the sanitiser removes <form>
        self.error(f"the HTML element <{tag}> cannot stand inside a line of text",
                   "put it on a line of its own, with blank lines around it",
                   self.lines.find(el.text_content()))
        return []

    def math(self, tex: str, display: bool) -> m.Math | m.Code:
        """A formula, or, when it cannot be drawn, its TeX as code with a warning."""
        tex = tex.strip()
        problem = formula.problem(tex)
        if problem is None:
            return m.Math(tex, display)
        self.warn("malformed-math", self.lines.peek(re.escape(tex[:40])),
                  f"the formula '{tex[:60]}' cannot be drawn ({problem}), so it is printed "
                  "as TeX; correct it, or write \\$ for a dollar sign")
        return m.Code(tex)

    def display_math(self, el: HtmlElement) -> m.DisplayMath | m.CodeBlock:
        line = self.line_of(el) or self.lines.current()
        # arithmatex escapes a block's TeX once more than the page unescapes it (&amp;).
        found = self.math(unescape_html(el.text_content()), True)
        if isinstance(found, m.Code):
            return m.CodeBlock(found.text, line)
        return m.DisplayMath(found.tex, line)

    def link(self, el: HtmlElement) -> list[m.Inline]:
        children = self.inlines(el)
        href = el.get("href")
        if not href:
            return children
        if any(isinstance(n, m.Citation) for n in m.walk_inlines(children)):
            self.error("a citation inside the text of a link", "put the citation after the link",
                       self.lines.find(m.inline_text(children)))
            return children
        text = m.inline_text(children).strip()
        if BARE_LINK_TEXT.match(text):
            self.warn("bare-link-text", self.lines.peek(re.escape(text)),
                      f"link text '{text}' does not say where it leads; write [what the page "
                      "is](address)")
        link = m.Link(href, children)
        if re.match(r"https?://", href) and squash(_address(href)) not in squash(text):
            # Paper cannot be clicked: the address follows the words in print and in Word.
            return [link, m.Styled("print-address", [m.Text(f" ({_address(href)})")])]
        return [link]

    def abbreviation(self, el: HtmlElement) -> list[m.Inline]:
        text, expansion = el.text_content(), (el.get("title") or "").strip()
        if not expansion:
            return [m.Text(text)]
        first = text not in self.abbreviations_seen
        self.abbreviations_seen.add(text)
        return [m.Abbreviation(text, expansion, first)]

    def _image_line(self, img: HtmlElement) -> int:
        """Where an image stands on the lines of its block (found, for the reading gives
        lines to blocks, not to what is inside them)."""
        src = re.escape((img.get("src") or "")[:60])
        alt = re.escape((img.get("alt") or "")[:60])
        if not src:
            return self.lines.next_matching(r"\]\(\s*\)|<img")
        # Inline, raw HTML, then reference-style (![alt][] ... [alt]: file), in that order.
        for pattern in (rf"\]\(\s*<?{src}", rf"src\s*=\s*[\"']?{src}", rf"!\[{alt}\]"):
            if self.lines.peek_found(pattern):
                return self.lines.next_matching(pattern)
        return self.lines.current()

    def image(self, img: HtmlElement, line: int | None = None
              ) -> m.InlineImage | m.Text | None:
        """The picture checked and carried as a data: URL, or None after an error; for a
        picture not found (a draft's), the words that stand in its place, with a warning."""
        src, alt = img.get("src") or "", (img.get("alt") or "").strip()
        line = line or self.lines.current()
        # A picture pasted in as a data: URL is named by its start, not printed whole.
        shown = src if len(src) <= 200 and not src.startswith("data:") else src[:40] + "…"
        if not alt and src:  # printed, as a picture a screen reader passes over
            self.warn("missing-alt-text", line, f"image '{shown}' has no alt text; describe "
                      "it: ![what the picture shows](file.png)")
        if not src:
            self.error("an image has no file name",
                       "write ![what the picture shows](file.png)", line)
            return None
        if re.match(r"https?://", src, re.I):  # pasted from a web page: never fetched
            self.warn("missing-picture", line, f"image '{shown}' is on the web, and the build "
                      "reads no address, so a box with its name stands in its place; save "
                      "the picture into source/ and write its file name")
            return _stand_in(alt, shown)
        try:
            path = inside(self.doc.path.parent, src)
        except Outside:
            path = None
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I):
            self.error(f"image '{shown}' is not a file in source/",
                       "copy the image into source/ and link it by its file name", line)
            return None
        if not path:  # never read: a draft's box names it, as for a picture not found
            self.warn("missing-picture", line, f"image '{shown}' is not a file in source/, "
                      "so a box with its name stands in its place; copy the image into "
                      "source/ and link it by its file name")
            return _stand_in(alt, shown)
        if path.is_dir():
            self.error(f"image '{shown}' is a folder, not a picture", "check the file name",
                       line)
            return None
        if not path.is_file():  # a draft's picture still to come: a box in its place
            self.warn("missing-picture", line, f"image '{shown}' not found, so a box with its "
                      "name stands in its place; check the file name, or copy the picture "
                      "into source/")
            return _stand_in(alt, shown)
        try:
            found = picture(path, self.source_root.parent / ".cache" / "pictures")
            return m.InlineImage(found.print_url, alt, found.screen_url)
        except ImageProblem as problem:
            self.error(f"image '{shown}' {problem.message}", problem.hint, line)
            return None


MISSING_PICTURE = "Picture not found"


def _stand_in(alt: str, shown: str) -> m.Text:
    """The words in a missing picture's place: what it shows, and its file name."""
    return m.Text(f"{alt} ({shown})" if alt else shown)


def _missing_picture_box(words: m.Text, line: int | None) -> m.Callout:
    """What stands for a picture not found, in every format: a warning box naming it."""
    return m.Callout("warning", [m.Text(MISSING_PICTURE)], [m.Paragraph([words], line)], line)


class _CaptionFor(m.DefinitionList):
    """A term-less definition list that is really the caption of the table above it."""

    def __init__(self, items: list[m.Definition]) -> None:
        super().__init__(items)


def _number_notes(document: m.Document) -> None:
    """Footnotes numbered in the order they are first referred to, as Word numbers them
    (Python-Markdown numbers them in the order they are defined)."""
    numbers: dict[str, int] = {}
    for node in m.all_inlines(document.blocks):
        if isinstance(node, m.FootnoteRef):
            node.number = numbers.setdefault(node.anchor, len(numbers) + 1)
    for block in document.blocks:
        if isinstance(block, m.Footnotes):
            block.notes.sort(key=lambda n: numbers.get(n.anchor, len(numbers) + n.number))
            for number, note in enumerate(block.notes, 1):
                note.number = number


def _source_index(lines: list[str], index: int, text: str) -> int:
    """The body line that holds text, nearest to index: Python-Markdown's preprocessors
    have put each fenced code block on one line before raw HTML is read."""
    found = [n for n, line in enumerate(lines) if line.expandtabs(4).strip() == text.strip()]
    return min(found, key=lambda n: abs(n - index)) if found else min(index, len(lines) - 1)


def _unholdable(reference: re.Match[str], html: str) -> bool:
    """Whether a character reference spells a character no document can hold, and the
    page got it."""
    hexadecimal, decimal = reference.groups()
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return "\ufffd" in html  # what HTML makes of it
    return bool(UNHOLDABLE.fullmatch(chr(code))) and chr(code) in html


def _address(href: str) -> str:
    """A web address as a reader types it: no https://, no trailing slash."""
    return re.sub(r"^https?://(www\.)?", "", href).rstrip("/")


def _caption_id(caption: list[m.Inline]) -> tuple[list[m.Inline], str]:
    """A table's caption less Quarto's '{#tbl-id}' at its end, and the id."""
    last = caption[-1] if caption else None
    found = CAPTION_ID.search(last.text) if isinstance(last, m.Text) else None
    if found is None or not isinstance(last, m.Text):
        return caption, ""
    return caption[:-1] + [m.Text(last.text[:found.start()])], found.group(1)


def _attach_captions(blocks: list[m.Block], word: str) -> list[m.Block]:
    """A table's caption, written as Pandoc writes it, becomes its caption: a ': caption'
    line under it (read as a term-less definition), or a paragraph the dialects reader
    began with word ('Table:' or ':' right above or below the table)."""
    out: list[m.Block] = []
    waiting: list[m.Inline] | None = None  # a caption read before its table
    for block in blocks:
        caption = _marked_caption(block, word)
        if caption is not None:
            if out and isinstance(out[-1], m.Table) and not out[-1].caption:
                out[-1].caption, out[-1].anchor = _caption_id(caption)
            else:
                waiting = caption
            continue
        if isinstance(block, _CaptionFor) and out and isinstance(out[-1], m.Table):
            first = block.items[0].definitions[0] if block.items[0].definitions else []
            out[-1].caption = first[0].children if first and isinstance(first[0], m.Paragraph) \
                else []
            out[-1].caption, out[-1].anchor = _caption_id(out[-1].caption)
            rest = [b for d in block.items[0].definitions for b in d][1:]
            out.extend(rest)
        elif isinstance(block, _CaptionFor):
            out.append(m.DefinitionList(block.items, block.line))
        else:
            if waiting is not None and isinstance(block, m.Table) and not block.caption:
                block.caption, block.anchor = _caption_id(waiting)
            elif waiting is not None:
                out.append(m.Paragraph(waiting))
            waiting = None
            out.append(block)
    if waiting is not None:
        out.append(m.Paragraph(waiting))
    return out


def _marked_caption(block: m.Block, word: str) -> list[m.Inline] | None:
    """The caption in a paragraph that starts with word, less the word; None for any
    other block."""
    if not isinstance(block, m.Paragraph) or not block.children:
        return None
    first = block.children[0]
    if not isinstance(first, m.Text) or not first.text.startswith(word):
        return None
    rest = first.text[len(word):].lstrip()
    return _trim(([m.Text(rest)] if rest else []) + block.children[1:])


BLOCK_TAGS = {"p", "ul", "ol", "dl", "table", "div", "section", "blockquote", "pre", "hr",
              "figure", "h1", "h2", "h3", "h4", "h5", "h6"}


def _is_block(el: HtmlElement) -> bool:
    return isinstance(el.tag, str) and el.tag in BLOCK_TAGS


def _trim(inlines: list[m.Inline]) -> list[m.Inline]:
    """Inlines without the white space around them, runs of white space folded."""
    out: list[m.Inline] = []
    for node in inlines:
        if isinstance(node, m.Text):
            text = re.sub(r"\s+", " ", node.text)
            if out and isinstance(out[-1], m.LineBreak):
                text = text.lstrip()
            if out and isinstance(out[-1], m.Text):
                out[-1] = m.Text(out[-1].text + text)
                continue
            node = m.Text(text)
        out.append(node)
    if out and isinstance(out[0], m.Text):
        out[0] = m.Text(out[0].text.lstrip())
    if out and isinstance(out[-1], m.Text):
        out[-1] = m.Text(out[-1].text.rstrip())
    return [n for n in out if not (isinstance(n, m.Text) and not n.text)]


def _merge(inlines: list[m.Inline]) -> list[m.Inline]:
    out: list[m.Inline] = []
    for node in inlines:
        if isinstance(node, m.Text) and out and isinstance(out[-1], m.Text):
            out[-1] = m.Text(out[-1].text + node.text)
        else:
            out.append(node)
    return out


def _first_line(blocks: list[m.Block]) -> int | None:
    return next((b.line for b in blocks if b.line), None)


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text.lower()).strip("-") or "section"


NESTING = re.compile(r"^(?:\s*(?:>|[-*+]\s|\d{1,9}[.)]\s))*")  # quote and list marks
