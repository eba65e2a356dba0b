"""Load stage: read source/NAME.md, split YAML front matter from the Markdown body, validate."""

from __future__ import annotations

import contextlib
import datetime
import re
import tomllib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, Protocol

import yaml

from handouts.diagnostics import WARNING, Diagnostic, Diagnostics

REQUIRED = ("title", "lang", "version", "date", "review_due")
OPTIONAL = ("subtitle", "short_title", "audience", "organisation", "author", "keywords",
            "bibliography", "csl", "paper", "corrections", "nocite", "approved_by",
            "approved_on", "reading_grade_target", "defined_terms", "editions", "url",
            "abstract", "description", "authors",
            # Pandoc's own that change the output: entries written in the front matter
            # (CSL-YAML), no reference list, and citations not linked to their entries
            "references", "suppress-bibliography", "link-citations")
PANDOC_FLAGS = {"suppress-bibliography": False, "link-citations": True}
# Document control: a handout without one of these builds as a draft, marked DRAFT on every
# page, with a warning for each (its code in RELEASE_BLOCKING: a release refuses it). A
# missing title is taken from a leading '# Heading', else from the file name.
CONTROL = {"version": "missing-version", "date": "missing-date",
           "review_due": "missing-review-due", "lang": "missing-lang"}
DEFAULT_LANG = "en"  # until the theme's language is known (pipeline.render_edition)
# Keys of Pandoc, Quarto, R Markdown, Jekyll, Hugo and MkDocs that tell those tools how to
# render, publish or list a page: nothing here prints them, so they are ignored without a
# word. Any other key is listed in one warning (a typo of one of ours looks the same).
OTHER_TOOLS = frozenset("""
    output format formats editor editor_options execute jupyter engine knitr params runtime
    filters shortcodes freeze toc toc-depth toc-title toc_depth number-sections
    number_sections documentclass classoption geometry fontsize mainfont sansfont monofont
    linestretch papersize margin header-includes include-before include-after
    include-in-header css highlight-style highlight code-fold code-tools code-overflow
    fig-cap-location fig-width fig-height fig_caption self-contained embed-resources
    theme always_allow_html vignette site github-repo description-meta
    link-external-icon link-external-newwindow colorlinks linkcolor urlcolor citecolor
    lof lot title-block-banner title-block-style page-layout sidebar comments lightbox
    crossref citation google-scholar license copyright appendix-style funding doi
    affiliations institute thanks date-format date-modified image images categories tags
    draft weight layout slug aliases type permalink published excerpt excerpt_separator
    lastmod publishDate expiryDate summary linkTitle menu series featured_image outputs
    markup resources cascade build headless isCJKLanguage nav_order parent has_children
    redirect_from sitemap last_modified_at share header classes template hide search
    status icon dir abstract-title reference-section-title
""".split())
DATES = ("date", "review_due", "approved_on")
PAPERS = ("letter", "a4")
PAPER_HINT = ("use letter or a4, and booklet for a folded booklet as well (paper: booklet, "
              "paper: a4 booklet)")


def read_paper(value: str) -> tuple[str, bool] | None:
    """'letter', 'a4', 'booklet', 'a4 booklet' ... as (size, or '' for the theme's, and
    whether a folded booklet is wanted); None for anything else."""
    words = str(value).lower().replace(",", " ").split()
    sizes = [w for w in words if w in PAPERS]
    if len(sizes) > 1 or any(w not in PAPERS and w != "booklet" for w in words):
        return None
    return (sizes[0] if sizes else "", "booklet" in words)
AUDIENCES = ("patients", "clinicians")
DEFAULT_AUDIENCE = "patients"
DEFAULT_CSL = "american-medical-association"
DEFAULT_READING_GRADE = 8  # for patients: the highest reading grade wanted
# Characters XML (and so HTML, DOCX and PDF text) cannot hold, and lone surrogates, which
# a YAML or JSON escape ("\\ud800") can spell though UTF-8 cannot.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
# The DOCX is a zip, whose dates run from 1980 to 2107.
YEARS = range(1980, 2108)
# BCP 47 tags as handouts use them: en, en-US, es-419, zh-Hant-TW.
LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# An edition's name becomes part of file names: NAME-patient.pdf.
EDITION = re.compile(r"^[a-z][a-z0-9]*$")
# Front matter, themes and CSL-YAML nest a few levels; the composer recurses per level.
MAX_YAML_DEPTH = 50
MAX_YAML_VALUES = 1_000_000  # written out, aliases expanded; a large CSL-YAML export has 200,000
# A handout is tens of kilobytes and a title a line: limits far past any real one, checked
# before the expensive stages, so a pasted megabyte gets a clear line, not minutes of work.
MAX_HANDOUT_BYTES = 250_000  # two editions of 350 KB took 48 s on a busy 2-core machine
MAX_VALUE_CHARS = 1_000
MAX_ABSTRACT_CHARS = 5_000  # a journal's abstract runs to 300 words
MAX_TITLE_CHARS = 300     # a title set large on the first page must leave room for the text
TITLES = ("title", "subtitle", "short_title")
RUNNING_TITLE_CHARS = 80  # the running header: one line in its box at the page's top left
# What an edition may set of its own: editions: {referrer: {readers: clinicians, title: ...}}
EDITION_FIELDS = ("readers", "title", "subtitle", "short_title")


