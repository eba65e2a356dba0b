"""Pandoc's citation syntax, read out of Markdown text.

    [@doe99]                          one work
    [see @doe99, pp. 33-35; @roe04]   prefixes, locators, suffixes, several works
    [-@doe99]                         the work without its authors ("Doe says [-@doe99]")
    @doe99 says                       a narrative citation: the authors in the text
    @doe99 [p. 33] says               ... with a locator

Keys start with a letter, digit or _, and may hold :.#$%&-+?<>~/ between word characters,
as in Pandoc; @{any key} takes anything. Text in brackets that holds a key but cannot be
read as a citation is an error, never printed as it was typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Read before any Markdown with brackets is: Python-Markdown's search for a link's ']',
# made linear (read.py reads citations and links through this module).
from handouts.read import markdown_links  # noqa: F401

KEY = r"(?:\{[^{}\n]+\}|[^\W][\w]*(?:[:.#$%&+?<>~/-]+[\w]+)*)"
# A key stands at the start or after white space or '[' / ';' (not inside an address).
AT_KEY = re.compile(rf"(?<![\w@/.:+-])(-?)@({KEY})")
BRACKET = r"\[([^\[\]]*@[^\[\]]*)\](?![(\[:])"   # may run over a line break
NARRATIVE = rf"(?<![\w@/.:+\\-])@({KEY})(?:[ \t]?\[([^\[\]@]*)\](?![(\[:]))?"
# Locator terms (CSL's English short and long forms) -> CSL locator labels.
LOCATOR_TERMS = {
    "book": ["bk.", "bks.", "book", "books"],
    "chapter": ["chap.", "chaps.", "ch.", "chapter", "chapters"],
    "column": ["col.", "cols.", "column", "columns"],
    "figure": ["fig.", "figs.", "figure", "figures"],
    "folio": ["fol.", "fols.", "folio", "folios"],
    "issue": ["no.", "nos.", "number", "numbers"],
    "line": ["l.", "ll.", "line", "lines"],
    "note": ["n.", "nn.", "note", "notes"],
    "opus": ["op.", "opp.", "opus", "opera"],
    "page": ["p.", "pp.", "page", "pages"],
    "paragraph": ["para.", "paras.", "¶", "¶¶", "paragraph", "paragraphs"],
    "part": ["pt.", "pts.", "part", "parts"],
    "section": ["sec.", "secs.", "§", "§§", "section", "sections"],
    "sub-verbo": ["s.v.", "s.vv.", "sub verbo", "sub verbis"],
    "table": ["tbl.", "tbls.", "table", "tables"],
    "verse": ["v.", "vv.", "verse", "verses"],
    "volume": ["vol.", "vols.", "volume", "volumes"],
}
TERMS = sorted(((t, label) for label, terms in LOCATOR_TERMS.items() for t in terms),
               key=lambda pair: -len(pair[0]))
TERM = "|".join(re.escape(t) for t, _ in TERMS)
NUMBER = r"(?:[0-9]+(?:\.[0-9]+)*|[ivxlcdmIVXLCDM]+)[a-z]?"   # 12, 2.1, xiv, 33a
VALUE = rf"{NUMBER}(?:\s*[-–—]\s*{NUMBER})?"
LOCATOR = re.compile(rf"^\s*(?:({TERM})\s*)?({VALUE}(?:\s*(?:,|&|and)\s*{VALUE})*)(?![\w])(.*)$",
                     re.S)


class CitationSyntaxError(ValueError):
    """Bracketed text holds a key but is not a citation Pandoc could read."""


@dataclass
class CiteItem:
    key: str
    prefix: str = ""
    suffix: str = ""
    label: str = ""            # a CSL locator label (page, chapter, ...), or ''
    locator: str = ""
    term: str = ""             # the locator's term as written ('pp.', 'table'), or ''

    suppress_author: bool = False
    line_offset: int = 0       # lines from the citation's first line to this key's


def parse_bracket(inside: str) -> list[CiteItem] | None:
    """The items of '[...]' text, or None when it holds no key at all (plain brackets, an
    e-mail address); raise CitationSyntaxError when it holds keys but cannot be read."""
    if not AT_KEY.search(inside):
        return None
    items: list[CiteItem] = []
    for part in inside.split(";"):
        keys = list(AT_KEY.finditer(part))
        if len(keys) != 1:
            raise CitationSyntaxError(
                f"'[{inside}]' cannot be read as a citation" if not keys else
                f"'[{inside}]' has two keys in one part")
        key = keys[0]
        prefix = part[:key.start()]
        if prefix.strip() and not prefix[-1].isspace():
            raise CitationSyntaxError(f"'[{inside}]' cannot be read as a citation")
        item = _item(_key(key.group(2)), unescaped(part[key.end():]),
                     unescaped(prefix.strip()))
        item.suppress_author = key.group(1) == "-"
        items.append(item)  # a work cited twice in one citation, as Pandoc: two locators
    return items


def parse_narrative(key: str, bracket: str | None) -> CiteItem:
    """The one item of '@key' or '@key [p. 33]'."""
    return _item(_key(key), ", " + unescaped(bracket) if bracket else "", "")


# Python-Markdown's stand-in for a character escaped with a backslash (\[ is STX 91 ETX),
# as the citation patterns see it once unstashed: never a key's '@' or a bracket, and the
# character itself in prefixes and suffixes.
ESCAPED = re.compile("\x02(\\d+)\x03")


def unescaped(text: str) -> str:
    return ESCAPED.sub(lambda found: chr(int(found.group(1))), text)


def _key(text: str) -> str:
    return text[1:-1] if text.startswith("{") else text


def _item(key: str, rest: str, prefix: str) -> CiteItem:
    """Split what follows a key into locator and suffix, as Pandoc does: after a comma, a
    locator term and value ('pp. 33-35') or a bare number (a page); the rest is a suffix."""
    item = CiteItem(key, prefix=prefix)
    if not rest.strip():
        return item
    if rest.lstrip().startswith(","):
        after = rest.lstrip()[1:]
        found = LOCATOR.match(after)
        if found:
            term, value, suffix = found.groups()
            item.label = dict(TERMS)[term] if term else "page"
            item.term = term or ""
            item.locator = value.strip()
            item.suffix = suffix.rstrip()
            return item
    item.suffix = rest.rstrip()
    return item
