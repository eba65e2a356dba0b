"""Render stage: the document model becomes one semantic, standalone HTML page.

That page is output/NAME.html, and WeasyPrint prints it to the PDF. Every block and inline
type of handouts/model.py is written here by exhaustive dispatch: a type without a writer
stops the build naming the construct, rather than leaving it out.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Never, NoReturn, assert_never

import lxml.html
from lxml.etree import _Element
from lxml.html import builder as E

from handouts import formula, model as m
from handouts.style import callouts, fonts
from handouts.write import qr
from handouts.write.html import fonts as web_fonts
from handouts.messages import catalogue, right_to_left
from handouts.diagnostics import WARNING, Diagnostic
from handouts.furniture import (LINE_CHARACTERS, ONE_LINE_CHARACTERS, TALL_BOX_LINES,
                                abstract_parts, doc_control, draft_mark, footer_control,
                                header_right, leads_in, short_table, unwritable)
from handouts.style.theme import printable_characters

if TYPE_CHECKING:
    from handouts.read.front_matter import Document as Source, Meta
    from handouts.style.theme import Organisation, Theme

MAX_WORD = 1000         # characters without a space (the longest DOI link is far shorter)

Content = str | _Element  # what an element holds: text and elements


def el(tag: str, *content: Content, **attributes: str) -> _Element:
    """An HTML element: lxml's builder, typed (it has no type stubs)."""
    element: _Element = E.E(tag, *content, **attributes)
    return element


@dataclass
class Page:
    """The rendered handout: the HTML text, its parsed tree, and what the author should see."""
    html: str
    tree: _Element
    warnings: list[Diagnostic] = field(default_factory=list)
    print_html: str = ""     # the page for the PDF: pictures at print size, no <style>
    pictures: dict[str, str] = field(default_factory=dict)  # picture:N -> print-size data: URL
    # The PDF's style: what every handout of the theme shares (whole fonts, the theme and
    # the stylesheet, parsed once per process by pdf_writer) and this page's own rules.
    print_css: tuple[str, str] = ("", "")
    print_fonts: dict[str, str] = field(default_factory=dict)  # font:N -> its font file

    def __post_init__(self) -> None:
        self.print_html = self.print_html or self.html

    def __getstate__(self) -> dict[str, object]:
        # Sent to the process printing the PDF; lxml trees do not pickle.
        return {**self.__dict__, "tree": None}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.tree = lxml.html.document_fromstring(self.html)


def render(document: m.Document, theme: Theme, css: str) -> Page:
    """Build the standalone page for one document."""
    doc = document.source
    writer = _Html(doc)
    # The reference list is a section of its own, after the sections of the text; each
    # footnote goes to the end of the section that first refers to it.
    text = [b for b in document.blocks if not isinstance(b, (m.References, m.Footnotes))]
    main = el("main", *writer.blocks(text), id="content")
    _wrap_sections(main)
    _section_notes(main, [n for b in document.blocks if isinstance(b, m.Footnotes)
                          for n in b.notes], writer)
    main.extend(_contact_panel(theme, doc))
    main.extend(_online_copy(doc.meta))
    main.extend(writer.blocks([b for b in document.blocks if isinstance(b, m.References)]))
    warnings = list(document.warnings)
    page, print_css, print_fonts = _page(doc, theme, main, css, document, warnings)
    html: str = lxml.html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode")
    print_html, pictures = _for_print(page, writer.print_sources, writer.print_math)
    return Page(html, page, warnings, print_html, pictures, print_css, print_fonts)


