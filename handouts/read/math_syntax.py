"""Formulas in Markdown as Pandoc, Quarto, R Markdown, GitHub and MkDocs write them:
$...$ and \\(...\\) in a line, $$...$$ and \\[...\\] (or \\begin{env}...\\end{env}) as a
paragraph of their own, $$...$$ inside a paragraph displayed in its line.

pymdown-extensions' arithmatex finds them (generic output: the TeX in a <span> or <div>
of class arithmatex, which the reader turns into model.Math and model.DisplayMath). Its
'smart dollars' already want no space after the opening $ and none before the closing
one; Pandoc's third rule is added: the closing $ is not followed by a digit, so "from $5
to $10" and "$5,$10" stay prices.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

import markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString
from pymdownx.arithmatex import (RE_BRACKET_INLINE, ArithmatexExtension,
                                 InlineArithmatexPattern)

# arithmatex's RE_SMART_DOLLAR_INLINE, its closing $ not followed by a digit (Pandoc).
DOLLAR_INLINE = (r"(?:(?<!\\)((?:\\{2})+)(?=\$)|(?<!\\)(\$)(?!\s)((?:\\.|[^\\$\x02\x03])+?)"
                 r"(?<!\s)(?:\$)(?!\d))")
# $$...$$ inside a paragraph (Pandoc displays it); arithmatex reads it only as a paragraph.
DISPLAY_INLINE = r"(?<![\\$])\$\$(?!\$)((?:\\.|[^\\$])+?)\$\$"
CLASS = "arithmatex"


class _DisplayInLine(InlineProcessor):
    def handleMatch(  # type: ignore[override]  # the stubs give InlineProcessor Pattern's
            self, match: re.Match[str], data: str) -> tuple[etree.Element, int, int]:
        span = etree.Element("span", {"class": f"{CLASS} display"})
        span.text = AtomicString(match.group(1))
        return span, match.start(0), match.end(0)


class MathExtension(ArithmatexExtension):  # type: ignore[misc]  # pymdownx has no types
    def __init__(self) -> None:
        super().__init__(generic=True, tex_inline_wrap=["", ""], tex_block_wrap=["", ""],
                         smart_dollar=True)

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        super().extendMarkdown(md)
        inline = InlineArithmatexPattern(f"(?:{DOLLAR_INLINE}|{RE_BRACKET_INLINE})",
                                         self.getConfigs())
        md.inlinePatterns.register(inline, "arithmatex-inline", 189.9)
        md.inlinePatterns.register(_DisplayInLine(DISPLAY_INLINE), "math-display-inline", 189.95)
