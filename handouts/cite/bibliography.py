"""Bibliographies: BibTeX and biblatex (as Zotero, Mendeley and JabRef export them),
CSL-JSON and CSL-YAML, one file or several: their keys, each key's line, and what is wrong
with an entry, at its line. Pandoc reads the entries themselves (cite/engine.py), so what
is formatted is what `pandoc --citeproc` formats; this reader only needs to find keys and
problems, fast (no LaTeX is decoded here).

BibTeX is read by bibtexparser 2, which goes on past an entry it cannot read; that entry
is reported with its line, key and reason, is left out of what pandoc reads, and only
stops the build if the handout cites it. Fields no style prints (abstract, file,
keywords) are never a reason to fail.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import yaml
from bibtexparser.entrypoint import parse_string
from bibtexparser.library import Library
from bibtexparser.model import DuplicateBlockKeyBlock, Entry as BibEntry, ImplicitComment

from handouts.diagnostics import WARNING, Diagnostic
from handouts.paths import Outside, inside
from handouts.read.front_matter import Document as Source
from handouts.read.front_matter import UNPRINTABLE, read_yaml, refuse_control_characters

# A value of CSL-JSON, and one entry: what citeproc-py reads.
Json: TypeAlias = "str | int | float | bool | None | list[Json] | dict[str, Json]"
Entry: TypeAlias = "dict[str, Json]"

# bibtexparser logs each entry it cannot read; the build reports them itself, with advice.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

# biblatex / BibTeX entry types -> CSL types (as Pandoc maps them).
TYPES = {
    "article": "article-journal", "book": "book", "mvbook": "book", "booklet": "pamphlet",
    "inbook": "chapter", "incollection": "chapter", "bookinbook": "chapter",
    "inproceedings": "paper-conference", "conference": "paper-conference",
    "proceedings": "book", "collection": "book", "mvcollection": "book",
    "manual": "book", "thesis": "thesis", "phdthesis": "thesis", "mastersthesis": "thesis",
    "report": "report", "techreport": "report", "misc": "document", "online": "webpage",
    "electronic": "webpage", "www": "webpage", "unpublished": "manuscript",
    "patent": "patent", "dataset": "dataset", "software": "software",
    "periodical": "periodical", "suppbook": "chapter", "suppcollection": "chapter",
    "reference": "book", "inreference": "entry-encyclopedia", "standard": "standard",
}
# biblatex's other types (and its custom ones), which pandoc reads: entries like the rest.
OTHER_TYPES = {"letter", "video", "audio", "image", "music", "movie", "artwork", "commentary",
               "jurisdiction", "legislation", "legal", "review", "performance", "generic",
               "set", "xdata", "mvreference", "mvproceedings", "suppperiodical", "bibnote",
               "article-journal", "customa", "customb", "customc", "customd", "custome",
               "customf", "letters", "newspaper", "magazine", "map", "interview", "speech",
               "thesis", "unpublished", "online"}
TEXT_FIELDS = {
    "title": "title", "journal": "container-title", "journaltitle": "container-title",
    "booktitle": "container-title", "shortjournal": "container-title-short",
    "volume": "volume", "pages": "page", "doi": "DOI", "url": "URL", "isbn": "ISBN",
    "issn": "ISSN", "pmid": "PMID", "pmcid": "PMCID", "publisher": "publisher",
    "location": "publisher-place", "address": "publisher-place", "edition": "edition",
    "series": "collection-title", "note": "note", "chapter": "chapter-number",
    "institution": "publisher", "school": "publisher", "organization": "publisher",
    "howpublished": "medium", "version": "version", "eventtitle": "event-title",
}
LANGUAGES = {"english": "en", "american": "en-US", "british": "en-GB", "german": "de",
             "ngerman": "de", "french": "fr", "spanish": "es", "italian": "it",
             "dutch": "nl", "portuguese": "pt", "russian": "ru", "chinese": "zh",
             "japanese": "ja", "arabic": "ar", "vietnamese": "vi"}
# Limits no real export comes near, checked before the decoder recurses or Python refuses.
MAX_DEPTH = 50
MAX_NUMBER_DIGITS = 20
JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:]')  # strings are skipped whole
MONTHS = {m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                      "sep", "oct", "nov", "dec"), 1)}


@dataclass
class Bibliography:
    entries: list[Entry] = field(default_factory=list)  # ids as written
    where: dict[str, tuple[Path, int | None]] = field(default_factory=dict)  # by folded key
    broken: dict[str, Diagnostic] = field(default_factory=dict)  # folded key -> its problem
    unreadable: list[Diagnostic] = field(default_factory=list)  # problems naming no key
    # per BibTeX file, the text of each entry it cannot read: left out of what pandoc reads
    cut: dict[Path, list[str]] = field(default_factory=dict)
    doubtful: list[Diagnostic] = field(default_factory=list)  # warnings, entries still read

    def __contains__(self, key: str) -> bool:
        return key.lower() in self.where

    def add(self, other: Bibliography) -> None:
        for entry in other.entries:
            key = str(entry["id"]).lower()
            if key in self.where:
                path, line = other.where[key]
                first, first_line = self.where[key]
                self.broken[key] = Diagnostic(path, f"key '{entry['id']}' is defined twice "
                                              f"(first in {first.name} on line {first_line})",
                                              "give each entry its own key", line)
                continue
            self.entries.append(entry)
            self.where[key] = other.where[key]
        self.broken.update(other.broken)
        self.unreadable += other.unreadable
        self.cut.update(other.cut)
        self.doubtful += other.doubtful


def read_file(path: Path) -> Bibliography:
    """One bibliography file as a Bibliography; Diagnostic only if the whole file is
    unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise Diagnostic(path, "is not UTF-8 text", "save the bibliography as UTF-8") from None
    text = text.removeprefix("\ufeff")
    suffix = path.suffix.lower()
    if suffix == ".bib":
        return _bibtex(path, text)
    refuse_control_characters(path, text)
    if suffix == ".json":
        return _csl(path, _json(path, text), _json_id_lines(text))
    if suffix in (".yaml", ".yml"):
        return _csl(path, _yaml(path, text), _yaml_id_lines(text))
    raise Diagnostic(path, "is neither BibTeX (.bib), CSL-JSON (.json) nor CSL-YAML (.yaml)",
                     "export the bibliography as BibTeX or CSL-JSON")


