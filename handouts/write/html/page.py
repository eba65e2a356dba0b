"""Render stage: the document model becomes one semantic, standalone HTML page.

That page is output/NAME.html, and WeasyPrint prints it to the PDF. Every block and inline
type of handouts/model.py is written here by exhaustive dispatch: a type without a writer
stops the build naming the construct, rather than leaving it out.
"""

import re
from dataclasses import dataclass, field

import lxml.html
from lxml.html import builder as E

from handouts import model as m
from handouts.style import fonts
from handouts.write import qr
from handouts.write.html import fonts as web_fonts
from handouts.messages import catalogue, right_to_left
from handouts.cite.bibliography import files_of
from handouts.diagnostics import Diagnostic, display_path
from handouts.furniture import doc_control, unwritable
from handouts.style.theme import printable_characters

MAX_WORD = 1000         # characters without a space (the longest DOI link is far shorter)


@dataclass
class Page:
    """The rendered handout: the HTML text, its parsed tree, and what the author should see."""
    html: str
    tree: object
    warnings: list = field(default_factory=list)
    print_html: str = None   # the page for the PDF: pictures at print size, no <style>
    pictures: dict = field(default_factory=dict)  # picture:N -> its print-size data: URL
    # The PDF's style: what every handout of the theme shares (whole fonts, the theme and
    # the stylesheet, parsed once per process by pdf_writer) and this page's own rules.
    print_css: tuple = ("", "")
    print_fonts: dict = field(default_factory=dict)  # font:N -> the font file it stands for

    def __post_init__(self):
        self.print_html = self.print_html or self.html

    def __getstate__(self):  # sent to the process printing the PDF; lxml trees do not pickle
        return {**self.__dict__, "tree": None}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.tree = lxml.html.document_fromstring(self.html)


def render(document, theme, css):
    """Build the standalone page for one document."""
    doc = document.source
    writer = _Html(doc)
    # The reference list is a section of its own, after the sections of the text.
    text = [b for b in document.blocks if not isinstance(b, m.References)]
    main = E.MAIN(*writer.blocks(text), id="content")
    _wrap_sections(main)
    main.extend(_contact_panel(theme, doc.meta.lang))
    main.extend(_online_copy(doc.meta))
    main.extend(writer.blocks([b for b in document.blocks if isinstance(b, m.References)]))
    warnings = list(document.warnings)
    page, print_css, print_fonts = _page(doc, theme, main, css, document, warnings)
    html = lxml.html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode")
    print_html, pictures = _for_print(page, writer.print_sources)
    return Page(html, page, warnings, print_html, pictures, print_css, print_fonts)


def _for_print(page, print_sources):
    """The page as WeasyPrint prints it, and its pictures at print size by address: the
    page names each as picture:N, which the PDF writer serves. Thirty phone photos as data:
    URLs made a page of 70 MB that WeasyPrint's HTML parser read character by character.
    Its style is left out: the PDF writer is given Page.print_css instead."""
    screen = [(element, element.get("src")) for element, _ in print_sources]
    pictures = {}
    for number, (element, src) in enumerate(print_sources):
        pictures[f"picture:{number}"] = src
        element.set("src", f"picture:{number}")
    style = page.find("head/style")
    style.getparent().remove(style)
    html = lxml.html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode")
    page.find("head").append(style)
    for element, src in screen:
        element.set("src", src)
    return html, pictures