@dataclass(frozen=True)
class EditionTitles:
    """An edition's own title, subtitle and short title; empty: the handout's."""
    title: str = ""
    subtitle: str = ""
    short_title: str = ""


@dataclass
class Meta:
    title: str
    lang: str
    version: str = ""                        # empty: a draft (see missing)
    date: datetime.date | None = None        # None: a draft
    review_due: datetime.date | None = None  # None: a draft
    subtitle: str = ""
    short_title: str = ""
    audience: str = DEFAULT_AUDIENCE
    organisation: str = ""
    author: str = ""
    keywords: list[str] = field(default_factory=list)
    bibliography: str | list[str] = ""    # a file name, or a list of them
    nocite: list[str] = field(default_factory=list)  # keys listed without being cited; '*': all
    csl: str = DEFAULT_CSL
    paper: str = ""          # empty: the theme's paper
    booklet: bool = False    # paper: booklet: a folded booklet too (write/pdf/booklet.py)
    corrections: list[str] = field(default_factory=list)
    approved_by: str = ""           # "Name, Role": who approved this version for release
    approved_on: datetime.date | None = None
    reading_grade_target: float = DEFAULT_READING_GRADE
    defined_terms: list[str] = field(default_factory=list)  # terms the text explains itself
    editions: list[str] = field(default_factory=list)  # e.g. [patient, referrer]; see editions.py
    edition_audiences: dict[str, str] = field(default_factory=dict)  # edition -> readers
    edition_titles: dict[str, EditionTitles] = field(default_factory=dict)  # edition -> own
    url: str = ""            # the online copy: a QR code and the address on paper
    abstract: str = ""       # printed under the title (Pandoc's abstract, or description)
    references: list[dict[str, object]] = field(default_factory=list)  # CSL-YAML entries
    suppress_bibliography: bool = False  # Pandoc's suppress-bibliography: no reference list
    link_citations: bool = True          # Pandoc's link-citations: false, no links
    missing: tuple[str, ...] = ()  # document control the front matter lacks (CONTROL)

    @property
    def draft(self) -> bool:
        """A draft lacks document control: every page of its outputs is marked DRAFT.
        (One without an approver is a draft to the catalogue too, as it always was.)"""
        return bool(self.missing)

    @property
    def running_title(self) -> str:
        """The running header's words: short_title, else the title, cut at a word before
        RUNNING_TITLE_CHARS with '…'. The header is laid out again on every page, so a long
        title would cost pages times its length, and run out of its box."""
        title = self.short_title or self.title
        if len(title) <= RUNNING_TITLE_CHARS:
            return title
        cut = title[:RUNNING_TITLE_CHARS]
        return (cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut).rstrip(" ,;:-") + "…"


@dataclass
class Document:
    path: Path
    meta: Meta
    body: str
    body_line: int            # line of the file on which the body starts (1-based)
    field_lines: dict[str, int]  # front-matter key -> line in the file, for error messages
    edition: str = ""         # the edition this body is, when the handout has editions
    warnings: list[Diagnostic] = field(default_factory=list)  # the front matter's

    @property
    def name(self) -> str:
        """The outputs' name: NAME, or NAME-EDITION for each edition."""
        return f"{self.path.stem}-{self.edition}" if self.edition else self.path.stem

    def line_of(self, key: str | None) -> int | None:
        return self.field_lines.get(key) if key is not None else None

    def error(self, message: str, hint: str = "", key: str | None = None,
              line: int | None = None) -> Diagnostic:
        """A Diagnostic pointing at a front-matter key or a line of this file."""
        return Diagnostic(self.path, message, hint, line or self.line_of(key))


