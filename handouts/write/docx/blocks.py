"""Blocks into Word paragraphs: one function per model block type. Word's own styles
carry the look (Heading 1-6, List Paragraph, Quote, Caption) with a few of ours (Callout,
Definition, Reference, Code), all set from the theme in styles.py."""

from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from handouts import model as m
from handouts.model import inline_text
from handouts.furniture import CALLOUT_STYLES
from handouts.messages import catalogue
from handouts.write.docx.inlines import Format, add_picture, write_inlines
from handouts.write.docx.styles import CALLOUT_PADDING_TWIPS, LIST_INDENT_TWIPS, indent_table
from handouts.write.docx.tables import write_table

INDENT_PT = LIST_INDENT_TWIPS / 20
TASK_BOXES = {True: "\u2611", False: "\u2610"}   # ballot boxes, from a symbol font


def write_blocks(state, blocks, container, context, first=None, strong=False):
    """Write blocks into a container (the body, a table cell, a footnote); first is an
    empty paragraph the container already has, to be used before adding any."""
    out = _Slot(container, [first], state)
    for block in blocks:
        _write(state, block, out, context, strong)


def _write(state, block, out, context, strong=False):
    """One block, by its type; a type without a writer stops the build naming it."""
    writer = WRITERS.get(type(block))
    if writer is None:
        raise state.cannot(block)
    writer(state, block, out, context, strong)


class _Slot:
    """Hands out paragraphs: the container's waiting empty paragraph first, then new ones."""

    def __init__(self, container, slot, state):
        self.container, self.slot, self.state = container, slot, state

    def paragraph(self, style=None):
        if self.slot[0] is not None:
            para, self.slot[0] = self.slot[0], None
        else:
            para = self.container.add_paragraph()
        return self.state.set_style(para, style) if style else para

    def add_table(self, rows, cols):
        table = self.container.add_table(rows=rows, cols=cols)
        if self.slot[0] is not None:  # a table first in a cell: the empty paragraph goes
            self.slot[0]._p.getparent().remove(self.slot[0]._p)
            self.slot[0] = None
        return table

    def add_paragraph(self, style=None):
        return self.paragraph(style)


def _paragraph(out, context, style=None):
    para = out.paragraph(style or context.style)
    if context.indent:
        para.paragraph_format.left_indent = Pt(context.indent)
    return para


def _outline_level(para, level):
    """Word has no style for 'a heading at whatever level its place asks'; this is the one
    piece of direct formatting: the paragraph's outline level (0 is Heading 1)."""
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), str(level - 1))
    para._p.get_or_add_pPr().append(outline)


def _heading(state, block, out, context, strong):
    state.level = block.level
    para = _paragraph(out, context, f"Heading {block.level}")
    state.bookmark(para, block.anchor)
    write_inlines(state, block.children, para)


def _para(state, block, out, context, strong):
    para = _paragraph(out, context)
    write_inlines(state, block.children, para, Format(strong=strong))


def _list(state, block, out, context, strong):
    ordered = isinstance(block, m.OrderedList)
    num_id = state.numbering.new(ordered=ordered, start=getattr(block, "start", 1))
    for item in block.items:
        _item(state, item, out, context, num_id)


def _item(state, item, out, context, num_id):
    depth = context.depth
    inner = context.but(indent=INDENT_PT * (depth + 1), depth=depth + 1,
                        style=context.style if context.style in ("Reference",) else None)
    blocks = list(item.blocks)
    para = out.paragraph(context.style or "List Paragraph")
    if item.task is not None:  # a box to tick, not a bullet
        para.paragraph_format.left_indent = Pt(INDENT_PT * (depth + 1))
        box = para.add_run(TASK_BOXES[item.task] + " ")
        box.font.name = "Segoe UI Symbol"
    else:
        state.numbering.apply(para, num_id, min(depth, 2))
    state.bookmark(para, item.anchor)
    if blocks and isinstance(blocks[0], m.Paragraph):
        write_inlines(state, blocks.pop(0).children, para)
    for block in blocks:
        nested = inner.but(depth=depth + 1) if isinstance(block, (m.BulletList, m.OrderedList)) \
            else inner.but(depth=0)
        _write(state, block, out, nested)


def _definitions(state, block, out, context, strong):
    for item in block.items:
        for term in item.terms:
            para = _paragraph(out, context, "Definition Term")
            write_inlines(state, term, para)
        for definition in item.definitions:
            write_blocks(state, definition, out.container,
                         context.but(style="Definition", indent=context.indent + INDENT_PT))


def _table(state, block, out, context, strong):
    write_table(state, block, out, context)