# -- BibTeX and biblatex ------------------------------------------------------------------

def _bibtex(path: Path, text: str) -> Bibliography:
    with warnings.catch_warnings(action="ignore"):  # bibtexparser warns of what it skips
        library = parse_string(text)
    result = Bibliography()
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        raw = block.raw or ""
        key = _raw_key(raw)
        result.cut.setdefault(path, []).append(raw)
        if isinstance(block, DuplicateBlockKeyBlock):
            error = Diagnostic(path, f"key '{block.key}' is defined twice "
                               f"(first on line {_first_line(library, block.key)})",
                               "give each entry its own key", line)
            result.broken[block.key.lower()] = error
            continue
        key = key or _key_without_comma(raw)
        error = Diagnostic(path, f"the entry '{key or raw.strip()[:40]}' is not valid "
                           f"BibTeX{_reason(raw)}", "check its braces, quotes and commas (each "
                           "field is written name = {value}, and the entry ends with '}')", line)
        if key:
            result.broken[key.lower()] = error
        else:
            result.unreadable.append(error)
    _stray_braces(path, library, result)
    for entry in library.entries:
        line = (entry.start_line or 0) + 1  # bibtexparser counts from 0
        if key_is_broken(result, entry.key):
            continue
        key, raw = entry.key, entry.raw or ""
        control = UNPRINTABLE.search(raw)
        if control:
            result.broken[key.lower()] = Diagnostic(
                path, f"contains the control character U+{ord(control.group()):04X} (in entry "
                f"'{key}'), which no document can hold", "delete it (it is often invisible)",
                line + raw.count("\n", 0, control.start()))
            continue
        try:
            csl = _csl_from_bibtex(entry)
        except _EntryProblem as problem:  # pandoc reads it as @misc: a warning
            result.doubtful.append(Diagnostic(path, problem.message, problem.hint, line,
                                              code="bibliography-entry-type",
                                              severity=WARNING))
            csl = {"id": key, "type": "document"}
        if key.lower() in result.where:  # keys ignore case, as in BibTeX
            result.broken[key.lower()] = Diagnostic(
                path, f"key '{key}' is defined twice (first on line "
                f"{result.where[key.lower()][1]})", "give each entry its own key", line)
            continue
        result.entries.append(csl)
        result.where[key.lower()] = (path, line)
    return result


