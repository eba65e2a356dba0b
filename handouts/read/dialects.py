"""Markdown as other tools write it, read into what Python-Markdown and the reader know.

Authors paste from GitHub, Quarto, Pandoc, R Markdown and MkDocs pages. What a maintained
Python-Markdown extension reads is left to it (markdown.py's EXTENSIONS: GitHub alerts,
MkDocs `???` and `===`); this module does the rest, each rewrite keeping the text's lines
where they were (a line left out becomes a blank line), so every message still names the
line of the file:

- lists as CommonMark writes them: nested by the width of the parent's marker (2 spaces
  under `- `, 3 under `1. `, or 4), and a list starting right after a paragraph line;
- Pandoc and Quarto fenced divs (`::: {.callout-note title="..."}`, `::: {.class}`), and
  Docusaurus' `:::note`: a box (as `!!! kind "Title"`) or a plain division;
- `<details>` with its text written in Markdown, as GitHub reads it;
- Pandoc table captions ('Table: ...' or ': ...' above or below a table), bracketed
  spans ('[text]{.class}', printed as their text);
- Pandoc line blocks (`| ` lines), the `{-}` heading attribute, Quarto and Hugo
  shortcodes (`{{< pagebreak >}}` becomes a page break; the others are left out and named);
- a backslash at the end of a line: a line break (an inline pattern);
- `<details>` and MkDocs tabs become `div.admonition` boxes, as `!!!` boxes are.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor, SubstituteTagInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from handouts.model import BOX_KINDS

CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
# An info string Python-Markdown's fenced_code reads: a language, {attributes}, hl_lines.
FENCE_INFO = re.compile(r"""\{[^\n]*\}|\.?[\w#.+-]*\s*(hl_lines=("|')[^"']*\2\s*)?""")
DIV_FENCE = re.compile(r"^(\s*)(:{3,})\s*(.*?)\s*:*\s*$")
LIST_MARKER = re.compile(r"^( *)([-*+]|\d{1,9}\.)( +|$)")
LABEL = re.compile(r"^\s*(\[\^[^\]]+\]:|[!?=]{3}|:)")  # a note's, a box's, a definition's
RULE = re.compile(r"^ {0,3}([-*_])( *\1){2,} *$")
QUOTED = re.compile(r"^ {0,3}> ?")
DETAILS = re.compile(r"<details\b(?![^>]*\bmarkdown=)", re.I)
HEADING_TITLE = re.compile(r"^\s*#{1,6}\s+(.*?)\s*#*\s*$")
UNNUMBERED = re.compile(r"^(\s{0,3}#{1,6}\s.*?)\s*\{-\}\s*$")
LINE_BLOCK = re.compile(r"^\|( |$)")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
SHORTCODE = re.compile(r"\{\{([<%])\s*(/?[\w./-]+)[^}]*?[>%]\}\}")
PAGE_BREAK = re.compile(r"^\s*\{\{<\s*pagebreak\s*>\}\}\s*$")
GRID_BORDER = re.compile(r"^(\s{0,3})\+(?:[-=:]+\+)+\s*$")
TABLE_CAPTION = re.compile(r"^ {0,3}(?:[Tt]able)?:[ \t]+(?=\S)")
BRACKETED_SPAN = re.compile(r"(?<![!\]\\])\[([^\[\]]*)\]\{[^{}]*\}")
CODE_SPAN = re.compile(r"(`+).+?(?<!`)\1(?!`)")
DIV_ID = re.compile(r"\{[^}]*#(tbl-[\w-]+)")


@dataclass
class _Item:
    content: int   # the column its text starts at, as written
    target: int    # the column Python-Markdown needs it at (4 per level)


def page_break_text(mark: str) -> str:
    """The paragraph a page break is read as: words no author writes (the run's mark)."""
    return f"pagebreak{mark}"


def normalise(lines: list[str], mark: str) -> list[str]:
    """The body's lines rewritten for Python-Markdown (see the module's description)."""
    return _indented_fences(_lists(_pandoc(
        _table_captions(_grid_tables(_fence_info(lines))[0], mark), mark)))


def table_caption_text(mark: str) -> str:
    """The word a Pandoc table caption's 'Table:' or ':' is read as (the run's mark), so
    the reader can give the paragraph to its table."""
    return f"tablecaption{mark}"


def _fence_info(lines: list[str]) -> list[str]:
    """Code fences whose info string Python-Markdown cannot read (MkDocs' '``` title="x"',
    R Markdown's '```{r, echo=FALSE}') as '```lang': otherwise the fence is not code at
    all, and what it shows is read as Markdown."""
    out = []
    fence = None
    for line in lines:
        found = FENCE.match(line)
        if found and fence is None and not (found.group(2)[0] == "`" and "`" in found.group(3)):
            fence = found.group(2)
            info = found.group(3).strip()
            if info and not FENCE_INFO.fullmatch(info):
                lang = re.match(r"[{.\s]*([\w#+-]*)", info)
                line = found.group(1) + fence + (lang.group(1) if lang else "")
                # MkDocs' title="x" and Quarto's filename="x" name the code above it
                named = re.search(r"""\b(?:title|filename)=("|')([^"'\n]+)\1""", info)
                if named and "`" not in named.group(2):
                    line = (found.group(1) + fence + "{" + (f".{lang.group(1)} " if lang and
                            lang.group(1) else "") + f'title="{named.group(2)}"' + "}")
        elif found and fence and found.group(2)[0] == fence[0] and \
                len(found.group(2)) >= len(fence) and not found.group(3).strip():
            fence = None
        out.append(line)
    return out


def _indented_fences(lines: list[str]) -> list[str]:
    """Fenced code in a box, a tab or a list item (indented, which Python-Markdown's
    fenced_code does not read) as indented code: its fences blank, its lines 4 spaces in."""
    out = []
    fence: tuple[str, int] | None = None  # its fence, its indent: converted
    top = None   # a fence at the margin, read by fenced_code
    outer = ""   # the last line indented less than 4 spaces
    for line in lines:
        found = FENCE.match(line)
        width = len(line) - len(line.lstrip(" "))
        if fence is not None:
            if found and found.group(2)[0] == fence[0][0] and \
                    len(found.group(2)) >= len(fence[0]) and not found.group(3).strip():
                fence = None
                out.append("")
            else:
                kept = line[fence[1]:] if not line[:fence[1]].strip() else line.lstrip()
                out.append(" " * (fence[1] + 4) + kept if line.strip() else line)
            continue
        if top is None and found and width >= 4 and (
                LABEL.match(outer) or LIST_MARKER.match(outer)):
            fence = (found.group(2), width)
            out.append("")
            continue
        if found and width < 4:
            top = None if top and found.group(2)[0] == top[0] and \
                not found.group(3).strip() else top or found.group(2)
        if line.strip() and width < 4:
            outer = line
        out.append(line)
    return out


def grid_tables_with_spans(text: str) -> list[int]:
    """The line index of each Pandoc grid table whose cells span rows or columns, which
    are read as a table of single cells."""
    return _grid_tables(text.split("\n"))[1]


def _grid_tables(lines: list[str]) -> tuple[list[str], list[int]]:
    """Pandoc's grid tables as pipe tables: a cell's lines joined, the row above a '+==+'
    border the header (or the first row, if there is none). Also the index of each table
    whose cells span its columns or rows."""
    out: list[str] = []
    spanned: list[int] = []
    index = 0
    fence = None
    while index < len(lines):
        line = lines[index]
        code = CODE_FENCE.match(line)
        if code:
            fence = None if fence and code.group(1)[0] == fence[0] else fence or code.group(1)
        border = GRID_BORDER.match(line) if fence is None else None
        if border is None:
            out.append(line)
            index += 1
            continue
        end = index + 1
        while end < len(lines) and re.match(r"^\s{0,3}[|+]", lines[end]):
            end += 1
        table, regular = _grid_table(lines[index:end])
        if not regular:
            spanned.append(index)
        out += table
        index = end
    return out, spanned


def _grid_table(lines: list[str]) -> tuple[list[str], bool]:
    """One grid table's lines as a pipe table's, and whether every row has every cell."""
    first = lines[0].strip()
    edges = [n for n, char in enumerate(first) if char == "+"]
    offset = len(lines[0]) - len(lines[0].lstrip())
    rows: list[list[str]] = []
    head = 0
    cells: list[list[str]] | None = None
    regular = True
    for line in lines[1:]:
        text = line[offset:].rstrip()
        if GRID_BORDER.match(line):
            if cells is not None:
                rows.append([" ".join(part for part in cell if part) for cell in cells])
            cells = None
            if "=" in text and not head:
                head = len(rows)
            if [n for n, char in enumerate(text) if char == "+"] != edges:
                regular = False
            continue
        if cells is None:
            cells = [[] for _ in edges[1:]]
        parts = [text[left + 1:right] for left, right in zip(edges, edges[1:])]
        if any(len(text) <= edge or text[edge] != "|" for edge in edges):
            # a row not lined up with the borders: its own '|' divide it, if they can
            split = text.strip().strip("|").split("|")
            if len(split) == len(parts):
                parts = split
            else:
                regular = False
                parts[-1] += text[edges[-1]:]  # nothing past the last border is lost
        for k, part in enumerate(parts):
            cells[k].append(part.strip().strip("|").strip().replace("|", "\\|"))
    if cells is not None:
        rows.append([" ".join(part for part in cell if part) for cell in cells])
    if not rows:
        return lines, regular
    head = head or 1
    header = [" ".join(cell for cell in column if cell) for column in zip(*rows[:head])]
    table = [header, ["---"] * len(header), *rows[head:]]
    # as many lines as the grid table had, blank after it: the lines after keep theirs
    return ["| " + " | ".join(row) + " |" for row in table] + \
        [""] * max(0, len(lines) - len(table)), regular


def _table_captions(lines: list[str], mark: str) -> list[str]:
    """Pandoc's table captions: a paragraph starting 'Table:' or ':' right before or after
    a pipe table, its start rewritten to table_caption_text. Otherwise a ':' caption above
    a table reads as a definition, the paragraph before it as its terms. Inside Quarto's
    '::: {#tbl-x}' the caption takes the div's id, as '{#tbl-x}' written after it would."""
    out = list(lines)
    ids: list[list[str]] = []  # each open fenced div's table id ("" for none), and "1"
    fence = None               # once a caption in it took the id
    index = 0
    while index < len(lines):
        line = lines[index]
        code = CODE_FENCE.match(line)
        if code:
            fence = None if fence and code.group(1)[0] == fence[0] else fence or code.group(1)
        div = DIV_FENCE.match(line) if fence is None and not code else None
        if div:
            if div.group(3):
                found = DIV_ID.search(div.group(3))
                ids.append([found.group(1) if found else "", ""])
            elif ids:
                table_id, captioned = ids.pop()
                if table_id and not captioned:
                    _last_paragraph_as_caption(lines, out, index, table_id, mark)
        starts = fence is None and not code and TABLE_CAPTION.match(line) and (
            index == 0 or not lines[index - 1].strip())
        if not starts:
            index += 1
            continue
        end = index
        while end < len(lines) and lines[end].strip() and not DIV_FENCE.match(lines[end]):
            end += 1
        if _table_ends_before(lines, index) or _table_starts_after(lines, end):
            out[index] = TABLE_CAPTION.sub(table_caption_text(mark) + " ", line, count=1)
            holder = next((d for d in reversed(ids) if d[0]), None)
            if holder and "{#" not in lines[end - 1]:
                out[end - 1] = out[end - 1].rstrip() + " {#" + holder[0] + "}"
                holder[1] = "1"
        index = end
    return out


def _last_paragraph_as_caption(lines: list[str], out: list[str], closing: int,
                               table_id: str, mark: str) -> None:
    """Quarto's '::: {#tbl-x}' div whose last paragraph, after its table, is the caption
    (no ':' before it): that paragraph marked as the caption, with the div's id."""
    last = closing - 1
    while last >= 0 and not lines[last].strip():
        last -= 1
    start = last
    while start > 0 and lines[start - 1].strip() and not DIV_FENCE.match(lines[start - 1]):
        start -= 1
    if last < 0 or lines[start].lstrip().startswith(("|", "+", ":")) or \
            DIV_FENCE.match(lines[start]) or not _table_ends_before(lines, start):
        return
    out[start] = f"{table_caption_text(mark)} {lines[start].strip()}"
    out[last] = out[last].rstrip() + " {#" + table_id + "}"


def _table_ends_before(lines: list[str], index: int) -> bool:
    """Whether a pipe table ends a blank line (or a div's fence) above lines[index]."""
    above = index - 1
    while above >= 0 and (not lines[above].strip() or DIV_FENCE.match(lines[above])):
        above -= 1
    start = above
    while start >= 0 and lines[start].strip().startswith("|"):
        start -= 1
    return above > start and any(TABLE_RULE.match(line) for line in lines[start + 1:above + 1])


def _table_starts_after(lines: list[str], end: int) -> bool:
    """Whether a pipe table starts a blank line below a paragraph ending at lines[end]."""
    below = end
    while below < len(lines) and not lines[below].strip():
        below += 1
    return below + 1 < len(lines) and "|" in lines[below] and \
        bool(TABLE_RULE.match(lines[below + 1]))


def shortcodes(text: str) -> list[tuple[int, str]]:
    """(line index, name) of each shortcode in text that is left out (all but a page
    break on a line of its own), outside code."""
    found = []
    fence = None
    for index, line in enumerate(text.split("\n")):
        code = CODE_FENCE.match(line)
        if code:
            fence = None if fence and code.group(1)[0] == fence[0] else fence or code.group(1)
            continue
        if fence is None and not PAGE_BREAK.match(line):
            found += [(index, shortcode.group(2)) for shortcode in SHORTCODE.finditer(line)
                      if not shortcode.group(2).startswith("/")]
    return found


def _pandoc(lines: list[str], mark: str) -> list[str]:
    """Fenced divs, line blocks, {-}, shortcodes and <details>; one line out for each in."""
    out: list[str] = []
    boxes: list[tuple[int, bool]] = []  # each open div: its opener's index, whether a box
    pending: dict[int, tuple[str, str, str]] = {}  # a box opener not written yet
    fence = None
    for line in lines:
        indent = "    " * sum(1 for _, box in boxes if box)
        code = CODE_FENCE.match(line)
        if code:
            fence = None if fence and code.group(1)[0] == fence[0] else fence or code.group(1)
        if fence is not None or code:
            out.append(indent + line if line.strip() else line)
            continue
        div = DIV_FENCE.match(line)
        if div and not div.group(3):  # a closing fence (one closing nothing: left out)
            if boxes:
                opener, _ = boxes.pop()
                _open_box(out, pending, opener, None)
            out.append("")
            continue
        if div and div.group(3):
            kind, title = _div(div.group(3))
            boxes.append((len(out), kind is not None))
            if kind is not None:
                pending[len(out)] = (indent + div.group(1), kind, title)
            out.append("")
            continue
        if pending and line.strip():  # a box's first line: a '## Title' may name it
            opener = max(pending)
            heading = HEADING_TITLE.match(line)
            if heading and not pending[opener][2]:
                _open_box(out, pending, opener, heading.group(1))
                out.append("")
                continue
            _open_box(out, pending, opener, None)
        if PAGE_BREAK.match(line):
            line = page_break_text(mark)
        else:
            line = SHORTCODE.sub("", line) if "{{" in line else line
        line = DETAILS.sub('<details markdown="1"', line)
        line = _spans(line) if "]{" in line else line
        line = UNNUMBERED.sub(r"\1 {.unnumbered}", line)
        out.append(indent + line if line.strip() else line)
    for opener in list(pending):
        _open_box(out, pending, opener, None)
    return _line_blocks(out)


def _spans(line: str) -> str:
    """Pandoc's bracketed spans ('[text]{.class}', '[]{label="x"}') as their text, as
    Pandoc prints them; code spans are left as written."""
    out, start = [], 0
    for code in CODE_SPAN.finditer(line):
        out += [BRACKETED_SPAN.sub(r"\1", line[start:code.start()]), code.group()]
        start = code.end()
    return "".join(out) + BRACKETED_SPAN.sub(r"\1", line[start:])


def _div(attributes: str) -> tuple[str | None, str]:
    """The box kind (or None for a plain division) and title of a fenced div's opener:
    {#id .callout-note title="T"}, callout-tip, note, note[Title] or note Title."""
    if attributes.startswith("{"):
        classes = re.findall(r"(?<![\w-])\.([\w-]+)", attributes)
        title = re.search(r"""title\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+?)(?=[\s}]))""",
                          attributes)
        text = next((t for t in title.groups() if t), "") if title else ""
    else:
        word = re.match(r"([\w-]+)\s*(?:\[(.*)\]|(.*))$", attributes)
        classes = [word.group(1)] if word else []
        text = (word.group(2) or word.group(3) or "").strip() if word else ""
    for name in classes:
        kind = BOX_KINDS.get(name.lower().removeprefix("callout-"))
        if kind is not None:
            return kind, text
    return None, ""


def _open_box(out: list[str], pending: dict[int, tuple[str, str, str]], opener: int,
              heading: str | None) -> None:
    if opener not in pending:
        return
    indent, kind, title = pending.pop(opener)
    title = heading or title
    out[opener] = f'{indent}!!! {kind} "{title}"' if title else f"{indent}!!! {kind}"


def _line_blocks(lines: list[str]) -> list[str]:
    """Pandoc's line blocks ('| ' before each line): each line ends in a line break. A run
    of '|' lines with a table's rule under its first line is a pipe table."""
    out = list(lines)
    index = 0
    while index < len(lines):
        end = index
        while end < len(lines) and (LINE_BLOCK.match(lines[end]) or end > index and
                                    lines[end].startswith(" ") and lines[end].strip()):
            end += 1
        run = lines[index:end]
        if run and not any(TABLE_RULE.match(line) for line in run) and \
                not all(line.rstrip().endswith("|") for line in run):
            for k in range(index, end):
                text = lines[k][2:] if LINE_BLOCK.match(lines[k]) else " " + lines[k].strip()
                text = re.sub(r"^ +", lambda spaces: "\u00a0" * len(spaces.group()), text)
                last = k + 1 == end or not LINE_BLOCK.match(lines[k + 1])
                out[k] = (text or "\u00a0") + ("" if last else "  ")
        index = max(end, index + 1)
    return out


def _lists(lines: list[str]) -> list[str]:
    """Lists nested as CommonMark nests them, indented as Python-Markdown reads them; a
    list that follows a paragraph line gets the blank line Python-Markdown needs."""
    out: list[str] = []
    items: list[_Item] = []
    base = 0
    fence = None
    shift = 0      # what the lines of a fenced code block in an item move by
    previous = ""  # the line before, as written
    outer = ""     # the last line indented less than 4 spaces: what holds indented lines
    indented_code = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if QUOTED.match(line) and fence is None and not items:  # a quote: read alone
            end = index
            while end < len(lines) and QUOTED.match(lines[end]):
                end += 1
            inner = [QUOTED.sub("", text, count=1) for text in lines[index:end]]
            prefixes = [text[:len(text) - len(rest)] for text, rest in
                        zip(lines[index:end], inner)]
            rewritten = _lists(inner)
            extra = len(rewritten) - len(inner)
            prefixes[1:1] = [prefixes[0].rstrip()] * extra  # blank lines it added
            out += [p + text for p, text in zip(prefixes, rewritten)]
            items, previous, index = [], lines[end - 1], end
            continue
        index += 1
        code = CODE_FENCE.match(line)
        width = len(line) - len(line.lstrip(" "))
        if code and fence is None:  # a fence opens: it stands in the items it is indented in
            while items and width < items[-1].content:
                items.pop()
            shift = items[-1].target - items[-1].content if items else 0
        if fence is not None or code:
            if code:
                fence = None if fence and code.group(1)[0] == fence[0] else \
                    fence or code.group(1)
            out.append(" " * max(0, width + shift) + line.lstrip() if line.strip() else line)
            previous = line
            continue
        if not line.strip():
            out.append(line)
            previous = line
            continue
        if width < 4:
            outer, indented_code = line, False
        elif not items and not previous.strip() and not LABEL.match(outer):
            indented_code = True  # after a paragraph and a blank line: code, as it is
        if indented_code:
            out.append(line)
            previous = line
            continue
        marker = LIST_MARKER.match(line) if not RULE.match(line) else None
        lazy = bool(previous.strip()) and marker is None
        if not lazy:
            while items and width < items[-1].content:
                items.pop()
        if marker is not None:
            if not items:
                base = width - width % 4
                # a paragraph's line at the same indent (not a footnote's or a box's label)
                interrupts = previous.strip() and not LIST_MARKER.match(previous) and \
                    len(previous) - len(previous.lstrip(" ")) == width and \
                    not LABEL.match(previous) and \
                    (marker.group(2)[0] in "-*+" or marker.group(2) == "1.")
                if interrupts:
                    out.append("")
            spaces = len(marker.group(3))
            content = width + len(marker.group(2)) + (spaces if 0 < spaces <= 4 else 1)
            target = base + 4 * len(items)
            items.append(_Item(content, target + 4))
            out.append(" " * target + line.lstrip(" "))
        elif items and not lazy:  # up to 3 spaces more than the item's text mean nothing
            extra = width - items[-1].content
            out.append(" " * (items[-1].target + (extra if extra >= 4 else 0))
                       + line.lstrip(" "))
        else:
            out.append(line)
        previous = line
    return out


class _Dialects(Preprocessor):
    def __init__(self, md: markdown.Markdown, mark: str) -> None:
        super().__init__(md)
        self.mark = mark

    def run(self, lines: list[str]) -> list[str]:
        return normalise(lines, self.mark)


class _Boxes(Treeprocessor):
    """<details> (MkDocs' ??? and an author's own) and MkDocs tabs as boxes: a div of
    class 'admonition KIND' whose first paragraph, of class 'admonition-title', is its
    title, as Python-Markdown's admonition makes them. Each tab is a box of its own, its
    label the title; a closed box prints open."""

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for index, child in reversed(list(enumerate(parent))):
                if child.tag == "details":
                    _details_as_box(child)
                elif child.tag == "div" and "tabbed-set" in (child.get("class") or "").split():
                    parent.remove(child)
                    for k, box in enumerate(_tabs_as_boxes(child)):
                        parent.insert(index + k, box)


def _details_as_box(details: etree.Element) -> None:
    kinds = [c for c in (details.get("class") or "").split() if c in BOX_KINDS]
    details.attrib.clear()
    details.tag = "div"
    details.set("class", "admonition " + (kinds[0] if kinds else "note"))
    summary = details.find("summary")
    if summary is not None:
        summary.tag = "p"
        summary.attrib.clear()
        summary.set("class", "admonition-title")
        details.remove(summary)
        details.insert(0, summary)


def _tabs_as_boxes(tabs: etree.Element) -> list[etree.Element]:
    labels = [label for label in tabs.iter("label")]
    content = next((c for c in tabs if "tabbed-content" in (c.get("class") or "")), None)
    blocks = [b for b in content if "tabbed-block" in (b.get("class") or "")] \
        if content is not None else []
    boxes = []
    for label, block in zip(labels, blocks):
        block.attrib.clear()
        block.set("class", "admonition note")
        title = etree.Element("p", {"class": "admonition-title"})
        title.text = label.text
        for child in label:
            title.append(child)
        block.insert(0, title)
        block.tail = "\n"
        boxes.append(block)
    return boxes


class _Icon(InlineProcessor):
    """MkDocs Material's icon shortcodes (':octicons-mark-github-16:', ':material-alert:'):
    the theme's pictures, which no other tool has; left out, as decoration."""

    def handleMatch(  # type: ignore[override]  # the stubs give InlineProcessor Pattern's
            self, match: re.Match[str], data: str) -> tuple[etree.Element, int, int]:
        return etree.Element("span"), match.start(0), match.end(0)


class DialectExtension(Extension):
    """Registers the rewrites: the lines after NormalizeWhitespace (30), before the lines
    are followed again (27); the boxes after the inline patterns (20) and the table of
    contents (5), before elements are marked (1)."""

    def __init__(self, mark: str) -> None:
        super().__init__()
        self.mark = mark

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.register(_Dialects(md, self.mark), "dialects", 29)
        md.treeprocessors.register(_Boxes(md), "dialect-boxes", 3)
        # Pandoc's hard line break, above 'escape' (180), below code spans (190).
        md.inlinePatterns.register(SubstituteTagInlineProcessor(r"\\\n", "br"),
                                   "backslash-break", 185)
        md.inlinePatterns.register(
            _Icon(r"(?<![\w:]):(?:octicons|material|fontawesome|simple)-[a-z0-9-]+:(?![\w:])"),
            "mkdocs-icon", 184)
