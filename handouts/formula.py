"""Formulas: a handout's TeX ($...$, $$...$$, \\(...\\), \\[...\\]) drawn for each format.

- The web page: MathML (latex2mathml), which Chromium, Firefox and Safari draw themselves.
- The PDF: WeasyPrint draws no MathML, so each formula is an SVG picture (ziamath, which
  needs no TeX installation and sets the formula in its bundled STIX Two Math font, OFL),
  sized in em so that it scales with the text and sits on the text's baseline.
- The Word file: a native Word equation (OMML, from the MathML by mathml-to-omml), which
  Word and LibreOffice edit as equations.

The reader checks each formula once (problem()): TeX these libraries cannot read is printed
as code with a warning, never drawn wrong in one format and right in another.
"""

from __future__ import annotations

import base64
import functools
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

MATHML = "http://www.w3.org/1998/Math/MathML"
OMML = "http://schemas.openxmlformats.org/officeDocument/2006/math"
SIZE = 10.0  # the size ziamath sets formulas at; the page scales them to the text's (em)
# A command latex2mathml does not know is kept as its name (<mi>\foo</mi>): that is TeX
# that would print as typed.
UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]+")


class FormulaProblem(ValueError):
    """Why a formula cannot be drawn, for a warning at its line."""


@dataclass(frozen=True)
class Drawn:
    """A formula as an SVG picture: its data: URL and its size in em of the text around
    it; depth is how far it reaches below the baseline."""
    url: str
    width: float
    height: float
    depth: float
    svg: str


def problem(tex: str) -> str | None:
    """Why the formula cannot be drawn in every format, or None when it can."""
    try:
        mathml(tex, False)
        svg(tex, False)
    except FormulaProblem as found:
        return str(found)
    return None


# Environments latex2mathml does not know, as the ones it does that lay out the same.
SAME_LAYOUT = {"aligned": "align*", "eqnarray": "align*", "eqnarray*": "align*",
               "gathered": "align*", "gather": "align*", "gather*": "align*"}


# What numbers and names equations for cross-references, which a handout does not make.
CROSS_REFERENCE = re.compile(r"\\label\s*\{[^{}]*\}|\\(?:nonumber|notag)\b")


def _normalised(tex: str) -> str:
    tex = CROSS_REFERENCE.sub("", tex)
    return re.sub(r"\\(begin|end)\{(aligned|eqnarray\*?|gathered|gather\*?)\}",
                  lambda found: f"\\{found.group(1)}{{{SAME_LAYOUT[found.group(2)]}}}", tex)


def _balanced(tex: str) -> bool:
    depth = 0
    for token in re.findall(r"\\.|[{}]", tex):
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth < 0:
            return False
    return depth == 0


@functools.lru_cache(maxsize=512)
def mathml(tex: str, display: bool) -> str:
    """The formula as a MathML <math> element's text; raise FormulaProblem."""
    import latex2mathml.converter
    if not tex.strip():
        raise FormulaProblem("the formula is empty")
    if not _balanced(tex):
        raise FormulaProblem("its braces { } do not pair up")
    try:
        text: str = latex2mathml.converter.convert(_normalised(tex), display="block"
                                                   if display else "inline")
        tree = ElementTree.fromstring(text)
    except ElementTree.ParseError:  # it wrote what it could not read ('&' unescaped)
        raise FormulaProblem("it cannot be read as TeX") from None
    except Exception as error:  # latex2mathml raises its own kinds, all meaning the same
        raise FormulaProblem(_reason(error, "it cannot be read as TeX")) from None
    for node in tree.iter():
        found = UNKNOWN_COMMAND.search(node.text or "")
        if found:
            raise FormulaProblem(f"'{found.group()}' is not a TeX command it knows")
    return text


@functools.lru_cache(maxsize=512)
def svg(tex: str, display: bool) -> Drawn:
    """The formula as an SVG picture (ziamath); raise FormulaProblem."""
    import ziamath
    try:
        drawn = ziamath.Latex(  # type: ignore[attr-defined]  # exported, not in __all__
            _normalised(tex), size=SIZE, inline=not display)
        text: str = drawn.svg()
    except Exception as error:  # ziamath asserts on TeX it cannot lay out
        raise FormulaProblem(_reason(error, "it cannot be laid out")) from None
    box = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"', text)
    if not box:
        raise FormulaProblem("it cannot be laid out")
    _, top, width, height = (float(v) for v in box.groups())
    url = "data:image/svg+xml;base64," + base64.b64encode(text.encode()).decode()
    return Drawn(url, width / SIZE, height / SIZE, (height + top) / SIZE, text)


@functools.lru_cache(maxsize=512)
def omml(tex: str, display: bool) -> str:
    """The formula as a Word equation: an m:oMath element (in m:oMathPara when displayed),
    its namespace declared; raise FormulaProblem."""
    import math_ml2omml  # no types: Any (pyproject.toml)
    from lxml import etree
    try:
        body: str = math_ml2omml.convert(mathml(tex, display))
        wrapper = etree.fromstring(f'<m:oMathPara xmlns:m="{OMML}">{body}</m:oMathPara>')
    except FormulaProblem:
        raise
    except Exception as error:
        raise FormulaProblem(_reason(error, "Word's equations cannot hold it")) from None
    equation = wrapper[0] if len(wrapper) == 1 else None
    if equation is None or equation.tag != f"{{{OMML}}}oMath":
        raise FormulaProblem("Word's equations cannot hold it")
    for root in equation.iter(f"{{{OMML}}}rad"):
        # A square root has no degree; OMML's m:rad must hold an empty one, hidden.
        if root.find(f"{{{OMML}}}deg") is None:
            properties = root.find(f"{{{OMML}}}radPr")
            if properties is None:
                properties = etree.Element(f"{{{OMML}}}radPr")
                root.insert(0, properties)
            etree.SubElement(properties, f"{{{OMML}}}degHide").set(f"{{{OMML}}}val", "1")
            properties.addnext(etree.Element(f"{{{OMML}}}deg"))
    for run in list(equation.iter(f"{{{OMML}}}r")):
        # An empty run (MathML's empty <mi/>, a thin space) is an error mark in LibreOffice.
        parent = run.getparent()
        if parent is not None and not "".join(str(t) for t in run.itertext()):
            parent.remove(run)
    text: str = etree.tostring(wrapper if display else equation, encoding="unicode")
    return text


PRINT_DPI = 300


@functools.lru_cache(maxsize=128)
def png_url(tex: str, display: bool) -> str:
    """The formula's picture as a PNG at print resolution (resvg), for Word where its
    equations cannot hold the formula; raise FormulaProblem."""
    import resvg_py
    drawn = svg(tex, display)
    # ziamath's units are points at SIZE: a zoom of dpi/72 gives PRINT_DPI at that size,
    # and the formula is printed at about the text's size (11.5 pt), so a little more.
    png: bytes = resvg_py.svg_to_bytes(svg_string=drawn.svg, zoom=PRINT_DPI / 72 * 1.5)
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _reason(error: Exception, default: str) -> str:
    """A library's error as a reason people read: its class name in words when it has no
    message (latex2mathml's MissingSuperScriptOrSubscriptError)."""
    text = str(error).strip()
    if text and len(text) < 120:
        return text
    name = type(error).__name__.removesuffix("Error")
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    return words if words and words != "assertion" and words != "exception" else default
