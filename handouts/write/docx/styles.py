"""Word styling from the theme: page setup, Word's own styles and a few of ours, and the
list numbering definitions. The DOCX writer only names these styles; the theme sets them."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, RGBColor, Twips
from docx.styles.style import BaseStyle, CharacterStyle, ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from handouts.furniture import CALLOUT_STYLES, PANEL_STYLE, QR_STYLE
from handouts.messages import right_to_left
from handouts.style import callouts
from handouts.style.theme import FOOTER_FONT_PT, PAPER_MM, SMALL_TYPE
from handouts.write.docx.schema import place

if TYPE_CHECKING:
    from docx.document import Document as WordDocument
    from docx.styles.styles import Styles

    from handouts.style.theme import Theme

S = TypeVar("S", bound=BaseStyle)

BULLETS = ("•", "–", "•")  # glyphs the bundled typeface has
LIST_INDENT_TWIPS = 360
BULLET_GAP_TWIPS = 200


def set_up_page(word: WordDocument, theme: Theme, paper: str) -> None:
    """Paper and margins as the PDF has them."""
    width, height = PAPER_MM[paper]
    margins = theme.margins_mm
    for section in word.sections:
        section.page_width, section.page_height = Mm(width), Mm(height)
        section.top_margin, section.bottom_margin = Mm(margins["top"]), Mm(margins["bottom"])
        section.left_margin, section.right_margin = Mm(margins["left"]), Mm(margins["right"])
        section.header_distance = section.footer_distance = Mm(9)


def set_up_styles(word: WordDocument, theme: Theme, lang: str) -> None:
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
    # The rule under a section's heading, drawn close under it: LibreOffice leaves the
    # space between text and rule out when it judges whether a heading kept with the next
    # paragraph fits at a page's foot, and left headings there alone.
    _border(styles["Heading 2"], "bottom", t.primary_color, 12, space=0)
    for name in ("Title", "Subtitle", "List Paragraph", "Quote", "Caption", "Header",
                 "Footer"):
        _font(styles[name], t.font_family, None, text)
    _font(styles["Subtitle"], None, Pt(t.font_size_pt * 1.15), text)
    styles["Subtitle"].font.italic = False
    for spacing in styles["Subtitle"].element.rPr.findall(qn("w:spacing")):
        spacing.getparent().remove(spacing)  # the template spreads its letters apart
    styles["Quote"].font.italic = True
    # Captions as the page sets them, never at the template's 9 pt: a figure's in italic at
    # the caption size, a table's above it in bold at the text's size.
    caption = styles["Caption"]
    _font(caption, None, Pt(t.small_type_pt(SMALL_TYPE["--caption-font"])), text)
    caption.font.bold, caption.font.italic = False, True
    table_caption = _add_style(styles, "Table Caption", Pt(t.font_size_pt), text, bold=True)
    table_caption.base_style = caption
    table_caption.font.italic = False
    table_caption.paragraph_format.keep_with_next = True
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
    # The contact panel as on the page: boxed by a single rule, its heading inside.
    details = _add_style(styles, "Contact Details", None, text)
    details.paragraph_format.space_after = Pt(2)
    _layout_table_style(styles, PANEL_STYLE, {"val": "single", "sz": "12", "space": "0",
                                              "color": t.primary_color[1:]}, padding=200)
    # The QR code and the words beside it: a table without rules.
    _layout_table_style(styles, QR_STYLE, None, padding=0)
    online = _add_style(styles, "Online Copy", None, text)
    online.paragraph_format.space_after = Pt(0)
    _add_style(styles, "Callout", None, text)
    _add_style(styles, "Callout Title", None, primary, bold=True)
    _add_style(styles, "Reference", small, text)
    _add_style(styles, "Code", small, text, font="Courier New")
    for kind, name in CALLOUT_STYLES.items():  # each kind of box its colours and rules
        k = callouts.look(kind, t)
        _callout_table_style(styles, k, name)
        label = _add_style(styles, callout_label_style(kind), None,
                           RGBColor.from_string(k.ink[1:]), bold=True)
        label.paragraph_format.space_after = Pt(2)
        label.paragraph_format.keep_with_next = True
    _font(styles["Strong"], None, None, primary)
    styles["Strong"].font.bold = True
    styles["Emphasis"].font.italic = True
    code = _character_style(styles, "Inline Code")
    _font(code, "Courier New", None, None)
    link = _character_style(styles, "Hyperlink")
    link.font.color.rgb, link.font.underline = accent, True
    cite = _character_style(styles, "Citation")  # author-date: (Doe, 2005)
    cite.font.color.rgb = accent
    number = _character_style(styles, "Citation Number")  # numeric: ¹
    number.base_style = cite
    number.font.superscript = True
    # A glossary: the term in bold, kept with its meaning; the meaning indented below it.
    term = _add_style(styles, "Definition Term", None, primary, bold=True)
    term.paragraph_format.keep_with_next = True
    term.paragraph_format.space_after = Pt(0)
    meaning = _add_style(styles, "Definition", None, text)
    meaning.paragraph_format.left_indent = Pt(LIST_INDENT_TWIPS / 20)
    _add_style(styles, "Footnote Text", small, text)
    note = _character_style(styles, "Footnote Reference")
    note.font.superscript = True
    rule = _add_style(styles, "Rule", Pt(4), text)
    _border(rule, "bottom", t.primary_color, 6)


def _add_style(styles: Styles, name: str, size: Length | None, color: RGBColor | None,
               bold: bool = False, caps: bool = False, font: str | None = None
               ) -> ParagraphStyle:
    style = _new_style(styles, name, WD_STYLE_TYPE.PARAGRAPH, ParagraphStyle)
    style.base_style = styles["Normal"]
    _font(style, font, size, color)
    style.font.bold = bold
    style.font.all_caps = caps
    return style


def _new_style(styles: Styles, name: str, kind: WD_STYLE_TYPE, cls: type[S]) -> S:
    """A new style, of the class its kind makes."""
    style = styles.add_style(name, kind)  # type: ignore[no-untyped-call]  # python-docx: untyped
    assert isinstance(style, cls)
    return style


def _character_style(styles: Styles, name: str) -> CharacterStyle:
    return _new_style(styles, name, WD_STYLE_TYPE.CHARACTER, CharacterStyle)


class Numbering:
    """Word numbering: one bullet and one decimal definition, a fresh instance per list so
    each numbered list starts at its own number."""

    def __init__(self, word: WordDocument, font: str) -> None:
        self.numbering: etree._Element = word.part.numbering_part.element
        existing = [int(n.get(qn("w:abstractNumId")) or 0)
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
        self.last_num_id = max((int(n.get(qn("w:numId")) or 0)
                                for n in self.numbering.findall(qn("w:num"))), default=0)

    def new(self, ordered: bool, start: int = 1) -> int:
        self.last_num_id = num_id = self.last_num_id + 1
        num = _element("w:num", numId=str(num_id))
        num.append(_element("w:abstractNumId", val=str(self.abstract[ordered])))
        override = _element("w:lvlOverride", ilvl="0")
        override.append(_element("w:startOverride", val=str(start)))
        num.append(override)
        self.numbering.append(num)
        return num_id

    @staticmethod
    def apply(para: Paragraph, num_id: int, level: int) -> None:
        num_pr = _element("w:numPr")
        num_pr.append(_element("w:ilvl", val=str(level)))
        num_pr.append(_element("w:numId", val=str(num_id)))
        place(para._p.get_or_add_pPr(), num_pr)


def _element(tag: str, **values: str) -> etree._Element:
    """A w: element with w: attributes."""
    element = OxmlElement(tag)
    for name, value in values.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _abstract_num(abstract_id: int, ordered: bool, font: str) -> etree._Element:
    element = OxmlElement("w:abstractNum")
    element.set(qn("w:abstractNumId"), str(abstract_id))
    element.append(_element("w:multiLevelType", val="multilevel"))
    for level in range(3):
        lvl = _element("w:lvl", ilvl=str(level))
        values = [("w:start", "1"),
                  ("w:numFmt", "decimal" if ordered else "bullet"),  # as browsers number
                  ("w:lvlText", f"%{level + 1}." if ordered else BULLETS[level]),
                  ("w:lvlJc", "left")]
        for tag, value in values:
            lvl.append(_element(tag, val=value))
        p_pr = OxmlElement("w:pPr")
        # Bullets stand in from the margin, next to their text, as on the page; numbers
        # keep the whole indent, room for "10.".
        p_pr.append(_element("w:ind", left=str(LIST_INDENT_TWIPS * (level + 1)),
                             hanging=str(LIST_INDENT_TWIPS if ordered else BULLET_GAP_TWIPS)))
        lvl.append(p_pr)
        r_pr = OxmlElement("w:rPr")   # the number or bullet in the body font
        r_pr.append(_element("w:rFonts", ascii=font, hAnsi=font, cs=font))
        lvl.append(r_pr)
        element.append(lvl)
    return element


THEME_FONT_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _set_font_family(r_fonts: etree._Element, name: str) -> None:
    """Name the font for every script; Word lets a template's theme-font attribute win
    over a named font, so those go."""
    for attr in THEME_FONT_ATTRIBUTES:
        if qn(attr) in r_fonts.attrib:
            del r_fonts.attrib[qn(attr)]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        r_fonts.set(qn(attr), name)


def _one_font_everywhere(styles: Styles, name: str) -> None:
    """The template's defaults and built-in styles point at Office theme fonts (Calibri,
    Cambria); point them all at the theme's family instead."""
    for r_fonts in styles.element.iter(qn("w:rFonts")):
        if any(r_fonts.get(qn(a)) for a in THEME_FONT_ATTRIBUTES):
            _set_font_family(r_fonts, name)


