"""Word styling from the theme: page setup, Word's own styles and a few of ours, and the
list numbering definitions. The DOCX writer only names these styles; the theme sets them."""

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from handouts.messages import right_to_left
from handouts.style.theme import FOOTER_FONT_PT, PAPER_MM, SMALL_TYPE

BULLETS = ("•", "–", "•")  # glyphs the bundled typeface has
LIST_INDENT_TWIPS = 360
BULLET_GAP_TWIPS = 200


def set_up_page(word, theme, paper):
    """Paper and margins as the PDF has them."""
    width, height = PAPER_MM[paper]
    margins = theme.margins_mm
    for section in word.sections:
        section.page_width, section.page_height = Mm(width), Mm(height)
        section.top_margin, section.bottom_margin = Mm(margins["top"]), Mm(margins["bottom"])
        section.left_margin, section.right_margin = Mm(margins["left"]), Mm(margins["right"])
        section.header_distance = section.footer_distance = Mm(9)


def set_up_styles(word, theme, lang):
    """Word's own styles, and a few of ours, in the theme's font, size and colours."""
    t = theme
    primary, accent, text = (RGBColor.from_string(c[1:]) for c in
                             (t.primary_color, t.accent_color, t.text_color))
    styles = word.styles
    _one_font_everywhere(styles, t.font_family)
    normal = styles["Normal"]
    _font(normal, t.font_family, Pt(t.font_size_pt), text)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    _language(styles, lang)
    sizes = {"Heading 1": 2.0, "Heading 2": 1.35, "Heading 3": 1.1, "Heading 4": 1.0,
             "Heading 5": 1.0, "Heading 6": 1.0}
    for name, scale in sizes.items():
        style = styles[name]
        _font(style, t.font_family, Pt(round(t.font_size_pt * scale, 1)), primary)
        style.font.bold = True
        style.font.italic = False
        style.paragraph_format.space_before = Pt(14 if name != "Heading 3" else 10)
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.keep_with_next = True
    _border(styles["Heading 2"], "bottom", t.primary_color, 12)
    for name in ("Title", "Subtitle", "List Paragraph", "Quote", "Caption", "Header",
                 "Footer"):
        _font(styles[name], t.font_family, None, text)
    _font(styles["Subtitle"], None, Pt(t.font_size_pt * 1.15), text)
    styles["Subtitle"].font.italic = False
    for spacing in styles["Subtitle"].element.rPr.findall(qn("w:spacing")):
        spacing.getparent().remove(spacing)  # the template spreads its letters apart
    styles["Quote"].font.italic = True
    # As on the page: a rule in the accent colour at the quote's left, and table rules in
    # the primary colour.
    _border(styles["Quote"], "left", t.accent_color, 18)
    styles["Quote"].paragraph_format.left_indent = Pt(8)
    for edge in styles["Table Grid"].element.iter(qn("w:tblBorders")):
        for side in edge:
            side.set(qn("w:color"), t.primary_color[1:])
    for name in ("Header", "Footer"):
        _font(styles[name], None, Pt(FOOTER_FONT_PT), primary)
        styles[name].paragraph_format.tab_stops.clear_all()  # the template's sit mid-page
    # The organisation's row opens the page under the title band, as on the web page.
    brand = _add_style(styles, "Organisation", Pt(t.small_type_pt(SMALL_TYPE["--brand-font"])),
                       primary, bold=True, caps=True)
    _border(brand, "top", t.primary_color, 36)
    small = Pt(t.small_type_pt(SMALL_TYPE["--small-font"]))  # never below what patients read
    _add_style(styles, "Document Control", small, text)
    contact = _add_style(styles, "Contact", small, text)
    contact.paragraph_format.space_before = Pt(18)
    contact.paragraph_format.keep_together = True  # whom to call, never split over a page
    _border(contact, "top", t.primary_color, 12)
    _add_style(styles, "Callout", None, text)
    _add_style(styles, "Callout Title", None, primary, bold=True)
    _add_style(styles, "Reference", small, text)
    _add_style(styles, "Code", small, text, font="Courier New")
    _callout_table_style(styles, t, "Callout Box", t.accent_color)
    _callout_table_style(styles, t, "Tip Box", t.accent_color, rule="double")
    _callout_table_style(styles, t, "Warning Box", t.primary_color)
    _font(styles["Strong"], None, None, primary)
    styles["Strong"].font.bold = True
    styles["Emphasis"].font.italic = True
    code = styles.add_style("Inline Code", WD_STYLE_TYPE.CHARACTER)
    _font(code, "Courier New", None, None)
    link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb, link.font.underline = accent, True
    cite = styles.add_style("Citation", WD_STYLE_TYPE.CHARACTER)  # author-date: (Doe, 2005)
    cite.font.color.rgb = accent
    number = styles.add_style("Citation Number", WD_STYLE_TYPE.CHARACTER)  # numeric: ¹
    number.base_style = cite
    number.font.superscript = True
    # A glossary: the term in bold, kept with its meaning; the meaning indented below it.
    term = _add_style(styles, "Definition Term", None, primary, bold=True)
    term.paragraph_format.keep_with_next = True
    term.paragraph_format.space_after = Pt(0)
    meaning = _add_style(styles, "Definition", None, text)
    meaning.paragraph_format.left_indent = Pt(LIST_INDENT_TWIPS / 20)
    _add_style(styles, "Footnote Text", small, text)
    note = styles.add_style("Footnote Reference", WD_STYLE_TYPE.CHARACTER)
    note.font.superscript = True
    rule = _add_style(styles, "Rule", Pt(4), text)
    _border(rule, "bottom", t.primary_color, 6)

