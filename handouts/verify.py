"""Verify stage: pull the text back out of the written HTML, PDF and DOCX and confirm that
the text of every block of the document model is in each of them, in reading order, that
table cells stand in their columns, and that every heading, reference and citation link is
there.

What is expected comes from the model and the rendered page in memory, before any writer
runs. Text is compared as letters and digits only (read.squash), so line breaks, PDF
hyphenation and typographic punctuation do not count; the PDF's running header and footer
are taken off each page before comparing. Nothing else is allowed for.
"""

import copy
import re
import unicodedata
from dataclasses import dataclass, field

import docx
import lxml.etree
import lxml.html
import pypdf
import pypdfium2 as pdfium
from docx.oxml.ns import qn

from . import model as m
from .read import squash
from .messages import catalogue
from .render import doc_control
from .word.blocks import CALLOUT_STYLES
from .word.state import bookmark_name

BOX_STYLES = set(CALLOUT_STYLES.values())  # callouts are one-cell tables, not data tables
WORD_NOTES = "word/footnotes.xml"
# Large pictures make an HTML file past libxml2's default limits; it must read them whole.
HTML_PARSER = lxml.html.HTMLParser(huge_tree=True)


@dataclass
class Block:
    """One block's text as every output must hold it."""
    kind: str
    text: str
    line: int
    notes: bool = False          # a footnote: at the foot of a Word page, at the end elsewhere


@dataclass
class Expected:
    headings: list                              # texts, title first
    references: list                            # cite.Reference
    markers: list = field(default_factory=list)  # in-text citation texts, e.g. "1,2,3"
    linked: set = field(default_factory=set)    # reference anchors the in-text citations link to
    blocks: list = field(default_factory=list)  # Block, in reading order
    tables: list = field(default_factory=list)  # model.Table, in reading order
    furniture: list = field(default_factory=list)  # running header and footer texts
    page_label: object = None                   # (page, pages) -> "Page 1 of 3", in its language


@dataclass
class Extracted:
    """What one output holds, as text a reader would see."""
    headings: list
    text: str
    reference_entries: list
    markers: list        # None where the format cannot tell a marker from other text
    link_targets: set
    target_name: object = staticmethod(lambda anchor: anchor)  # HTML id -> this format's name
    notes: str = None    # footnote text kept apart from the body (Word); None: in text
    tables: list = None  # per table, {(row, column): text}; None: the format cannot tell
    blocks_text: str = None  # the text blocks are looked for in, where not all of text


