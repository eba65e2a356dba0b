"""PDF stage: print the rendered page with WeasyPrint, as tagged PDF/UA-1.

The page carries its fonts and images as data URLs, so the fetcher below refuses every
other address: rendering never touches the network or a file outside the project.
"""

from __future__ import annotations

import atexit
import base64
import calendar
import contextlib
import datetime
import functools
import hashlib
import logging
import multiprocessing.util
import os
import shutil
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from handouts.diagnostics import WARNING, Diagnostic

if TYPE_CHECKING:
    from handouts.write.html.page import Page


def _load_weasyprint() -> None:
    """import weasyprint, a quarter of a second sooner. WeasyPrint tries several names for
    each system library; cffi asks ctypes.util.find_library about every name that does not
    load as it is, and on Linux each ask runs ldconfig and gcc. The names that end in .so.N
    (.dylib on macOS) load as they are, so the asking is skipped while WeasyPrint loads; a
    machine where only asking finds them loads it again the usual way."""
    import ctypes.util
    import sys
    with warnings.catch_warnings():
        # WeasyPrint asks for the system's HarfBuzz-Subset; font_subset does that job instead.
        warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
        find_library = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            import weasyprint  # noqa: F401
        except OSError:
            for name in [n for n in sys.modules if n.split(".")[0] == "weasyprint"]:
                del sys.modules[name]
            ctypes.util.find_library = find_library
            import weasyprint  # noqa: F401, F811
        finally:
            ctypes.util.find_library = find_library


_load_weasyprint()
import weasyprint  # noqa: E402 (loaded above)
from weasyprint.formatting_structure import boxes  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

from handouts.write.pdf import font_subset  # noqa: E402
from handouts.run import leftovers  # noqa: E402
from handouts.write.pdf import tags as pdf_tags  # noqa: E402

# WeasyPrint logs every CSS property it ignores; the build reports only what matters.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
# Its fonts folder named for the process that made it, so that the next build can remove
# the folder of a process that was killed (leftovers.remove).
weasyprint.text.fonts.mkdtemp = leftovers.fonts_folder
font_subset.install()
pdf_tags.install()


class RefusingFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type stubs
    """Serves data: URLs, the page's own pictures (picture:N, see render._for_print) and
    its fonts (font:N, see web_fonts.whole_faces) only, and records every other reference
    it was asked for."""

    def __init__(self, pictures: Mapping[str, str] | None = None,
                 fonts: Mapping[str, str] | None = None) -> None:
        super().__init__(allowed_protocols={"data"})
        self.refused: list[str] = []
        self.pictures = pictures or {}
        self.fonts = dict(fonts or {})

    def fetch(self, url: str, headers: Mapping[str, str] | None = None
              ) -> URLFetcherResponse:
        if url in self.fonts:
            return URLFetcherResponse(url, Path(self.fonts[url]).read_bytes(),
                                      {"Content-Type": "font/ttf"})
        if url in self.pictures:
            url = self.pictures[url]
        if not url.startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url}: handouts may only use files in source/")
        return super().fetch(url, headers)


XMP_NAMESPACE = "https://schemas.handouts.example/document-control/1.0/"


def _document_control_xmp(page: Page) -> str:
    """Version, dates and approver as XMP, where document managers look for them; given
    to WeasyPrint as a data: URL, the only kind the fetcher serves."""
    fields = {(meta.get("name") or "").removeprefix("handout."): meta.get("content") or ""
              for meta in page.tree.iter("meta")
              if (meta.get("name") or "").startswith("handout.")}
    fields["issued"] = _meta(page, "dcterms.created")
    names = {"version": "Version", "issued": "Issued", "review-due": "ReviewDue",
             "approved-by": "ApprovedBy", "approved-on": "ApprovedOn"}
    body = "".join(f"<handout:{names[k]}>{escape(v)}</handout:{names[k]}>" for k, v in fields.items()
                   if k in names and v)
    xml = (f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           f'<rdf:Description rdf:about="" xmlns:handout="{XMP_NAMESPACE}">{body}</rdf:Description>'
           "</rdf:RDF>")
    return "data:application/rdf+xml;base64," + base64.b64encode(xml.encode()).decode()


def _finish(document: Any, pdf: Any) -> None:  # WeasyPrint's, untyped
    """Open with the bookmarks panel showing; keep the web page's viewport setting, which
    means nothing in a PDF, out of the document information."""
    pdf.catalog["PageMode"] = "/UseOutlines"
    for key in [k for k in pdf.info if str(k).lstrip("/") == "viewport"]:
        del pdf.info[key]