def _font(style: ParagraphStyle | CharacterStyle, name: str | None, size: Length | None,
          color: RGBColor | None) -> None:
    if name:
        _set_font_family(style.element.get_or_add_rPr().get_or_add_rFonts(), name)
    if size:
        style.font.size = size
    if color is not None:
        style.font.color.rgb = color


def _language(styles: Styles, lang: str) -> None:
    defaults = _child(styles.element, "w:docDefaults")
    r_pr = _child(_child(defaults, "w:rPrDefault"), "w:rPr")
    element = r_pr.find(qn("w:lang"))
    if element is None:
        element = place(r_pr, OxmlElement("w:lang"))
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        element.set(qn(attr), lang)
    if right_to_left(lang):  # every paragraph runs right to left, by default, not by hand
        p_default = _child(defaults, "w:pPrDefault")
        p_pr = p_default.find(qn("w:pPr"))
        if p_pr is None:
            p_pr = OxmlElement("w:pPr")
            p_default.append(p_pr)
        place(p_pr, OxmlElement("w:bidi"))
        place(r_pr, OxmlElement("w:rtl"))


def _child(parent: etree._Element, tag: str) -> etree._Element:
    """A child python-docx's template always has."""
    child = parent.find(qn(tag))
    assert child is not None, f"python-docx's template has no {tag}"
    return child


