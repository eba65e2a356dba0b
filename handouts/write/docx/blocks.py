"""Blocks into Word paragraphs: one function per model block type. Word's own styles
carry the look (Heading 1-6, List Paragraph, Quote, Caption) with a few of ours (Callout,
Definition, Reference, Code), all set from the theme in styles.py. The inline and table
writers are handed write_blocks, for what a footnote or a cell holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from handouts import model as m
from handouts.model import inline_text
from handouts.furniture import CALLOUT_STYLES, PANEL_STYLE, QR_STYLE, abstract_parts
from handouts.messages import Messages, catalogue
from handouts.write import qr
from handouts.write.docx.inlines import Format, add_formula, add_picture, write_inlines
from handouts.write.docx.schema import place
from handouts.write.docx.state import Container, Context, Slot, State
from handouts.style import callouts
from handouts.write.docx.styles import LIST_INDENT_TWIPS, callout_label_style, fit_table
from handouts.write.docx.tables import write_table

if TYPE_CHECKING:
    from handouts.read.front_matter import Meta
    from handouts.style.theme import Theme

INDENT_PT = LIST_INDENT_TWIPS / 20
ADEC = "http://schemas.microsoft.com/office/drawing/2017/decorative"
TASK_BOXES = {True: "\u2611", False: "\u2610"}   # ballot boxes, from a symbol font
TASK_HANG_PT = 16       # the box and its gap: where a task's text starts, line after line


def write_blocks(state: State, blocks: Sequence[m.Block], container: Container,
                 context: Context, first: Paragraph | None = None,
                 strong: bool = False) -> None:
    """Write blocks into a container (the body, a table cell, a footnote); first is an
    empty paragraph the container already has, to be used before adding any."""
    out = Slot(container, first, state)
    for block in blocks:
        _write(state, block, out, context, strong)


def _inlines(state: State, nodes: list[m.Inline], para: Paragraph,
             fmt: Format = Format()) -> None:
    write_inlines(state, nodes, para, write_blocks, fmt)


def _write(state: State, block: m.Block, out: Slot, context: Context,
           strong: bool = False) -> None:
    """One block, by its type."""
    match block:
        case m.Heading():
            state.level = block.level
            para = _paragraph(out, context, f"Heading {block.level}")
            state.bookmark(para, block.anchor)
            _inlines(state, block.children, para)
        case m.Paragraph():
            _inlines(state, block.children, _paragraph(out, context), Format(strong=strong))
        case m.BulletList() | m.OrderedList():
            _list(state, block, out, context)
        case m.DefinitionList():
            _definitions(state, block, out, context)
        case m.Table():
            write_table(state, block, out, context, write_blocks)
        case m.Callout():
            _callout(state, block, out, context)
        case m.Quote():
            inner = replace(context, style="Quote", indent=context.indent + (
                INDENT_PT if context.style == "Quote" else 0))
            for child in block.blocks:
                _write(state, child, out, inner)
        case m.CodeBlock():
            _code(block, _paragraph(out, context, "Code"))
        case m.Figure():
            _figure(state, block, out, context)
        case m.Division():
            for child in block.blocks:
                _write(state, child, out, context, strong)
        case m.Rule():
            _paragraph(out, context, "Rule")
        case m.DisplayMath():
            para = _paragraph(out, context)
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            add_formula(state, para, block.tex, True)
        case m.PageBreak():
            _paragraph(out, context).add_run().add_break(WD_BREAK.PAGE)
        case m.Footnotes():
            _footnotes(state, block, out, context)
        case m.References():
            _references(state, block, out, context)
        case _:
            state.unknown(block)


def _paragraph(out: Slot, context: Context, style: str | None = None) -> Paragraph:
    para = out.paragraph(style or context.style)
    if context.indent:
        para.paragraph_format.left_indent = Pt(context.indent)
    return para


def _outline_level(para: Paragraph, level: int) -> None:
    """Word has no style for 'a heading at whatever level its place asks'; this is the one
    piece of direct formatting: the paragraph's outline level (0 is Heading 1)."""
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), str(level - 1))
    place(para._p.get_or_add_pPr(), outline)


def _list(state: State, block: m.BulletList | m.OrderedList, out: Slot,
          context: Context) -> None:
    ordered = isinstance(block, m.OrderedList)
    start = block.start if isinstance(block, m.OrderedList) else 1
    num_id = state.numbering.new(ordered=ordered, start=start)
    for item in block.items:
        _item(state, item, out, context, num_id)