@contextlib.contextmanager
def _fonts_dated(epoch: int) -> Iterator[None]:
    """WeasyPrint turns WOFF fonts (a stylesheet may hold some) into TrueType with
    fontTools, which stamps the current time into each font; SOURCE_DATE_EPOCH fixes it."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _meta(page: Page, name: str, default: str = "") -> str:
    """The content of the page's <meta name=name>."""
    return next((m.get("content") or "" for m in page.tree.iter("meta")
                 if m.get("name") == name), default)


def _issued(page: Page) -> int:
    """The handout's issue date, as seconds since 1970: the date its PDF carries."""
    issued = _meta(page, "dcterms.created", "1980-01-01")
    return calendar.timegm(datetime.date.fromisoformat(issued).timetuple())


_fonts_owner: int | None = None  # the process that made _fonts()._folder, the one to remove it


@functools.lru_cache(maxsize=1)
def _fonts() -> FontConfiguration:
    """One font configuration for every PDF this process prints: each font is registered
    (read, written to a folder, given to fontconfig) once, and Pango keeps its shaped
    faces. The folder is removed when the process ends (see release)."""
    global _fonts_owner
    _fonts_owner = os.getpid()
    _release_at_exit()
    return FontConfiguration()


def _release_at_exit() -> None:
    atexit.register(release)
    multiprocessing.util.Finalize(None, release, exitpriority=10)  # workers skip atexit


def release() -> None:
    """Remove the folder where this process's font configuration wrote its fonts (WeasyPrint
    removes it only when the configuration is collected, which a process ending does not
    wait for). A forked process leaves its parent's folder alone."""
    if _fonts.cache_info().currsize and _fonts_owner == os.getpid() and _fonts()._folder:
        shutil.rmtree(_fonts()._folder, ignore_errors=True)


def _forked() -> None:
    """In a process forked from one that has printed (make watch's warm process): the
    fonts the parent registered stay registered, their files in the parent's folder, but
    any more go to a folder of this process's own. In one shared folder, the next process
    would find a font's file already written and skip registering it, and print the text
    in another font."""
    global _fonts_owner
    if _fonts.cache_info().currsize:
        _fonts()._folder = None  # WeasyPrint makes a new one when it next needs one
        _fonts_owner = os.getpid()


def _pool_worker_started(_: object) -> None:
    """A pool worker forgets its parent's exit handlers after _forked has run; it is given
    its own."""
    if _fonts.cache_info().currsize:
        _release_at_exit()


os.register_at_fork(after_in_child=_forked)
multiprocessing.util.register_after_fork(_fonts, _pool_worker_started)


@functools.lru_cache(maxsize=8)
def _shared_stylesheet(text: str, fonts: tuple[tuple[str, str], ...]
                       ) -> tuple[weasyprint.CSS | None, tuple[str, ...]]:
    """The part of the page's style every handout of the theme shares (its fonts whole,
    the theme and styles/handout.css), parsed once per process: parsing it and registering
    its fonts was a quarter of each PDF's time. Returns the CSS and the addresses its
    parsing refused, which every PDF printed with it reports."""
    fetcher = RefusingFetcher(fonts=dict(fonts))
    with _fonts_dated(0):  # the same bytes whichever handout this process prints first
        css = _parsed(text, fetcher)
    return css, tuple(fetcher.refused)


def _parsed(text: str, fetcher: RefusingFetcher) -> weasyprint.CSS | None:
    """text as a stylesheet for this process's font configuration; None for no text."""
    return weasyprint.CSS(string=text, base_url="about:blank", url_fetcher=fetcher,
                          font_config=_fonts()) if text else None


def write_pdf(page: Page, warnings: list[Diagnostic], extra_css: str = "") -> bytes:
    """Return the PDF bytes; references the fetcher refused are added to warnings.
    extra_css comes last: the folded booklet's smaller page (booklet.py)."""
    fetcher = RefusingFetcher(page.pictures)
    shared, own = page.print_css
    stylesheet, refused = _shared_stylesheet(shared, tuple(sorted(page.print_fonts.items())))
    html = weasyprint.HTML(string=page.print_html, base_url="about:blank", url_fetcher=fetcher)
    # The same page gives the same /ID, so rebuilds are byte-identical.
    content = hashlib.sha256(page.print_html.encode())
    for part in (shared, own, extra_css):
        content.update(part.encode())
    for address in sorted(page.pictures):  # the pictures are served apart from the page
        content.update(page.pictures[address].encode())
    identifier = content.hexdigest()[:32].encode()
    with _fonts_dated(_issued(page)):
        stylesheets = [css for css in (stylesheet, _parsed(own, fetcher),
                                       _parsed(extra_css, fetcher)) if css]
        document = _paginated(html, stylesheets, fetcher)
        pdf: bytes = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=identifier,
                                        custom_metadata=True, uncompressed_pdf=False,
                                        xmp_metadata=[_document_control_xmp(page)],
                                        finisher=_finish)
    # About the page, not a line of a file (the writer is given the page alone): no path.
    warnings.extend(Diagnostic(None, f"refused to load '{url[:80]}': only files in source/ may "
                               "be used", code="refused-address", severity=WARNING)
                    for url in [*refused, *fetcher.refused])
    return pdf


