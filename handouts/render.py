"""Render stage: the Markdown body becomes one semantic, standalone HTML page.

That page is the single source for every format: it is written as output/NAME.html,
WeasyPrint prints it to PDF, and the DOCX writer walks the same tree.
"""

import datetime
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
import markdown
import nh3
from lxml.html import builder as E
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from .cite import CITATION, key_lines, parse_keys
from .errors import BuildError, display_path
from .images import ImageProblem, data_url
from .theme import printable_characters

MARKDOWN_EXTENSIONS = ["extra", "admonition", "sane_lists", "smarty", "toc"]
# What raw HTML in a handout may keep; everything else (script, style, iframe, object,
# form, event handlers, javascript: links) is removed before it reaches any output.
ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl",
                "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
                "i", "img", "li", "ol", "p", "pre", "section", "small", "span", "strong", "sub",
                "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"}
ALLOWED_ATTRIBUTES = {"*": {"class", "id", "title", "lang"}, "a": {"href"},
                      "img": {"src", "alt", "width", "height"}, "ol": {"start"},
                      "th": {"colspan", "rowspan", "scope", "align"},
                      "td": {"colspan", "rowspan", "align"}, "span": {"data-cites"}}
# Limits far past any real handout, where WeasyPrint, python-docx or pypdf would give out.
MAX_DEPTH = 60          # elements inside one another below <main>: about 30 levels of lists
MAX_WORD = 1000         # characters without a space (the longest DOI link is far shorter)
BARE_LINK_TEXT = re.compile(r"^(https?://\S+|www\.\S+|click here|here|link|this link)$", re.I)


@dataclass
class Page:
    """The rendered handout: the HTML text, its parsed tree, and what the author should see."""
    html: str
    tree: object
    warnings: list = field(default_factory=list)


class CitationProcessor(InlineProcessor):
    def __init__(self, on_citation):
        super().__init__(CITATION.pattern)
        self.on_citation = on_citation

    def handleMatch(self, m, data):
        return self.on_citation(parse_keys(m.group(1))), m.start(0), m.end(0)


class CitationsOutsideLinks(Treeprocessor):
    """A citation inside link text would nest a link in a link, which HTML cannot hold."""

    def __init__(self, md, doc):
        super().__init__(md)
        self.doc = doc

    def run(self, root):
        for link in root.iter("a"):
            for span in link.iter("span"):
                if span.get("class") == "citation":
                    key = (span.get("data-cites", "").split() or [""])[0]
                    # the link's text: '[' then, before any ']', the citation '[@key'
                    line = line_matching(self.doc, r"\[[^\]]*\[\s*@" + re.escape(key))
                    raise BuildError(self.doc.path, "a citation inside the text of a link",
                                     "put the citation after the link",
                                     line or key_lines(self.doc).get(key))


class CitationExtension(Extension):
    """[@key] and [@a; @b]: on_citation(keys) gives the element that stands in the text."""

    def __init__(self, doc, on_citation):
        super().__init__()
        self.doc = doc
        self.on_citation = on_citation

    def extendMarkdown(self, md):
        # Above 'reference' (170) and 'link' (160): a citation is not a link. Below
        # 'backtick' (190) and 'escape' (180): code and \[ are not citations.
        md.inlinePatterns.register(CitationProcessor(self.on_citation), "citation", 175)
        md.treeprocessors.register(CitationsOutsideLinks(md, self.doc), "citations-outside-links", 5)


def markdown_body(doc, on_citation):
    """The body as HTML, with each citation replaced by on_citation(keys)."""
    extensions = MARKDOWN_EXTENSIONS + [CitationExtension(doc, on_citation)]
    try:
        return markdown.markdown(doc.body, extensions=extensions, output_format="html")
    except RecursionError:
        raise _too_deep(doc) from None


def cited_keys(doc):
    """The key tuple of every citation Markdown renders, in reading order; citations in
    code, comments or escaped brackets are not among them."""
    cited = []

    def collect(keys):
        cited.append(keys)
        return etree.Element("span", {"class": "citation", "data-cites": " ".join(keys)})
    markdown_body(doc, collect)
    return cited


def render(doc, theme, citations, css, source_dir):
    """Build the standalone page for one document."""
    body_html = markdown_body(doc, citations.element if citations else _uncited)
    # file: and data: stay on images so the image check below can name and refuse them.
    body_html = nh3.clean(body_html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                          link_rel=None, url_schemes={"http", "https", "mailto", "tel", "file",
                                                      "data"},
                          attribute_filter=_no_local_links, clean_content_tags={"script", "style"})
    main = lxml.html.fragment_fromstring(body_html, create_parent="main")
    main.set("id", "content")
    warnings = []
    _check_depth(doc, main)
    _check_headings(doc, main)
    _embed_images(doc, main, source_dir)
    _mark_callouts(main)
    _drop_footnote_backlinks(main)
    warnings += _check_links(doc, main)
    _wrap_sections(main)
    if citations and citations.references:
        main.append(_reference_section(citations))
    page = _page(doc, theme, main, css)
    _check_printable(doc, theme, page.find("body"), citations)
    if doc.meta.review_due < datetime.date.today():
        warnings.append(f"{display_path(doc.path)}:{doc.line_of('review_due')}: review was due "
                        f"on {_date(doc.meta.review_due)}; check the text against current "
                        "evidence, then update version, date and review_due")
    if doc.meta.audience == "patients" and not theme.organisation.contact_lines():
        warnings.append(f"{display_path(theme.path)}: the organisation has no address, phone "
                        "or website; "
                        "patients need to know whom to call")
    html = lxml.html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode")
    return Page(html, page, warnings)


