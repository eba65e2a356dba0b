"""One handout end to end: load, cite, render, write PDF and DOCX, verify, then put the
three outputs in place together. A failure at any step leaves the last good outputs."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from handouts.read import editions
from handouts.run import leftovers
from handouts.diagnostics import RELEASE_BLOCKING, WARNING, Diagnostic, Diagnostics
from handouts.read.front_matter import Document as Source, Meta, load
from handouts.furniture import booklet_footer
from handouts.paths import Outside, inside
from handouts.run.project import Project, inputs_digest

if TYPE_CHECKING:
    from handouts import model as m
    from handouts.check import Expected, Problem
    from handouts.check.reading import Reading
    from handouts.cite.format import Citations
    from handouts.run.batch import Beside
    from handouts.style.theme import Theme
    from handouts.write.html.page import Page

# The stages' libraries (Markdown, citeproc, WeasyPrint, python-docx ...) take most of a
# second to load, so each stage is imported where it is first needed: a handout with bad
# front matter is reported at once, and a web-page-only build never loads WeasyPrint.
STAGES = ("read.markdown", "cite.format", "write.html.page", "style.stylesheet", "style.theme",
          "check.reading", "run.summary", "check", "write.pdf.writer", "write.docx")
# A build's start is taken this much early: file systems stamp a change with a clock that
# may lag the one Python reads by a tick, and a change during a build must not look older.
CLOCK_SLACK = 0.05


def preload() -> None:
    """Load every stage now: before worker processes are forked, so they share it."""
    for stage in STAGES:
        importlib.import_module(f"handouts.{stage}")


@dataclass
class Result:
    name: str
    outputs: dict[str, Path]
    sections: int
    references: int
    meta: Meta
    blocks: int = 0
    words: int = 0
    reading: Reading | None = None  # None: a web page only
    seconds: float = 0.0
    edition: str = ""          # the edition, when the handout has editions
    booklet: Path | None = None  # output/NAME-booklet.pdf, when one was asked for
    warnings: list[Diagnostic] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)


@dataclass
class Rendered:
    document: m.Document
    theme: Theme
    citations: Citations | None
    page: Page

    @property
    def doc(self) -> Source:
        return self.document.source

    def expected(self) -> Expected:
        from handouts import check as verify
        return verify.expected(self.document, self.citations, self.theme)


def load_handout(path: Path, project: Project) -> Source:
    """The handout's front matter and text, checked; only handouts in source/ are built."""
    try:
        if Path(path).absolute().parent.resolve() != project.source_dir.resolve():
            raise Outside(path)
        inside(project.source_dir, Path(path).name)
    except Outside:
        raise Diagnostic(path, "is not a file in the project's source/ folder",
                         "put the handout itself in source/ (not a link to elsewhere) and "
                         "build it from there") from None
    return load(path)


def render_document(path: Path, project: Project, edition: str | None = None) -> Rendered:
    """Load, read, cite and render one handout (one edition of it) in memory."""
    return render_edition(editions.select(load_handout(path, project), edition), project)


def render_edition(doc: Source, project: Project) -> Rendered:
    """Read, cite and render one loaded document in memory."""
    from handouts.cite import format as cite
    from handouts.read.markdown import read
    from handouts.write.html.page import render
    from handouts.style.stylesheet import read_stylesheet
    from handouts.style.theme import load_theme
    theme = load_theme(project.styles_dir / "theme.yaml")
    if "lang" in doc.meta.missing:  # a draft in the theme's language
        doc = dataclasses.replace(doc, meta=dataclasses.replace(doc.meta, lang=theme.lang))
    doc = editions.fill_contact(doc, theme.organisation)
    document = read(doc, project.source_dir)
    document.warnings = [*doc.warnings, *document.warnings]  # the front matter's first
    citations = cite.prepare(document, project.source_dir)
    cite.resolve(document, citations)
    if citations:
        document.warnings = [*citations.warnings, *document.warnings]
    css = read_stylesheet(project.styles_dir / "handout.css")
    return Rendered(document, theme, citations, render(document, theme, css))


