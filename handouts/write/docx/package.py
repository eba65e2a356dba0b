"""The Word package around the text: document properties, page setup, styles, header and
footer, the embedded typeface, the footnotes part, and zip dates fixed for rebuilds."""

from __future__ import annotations

import datetime
import io
import zipfile
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import docx
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.table import CT_Tbl
from docx.oxml.text.paragraph import CT_P
from docx.parts.story import StoryPart
from docx.shared import Length
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from handouts.furniture import draft_mark, footer_control, header_right
from handouts.messages import catalogue
from handouts.write.docx.fonts import embed_fonts
from handouts.write.docx.styles import set_up_page, set_up_styles

if TYPE_CHECKING:
    from docx.document import Document as WordDocument

    from handouts.read.front_matter import Document, Meta
    from handouts.style.theme import Theme

FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


def new_document(doc: Document, theme: Theme, control: str) -> WordDocument:
    """An empty Word document set up for the handout: properties, page, styles, header and
    footer (the version and dates; who approved it in the header), typeface. control, the
    whole document control line, is the title page's."""
    meta = doc.meta
    word = docx.Document(io.BytesIO(_styled(theme, meta.lang, meta.paper or theme.paper)))
    props = word.core_properties
    props.title = _property(meta.title)
    props.subject = _property(meta.subtitle)
    props.author = _property(meta.author or meta.organisation or theme.organisation.name)
    props.keywords = _property(", ".join(meta.keywords))
    props.language = meta.lang
    props.version = _property(meta.version)
    props.comments = f"Review due {meta.review_due.isoformat()}" if meta.review_due else \
        "Draft"
    issued = datetime.datetime.combine(issue_day(meta), datetime.time())
    props.created = props.modified = issued
    props.last_modified_by = props.author
    _custom_properties(word, {
        "Version": meta.version or "Draft", "Issued": meta.date.isoformat() if meta.date else "",
        "ReviewDue": meta.review_due.isoformat() if meta.review_due else "",
        "ApprovedBy": meta.approved_by,
        "ApprovedOn": meta.approved_on.isoformat() if meta.approved_on else "",
        "Audience": meta.audience})
    _header_footer(word, meta.running_title, footer_control(meta), meta.lang, header_right(meta))
    _draft_mark(word, draft_mark(meta))
    return word


# (theme, language, paper) -> the DOCX bytes _styled made for them
STYLED: dict[tuple[str, str, str], bytes] = {}


def _styled(theme: Theme, lang: str, paper: str) -> bytes:
    """python-docx's template with the theme's page, styles and typeface: made once per
    process for each theme, language and paper (setting up the styles was a quarter of
    each Word file's time), and opened afresh for each handout."""
    key = (repr(theme), lang, paper)
    if key not in STYLED:
        word = docx.Document()
        set_up_page(word, theme, paper)
        set_up_styles(word, theme, lang)
        embed_fonts(word, theme.font_family)
        _drop_template_thumbnail(word)
        _current_compatibility(word)
        saved = io.BytesIO()
        word.save(saved)
        STYLED[key] = saved.getvalue()
    return STYLED[key]


