"""Inlines into Word runs: one function per model inline type, character styles from the
theme, hyperlinks, footnote references and pictures. A footnote holds blocks: the block
writer comes in as a parameter (write_blocks), not as an import."""

from __future__ import annotations

import base64
import functools
import io
import re
from dataclasses import dataclass, replace

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.text.run import CT_R
from docx.opc.part import Part
from docx.shared import Emu, Length, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from handouts import formula, model as m
from handouts.diagnostics import Diagnostic
from handouts.furniture import bookmark_name
from handouts.read import svg
from handouts.style import fonts
from handouts.style.theme import printable_characters
from handouts.write.docx.schema import place
from handouts.write.docx.state import Context, State, WriteBlocks


@dataclass(frozen=True)
class Format:
    """Inline formatting in force while walking down the inlines."""
    strong: bool = False
    em: bool = False
    sup: bool = False
    sub: bool = False
    underline: bool = False
    small: bool = False
    small_caps: bool = False
    code: bool = False
    citation: bool = False
    link: etree._Element | None = None   # the w:hyperlink element runs go into


def write_inlines(state: State, inlines: list[m.Inline], para: Paragraph,
                  write_blocks: WriteBlocks, fmt: Format = Format()) -> None:
    for node in inlines:
        _write(state, node, para, write_blocks, fmt)


def _write(state: State, node: m.Inline, para: Paragraph, write_blocks: WriteBlocks,
           fmt: Format) -> None:
    """One inline, by its type."""
    match node:
        case m.Text():
            text = re.sub(r"\s+", " ", node.text)
            if text:
                add_run(state, para, text, fmt)
        case m.Styled():
            write_inlines(state, node.children, para, write_blocks, _styled(state, node, fmt))
        case m.Code():
            add_run(state, para, node.text, replace(fmt, code=True))
        case m.Link():
            link = _hyperlink(node, para)
            write_inlines(state, node.children, para, write_blocks, replace(fmt, link=link))
        case m.LineBreak():
            add_run(state, para, "", fmt).add_break()
        case m.Abbreviation():
            add_run(state, para, f"{node.text} ({node.expansion})" if node.first else node.text,
                    fmt)
        case m.Citation():
            write_inlines(state, node.lead, para, write_blocks, fmt)
            write_inlines(state, node.rendered, para, write_blocks, replace(fmt, citation=True))
        case m.FootnoteRef():
            _footnote_ref(state, node, para, write_blocks, fmt)
        case m.InlineImage():
            add_picture(state, para, node.src, node.alt)
        case m.Math():
            add_formula(state, para, node.tex, False, fmt.link)
        case _:
            state.unknown(node)


def _styled(state: State, node: m.Styled, fmt: Format) -> Format:
    """The format inside a style: a Word file is printed too, so a link's address for
    readers on paper stays, as it is."""
    match node.style:
        case "print-address":
            return fmt
        case "strong":
            return replace(fmt, strong=True)
        case "em":
            return replace(fmt, em=True)
        case "sup":
            return replace(fmt, sup=True)
        case "sub":
            return replace(fmt, sub=True)
        case "u":
            return replace(fmt, underline=True)
        case "small":
            return replace(fmt, small=True)
        case "small-caps":
            return replace(fmt, small_caps=True)
        case _:
            raise state.cannot(node)


def _hyperlink(node: m.Link, para: Paragraph) -> etree._Element:
    link = OxmlElement("w:hyperlink")
    if node.href.startswith("#"):
        link.set(qn("w:anchor"), bookmark_name(node.href[1:]))
    else:
        link.set(qn("r:id"), para.part.relate_to(node.href, RT.HYPERLINK, is_external=True))
    link.set(qn("w:history"), "1")
    if node.label:
        link.set(qn("w:tooltip"), node.label)
    para._p.append(link)
    return link


