"""Load stage: read source/NAME.md, split YAML front matter from the Markdown body, validate."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, Protocol

import yaml

from handouts.diagnostics import Diagnostic

REQUIRED = ("title", "lang", "version", "date", "review_due")
OPTIONAL = ("subtitle", "short_title", "audience", "organisation", "author", "keywords",
            "bibliography", "csl", "paper", "corrections", "nocite", "approved_by",
            "approved_on", "reading_grade_target", "defined_terms", "editions", "url")
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
    version: str
    date: datetime.date
    review_due: datetime.date
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
    front, body, body_line = _split(path, text)
    data = _parse_yaml(path, front)
    field_lines = key_lines(front, first_line=2)
    meta = _validate(path, data, field_lines)
    if not body.strip():
        raise Diagnostic(path, "the document has no text after its front matter",
                         "write the handout below the closing '---'", body_line)
    return Document(path, meta, body, body_line, field_lines)


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


def _split(path: Path, text: str) -> tuple[str, str, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise Diagnostic(path, "does not start with front matter",
                         "begin the file with a '---' line, the title and other fields, "
                         "then another '---' line", 1)
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1:])
            return front, body, index + 2
    raise Diagnostic(path, "front matter is never closed",
                     "add a '---' line after the last front-matter field", 1)


def _parse_yaml(path: Path, front: str) -> dict[object, object]:
    try:
        data = read_yaml(front)
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


def _validate(path: Path, data: dict[object, object], lines: dict[str, int]) -> Meta:
    def fail(key: str, message: str, hint: str) -> NoReturn:
        while key not in lines and "." in key:  # a key inside a mapping written on one line
            key = key.rsplit(".", 1)[0]
        raise Diagnostic(path, message, hint, lines.get(key, 1))

    unknown = sorted(set(map(str, data)) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        fail(unknown[0], f"unknown front-matter field '{unknown[0]}'",
             "known fields: " + ", ".join(REQUIRED + OPTIONAL))
    for key in REQUIRED:
        if data.get(key) is None or not str(data[key]).strip():
            if key in data:
                fail(key, f"'{key}' is empty", f"write the {key} after '{key}:'")
            raise Diagnostic(path, f"front matter lacks '{key}'",
                             f"add a line '{key}: ...' between the '---' lines", 2)
    # Each field read in the order of REQUIRED + OPTIONAL, so the first problem is reported.
    text: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    dates: dict[str, datetime.date] = {}
    grade: float = DEFAULT_READING_GRADE
    editions: list[str] = []
    edition_audiences: dict[str, str] = {}
    edition_titles: dict[str, EditionTitles] = {}
    for key in REQUIRED + OPTIONAL:
        value = data.get(key)
        if value is None:
            continue
        if key == "reading_grade_target":
            grade = _reading_grade(value, fail)
        elif key in DATES:
            dates[key] = _date(key, value, fail)
        elif key == "editions":
            editions, edition_audiences, edition_titles = _editions(value, fail)
        else:
            checked = _text(key, value, fail)
            if isinstance(checked, list):
                lists[key] = checked
            else:
                text[key] = checked
    if not LANG_TAG.match(text["lang"]):
        fail("lang", f"'lang: {text['lang']}' is not a language tag",
             "use a tag such as en, en-US or es")
    if text.get("audience", DEFAULT_AUDIENCE) not in AUDIENCES:
        fail("audience", f"unknown audience '{text['audience']}'", "use patients or clinicians")
    paper = read_paper(text.get("paper", ""))
    if paper is None:
        fail("paper", f"unknown paper size '{text['paper']}'", PAPER_HINT)
    nocite = lists.get("nocite", text.get("nocite"))
    nocite_keys = [] if nocite is None else \
        _nocite_keys(nocite, lambda m, h: fail("nocite", m, h))
    if text.get("url") and not re.fullmatch(r"https?://[^\s<>\"]+\.[^\s<>\"]+", text["url"]):
        fail("url", f"'url: {text['url']}' is not a web address",
             "write the online copy's full address, e.g. https://clinic.example.org/handout")
    if dates.get("approved_on") and dates["approved_on"] > dates["date"]:
        fail("approved_on", "'approved_on' is after the issue date",
             "a version is approved before it is issued; check both dates")
    if dates["review_due"] < dates["date"]:
        fail("review_due", "'review_due' is before 'date'", "set a review date after the issue date")
    return Meta(
        title=text["title"], lang=text["lang"], version=text["version"], date=dates["date"],
        review_due=dates["review_due"], subtitle=text.get("subtitle", ""),
        short_title=text.get("short_title", ""), audience=text.get("audience", DEFAULT_AUDIENCE),
        organisation=text.get("organisation", ""), author=text.get("author", ""),
        keywords=lists.get("keywords", []),
        bibliography=lists.get("bibliography", text.get("bibliography", "")),
        nocite=nocite_keys, csl=text.get("csl", DEFAULT_CSL),
        paper=paper[0] if paper else "", booklet=bool(paper and paper[1]), corrections=lists.get("corrections", []),
        approved_by=text.get("approved_by", ""), approved_on=dates.get("approved_on"),
        reading_grade_target=grade, defined_terms=lists.get("defined_terms", []),
        editions=editions, edition_audiences=edition_audiences, edition_titles=edition_titles,
        url=text.get("url", ""))


def _reading_grade(value: object, fail: _Fail) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 1 <= value <= 20:
        fail("reading_grade_target", "'reading_grade_target' is not a school grade",
             "write a number from 1 to 20, e.g. 8")
    return value


def _date(key: str, value: object, fail: _Fail) -> datetime.date:
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        fail(key, f"'{key}' is not a date", "write it as YYYY-MM-DD, e.g. 2026-11-23")
    if value.year not in YEARS:
        fail(key, f"'{key}' is out of range", "use a year from 1980 to 2107")
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
    longest = MAX_TITLE_CHARS if key in TITLES else MAX_VALUE_CHARS
    if any(len(v) > longest for v in texts):
        fail(key, f"'{key}' is longer than {longest} characters",
             "shorten it; the handout's text belongs below the front matter")
    return checked