# -- pagination: pictures scaled down before they move, a last page worth printing -------

SMALLEST_PICTURE = 0.7   # a picture may be set this much smaller to stay on its page
SCALING_PASSES = 3       # layouts that may set pictures smaller, after the first
HEADINGS = {"h2", "h3", "h4", "h5", "h6"}
LAST_PAGE = 0.25         # a last page holding less than this of a page is tightened away
# A second layout, only when the first leaves a nearly empty last page: every gap a
# little smaller, the reference list set closer, pictures at most 85% as tall.
# (The page checker, check/pages.py, holds pictures to the same 70%: it imports no writer.)
TIGHTER = """@media print {
  p, ul, ol, dl, table, figure { margin-bottom: 0.4em; }
  li { margin-bottom: 0.1em; }
  h2 { margin-top: 0.9em; margin-bottom: 0.3em; }
  h3 { margin-top: 0.7em; }
  .callout { margin: 0.5em 0 0.6em; padding-top: 0.4em; }
  .contact-panel { margin: 1em 0; }
  .colophon { margin-top: 1em; }
  ol.references li, ul.references li { margin-bottom: 0.15em; line-height: 1.3; }
}"""
TIGHTER_PICTURE = 0.85   # and pictures at most this part of their height


def _paginated(html: Any, stylesheets: list[Any], fetcher: RefusingFetcher) -> Any:
    """The page laid out (WeasyPrint's Document), with the rules CSS cannot say: a picture
    that would leave a hole where it did not fit is set smaller (to SMALLEST_PICTURE at
    least) to stay on the page before, and the text after it flows up; a handout whose last
    page would hold less than LAST_PAGE of a page is laid out again a little tighter (its
    pictures fitted again), and kept so only where that saves the page. Each further
    layout happens only when needed."""
    def render(extra: str) -> Any:
        sheets = stylesheets + ([_parsed(extra, fetcher)] if extra else [])
        return html.render(stylesheets=sheets, font_config=_fonts())

    def fitted(extra: str, heights: dict[str, float], document: Any = None
               ) -> tuple[Any, dict[str, float]]:
        """Laid out with extra and pictures no taller than heights (document, if laid out
        so already); and again, each picture that would leave a hole set smaller, while one
        does (a picture scaled moves every page after it)."""
        document = document or render(_heights_css(heights) + extra)
        for _ in range(SCALING_PASSES):
            more = {src: height for src, height in _scaled_pictures(document).items()
                    if height >= SMALLEST_PICTURE * natural.get(src, height) - 1}
            if not more:
                break
            heights = {**heights, **more}
            document = render(_heights_css(heights) + extra)
        return document, heights

    first = render("")
    natural = _picture_heights(first)
    document, scaled = fitted("", {}, first)
    if len(document.pages) > 1 and _last_page_filled(document) < LAST_PAGE:
        smaller = {src: min(scaled.get(src, height), TIGHTER_PICTURE * height)
                   for src, height in natural.items()}
        tighter, _ = fitted(TIGHTER, smaller)
        if len(tighter.pages) < len(document.pages):
            document = tighter
    return document


def _heights_css(heights: dict[str, float]) -> str:
    """CSS setting each picture (by its picture:N address) no taller than its height, px."""
    rules = [f'img[src="{src}"] {{ max-height: {height:.1f}px; width: auto; }}'
             for src, height in sorted(heights.items())]
    return "@media print {\n" + "\n".join(rules) + "\n}\n" if rules else ""


def _picture_heights(document: Any) -> dict[str, float]:
    """Each figure's picture's laid out height, by its address."""
    found: dict[str, float] = {}
    for page in document.pages:
        for figure in _content(page)[2]:
            if figure.element_tag != "figure":
                continue
            for box in figure.descendants():
                if (isinstance(box, boxes.ReplacedBox) and box.element_tag == "img"
                        and box.element is not None):
                    found.setdefault(box.element.get("src", ""), box.height)
    return found