def _for_print(page: _Element, print_sources: list[tuple[_Element, str]],
               print_math: list[tuple[_Element, _Element]]
               ) -> tuple[str, dict[str, str]]:
    """The page as WeasyPrint prints it, and its pictures at print size by address: the
    page names each as picture:N, which the PDF writer serves. Thirty phone photos as data:
    URLs made a page of 70 MB that WeasyPrint's HTML parser read character by character.
    Its style is left out: the PDF writer is given Page.print_css instead."""
    screen = [(element, element.get("src") or "") for element, _ in print_sources]
    pictures = {}
    for number, (element, src) in enumerate(print_sources):
        pictures[f"picture:{number}"] = src
        element.set("src", f"picture:{number}")
    head, style = page.find("head"), page.find("head/style")
    assert head is not None and style is not None  # _page writes both
    head.remove(style)
    for shown, printed in print_math:  # WeasyPrint draws no MathML: the formula's picture
        _swap(shown, printed)
    printed_page = page
    if page.find(".//section[@class='footnotes']") is not None:
        printed_page = copy.deepcopy(page)
        _notes_at_foot(printed_page)
    html: str = lxml.html.tostring(printed_page, doctype="<!DOCTYPE html>", encoding="unicode")
    for shown, printed in print_math:
        _swap(printed, shown)
    head.append(style)
    for element, screen_src in screen:
        element.set("src", screen_src)
    return html, pictures


def _swap(old: _Element, new: _Element) -> None:
    """new where old stands in the tree, with the text that follows old."""
    parent = old.getparent()
    assert parent is not None  # a formula is always inside a block
    new.tail, old.tail = old.tail, None
    parent.replace(old, new)


