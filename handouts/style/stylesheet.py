"""The handout's stylesheet, styles/handout.css, read and checked before any page uses it.

The web page carries the stylesheet, and a browser follows every address in it, so an
address to anything but inline data is refused here, in any spelling CSS allows (escapes,
image-set(), @import), by reading the CSS as tinycss2 (WeasyPrint's parser) does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any  # tinycss2's nodes: it ships no types

import tinycss2

from handouts.diagnostics import Diagnostic
from handouts.paths import Outside, inside

MAX_BRACKETS = 20  # the parser recurses into brackets; real stylesheets nest 3 or 4 deep
# Functions whose text or url() arguments a browser fetches.
FETCHING_FUNCTIONS = {"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade"}


def read_stylesheet(path: Path) -> str:
    """styles/handout.css as text, or a Diagnostic naming the line to change."""
    try:
        css = inside(path.parent, path.name).read_bytes().decode("utf-8")
    except Outside:
        raise Diagnostic(path, "is a link to a file outside styles/",
                         "put the stylesheet itself in styles/") from None
    except UnicodeDecodeError:
        raise Diagnostic(path, "is not UTF-8 text", "save it as UTF-8") from None
    except OSError:
        raise Diagnostic(path, "cannot be read", "restore styles/handout.css from git") from None
    _check_depth(path, css)
    for token, text in _addresses(tinycss2.parse_stylesheet(css)):
        raise Diagnostic(path, f"refers to '{text}'",
                         "a handout's stylesheet may not load files or addresses; remove it",
                         token.source_line)
    return css


def _check_depth(path: Path, css: str) -> None:
    depth = 0
    for offset, char in enumerate(css):
        depth += (char in "([{") - (char in ")]}")
        if depth > MAX_BRACKETS:
            raise Diagnostic(path, "has brackets nested too deeply",
                             f"nest (, [ and {{ at most {MAX_BRACKETS} deep",
                             css.count("\n", 0, offset) + 1)


def _addresses(nodes: Iterable[Any] | None,
               fetching: bool = False) -> Iterator[tuple[Any, str]]:
    """(token, shown text) for every address a browser would load, walking all rules."""
    for node in nodes or []:
        kind = node.type
        if kind == "at-rule" and node.lower_at_keyword == "import":
            yield node, "@import"
        elif kind == "url" and not _inline(node.value):
            yield node, f"url({node.value})"
        elif kind == "string" and fetching and not _inline(node.value):
            yield node, node.value
        elif kind == "function":
            inner = fetching or node.lower_name in FETCHING_FUNCTIONS
            yield from _addresses(node.arguments, inner)
        for part in ("prelude", "content"):
            if isinstance(getattr(node, part, None), list):
                yield from _addresses(getattr(node, part), fetching)


def _inline(address: str) -> bool:
    return address.strip().lower().startswith("data:")
