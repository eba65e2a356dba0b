"""Verify stage: pull the text back out of the written HTML, PDF and DOCX and confirm that
every section heading of the source and every cited work is in each of them.

What is expected comes from the rendered page in memory, before any writer runs; the tests
check that page against the Markdown source and the bibliography themselves.
"""

import re
import unicodedata
from dataclasses import dataclass, field

import docx
import lxml.html
import pypdf
from docx.oxml.ns import qn

from .docx_writer import bookmark_name



@dataclass
class Expected:
    headings: list                              # texts, title first
    references: list                            # cite.Reference
    markers: list = field(default_factory=list)  # in-text citation texts, e.g. "1,2,3"
    linked: set = field(default_factory=set)    # reference anchors the in-text citations link to


@dataclass
class Extracted:
    """What one output holds, as text a reader would see."""
    headings: list
    text: str
    reference_entries: list
    markers: list        # None where the format cannot tell a marker from other text
    link_targets: set
    target_name: object = staticmethod(lambda anchor: anchor)  # HTML id -> this format's name


def expected(doc, citations, page):
    """What every output must hold, read from the rendered page before any writer runs."""
    tree = page.tree
    headings = [_clean(h.text_content()) for h in tree.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    references = citations.references if citations else []
    markers = [_clean(s.text_content()) for s in tree.find_class("citation")]
    linked = {a.get("href")[1:] for s in tree.find_class("citation") for a in s.iter("a")}
    return Expected(headings, references, markers, linked)


def check(paths, want):
    """Missing items as 'format: what is missing' lines; empty when all is there."""
    readers = {"html": read_html, "pdf": read_pdf, "docx": read_docx}
    problems = []
    for fmt, path in paths.items():
        got = readers[fmt](path)
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
    return missing


def read_html(path):
    tree = lxml.html.parse(str(path)).getroot()
    body = tree.find("body")
    return Extracted(
        headings=[h.text_content() for h in body.iter("h1", "h2", "h3", "h4", "h5", "h6")],
        text=body.text_content(),
        reference_entries=[li.text_content() for li in body.xpath("//*[@class='references']/li")],
        markers=[s.text_content() for s in body.find_class("citation")],
        link_targets={a.get("href")[1:] for a in body.iter("a")
                      if (a.get("href") or "").startswith("#")})


def read_pdf(path):
    reader = pypdf.PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
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
                     reference_entries=[text], markers=None, link_targets=targets)


def _outline_titles(outline):
    titles = []
    for item in outline:
        if isinstance(item, list):
            titles += _outline_titles(item)
        else:
            titles.append(str(item.title))
    return titles


def read_docx(path):
    word = docx.Document(str(path))
    paragraphs = [docx.text.paragraph.Paragraph(p, word.part)
                  for p in word.element.body.iter(qn("w:p"))]
    anchors = {h.get(qn("w:anchor")) for h in word.element.body.iter(qn("w:hyperlink"))}
    citation = word.styles["Citation"].style_id
    markers, current = [], []
    for p in paragraphs:  # a marker is a sequence of runs in the Citation style
        for run in p._p.iter(qn("w:r")):
            style = run.find(qn("w:rPr") + "/" + qn("w:rStyle"))
            if style is not None and style.get(qn("w:val")) == citation:
                current.append(docx.text.run.Run(run, p).text)
            elif current:
                markers.append("".join(current))
                current = []
        if current:
            markers.append("".join(current))
            current = []
    return Extracted(
        headings=[p.text for p in paragraphs if p.style.name.startswith("Heading")],
        text="\n".join(p.text for p in paragraphs),
        reference_entries=[p.text for p in paragraphs if p.style.name == "Reference"],
        markers=markers,
        link_targets=anchors & {m.get(qn("w:name"))
                                for m in word.element.body.iter(qn("w:bookmarkStart"))},
        target_name=bookmark_name)


def _plain(html):
    return lxml.html.fragment_fromstring(html, create_parent="div").text_content()


def _clean(text):
    return re.sub(r"\s+", " ", text).strip()


def _squash(text):
    """Text compared without layout: no white space, soft hyphens or case, compatibility
    forms folded (ligatures), so PDF line breaks and small caps do not matter."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return re.sub(r"\s+", "", text).casefold()
