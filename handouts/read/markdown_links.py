"""Python-Markdown's search for the ']' that closes a link's or picture's '[', and for the
')' that closes its address, made linear.

For each '[' the library walks the rest of the paragraph one character at a time
(LinkInlineProcessor.getText), so a paragraph of n unclosed '[' cost n * n steps: 50,000
took 259 s, 20,000 '![' 83 s; its walk for the ')' (getLink) did the same for n '[a]('.
Here each walk records the closing bracket of every opening one it passes (or that none
closes it), and later searches in the same text read that record instead of walking again.
The answers are the library's: the text up to the ']' that balances the '[', the index
after it, and whether there was one. An address with a quote in it (a title, "[a](b 'c')")
is left to the library's walk. The footnote marker's pattern, '[^' up to the next ']', is
searched no further than the text's last ']' (20,000 '[^' took 3 s, 50,000 twenty).
Installed on import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from markdown.extensions.footnotes import FootnoteInlineProcessor
from markdown.inlinepatterns import LinkInlineProcessor

BRACKETS = re.compile(r"[\[\]]")
PARENTHESES = re.compile(r"[()]")
QUOTES = re.compile("[\"']")
_library_get_text = LinkInlineProcessor.getText
_library_get_link = LinkInlineProcessor.getLink


@dataclass
class _Searched:
    """The text last searched, {index after an opening bracket: index of its closing one, or
    None}, and (where a search for a quote started, the quote it found)."""
    text: str | None = None
    closes: dict[int, int | None] = field(default_factory=dict)
    quote: tuple[int, int] = (0, 0)


_known = _Searched()  # '[' and ']'
_addresses = _Searched()  # '(' and ')', and quotes


def get_text(self: LinkInlineProcessor, data: str, index: int) -> tuple[str, int, bool]:
    """LinkInlineProcessor.getText, each '[' of a text walked past once."""
    if index == 0 or data[index - 1] != "[":  # not called for a '[': the library's walk
        return _library_get_text(self, data, index)
    if _known.text is not data:
        _known.text, _known.closes = data, {}
    closes = _known.closes
    if index not in closes:
        _pair(data, index, closes)
    close = closes[index]
    if close is None:  # nothing closes it; the callers drop the text then, so none is copied
        return "", len(data), False
    return data[index:close], close + 1, True


def get_link(self: LinkInlineProcessor, data: str,
             index: int) -> tuple[str, str | None, int, bool]:
    """LinkInlineProcessor.getLink, each '(' of a text walked past once unless a quote
    stands before its ')'; the address at index is plain or in <...>, as the library has
    it (its regular expression RE_LINK)."""
    found = self.RE_LINK.match(data, pos=index)
    if not found or found.group(1):  # no '(' here, or an address in <...>
        return _library_get_link(self, data, index)
    if _addresses.text is not data:
        _addresses.text, _addresses.closes = data, {}
        _addresses.quote = (len(data) + 1, len(data))
    closes = _addresses.closes
    if index + 1 not in closes:
        _pair(data, index + 1, closes, PARENTHESES, "(")
    close = closes[index + 1]
    quote = _next_quote(data, found.end())
    if quote < (len(data) if close is None else close):  # a title, perhaps
        return _library_get_link(self, data, index)
    if close is None:
        return "", None, len(data), False
    return self.unescape(data[found.end():close]).strip(), None, close + 1, True


def _next_quote(data: str, start: int) -> int:
    """Where the first quote at or after start is (len(data) if none), searched again only
    when start has passed the last one found."""
    searched_from, quote = _addresses.quote
    if not searched_from <= start <= quote:
        found = QUOTES.search(data, start)
        quote = found.start() if found else len(data)
        _addresses.quote = (start, quote)
    return quote


def _pair(data: str, index: int, closes: dict[int, int | None],
          marks: re.Pattern[str] = BRACKETS, opening: str = "[") -> None:
    """Find the ']' of the '[' before index (or the ')' of a '('), noting that of each
    opening one on the way; a span already paired is stepped over, and one that nothing
    closes ends the walk."""
    open_, pos = [index], index
    while open_:
        found = marks.search(data, pos)
        if not found:
            break
        pos = found.end()
        if found.group() != opening:
            closes[open_.pop()] = pos - 1
        elif pos not in closes:
            open_.append(pos)
        elif (close := closes[pos]) is None:
            break
        else:
            pos = close + 1
    for unclosed in open_:
        closes[unclosed] = None


class _UpToTheLastClose:
    """A footnote marker's pattern that looks for markers only before the text's last ']':
    from a '[^' after it, the pattern read on to the end to find none."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def finditer(self, data: str, pos: int = 0) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(data, pos, data.rfind("]") + 1)


def _up_to_the_last_close(self: FootnoteInlineProcessor) -> _UpToTheLastClose:
    return _UpToTheLastClose(self.compiled_re)


# Methods replaced on the library's classes (setattr: mypy forbids assigning to a method).
setattr(LinkInlineProcessor, "getText", get_text)
setattr(LinkInlineProcessor, "getLink", get_link)
setattr(FootnoteInlineProcessor, "getCompiledRegExp", _up_to_the_last_close)
