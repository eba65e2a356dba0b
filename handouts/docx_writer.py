"""DOCX stage: walk the rendered HTML tree and write the same handout with python-docx.

Word's own styles carry the look (Heading 1-3, List Paragraph, Quote, Caption, and a few
of ours), the theme sets them once, and lists use real Word numbering, so the file stays
pleasant to edit.
"""

import base64
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, replace

import docx
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .docx_fonts import embed_fonts
from .docx_styles import (CALLOUT_PADDING_TWIPS, GRID_PADDING_TWIPS, LIST_INDENT_TWIPS,
                          Numbering, indent_table, set_up_page, set_up_styles, shade)

BLOCK_CONTAINERS = {"main", "section", "header", "footer", "div", "article", "figure", "body"}
HEADINGS = {f"h{n}": n for n in range(1, 7)}
CLASS_STYLES = {"subtitle": "Subtitle",
                "doc-control": "Document Control", "callout-title": "Callout Title"}


@dataclass(frozen=True)
class Format:
    """Inline formatting in force while walking down the tree."""
    bold: bool = False
    italic: bool = False
    superscript: bool = False
    subscript: bool = False
    code: bool = False
    underline: bool = False
    citation: bool = False
    link: object = None       # the w:hyperlink element runs go into


def write_docx(page, theme, doc):
    """Return the DOCX bytes for the rendered page."""
    word = docx.Document()
    writer = _Writer(word, theme)
    body = page.tree.find("body")
    # The footer repeats the title block's version and dates, as the PDF's footer does.
    writer.setup(doc, body.find_class("doc-control")[0].text_content())
    embed_fonts(word, theme.font_family)
    _drop_template_thumbnail(word)
    for child in body:
        if child.tag != "footer":
            writer.block(child, word)
    writer.contact(body.find("footer"))
    out = io.BytesIO()
    word.save(out)
    return _fixed_timestamps(out.getvalue(), doc.meta.date)


def _drop_template_thumbnail(word):
    """python-docx's template carries a preview picture of another document; file managers
    would show it as this handout's thumbnail."""
    rels = word.part.package.rels
    for r_id in [r for r, rel in rels.items() if rel.reltype.endswith("/thumbnail")]:
        rels.pop(r_id)
        rels.related_parts.pop(r_id, None)