class _Html:
    def __init__(self, doc):
        self.doc = doc
        self.say = catalogue(doc.meta.lang)
        self.level = 1          # of the last heading written: the title is the one h1
        self.first_cited = {}   # reference key -> id of the citation that first cites it
        self.print_sources = []  # (img element, its print-size data: URL)

    def blocks(self, blocks):
        return [self.block(b) for b in blocks]

    def block(self, block):
        method = getattr(self, "_" + type(block).__name__, None)
        if method is None:
            raise unwritable(self.doc, "web page", block)
        return method(block)

    # -- blocks, one method per model type ------------------------------------------------
    def _Heading(self, b):
        self.level = b.level
        return E.E(f"h{b.level}", *self.inlines(b.children), id=b.anchor)

    def _Paragraph(self, b):
        return E.P(*self.inlines(b.children))

    def _BulletList(self, b):
        tasks = any(item.task is not None for item in b.items)
        attrs = {"class": "task-list"} if tasks else {}
        return E.UL(*[self.item(i) for i in b.items], **attrs)

    def _OrderedList(self, b):
        attrs = {"start": str(b.start)} if b.start != 1 else {}
        return E.OL(*[self.item(i) for i in b.items], **attrs)

    def item(self, item):
        content = self.item_content(item.blocks)
        attrs = {"id": item.anchor} if item.anchor else {}
        if item.task is not None:
            box = E.SPAN(**{"class": "task-box", "role": "img",
                            "aria-label": "done" if item.task else "to do"})
            attrs["class"] = "task done" if item.task else "task"
            content = [box] + content
        return E.LI(*content, **attrs)

    def item_content(self, blocks):
        """A tight item's lone paragraph is written as bare text, as Markdown does."""
        if blocks and isinstance(blocks[0], m.Paragraph) and not any(
                isinstance(b, m.Paragraph) for b in blocks[1:]):
            return self.inlines(blocks[0].children) + self.blocks(blocks[1:])
        return self.blocks(blocks)

    def _DefinitionList(self, b):
        children = []
        for item in b.items:
            children += [E.DT(*self.inlines(term)) for term in item.terms]
            children += [E.DD(*self.item_content(d)) for d in item.definitions]
        return E.DL(*children, **{"class": "glossary"})

    def _Table(self, b):
        head = [self.row(r) for r in b.rows if r.head]
        body = [self.row(r) for r in b.rows if not r.head]
        parts = [E.CAPTION(*self.inlines(b.caption))] if b.caption else []
        parts += [E.THEAD(*head)] if head else []
        parts += [E.TBODY(*body)] if body else []
        return E.TABLE(*parts)

    def row(self, row):
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
            tag = E.TH if cell.header else E.TD
            cells.append(tag(*self.item_content(cell.blocks), **attrs))
        return E.TR(*cells)

    def _Callout(self, b):
        """A box whose title is a heading one level below the section it stands in, so
        readers who move from heading to heading find the key points."""
        level = min(self.level + 1, 6)
        title = [E.E(f"h{level}", *self.inlines(b.title), **{"class": "callout-title"})] \
            if b.title else []
        return E.DIV(*title, *self.blocks(b.blocks), **{"class": f"callout {b.kind}",
                                                          "role": "note"})

    def _Quote(self, b):
        return E.BLOCKQUOTE(*self.blocks(b.blocks))

    def _CodeBlock(self, b):
        return E.PRE(E.CODE(b.text))

    def _Figure(self, b):
        caption = [E.FIGCAPTION(*self.inlines(b.caption))] if b.caption else []
        return E.FIGURE(self.picture(b), *caption)

    def _Division(self, b):
        return E.DIV(*self.blocks(b.blocks))

    def _Rule(self, b):
        return E.HR()

    def _Footnotes(self, b):
        notes = [E.LI(*self.blocks(n.blocks), id=n.anchor) for n in b.notes]
        return E.DIV(E.HR(), E.OL(*notes), **{"class": "footnote"})

    def _References(self, b):
        entries = [E.LI(*self.inlines(e.children), *self.back_link(e), id=e.anchor)
                   for e in b.entries]
        listing = (E.OL if b.numbered else E.UL)(*entries, **{"class": "references"})
        return E.SECTION(E.H2(self.say("references"), id="references"), listing,
                         **{"class": "references", "aria-labelledby": "references"})

    def back_link(self, entry):
        """On screen, a way back from a reference to where the text first cites it."""
        anchor = self.first_cited.get(entry.key.lower())
        if not anchor:
            return []
        return [" ", E.A(self.say("back_to_text"), href="#" + anchor, **{
            "class": "back-link",
            "aria-label": self.say("back_to_text_label", number=entry.number)})]

    # -- inlines ----------------------------------------------------------------------------
    def inlines(self, inlines):
        """A list of strings and elements, for an lxml builder call."""
        out = []
        for node in inlines:
            method = getattr(self, "_" + type(node).__name__, None)
            if method is None:
                raise unwritable(self.doc, "web page", node)
            written = method(node)
            written = written if isinstance(written, list) else [written]
            if isinstance(node, m.Citation) and not node.lead and out and \
                    isinstance(out[-1], str) and out[-1].strip():
                written = _glued(out.pop(), written)
            out += written
        return out

    def _Text(self, t):
        return t.text

    def _Styled(self, s):
        if s.style == "print-address":
            return E.SPAN(*self.inlines(s.children), **{"class": "print-address"})
        return E.E(s.style, *self.inlines(s.children))

    def _Code(self, c):
        return E.CODE(c.text)

    def _Link(self, link):
        attrs = {"aria-label": link.label} if link.label else {}
        return E.A(*self.inlines(link.children), href=link.href, **attrs)

    def _LineBreak(self, _):
        return E.BR()

    def _Abbreviation(self, a):
        abbr = E.ABBR(a.text, title=a.expansion)
        return [abbr, f" ({a.expansion})"] if a.first else abbr

    def _Citation(self, c):
        span = E.SPAN(*self.inlines(c.rendered), **{"class": "citation",
                                                    "data-cites": " ".join(c.keys)})
        if any(k.lower() not in self.first_cited for k in c.keys):
            anchor = f"cite-{len(set(self.first_cited.values())) + 1}"
            span.set("id", anchor)
            for key in c.keys:
                self.first_cited.setdefault(key.lower(), anchor)
        return self.inlines(c.lead) + [span]

    def _FootnoteRef(self, f):
        return E.SUP(E.A(str(f.number), href="#" + f.anchor, **{"class": "footnote-ref"}),
                     id="fnref:" + f.anchor.removeprefix("fn:"))

    def _InlineImage(self, i):
        return self.picture(i)

    def picture(self, image):
        """The picture at screen size; the print copy's address is kept for the PDF."""
        element = E.IMG(src=image.screen_src or image.src, alt=image.alt)
        self.print_sources.append((element, image.src))
        return element