def _border(style: ParagraphStyle, side: str, color: str, eighths: int, space: int = 4) -> None:
    p_pr = style.element.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = place(p_pr, OxmlElement("w:pBdr"))
    borders.append(_element(f"w:{side}", val="single", sz=str(eighths), space=str(space),
                            color=color[1:]))


CALLOUT_PADDING_TWIPS = 200


def shade(cell: _Cell, color: str) -> None:
    """Fill a table cell with a theme colour, as the page fills header cells."""
    place(cell._tc.get_or_add_tcPr(), _shading(color))


def _shading(color: str) -> etree._Element:
    return _element("w:shd", val="clear", color="auto", fill=color[1:])


def fit_table(table: Table) -> None:
    """A table (a box too) from margin to margin and no further, as in the PDF: no indent,
    and its columns (python-docx divides the text width among them) narrowed by the width
    of its side rules, which LibreOffice draws outside the columns' width. In Word 2013's
    layout, which the file asks for (compatibilityMode 15), an indent moves the table's
    rule in from the margin, and the table out past the other margin by as much."""
    tbl_pr = table._tbl.tblPr
    for indent in tbl_pr.findall(qn("w:tblInd")):
        tbl_pr.remove(indent)
    columns = list(table._tbl.tblGrid.iter(qn("w:gridCol")))
    widths = [int(col.get(qn("w:w")) or 0) for col in columns]
    total = sum(widths)
    rules = _side_rules_twips(table)
    if total > rules:
        widths = [w * (total - rules) // total for w in widths]
        for col, w in zip(columns, widths):
            col.set(qn("w:w"), str(w))
        for tr in table._tbl.tr_lst:
            at = 0
            for tc in tr.tc_lst:
                span = tc.grid_span
                tc.width = Twips(sum(widths[at:at + span]))
                at += span
    for old in tbl_pr.findall(qn("w:tblW")):
        tbl_pr.remove(old)
    place(tbl_pr, _element("w:tblW", w=str(sum(widths)), type="dxa"))


def _side_rules_twips(table: Table) -> int:
    """How wide the table style's left and right rules are drawn, in twips (a double rule
    is three times its line)."""
    style = table.style
    borders = style.element.find(f"{qn('w:tblPr')}/{qn('w:tblBorders')}") if style else None
    width = 0
    for side in ("left", "right"):
        edge = borders.find(qn(f"w:{side}")) if borders is not None else None
        if edge is None or edge.get(qn("w:val")) in ("nil", "none"):
            continue
        eighths = int(edge.get(qn("w:sz")) or 0)
        width += eighths * (3 if edge.get(qn("w:val")) == "double" else 1) * 20 // 8
    return width


def callout_label_style(kind: str) -> str:
    """The Word style of a box's label ("Warning"): the label in its kind's colour."""
    return f"{kind.capitalize()} Label"


def _callout_table_style(styles: Styles, look: callouts.Look, name: str) -> None:
    """A table style for one kind of box: its fill, and its rules as on the page (a bar at
    the left, solid, dotted, double or dashed; at the right too; or a frame all round), so
    the box follows the theme through the style alone."""
    element = _new_style(styles, name, WD_STYLE_TYPE.TABLE, BaseStyle).element
    tbl_pr = OxmlElement("w:tblPr")
    borders = OxmlElement("w:tblBorders")
    rule = look.rule
    bar = (callouts.WORD_RULES[rule.left], "36", look.ink)  # 4.5 pt, as the page's 0.4 em
    thin = ("single", "12", look.ink) if rule.frame else ("single", "4", look.fill)
    for side in ("top", "left", "bottom", "right"):
        val, size, color = bar if side == "left" or (side == "right" and rule.right) else thin
        borders.append(_element(f"w:{side}", val=val, sz=size, space="0", color=color[1:]))
    tbl_pr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", 100), ("left", CALLOUT_PADDING_TWIPS), ("bottom", 60),
                        ("right", CALLOUT_PADDING_TWIPS)):
        margins.append(_element(f"w:{side}", w=str(twips), type="dxa"))
    tbl_pr.append(margins)
    element.append(tbl_pr)
    tc_pr = OxmlElement("w:tcPr")
    tc_pr.append(_shading(look.fill))
    element.append(tc_pr)


def _layout_table_style(styles: Styles, name: str, rule: dict[str, str] | None,
                        padding: int) -> None:
    """A table style for layout: the rule given (w:val, w:sz ... on every side) or none,
    cells padded at the left and right by padding twips."""
    element = _new_style(styles, name, WD_STYLE_TYPE.TABLE, BaseStyle).element
    tbl_pr = OxmlElement("w:tblPr")
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        if rule is not None and not side.startswith("inside"):
            edge = _element(f"w:{side}", **rule)
        else:
            edge = _element(f"w:{side}", val="nil")
        borders.append(edge)
    tbl_pr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", 80 if padding else 0), ("left", padding),
                        ("bottom", 80 if padding else 0), ("right", padding)):
        margins.append(_element(f"w:{side}", w=str(twips), type="dxa"))
    tbl_pr.append(margins)
    element.append(tbl_pr)
