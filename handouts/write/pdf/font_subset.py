"""Font subsetting for the PDF, the same on every machine.

WeasyPrint subsets embedded fonts with the system's libharfbuzz-subset when it is installed
and with fontTools when it is not; the two write different bytes, and fontTools stamps the
current time into each font. Both would break byte-identical rebuilds. Here every font is
subset by the HarfBuzz that the pinned uharfbuzz wheel carries, with WeasyPrint's own
settings, whatever the machine has installed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from typing import Any

import uharfbuzz as hb
from weasyprint.pdf import fonts as weasyprint_fonts

# The tables WeasyPrint drops: the PDF needs outlines and metrics, not layout rules.
DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF",
               b"LTSH", b"PCLT", b"SVG ")


def _tag(name: bytes) -> int:
    number: int = struct.unpack(">I", name)[0]
    return number


# uharfbuzz and WeasyPrint have no type stubs: their faces, flags and fonts are Any here.
def _subset(face: Any, glyphs: Iterable[int], flags: Any) -> Any:
    request = hb.SubsetInput()
    request.glyph_set.update(glyphs)
    request.flags = flags
    request.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(_tag(t) for t in DROP_TABLES)
    return hb.subset(face, request)


def subset(font: Any, to_unicode: Mapping[int, str], hinting: bool) -> None:
    """Replace WeasyPrint's Font.subset: keep only the glyphs the PDF draws.

    As in WeasyPrint, a first pass keeps the glyph ids (the PDF's text refers to them) and a
    second drops the empty glyphs after the last one used."""
    if not to_unicode:
        return
    flags = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
    if font.missing:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE
    face = hb.Face(hb.Blob(font.file_content), font.index)
    face = _subset(face, sorted(to_unicode), flags | hb.SubsetFlags.RETAIN_GIDS)
    if face is None:
        return  # keep the whole font rather than lose text
    if not hinting:
        flags |= hb.SubsetFlags.NO_HINTING
    face = _subset(face, range(max(to_unicode) + 1), flags)
    if face is not None and face.blob.data:
        font.file_content = face.blob.data


# WeasyPrint's own method, kept for the tests that show why it is replaced.
WEASYPRINT_SUBSET = weasyprint_fonts.Font.subset


def install() -> None:
    """Make WeasyPrint use this subsetter; call before writing any PDF."""
    weasyprint_fonts.Font.subset = subset
