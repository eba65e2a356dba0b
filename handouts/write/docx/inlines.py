"""Inlines into Word runs: one function per model inline type, character styles from the
theme, hyperlinks, footnote references and pictures."""

import base64
import io
import re
from dataclasses import dataclass, replace

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from handouts import model as m
from handouts.diagnostics import Diagnostic
from handouts.furniture import bookmark_name


@dataclass(frozen=True)
class Format:
    """Inline formatting in force while walking down the inlines."""
    strong: bool = False
    em: bool = False
    sup: bool = False
    sub: bool = False
    underline: bool = False
    small: bool = False
    code: bool = False
    citation: bool = False
    link: object = None       # the w:hyperlink element runs go into


def write_inlines(state, inlines, para, fmt=Format()):
    for node in inlines:
        writer = WRITERS.get(type(node))
        if writer is None:
            raise state.cannot(node)
        writer(state, node, para, fmt)


def _text(state, node, para, fmt):
    text = re.sub(r"\s+", " ", node.text)
    if text:
        add_run(state, para, text, fmt)


def _styled(state, node, para, fmt):
    if node.style == "print-address":  # a Word file is printed too: the address stays
        write_inlines(state, node.children, para, fmt)
        return
    flag = {"strong": "strong", "em": "em", "sup": "sup", "sub": "sub", "u": "underline",
            "small": "small"}.get(node.style)
    if flag is None:
        raise state.cannot(node)
    write_inlines(state, node.children, para, replace(fmt, **{flag: True}))


def _code(state, node, para, fmt):
    add_run(state, para, node.text, replace(fmt, code=True))


def _link(state, node, para, fmt):
    link = OxmlElement("w:hyperlink")
    if node.href.startswith("#"):
        link.set(qn("w:anchor"), bookmark_name(node.href[1:]))
    else:
        link.set(qn("r:id"), para.part.relate_to(node.href, RT.HYPERLINK, is_external=True))
    link.set(qn("w:history"), "1")
    if node.label:
        link.set(qn("w:tooltip"), node.label)
    para._p.append(link)
    write_inlines(state, node.children, para, replace(fmt, link=link))


def _line_break(state, node, para, fmt):
    run = add_run(state, para, "", fmt)
    run.add_break()


def _abbreviation(state, node, para, fmt):
    text = f"{node.text} ({node.expansion})" if node.first else node.text
    add_run(state, para, text, fmt)


def _citation(state, node, para, fmt):
    write_inlines(state, node.lead, para, fmt)
    write_inlines(state, node.rendered, para, replace(fmt, citation=True))


def _footnote_ref(state, node, para, fmt):
    """A real Word footnote: the number in the text, the note at the foot of the page."""
    from handouts.write.docx.blocks import write_blocks  # blocks and inlines call each other
    from handouts.write.docx.state import Context
    note = state.notes.get(node.anchor)
    if note is None:
        raise state.cannot(node)
    if node.anchor in state.notes_done:  # a second reference: the note's number again
        run = add_run(state, para, str(node.number), fmt)
        run._r.get_or_add_rPr().style = state.style_id("Footnote Reference")
        return
    state.notes_done.add(node.anchor)
    element, number = state.footnotes.new()
    run = OxmlElement("w:r")
    r_pr = run.get_or_add_rPr()
    r_pr.style = state.style_id("Footnote Reference")
    reference = OxmlElement("w:footnoteReference")
    reference.set(qn("w:id"), str(number))
    run.append(reference)
    (fmt.link if fmt.link is not None else para._p).append(run)
    container = FootnoteContainer(element, state.footnotes.part)
    write_blocks(state, note.blocks, container, Context(style="Footnote Text", in_footnote=True))
    first = element.find(qn("w:p"))
    if first is not None:  # the note's own number opens its text, as Word writes it
        mark = OxmlElement("w:r")
        mark.get_or_add_rPr().style = state.style_id("Footnote Reference")
        mark.append(OxmlElement("w:footnoteRef"))
        space = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = " "
        text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        space.append(text)
        p_pr = first.find(qn("w:pPr"))
        position = 1 if p_pr is not None else 0
        first.insert(position, space)
        first.insert(position, mark)


def _inline_image(state, node, para, fmt):
    add_picture(state, para, node.src, node.alt)


WRITERS = {m.Text: _text, m.Styled: _styled, m.Code: _code, m.Link: _link,
           m.LineBreak: _line_break, m.Abbreviation: _abbreviation, m.Citation: _citation,
           m.FootnoteRef: _footnote_ref, m.InlineImage: _inline_image}


def add_run(state, para, text, fmt):
    """A run in the styles the format asks for: Word's own character styles where there is
    one (Strong, Emphasis, Hyperlink, Citation), direct formatting only for the rest."""
    run = para.add_run(text) if fmt.link is None else _run_in(fmt.link, para, text)
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
    if style:
        run._r.get_or_add_rPr().style = state.style_id(style)
    run.bold = (fmt.strong and style != "Strong") or None
    run.italic = (fmt.em and (style != "Emphasis" or fmt.strong)) or None
    run.underline = fmt.underline or None
    if fmt.sup and style != "Citation Number":
        run.font.superscript = True
    if fmt.sub:
        run.font.subscript = True
    return run


def _run_in(link, para, text):
    r = OxmlElement("w:r")
    link.append(r)
    run = Run(r, para)
    run.text = text
    return run


def add_picture(state, para, src, alt, height=None):
    match = re.match(r"data:image/[\w+]+;base64,(.*)", src, re.S)
    if not match:
        raise state.cannot(m.InlineImage(src[:20], alt))
    if not hasattr(para.part, "new_pic_inline"):
        raise Diagnostic(state.doc.path, f"the picture '{alt}' is inside a footnote, which "
                         "the Word file cannot hold", "move the picture into the text")
    width = state.text_width()
    run = para.add_run()
    shape = run.add_picture(io.BytesIO(base64.b64decode(match.group(1))), height=height)
    if shape.width > width:
        shape.height, shape.width = int(shape.height * width / shape.width), width
    doc_pr = run._r.find(".//" + qn("wp:docPr"))
    doc_pr.set("descr", alt)
    doc_pr.set("title", alt)
    return run


class FootnoteContainer:
    """Enough of python-docx's block container for a w:footnote: paragraphs only."""

    def __init__(self, element, part):
        self.element = element
        self.part = part

    def add_paragraph(self, style=None):
        p = OxmlElement("w:p")
        self.element.append(p)
        para = Paragraph(p, self)
        if style:
            p.style = style_id_of(self, style)
        return para

    def add_table(self, rows, cols):
        return None  # the caller reports a table in a footnote


def style_id_of(container, name):
    return container.part.package.main_document_part.styles[name].style_id
