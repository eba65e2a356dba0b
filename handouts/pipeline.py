"""One handout end to end: load, cite, render, write PDF and DOCX, verify, then put the
three outputs in place together. A failure at any step leaves the last good outputs."""

import importlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError, BuildErrors, Refusal
from .load import load

FORMATS = ("html", "pdf", "docx")
# The stages' libraries (Markdown, citeproc, WeasyPrint, python-docx ...) take most of a
# second to load, so each stage is imported where it is first needed: a handout with bad
# front matter is reported at once, and a web-page-only build never loads WeasyPrint.
STAGES = ("read", "cite", "render", "stylesheet", "theme", "report", "summary", "verify",
          "pdf_writer", "word")


def preload():
    """Load every stage now: before worker processes are forked, so they share it."""
    for stage in STAGES:
        importlib.import_module(f".{stage}", __package__)


@dataclass
class Project:
    root: Path

    @property
    def source_dir(self):
        return self.root / "source"

    @property
    def styles_dir(self):
        return self.root / "styles"

    @property
    def output_dir(self):
        return self.root / "output"

    def documents(self):
        return sorted(self.source_dir.glob("*.md"))

    def outputs(self, name):
        return {fmt: self.output_dir / f"{name}.{fmt}" for fmt in FORMATS}

    @property
    def reports_dir(self):
        """One JSON file per handout, written by its last good build (see summary.py)."""
        return self.output_dir / "reports"


@dataclass
class Result:
    name: str
    outputs: dict
    sections: int
    references: int
    blocks: int = 0
    words: int = 0
    reading: object = None     # report.Reading
    meta: object = None        # load.Meta
    seconds: float = 0.0
    warnings: list = field(default_factory=list)
    corrections: list = field(default_factory=list)


@dataclass
class Rendered:
    document: object      # model.Document
    theme: object
    citations: object
    page: object

    @property
    def doc(self):
        return self.document.source

    def expected(self):
        from . import verify
        return verify.expected(self.document, self.citations, self.page)


def render_document(path, project):
    """Load, read, cite and render one handout in memory."""
    if Path(path).resolve().parent != project.source_dir.resolve():
        raise BuildError(path, "is not in the project's source/ folder",
                         "put handouts in source/ and build them from there")
    doc = load(path)
    from . import cite
    from .read import read
    from .render import render
    from .stylesheet import read_stylesheet
    from .theme import load_theme
    theme = load_theme(project.styles_dir / "theme.yaml")
    document = read(doc, project.source_dir)
    citations = cite.prepare(document, project.source_dir)
    cite.resolve(document, citations)
    if citations:
        document.warnings = citations.warnings + document.warnings
    css = read_stylesheet(project.styles_dir / "handout.css")
    return Rendered(document, theme, citations, render(document, theme, css))


def build_document(path, project, strict=False, side_by_side=False):
    """Build and verify the three outputs of one handout; return what was done. A strict
    (release) build stops on any warning, before writing anything. side_by_side writes the
    PDF and the Word file at once on two cores, for a single build (not in workers that
    already share the cores)."""
    started = time.perf_counter()
    rendered = render_document(path, project)
    from . import batch, report, summary, verify
    from .pdf_writer import write_pdf
    doc, page = rendered.doc, rendered.page
    reading = report.reading(rendered.document)
    warnings = report.warnings_for(rendered.document, reading, rendered.theme) + page.warnings
    if strict and warnings:
        raise BuildErrors([Refusal(w) for w in warnings])
    writers = (lambda: write_pdf(page, warnings), lambda: _word_file(rendered))
    pdf, word = batch.side_by_side(*writers) if side_by_side else [w() for w in writers]
    contents = {"html": page.html.encode("utf-8"), "pdf": pdf, "docx": word}
    if strict and warnings:  # an address the PDF writer refused
        raise BuildErrors([Refusal(w) for w in warnings])
    targets = project.outputs(doc.name)
    want = rendered.expected()
    _write_together(contents, targets, doc, want)
    result = Result(doc.name, targets, len(want.headings), len(want.references),
                    blocks=len(want.blocks), words=verify.word_count(want.blocks),
                    warnings=warnings, corrections=doc.meta.corrections, reading=reading,
                    meta=doc.meta, seconds=round(time.perf_counter() - started, 2))
    summary.write_handout_report(project, result)
    return result


def _word_file(rendered):
    from .word import write_docx  # loaded where it runs: beside WeasyPrint, when side by side
    return write_docx(rendered.document, rendered.theme)


def build_web_page(path, project):
    """Only the web page, verified: a quick preview that never loads the PDF or Word
    writers. The PDF and Word file stay as they were, and `make` rebuilds them later."""
    started = time.perf_counter()
    rendered = render_document(path, project)
    target = {"html": project.outputs(rendered.doc.name)["html"]}
    want = rendered.expected()
    _write_together({"html": rendered.page.html.encode("utf-8")}, target, rendered.doc, want)
    from . import verify
    return Result(rendered.doc.name, target, len(want.headings), len(want.references),
                  blocks=len(want.blocks), words=verify.word_count(want.blocks),
                  warnings=list(rendered.page.warnings), corrections=rendered.doc.meta.corrections,
                  meta=rendered.doc.meta, seconds=round(time.perf_counter() - started, 2))


def check_document(path, project):
    """Verify the outputs already on disk against the source; return the problems found."""
    rendered = render_document(path, project)
    from . import verify
    targets = project.outputs(rendered.doc.name)
    absent = [f"{fmt}: {p.name} does not exist; run make" for fmt, p in targets.items()
              if not p.is_file()]
    if absent:
        return absent
    return verify.check(targets, rendered.expected())


def _write_together(contents, targets, doc, want):
    """Write each output to a temporary file beside its target, verify all three, and only
    then rename them into place, so readers never see a half-written or unverified file."""
    from . import verify
    temporary = {}
    try:
        targets["html"].parent.mkdir(parents=True, exist_ok=True)
        for fmt, data in contents.items():
            handle, name = tempfile.mkstemp(prefix=f".{targets[fmt].name}.",
                                            dir=targets[fmt].parent)
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            temporary[fmt] = Path(name)
        problems = verify.check(temporary, want)
        if problems:
            raise BuildError(doc.path, "an output lost content: " + "; ".join(problems),
                             "look in styles/handout.css for rules that hide text or shrink "
                             "the page; if there are none, report this as a bug")
        for fmt, name in temporary.items():
            os.chmod(name, 0o644)
            os.replace(name, targets[fmt])
    except OSError as exc:
        where = exc.filename if exc.filename and not str(exc.filename).startswith(
            str(targets["html"].parent / ".")) else targets["html"].parent
        raise BuildError(where, f"cannot be written ({exc.strerror})",
                         "make output/ a folder you may write to, holding no folders named "
                         "like the handout's outputs") from None
    finally:
        for name in temporary.values():
            if name.exists():
                name.unlink()