def _footnote_ref(state: State, node: m.FootnoteRef, para: Paragraph,
                  write_blocks: WriteBlocks, fmt: Format) -> None:
    """A real Word footnote: the number in the text, the note at the foot of the page."""
    note = state.notes.get(node.anchor)
    if note is None:
        raise state.cannot(node)
    if node.anchor in state.notes_done:  # a second reference: the note's number again
        run = add_run(state, para, str(node.number), fmt)
        run._r.get_or_add_rPr().style = state.style_id("Footnote Reference")
        return
    state.notes_done.add(node.anchor)
    container, number = state.footnotes.new()
    r = OxmlElement("w:r")
    r.append(_reference_style(state))
    reference = OxmlElement("w:footnoteReference")
    reference.set(qn("w:id"), str(number))
    r.append(reference)
    (fmt.link if fmt.link is not None else para._p).append(r)
    write_blocks(state, note.blocks, container, Context(style="Footnote Text", in_footnote=True),
                 None, False)
    _number_the_note(state, container.element)


def _reference_style(state: State) -> etree._Element:
    """w:rPr in the Footnote Reference style."""
    r_pr = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), state.style_id("Footnote Reference"))
    r_pr.append(style)
    return r_pr


def _number_the_note(state: State, element: etree._Element) -> None:
    """The note's own number opens its text, as Word writes it; a note that opens with a
    table or a box gets a paragraph of its own for the number."""
    first = element[0] if len(element) else None
    if first is None or first.tag != qn("w:p"):
        first = OxmlElement("w:p")
        p_pr = OxmlElement("w:pPr")
        style = OxmlElement("w:pStyle")
        style.set(qn("w:val"), state.style_id("Footnote Text"))
        p_pr.append(style)
        first.append(p_pr)
        element.insert(0, first)
    mark = OxmlElement("w:r")
    mark.append(_reference_style(state))
    mark.append(OxmlElement("w:footnoteRef"))
    space = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = " "
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    space.append(text)
    position = 1 if first.find(qn("w:pPr")) is not None else 0
    first.insert(position, space)
    first.insert(position, mark)


def add_run(state: State, para: Paragraph, text: str, fmt: Format) -> Run:
    """A run in the styles the format asks for: Word's own character styles where there is
    one (Strong, Emphasis, Hyperlink, Citation), direct formatting only for the rest.
    Emoji the theme's typeface lacks are runs of their own in the packaged emoji font
    (embedded: fonts.embed_subset), as in the page and the PDF; the last run is returned."""
    parts = _by_font(state, text)
    for part, emoji in parts[:-1]:
        _add_run(state, para, part, fmt, emoji)
    return _add_run(state, para, parts[-1][0], fmt, parts[-1][1])


def _by_font(state: State, text: str) -> list[tuple[str, bool]]:
    """text in pieces, each (piece, whether it is emoji the theme's typeface lacks)."""
    emoji = emoji_characters(state.theme.font_family)
    if not any(char in emoji for char in text):
        return [(text, False)]
    parts: list[tuple[str, bool]] = []
    for char in text:
        mine = char in emoji or (char in JOINERS and bool(parts) and parts[-1][1])
        if parts and parts[-1][1] == mine:
            parts[-1] = (parts[-1][0] + char, mine)
        else:
            parts.append((char, mine))
    state.emoji.update(c for part, mine in parts if mine for c in part)
    return parts


JOINERS = "\u200d\ufe0e\ufe0f"  # zero-width joiner, text and emoji presentation


@functools.lru_cache(maxsize=4)
def emoji_characters(family: str) -> frozenset[str]:
    """The characters the emoji font draws that the theme's typeface does not."""
    return fonts.characters(fonts.PACKAGED[fonts.EMOJI]["normal"]) - \
        printable_characters(family) - frozenset(" \u00a0")


def _add_run(state: State, para: Paragraph, text: str, fmt: Format, emoji: bool) -> Run:
    run = para.add_run(text) if fmt.link is None else _run_in(fmt.link, para, text)
    if emoji:
        run.font.name = fonts.EMOJI  # w:ascii and w:hAnsi
        r_fonts = run._r.get_or_add_rPr().get_or_add_rFonts()
        for slot in ("w:eastAsia", "w:cs"):
            r_fonts.set(qn(slot), fonts.EMOJI)
    style = _character_style(fmt)
    if style:
        run._r.get_or_add_rPr().style = state.style_id(style)
    run.bold = (fmt.strong and style != "Strong") or None
    run.italic = (fmt.em and (style != "Emphasis" or fmt.strong)) or None
    run.underline = fmt.underline or None
    if fmt.sup and style != "Citation Number":
        run.font.superscript = True
    if fmt.sub:
        run.font.subscript = True
    if fmt.small_caps:
        run.font.small_caps = True
    return run