def build_handout(path: Path, project: Project, strict: bool = False,
                  side_by_side: bool = False, booklet: bool = False) -> list[Result]:
    """Build and verify the three outputs of each edition of one handout (of the handout,
    when it has none); return what was done, a Result per edition. A strict (release)
    build stops on any warning, before writing anything. side_by_side prints the PDFs in a
    process forked at once, which loads WeasyPrint while this one renders the first page
    and then prints while this one writes the Word file: for a single build, not in workers
    that already share the cores. booklet (make booklet) writes each edition's folded
    booklet too, as 'paper: booklet' in the front matter or the theme does."""
    from handouts.run import batch
    from handouts.run import summary
    started = time.time() - CLOCK_SLACK
    shared = inputs_digest(project.shared_inputs())
    results: list[Result] = []
    try:
        with batch.Beside(_printed, _load_printer, fork=side_by_side and not strict,
                          finish=_release_printer) as printer:
            doc = load_handout(path, project)
            for edition in editions.documents(doc):
                results.append(build_edition(edition, project, strict, printer, booklet))
    except BaseException:
        if results:  # editions put in place before one failed: the report says so
            with contextlib.suppress(OSError):  # what failed is the error to report
                summary.write_editions_report(project, Path(path).stem, results)
        raise
    summary.write_handout_report(project, Path(path).stem, results, started, shared)
    if strict:  # released: its files and approval record kept in output/archive/
        _archive_release(project, Path(path))
    return results


def _archive_release(project: Project, path: Path) -> None:
    from handouts.run import archive
    try:
        archive.release(project, path.stem)
    except OSError as exc:
        raise Diagnostic(exc.filename or project.archive_dir,
                         f"the release cannot be archived ({exc.strerror})",
                         "make output/archive/ a folder you may write to, and release again"
                         ) from None


def build_document(path: Path, project: Project, strict: bool = False,
                   side_by_side: bool = False) -> Result:
    """build_handout for a handout without editions: its one Result."""
    return build_handout(path, project, strict, side_by_side)[0]


def build_edition(doc: Source, project: Project, strict: bool,
                  printer: Beside[tuple[bytes, list[Diagnostic]]],
                  booklet: bool = False) -> Result:
    """The three outputs of one loaded document (a handout, or one edition of it); the PDF
    is printed by printer (a batch.Beside of _printed)."""
    started = time.perf_counter()
    rendered = render_edition(doc, project)
    doc, page = rendered.doc, rendered.page
    targets, want = project.outputs(doc.name), rendered.expected()
    printer.send(page)
    from handouts.check import reading as report
    from handouts import check as verify
    reading = report.reading(rendered.document, rendered.theme.organisation.contact_values())
    warnings: list[Diagnostic] = [*report.warnings_for(rendered.document, reading, rendered.theme)]
    if strict:  # a release: before anything is written
        _refuse_release(editions.named(doc, warnings + page.warnings))
    with _writing(targets, doc) as staged:
        _stage({"html": page.html.encode("utf-8"), "docx": _word_file(rendered)}, targets,
               staged)
        problems = verify.check(staged, want)  # while the PDF is printed beside
        importlib.import_module("handouts.check.pdf")
        printed, refused = printer.result()
        pages = _stage({"pdf": printed}, targets, staged)
        warnings += page.warnings + refused
        if strict:  # an address the PDF writer refused (the rest passed above)
            _refuse_release(editions.named(doc, refused))
        _commit(staged, targets, doc, problems + verify.check(pages, want))
    folded = None
    if booklet or doc.meta.booklet or rendered.theme.booklet:
        from handouts.write.pdf import booklet as folding
        folded = project.output_dir / f"{doc.name}-booklet.pdf"
        margins = folding.half_margins(rendered.theme.margins_mm)
        # Its half pages checked as the ordinary PDF is: every block's text, on the page.
        top, right, bottom, left = (margins[side] * 72 / 25.4
                                    for side in ("top", "right", "bottom", "left"))
        half = dataclasses.replace(want, margins=(top, right, bottom, left))
        folding.write_booklet(page, doc.meta.paper or rendered.theme.paper,
                              rendered.theme.margins_mm, folded,
                              lambda pdf: [p.what for p in verify.check({"pdf": pdf}, half)],
                              booklet_footer(doc.meta))
    unread = verify.unreadable_in_pdf(want)
    if unread:  # found after the release checks: as before, a release is not refused for it
        warnings.append(Diagnostic(
            doc.path, f"{unread} blocks in Arabic script cannot be read back out of the PDF to "
            "be checked (its joined letters)", "they were checked in the web page and Word "
            "file: look at the PDF's pages", code="pdf-unchecked-script", severity=WARNING))
    result = _result(doc, targets, want, started, warnings, reading)
    result.booklet = folded
    return result


def _refuse_release(warnings: Sequence[Diagnostic]) -> None:
    """A release build stops on the warnings whose code is in RELEASE_BLOCKING, each an
    error of its own."""
    refused = [d.as_error() for d in warnings if d.code in RELEASE_BLOCKING]
    if refused:
        raise Diagnostics(refused)


def _load_printer() -> None:
    """WeasyPrint, loaded beside the page's rendering."""
    from handouts.write.pdf import writer as pdf_writer  # noqa: F401


def _release_printer() -> None:
    """What the printing process leaves behind, removed before it ends."""
    from handouts.write.pdf import writer as pdf_writer
    pdf_writer.release()


