"""SVG pictures, cleaned: what a drawing program, a web page or a chatbot saved as SVG, with
nothing in it that runs or reaches outside the file.

The file is parsed by lxml with no network, no DTD loaded and no entity expanded (a
"billion laughs" file stays a few bytes). Then every script, event handler (onload=...),
foreignObject (HTML inside the picture) and animation that could set an address is
removed, and every reference to anything outside the picture: href and xlink:href that do
not point inside it (#id; a PNG, JPEG or GIF embedded as data: is inside it too), url()
in attributes and styles, and @import. The picture is then sized: its width and height,
else its viewBox, else DEFAULT_WIDTH; the web page and the PDF (WeasyPrint draws SVG)
show the cleaned SVG, the Word file a PNG drawn from it (png()).
"""

from __future__ import annotations

import re

import fontpkg_atkinson_hyperlegible as atkinson
from lxml import etree

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
# Elements that run code, hold HTML, or change attributes (an address) as time passes.
REMOVED = {"script", "foreignObject", "handler", "listener", "set", "animate",
           "animateMotion", "animateTransform", "animateColor", "iframe", "object", "embed",
           "audio", "video"}
INSIDE = re.compile(r"\s*(#|data:image/(png|jpeg|gif);base64,)", re.I)
URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
IMPORT = re.compile(r"@import[^;]*;?", re.I)
UNITS = {"": 1.0, "px": 1.0, "pt": 96 / 72, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54,
         "in": 96.0, "em": 16.0, "ex": 8.0}
DEFAULT_WIDTH = 480.0   # pixels (CSS: 96 a inch), about two thirds of the printed column
LARGEST = 20_000.0      # pixels on a side: far beyond a page, small enough to draw
PRINT_DPI = 300


class SvgProblem(ValueError):
    """Why a file that looks like SVG cannot be read as a picture."""


def looks_like_svg(data: bytes) -> bool:
    """Whether the file is SVG text (rather than a PNG, JPEG or GIF, or anything else)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE")) and b"<svg" in head


def cleaned(data: bytes) -> tuple[bytes, float, float]:
    """The SVG without scripts and outside references, its size set, and that size in
    pixels (width, height); raise SvgProblem when it cannot be parsed."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise SvgProblem(f"its XML cannot be read ({error.msg})") from None
    if etree.QName(root).localname != "svg":
        raise SvgProblem(f"its outermost element is <{etree.QName(root).localname}>, not <svg>")
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # an entity reference left unexpanded
            _remove(element)
        elif etree.QName(element).localname in REMOVED:
            _remove(element)
    for element in root.iter(etree.Element):
        for name, value in list(element.attrib.items()):
            local = etree.QName(name).localname
            if local.lower().startswith("on"):
                del element.attrib[name]
            elif local == "href" and not INSIDE.match(value):
                del element.attrib[name]
            elif "url(" in value.lower() or "@import" in value.lower():
                element.set(name, _without_addresses(value))
        if etree.QName(element).localname == "style" and element.text:
            element.text = _without_addresses(element.text)
    width, height = _size(root)
    root.set("width", _number(width))
    root.set("height", _number(height))
    return etree.tostring(root, encoding="utf-8"), width, height


def png(svg: bytes, width: float) -> bytes:
    """The cleaned SVG drawn as a PNG at print resolution (resvg: no system library)."""
    import resvg_py
    zoom = PRINT_DPI / 96
    if width * zoom > 4000:  # a poster-sized SVG: no more than 4000 pixels across
        zoom = max(4000 / width, 0.01)
    # Text in the picture is set in the packaged fonts, not this computer's: the same
    # PNG on every machine (a family the SVG names that is not among them falls back).
    drawn: bytes = resvg_py.svg_to_bytes(
        svg_string=svg.decode("utf-8"), zoom=zoom, skip_system_fonts=True,
        font_files=_font_files(), font_family=atkinson.FAMILY,
        sans_serif_family=atkinson.FAMILY, serif_family=atkinson.FAMILY,
        monospace_family=atkinson.FAMILY)
    return drawn


def _font_files() -> list[str]:
    """The bundled typeface's files and the packaged fallbacks'."""
    from handouts.style import fonts
    return sorted(str(path) for path in (atkinson.ROOT / "files").glob("*.ttf")) + [
        str(path) for faces in fonts.PACKAGED.values() for path in faces.values()]


def _remove(element: etree._Element) -> None:
    """Take an element out, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _without_addresses(text: str) -> str:
    """CSS or an attribute with its outside url()s as 'none', and no @import."""
    text = IMPORT.sub("", text)
    return URL.sub(lambda found: found.group(0) if INSIDE.match(found.group(2)) else "none",
                   text)


def _length(value: str | None) -> float | None:
    """An SVG length in pixels; None for none, a percentage or what cannot be read."""
    found = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*([a-z]*)\s*", value or "")
    if not found or found.group(2) not in UNITS:
        return None
    pixels = float(found.group(1)) * UNITS[found.group(2)]
    return pixels if 0 < pixels <= LARGEST else None


def _size(root: etree._Element) -> tuple[float, float]:
    """(width, height) in pixels: as given, else from the viewBox's proportions, else
    DEFAULT_WIDTH wide (and three quarters of it high)."""
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = [float(v) for v in re.findall(r"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?",
                                        root.get("viewBox") or "")]
    ratio = box[3] / box[2] if len(box) == 4 and box[2] > 0 and box[3] > 0 else None
    if width and height:
        return width, height
    if width and ratio:
        return width, width * ratio
    if height and ratio:
        return height / ratio, height
    if ratio:
        natural = box[2] if 0 < box[2] <= LARGEST else DEFAULT_WIDTH
        return natural, natural * ratio
    width = width or (height * 4 / 3 if height else DEFAULT_WIDTH)
    return width, height or width * 3 / 4


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