def _character_style(fmt: Format) -> str | None:
    style = None
    plain = fmt.link is None and not fmt.citation and not fmt.code
    if fmt.strong and plain:
        style = "Strong"
    elif fmt.em and plain:
        style = "Emphasis"
    if fmt.link is not None and not fmt.citation:
        style = "Hyperlink"
    if fmt.citation:
        style = "Citation Number" if fmt.sup else "Citation"
    if fmt.code:
        style = "Inline Code"
    return style


def _run_in(link: etree._Element, para: Paragraph, text: str) -> Run:
    r = OxmlElement("w:r")
    assert isinstance(r, CT_R)
    link.append(r)
    run = Run(r, para)
    run.text = text
    return run


def add_formula(state: State, para: Paragraph, tex: str, display: bool,
                into: etree._Element | None = None) -> None:
    """A Word equation (OMML), which Word and LibreOffice draw and edit; a formula Word's
    equations cannot hold is its picture, at print resolution, the TeX its alt text."""
    try:
        equation = parse_xml(formula.omml(tex, display))
    except formula.FormulaProblem:
        drawn = formula.svg(tex, display)
        run = add_picture(state, para, formula.png_url(tex, display), tex,
                          height=Pt(drawn.height * state.theme.font_size_pt))
        # Lowered by its depth, so that its baseline is the line's (half-points).
        position = OxmlElement("w:position")
        position.set(qn("w:val"), str(-round(drawn.depth * state.theme.font_size_pt * 2)))
        place(run._r.get_or_add_rPr(), position)
        return
    (into if into is not None else para._p).append(equation)


EMU_PER_PIXEL = 9525  # a CSS pixel, 1/96 inch
SVG_BLIP = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"  # Office 2016's extension for SVG
SVG_MAIN = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"


def _svg_beside(run: Run, drawing: bytes) -> None:
    """The SVG itself, as Word 2016 and later keep one beside the PNG that older readers
    (and LibreOffice) show: Word then prints it sharp at any size."""
    package = run.part.package
    part = Part(package.next_partname("/word/media/image%d.svg"), "image/svg+xml", drawing,
                package)
    blip = run._r.find(".//" + qn("a:blip"))
    assert blip is not None  # python-docx's picture has one
    extensions = OxmlElement("a:extLst")
    extension = OxmlElement("a:ext")
    extension.set("uri", SVG_BLIP)
    svg_blip = etree.SubElement(extension, f"{{{SVG_MAIN}}}svgBlip", nsmap={"asvg": SVG_MAIN})
    svg_blip.set(qn("r:embed"), run.part.relate_to(part, RT.IMAGE))
    extensions.append(extension)
    blip.append(extensions)


def add_picture(state: State, para: Paragraph, src: str, alt: str,
                height: Length | None = None) -> Run:
    match = re.match(r"data:image/[\w+]+;base64,(.*)", src, re.S)
    if not match:
        raise state.cannot(m.InlineImage(src[:20], alt))
    if para.part is not state.word.part:
        raise Diagnostic(state.doc.path, f"the picture '{alt}' is inside a footnote, which "
                         "the Word file cannot hold", "move the picture into the text")
    width = state.text_width()
    run = para.add_run()
    data = base64.b64decode(match.group(1))
    drawing = None
    if src.startswith("data:image/svg+xml"):  # a PNG drawn from it, and the SVG beside
        drawing, natural_width, natural_height = svg.cleaned(data)
        data = svg.png(drawing, natural_width)
    shape = run.add_picture(io.BytesIO(data), height=height)
    if drawing is not None and height is None:  # its size, not the PNG's pixels at 72 dpi
        shape.width, shape.height = Emu(round(natural_width * EMU_PER_PIXEL)), \
            Emu(round(natural_height * EMU_PER_PIXEL))
        _svg_beside(run, drawing)
    if shape.width > width:
        shape.height, shape.width = Length(int(shape.height * width / shape.width)), width
    doc_pr = run._r.find(".//" + qn("wp:docPr"))
    assert doc_pr is not None  # python-docx's inline picture has one
    doc_pr.set("descr", alt)
    doc_pr.set("title", alt)
    return run