def _printed(page: Page) -> tuple[bytes, list[Diagnostic]]:
    """The PDF's bytes, and the addresses the writer refused."""
    from handouts.write.pdf.writer import write_pdf
    refused: list[Diagnostic] = []
    return write_pdf(page, refused), refused


def _result(doc: Source, targets: dict[str, Path], want: Expected, started: float,
            warnings: list[Diagnostic], reading: Reading | None = None) -> Result:
    from handouts import check as verify
    return Result(doc.name, targets, len(want.headings), len(want.references), doc.meta,
                  blocks=len(want.blocks), words=verify.word_count(want.blocks),
                  warnings=editions.named(doc, warnings), corrections=doc.meta.corrections,
                  reading=reading,
                  seconds=round(time.perf_counter() - started, 2),
                  edition=doc.edition)


def _word_file(rendered: Rendered) -> bytes:
    from handouts.write.docx import write_docx  # loaded where it runs: beside WeasyPrint, when side by side
    return write_docx(rendered.document, rendered.theme)


def build_web_page(path: Path, project: Project) -> list[Result]:
    """Only the web pages, verified: a quick preview that never loads the PDF or Word
    writers. The PDF and Word file stay as they were, and `make` rebuilds them later."""
    return [_web_page(edition, project)
            for edition in editions.documents(load_handout(path, project))]


def _web_page(doc: Source, project: Project) -> Result:
    started = time.perf_counter()
    rendered = render_edition(doc, project)
    target = {"html": project.outputs(rendered.doc.name)["html"]}
    want = rendered.expected()
    _write_together({"html": rendered.page.html.encode("utf-8")}, target, rendered.doc, want)
    return _result(rendered.doc, target, want, started, list(rendered.page.warnings))


def check_document(path: Path, project: Project) -> list[str]:
    """Verify the outputs already on disk against the source; return the problems found."""
    from handouts import check as verify
    problems: list[str] = []
    for doc in editions.documents(load_handout(path, project)):
        rendered = render_edition(doc, project)
        targets = project.outputs(doc.name)
        absent = [f"{fmt}: {p.name} does not exist; run make" for fmt, p in targets.items()
                  if not p.is_file()]
        problems += absent or verify.check(targets, rendered.expected())
    return problems


def _write_together(contents: Mapping[str, bytes], targets: dict[str, Path], doc: Source,
                    want: Expected) -> None:
    """Write each output to a temporary file beside its target, verify them, and only then
    rename them into place, so readers never see a half-written or unverified file."""
    from handouts import check as verify
    with _writing(targets, doc) as staged:
        _stage(contents, targets, staged)
        _commit(staged, targets, doc, verify.check(staged, want))


def _stage(contents: Mapping[str, bytes], targets: dict[str, Path],
           staged: dict[str, Path]) -> dict[str, Path]:
    """Each output written to a temporary file beside its target, and put in staged (which
    _writing removes, whatever happens) as soon as it exists: {format: path} of these."""
    targets["html"].parent.mkdir(parents=True, exist_ok=True)
    written = {}
    for fmt, data in contents.items():
        handle, name = tempfile.mkstemp(prefix=leftovers.staged_prefix(targets[fmt]),
                                        dir=targets[fmt].parent)
        staged[fmt] = written[fmt] = Path(name)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
    return written


def _commit(staged: dict[str, Path], targets: dict[str, Path], doc: Source,
            problems: list[Problem]) -> None:
    """The staged outputs renamed into place, all of them, if verification found nothing;
    else each problem an error of its own, at its line where known."""
    if problems:
        raise Diagnostics([Diagnostic(doc.path, f"an output lost content: {p.fmt}: {p.what}",
                                      "look in styles/handout.css for rules that hide text or "
                                      "shrink the page; if there are none, report this as a "
                                      "bug", p.line, code="lost-content") for p in problems])
    for fmt, name in staged.items():
        os.chmod(name, 0o644)
        os.replace(name, targets[fmt])


@contextlib.contextmanager
def _writing(targets: dict[str, Path], doc: Source) -> Iterator[dict[str, Path]]:
    """Yields a dict for the staged files; whatever happens, none is left behind, and a file
    that cannot be written is an error for people."""
    staged: dict[str, Path] = {}
    try:
        yield staged
    except OSError as exc:
        where = exc.filename if exc.filename and not str(exc.filename).startswith(
            str(targets["html"].parent / ".")) else targets["html"].parent
        raise Diagnostic(where, f"cannot be written ({exc.strerror})",
                         "make output/ a folder you may write to, holding no folders named "
                         "like the handout's outputs") from None
    finally:
        for name in staged.values():
            if name.exists():
                name.unlink()
