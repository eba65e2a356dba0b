"""The PDF read back: its text by PDFium, page by page without the running header and
footer; its outline and link targets by pypdf."""

import pypdf
import pypdfium2 as pdfium

from ..read import squash
from . import Extracted


def read(path, want=None):
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
    """A page's squashed text less the running header and footer at its start and end. Each
    is drawn once a page, so each is taken off once at each end: the title page's own
    title and version line, which the footer repeats, stay."""
    # The running title (furniture[1:]) is printed from page 2 on; the first page has none.
    furniture = want.furniture if number > 1 else want.furniture[:1]
    pieces = [squash(want.page_label(number, total))] + [squash(t) for t in furniture]
    for at_start in (True, False):
        left = [piece for piece in pieces if piece]
        while found := next((p for p in left if (page.startswith(p) if at_start
                                                 else page.endswith(p))), None):
            page = page[len(found):] if at_start else page[:-len(found)]
            left.remove(found)
    return page


def _outline_titles(outline):
    titles = []
    for item in outline:
        if isinstance(item, list):
            titles += _outline_titles(item)
        else:
            titles.append(str(item.title))
    return titles
