"""The typeface inside the web page: only the faces the page uses, cut down to the
characters it shows, as WOFF. Four whole TrueType faces were 96% of the page. (WOFF2 is
a fifth smaller but its Brotli compression costs a quarter of a second a build.) Each cut
is kept in .cache/fonts/, since cutting takes a fifth of a second and the next build of
the handout almost always shows the same characters.

The PDF is printed from the same page, so the cut keeps every character of the text plus
what the stylesheet adds (page numbers, list bullets) and printable ASCII.
"""

from __future__ import annotations

import base64
import functools
import io
import string
from collections.abc import Iterable, Iterator
from pathlib import Path

import fontpkg_atkinson_hyperlegible as atkinson
from lxml.etree import _Element

from handouts import cache
from handouts.style import fonts
from handouts.style.theme import BUNDLED_FONTS

# Characters the stylesheet itself prints (page furniture, bullets, dashes, quotes).
ALWAYS = set(string.printable) - set("\t\n\r\x0b\x0c") | set("–—‘’“”•·…")
CUT_VERSION = "1"  # part of every cached cut's name: change it when _cut changes
BOLD = {"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "th", "dt", "caption"}
BOLD_CLASSES = {"callout-title", "organisation", "colophon"}
ITALIC = {"em", "i", "blockquote", "figcaption", "cite"}


Face = tuple[str, int]  # (style, weight), as CSS names them


def used_faces(body: _Element) -> set[Face]:
    """(style, weight) of every face the page's text is set in."""
    faces = {("normal", 400)}
    for element in body.iter("*"):  # elements, not comments
        bold, italic = _is_bold(element), _is_italic(element)
        if bold or italic:
            faces.add(("italic" if italic else "normal", 700 if bold else 400))
    return faces


def _is_bold(element: _Element) -> bool:
    return any(e.tag in BOLD or BOLD_CLASSES & set((e.get("class") or "").split())
               for e in [element, *element.iterancestors()])


def _is_italic(element: _Element) -> bool:
    return any(e.tag in ITALIC for e in [element, *element.iterancestors()])


def font_faces(family: str, text: str, faces: set[Face], cache_dir: Path) -> str:
    """@font-face rules with the subset faces as data: URLs; font-display: swap shows the
    text in a fallback font while they load."""
    characters = frozenset(set(text) | ALWAYS)
    rules = [_rule(name, style, weight, _woff_url(_subset(path, characters, cache_dir)))
             for name, style, weight, path in _faces(family) if (style, weight) in faces]
    return "\n".join(rules) + "\n"


def _faces(family: str | None, fallback: Iterable[str] = ()
           ) -> Iterator[tuple[str, str, int | str, Path]]:
    """(family, style, weight, file) of each face of the theme's bundled typeface, then of
    the packaged fallbacks named: variable fonts, one file for every weight."""
    if family is not None:
        for (style, weight), filename in sorted(BUNDLED_FONTS.get(family, {}).items()):
            yield family, style, weight, atkinson.ROOT / "files" / filename
    for name in fallback:
        for style, path in sorted(fonts.PACKAGED.get(name, {}).items()):
            yield name, style, "100 900", path


def _rule(family: str, style: str, weight: int | str, src: str, form: str = "woff",
          swap: bool = True) -> str:
    display = " font-display: swap;" if swap else ""
    return (f"@font-face {{ font-family: '{family}'; font-style: {style}; "
            f"font-weight: {weight};{display} src: url('{src}') format('{form}'); }}")


def _woff_url(data: bytes) -> str:
    return "data:font/woff;base64," + base64.b64encode(data).decode()


@functools.lru_cache(maxsize=32)  # pages in plain English share one character set
def _subset(path: Path, characters: frozenset[str], cache_dir: Path) -> bytes:
    """The font at path cut to characters, as WOFF: from the cache, else cut and kept."""
    from fontTools import version
    data = path.read_bytes()
    name = cache.key(CUT_VERSION, version, data, "".join(sorted(characters))) + ".woff"
    kept = cache.read(cache_dir, name)
    if kept and kept.startswith(b"wOFF"):
        return kept
    cut = _cut(data, characters)  # absent, or not a WOFF font: cut again
    cache.keep(cache_dir, name, cut)
    return cut


def _cut(data: bytes, characters: frozenset[str]) -> bytes:
    from fontTools import subset  # loaded only when the cache lacks the cut
    from fontTools.ttLib import TTFont
    # recalcTimestamp=False: the font keeps its own date, so rebuilds give the same bytes.
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    options = subset.Options()
    options.flavor = "woff"
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in characters})
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


def fallback_faces(families: list[str], needed: set[str], cache_dir: Path) -> str:
    """@font-face rules for the packaged fallback fonts (fonts.py), cut down to the
    characters the theme's typeface lacks. Each is a variable font: one file, every weight.
    Installed fonts among families need no rule: the browser and WeasyPrint find them."""
    rules = []
    for name, style, weight, path in _faces(None, families):
        characters = frozenset(set(needed) & fonts.characters(path))
        if characters:
            rules.append(_rule(name, style, weight,
                               _woff_url(_subset(path, characters, cache_dir))))
    return "\n".join(rules) + ("\n" if rules else "")


MATH_FAMILY = "STIX Two Math"


def math_faces(text: str, cache_dir: Path) -> str:
    """@font-face for the page's formulas (MathML): STIX Two Math, the OpenType math font
    ziamath ships (SIL OFL), cut to the formulas' characters with the variants and parts
    its MATH table draws stretched brackets and roots from. A browser lays MathML out
    with such a font's MATH table; with a text font, scripts and fractions sit askew."""
    if not text:
        return ""
    import ziamath
    path = Path(ziamath.__file__).parent / "fonts" / "STIXTwoMath-Regular.ttf"
    return _rule(MATH_FAMILY, "normal", 400,
                 _woff_url(_subset(path, frozenset(text) | frozenset("()[]{}|√∑∫"),
                                   cache_dir))) + "\n"


def whole_faces(family: str, fallback: list[str]) -> tuple[str, dict[str, str]]:
    """@font-face rules for the PDF, and the files their addresses (font:N) stand for:
    every face of the theme's bundled typeface and of the packaged fallbacks the page
    needs, whole. The PDF writer parses these once per process and subsets each font for
    each PDF itself; cut faces would differ from page to page, and faces of one family
    registered twice in one process could lend a page the wrong cut."""
    faces = list(_faces(family, fallback))
    rules = [_rule(name, style, weight, f"font:{number}", "truetype", swap=False) + "\n"
             for number, (name, style, weight, _) in enumerate(faces)]
    return "".join(rules), {f"font:{n}": str(face[3]) for n, face in enumerate(faces)}