class _Html:
    def __init__(self, doc: Source) -> None:
        self.doc = doc
        self.say = catalogue(doc.meta.lang)
        self.level = 1          # of the last heading written: the title is the one h1
        self.first_cited: dict[str, str] = {}  # reference key -> id of the first citation
        self.print_sources: list[tuple[_Element, str]] = []  # (img, print-size data: URL)
        self.print_math: list[tuple[_Element, _Element]] = []  # (<math>, its picture)

    def blocks(self, blocks: Sequence[m.Block]) -> list[_Element]:
        return [self.block(b) for b in blocks]

    def block(self, b: m.Block) -> _Element:
        match b:
            case m.Heading():
                self.level = b.level
                return el(f"h{b.level}", *self.inlines(b.children), id=b.anchor)
            case m.Paragraph():
                written = self.inlines(b.children)
                # a line or less: the pagination keeps it with what follows its heading;
                # one ending in a colon, with what follows it
                text = m.inline_text(b.children)
                kinds = ["short"] * (len(text) <= ONE_LINE_CHARACTERS) + \
                    ["lead-in"] * leads_in(text)
                return el("p", *written, **({"class": " ".join(kinds)} if kinds else {}))
            case m.BulletList():
                tasks = any(item.task is not None for item in b.items)
                attrs = {"class": "task-list"} if tasks else {}
                return el("ul", *[self.item(i) for i in b.items], **attrs)
            case m.OrderedList():
                # WeasyPrint reads no start attribute: the PDF counts from the counter.
                attrs = {"start": str(b.start), "style": f"counter-reset: list-item {b.start - 1}"
                         } if b.start != 1 else {}
                if b.start + len(b.items) - 1 >= 10:  # "10." needs more room than "9."
                    attrs["class"] = "long"
                return el("ol", *[self.item(i) for i in b.items], **attrs)
            case m.DefinitionList():
                return self.definitions(b)
            case m.Table():
                return self.table(b)
            case m.Callout():
                return self.callout(b)
            case m.Quote():
                return el("blockquote", *self.blocks(b.blocks))
            case m.CodeBlock():
                return el("pre", el("code", b.text))
            case m.Figure():
                caption = [el("figcaption", *self.inlines(b.caption))] if b.caption else []
                return el("figure", self.picture(b), *caption,
                          **({"id": b.anchor} if b.anchor else {}))
            case m.Division():
                return el("div", *self.blocks(b.blocks))
            case m.DisplayMath():
                return el("div", self.formula(b.tex, True), **{"class": "math-display"})
            case m.Rule():
                return el("hr")
            case m.PageBreak():  # on paper only
                return el("div", **{"class": "page-break", "aria-hidden": "true",
                                    "style": "break-after: page"})
            case m.Footnotes():
                return self.footnotes(b)
            case m.References():
                return self.references(b)
            case _:
                self.unknown(b)

    def unknown(self, node: Never) -> NoReturn:
        """assert_never that, at run time, names the construct for people: a model type
        without a case here is a type error, and an object of no model type stops the build."""
        raise unwritable(self.doc, "web page", node)

    # -- blocks of more than a line ---------------------------------------------------------
    def item(self, item: m.ListItem) -> _Element:
        content = self.item_content(item.blocks)
        attrs = {"id": item.anchor} if item.anchor else {}
        if item.task is not None:
            box = el("span", **{"class": "task-box", "role": "img",
                            "aria-label": "done" if item.task else "to do"})
            attrs["class"] = "task done" if item.task else "task"
            content = [box, *content]
        return el("li", *content, **attrs)

    def item_content(self, blocks: list[m.Block]) -> list[Content]:
        """A tight item's lone paragraph is written as bare text, as Markdown does."""
        first = blocks[0] if blocks else None
        if isinstance(first, m.Paragraph) and not any(
                isinstance(b, m.Paragraph) for b in blocks[1:]):
            return self.inlines(first.children) + self.blocks(blocks[1:])
        return list(self.blocks(blocks))

    def definitions(self, b: m.DefinitionList) -> _Element:
        children = []
        for item in b.items:
            children += [el("dt", *self.inlines(term)) for term in item.terms]
            children += [el("dd", *self.item_content(d)) for d in item.definitions]
        return el("dl", *children, **{"class": "glossary"})

    def table(self, b: m.Table) -> _Element:
        head = [self.row(r) for r in b.rows if r.head]
        body = [self.row(r) for r in b.rows if not r.head]
        parts = [el("caption", *self.inlines(b.caption))] if b.caption else []
        parts += [el("thead", *head)] if head else []
        parts += [el("tbody", *body)] if body else []
        attrs = {"id": b.anchor} if b.anchor else {}
        cells = [[" ".join(m.inline_text(inlines) for block in m.walk(c.blocks)
                           for inlines in m.inline_lists(block)) for c in r.cells]
                 for r in b.rows]
        if short_table(cells):
            # kept whole on its page (the PDF's pagination)
            attrs["class"] = "short"
        return el("table", *parts, **attrs)

    def row(self, row: m.Row) -> _Element:
        cells = []
        for cell in row.cells:
            attrs = {}
            if cell.colspan > 1:
                attrs["colspan"] = str(cell.colspan)
            if cell.rowspan > 1:
                attrs["rowspan"] = str(cell.rowspan)
            if cell.align:
                attrs["class"] = f"align-{cell.align}"
            if cell.header:
                attrs["scope"] = "col" if row.head else "row"
            tag = "th" if cell.header else "td"
            cells.append(el(tag, *self.item_content(cell.blocks), **attrs))
        return el("tr", *cells)

    def callout(self, b: m.Callout) -> _Element:
        """A box whose title is a heading one level below the section it stands in, so
        readers who move from heading to heading find the key points (in a footnote too, as
        the checker expects and Word's footnotes show it)."""
        level = min(self.level + 1, 6)
        title = [el(f"h{level}", *self.inlines(b.title), **{"class": "callout-title"})] \
            if b.title else []
        # The kind is printed, not only coloured: "Warning", with its icon (style/callouts.py)
        # drawn as a background, which assistive technology does not read twice.
        icon = el("span", **{"class": "callout-icon", "aria-hidden": "true"})
        label = el("p", icon, self.say(f"callout_{b.kind}"), **{"class": "callout-label"})
        # a tall box may break across pages, as in Word (styles/handout.css, Pagination)
        tall = " long" if m.lines_about(b.blocks, LINE_CHARACTERS) > TALL_BOX_LINES else ""
        return el("div", label, *title, *self.blocks(b.blocks),
                  **{"class": f"callout {b.kind}{tall}", "role": "note"})

    def footnotes(self, b: m.Footnotes) -> _Element:
        """Notes the text does not place at a section's end (render does, see
        _section_notes): a numbered list, each note with a way back to its marker."""
        return el("div", el("ol", *[self.note(n) for n in b.notes]), **{"class": "footnote"})

    def note(self, note: m.Footnote) -> _Element:
        back = el("a", self.say("back_to_text"), href="#fnref:" + note.anchor.removeprefix("fn:"),
                  **{"class": "back-link footnote-back",
                     "aria-label": self.say("back_to_footnote", number=note.number)})
        return el("li", *self.blocks(note.blocks), back, id=note.anchor, value=str(note.number))

    def references(self, b: m.References) -> _Element:
        entries = [el("li", *self.inlines(e.children), *self.back_link(e), id=e.anchor)
                   for e in b.entries]
        listing = el("ol" if b.numbered else "ul", *entries, **{"class": "references"})
        return el("section", el("h2", self.say("references"), id="references"), listing,
                         **{"class": "references", "aria-labelledby": "references"})

    def back_link(self, entry: m.ReferenceEntry) -> list[Content]:
        """On screen, a way back from a reference to where the text first cites it."""
        anchor = self.first_cited.get(entry.key.lower())
        if not anchor:
            return []
        return [" ", el("a", self.say("back_to_text"), href="#" + anchor, **{
            "class": "back-link",
            "aria-label": self.say("back_to_text_label", number=entry.number)})]

    # -- inlines ----------------------------------------------------------------------------
    def inlines(self, inlines: list[m.Inline]) -> list[Content]:
        """A list of strings and elements, for an lxml builder call."""
        out: list[Content] = []
        for node in inlines:
            written = self.inline(node)
            last = out[-1] if out else None
            if isinstance(node, m.Citation) and not node.lead and isinstance(last, str) \
                    and last.strip():
                out.pop()
                written = _glued(last, written)
            out += written
        return out

    def inline(self, node: m.Inline) -> list[Content]:
        match node:
            case m.Text():
                return [node.text]
            case m.Styled() if node.style in ("print-address", "small-caps"):
                return [el("span", *self.inlines(node.children), **{"class": node.style})]
            case m.Styled():
                return [el(node.style, *self.inlines(node.children))]
            case m.Code():
                return [el("code", node.text)]
            case m.Link():
                attrs = {"aria-label": node.label} if node.label else {}
                return [el("a", *self.inlines(node.children), href=node.href, **attrs)]
            case m.LineBreak():
                return [el("br")]
            case m.Abbreviation():
                abbr = el("abbr", node.text, title=node.expansion)
                return [abbr, f" ({node.expansion})"] if node.first else [abbr]
            case m.Citation():
                return self.citation(node)
            case m.FootnoteRef():
                return [el("sup", el("a", str(node.number), href="#" + node.anchor,
                                  **{"class": "footnote-ref"}),
                              id="fnref:" + node.anchor.removeprefix("fn:"))]
            case m.InlineImage():
                return [self.picture(node)]
            case m.Math():
                return [self.formula(node.tex, node.display)]
            case _:
                self.unknown(node)

    def citation(self, c: m.Citation) -> list[Content]:
        span = el("span", *self.inlines(c.rendered), **{"class": "citation",
                                                    "data-cites": " ".join(c.keys)})
        if any(k.lower() not in self.first_cited for k in c.keys):
            anchor = f"cite-{len(set(self.first_cited.values())) + 1}"
            span.set("id", anchor)
            for key in c.keys:
                self.first_cited.setdefault(key.lower(), anchor)
        return self.inlines(c.lead) + [span]

    def picture(self, image: m.Figure | m.InlineImage) -> _Element:
        """The picture at screen size; the print copy's address is kept for the PDF."""
        element = el("img", src=image.screen_src or image.src, alt=image.alt)
        self.print_sources.append((element, image.src))
        return element


    def formula(self, tex: str, display: bool) -> _Element:
        """MathML for the screen; its picture, baseline on baseline, for the PDF."""
        shown = _mathml(formula.mathml(tex, display))
        shown.set("alttext", tex)  # what a reader without MathML is given, and the check
        drawn = formula.svg(tex, display)
        style = (f"width: {drawn.width:.3f}em; height: {drawn.height:.3f}em; "
                 f"vertical-align: {-drawn.depth:.3f}em")
        printed = el("img", src=drawn.url, alt=tex, style=style,
                     **{"class": "math display" if display else "math"})
        self.print_math.append((shown, printed))
        return shown


