"""The PDF's structure, as assistive technology and PDF/UA checkers read it.

WeasyPrint 70 tags the running header and footer (margin boxes) as /Span content whose
/NonStruct parents are left out of the structure tree: unreachable elements, and page
furniture read aloud as text (Matterhorn 01-005, 18-001). Here margin boxes are drawn as
pagination artifacts and kept out of the tree, and each link annotation is described by
its aria-label ('Reference 2: Sigtermans et al. 2009') instead of its internal id.
Installed once, before any PDF is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pydyf
from weasyprint import document as weasyprint_document
from weasyprint import pdf as weasyprint_pdf
from weasyprint.formatting_structure import boxes
from weasyprint.pdf import stream as weasyprint_stream
from weasyprint.pdf import tags as weasyprint_tags

# WeasyPrint and pydyf have no type stubs: boxes, streams, pages and the PDF are Any here.
_in_margins: set[int] = set()  # ids of the boxes of the page being drawn that are page furniture
_draw_page = weasyprint_document.draw_page
_marked = weasyprint_stream.Stream.marked
_build_box_tree = weasyprint_tags._build_box_tree
_add_links = weasyprint_pdf.add_links


def _draw_page_noting_margins(page: Any, stream: Any) -> None:
    _in_margins.clear()
    for child in page.children:
        if isinstance(child, boxes.MarginBox):
            _in_margins.update(id(box) for box in child.descendants())
    _draw_page(page, stream)


@contextmanager
def _marked_or_artifact(self: Any, box: Any, tag: str) -> Iterator[None]:
    if self._tags is None or id(box) not in _in_margins:
        with _marked(self, box, tag):
            yield
        return
    self.begin_marked_content("Artifact", pydyf.Dictionary({"Type": "/Pagination"}))
    try:
        yield
    finally:
        self.end_marked_content()


def _build_box_tree_without_margins(box: Any, parent: Any, pdf: Any, page_number: int,
                                    nums: Any, annotations: Any, tags: Any) -> Iterator[Any]:
    if isinstance(box, boxes.MarginBox):
        return  # drawn as artifacts: nothing of them belongs in the structure tree
    yield from _build_box_tree(box, parent, pdf, page_number, nums, annotations, tags)


def _described_links(links_and_anchors: Any, matrix: Any, pdf: Any, page: Any, names: Any,
                     tags: Any) -> None:
    _add_links(links_and_anchors, matrix, pdf, page, names, tags)
    for _, _, _, box in links_and_anchors[0]:
        label = box.element.get("aria-label") if box.element is not None else None
        annotation = getattr(box, "link_annotation", None)
        if label and annotation is not None:
            annotation["Contents"] = pydyf.String(label)


def install() -> None:
    weasyprint_document.draw_page = _draw_page_noting_margins
    weasyprint_stream.Stream.marked = _marked_or_artifact
    weasyprint_tags._build_box_tree = _build_box_tree_without_margins
    weasyprint_pdf.add_links = _described_links