class _EntryProblem(ValueError):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def key_is_broken(result: Bibliography, key: str) -> bool:
    return key.lower() in result.broken and key.lower() not in result.where


def _key_without_comma(raw: str) -> str:
    """The key of '@article{doe2020 author = ...', whose comma after the key is missing."""
    found = re.match(r"\s*@\w+\s*[{(]\s*([^\s,{}()=\"#%'~\\]+)\s+[A-Za-z][\w-]*\s*=", raw)
    return found.group(1) if found else ""


def _reason(raw: str) -> str:
    """What is wrong with an entry bibtexparser cannot read, as far as can be told."""
    if _key_without_comma(raw):
        return ": there is no comma after its key"
    depth = raw.count("{") - raw.count("\\{") - raw.count("}") + raw.count("\\}")
    if depth > 0:
        return ": it is never closed (a '{' has no '}')"
    if depth < 0:
        return ": it has a '}' too many"
    return ""


FIELD_AFTER_BRACE = re.compile(r"\s*,?\s*[A-Za-z][\w-]*\s*=\s*[{\"\w]")


def _stray_braces(path: Path, library: Library, result: Bibliography) -> None:
    """An entry a stray '}' closes early ('journal = {Pain}},'): the fields after it read
    as a comment, and would be lost without a word. The entry is broken, at the brace."""
    previous: BibEntry | None = None
    for block in library.blocks:
        if isinstance(block, BibEntry):
            previous = block
            continue
        raw = block.raw or ""
        if previous is not None and isinstance(block, ImplicitComment) and \
                FIELD_AFTER_BRACE.match(raw):
            lost = re.findall(r"([A-Za-z][\w-]*)\s*=", raw)
            line = (previous.start_line or 0) + 1 + (previous.raw or "").count("\n")
            result.broken[previous.key.lower()] = Diagnostic(
                path, f"a '}}' closes the entry '{previous.key}' early, so its fields after it "
                f"({', '.join(lost)}) would be lost", "delete the extra '}' on this line",
                line)
            result.cut.setdefault(path, []).append((previous.raw or "") + raw)
        previous = None


def _raw_key(raw: str) -> str:
    found = re.match(r"\s*@\w+\s*[{(]\s*([^,\s{}]+)\s*,", raw)
    return found.group(1) if found else ""


def _first_line(library: Library, key: str) -> int | str:
    return next(((e.start_line or 0) + 1 for e in library.entries if e.key == key), "?")


def _csl_from_bibtex(entry: BibEntry) -> Entry:
    kind = entry.entry_type.lower()
    fields = {f.key.lower(): f.value for f in entry.fields}  # names split, the rest text
    if kind not in TYPES and kind not in OTHER_TYPES:
        raise _EntryProblem(f"unknown entry type '@{entry.entry_type}' (entry '{entry.key}')",
                            "use @article, @book, @incollection, @misc, @online, ...; pandoc "
                            "prints it as a @misc entry")
    csl: Entry = {"id": entry.key, "type": TYPES.get(kind, "document")}
    published = fields.get("howpublished")
    address = re.search(r"https?://[^\s{}]+", published) if isinstance(published, str) else None
    if address and not fields.get("url"):  # howpublished = {\url{https://...}}
        fields["url"] = address.group()
        del fields["howpublished"]
    if kind == "misc" and fields.get("url"):
        csl["type"] = "webpage"  # a web page exported as @misc, as Zotero and Mendeley do
    for name, target in TEXT_FIELDS.items():
        value = fields.get(name)
        if isinstance(value, str) and value.strip() and target not in csl:
            csl[target] = _text(value)
    if fields.get("subtitle"):
        csl["title"] = f"{csl.get('title', '')}: {_text(fields['subtitle'])}"
    number = fields.get("issue") or fields.get("number")
    if number:
        target = "issue" if csl["type"] in ("article-journal", "article-magazine",
                                            "article-newspaper") else "number"
        csl[target] = _text(number)
    issued = _date(fields.get("date")) or _year_month(fields.get("year"), fields.get("month"))
    if issued:
        csl["issued"] = issued
    accessed = _date(fields.get("urldate"))
    if accessed:
        csl["accessed"] = accessed
    language = fields.get("langid") or fields.get("language")
    if isinstance(language, str) and language.strip():
        csl["language"] = LANGUAGES.get(language.strip().lower(), language.strip())
    eprint, eprint_type = fields.get("eprint"), (fields.get("eprinttype") or "").lower()
    if eprint and eprint_type == "pubmed":
        csl.setdefault("PMID", eprint)
    elif eprint and eprint_type == "arxiv":
        csl.setdefault("URL", f"https://arxiv.org/abs/{eprint}")
    elif eprint:
        csl.setdefault("number", eprint)
    page = csl.get("page")
    if isinstance(page, str):  # always text here, from TEXT_FIELDS
        csl["page"] = re.sub(r"\s*[-–]+\s*", "–", page)
    return csl