def _mathml(text: str) -> _Element:
    """MathML text as elements of the page (the HTML parser does not know MathML's)."""
    def build(node: ElementTree.Element) -> _Element:
        tag = node.tag.rsplit("}", 1)[-1]
        made = el(tag, *([node.text] if node.text else []), *[build(c) for c in node],
                  **{k: v for k, v in node.attrib.items() if k != "xmlns"})
        made.tail = node.tail
        return made
    return build(ElementTree.fromstring(text))


def _glued(text: str, citation: list[Content]) -> list[Content]:
    """The last word before a citation and the citation, on one line: a number never
    starts a line of its own ("limited." / "2")."""
    head, _, word = text.rpartition(" ")
    glued = el("span", word, *citation, **{"class": "nobreak"})
    return ([head + " "] if head or text.startswith(" ") else []) + [glued]


def _contact_panel(theme: Theme, doc: Source) -> list[_Element]:
    """Whom to call (and, for clinicians, how to refer), where a reader looks for it: a
    panel closing the text, before the references. Until the theme has an address, phone
    or website, the name stays in the page's footer alone (and the build warns); when the
    text holds the details ({{contact}}), they are not printed again."""
    org = theme.organisation
    lines = [el("p", *_linked(line, org)) for line in org.panel_lines(doc)]
    if not lines:
        return []
    return [el("section", el("h2", catalogue(doc.meta.lang)("contact_us"), id="contact-us"),
                      el("div", *lines, **{"class": "contact"}),
                      **{"class": "contact-panel", "aria-labelledby": "contact-us"})]