def _content(page: Any) -> tuple[float, float, list[Any]]:
    """The top and bottom of a page's text box and the boxes laid out in it, in CSS px."""
    box = page._page_box
    top = box.content_box_y()
    inside = [d for child in box.children if not isinstance(child, boxes.MarginBox)
              for d in child.descendants()]
    return top, top + box.height, inside


def _bottom(inside: list[Any]) -> float | None:
    ends = [b.position_y + b.margin_height() for b in inside
            if isinstance(b, (boxes.LineBox, boxes.ReplacedBox))]
    return max(ends) if ends else None


def _last_page_filled(document: Any) -> float:
    top, bottom, inside = _content(document.pages[-1])
    end = _bottom(inside)
    return 0.0 if end is None else (end - top) / (bottom - top)


def _px(value: Any) -> float:
    """A computed length in CSS px (WeasyPrint's Dimension, or a number)."""
    return float(getattr(value, "value", value) or 0)


def _leads_in(box: Any) -> bool:
    """A line of a paragraph kept with what follows it, which moved with it: one that
    introduces it (p.lead-in), or a line's paragraph under a heading (p.short)."""
    return box.element_tag == "p" and box.element is not None and \
        bool({"lead-in", "short"} & set((box.element.get("class") or "").split()))


def _picture_in(box: Any) -> Any:
    """The first picture a box holds (an img's box), or None."""
    return next((d for d in box.descendants() if isinstance(d, boxes.ReplacedBox)
                 and d.element_tag == "img" and d.element is not None), None)


def _kept_after(figure: Any, inside: list[Any]) -> float:
    """The height of what must follow a figure onto its page: the blocks after it that
    avoid a break before them (the clinic's name at a handout's end), one after another,
    up to the first line of one that may break after it."""
    top = figure.position_y + figure.margin_height()
    end = top
    while True:  # (a margin between two blocks is shared: the next starts inside it)
        kept = next((b for b in inside if isinstance(b, boxes.BlockBox)
                     and end - _px(b.style["margin_top"]) - 1 < b.position_y < end + 1
                     and b.style["break_before"] == "avoid"), None)
        if kept is None:
            return float(end - top)
        # its first line comes along; a break may follow that
        first = next((d for d in kept.descendants() if isinstance(d, boxes.LineBox)), None)
        if first is None or first.position_y + first.margin_height() >= \
                kept.position_y + kept.margin_height() - 1:
            end = kept.position_y + kept.margin_height()
        else:
            return float(first.position_y + first.margin_height() - top)


def _scaled_pictures(document: Any) -> dict[str, float]:
    """The height (px) for each picture that starts a page (in a figure or a list item,
    alone or under the headings and the line introducing it, kept with it) and would fit
    at the foot of the page before at SMALLEST_PICTURE or more: the height that fits."""
    heights: dict[str, float] = {}
    for before, page in zip(document.pages, document.pages[1:]):
        top, bottom, inside = _content(page)
        _, end_before, on_before = _content(before)
        used = _bottom(on_before)
        if used is not None:  # and the space the blocks ending there keep under them
            used = max([used] + [b.position_y + b.margin_height() for b in on_before
                                 if isinstance(b, boxes.BlockBox) and abs(
                                     b.position_y + b.margin_height()
                                     - _px(b.style["margin_bottom"]) - used) < 2])
        # a figure, or a list item holding a picture ("Check the screen:" over it)
        figure, picture = next(((b, p) for b in inside
                                if b.element_tag in ("figure", "li")
                                and isinstance(b, boxes.BlockBox)
                                for p in [_picture_in(b)] if p is not None), (None, None))
        if used is None or figure is None or picture is None:
            continue
        # Only headings and a line introducing it may stand above it: they moved with it.
        # (Half a pixel's grace: the picture's own top was read a rounding above its
        # figure's, which had kept every picture that starts a page from being scaled.)
        above = [b for b in inside if isinstance(b, (boxes.LineBox, boxes.ReplacedBox))
                 and b.position_y < figure.position_y - 0.5]
        if any(b.element_tag not in HEADINGS and not _leads_in(b) for b in above):
            continue
        headings = figure.position_y - top
        if headings > 0:  # their space above, which the page's top took away, comes back
            headings += max((_px(b.style["margin_top"]) for b in inside
                             if b.element_tag in HEADINGS), default=0.0)
        room = end_before - used - headings - (figure.margin_height() - picture.height) - 2 \
            - _kept_after(figure, inside)
        if SMALLEST_PICTURE * picture.height <= room < picture.height:
            heights[picture.element.get("src", "")] = room
    return heights