def _item(state: State, item: m.ListItem, out: Slot, context: Context, num_id: int) -> None:
    depth = context.depth
    inner = replace(context, indent=INDENT_PT * (depth + 1), depth=depth + 1,
                    style=context.style if context.style in ("Reference",) else None)
    para = out.paragraph(context.style or "List Paragraph")
    if item.task is not None:  # a box to tick, not a bullet; lines after the first
        # stand in past the box, as on the page (a hanging indent, its own tab stop)
        para.paragraph_format.left_indent = Pt(INDENT_PT * (depth + 1))
        para.paragraph_format.first_line_indent = Pt(-TASK_HANG_PT)
        box = para.add_run(TASK_BOXES[item.task] + "\t")
        box.font.name = "Segoe UI Symbol"
    else:
        state.numbering.apply(para, num_id, min(depth, 2))
    state.bookmark(para, item.anchor)
    lead = item.blocks[0] if item.blocks else None
    if isinstance(lead, m.Paragraph):  # the item's first paragraph is its own text
        _inlines(state, lead.children, para)
    for block in item.blocks[1:] if isinstance(lead, m.Paragraph) else item.blocks:
        nested = replace(inner, depth=depth + 1) \
            if isinstance(block, (m.BulletList, m.OrderedList)) else replace(inner, depth=0)
        _write(state, block, out, nested)


def _definitions(state: State, block: m.DefinitionList, out: Slot, context: Context) -> None:
    for item in block.items:
        for term in item.terms:
            _inlines(state, term, _paragraph(out, context, "Definition Term"))
        for definition in item.definitions:
            write_blocks(state, definition, out.container,
                         replace(context, style="Definition",
                                 indent=context.indent + INDENT_PT))


def _callout(state: State, block: m.Callout, out: Slot, context: Context) -> None:
    """A callout is a one-cell table, shaded and ruled at the left in the theme's colours;
    warnings and dangers take the primary colour, as on the page. So it is in a footnote,
    as Word's own footnotes hold tables."""
    table = out.add_table(rows=1, cols=1)
    table.style = state.word.styles[CALLOUT_STYLES[block.kind]]
    fit_table(table)
    _mark_as_layout(table, inline_text(block.title) if block.title else block.kind,
                    catalogue(state.doc.meta.lang))
    cell = table.cell(0, 0)
    can_not_split = OxmlElement("w:cantSplit")  # a box stays whole on one page
    table.rows[0]._tr.get_or_add_trPr().append(can_not_split)
    # Its kind printed, with its icon: "Warning", in the handout's language.
    label = cell.paragraphs[0]
    state.set_style(label, callout_label_style(block.kind))
    look = callouts.look(block.kind, state.theme)
    if label.part is state.word.part:  # a footnote holds no picture: the label alone there
        icon = add_picture(state, label, callouts.png_url(block.kind, look.ink), "",
                           height=Pt(state.theme.font_size_pt * 1.1))
        _decorative(icon)
        label.add_run(" ")
    label.add_run(catalogue(state.doc.meta.lang)(f"callout_{block.kind}"))
    first = None
    if block.title:  # a heading in Word's navigation pane, one level below its section's
        first = cell.add_paragraph()
        state.set_style(first, "Callout Title")
        _outline_level(first, min(state.level + 1, 6))
        _inlines(state, block.title, first)
    write_blocks(state, block.blocks, cell, replace(context, style=None, indent=0, depth=0))
    spacer = out.container.add_paragraph()
    spacer.paragraph_format.space_after = Pt(0)


def _decorative(run: Run) -> None:
    """A picture that only decorates (the label beside it says the same): marked so, as
    Word 365 marks it, so that a screen reader passes it by."""
    doc_pr = run._r.find(".//" + qn("wp:docPr"))
    assert doc_pr is not None  # python-docx's inline picture has one
    for name in ("descr", "title"):
        if name in doc_pr.attrib:
            del doc_pr.attrib[name]
    ext_list = OxmlElement("a:extLst")
    ext = OxmlElement("a:ext")
    ext.set("uri", "{C183D7F6-B498-43B3-948B-1728B52AA6E4}")
    decorative = etree.SubElement(ext, f"{{{ADEC}}}decorative", nsmap={"adec": ADEC})
    decorative.set("val", "1")
    ext_list.append(ext)
    doc_pr.append(ext_list)


def _mark_as_layout(table: Table, title: str, messages: Messages) -> None:
    """A box drawn with a one-cell table is a layout table (Section 508's term): it claims
    no header row or column, and its alternative text says it is a box, not data."""
    tbl_pr = table._tbl.tblPr
    look = tbl_pr.find(qn("w:tblLook"))
    assert look is not None  # python-docx's new tables have one
    for name, value in (("firstRow", "0"), ("firstColumn", "0"), ("noHBand", "1"),
                        ("noVBand", "1"), ("val", "0600")):
        look.set(qn(f"w:{name}"), value)
    for tag, text in (("w:tblCaption", title),
                      ("w:tblDescription", messages("layout_box", title=title))):
        element = OxmlElement(tag)
        element.set(qn("w:val"), text)
        place(tbl_pr, element)