def _linked(line: str, org: Organisation) -> list[Content]:
    """A line of the contact panel, its phone number a tel: link a phone can call with one
    tap, its website and e-mail address links (Organisation.link_in)."""
    found = org.link_in(line)
    if not found:
        return [line]
    head, value, href = found
    return [*([head] if head else []), el("a", value, href=href)]


def _online_copy(meta: Meta) -> list[_Element]:
    """On paper, where to read the handout online: a QR code and the address beside it.
    The web page is the online copy, so on screen it is not shown."""
    if not meta.url:
        return []
    say = catalogue(meta.lang)
    return [el("aside", el("img", src=qr.data_url(meta.url), alt=say("online_copy_qr")),
                    el("p", say("online_copy", url=meta.url)),
                    **{"class": "online-copy print-only"})]


def _section_notes(main: _Element, notes: list[m.Footnote], writer: _Html) -> None:
    """Each footnote at the end of the section (the h2's) that first refers to it, under a
    "Notes" heading one level below the section's, in the order they are referred to; the
    marker links to the note and the note back to the marker. A note nothing refers to
    closes the text."""
    by_place: dict[int, tuple[_Element, list[m.Footnote]]] = {}
    for note in notes:
        marker = main.find(f".//sup[@id='fnref:{note.anchor.removeprefix('fn:')}']")
        place = main
        if marker is not None:
            place = next((s for s in marker.iterancestors("section")
                          if s.getparent() is main), main)
        by_place.setdefault(id(place), (place, []))[1].append(note)
    for number, (place, placed) in enumerate(by_place.values(), 1):
        level = 3 if place is not main else 2
        heading_id = f"notes-{number}"
        place.append(el("section", el(f"h{level}", writer.say("notes"), id=heading_id),
                        el("ol", *[writer.note(n) for n in placed]),
                        **{"class": "footnotes", "aria-labelledby": heading_id}))