def _text(value: str) -> str:
    """A decoded field value without the braces and spaces LaTeX leaves."""
    return re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()


def _date(value: object) -> Entry | None:
    """A biblatex date (2009, 2009-06, 2009-06-01, 2009/2010) as CSL date parts."""
    if not isinstance(value, str):
        return None
    parts: list[Json] = []
    for piece in value.strip().split("/")[:2]:
        found = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?(?:T.*)?\s*", piece)
        if found:
            parts.append([int(p) for p in found.groups() if p])
    return {"date-parts": parts} if parts else None


def _year_month(year: object, month: object) -> Entry | None:
    found = re.search(r"\d{4}", year) if isinstance(year, str) else None
    if not found:
        return None
    parts: list[Json] = [int(found.group())]
    if isinstance(month, str):
        month = month.strip().lower()[:3]
        number = MONTHS.get(month) or (int(month) if month.isdigit() else None)
        if number and 1 <= number <= 12:
            parts.append(number)
    return {"date-parts": [parts]}


# -- CSL-JSON and CSL-YAML ------------------------------------------------------------------

def _json(path: Path, text: str) -> object:
    """CSL-JSON, refusing what no reference manager writes and the decoder or the entries'
    walks would choke on: numbers of more than MAX_NUMBER_DIGITS digits, NaN and Infinity,
    and nesting deeper than MAX_DEPTH (measured first: the decoder recurses)."""
    def number(digits: str) -> int | float:
        if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
            raise _Refused(f"has a number of {len(digits)} digits",
                           "write long numbers as text, in quotes", digits)
        return float(digits) if any(c in digits for c in ".eE") else int(digits)

    def constant(name: str) -> None:
        raise _Refused(f"holds '{name}', which JSON does not allow", "write a number", name)

    _check_nesting(path, text)
    try:
        return json.loads(text, parse_int=number, parse_float=number, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise Diagnostic(path, f"is not valid JSON ({exc.msg})", "fix the JSON syntax",
                         exc.lineno) from None
    except _Refused as refused:
        raise Diagnostic(path, refused.message, refused.hint,
                         text.count("\n", 0, max(text.find(refused.token), 0)) + 1) from None


class _Refused(ValueError):
    def __init__(self, message: str, hint: str, token: str) -> None:
        super().__init__(message)
        self.message, self.hint, self.token = message, hint, token


def _check_nesting(path: Path, text: str) -> None:
    """Stop at the first bracket nested deeper than MAX_DEPTH, outside strings."""
    depth = 0
    for token in JSON_TOKENS.finditer(text):
        depth += (token[0] in "[{") - (token[0] in "]}")
        if depth > MAX_DEPTH:
            offset = token.start()
            raise Diagnostic(path, f"is nested more than {MAX_DEPTH} deep",
                             "export it again as CSL-JSON from your reference manager",
                             text.count("\n", 0, offset) + 1)


def _json_id_lines(text: str) -> list[int | None]:
    """The line of each top-level entry's "id" key, found in the JSON's own tokens (run on
    JSON the decoder has read): a string followed by ':' inside an object of the top-level
    list. An id that also appears in a title, a note or a longer key is a value or another
    key there, never this one. The last "id" of an entry counts, as for the decoder."""
    lines: list[int | None] = []
    depth, line, counted = 0, 1, 0
    previous: re.Match[str] | None = None
    for token in JSON_TOKENS.finditer(text):
        kind = token[0]
        if kind == ":" and depth == 2 and previous and previous[0].startswith('"') \
                and json.loads(previous[0]) == "id":
            line += text.count("\n", counted, previous.start())  # counted on, not again
            counted = previous.start()
            lines[-1] = line
        elif kind in "[{":
            lines += [None] if depth == 1 else []  # an entry begins
            depth += 1
        elif kind in "]}":
            depth -= 1
        previous = token
    return lines


def _yaml(path: Path, text: str) -> object:
    try:
        data = read_yaml(text)
    except yaml.YAMLError as exc:
        mark = exc.problem_mark if isinstance(exc, yaml.MarkedYAMLError) else None
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise Diagnostic(path, f"is not valid YAML ({problem})", "export it again as CSL-YAML",
                         mark.line + 1 if mark else None) from None
    except (ValueError, TypeError, KeyError, AttributeError):
        # PyYAML's constructors fail so on a value of the wrong form (2020-02-30, !!int x,
        # !!bool x, !!timestamp x, !!set [1], a list as a key)
        raise Diagnostic(path, "is not valid YAML", "export it again as CSL-YAML") from None
    return data.get("references", data) if isinstance(data, dict) else data


def _yaml_id_lines(text: str) -> list[int | None]:
    """The line of each entry's id key, from the nodes PyYAML composes (run on YAML that
    read_yaml has read, so it is valid and nested within bounds); entries at the top or
    under 'references', as _yaml takes them."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if isinstance(root, yaml.MappingNode):
        root = _value_of(root, "references")
    if not isinstance(root, yaml.SequenceNode):
        return []  # not CSL-YAML: _csl says so
    lines: list[int | None] = []
    for entry in root.value:
        key = _key_of(entry, "id") if isinstance(entry, yaml.MappingNode) else None
        lines.append(key.start_mark.line + 1 if key else None)
    return lines


def _key_of(mapping: yaml.MappingNode, name: str) -> yaml.Node | None:
    """The key node of a mapping that reads name (the last, as PyYAML keeps the last)."""
    keys = [k for k, _ in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == name]
    return keys[-1] if keys else None


def _value_of(mapping: yaml.MappingNode, name: str) -> yaml.Node | None:
    return next((v for k, v in reversed(mapping.value)
                 if isinstance(k, yaml.ScalarNode) and k.value == name), None)


def _csl(path: Path, data: object, lines: list[int | None]) -> Bibliography:
    """Entries read as CSL, each at the line of its id (lines, one per entry)."""
    if not isinstance(data, list) or not all(isinstance(e, dict) and e.get("id") for e in data):
        raise Diagnostic(path, "is not CSL-JSON", "it must be a list of entries, each with an 'id'")
    result = Bibliography()
    for index, entry in enumerate(data):
        key, line = str(entry["id"]), lines[index] if index < len(lines) else None
        csl: Entry = dict(entry, id=key)
        if key.lower() in result.where:
            result.broken[key.lower()] = Diagnostic(path, f"id '{key}' is defined twice",
                                                    "give each entry its own id", line)
        elif not isinstance(csl.get("type"), str) or not str(csl.get("type")).strip():
            result.broken[key.lower()] = Diagnostic(
                path, f"entry '{key}' cannot be read: it has no type", "give it a CSL type "
                "(article-journal, book, chapter, webpage, ...)", line)
        elif any(UNPRINTABLE.search(value) for value in _strings(csl)):
            result.broken[key.lower()] = Diagnostic(
                path, f"entry '{key}' contains a control character, which no document can "
                "hold", "delete it", line)
        else:
            result.entries.append(csl)
            result.where[key.lower()] = (path, line)
    return result


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def files_of(doc: Source, source_dir: Path) -> list[Path]:
    """The bibliography files a handout names, checked to be files in source/."""
    names = doc.meta.bibliography if isinstance(doc.meta.bibliography, list) \
        else [doc.meta.bibliography]
    paths = []
    for name in names:
        try:
            path = inside(source_dir, name)  # the handout's own folder
        except Outside:
            raise doc.error(f"bibliography '{name}' is outside source/",
                            "keep bibliographies in source/, as files, not links to "
                            "elsewhere", key="bibliography") from None
        if not path.is_file():
            raise doc.error(f"bibliography '{name}' not found",
                            "check the file name, relative to the handout", key="bibliography")
        paths.append(path)
    return paths


def read_all(doc: Source, source_dir: Path) -> Bibliography:
    bibliography = Bibliography()
    for path in files_of(doc, source_dir):
        bibliography.add(read_file(path))
    return bibliography