def _glued(text, citation):
    """The last word before a citation and the citation, on one line: a number never
    starts a line of its own ("limited." / "2")."""
    head, _, word = text.rpartition(" ")
    glued = E.SPAN(word, *citation, **{"class": "nobreak"})
    return ([head + " "] if head or text.startswith(" ") else []) + [glued]


def _contact_panel(theme, lang):
    """Whom to call, where a patient looks for it: a panel closing the text, before the
    references. Until the theme has an address, phone or website, the name stays in the
    page's footer alone (and the build warns)."""
    org = theme.organisation
    if not org.contact_lines():
        return []
    lines = [E.P(line) for line in [org.name] + org.contact_lines() if line]
    return [E.SECTION(E.H2(catalogue(lang)("contact_us"), id="contact-us"),
                      E.DIV(*lines, **{"class": "contact"}),
                      **{"class": "contact-panel", "aria-labelledby": "contact-us"})]


def _online_copy(meta):
    """On paper, where to read the handout online: a QR code and the address beside it.
    The web page is the online copy, so on screen it is not shown."""
    if not meta.url:
        return []
    say = catalogue(meta.lang)
    return [E.ASIDE(E.IMG(src=qr.data_url(meta.url), alt=say("online_copy_qr")),
                    E.P(say("online_copy", url=meta.url)),
                    **{"class": "online-copy print-only"})]


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


def _check_printable(doc, theme, body, document, shown, warnings):
    """Every word must fit on a line, and every character must be in a typeface: the
    theme's, a packaged fallback (see fonts.py) or, failing those, one installed here.
    Returns the fallback families the page needs, in the order to try them."""
    long_word = next((match for text in body.itertext()
                      for match in [re.search(r"\S{%d,}" % MAX_WORD, text)] if match), None)
    if long_word:
        raise Diagnostic(doc.path, f"a word of {len(long_word.group())} characters cannot be "
                         "printed", "break it up with spaces",
                         line_of(doc, long_word.group()[:40]))
    packaged, installed = fonts.fallbacks(shown, printable_characters(theme.font_family))
    for char, family in installed.items():
        if family is None:
            path, line = _where_typed(doc, char, document)
            raise Diagnostic(path, f"the character '{char}' (U+{ord(char):04X}) cannot be "
                             f"printed in {theme.font_family} or its fallbacks, and no font "
                             "installed here has it", f"install a font that has it (Debian: "
                             f"{fonts.package_for(char)}), or replace the character", line)
    for family in sorted(set(installed.values())):
        chars = "".join(c for c, f in installed.items() if f == family)[:10]
        warnings.append(f"{display_path(doc.path)}: '{chars}' printed in {family}, a font of "
                        "this computer: another computer may print them differently")
    return packaged + sorted(set(installed.values()))


def line_of(doc, *snippets):
    """The first source line holding a snippet, for characters and words found on the page;
    None if none can be found."""
    for snippet in filter(None, snippets):
        for offset, text in enumerate(doc.body.split("\n")):
            if snippet in text:
                return doc.body_line + offset
    return None