def load(path: str | Path) -> Document:
    """Read and validate one handout; raise Diagnostic on anything a person must fix."""
    path = Path(path)
    text = _read_text(path)
    front, body, body_line, toml = _split(path, text)
    if toml:
        data, field_lines = _parse_toml(path, front), _toml_key_lines(front, first_line=2)
    elif text.startswith("%"):
        body, data, field_lines = _pandoc_title_block(text)
        body_line = 1
    else:
        data, field_lines = _parse_yaml(path, front), key_lines(front, first_line=2)
    warnings: list[Diagnostic] = []
    meta = _validate(path, data, field_lines, warnings)
    body, meta = _title_from_heading(path, body, meta, warnings, field_lines.get("title", 1))
    if not body.strip():
        raise Diagnostic(path, "the document has no text after its front matter",
                         "write the handout below the closing '---'", body_line)
    return Document(path, meta, body, body_line, field_lines, warnings=warnings)


ATX_HEADING = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
SETEXT_TITLE = re.compile(r"^ {0,3}=+[ \t]*$")


def _title_from_heading(path: Path, body: str, meta: Meta, warnings: list[Diagnostic],
                        title_line: int) -> tuple[str, Meta]:
    """With no title in the front matter (MkDocs, GitHub and most pasted pages have none),
    a leading '# Heading' (or 'Heading' over '===', after any HTML comments) is the title,
    taken out of the body; its lines become blank, so every line after it keeps its number.
    The same heading under a front-matter title of the same words is taken out too, not
    printed twice."""
    lines = body.split("\n")
    first = _first_text_line(lines)
    heading, end = None, 0
    if first is not None:
        atx = ATX_HEADING.match(lines[first])
        if atx:
            heading, end = atx.group(1), first + 1
        elif first + 1 < len(lines) and SETEXT_TITLE.match(lines[first + 1]):
            heading, end = lines[first], first + 2
    words = _plain_heading(heading) if heading else ""
    if words and (not meta.title or words.casefold() == meta.title.casefold()):
        body = "\n".join([""] * end + lines[end:])
        if not meta.title:
            meta.title = words[:MAX_TITLE_CHARS]
    if not meta.title:
        meta.title = path.stem.replace("-", " ").replace("_", " ").strip().capitalize() \
            or "Untitled"
        warnings.append(Diagnostic(path, f"no title: the front matter has no 'title' and the "
                                   f"text does not start with a '# Heading'; printed as "
                                   f"'{meta.title}'", "add 'title: ...' to the front matter",
                                   title_line, code="missing-title", severity=WARNING))
    return body, meta


def _first_text_line(lines: list[str]) -> int | None:
    """The first line that is neither blank nor in an HTML comment (a licence, or
    '<!-- markdownlint-disable -->', often comes before a page's '# Heading')."""
    comment = False
    for n, line in enumerate(lines):
        text = line.strip()
        if comment or text.startswith("<!--"):
            comment = "-->" not in text
            continue
        if text:
            return n
    return None