def _callout(state, block, out, context, strong):
    """A callout is a one-cell table, shaded and ruled at the left in the theme's colours;
    warnings and dangers take the primary colour, as on the page."""
    if context.in_footnote:
        raise state.cannot(block)
    table = out.add_table(rows=1, cols=1)
    table.style = state.word.styles[CALLOUT_STYLES.get(block.kind, "Callout Box")]
    indent_table(table, CALLOUT_PADDING_TWIPS)
    _mark_as_layout(table, inline_text(block.title) if block.title else block.kind,
                    catalogue(state.doc.meta.lang))
    cell = table.cell(0, 0)
    can_not_split = OxmlElement("w:cantSplit")  # a box stays whole on one page
    table.rows[0]._tr.get_or_add_trPr().append(can_not_split)
    first = cell.paragraphs[0]
    if block.title:  # a heading in Word's navigation pane, one level below its section's
        first.style = state.word.styles["Callout Title"]
        _outline_level(first, min(state.level + 1, 6))
        write_inlines(state, block.title, first)
        first = None
    write_blocks(state, block.blocks, cell, context.but(style=None, indent=0, depth=0),
                 first=first)
    spacer = out.container.add_paragraph()
    spacer.paragraph_format.space_after = Pt(0)


def _mark_as_layout(table, title, messages):
    """A box drawn with a one-cell table is a layout table (Section 508's term): it claims
    no header row or column, and its alternative text says it is a box, not data."""
    look = table._tbl.tblPr.find(qn("w:tblLook"))
    for name, value in (("firstRow", "0"), ("firstColumn", "0"), ("noHBand", "1"),
                        ("noVBand", "1"), ("val", "0600")):
        look.set(qn(f"w:{name}"), value)
    for tag, text in (("w:tblCaption", title),
                      ("w:tblDescription", messages("layout_box", title=title))):
        element = OxmlElement(tag)
        element.set(qn("w:val"), text)
        table._tbl.tblPr.append(element)


def _quote(state, block, out, context, strong):
    inner = context.but(style="Quote", indent=context.indent + (INDENT_PT if context.style ==
                                                                 "Quote" else 0))
    for child in block.blocks:
        _write(state, child, out, inner)


def _code(state, block, out, context, strong):
    para = _paragraph(out, context, "Code")
    for n, line in enumerate(block.text.split("\n")):
        run = para.add_run(line)
        if n:
            run._r.addprevious(OxmlElement("w:br"))


def _figure(state, block, out, context, strong):
    para = _paragraph(out, context, "Caption")
    para.paragraph_format.keep_with_next = bool(block.caption)
    add_picture(state, para, block.src, block.alt)
    if block.caption:
        write_inlines(state, block.caption, _paragraph(out, context, "Caption"))


def _division(state, block, out, context, strong):
    for child in block.blocks:
        _write(state, child, out, context, strong)


def _rule(state, block, out, context, strong):
    _paragraph(out, context, "Rule")


def _footnotes(state, block, out, context, strong):
    """The notes went to the foot of their pages with their references; a note nothing
    refers to is written here, so that it is not lost."""
    for note in block.notes:
        if note.anchor not in state.written_notes:
            write_blocks(state, note.blocks, out.container, context.but(style="Footnote Text"))


def _references(state, block, out, context, strong):
    heading = _paragraph(out, context, "Heading 2")
    state.bookmark(heading, "references")
    heading.add_run(catalogue(state.doc.meta.lang)("references"))
    num_id = state.numbering.new(ordered=block.numbered)
    for entry in block.entries:
        para = _paragraph(out, context, "Reference")
        if block.numbered:
            state.numbering.apply(para, num_id, 0)
        state.bookmark(para, entry.anchor)
        write_inlines(state, entry.children, para)


WRITERS = {m.Heading: _heading, m.Paragraph: _para, m.BulletList: _list,
           m.OrderedList: _list, m.DefinitionList: _definitions, m.Table: _table,
           m.Callout: _callout, m.Quote: _quote, m.CodeBlock: _code, m.Figure: _figure,
           m.Division: _division, m.Rule: _rule, m.Footnotes: _footnotes,
           m.References: _references}


def write_masthead(state, meta, theme, control):
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


def write_contact(state, theme):
    """'Contact us' with the clinic's details, as on the page; without any details, only
    the name closes the document (and the build warns)."""
    org = theme.organisation
    lines = [line for line in [org.name] + org.contact_lines() if line]
    if not lines:
        return
    if org.contact_lines():
        heading = state.word.add_paragraph(style="Heading 2")
        state.bookmark(heading, "contact-us")
        heading.add_run(catalogue(state.doc.meta.lang)("contact_us"))
    para = state.word.add_paragraph(style="Contact")
    for n, line in enumerate(lines):
        run = para.add_run(line, style="Strong" if n == 0 else None)
        if n < len(lines) - 1:
            run.add_break()


def write_online_copy(state, meta):
    """Where to read it online, as on the printed page: the QR code, the address beside it."""
    if not meta.url:
        return
    from handouts.write import qr
    say = catalogue(meta.lang)
    para = state.word.add_paragraph(style="Contact")
    add_picture(state, para, qr.data_url(meta.url), say("online_copy_qr"), height=Mm(25))
    para.add_run("\t" + say("online_copy", url=meta.url))
