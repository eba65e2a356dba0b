"""Embed the theme's bundled typeface in the DOCX, so Word and LibreOffice show the handout
in Atkinson Hyperlegible on machines that do not have it installed.

Word stores embedded fonts "obfuscated" (ECMA-376 Part 1, 17.8.1): the first 32 bytes of
the font are XORed with a key given in fontTable.xml. The key is derived from the font's
bytes, so the same font always gives the same file.
"""

from __future__ import annotations

import functools
import hashlib
import io
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import fontpkg_atkinson_hyperlegible as atkinson
from lxml import etree
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn

from handouts.style.theme import BUNDLED_FONTS

if TYPE_CHECKING:
    from docx.document import Document as WordDocument

FONT_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
EMBED_TAGS = {("normal", 400): "w:embedRegular", ("normal", 700): "w:embedBold",
              ("italic", 400): "w:embedItalic", ("italic", 700): "w:embedBoldItalic"}
# Elements that come before w:embedTrueTypeFonts in w:settings (schema order matters to Word).
SETTINGS_BEFORE = ("w:writeProtection", "w:view", "w:zoom", "w:removePersonalInformation",
                   "w:removeDateAndTime", "w:doNotDisplayPageBoundaries",
                   "w:displayBackgroundShape", "w:printPostScriptOverText",
                   "w:printFractionalCharacterWidth", "w:printFormsData")


def embed_fonts(word: WordDocument, family: str) -> None:
    files = BUNDLED_FONTS.get(family)
    if not files:
        return  # a system font: nothing of ours to embed
    table_part = next(r.target_part for r in word.part.rels.values()
                      if r.reltype.endswith("/fontTable"))
    table = parse_xml(table_part.blob)
    font = OxmlElement("w:font")
    font.set(qn("w:name"), family)
    for number, ((style, weight), filename) in enumerate(files.items(), 1):
        data = (atkinson.ROOT / "files" / filename).read_bytes()
        font.append(_embedded(word, table_part, number, data, EMBED_TAGS[(style, weight)]))
    table.append(font)
    table_part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
    _turn_on_embedding(word.settings.element)


def _embedded(word: WordDocument, table_part: Part, number: int, data: bytes, tag: str
              ) -> etree._Element:
    """One font file as Word embeds it: obfuscated with a key made from its bytes, a part
    of its own, and the font table's element that names it."""
    key = "{" + str(uuid.UUID(bytes=hashlib.sha256(data).digest()[:16])).upper() + "}"
    part = Part(PackURI(f"/word/fonts/font{number}.odttf"), OBFUSCATED_FONT,
                obfuscate(data, key), word.part.package)
    embed = OxmlElement(tag)
    embed.set(qn("r:id"), table_part.relate_to(part, FONT_RELATIONSHIP))
    embed.set(qn("w:fontKey"), key)
    return embed


def embed_subset(word: WordDocument, family: str, path: Path, chars: set[str]) -> None:
    """A packaged font, cut to the characters used and set at its regular weight, embedded
    as the theme's is: Word and LibreOffice show those characters in it on any computer."""
    data = _subset(str(path), "".join(sorted(chars)))
    table_part = next(r.target_part for r in word.part.rels.values()
                      if r.reltype.endswith("/fontTable"))
    table = parse_xml(table_part.blob)
    font = OxmlElement("w:font")
    font.set(qn("w:name"), family)
    number = 1 + sum(1 for name in word.part.package.iter_parts()
                     if str(name.partname).startswith("/word/fonts/"))
    font.append(_embedded(word, table_part, number, data, EMBED_TAGS[("normal", 400)]))
    table.append(font)
    table_part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
    if word.settings.element.find(qn("w:embedTrueTypeFonts")) is None:
        _turn_on_embedding(word.settings.element)


@functools.lru_cache(maxsize=32)
def _subset(path: str, chars: str) -> bytes:
    """The font at path cut to chars, a variable font set at weight 400 (Word embeds
    static fonts); its dates kept, so the same characters give the same bytes."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer
    font = TTFont(path, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    if "fvar" in font:
        font = instancer.instantiateVariableFont(font, {"wght": 400})
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def obfuscate(data: bytes, key: str) -> bytes:
    """XOR the first 32 bytes with the key's 16 bytes, taken in reverse order (the same
    operation undoes it)."""
    key_bytes = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(b ^ key_bytes[i % 16] for i, b in enumerate(data[:32]))
    return head + data[32:]


def _turn_on_embedding(settings: etree._Element) -> None:
    flag = OxmlElement("w:embedTrueTypeFonts")
    before = [el for el in map(settings.find, map(qn, SETTINGS_BEFORE)) if el is not None]
    if before:
        max(before, key=list(settings).index).addnext(flag)
    else:
        settings.insert(0, flag)