def _add_style(styles, name, size, color, bold=False, caps=False, font=None):
    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles["Normal"]
    _font(style, font, size, color)
    style.font.bold = bold
    style.font.all_caps = caps
    return style


class Numbering:
    """Word numbering: one bullet and one decimal definition, a fresh instance per list so
    each numbered list starts at its own number."""

    def __init__(self, word, font):
        self.numbering = word.part.numbering_part.element
        self.bookmarks = 0
        existing = [int(n.get(qn("w:abstractNumId")))
                    for n in self.numbering.findall(qn("w:abstractNum"))]
        base = max(existing, default=0) + 1
        self.abstract = {False: base, True: base + 1}
        first_num = self.numbering.find(qn("w:num"))
        for ordered, abstract_id in self.abstract.items():
            element = _abstract_num(abstract_id, ordered, font)
            if first_num is not None:
                first_num.addprevious(element)
            else:
                self.numbering.append(element)
        # Counted here, not looked up per list: that walked every list so far.
        self.last_num_id = max((int(n.get(qn("w:numId")))
                                for n in self.numbering.findall(qn("w:num"))), default=0)

    def new(self, ordered, start=1):
        self.last_num_id = num_id = self.last_num_id + 1
        num = OxmlElement("w:num")
        num.set(qn("w:numId"), str(num_id))
        ref = OxmlElement("w:abstractNumId")
        ref.set(qn("w:val"), str(self.abstract[ordered]))
        num.append(ref)
        override = OxmlElement("w:lvlOverride")
        override.set(qn("w:ilvl"), "0")
        start_el = OxmlElement("w:startOverride")
        start_el.set(qn("w:val"), str(start))
        override.append(start_el)
        num.append(override)
        self.numbering.append(num)
        return num_id

    @staticmethod
    def apply(para, num_id, level):
        p_pr = para._p.get_or_add_pPr()
        num_pr = OxmlElement("w:numPr")
        for tag, value in (("w:ilvl", level), ("w:numId", num_id)):
            child = OxmlElement(tag)
            child.set(qn("w:val"), str(value))
            num_pr.append(child)
        p_pr.insert(1 if p_pr.find(qn("w:pStyle")) is not None else 0, num_pr)


def _abstract_num(abstract_id, ordered, font):
    element = OxmlElement("w:abstractNum")
    element.set(qn("w:abstractNumId"), str(abstract_id))
    multi = OxmlElement("w:multiLevelType")
    multi.set(qn("w:val"), "multilevel")
    element.append(multi)
    for level in range(3):
        lvl = OxmlElement("w:lvl")
        lvl.set(qn("w:ilvl"), str(level))
        values = [("w:start", "1"),
                  ("w:numFmt", "decimal" if ordered else "bullet"),  # as browsers number
                  ("w:lvlText", f"%{level + 1}." if ordered else BULLETS[level]),
                  ("w:lvlJc", "left")]
        for tag, value in values:
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            lvl.append(child)
        p_pr = OxmlElement("w:pPr")
        ind = OxmlElement("w:ind")
        ind.set(qn("w:left"), str(LIST_INDENT_TWIPS * (level + 1)))
        # Bullets stand in from the margin, next to their text, as on the page; numbers
        # keep the whole indent, room for "10.".
        ind.set(qn("w:hanging"), str(LIST_INDENT_TWIPS if ordered else BULLET_GAP_TWIPS))
        p_pr.append(ind)
        lvl.append(p_pr)
        r_pr = OxmlElement("w:rPr")   # the number or bullet in the body font
        fonts = OxmlElement("w:rFonts")
        for attr in ("w:ascii", "w:hAnsi", "w:cs"):
            fonts.set(qn(attr), font)
        r_pr.append(fonts)
        lvl.append(r_pr)
        element.append(lvl)
    return element