def _current_compatibility(word: WordDocument) -> None:
    """python-docx's template says Word 2010 (14): Word would open the handout in
    Compatibility Mode. 15 is every Word since 2013."""
    for setting in word.settings.element.iter(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            setting.set(qn("w:val"), "15")


def _application_properties(word: WordDocument, doc: Document, words: int) -> None:
    """docProps/app.xml written for this handout: the template's says 'Microsoft Macintosh
    Word', 1 page and 0 words."""
    part = next(rel.target_part for rel in word.part.package.rels.values()
                if rel.reltype.endswith("/extended-properties"))
    part._blob = (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties">'
        f"<Application>Clinical handouts build</Application><Words>{words}</Words>"
        f"<Company>{escape(doc.meta.organisation or '')}</Company><DocSecurity>0</DocSecurity>"
        "</Properties>").encode()


CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
# The format id Word gives every user-defined property.
CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def _custom_properties(word: WordDocument, values: dict[str, str]) -> None:
    """docProps/custom.xml: document control that Word shows under File > Properties >
    Custom (python-docx writes only the core properties)."""
    properties = [
        f'<property fmtid="{CUSTOM_FMTID}" pid="{pid}" name="{name}">'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(((n, v) for n, v in values.items() if v), 2)]
    xml = (f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">' + "".join(properties)
           + "</Properties>")
    part = XmlPart(PackURI("/docProps/custom.xml"), CUSTOM_TYPE, parse_xml(xml), word.part.package)
    word.part.package.relate_to(part, RT.CUSTOM_PROPERTIES)


def text_width(word: WordDocument) -> Length:
    """The width between the page margins, which set_up_page has set."""
    section = word.sections[0]
    width, left, right = section.page_width, section.left_margin, section.right_margin
    assert width is not None and left is not None and right is not None
    return Length(width - left - right)


def _draft_mark(word: WordDocument, mark: str) -> None:
    """A draft's mark at the right of the title page's header (the other pages' header has
    it before who approved it: furniture.header_right)."""
    if not mark:
        return
    section = word.sections[0]
    for header in (section.first_page_header,):
        line = header.paragraphs[0]
        line.paragraph_format.tab_stops.add_tab_stop(text_width(word), WD_TAB_ALIGNMENT.RIGHT)
        run = line.add_run("\t" + mark)
        run.bold = True


def _header_footer(word: WordDocument, running_title: str, control: str,
                   lang: str, approved: str = "") -> None:
    """The running title, and who approved the handout at the right, from page 2 (the
    title page shows both); the version and dates, and the page number at the right, on
    every page's foot, on one line."""
    section = word.sections[0]
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.text = running_title
    if approved:
        header.paragraph_format.tab_stops.add_tab_stop(text_width(word), WD_TAB_ALIGNMENT.RIGHT)
        header.add_run("\t" + approved)
    for footer in (section.footer, section.first_page_footer):
        line = footer.paragraphs[0]
        line.paragraph_format.tab_stops.add_tab_stop(text_width(word), WD_TAB_ALIGNMENT.RIGHT)
        before, between, end = catalogue(lang).page_parts()
        line.add_run(control + "\t" + before)
        _field(line, "PAGE")
        line.add_run(between)
        _field(line, "NUMPAGES")
        if end:
            line.add_run(end)


def _field(para: Paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when they lay out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    para._p.append(field)


class FootnotesPart:
    """word/footnotes.xml, made on first use: python-docx has no footnotes of its own."""

    def __init__(self, word: WordDocument) -> None:
        self.word = word
        self.part: StoryPart | None = None
        self.next_id = 1

    def new(self) -> tuple[FootnoteContainer, int]:
        """A new w:footnote, to be filled with blocks, and its id."""
        part = self.part if self.part is not None else self._create()
        note = OxmlElement("w:footnote")
        note.set(qn("w:id"), str(self.next_id))
        part.element.append(note)
        self.next_id += 1
        return FootnoteContainer(note, part, text_width(self.word)), self.next_id - 1

    def _create(self) -> StoryPart:
        # Word expects the two separator notes (-1 and 0) before any real one.
        element = parse_xml(
            f"<w:footnotes {nsdecls('w')}>"
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
            "</w:footnote>"
            '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
            "<w:continuationSeparator/></w:r></w:p></w:footnote></w:footnotes>")
        document_part = self.word.part
        self.part = StoryPart(PackURI("/word/footnotes.xml"), FOOTNOTES_TYPE, element,
                              document_part.package)
        document_part.relate_to(self.part, RT.FOOTNOTES)
        return self.part


class FootnoteContainer:
    """python-docx's block container, for a w:footnote: paragraphs and tables, as Word's
    own footnotes hold (python-docx has none for notes)."""

    def __init__(self, element: etree._Element, part: StoryPart, width: Length) -> None:
        self.element = element
        self.part = part
        self.width = width

    def add_paragraph(self) -> Paragraph:
        p = OxmlElement("w:p")
        assert isinstance(p, CT_P)
        self.element.append(p)
        return Paragraph(p, self)

    def add_table(self, rows: int, cols: int) -> Table:
        """A table across the text's width, as in the body."""
        tbl = CT_Tbl.new_tbl(rows, cols, self.width)
        self.element.append(tbl)
        return Table(tbl, self)


def issue_day(meta: Meta) -> datetime.date:
    """The date the Word file carries: the issue date, or for a draft without one a fixed
    day (1980-01-01, the zip format's first), so a rebuild gives the same bytes."""
    return meta.date or datetime.date(1980, 1, 1)


def finish(word: WordDocument, day: datetime.date, doc: Document | None = None,
           words: int = 0) -> bytes:
    if doc is not None:
        _application_properties(word, doc, words)
    out = io.BytesIO()
    word.save(out)
    return _fixed_timestamps(out.getvalue(), day)


def _drop_template_thumbnail(word: WordDocument) -> None:
    """python-docx's template carries a preview picture of another document; file managers
    would show it as this handout's thumbnail."""
    rels = word.part.package.rels
    for r_id in [r for r, rel in rels.items() if rel.reltype.endswith("/thumbnail")]:
        rels.pop(r_id)
        rels.related_parts.pop(r_id, None)


def _fixed_timestamps(data: bytes, day: datetime.date) -> bytes:
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


def _property(text: str) -> str:
    """Word's document properties hold 255 characters; the page keeps the whole text."""
    return text if len(text) <= 255 else text[:254] + "…"