def _uncited(keys):
    raise AssertionError("cited_keys found no citations, yet Markdown rendered one")


def _no_local_links(tag, attribute, value):
    """Links may not point at files or embed data; only images may (and are checked).
    Attributes that count must hold a number."""
    if tag != "img" and re.match(r"\s*(file|data):", value or "", re.I):
        return None
    if attribute in ("start", "colspan", "rowspan") and not re.fullmatch(r"\d{1,4}", value or ""):
        return None  # numbers only, as the Word writer needs them
    return value


def line_of(doc, *snippets):
    """The first source line holding a snippet, trying the most telling snippet first, for
    error messages; None if none can be found."""
    for snippet in filter(None, snippets):
        line = line_matching(doc, re.escape(snippet))
        if line:
            return line
    return None


def line_matching(doc, pattern):
    """The first source line of the body that the regular expression matches, or None."""
    for offset, text in enumerate(doc.body.split("\n")):
        if re.search(pattern, text):
            return doc.body_line + offset
    return None


def _check_depth(doc, main):
    """Lists and quotes nested past what any handout needs would exhaust the layout engines."""
    if any(len(el) == 0 and sum(1 for _ in el.iterancestors()) > MAX_DEPTH for el in main.iter()):
        raise _too_deep(doc)


def _too_deep(doc):
    return BuildError(doc.path, "lists or quotes are nested too deeply to lay out",
                      "keep to three levels of lists and quotes inside one another")


def _check_headings(doc, main):
    level = 1  # the title, from the front matter, is the one h1
    for heading in main.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        text = heading.text_content().strip()
        new = int(heading.tag[1])
        if not text:
            raise BuildError(doc.path, "a heading has no text", "write the heading after the #",
                             line_matching(doc, r"^\s{0,3}#{1,6}\s*#*\s*$"))
        if new == 1:
            raise BuildError(doc.path, f"second top-level title '{text}'",
                             "the front-matter title is the only '#' heading; use '##' for "
                             "sections", line_of(doc, "# " + text, text))
        if any(a.tag in ("li", "td", "th") for a in heading.iterancestors()):
            raise BuildError(doc.path, f"heading '{text}' is inside a list or a table",
                             "start headings at the left margin, with a blank line before",
                             line_of(doc, "# " + text, text))
        if new > level + 1:
            raise BuildError(doc.path, f"heading '{text}' skips from level {level} to {new}",
                             f"use {'#' * (level + 1)} here, or add the missing level",
                             line_of(doc, "# " + text, text))
        level = new


def _check_printable(doc, theme, body, citations):
    """Every word must fit on a line, and every character must be in the typeface: a
    fallback font may be missing on the next machine, and its text cannot be read back out
    of the PDF."""
    long_word = next((m for text in body.itertext()
                      for m in [re.search(r"\S{%d,}" % MAX_WORD, text)] if m), None)
    if long_word:
        raise BuildError(doc.path, f"a word of {len(long_word.group())} characters cannot be "
                         "printed", "break it up with spaces", line_of(doc, long_word.group()[:40]))
    known = printable_characters(theme.font_family)
    if known is None:
        return
    for char in body.text_content():
        if char not in known and not char.isspace() and char not in "\u00ad\u200b":
            path, line = _where_typed(doc, char, citations)
            raise BuildError(path, f"the character '{char}' (U+{ord(char):04X}) cannot be "
                             f"printed in {theme.font_family}",
                             "replace it, or set font_family in styles/theme.yaml to a font "
                             "that has it", line)


def _where_typed(doc, char, citations):
    """The file and line where a character of the page was typed: the body, a front-matter
    field, or the bibliography."""
    line = line_of(doc, char) or _field_line(doc, char)
    if line or not citations or not any(char in ref.html for ref in citations.references):
        return doc.path, line
    bibliography = doc.path.parent / doc.meta.bibliography
    lines = bibliography.read_text(encoding="utf-8").split("\n")
    return bibliography, next((n for n, text in enumerate(lines, 1) if char in text), None)


def _field_line(doc, char):
    """The front-matter line of the first text field holding char."""
    fields = ("title", "subtitle", "short_title", "organisation", "version")
    return next((doc.line_of(key) for key in fields if char in getattr(doc.meta, key)), None)