def expected(document, citations, page):
    """What every output must hold, read from the model and the rendered page."""
    tree = page.tree
    headings = [_clean(h.text_content()) for h in tree.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    references = citations.references if citations else []
    markers = [_clean(s.text_content()) for s in tree.find_class("citation")]
    linked = {a.get("href")[1:] for s in tree.find_class("citation") for a in s.iter("a")}
    meta = document.meta
    return Expected(headings, references, markers, linked, blocks=model_blocks(document),
                    tables=[b for b in m.walk(document.blocks) if isinstance(b, m.Table)],
                    furniture=[doc_control(meta), meta.short_title or meta.title],
                    page_label=lambda page, pages: catalogue(meta.lang)("page", page=page,
                                                                        pages=pages))


def model_blocks(document):
    """The text of every block that holds text itself, in reading order."""
    out = [Block("title", document.meta.title, 1)]
    _collect(document.blocks, out, notes=False, line=None)
    return out


def _collect(blocks, out, notes, line):
    for block in blocks:
        if not isinstance(block, m.BLOCK_TYPES):  # a new type must be taught here too
            raise TypeError(f"verify has no expectation for a {type(block).__name__}")
        line = getattr(block, "line", None) or line
        kind = type(block).__name__
        inside_notes = notes or isinstance(block, m.Footnotes)
        if isinstance(block, m.DefinitionList):  # each term, then what it means
            for item in block.items:
                out += [Block(kind, m.inline_text(t), line, inside_notes) for t in item.terms]
                for definition in item.definitions:
                    _collect(definition, out, inside_notes, line)
            continue
        for inlines in m.inline_lists(block):
            text = m.inline_text(inlines)
            if squash(text):
                out.append(Block(kind, text, line, inside_notes))
        if isinstance(block, m.CodeBlock) and squash(block.text):
            out.append(Block(kind, block.text, line, inside_notes))
        _collect(m.children_of(block), out, inside_notes, line)


def word_count(blocks):
    return sum(len(re.findall(r"\w+", b.text)) for b in blocks)


def check(paths, want):
    """Problems as 'format: what is wrong' lines; empty when all is there."""
    readers = {"html": read_html, "pdf": read_pdf, "docx": read_docx}
    problems = []
    for fmt, path in paths.items():
        got = readers[fmt](path, want)
        problems += [f"{fmt}: {p}" for p in _compare(want, got)]
    return problems


def _compare(want, got):
    missing = []
    headings = {_squash(h) for h in got.headings}
    body = _squash(got.text)
    for heading in want.headings:
        if _squash(heading) not in headings:
            missing.append(f"section heading '{heading}' is missing")
    entries = [_squash(e) for e in got.reference_entries]
    for ref in want.references:
        entry = _squash(_plain(ref.html))
        if entry not in body or not any(entry in e for e in entries):
            missing.append(f"reference {ref.number} ({ref.key}) is missing from the list")
        if ref.anchor in want.linked and got.target_name(ref.anchor) not in got.link_targets:
            missing.append(f"no in-text citation links to reference {ref.number} ({ref.key})")
    markers = [_squash(m) for m in got.markers or []]
    for marker in want.markers if got.markers is not None else []:
        if _squash(marker) not in markers:
            missing.append(f"in-text citation '{marker}' is missing")
        else:
            markers.remove(_squash(marker))
    missing += _compare_blocks(want.blocks, got)
    missing += _compare_tables(want.tables, got.tables)
    return missing


def _compare_blocks(blocks, got):
    """The first block whose text is missing, or stands out of reading order."""
    text = squash(got.blocks_text if got.blocks_text is not None else got.text)
    streams = {False: [text, 0], True: [squash(got.notes) if got.notes is not None else text, 0]}
    for block in blocks:
        stream = streams[block.notes and got.notes is not None]
        wanted = squash(block.text)
        found = stream[0].find(wanted, stream[1])
        if found < 0:
            where = "is out of reading order" if wanted in stream[0] else "is missing"
            shown = _clean(block.text)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return [f"line {block.line}: {_KINDS.get(block.kind, block.kind)} '{shown}' {where}"]
        stream[1] = found + len(wanted)
    return []


_KINDS = {"Paragraph": "text", "Heading": "heading", "DefinitionList": "term",
          "Table": "table caption", "Callout": "box title", "CodeBlock": "code",
          "Figure": "picture caption", "References": "reference", "title": "title"}


def _compare_tables(tables, got_tables):
    if got_tables is None:
        return []
    if len(got_tables) < len(tables):
        return [f"{len(tables) - len(got_tables)} of {len(tables)} tables are missing"]
    for table, cells in zip(tables, got_tables):
        for r, c, cell in table.grid():
            wanted = squash(" ".join(m.inline_text(i) for b in m.walk(cell.blocks)
                                     for i in m.inline_lists(b)))
            if squash(cells.get((r, c), "")) != wanted:
                shown = _clean(" ".join(m.inline_text(i) for b in cell.blocks
                                        for i in m.inline_lists(b)))[:40]
                return [f"line {table.line}: table cell '{shown}' is not in row {r + 1}, "
                        f"column {c + 1}"]
    return []


# -- reading the outputs back ------------------------------------------------------------

def read_html(path, want=None):
    tree = lxml.html.parse(str(path), parser=HTML_PARSER).getroot()
    body = tree.find("body")
    return Extracted(
        headings=[h.text_content() for h in body.iter("h1", "h2", "h3", "h4", "h5", "h6")],
        text=body.text_content(),
        reference_entries=[li.text_content() for li in body.xpath("//*[@class='references']/li")],
        markers=[s.text_content() for s in body.find_class("citation")],
        link_targets={a.get("href")[1:] for a in body.iter("a")
                      if (a.get("href") or "").startswith("#")},
        tables=[_html_table(t) for t in body.find("main").iter("table")])


def _html_table(table):
    rows = []
    for tr in table.iter("tr"):
        if next(tr.iterancestors("table")) is not table:
            continue
        rows.append(m.Row([m.Cell([m.Paragraph([m.Text(_own_text(cell))])],
                                  colspan=int(cell.get("colspan", 1)),
                                  rowspan=int(cell.get("rowspan", 1)))
                           for cell in tr if cell.tag in ("th", "td")]))
    grid = m.Table(rows).grid()
    return {(r, c): m.inline_text(cell.blocks[0].children) for r, c, cell in grid}


def _own_text(cell):
    """A cell's text without the text of tables inside it."""
    cell = copy.deepcopy(cell)
    for inner in list(cell.iter("table")):
        inner.drop_tree()
    return cell.text_content()


def read_pdf(path, want=None):
    reader = pypdf.PdfReader(str(path))
    pages = pdf_page_texts(path)
    text = "\n".join(pages)
    targets = set()
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            dest = annot.get("/Dest") or (annot.get("/A") or {}).get("/D")
            if isinstance(dest, str):
                targets.add(str(dest))
    # The PDF has no structure a text reader can tell a marker by; the link annotations
    # pointing at the reference list stand for the in-text markers.
    return Extracted(headings=_outline_titles(reader.outline), text=text,
                     reference_entries=[text], markers=None, link_targets=targets,
                     blocks_text="".join(_without_furniture(squash(p), n, len(pages), want)
                                         for n, p in enumerate(pages, 1)) if want else None)


def pdf_page_texts(path):
    """Each page's text in drawing order, read by PDFium: the same text a PDF reader finds
    and copies, at a fraction of pypdf's time. PDFium reports a hyphen that ends a line as
    U+FFFE; it is the hyphen printed there."""
    document = pdfium.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range().replace("\ufffe", "-")
                for page in document]
    finally:
        document.close()