def _plain_heading(text: str) -> str:
    """A heading's words without Pandoc attributes ({#id .class}), links' addresses and
    emphasis marks: the title is plain text."""
    text = re.sub(r"\s*\{[^{}]*\}\s*$", "", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return " ".join(text.split())


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise Diagnostic(path, "file not found", "check the name under source/") from None
    except OSError as exc:
        raise Diagnostic(path, f"cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_HANDOUT_BYTES:
        raise Diagnostic(path, f"is {len(raw) // 1000:,} KB, more than a handout can be "
                         f"({MAX_HANDOUT_BYTES // 1000:,} KB)", "split it into handouts of "
                         "their own, or take out what was pasted in by mistake", 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise Diagnostic(path, "is not UTF-8 text",
                         "save the file as UTF-8 in your editor", line) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    refuse_control_characters(path, text)
    return text


def refuse_control_characters(path: Path, text: str) -> None:
    """Stop at the first character XML (so HTML, DOCX and PDF text) cannot hold."""
    bad = UNPRINTABLE.search(text)
    if bad:
        raise Diagnostic(path, f"contains the control character U+{ord(bad.group()):04X}, "
                         "which no document can hold", "delete it (it is often invisible)",
                         text.count("\n", 0, bad.start()) + 1)


def _split(path: Path, text: str) -> tuple[str, str, int, bool]:
    """The front matter, the body, the line the body starts on, and whether the front
    matter is TOML (Hugo's, between '+++' lines) rather than YAML (between '---' lines).
    A file with no front matter is all body: a draft, its title from its first heading."""
    lines = text.split("\n")
    opener = lines[0].strip() if lines else ""
    if opener not in ("---", "+++"):
        return "", text, 1, False
    closers = ("+++",) if opener == "+++" else ("---", "...")
    for index in range(1, len(lines)):
        if lines[index].strip() in closers:
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1:])
            return front, body, index + 2, opener == "+++"
    raise Diagnostic(path, "front matter is never closed",
                     f"add a '{closers[0]}' line after the last front-matter field", 1)


def _pandoc_title_block(text: str) -> tuple[str, dict[object, object], dict[str, int]]:
    """Pandoc's title block: up to three lines starting with '%' (title; authors separated
    by ';'; date), each continued on lines that start with a space. Returns the body, its
    lines before it blank so every line keeps its number, and the fields with their lines."""
    lines = text.split("\n")
    parts: list[tuple[int, list[str]]] = []
    index = 0
    while index < len(lines) and len(parts) < 3 and lines[index].startswith("%"):
        start, words = index, [lines[index][1:].strip()]
        index += 1
        while index < len(lines) and lines[index][:1] == " " and lines[index].strip():
            words.append(lines[index].strip())
            index += 1
        parts.append((start, words))
    data: dict[object, object] = {}
    field_lines: dict[str, int] = {}
    for (start, words), key in zip(parts, ("title", "author", "date")):
        joined = " ".join(w for w in words if w)
        if not joined:
            continue
        data[key] = [a.strip() for a in joined.split(";") if a.strip()] if key == "author" \
            else joined
        field_lines[key] = start + 1
    return "\n".join([""] * index + lines[index:]), data, field_lines


def _parse_toml(path: Path, front: str) -> dict[object, object]:
    """Hugo's TOML front matter, read by Python's own tomllib."""
    try:
        return {key: value for key, value in tomllib.loads(front).items()}
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise Diagnostic(path, f"front matter is not valid TOML ({str(exc).split(' (')[0]})",
                         "write each field as name = \"value\"",
                         int(found.group(1)) + 1 if found else 1) from None


def _toml_key_lines(text: str, first_line: int) -> dict[str, int]:
    """Each top-level TOML key -> its line (the keys before the first [table])."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), first_line):
        if line.lstrip().startswith("["):
            break
        found = re.match(r"^\s*[\"']?([\w.-]+)[\"']?\s*=", line)
        if found:
            lines.setdefault(found.group(1), number)
    return lines


def _parse_yaml(path: Path, front: str) -> dict[object, object]:
    try:
        data: object = yaml.load(front, Loader=_FrontMatterLoader)  # noqa: S506 (safe)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        # The syntax is fine but a value cannot be made (2026-02-30, '!!int x').
        raise Diagnostic(path, "front matter has a value that cannot be read",
                         "check dates (YYYY-MM-DD) and remove '!!' tags",
                         unreadable_value_line(front, first_line=2)) from None
    except yaml.YAMLError as exc:
        mark = exc.problem_mark if isinstance(exc, yaml.MarkedYAMLError) else None
        line = mark.line + 2 if mark else 1   # +1 for 1-based, +1 for the opening '---'
        problem = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else None
        problem = problem or "not valid YAML"
        raise Diagnostic(path, f"front matter is not valid YAML ({problem})",
                         "write each field as 'name: value'; quote values that contain ':'",
                         line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Diagnostic(path, "front matter is not a list of fields",
                         "write each field as 'name: value' on its own line", 2)
    return data


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key written twice is an error: YAML would keep
    the last value silently, and the person editing sees the first. Aliases (*name) are
    bounded: a few hundred bytes of aliases to aliases stand for billions of values, which
    any walk over them (str(), a check of every string) then expands. So the values each
    alias stands for are counted as if written out, and nesting is bounded too, as the
    composer recurses."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._sizes: dict[str, int] = {}  # anchor -> the values it stands for
        self._values = 0
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # types-PyYAML leaves peek_event unannotated; it returns an Event
        event: yaml.NodeEvent = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._count(self._sizes.get(event.anchor or "", 1), event)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _refused(f"values are nested more than {MAX_YAML_DEPTH} deep", event)
            before = self._values
            self._count(1, event)
            node = super().compose_node(parent, index)
            if event.anchor:
                self._sizes[event.anchor] = self._values - before
            return node
        finally:
            self._depth -= 1

    def _count(self, values: int, event: yaml.NodeEvent) -> None:
        self._values += values
        if self._values > MAX_YAML_VALUES:
            raise _refused(f"its aliases (*name) stand for more than {MAX_YAML_VALUES:,} "
                           "values", event)

    def construct_mapping(self, node: yaml.MappingNode,
                          deep: bool = False) -> dict[Hashable, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"'{key}' is written twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


class _FrontMatterLoader(_UniqueKeyLoader):
    """The loader for front matter: dates stay text, read by _date, so a date YAML cannot
    make (2024-13-45) or writes its own way (2024-12-13 10:00:00 +0100) is read, or
    warned about, like any other."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _UniqueKeyLoader.yaml_implicit_resolvers.items()}


def read_yaml(text: str) -> object:
    """YAML text as Python values, the safe way, refusing keys written twice."""
    data: object = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    return data


def _refused(problem: str, event: yaml.Event) -> yaml.composer.ComposerError:
    # The stubs allow the C parser's marks too; this pure-Python loader makes yaml.Mark.
    mark = event.start_mark if isinstance(event.start_mark, yaml.Mark) else None
    return yaml.composer.ComposerError(None, None, problem, mark)


def unreadable_value_line(text: str, first_line: int) -> int:
    """The line of the first top-level value PyYAML cannot construct, counting the YAML's
    first line as first_line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        for _, value in root.value if isinstance(root, yaml.MappingNode) else []:
            try:
                yaml.SafeLoader("").construct_document(value)
            except Exception:
                line: int = value.start_mark.line
                return line + first_line
    except yaml.YAMLError:
        pass
    return first_line


def _nocite_keys(value: str | list[str], fail: Callable[[str, str], NoReturn]) -> list[str]:
    """nocite: '@a, @b' or [@a, @b] or '@*', as in Pandoc: the keys without their '@'."""
    items = value if isinstance(value, list) else re.split(r"[,;\s]+", value)
    keys = [item.strip() for item in items if item.strip()]
    if not all(k.startswith("@") and len(k) > 1 for k in keys):
        fail("each nocite key starts with @", "write nocite: [\"@key\", \"@other\"], or \"@*\" "
             "for every entry")
    return [k[1:] for k in keys]


def key_lines(text: str, first_line: int) -> dict[str, int]:
    """Each top-level key of the YAML (quoted ones too) -> the line it is written on, as the
    YAML reader marks it, counting the YAML's first line as first_line; and each key of a
    mapping written under one as 'outer.inner' (organisation.logo), and one level deeper as
    'outer.inner.innermost' (editions.referrer.title)."""
    lines: dict[str, int] = {}
    for key, value in _keys(yaml.compose(text, Loader=yaml.SafeLoader)):
        lines[str(key.value)] = key.start_mark.line + first_line
        for inner, inner_value in _keys(value):
            lines[f"{key.value}.{inner.value}"] = inner.start_mark.line + first_line
            for innermost, _ in _keys(inner_value):
                lines[f"{key.value}.{inner.value}.{innermost.value}"] = \
                    innermost.start_mark.line + first_line
    return lines


def _keys(node: yaml.Node | None) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    """The (key, value) nodes of a mapping whose keys are written as text."""
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(key, value) for key, value in node.value if isinstance(key, yaml.ScalarNode)]


class _Fail(Protocol):
    def __call__(self, key: str, message: str, hint: str) -> NoReturn: ...


class _Stop(Exception):
    """One front-matter problem, raised by fail() inside a field's reading: collected, so
    every problem of the front matter is reported in one run."""

    def __init__(self, problem: Diagnostic) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _validate(path: Path, data: dict[object, object], lines: dict[str, int],
              warnings: list[Diagnostic]) -> Meta:
    """The front matter read into a Meta. What an author can fix later is a warning
    (appended to warnings, each with a code a release refuses); what cannot be printed at
    all is an error. Every error is collected and raised together."""
    def line_of(key: str) -> int:
        while key not in lines and "." in key:  # a key inside a mapping written on one line
            key = key.rsplit(".", 1)[0]
        return lines.get(key, 1)

    def fail(key: str, message: str, hint: str) -> NoReturn:
        raise _Stop(Diagnostic(path, message, hint, line_of(key)))

    def warn(code: str, key: str, message: str, hint: str) -> None:
        warnings.append(Diagnostic(path, message, hint, line_of(key), code=code,
                                   severity=WARNING))

    errors: list[Diagnostic] = []
    fields = {str(k): v for k, v in data.items()}
    unknown = [k for k in fields if k not in REQUIRED + OPTIONAL and k not in OTHER_TOOLS]
    if unknown:
        warn("unknown-front-matter", unknown[0], "unknown front-matter "
             f"field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}, ignored",
             "correct it if it is a typo of one of ours, or delete it (README: \"Front "
             "matter from other tools\")")
    # Other tools' spellings of ours: Quarto's 'authors', a 'description' for the abstract.
    if fields.get("author") is None and fields.get("authors") is not None:
        fields["author"] = fields["authors"]
    if fields.get("abstract") is None and fields.get("description") is not None:
        fields["abstract"] = fields["description"]
    lang = fields.get("lang")
    if isinstance(lang, str):
        fields["lang"] = lang.replace("_", "-")  # R's en_US
    text: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    dates: dict[str, datetime.date] = {}
    grade: float = DEFAULT_READING_GRADE
    editions: list[str] = []
    edition_audiences: dict[str, str] = {}
    edition_titles: dict[str, EditionTitles] = {}
    flags = dict(PANDOC_FLAGS)
    references: list[dict[str, object]] = []
    for key in REQUIRED + OPTIONAL:
        value = fields.get(key)
        if key in ("authors", "description") or \
                (value is None and (key in PANDOC_FLAGS or key == "references")):
            continue
        if key in PANDOC_FLAGS:
            if not isinstance(value, bool):
                errors.append(Diagnostic(path, f"'{key}' is true or false", f"write "
                                         f"'{key}: true' or '{key}: false'", line_of(key)))
            else:
                flags[key] = value
            continue
        if key == "references":
            if not (isinstance(value, list) and all(isinstance(e, dict) for e in value)):
                errors.append(Diagnostic(path, "'references' is a list of entries (CSL-YAML)",
                                         "write each entry under 'references:' as '- id: "
                                         "key', with its type, title and author", line_of(key)))
            else:
                references = [{str(k): v for k, v in e.items()} for e in value]
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            if key in CONTROL:
                lacks = "has an empty" if key in fields else "lacks"
                warn(CONTROL[key], key, f"the front matter {lacks} '{key}': the handout is "
                     "built as a DRAFT",
                     f"write '{key}: ...' in the front matter before a release")
            continue
        try:
            if key == "reading_grade_target":
                grade = _reading_grade(value, fail)
            elif key in DATES:
                day = _date(value)
                if day is None:
                    shown = str(value)[:40]
                    warn(CONTROL.get(key, "unreadable-date"), key,
                         f"'{key}: {shown}' cannot be read as a date"
                         + (": the handout is built as a DRAFT" if key in CONTROL else
                            ", so it is left out"),
                         "write it as YYYY-MM-DD, e.g. 2026-11-23")
                elif day.year not in YEARS:
                    fail(key, f"'{key}' is out of range", "use a year from 1980 to 2107")
                else:
                    dates[key] = day
            elif key == "editions":
                editions, edition_audiences, edition_titles = _editions(value, fail)
            elif key == "author":
                text[key] = _authors(value, fail)
            else:
                checked = _text(key, value, fail)
                if isinstance(checked, list):
                    lists[key] = checked
                else:
                    text[key] = checked
        except _Stop as stop:
            errors.append(stop.problem)
    if "keywords" in lists:  # keywords: "a, b, c", as Hugo and R Markdown write them
        lists["keywords"] = [k.strip() for item in lists["keywords"] for k in item.split(",")
                             if k.strip()]
    if text.get("lang") and not LANG_TAG.match(text["lang"]):
        warn("missing-lang", "lang", f"'lang: {text['lang']}' is not a language tag, so the "
             "theme's language is used: the handout is built as a DRAFT",
             "use a tag such as en, en-US or es")
        del text["lang"]
    if text.get("url") and not re.fullmatch(r"https?://[^\s<>\"]+\.[^\s<>\"]+", text["url"]):
        # Hugo's and Jekyll's url is the page's path on their site: not an address on paper.
        warn("unknown-front-matter", "url", f"'url: {text['url']}' is not a web address, "
             "so it is ignored", "write the online copy's full address, e.g. "
             "https://clinic.example.org/handout")
        del text["url"]
    checks: list[tuple[str, bool, str, str]] = [
        ("audience", text.get("audience", DEFAULT_AUDIENCE) not in AUDIENCES,
         f"unknown audience '{text.get('audience')}'", "use patients or clinicians"),
        ("paper", read_paper(text.get("paper", "")) is None,
         f"unknown paper size '{text.get('paper')}'", PAPER_HINT),
        ("approved_on", "approved_on" in dates and "date" in dates
         and dates["approved_on"] > dates["date"], "'approved_on' is after the issue date",
         "a version is approved before it is issued; check both dates"),
        ("review_due", "review_due" in dates and "date" in dates
         and dates["review_due"] < dates["date"], "'review_due' is before 'date'",
         "set a review date after the issue date")]
    errors += [Diagnostic(path, message, hint, line_of(key))
               for key, wrong, message, hint in checks if wrong]
    nocite = lists.get("nocite", text.get("nocite"))
    nocite_keys: list[str] = []
    try:
        nocite_keys = [] if nocite is None else \
            _nocite_keys(nocite, lambda m, h: fail("nocite", m, h))
    except _Stop as stop:
        errors.append(stop.problem)
    if errors:
        raise Diagnostics(errors) if len(errors) > 1 else errors[0]
    missing = tuple(key for key in CONTROL if key not in text and key not in dates)
    paper = read_paper(text.get("paper", ""))
    return Meta(
        title=text.get("title", ""), lang=text.get("lang", DEFAULT_LANG),
        version=text.get("version", ""), date=dates.get("date"),
        review_due=dates.get("review_due"), subtitle=text.get("subtitle", ""),
        short_title=text.get("short_title", ""), audience=text.get("audience", DEFAULT_AUDIENCE),
        organisation=text.get("organisation", ""), author=text.get("author", ""),
        keywords=lists.get("keywords", []),
        bibliography=lists.get("bibliography", text.get("bibliography", "")),
        nocite=nocite_keys, csl=text.get("csl", DEFAULT_CSL),
        paper=paper[0] if paper else "", booklet=bool(paper and paper[1]), corrections=lists.get("corrections", []),
        approved_by=text.get("approved_by", ""), approved_on=dates.get("approved_on"),
        reading_grade_target=grade, defined_terms=lists.get("defined_terms", []),
        editions=editions, edition_audiences=edition_audiences, edition_titles=edition_titles,
        url=text.get("url", ""), abstract=text.get("abstract", ""), references=references,
        suppress_bibliography=flags["suppress-bibliography"],
        link_citations=flags["link-citations"], missing=missing)


def _authors(value: object, fail: _Fail) -> str:
    """author as a name, a list of names, or a list of {name, orcid, affiliation, email}
    (Quarto's and Pandoc's; name may itself be {given, family} or {literal}): the names."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = item.get("name", item.get("literal", item)) if isinstance(item, dict) else item
        if isinstance(name, dict):
            name = name.get("literal") or " ".join(
                str(name[k]) for k in ("given", "family") if name.get(k))
        if isinstance(name, str) and name.strip():
            # Pandoc's inline note in a name ('A. Name^[corresponding author]') is left out.
            names.append(" ".join(re.sub(r"\^\[[^\]]*\]", "", name).split()))
        elif not (isinstance(name, str) or name is None):
            fail("author", "'author' is not a name or a list of names",
                 "write 'author: A. Name', or a list of names")
    joined = ", ".join(names)
    checked = _text("author", joined, fail)
    assert isinstance(checked, str)
    return checked


# Dates as other tools' front matter writes them; each read only where it is unambiguous.
DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%Y/%m/%d")


def _date(value: object) -> datetime.date | None:
    """A date as YAML or TOML gives it (a date, a date and time) or as text: '2024-12-13',
    '2024-12-13T10:00:00Z', 'December 13, 2024', '13 December 2024', '2024-12' (its first
    day). None when it cannot be read unambiguously ('12/01/2024', 'today', R code)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str):
        return None
    text = " ".join(value.strip().split())
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    if re.fullmatch(r"\d{4}-\d{2}", text):
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(text + "-01")
    for form in DATE_FORMATS:
        with contextlib.suppress(ValueError):
            return datetime.datetime.strptime(text.replace("Sept ", "Sep "), form).date()
    return None


def _reading_grade(value: object, fail: _Fail) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 1 <= value <= 20:
        fail("reading_grade_target", "'reading_grade_target' is not a school grade",
             "write a number from 1 to 20, e.g. 8")
    return value


def _editions(value: object, fail: _Fail) -> tuple[
        list[str], dict[str, str], dict[str, EditionTitles]]:
    """[patient, referrer], {patient: patients, referrer: clinicians}, or each edition with
    fields of its own, {referrer: {readers: clinicians, title: ..., subtitle: ...}}: the
    names, each edition's readers where they differ from the handout's audience, and each
    edition's own titles where it has them."""
    value = [value] if isinstance(value, str) else value
    names = list(value) if isinstance(value, (list, dict)) else []
    if not names or not all(isinstance(v, str) and EDITION.match(v) for v in names) \
            or len(set(names)) != len(names):
        fail("editions", "'editions' is not a list of edition names",
             "write 'editions: [patient, referrer]': lower-case names, each once")
    readers: dict[str, str] = {}
    titles: dict[str, EditionTitles] = {}
    for name, fields in value.items() if isinstance(value, dict) else []:
        key = f"editions.{name}"
        if isinstance(fields, dict):
            unknown = [str(k) for k in fields if k not in EDITION_FIELDS]
            if unknown:
                fail(f"{key}.{unknown[0]}", f"the '{name}' edition has an unknown field "
                     f"'{unknown[0]}'", "an edition's fields are " + ", ".join(EDITION_FIELDS))
            own = {k: _edition_text(f"{key}.{k}", name, str(k), v, fail)
                   for k, v in fields.items() if k != "readers"}
            if "readers" in fields:
                readers[name] = _edition_readers(key + ".readers", name, fields["readers"], fail)
            if own:
                titles[name] = EditionTitles(**own)
        else:
            readers[name] = _edition_readers(key, name, fields, fail)
    return names, readers, titles


def _edition_readers(key: str, name: str, value: object, fail: _Fail) -> str:
    if not isinstance(value, str) or value not in AUDIENCES:
        fail(key, f"the '{name}' edition's readers are not patients or clinicians",
             "write 'editions: {patient: patients, referrer: clinicians}', or "
             "'editions: {referrer: {readers: clinicians, title: ...}}'")
    return value


def _edition_text(key: str, name: str, field_name: str, value: object, fail: _Fail) -> str:
    """An edition's own title, subtitle or short title: one line of text."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        fail(key, f"the '{name}' edition's {field_name} is not text",
             f"write '{field_name}: some text' under the edition, or leave it out")
    text = str(value).strip()
    if not text:
        fail(key, f"the '{name}' edition's {field_name} is empty",
             f"write the {field_name} after '{field_name}:', or leave it out for the "
             "handout's own")
    if UNPRINTABLE.search(text):
        fail(key, f"the '{name}' edition's {field_name} contains a control character",
             "remove the escape sequence")
    if len(text) > MAX_TITLE_CHARS:
        fail(key, f"the '{name}' edition's {field_name} is longer than {MAX_TITLE_CHARS} "
             "characters", "shorten it; the handout's text belongs below the front matter")
    return text


def _text(key: str, value: object, fail: _Fail) -> str | list[str]:
    """A field of text, or of a list of texts, stripped and checked."""
    checked: str | list[str]
    if key == "approved_by" and isinstance(value, dict):
        # approved_by: {name: Dr A. Chen, role: Medical Director}
        if set(value) - {"name", "role"} or not str(value.get("name", "")).strip():
            fail(key, "'approved_by' needs a name (and a role)",
                 "write 'approved_by: {name: Dr A. Chen, role: Medical Director}'")
        checked = ", ".join(str(value[k]).strip() for k in ("name", "role") if value.get(k))
    elif key in ("bibliography", "nocite") and isinstance(value, list):
        if not all(isinstance(v, str) and v.strip() for v in value):
            fail(key, f"'{key}' is not a list of names", f"write '{key}: [first, second]'")
        checked = [str(v).strip() for v in value]
    elif key in ("keywords", "corrections", "defined_terms"):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, (str, int, float))
                                                  for v in items):
            fail(key, f"'{key}' is not a list of text", f"write '{key}: [first, second]'")
        checked = [str(v).strip() for v in items]
    else:
        if isinstance(value, (dict, list)):
            fail(key, f"'{key}' must be plain text", f"write '{key}: some text'")
        checked = str(value).strip()
    texts = checked if isinstance(checked, list) else [checked]
    if any(UNPRINTABLE.search(v) for v in texts):
        fail(key, f"'{key}' contains a control character", "remove the escape sequence")
    longest = MAX_TITLE_CHARS if key in TITLES else \
        MAX_ABSTRACT_CHARS if key == "abstract" else MAX_VALUE_CHARS
    if any(len(v) > longest for v in texts):
        fail(key, f"'{key}' is longer than {longest} characters",
             "shorten it; the handout's text belongs below the front matter")
    return checked