def _embed_images(doc, main, source_dir):
    """Check alt text and embed each image as a data URL, so the page stands alone and the
    PDF and DOCX writers never read a file themselves."""
    root = Path(source_dir).resolve()
    for img in main.iter("img"):
        src = img.get("src", "")
        line = (line_of(doc, f"]({src})", f"]({src}", src) if src
                else line_matching(doc, r"\]\(\s*\)"))
        if not img.get("alt", "").strip():
            raise BuildError(doc.path, f"image '{src}' has no alt text",
                             "describe it: ![what the picture shows](file.png)", line)
        path = (doc.path.parent / src).resolve()
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or not path.is_relative_to(root):
            raise BuildError(doc.path, f"image '{src}' is not a file in source/",
                             "copy the image into source/ and link it by its file name", line)
        if not src:
            raise BuildError(doc.path, "an image has no file name",
                             "write ![what the picture shows](file.png)", line)
        if not path.is_file():
            problem = "is a folder, not a picture" if path.is_dir() else "not found"
            raise BuildError(doc.path, f"image '{src}' {problem}", "check the file name", line)
        try:
            img.set("src", data_url(path))
        except ImageProblem as problem:
            raise BuildError(doc.path, f"image '{src}' {problem.message}", problem.hint,
                             line) from None


def _mark_callouts(main):
    """Admonitions (!!! note "Key points") become labelled callout boxes."""
    for box in main.find_class("admonition"):
        box.set("class", box.get("class").replace("admonition", "callout"))
        box.set("role", "note")
        for title in box.find_class("admonition-title"):
            title.set("class", "callout-title")


def _drop_footnote_backlinks(main):
    """A footnote's way back to the text ('↩') means nothing on paper or in Word, and the
    typeface has no such arrow; on screen the browser's back button does the same."""
    for link in main.find_class("footnote-backref"):
        link.drop_tree()


def _check_links(doc, main):
    warnings = []
    for link in main.iter("a"):
        text = link.text_content().strip()
        if "citation" not in (link.getparent().get("class") or "") and BARE_LINK_TEXT.match(text):
            line = line_of(doc, text)
            where = f"{display_path(doc.path)}:{line}" if line else display_path(doc.path)
            warnings.append(f"{where}: link text '{text}' does not say where it leads; "
                            "write [what the page is](address)")
    return warnings


def _wrap_sections(main):
    """Give each h2 (and each h3 inside it) a <section>, so the outline is in the tree."""
    for level in ("h2", "h3"):
        for container in [main] + main.findall(".//section"):
            children = list(container)
            starts = [i for i, c in enumerate(children) if c.tag == level]
            for n, start in enumerate(starts):
                end = starts[n + 1] if n + 1 < len(starts) else len(children)
                if level == "h3":  # an h3 section stops at the next h2 as well
                    end = next((i for i in range(start + 1, end) if children[i].tag == "h2"), end)
                section = E.SECTION()
                section.set("aria-labelledby", children[start].get("id", ""))
                children[start].addprevious(section)
                section.extend(children[start:end])


def _reference_section(citations):
    heading = E.H2("References", id="references")
    entries = []
    for ref in citations.references:
        item = lxml.html.fragment_fromstring(ref.html, create_parent="li")
        item.set("id", ref.anchor)
        entries.append(item)
    listing = (E.OL if citations.numeric else E.UL)(*entries, **{"class": "references"})
    return E.SECTION(heading, listing, **{"class": "references", "aria-labelledby": "references"})


def _page(doc, theme, main, css):
    meta = doc.meta
    org = theme.organisation
    control = (f"Version {meta.version} · Issued {_date(meta.date)} · "
               f"Review due {_date(meta.review_due)}")
    brand = E.DIV(
        *([E.IMG(src=theme.logo_url, alt=f"{org.name or meta.organisation} logo",
                 **{"class": "logo"})] if theme.logo_url else []),
        E.P(meta.organisation or org.name, **{"class": "organisation"}), **{"class": "brand"})
    header = E.HEADER(
        brand,
        E.H1(meta.title, id="title"),
        *([E.P(meta.subtitle, **{"class": "subtitle"})] if meta.subtitle else []),
        E.P(control, **{"class": "doc-control"}),
        **{"class": "masthead", "data-short-title": meta.short_title or meta.title})
    contact = [E.P(line) for line in [org.name] + org.contact_lines() if line]
    footer = E.FOOTER(E.DIV(*contact, **{"class": "contact"}), **{"class": "colophon"})
    head = E.HEAD(
        E.META(charset="utf-8"),
        E.META(name="viewport", content="width=device-width, initial-scale=1"),
        E.TITLE(meta.title),
        E.META(name="author", content=meta.author or meta.organisation or org.name),
        E.META(name="description", content=meta.subtitle or meta.title),
        E.META(name="keywords", content=", ".join(meta.keywords)),
        E.META(name="dcterms.created", content=meta.date.isoformat()),
        E.META(name="dcterms.modified", content=meta.date.isoformat()),
        E.META(name="handout.version", content=meta.version),
        E.META(name="handout.review-due", content=meta.review_due.isoformat()),
        E.STYLE(theme.font_faces(embed=True) + theme.css_variables(meta.paper or theme.paper)
                + css))
    return E.HTML(head, E.BODY(header, main, footer), lang=meta.lang)


def _date(day):
    return f"{day:%B} {day.day}, {day.year}"