def _fixed_timestamps(data, day):
    """Rewrite the zip with every member dated on the handout's issue date, so the same
    source gives the same bytes (python-docx stamps members with the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(day.year, day.month, day.day, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


class _Writer:
    def __init__(self, word, theme):
        self.word = word
        self.theme = theme
        self.lists = Numbering(word, theme.font_family)

    # -- document setup -------------------------------------------------------------
    def setup(self, doc, control):
        meta = doc.meta
        props = self.word.core_properties
        props.title = _property(meta.title)
        props.subject = _property(meta.subtitle)
        props.author = _property(meta.author or meta.organisation or self.theme.organisation.name)
        props.keywords = _property(", ".join(meta.keywords))
        props.language = meta.lang
        props.version = _property(meta.version)
        props.comments = f"Review due {meta.review_due.isoformat()}"
        issued = datetime.datetime.combine(meta.date, datetime.time())
        props.created = props.modified = issued
        props.last_modified_by = props.author
        set_up_page(self.word, self.theme, meta.paper or self.theme.paper)
        set_up_styles(self.word, self.theme, meta.lang)
        self._header_footer(meta, control)

    def _header_footer(self, meta, control):
        section = self.word.sections[0]
        section.different_first_page_header_footer = True
        header = section.header.paragraphs[0]
        header.text = meta.short_title or meta.title
        width = self._text_width()
        for footer in (section.footer, section.first_page_footer):
            line = footer.paragraphs[0]
            line.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
            line.add_run(control + "\tPage ")
            _field(line, "PAGE")
            line.add_run(" of ")
            _field(line, "NUMPAGES")

    # -- blocks -----------------------------------------------------------------------
    def block(self, el, container, depth=0):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in HEADINGS:
            para = container.add_paragraph(style=f"Heading {HEADINGS[tag]}")
            self._bookmark(para, el.get("id"))
            self.inline(el, para)
        elif tag == "p":
            if _only_image(el):
                self._image(el.find(".//img"), container.add_paragraph(style="Caption"))
                return
            style = next((s for c, s in CLASS_STYLES.items() if c in _classes(el)), None)
            para = container.add_paragraph(style=style or self._context_style(el))
            self.inline(el, para)
        elif tag in ("ul", "ol"):
            self._list(el, container, depth)
        elif "callout" in _classes(el):
            self._callout(el, container)
        elif tag == "blockquote":
            for child in el:
                if child.tag == "p":
                    self.inline(child, container.add_paragraph(style="Quote"))
                else:
                    self.block(child, container, depth)
        elif tag == "table":
            self._table(el, container)
        elif tag == "pre":
            para = container.add_paragraph(style="Code")
            for n, line in enumerate(el.text_content().rstrip("\n").split("\n")):
                run = para.add_run(line)
                if n:
                    run._r.addprevious(OxmlElement("w:br"))
        elif "brand" in _classes(el):
            self._brand(el, container)
        elif tag == "img":
            self._image(el, container.add_paragraph(style="Caption"))
        elif tag == "figcaption":
            self.inline(el, container.add_paragraph(style="Caption"))
        elif tag in BLOCK_CONTAINERS or tag in ("dl", "dd", "dt"):
            for child in el:
                self.block(child, container, depth)
        elif tag == "hr":
            return
        else:  # inline content at block level, e.g. a bare span
            self.inline(el, container.add_paragraph())

    def _context_style(self, el):
        ancestors = {a.get("class", "") for a in el.iterancestors()}
        return "Reference" if any("references" in c for c in ancestors) else None

    def _list(self, el, container, depth):
        num_id = self.lists.new(ordered=el.tag == "ol", start=int(el.get("start", "1") or 1))
        references = "references" in _classes(el)
        for item in el.findall("li"):
            para = container.add_paragraph(style="Reference" if references else "List Paragraph")
            self.lists.apply(para, num_id, min(depth, 2))
            self._bookmark(para, item.get("id"))
            nested = []
            first = True
            # A list item holds inline text, paragraphs (loose lists) and nested lists.
            self._inline_text(item.text, para, Format())
            for child in item:
                if child.tag in ("ul", "ol"):
                    nested.append(child)
                elif child.tag == "p":
                    if not first:
                        para = container.add_paragraph(style="List Paragraph")
                        para.paragraph_format.left_indent = Pt(LIST_INDENT_TWIPS / 20 * (depth + 1))
                    self.inline(child, para)
                    first = False
                    self._inline_text(child.tail, para, Format())
                else:
                    self._inline_el(child, para, Format())
            for sub in nested:
                self._list(sub, container, depth + 1)

    def _callout(self, el, container):
        """A callout is a one-cell table, shaded and bordered in the theme's colours."""
        table = container.add_table(rows=1, cols=1)
        table.style = self.word.styles["Callout Box"]
        indent_table(table, CALLOUT_PADDING_TWIPS)
        cell = table.cell(0, 0)
        first = cell.paragraphs[0]
        for child in el:
            if child.tag == "p" and "callout-title" in _classes(child):
                para = first if first is not None else cell.add_paragraph()
                para.style = self.word.styles["Callout Title"]
                self.inline(child, para)
            else:
                if first is not None and not first.text:
                    first._p.getparent().remove(first._p)
                self.block(child, cell)
            first = None
        container.add_paragraph().paragraph_format.space_after = Pt(0)

    def _brand(self, el, container):
        """The organisation's name at the left and its logo at the right, on one line."""
        para = container.add_paragraph(style="Organisation")
        name = el.find_class("organisation")
        if name:
            self.inline(name[0], para)
        logo = el.find_class("logo")
        if logo:
            para.paragraph_format.tab_stops.add_tab_stop(self._text_width(), WD_TAB_ALIGNMENT.RIGHT)
            para.add_run("\t")
            self._image(logo[0], para, height=Mm(15))

    def _text_width(self):
        section = self.word.sections[0]
        return section.page_width - section.left_margin - section.right_margin

    def _table(self, el, container):
        rows = el.findall(".//tr")
        cols = max((len(r.findall("th")) + len(r.findall("td")) for r in rows), default=0)
        if not rows or not cols:
            return
        table = container.add_table(rows=len(rows), cols=cols)
        table.style = self.word.styles["Table Grid"]
        indent_table(table, GRID_PADDING_TWIPS)
        for r, row in enumerate(rows):
            cells = [c for c in row if c.tag in ("th", "td")]
            if row.getparent().tag == "thead" or all(c.tag == "th" for c in cells):
                _repeat_header(table.rows[r])
            for c, cell_el in enumerate(cells[:cols]):
                para = table.cell(r, c).paragraphs[0]
                fmt = Format(bold=cell_el.tag == "th")
                if cell_el.tag == "th":
                    shade(table.cell(r, c), self.theme.callout_background)
                self._inline_text(cell_el.text, para, fmt)
                for child in cell_el:
                    self._inline_el(child, para, fmt)

    def _image(self, img, para, height=None):
        match = re.match(r"data:image/[\w+]+;base64,(.*)", img.get("src", ""), re.S)
        if not match:
            return
        width = self._text_width()
        run = para.add_run()
        shape = run.add_picture(io.BytesIO(base64.b64decode(match.group(1))), height=height)
        if shape.width > width:
            shape.height, shape.width = int(shape.height * width / shape.width), width
        doc_pr = run._r.find(".//" + qn("wp:docPr"))
        doc_pr.set("descr", img.get("alt", ""))
        doc_pr.set("title", img.get("alt", ""))

    def contact(self, footer):
        if footer is None:
            return
        lines = [p.text_content().strip() for p in footer.iter("p")]
        if not any(lines):
            return
        para = self.word.add_paragraph(style="Contact")
        for n, line in enumerate(lines):
            run = para.add_run(line)
            run.bold = n == 0
            if n < len(lines) - 1:
                run.add_break()

    # -- inline -----------------------------------------------------------------------
    def inline(self, el, para, fmt=Format()):
        self._inline_text(el.text, para, fmt)
        for child in el:
            self._inline_el(child, para, fmt)

    def _inline_el(self, el, para, fmt):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("strong", "b"):
            self.inline(el, para, replace(fmt, bold=True))
        elif tag in ("em", "i", "cite"):
            self.inline(el, para, replace(fmt, italic=True))
        elif tag == "sup":
            self.inline(el, para, replace(fmt, superscript=True))
        elif tag == "sub":
            self.inline(el, para, replace(fmt, subscript=True))
        elif tag == "code":
            self.inline(el, para, replace(fmt, code=True))
        elif tag == "u":
            self.inline(el, para, replace(fmt, underline=True))
        elif tag == "a" and el.get("href"):
            self.inline(el, para, replace(fmt, link=self._hyperlink(para, el.get("href"))))
        elif tag == "br":
            para.add_run().add_break()
        elif tag == "img":
            self._image(el, para)
        elif tag == "span" and "citation" in _classes(el):
            self.inline(el, para, replace(fmt, citation=True))
        elif tag in ("ul", "ol", "p", "table", "div", "blockquote", "pre"):
            return  # block content inside inline context is handled by the caller
        else:
            self.inline(el, para, fmt)
        self._inline_text(el.tail, para, fmt)

    def _inline_text(self, text, para, fmt):
        if not text:
            return
        text = re.sub(r"\s+", " ", text)
        run = para.add_run(text)
        plain = fmt.link is None and not fmt.citation and not fmt.code
        if fmt.bold and plain:  # Word's own styles, coloured by the theme like <strong> on the page
            run.style = self.word.styles["Strong"]
        elif fmt.italic and plain:
            run.style = self.word.styles["Emphasis"]
        run.bold = (fmt.bold and not plain) or None
        run.italic = (fmt.italic and (not plain or fmt.bold)) or None
        run.underline = fmt.underline or None
        if fmt.citation:
            run.style = self.word.styles["Citation"]
        if fmt.superscript:
            run.font.superscript = True
        if fmt.subscript:
            run.font.subscript = True
        if fmt.code:
            run.style = self.word.styles["Inline Code"]
        if fmt.link is not None:
            if not fmt.citation:
                run.style = self.word.styles["Hyperlink"]
            fmt.link.append(run._r)

    def _hyperlink(self, para, href):
        link = OxmlElement("w:hyperlink")
        if href.startswith("#"):
            link.set(qn("w:anchor"), bookmark_name(href[1:]))
        else:
            link.set(qn("r:id"), para.part.relate_to(href, RT.HYPERLINK, is_external=True))
        link.set(qn("w:history"), "1")
        para._p.append(link)
        return link

    def _bookmark(self, para, anchor):
        if not anchor:
            return
        self.lists.bookmarks += 1
        start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
        start.set(qn("w:id"), str(self.lists.bookmarks))
        start.set(qn("w:name"), bookmark_name(anchor))
        end.set(qn("w:id"), str(self.lists.bookmarks))
        para._p.append(start)
        para._p.append(end)


def _property(text):
    """Word's document properties hold 255 characters; the page keeps the whole text."""
    return text if len(text) <= 255 else text[:254] + "…"


def bookmark_name(anchor):
    """Word bookmark names: a letter first, then letters, digits and underscores, 40 at most."""
    name = re.sub(r"\W", "_", anchor)
    return (name if name[:1].isalpha() else "a" + name)[:40]


def _classes(el):
    return (el.get("class") or "").split()


def _only_image(el):
    return (len(el) == 1 and el[0].tag == "img" and not (el.text or "").strip()
            and not (el[0].tail or "").strip())


def _repeat_header(row):
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _field(para, instruction):
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when they lay out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    para._p.append(field)