THEME_FONT_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _set_font_family(r_fonts, name):
    """Name the font for every script; Word lets a template's theme-font attribute win
    over a named font, so those go."""
    for attr in THEME_FONT_ATTRIBUTES:
        r_fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        r_fonts.set(qn(attr), name)


def _one_font_everywhere(styles, name):
    """The template's defaults and built-in styles point at Office theme fonts (Calibri,
    Cambria); point them all at the theme's family instead."""
    for r_fonts in styles.element.iter(qn("w:rFonts")):
        if any(r_fonts.get(qn(a)) for a in THEME_FONT_ATTRIBUTES):
            _set_font_family(r_fonts, name)


def _font(style, name, size, color):
    if name:
        _set_font_family(style.element.get_or_add_rPr().get_or_add_rFonts(), name)
    if size:
        style.font.size = size
    if color is not None:
        style.font.color.rgb = color


def _language(styles, lang):
    defaults = styles.element.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    element = r_pr.find(qn("w:lang"))
    if element is None:
        element = OxmlElement("w:lang")
        r_pr.append(element)
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        element.set(qn(attr), lang)
    if right_to_left(lang):  # every paragraph runs right to left, by default, not by hand
        p_default = defaults.find(qn("w:pPrDefault"))
        p_pr = p_default.find(qn("w:pPr"))
        if p_pr is None:
            p_pr = OxmlElement("w:pPr")
            p_default.append(p_pr)
        p_pr.insert(0, OxmlElement("w:bidi"))
        element.addprevious(OxmlElement("w:rtl"))  # rtl comes before lang in rPr


def _border(style, side, color, eighths):
    _add_border(style.element.get_or_add_pPr(), side, color, eighths)


def _add_border(p_pr, side, color, eighths):
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.append(borders)
    edge = OxmlElement(f"w:{side}")
    for attr, value in (("w:val", "single"), ("w:sz", str(eighths)), ("w:space", "4"),
                        ("w:color", color[1:])):
        edge.set(qn(attr), value)
    borders.append(edge)


CALLOUT_PADDING_TWIPS = 200
GRID_PADDING_TWIPS = 108  # the cell padding of Table Grid in python-docx's template


def shade(cell, color):
    """Fill a table cell with a theme colour, as the page fills header cells."""
    cell._tc.get_or_add_tcPr().append(_shading(color))


def _shading(color):
    shading = OxmlElement("w:shd")
    for attr, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", color[1:])):
        shading.set(qn(attr), value)
    return shading


def indent_table(table, padding_twips):
    """Word sets a table out to the left by its cell padding; indent it by as much so its
    rules line up with the page margins, as tables and boxes do in the PDF."""
    indent = OxmlElement("w:tblInd")
    indent.set(qn("w:w"), str(padding_twips))
    indent.set(qn("w:type"), "dxa")
    table._tbl.tblPr.insert_element_before(indent, "w:tblBorders", "w:shd", "w:tblLayout",
                                           "w:tblCellMar", "w:tblLook")


def _callout_table_style(styles, theme, name, color, rule="single"):
    """A table style for callouts: shaded, with a thick rule on the left in color, so the
    box follows the theme through the style alone; each kind of box has its own."""
    style = styles.add_style(name, WD_STYLE_TYPE.TABLE)
    element = style.element
    tbl_pr = OxmlElement("w:tblPr")
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        thick = side == "left"
        for attr, value in (("w:val", rule if thick else "single"),
                            ("w:sz", "36" if thick else "4"), ("w:space", "0"),
                            ("w:color", (color if thick else theme.callout_background)[1:])):
            edge.set(qn(attr), value)
        borders.append(edge)
    tbl_pr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", 100), ("left", CALLOUT_PADDING_TWIPS), ("bottom", 60),
                        ("right", CALLOUT_PADDING_TWIPS)):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(twips))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    tbl_pr.append(margins)
    element.append(tbl_pr)
    tc_pr = OxmlElement("w:tcPr")
    tc_pr.append(_shading(theme.callout_background))
    element.append(tc_pr)
