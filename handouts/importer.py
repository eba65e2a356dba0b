"""Import a Word handout: FILE.docx becomes source/NAME.md, its pictures source/NAME-1.png ...

mammoth reads the Word file into plain HTML (headings, lists with their nesting and
numbering, tables, bold, italic, links, footnotes, pictures), told by a style map what this
project's own Word styles mean (callout boxes, the glossary, captions, citation numbers);
markdownify writes that HTML as the Markdown the reader takes, with a few conversions of
our own (four-space list nesting, boxes, footnotes, escapes). The front matter comes from
the document's properties; version and review_due are left out, so the handout builds as a
draft until someone takes responsibility for it. What could not be carried over (mammoth's
messages, comments, tracked changes, pictures of a kind the build cannot print) comes back
as warnings naming the Word file.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mammoth
import markdownify
import yaml
from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString
from lxml import etree
from PIL import Image, UnidentifiedImageError

from handouts.diagnostics import WARNING, Diagnostic, display_path
from handouts.furniture import CALLOUT_STYLES, PANEL_STYLE, QR_STYLE
from handouts.write.docx.styles import callout_label_style

# Word's own style names are mammoth's defaults (Heading 1-6, lists by their numbering,
# Title is mapped here); the rest are the names our DOCX writer gives (write/docx/styles.py).
STYLE_MAP = """
p[style-name='Title'] => h1.doc-title:fresh
p[style-name='List Bullet'] => ul > li:fresh
p[style-name='List Bullet 2'] => ul|ol > li > ul > li:fresh
p[style-name='List Bullet 3'] => ul|ol > li > ul|ol > li > ul > li:fresh
p[style-name='List Number'] => ol > li:fresh
p[style-name='List Number 2'] => ul|ol > li > ol > li:fresh
p[style-name='List Number 3'] => ul|ol > li > ul|ol > li > ol > li:fresh
p[style-name='Subtitle'] => p.subtitle:fresh
p[style-name='Organisation'] => p.organisation:fresh
p[style-name='Document Control'] => !
p[style-name='Callout Title'] => p.callout-title:fresh
p[style-name='Callout'] => p:fresh
p[style-name='Definition Term'] => dl > dt:fresh
p[style-name='Definition'] => dl > dd:fresh
p[style-name='Caption'] => p.caption:fresh
p[style-name='Table Caption'] => p.caption:fresh
p[style-name='Contact'] => !
p[style-name='Quote'] => blockquote > p:fresh
p[style-name='Intense Quote'] => blockquote > p:fresh
p[style-name='Code'] => pre:separator('\\n')
p[style-name='Rule'] => hr
p[style-name='Footnote Text'] => p:fresh
p[style-name='Contact Details'] => !
p[style-name='Online Copy'] => p:fresh
r[style-name='Citation Number'] => sup
r[style-name='Citation'] => span
r[style-name='Inline Code'] => code
r[style-name='Strong'] => strong
r[style-name='Emphasis'] => em
r[style-name='Footnote Reference'] => span
"""
# Each kind of box (its one-cell table's style), and its printed label ("Warning", with its
# icon), which the build prints again; the contact panel and the QR code's table are the
# build's too, made from the theme and the front matter's url.
_BOX_KINDS: dict[str, str] = {}
for _kind, _style in CALLOUT_STYLES.items():
    _BOX_KINDS.setdefault(_style, _kind)
STYLE_MAP += "".join(f"table[style-name='{style}'] => table.box-{kind}:fresh\n"
                     for style, kind in _BOX_KINDS.items())
STYLE_MAP += "".join(f"p[style-name='{callout_label_style(kind)}'] => !\n"
                     for kind in CALLOUT_STYLES)
STYLE_MAP += (f"table[style-name='{PANEL_STYLE}'] => table.furniture:fresh\n"
              f"table[style-name='{QR_STYLE}'] => table.online-copy:fresh\n")

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
      "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
      "w": W, "m": "http://schemas.openxmlformats.org/officeDocument/2006/math"}
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, and an encrypted .docx
ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
PRINTABLE = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}
FALLBACK_LANG = "en-US"
COMMENT_STYLE = re.compile(r"\bID:? Comment\w*\b")


@dataclass
class Imported:
    """What an import wrote, and what it could not carry over."""
    markdown: Path
    pictures: list[Path] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)


def import_docx(path: Path, source_dir: Path, force: bool = False) -> Imported:
    """Write source_dir/NAME.md (and its pictures) from the Word file at path; raises a
    Diagnostic, before writing anything, for a file that cannot be read or a Markdown file
    or picture that is there already (unless force)."""
    data = _read_word_file(path)
    name = _name(path)
    target = source_dir / f"{name}.md"
    if target.exists() and not force:
        raise Diagnostic(path, f"{display_path(target)} is there already",
                         "pass --force (make import FORCE=1) to overwrite it, or rename the "
                         "Word file")
    warnings: list[Diagnostic] = []

    def warn(message: str, hint: str = "", code: str = "import-loss") -> None:
        warnings.append(Diagnostic(path, message, hint, code=code, severity=WARNING))

    # Each picture under a placeholder name until the body is ready: the pictures that
    # stay (not those of the build's own QR code or box icons) are numbered in order.
    found: dict[str, tuple[str, bytes]] = {}

    def picture(image: Any) -> dict[str, str]:
        with image.open() as stream:
            raw = stream.read()
        kind = PRINTABLE.get(image.content_type or "")
        if kind is None:  # BMP, TIFF, WebP...: PNG if Pillow reads it
            try:
                with Image.open(io.BytesIO(raw)) as opened:
                    converted = io.BytesIO()
                    opened.save(converted, "PNG")
                raw, kind = converted.getvalue(), "png"
            except (UnidentifiedImageError, OSError, ValueError):
                warn(f"a picture ({image.content_type or 'of unknown type'}) cannot be printed "
                     "and was left out", "save it from Word as PNG and add it with "
                     "![what it shows](picture.png)")
                return {}
        placeholder = f"picture-{len(found)}"
        found[placeholder] = (kind, raw)
        return {"src": placeholder, "alt": (image.alt_text or "").strip()}

    try:
        result = mammoth.convert_to_html(io.BytesIO(data), style_map=STYLE_MAP,
                                         convert_image=mammoth.images.img_element(picture))
    except Exception as exc:  # mammoth raises what its XML and zip readers raise
        raise _damaged(path, exc) from None
    for message in dict.fromkeys(m.message for m in result.messages):
        if COMMENT_STYLE.search(message) or "/math}" in message:
            continue  # comments and equations are reported below, once each
        warn(f"not carried over: {message}", _HINTS.get(message.split(":")[0], ""))
    warnings += _left_out(path, data)

    properties = _properties(path, data)
    soup = BeautifulSoup(result.value, "html.parser")
    warnings += _text_boxes(path, data, soup)
    front = _front_matter(soup, properties, name)
    if "lang" not in properties:
        warn(f"the document names no language; wrote 'lang: {FALLBACK_LANG}'",
             "change it in the front matter if the handout is in another language",
             code="import-lang")
    pictures: dict[Path, bytes] = {}
    for img in soup.find_all("img"):
        if str(img.get("src")) not in found:  # a picture left out (warned above)
            img.decompose()
            continue
        kind, raw = found[str(img["src"])]
        file = source_dir / f"{name}-{len(pictures) + 1}.{kind}"
        pictures[file] = raw
        img["src"] = file.name
        if not img.get("alt"):
            warn(f"picture {file.name} has no alt text",
                 f"describe what it shows between the brackets of ![]({file.name})")
    body = _Converter().markdown(soup)
    text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000) \
        + "---\n\n" + body.strip() + "\n"

    if not force:
        there = [p for p in pictures if p.exists()]
        if there:
            raise Diagnostic(path, f"{display_path(there[0])} is there already",
                             "pass --force (make import FORCE=1) to overwrite it")
    source_dir.mkdir(parents=True, exist_ok=True)
    for file, raw in pictures.items():
        file.write_bytes(raw)
    target.write_text(text, encoding="utf-8")
    return Imported(target, list(pictures), warnings)


_HINTS = {
    "Unrecognised paragraph style": "its text is kept as a plain paragraph",
    "Unrecognised run style": "its text is kept without that style",
}


def _name(path: Path) -> str:
    """The handout's name: the Word file's, in lower case, with dashes for spaces."""
    name = re.sub(r"[^\w.-]+", "-", path.stem.strip().lower()).strip("-.")
    return name or "imported"


def _read_word_file(path: Path) -> bytes:
    """The file's bytes, when it is a Word (.docx) file; a Diagnostic saying what it is
    instead and what to do, when it is not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise Diagnostic(path, "no such file", "give the path of a .docx file") from None
    except OSError as exc:
        raise Diagnostic(path, f"cannot be read ({exc.strerror})",
                         "check the path and that you may read it") from None
    if data.startswith(OLE_SIGNATURE):
        if ENCRYPTED in data:
            raise Diagnostic(path, "the document is protected by a password",
                             "open it in Word, remove the password (File > Info > Protect "
                             "Document > Encrypt with Password) and save it again")
        raise Diagnostic(path, "this is an old Word 97-2003 document (.doc), not a .docx",
                         "open it in Word and save it as Word Document (.docx), or run "
                         "'libreoffice --headless --convert-to docx FILE.doc'")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise Diagnostic(path, "not a Word document (.docx)",
                         "open it in Word or LibreOffice and save it as Word Document (.docx)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            if "word/document.xml" not in package.namelist():
                raise Diagnostic(path, "a zip file, but not a Word document (no "
                                 "word/document.xml)", "give a .docx file saved by Word "
                                 "or LibreOffice")
            bad = package.testzip()
    except zipfile.BadZipFile as exc:
        raise _damaged(path, exc) from None
    if bad is not None:
        raise _damaged(path, f"{bad} is corrupt")
    return data


def _damaged(path: Path, reason: object) -> Diagnostic:
    return Diagnostic(path, f"the Word document is damaged ({reason})",
                      "open it in Word (which offers to repair it) and save it again")


def _properties(path: Path, data: bytes) -> dict[str, Any]:
    """Title, author, subject, keywords, language and date from docProps/core.xml; the
    language, failing that, from the styles' defaults."""
    found: dict[str, Any] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = set(package.namelist())
        core = _xml(package, "docProps/core.xml") if "docProps/core.xml" in names else None
        styles = _xml(package, "word/styles.xml") if "word/styles.xml" in names else None
        custom = _xml(package, "docProps/custom.xml") if "docProps/custom.xml" in names \
            else None
    if core is not None:
        for key, tag in (("title", "dc:title"), ("author", "dc:creator"),
                         ("subject", "dc:subject"), ("keywords", "cp:keywords"),
                         ("lang", "dc:language")):
            value = " ".join((core.findtext(tag, "", NS) or "").split())
            if value:
                found[key] = value
        for tag in ("dcterms:modified", "dcterms:created"):
            stamp = (core.findtext(tag, "", NS) or "").strip()
            try:
                found["date"] = datetime.date.fromisoformat(stamp[:10])
                break
            except ValueError:
                continue
    if custom is not None:  # our own Word file says whom it was written for
        for prop in custom:
            value = "".join(str(t) for t in prop.itertext()).strip()
            if prop.get("name") == "Audience" and value in ("patients", "clinicians"):
                found["audience"] = value
    if "lang" not in found and styles is not None:
        lang = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
        if lang is not None and lang.get(f"{{{W}}}val"):
            found["lang"] = lang.get(f"{{{W}}}val")
    return found


def _xml(package: zipfile.ZipFile, name: str) -> etree._Element | None:
    try:
        return etree.fromstring(package.read(name),
                                etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None


def _left_out(path: Path, data: bytes) -> list[Diagnostic]:
    """What mammoth drops without a message: comments, equations, and deleted text of
    tracked changes (inserted text is kept)."""
    found = []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = set(package.namelist())
        comments = _xml(package, "word/comments.xml") if "word/comments.xml" in names \
            else None
        document = _xml(package, "word/document.xml")
    count = len(comments.findall("w:comment", NS)) if comments is not None else 0
    if count:
        found.append(Diagnostic(path, f"{count} comment(s) not carried over", "read them in "
                                "Word and work what they say into the text",
                                code="import-loss", severity=WARNING))
    equations = len(document.findall(".//m:oMath", NS)) if document is not None else 0
    if equations:
        found.append(Diagnostic(path, f"{equations} equation(s) not carried over",
                                "write each where it stood as TeX between dollar signs, "
                                "$...$", code="import-loss", severity=WARNING))
    if document is not None and (document.find(".//w:del", NS) is not None
                                 or document.find(".//w:ins", NS) is not None):
        found.append(Diagnostic(path, "tracked changes: imported as if all were accepted",
                                "check the wording against the Word file",
                                code="import-loss", severity=WARNING))
    return found


def _text_boxes(path: Path, data: bytes, soup: BeautifulSoup) -> list[Diagnostic]:
    """Text boxes: mammoth places the text of some after their paragraph and drops others
    (those drawn without a VML fallback); each is reported, quoting its start."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        document = _xml(package, "word/document.xml")
    if document is None:
        return []
    body = "".join(soup.get_text().split())
    found = []
    for box in document.iterfind(".//w:txbxContent", NS):
        text = " ".join("".join(str(t) for t in box.itertext()).split())
        if not text:
            continue
        kept = "".join(text.split()) in body
        found.append(Diagnostic(
            path, f"a text box ('{text[:40]}') " + ("is placed after the paragraph that held "
                                                    "it" if kept else "was not carried over"),
            "put its text where it belongs, or make it a box: !!! note \"Title\"",
            code="import-loss", severity=WARNING))
    return found


def _front_matter(soup: BeautifulSoup, properties: dict[str, Any], name: str) -> dict[str, Any]:
    """The front matter, and the body made ready for conversion: the title (the first Title
    or Heading 1), subtitle and organisation lifted out of it, headings moved up so that
    the top level left is ##, anchors and links within the document dropped, captions
    joined to their pictures, boxes and footnotes marked for the converter."""
    front: dict[str, Any] = {}
    title_tag = soup.find("h1")
    title = _text(title_tag) if isinstance(title_tag, Tag) else ""
    if isinstance(title_tag, Tag):
        title_tag.decompose()
    front["title"] = title or properties.get("title") or name.replace("-", " ").capitalize()
    subtitle = _lift(soup, "subtitle") or properties.get("subject", "")
    if subtitle and subtitle != front["title"]:
        front["subtitle"] = subtitle
    front["lang"] = properties.get("lang", FALLBACK_LANG)
    if "audience" in properties:
        front["audience"] = properties["audience"]
    organisation = _lift(soup, "organisation")
    if organisation:
        front["organisation"] = organisation
    if properties.get("author"):
        front["author"] = properties["author"]
    keywords = [k.strip() for k in re.split(r"[;,]", properties.get("keywords", "")) if k.strip()]
    if keywords:
        front["keywords"] = keywords
    if "date" in properties:
        front["date"] = properties["date"]

    for table in soup.find_all("table", class_="online-copy"):  # the QR code: url
        address = re.search(r"https?://[^\s<>\"]+[^\s<>\".,;)]", table.get_text(" "))
        if address:
            front["url"] = address.group(0)
        table.decompose()
    for table in soup.find_all("table", class_="furniture"):
        table.decompose()
    headings = soup.find_all(re.compile(r"^h[1-6]$"))
    if headings:
        shift = 2 - min(int(h.name[1]) for h in headings)
        for heading in headings:
            heading.name = f"h{min(6, int(heading.name[1]) + shift)}"
    for anchor in soup.find_all("a"):
        href = str(anchor.get("href") or "")
        if href.startswith("#footnote-") or href.startswith("#endnote-"):
            continue
        if not href or href.startswith("#"):  # bookmarks, links within the document
            anchor.unwrap()
            continue
        # Our Word file prints a link's address after its words, for paper; the build
        # adds it again.
        after = anchor.next_sibling
        printed = f" ({re.sub(r'^https?://(www[.])?', '', href).rstrip('/')})"
        if isinstance(after, NavigableString) and str(after).startswith(printed):
            after.replace_with(str(after)[len(printed):])
    for cell in soup.find_all("th"):  # header cells: bold is the table's, not the text's
        for strong in cell.find_all("strong"):
            if _text(strong) == _text(cell):
                strong.unwrap()
    _footnotes(soup)
    for sup in soup.find_all("sup"):  # <sup>1</sup><sup>–</sup><sup>3</sup>: one
        while isinstance(sup.next_sibling, Tag) and sup.next_sibling.name == "sup":
            following = sup.next_sibling.extract()
            sup.extend(list(following.contents))
    _captions(soup)
    _boxes(soup)
    return front


def _text(tag: Tag) -> str:
    return " ".join(tag.get_text(" ").split())


def _lift(soup: BeautifulSoup, kind: str) -> str:
    """The text of the first paragraph of a kind (subtitle, organisation); all such
    paragraphs taken out of the body, when they come before the first section."""
    found = soup.find_all("p", class_=kind)
    text = _text(found[0]) if found else ""
    for tag in found:
        tag.decompose()
    return text


def _footnotes(soup: BeautifulSoup) -> None:
    """mammoth's footnote (and endnote) references, <sup><a href="#footnote-1">[1]</a></sup>,
    become <footnote-ref n=1>, numbered in reading order; its notes, an <ol> of
    <li id="footnote-1"> at the end, become <footnote-body n=1> for the converter."""
    numbers: dict[str, str] = {}
    for link in soup.find_all("a", href=re.compile(r"^#(foot|end)note-\d+$")):
        note_id = str(link["href"])[1:]
        numbers.setdefault(note_id, str(len(numbers) + 1))
        marker = soup.new_tag("footnote-ref", attrs={"n": numbers[note_id]})
        holder: Tag = link
        while isinstance(holder.parent, Tag) and holder.parent.name == "sup" \
                and len(holder.parent.contents) == 1:  # the number's own superscripts
            holder = holder.parent
        holder.replace_with(marker)
    for item in soup.find_all("li", id=re.compile(r"^(foot|end)note-\d+$")):
        for back in item.find_all("a", href=re.compile(r"^#(foot|end)note-ref-\d+$")):
            back.decompose()
        body = soup.new_tag("footnote-body",
                            attrs={"n": numbers.get(str(item["id"]), str(len(numbers) + 1))})
        body.extend(list(item.contents))
        notes = item.parent
        soup.append(body)
        item.decompose()
        if isinstance(notes, Tag) and not notes.find("li"):
            notes.decompose()


def _captions(soup: BeautifulSoup) -> None:
    """A Caption paragraph after a paragraph holding only a picture becomes the picture's
    title, which the reader prints as its caption."""
    for caption in soup.find_all("p", class_="caption"):
        before = caption.find_previous_sibling()
        image = before.find("img") if isinstance(before, Tag) and before.name == "p" else None
        if isinstance(image, Tag) and isinstance(before, Tag) and not before.get_text().strip():
            image["title"] = _text(caption)
            caption.decompose()
        elif isinstance(after := caption.find_next_sibling(), Tag) and after.name == "table" \
                and not after.get("caption"):
            after["caption"] = _text(caption)  # a table's caption: ': caption' below it
            caption.decompose()
        else:
            del caption["class"]


def _boxes(soup: BeautifulSoup) -> None:
    """Our one-cell box tables become <callout kind= title=> around the cell's blocks; so
    does any other table of one cell, the way Word users draw a box (a note), its title
    the first paragraph when that is all bold."""
    for table in soup.find_all("table"):
        classes = [str(c) for c in table.get("class") or []]
        kind = classes[0].removeprefix("box-") if classes and classes[0].startswith("box-") \
            else "note"
        cells = table.find_all(["td", "th"])
        if len(cells) != 1 or table.find("table", recursive=True) is not None:
            if classes:
                del table["class"]
            continue
        title = cells[0].find("p", class_="callout-title")
        first = cells[0].find(True, recursive=False)
        if title is None and isinstance(first, Tag) and first.name == "p":
            strong = first.find("strong", recursive=False)
            if isinstance(strong, Tag) and _text(strong) == _text(first) and _text(first):
                title = first
        box = soup.new_tag("callout", attrs={"kind": kind,
                                             "title": _text(title) if title else ""})
        if isinstance(title, Tag):
            title.decompose()
        box.extend(list(cells[0].contents))
        table.replace_with(box)


# What would begin a construct at a line's start (a text begins a line at most at its own
# start: mammoth writes no line breaks inside a text): # headings, - + > and 1. lists, boxes
LINE_START = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|[-+>](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|!!!)")
ENTITY = re.compile(r"&(?=#?\w+;)")


class _Converter(markdownify.MarkdownConverter):
    """HTML to the Markdown the reader takes: Python-Markdown nests lists by four spaces;
    escapes are Python-Markdown's (and the citation reader's \\@)."""

    def __init__(self) -> None:
        super().__init__(heading_style=markdownify.ATX, bullets="-", escape_misc=False,
                         escape_asterisks=False, escape_underscores=False,
                         sup_symbol="<sup>", sub_symbol="<sub>", table_infer_header=True,
                         newline_style=markdownify.SPACES)

    def markdown(self, soup: BeautifulSoup) -> str:
        notes = [n.extract() for n in soup.find_all("footnote-body")]
        text = str(self.convert_soup(soup)).strip()
        for note in notes:
            body = str(self.convert_soup(note)).strip()
            text += f"\n\n[^{note['n']}]: " + _indented(body).lstrip()
        return re.sub(r"\n{3,}", "\n\n", text)

    def escape(self, text: str, parent_tags: set[str]) -> str:
        if not text:
            return ""
        text = re.sub(r"([\\`*_\[\]])", r"\\\1", text)
        text = re.sub(r"(?<![\w.])@", r"\\@", text)  # not a citation
        text = ENTITY.sub("&amp;", text).replace("<", "&lt;")
        if "td" in parent_tags or "th" in parent_tags:
            text = text.replace("|", r"\|")
        return LINE_START.sub(lambda m: m[1] + "\\" + m[2] if not m[2][0].isdigit()
                              else m[1] + m[2] + "\\", text)

    def convert_li(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        text = (text or "").strip()
        if not text:
            return "\n"
        parent = el.parent
        if isinstance(parent, Tag) and parent.name == "ol":
            start = int(str(parent.get("start") or 1)) if str(parent.get("start") or 1
                                                              ).isdigit() else 1
            bullet = f"{start + len(el.find_previous_siblings('li'))}."
        else:
            bullet = "-"
        return (bullet + " ").ljust(4) + _indented(text).lstrip() + "\n"

    def convert_footnote_ref(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return f"[^{el['n']}]"

    def convert_callout(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        title = str(el.get("title") or "").replace('"', "'")
        head = f'!!! {el["kind"]} "{title}"' if title else f"!!! {el['kind']}"
        return f"\n\n{head}\n{_indented(text.strip())}\n\n"

    def convert_table(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        merged = el.find(lambda t: isinstance(t, Tag) and (
            str(t.get("rowspan") or "1") != "1" or str(t.get("colspan") or "1") != "1"))
        caption = f": {self.escape(str(el['caption']), set())}\n\n" if el.get("caption") else ""
        if merged is None:
            pipes = getattr(super(), "convert_table")(el, text, parent_tags)  # not in its stubs
            return str(pipes).rstrip() + "\n\n" + caption
        # Merged cells: an HTML table, which the reader takes with rowspan and colspan.
        el.attrs = {}
        for tag in el.find_all(True):
            tag.attrs = {k: v for k, v in tag.attrs.items() if k in ("rowspan", "colspan")}
        return "\n\n" + str(el) + "\n\n" + caption

    def convert_s(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return text  # struck-through text: kept as written (Word's strike is rarely meant)


def _indented(text: str) -> str:
    return "\n".join(("    " + line) if line.strip() else "" for line in text.split("\n"))