def _without_furniture(page, number, total, want):
    """A page's squashed text less the running header and footer at its start and end."""
    pieces = [squash(want.page_label(number, total))] + [squash(t) for t in want.furniture]
    changed = True
    while changed:
        changed = False
        for piece in pieces:
            if piece and page.startswith(piece):
                page, changed = page[len(piece):], True
            if piece and page.endswith(piece):
                page, changed = page[:-len(piece)], True
    return page


def _outline_titles(outline):
    titles = []
    for item in outline:
        if isinstance(item, list):
            titles += _outline_titles(item)
        else:
            titles.append(str(item.title))
    return titles


def read_docx(path, want=None):
    word = docx.Document(str(path))
    body = word.element.body
    paragraphs = [docx.text.paragraph.Paragraph(p, word.part) for p in body.iter(qn("w:p"))]
    notes = _footnotes_element(word)
    stories = [body] + ([notes] if notes is not None else [])  # citations in footnotes too
    anchors = {h.get(qn("w:anchor")) for story in stories for h in story.iter(qn("w:hyperlink"))}
    citation = {word.styles["Citation"].style_id, word.styles["Citation Number"].style_id}
    markers, current = [], []
    for p in (p for story in stories for p in story.iter(qn("w:p"))):
        for run in p.iter(qn("w:r")):  # a marker is a sequence of runs in a Citation style
            style = run.find(qn("w:rPr") + "/" + qn("w:rStyle"))
            if style is not None and style.get(qn("w:val")) in citation:
                current.append("".join(t.text or "" for t in run.iter(qn("w:t"))))
            elif current:
                markers.append("".join(current))
                current = []
        if current:
            markers.append("".join(current))
            current = []
    boxes = {word.styles[name].style_id for name in BOX_STYLES}
    tables = [_word_table(docx.table.Table(t, word.part)) for t in body.iter(qn("w:tbl"))
              if _table_style(t) not in boxes]
    return Extracted(
        headings=[p.text for p in paragraphs if p.style.name.startswith("Heading")
                  or p._p.find(qn("w:pPr") + "/" + qn("w:outlineLvl")) is not None],
        text="\n".join(_paragraph_text(p) for p in body.iter(qn("w:p"))),
        reference_entries=[p.text for p in paragraphs if p.style.name == "Reference"],
        markers=markers,
        link_targets=anchors & {m.get(qn("w:name")) for m in body.iter(qn("w:bookmarkStart"))},
        target_name=bookmark_name,
        notes="\n".join(_paragraph_text(p) for p in notes.iter(qn("w:p")))
        if notes is not None else "",
        tables=tables)


def _paragraph_text(p):
    """All the text of a w:p as Word shows it: hyperlinks included, breaks as spaces, and
    a footnote's number where it is referred to (Word numbers notes 1, 2, ... by id)."""
    parts = []
    for el in p.iter(qn("w:t"), qn("w:br"), qn("w:tab"), qn("w:footnoteReference")):
        if el.tag == qn("w:t"):
            parts.append(el.text or "")
        elif el.tag == qn("w:footnoteReference"):
            parts.append(el.get(qn("w:id")))
        else:
            parts.append(" ")
    return "".join(parts)


def _table_style(tbl):
    style = tbl.find(qn("w:tblPr") + "/" + qn("w:tblStyle"))
    return style.get(qn("w:val")) if style is not None else None


def _word_table(table):
    """{(row, column): text} as Word shows the grid; a cell's own paragraphs only, not those
    of a table inside it (python-docx's cell.paragraphs)."""
    return {(r, c): " ".join(_paragraph_text(p._p) for p in table.cell(r, c).paragraphs)
            for r in range(len(table.rows)) for c in range(len(table.columns))}


def _footnotes_element(word):
    """word/footnotes.xml as an element, or None when the file has no footnotes."""
    for rel in word.part.rels.values():
        if rel.reltype.endswith("/footnotes"):
            return lxml.etree.fromstring(rel.target_part.blob)
    return None


def _plain(html):
    return lxml.html.fragment_fromstring(html, create_parent="div").text_content()


def _clean(text):
    return re.sub(r"\s+", " ", text).strip()


def _squash(text):
    """Text compared without layout: no white space, soft hyphens or case, compatibility
    forms folded (ligatures), so PDF line breaks and small caps do not matter."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return re.sub(r"\s+", "", text).casefold()