def _notes_at_foot(page: _Element) -> None:
    """For the PDF: each note of a section's "Notes" moved beside the block that refers to
    it, as an element WeasyPrint floats to the foot of that block's page (float: footnote,
    styles/handout.css); the marker in the text stays the call. The "Notes" lists go."""
    last: dict[_Element, _Element] = {}  # block -> the last note placed after it
    for section in [s for s in page.iter("section") if s.get("class") == "footnotes"]:
        for li in section.iterfind("ol/li"):
            anchor = li.get("id", "")
            note = el("div", **{"class": "footnote-print", "id": anchor,
                                "data-number": li.get("value", "")})
            note.extend(child for child in list(li) if "footnote-back" not in
                        (child.get("class") or ""))
            marker = page.find(f".//sup[@id='fnref:{anchor.removeprefix('fn:')}']")
            block = _block_of(marker) if marker is not None else None
            if block is None:
                section.addprevious(note)
            elif block.tag in ("li", "dd"):
                block.append(note)
            else:  # after the notes placed after the same block: in their order
                last.get(block, block).addnext(note)
                last[block] = note
        parent = section.getparent()
        assert parent is not None  # a section in <main>
        parent.remove(section)


BLOCKS = {"p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "figure"}


def _block_of(element: _Element) -> _Element | None:
    """The block a marker stands in that a note can follow: a table or figure whole."""
    found = None
    for ancestor in element.iterancestors():
        if ancestor.tag in ("table", "figure"):
            return ancestor
        if found is None and ancestor.tag in BLOCKS:
            found = ancestor
    return found


def _wrap_sections(main: _Element) -> None:
    """Give each h2 (and each h3 inside it) a <section>, so the outline is in the tree."""
    for level in ("h2", "h3"):
        for container in [main] + main.findall(".//section"):
            children = list(container)
            starts = [i for i, c in enumerate(children) if c.tag == level]
            for n, start in enumerate(starts):
                end = starts[n + 1] if n + 1 < len(starts) else len(children)
                if level == "h3":  # an h3 section stops at the next h2 as well
                    end = next((i for i in range(start + 1, end) if children[i].tag == "h2"), end)
                section = el("section")
                section.set("aria-labelledby", children[start].get("id", ""))
                children[start].addprevious(section)
                section.extend(children[start:end])


def _check_printable(document: m.Document, theme: Theme, body: _Element, shown: str,
                     warnings: list[Diagnostic]) -> list[str]:
    """Every word must fit on a line, and every character must be in a typeface: the
    theme's, a packaged fallback (see fonts.py) or, failing those, one installed here.
    Returns the fallback families the page needs, in the order to try them."""
    doc = document.source
    long_word = next((match for text in body.itertext()
                      for match in [re.search(r"\S{%d,}" % MAX_WORD, str(text))] if match),
                     None)
    if long_word:
        path, line = _source_of(document, long_word.group()[:40])
        raise Diagnostic(path, f"a word of {len(long_word.group())} characters cannot be "
                         "printed", "break it up with spaces", line)
    packaged: list[str]
    installed: dict[str, str | None]
    packaged, installed = fonts.fallbacks(shown, printable_characters(theme.font_family))
    for char, family in installed.items():
        if family is None:
            path, line = _source_of(document, char)
            raise Diagnostic(path, f"the character '{char}' (U+{ord(char):04X}) cannot be "
                             f"printed in {theme.font_family} or its fallbacks, and no font "
                             "installed here has it", "install a font that has it (Debian: "
                             f"{fonts.package_for(char)}), or replace the character", line)
    families = sorted({f for f in installed.values() if f is not None})
    for family in families:
        chars = "".join(c for c, f in installed.items() if f == family)[:10]
        warnings.append(Diagnostic(doc.path, f"'{chars}' printed in {family}, a font of this "
                                   "computer: another computer may print them differently",
                                   code="installed-font", severity=WARNING))
    return packaged + families


def _source_of(document: m.Document, text: str) -> tuple[Path, int | None]:
    """The file and line where text of the page was typed: the block that holds it (its
    line as the reader found it), a front-matter field, or the bibliography entry (its line
    as the bibliography read it); the handout without a line if none holds it."""
    doc = document.source
    line = _block_line(document.blocks, text, None) or _field_line(doc, text)
    if line:
        return doc.path, line
    entries = (e for b in document.blocks if isinstance(b, m.References) for e in b.entries)
    return next((e.where for e in entries if e.where and text in m.inline_text(e.children)),
                (doc.path, None))


def _block_line(blocks: list[m.Block], text: str, line: int | None) -> int | None:
    """The line of the first block, the innermost, whose own words hold text (a block the
    reader gave no line has its container's)."""
    for block in blocks:
        if isinstance(block, m.References):
            continue  # typed in the bibliography
        here = block.line or line
        own = [m.inline_text(inlines, citations=False) for inlines in m.inline_lists(block)]
        if any(text in words for words in own + _code_text(block)):
            return here
        inner = _block_line(m.children_of(block), text, here)
        if inner:
            return inner
    return None


def _code_text(block: m.Block) -> list[str]:
    return [block.text] if isinstance(block, m.CodeBlock) else []


def _field_line(doc: Source, text: str) -> int | None:
    """The front-matter line of the first text field holding text."""
    meta = doc.meta
    fields = {"title": meta.title, "subtitle": meta.subtitle, "short_title": meta.short_title,
              "organisation": meta.organisation, "version": meta.version}
    return next((doc.line_of(key) for key, value in fields.items() if text in value), None)


def _page(doc: Source, theme: Theme, main: _Element, css: str, document: m.Document,
          warnings: list[Diagnostic]) -> tuple[_Element, tuple[str, str], dict[str, str]]:
    meta = doc.meta
    org = theme.organisation
    brand = el("div",
        *([el("img", src=theme.logo_url, alt=f"{org.name or meta.organisation} logo",
                 **{"class": "logo"})] if theme.logo_url else []),
        el("p", meta.organisation or org.name, **{"class": "organisation"}), **{"class": "brand"})
    header = el("header",
        brand,
        *([el("p", draft_mark(meta), **{"class": "draft-mark screen-only"})]
          if meta.draft else []),
        el("h1", meta.title, id="title"),
        *([el("p", meta.subtitle, **{"class": "subtitle"})] if meta.subtitle else []),
        el("p", doc_control(meta), **{"class": "doc-control"}),
        *[el("p", part, **{"class": "abstract"}) for part in abstract_parts(meta)],
        **{"class": "masthead", "data-short-title": meta.running_title})
    # With a contact panel, or the details in the text, the footer's name is for the screen
    # only: on paper it would stand alone at the end, under the references.
    panel = bool(org.panel_lines(doc)) or org.in_text(doc)  # as _contact_panel decides
    footer = el("footer", el("p", org.name or meta.organisation),
                      **{"class": "colophon screen-only" if panel else "colophon"})
    body = el("body", header, main, footer)
    # The subset holds the page furniture's characters too: "Página" is only in the CSS.
    furniture = meta.running_title + catalogue(meta.lang)("page", page=0, pages=0)
    shown = _text_of(body, formulas=False) + furniture
    fallback = _check_printable(document, theme, body, shown, warnings)
    cut_fonts = doc.path.parent.parent / ".cache" / "fonts"  # beside source/
    faces = (web_fonts.font_faces(theme.font_family, shown, web_fonts.used_faces(body),
                                  cut_fonts)
             + web_fonts.fallback_faces(fallback, set(shown) - printable_characters(
                 theme.font_family), cut_fonts)
             + web_fonts.math_faces(_formula_text(body), cut_fonts))
    shared = (theme.css_variables(meta.paper or theme.paper, fallback)
              + theme.resolve_variables(css, fallback) + callouts.css(theme))
    own = _page_furniture(meta)
    say = catalogue(meta.lang)
    head = el("head",
        el("meta", charset="utf-8"),
        el("meta", name="viewport", content="width=device-width, initial-scale=1"),
        el("title", meta.title),
        el("meta", name="author", content=meta.author or meta.organisation or org.name),
        el("meta", name="description", content=meta.abstract or meta.subtitle or meta.title),
        el("meta", name="keywords", content=", ".join(meta.keywords)),
        *([el("meta", name="dcterms.created", content=meta.date.isoformat()),
           el("meta", name="dcterms.modified", content=meta.date.isoformat())]
          if meta.date else []),
        el("meta", name="handout.version", content=meta.version or say("draft")),
        *([el("meta", name="handout.review-due", content=meta.review_due.isoformat())]
          if meta.review_due else []),
        *([el("meta", name="handout.approved-by", content=meta.approved_by)]
          if meta.approved_by else []),
        *([el("meta", name="handout.approved-on", content=meta.approved_on.isoformat())]
          if meta.approved_on else []),
        el("style", _style_text(faces + shared + own)))
    page = el("html", head, body, lang=meta.lang, **({"dir": "rtl"} if right_to_left(meta.lang)
                                                  else {}))
    print_fonts, files = web_fonts.whole_faces(theme.font_family, fallback)
    return page, (print_fonts + shared, own), files


def _formula_text(element: _Element) -> str:
    """The characters of the page's formulas (MathML)."""
    parts = element.xpath(".//math//text()")
    assert isinstance(parts, list)
    return "".join(str(part) for part in parts)


def _text_of(element: _Element, formulas: bool = True) -> str:
    """The text of an element and all inside it, as lxml.html's text_content() gives it;
    without formulas, which the PDF draws as pictures (and the screen in a math font)."""
    if formulas:
        text = element.xpath("string()")
        assert isinstance(text, str)
        return text
    parts = element.xpath(".//text()[not(ancestor::math)]")
    assert isinstance(parts, list)
    return "".join(str(part) for part in parts)


def css_string(text: str) -> str:
    """text as a quoted CSS string that stays one: on one line (a line break would end it
    and start rules), its quotes and backslashes escaped, and '<' written as an escape, so
    no value can close the page's <style> element and open a <script>."""
    text = re.sub(r"[\n\r\f\v\t]", " ", text)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return f'"{text}"'


def _style_text(css: str) -> str:
    """The page's CSS as the text of its <style> element. Values are escaped where they
    enter the CSS (css_string); this also keeps a '</' in styles/handout.css (a comment, a
    string) from ending the element: '<\\/' means the same to CSS."""
    return css.replace("</", "<\\/")


def _page_furniture(meta: Meta) -> str:
    """The words of the running header and footer as CSS strings, for WeasyPrint and for a
    browser's own printing alike (Chromium prints page margin boxes but has no string-set)."""
    before, between, end = catalogue(meta.lang).page_parts()
    numbers = (f"{css_string(before)} counter(page) {css_string(between)} counter(pages) "
               f"{css_string(end)}")
    return ("\n@media print {\n"
            f"  @page {{ @bottom-left {{ content: {css_string(footer_control(meta))}; }}\n"
            f"          @bottom-right {{ content: {numbers}; }}\n"
            f"          @top-left {{ content: {css_string(meta.running_title)}; }}\n"
            + (f"          @top-right {{ content: {css_string(header_right(meta))}; }}\n"
               if header_right(meta) else "")
            + "  }\n"
            "  @page :first { @top-left { content: none; } @top-right { content: "
            f"{css_string(draft_mark(meta)) if meta.draft else 'none'}; }} }}\n"
            # A draft's mark, bold and red, at the top right of every page.
            + ("  @page { @top-right { font-weight: bold; color: #9B1C1C; } }\n"
               if meta.draft else "")
            + "}\n")