def _where_typed(doc, char, document):
    """The file and line where a character of the page was typed: the body, a front-matter
    field, or the bibliography."""
    line = line_of(doc, char) or _field_line(doc, char)
    references = next((b for b in document.blocks if isinstance(b, m.References)), None)
    if line or references is None or not any(
            char in m.inline_text(e.children) for e in references.entries):
        return doc.path, line
    for bibliography in files_of(doc, doc.path.parent):
        lines = bibliography.read_text(encoding="utf-8").split("\n")
        line = next((n for n, text in enumerate(lines, 1) if char in text), None)
        if line:
            return bibliography, line
    return doc.path, None


def _field_line(doc, char):
    """The front-matter line of the first text field holding char."""
    fields = ("title", "subtitle", "short_title", "organisation", "version")
    return next((doc.line_of(key) for key in fields if char in getattr(doc.meta, key)), None)


def _page(doc, theme, main, css, document, warnings):
    meta = doc.meta
    org = theme.organisation
    brand = E.DIV(
        *([E.IMG(src=theme.logo_url, alt=f"{org.name or meta.organisation} logo",
                 **{"class": "logo"})] if theme.logo_url else []),
        E.P(meta.organisation or org.name, **{"class": "organisation"}), **{"class": "brand"})
    header = E.HEADER(
        brand,
        E.H1(meta.title, id="title"),
        *([E.P(meta.subtitle, **{"class": "subtitle"})] if meta.subtitle else []),
        E.P(doc_control(meta), **{"class": "doc-control"}),
        **{"class": "masthead", "data-short-title": meta.running_title})
    # With a contact panel in the text, the footer's name is for the screen only: on paper
    # it would stand alone at the end, under the references.
    panel = bool(main.find_class("contact-panel"))
    footer = E.FOOTER(E.P(org.name or meta.organisation),
                      **{"class": "colophon screen-only" if panel else "colophon"})
    body = E.BODY(header, main, footer)
    # The subset holds the page furniture's characters too: "Página" is only in the CSS.
    furniture = meta.running_title + catalogue(meta.lang)("page", page=0, pages=0)
    shown = body.text_content() + furniture
    fallback = _check_printable(doc, theme, body, document, shown, warnings)
    cut_fonts = doc.path.parent.parent / ".cache" / "fonts"  # beside source/
    fonts = (web_fonts.font_faces(theme.font_family, shown, web_fonts.used_faces(body),
                                  cut_fonts)
             + web_fonts.fallback_faces(fallback, set(shown) - printable_characters(
                 theme.font_family), cut_fonts))
    shared = (theme.css_variables(meta.paper or theme.paper, fallback)
              + theme.resolve_variables(css, fallback))
    own = _page_furniture(meta)
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
        *([E.META(name="handout.approved-by", content=meta.approved_by)]
          if meta.approved_by else []),
        *([E.META(name="handout.approved-on", content=meta.approved_on.isoformat())]
          if meta.approved_on else []),
        E.STYLE(_style_text(fonts + shared + own)))
    page = E.HTML(head, body, lang=meta.lang, **({"dir": "rtl"} if right_to_left(meta.lang)
                                                  else {}))
    print_fonts, files = web_fonts.whole_faces(theme.font_family, fallback)
    return page, (print_fonts + shared, own), files



def css_string(text):
    """text as a quoted CSS string that stays one: on one line (a line break would end it
    and start rules), its quotes and backslashes escaped, and '<' written as an escape, so
    no value can close the page's <style> element and open a <script>."""
    text = re.sub(r"[\n\r\f\v\t]", " ", text)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return f'"{text}"'


def _style_text(css):
    """The page's CSS as the text of its <style> element. Values are escaped where they
    enter the CSS (css_string); this also keeps a '</' in styles/handout.css (a comment, a
    string) from ending the element: '<\\/' means the same to CSS."""
    return css.replace("</", "<\\/")


def _page_furniture(meta):
    """The words of the running header and footer as CSS strings, for WeasyPrint and for a
    browser's own printing alike (Chromium prints page margin boxes but has no string-set)."""
    before, between, end = catalogue(meta.lang).page_parts()
    numbers = (f"{css_string(before)} counter(page) {css_string(between)} counter(pages) "
               f"{css_string(end)}")
    return ("\n@media print {\n"
            f"  @page {{ @bottom-left {{ content: {css_string(doc_control(meta))}; }}\n"
            f"          @bottom-right {{ content: {numbers}; }}\n"
            f"          @top-left {{ content: {css_string(meta.running_title)}; }} }}\n"
            "  @page :first { @top-left { content: none; } }\n}\n")