def _code(block: m.CodeBlock, para: Paragraph) -> None:
    for n, line in enumerate(block.text.split("\n")):
        run = para.add_run(line)
        if n:
            run._r.addprevious(OxmlElement("w:br"))


def _figure(state: State, block: m.Figure, out: Slot, context: Context) -> None:
    para = _paragraph(out, context, "Caption")
    para.paragraph_format.keep_with_next = bool(block.caption)
    state.bookmark(para, block.anchor)
    add_picture(state, para, block.src, block.alt)
    if block.caption:
        _inlines(state, block.caption, _paragraph(out, context, "Caption"))


def _footnotes(state: State, block: m.Footnotes, out: Slot, context: Context) -> None:
    """The notes went to the foot of their pages with their references; a note nothing
    refers to is written here, so that it is not lost."""
    for note in block.notes:
        if note.anchor not in state.written_notes:
            write_blocks(state, note.blocks, out.container,
                         replace(context, style="Footnote Text"))


def _references(state: State, block: m.References, out: Slot, context: Context) -> None:
    heading = _paragraph(out, context, "Heading 2")
    state.bookmark(heading, "references")
    heading.add_run(catalogue(state.doc.meta.lang)("references"))
    num_id = state.numbering.new(ordered=block.numbered)
    for entry in block.entries:
        para = _paragraph(out, context, "Reference")
        if block.numbered:
            state.numbering.apply(para, num_id, 0)
        state.bookmark(para, entry.anchor)
        _inlines(state, entry.children, para)


def write_masthead(state: State, meta: Meta, theme: Theme, control: str) -> None:
    """Organisation and logo on one line, the title, subtitle and document control."""
    para = state.word.add_paragraph(style="Organisation")
    para.add_run(meta.organisation or theme.organisation.name)
    if theme.logo_url:
        para.paragraph_format.tab_stops.add_tab_stop(state.text_width(), WD_TAB_ALIGNMENT.RIGHT)
        para.add_run("\t")
        add_picture(state, para, theme.logo_url,
                    f"{theme.organisation.name or meta.organisation} logo", height=Mm(15))
    title = state.word.add_paragraph(style="Heading 1")
    state.bookmark(title, "title")
    title.add_run(meta.title)
    if meta.subtitle:
        state.word.add_paragraph(meta.subtitle, style="Subtitle")
    state.word.add_paragraph(control, style="Document Control")
    for part in abstract_parts(meta):
        state.word.add_paragraph().add_run(part).italic = True


def write_contact(state: State, theme: Theme) -> None:
    """'Contact us' with the clinic's details, boxed with a single rule as on the page;
    without any details, only the name closes the document (and the build warns); with
    the details in the text ({{contact}}), nothing repeats them."""
    org = theme.organisation
    panel = org.panel_lines(state.doc)
    lines = panel or ([] if org.in_text(state.doc) else [org.name] if org.name else [])
    if not lines:
        return
    if panel:
        say = catalogue(state.doc.meta.lang)
        table = state.word.add_table(rows=1, cols=1)
        table.style = state.word.styles[PANEL_STYLE]
        fit_table(table)
        _mark_as_layout(table, say("contact_us"), say)
        table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        cell = table.cell(0, 0)
        heading = state.set_style(cell.paragraphs[0], "Heading 2")
        state.bookmark(heading, "contact-us")
        heading.add_run(say("contact_us"))
        para = state.set_style(cell.add_paragraph(), "Contact Details")
    else:
        para = state.word.add_paragraph(style="Contact")
    for n, line in enumerate(lines):
        run = para.add_run(line, style="Strong" if n == 0 else None)
        if n < len(lines) - 1:
            run.add_break()
    if panel:
        state.word.add_paragraph().paragraph_format.space_after = Pt(0)


def write_online_copy(state: State, meta: Meta) -> None:
    """Where to read it online, as on the printed page: the QR code, and the address beside
    it at the code's middle, in a two-cell layout table without rules."""
    if not meta.url:
        return
    say = catalogue(meta.lang)
    table = state.word.add_table(rows=1, cols=2)
    table.style = state.word.styles[QR_STYLE]
    _mark_as_layout(table, say("online_copy_qr"), say)
    code = Mm(25)
    gap = Mm(4)
    widths = [Length(code + gap), Length(state.text_width() - code - gap)]
    for col, width in zip(table._tbl.tblGrid.iter(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(width.twips)))
    fit_table(table)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    picture, words = table.cell(0, 0), table.cell(0, 1)
    for cell, width in zip((picture, words), widths):
        cell.width = width
    words.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    add_picture(state, state.set_style(picture.paragraphs[0], "Online Copy"),
                qr.data_url(meta.url), say("online_copy_qr"), height=code)
    state.set_style(words.paragraphs[0], "Online Copy").add_run(
        say("online_copy", url=meta.url))
    state.word.add_paragraph().paragraph_format.space_after = Pt(0)
