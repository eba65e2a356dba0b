"""Page furniture in the reader's language: one message file per language, chosen by the
handout's `lang`; English where there is none."""

import docx
from docx.oxml.ns import qn
import lxml.html
import pypdf
import pytest

from conftest import new_project
from handouts.messages import catalogue
from handouts.run.pipeline import build_document

SPANISH = """\
---
title: Ketamina intravenosa
lang: {lang}
version: "1.0"
date: 2026-01-15
review_due: 2027-01-15
bibliography: references.bib
---

## Qué es

Un tratamiento para el dolor.[@sigtermans2009]
"""


@pytest.mark.parametrize("lang", ["es", "es-419"])
def test_a_spanish_handout_prints_its_page_furniture_in_spanish(tmp_path, lang):
    project = new_project(tmp_path, {"source/k.md": SPANISH.format(lang=lang)})
    build_document(project.source_dir / "k.md", project)
    paths = project.outputs("k")
    control = ("Versión 1.0 · Publicado el 15 de enero de 2026 · "
               "Revisión prevista el 15 de enero de 2027")
    page = lxml.html.parse(str(paths["html"])).getroot()
    assert control in page.text_content() and page.get_element_by_id("references").text == \
        "Referencias"
    pdf = pypdf.PdfReader(str(paths["pdf"])).pages[0].extract_text()
    assert control in pdf.replace("\n", " ") and "Página 1 de 1" in pdf and "Referencias" in pdf
    word = docx.Document(str(paths["docx"]))
    footer = word.sections[0].footer.paragraphs[0].text  # the page numbers are fields
    assert footer.startswith(control + "\tPágina ") and " de " in footer
    assert "Referencias" in [p.text for p in word.paragraphs if p.style.name == "Heading 2"]


def test_a_language_without_a_message_file_falls_back_to_english():
    assert catalogue("de")("page", page=1, pages=2) == "Page 1 of 2"
    assert catalogue("ES-MX")("references") == "Referencias"


def test_every_message_file_has_every_message():
    english = catalogue("en").texts
    from handouts.messages import FOLDER
    for path in FOLDER.glob("*.yaml"):
        messages = catalogue(path.stem).texts
        assert set(messages) == set(english), path.name
        assert len(messages["months"]) == 12, path.name


def test_the_citation_style_speaks_the_handouts_language(tmp_path):
    from handouts import model as m
    from handouts.run.pipeline import render_document
    from conftest import ROOT
    bib = (ROOT / "tests" / "corpus" / "bibliographies" / "zotero.bib").read_text()
    text = SPANISH.format(lang="es").replace("references.bib", "zotero.bib").replace(
        "[@sigtermans2009]", "[@csaci_oit_2023]")
    project = new_project(tmp_path, {"source/k.md": text, "source/zotero.bib": bib})
    rendered = render_document(project.source_dir / "k.md", project)
    references = next(b for b in rendered.document.blocks if isinstance(b, m.References))
    assert "Accedido 1 de mayo de 2023" in m.inline_text(references.entries[0].children)


# -- characters beyond the bundled typeface, and right to left ---------------------------

def _handout(title, lang, body):
    return (f"---\ntitle: {title}\nlang: {lang}\nversion: \"1\"\ndate: 2026-01-15\n"
            f"review_due: 2027-01-15\n---\n\n{body}")


def _fonts_in(pdf_path):
    """The font names embedded in the PDF (subset prefixes removed)."""
    reader = pypdf.PdfReader(str(pdf_path))
    names = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


def _texts(paths):
    import pypdfium2
    page = lxml.html.parse(str(paths["html"])).getroot()
    pdf = pypdfium2.PdfDocument(str(paths["pdf"]))
    printed = "".join(p.get_textpage().get_text_range() for p in pdf)
    pdf.close()
    body = docx.Document(str(paths["docx"])).element.body  # tables' paragraphs too
    word = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p")))
    return page, printed, word


@pytest.mark.parametrize("lang, title, body, fallback", [
    ("vi", "Ketamine cho hội chứng đau vùng phức hợp",
     "## Đây là gì?\n\nHội chứng đau vùng phức hợp là một tình trạng đau mạn tính.\n",
     "Noto-Sans"),
    ("ru", "Кетамин при болевом синдроме",
     "## Что это такое\n\nЭто боль, которая сильнее, чем ожидалось. **Кетамин** вводят "
     "через вену.\n", "Noto-Sans"),
    ("en-US", "Beta blockers and TNF-α",
     "## What to know\n\nA β\u2010blocker slows the heart. TNF\u2011α is a signal of "
     "swelling.\n", "Noto-Sans"),
])
def test_text_the_bundled_typeface_lacks_prints_in_the_packaged_fallback(tmp_path, lang, title,
                                                                        body, fallback):
    project = new_project(tmp_path, {"source/h.md": _handout(title, lang, body)})
    build_document(project.source_dir / "h.md", project)  # verified, or it raises
    paths = project.outputs("h")
    page, printed, word = _texts(paths)
    sentence = body.split("\n\n")[1].split(".")[0].replace("**", "")
    assert sentence in page.text_content() and sentence in word
    assert sentence.replace("\u2010", "-").replace("\u2011", "-") in \
        printed.replace("\n", " ").replace("\u2010", "-").replace("\u2011", "-")
    embedded = _fonts_in(paths["pdf"])
    assert any("Atkinson" in n for n in embedded) and any(fallback in n for n in embedded)
    assert "'Noto Sans'" in page.find("head/style").text  # the page's chain names it too


def test_an_arrow_prints_in_a_font_of_this_computer_or_names_the_package(tmp_path):
    """No Python package ships '→'; fontconfig finds an installed font with it (Debian's
    fonts-dejavu-core), and the build says so, or the build stops naming that package."""
    from handouts.style import fonts
    from handouts.diagnostics import Diagnostic
    project = new_project(tmp_path, {"source/h.md": _handout(
        "Arrows", "en", "## Pain\n\nThe pain went from 8 → 3.\n")})
    if fonts.installed_family_with("\u2192") is None:
        with pytest.raises(Diagnostic) as caught:
            build_document(project.source_dir / "h.md", project)
        assert "fonts-dejavu-core" in str(caught.value) and caught.value.line == 11
        return
    result = build_document(project.source_dir / "h.md", project)
    assert any("'→' printed in" in str(w) for w in result.warnings)
    assert "8 → 3" in _texts(project.outputs("h"))[1]


def test_a_character_no_font_has_stops_the_build_naming_a_package(tmp_path):
    from handouts.diagnostics import Diagnostic
    project = new_project(tmp_path, {"source/h.md": _handout(
        "Unassigned", "en", "## Pain\n\nA mark \u0378 no font has.\n")})
    with pytest.raises(Diagnostic) as caught:
        build_document(project.source_dir / "h.md", project)
    assert caught.value.line == 11 and "U+0378" in caught.value.message
    assert "no font installed here has it" in caught.value.message


def test_an_arabic_handout_reads_right_to_left_in_all_three_formats(tmp_path):
    body = ("## ما هي هذه الحالة؟\n\nمتلازمة الألم الناحي المركب هي ألم مزمن. يُعطى "
            "**الكيتامين** عبر الوريد.\n\n- يراقب الفريق ضغط الدم.\n- قد تشعر بالدوار.\n")
    project = new_project(tmp_path, {"source/ar.md": _handout(
        "الكيتامين لعلاج متلازمة الألم الناحي المركب", "ar", body)})
    result = build_document(project.source_dir / "ar.md", project)
    paths = project.outputs("ar")
    page = lxml.html.parse(str(paths["html"])).getroot()
    assert page.get("dir") == "rtl" and page.get("lang") == "ar"
    assert any("Noto-Sans-Arabic" in n or "NotoSansArabic" in n for n in _fonts_in(paths["pdf"]))
    styles = docx.Document(str(paths["docx"])).styles.element
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    assert styles.find("w:docDefaults/w:pPrDefault/w:pPr/w:bidi", ns) is not None
    assert styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:rtl", ns) is not None
    assert "متلازمة الألم الناحي المركب هي ألم مزمن" in _texts(paths)[2]
    # Its page furniture in Arabic, from handouts/messages/ar.yaml
    control = "الإصدار 1 · صدر في 15 يناير 2026 · موعد المراجعة 15 يناير 2027"
    assert page.find_class("doc-control")[0].text == control
    footer = docx.Document(str(paths["docx"])).sections[0].footer.paragraphs[0].text
    assert footer.startswith(control + "\tالصفحة ")
    # The PDF's joined letters cannot be read back: the build says so, never silently.
    assert any("Arabic script cannot be read back out of the PDF" in str(w) for w in result.warnings)


def test_chinese_prints_in_an_installed_cjk_font(tmp_path):
    from handouts.style import fonts
    if fonts.installed_family_with("中") is None:
        pytest.skip("no installed font has Chinese characters: apt-get install fonts-noto-cjk")
    project = new_project(tmp_path, {"source/zh.md": _handout(
        "氯胺酮治疗复杂区域疼痛综合征", "zh", "## 这是什么\n\n这是一种慢性疼痛。\n")})
    build_document(project.source_dir / "zh.md", project)
    assert "这是一种慢性疼痛" in _texts(project.outputs("zh"))[1]


# -- the online copy --------------------------------------------------------------------

def test_a_handout_with_an_online_copy_prints_its_qr_code_and_address(tmp_path):
    """On paper (PDF and Word) a QR code of the front matter's url, the address beside it;
    the PDF's picture is that address's QR matrix, module for module."""
    import segno
    url = "https://clinic.example.org/handouts/nerve-blocks"
    project = new_project(tmp_path, {"source/q.md": _handout(
        "Nerve blocks", "en-US", "## What to expect\n\nA nerve block numbs one area.\n")
        .replace("---\n\n", f"url: {url}\n---\n\n", 1)})
    build_document(project.source_dir / "q.md", project)
    paths = project.outputs("q")
    page, printed, word = _texts(paths)
    line = f"Read this handout online: {url}"
    from handouts.read.markdown import squash
    assert squash(line) in squash(printed.replace("\ufffe", "-"))  # a line break in the address
    assert line in word
    aside = page.find_class("online-copy")[0]
    assert "print-only" in aside.get("class")  # the web page is the online copy itself
    images = [i.image for p in pypdf.PdfReader(str(paths["pdf"])).pages for i in p.images]
    assert len(images) == 1
    grid = images[0].convert("L")
    matrix = segno.make(url, error="m").matrix
    scale, border = 8, 4
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            pixel = grid.getpixel(((x + border) * scale + scale // 2,
                                   (y + border) * scale + scale // 2))
            assert (pixel < 128) == bool(dark), (x, y)
    described = [d.get("descr") for d in docx.Document(str(paths["docx"])).element.body.iter(
        "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")]
    assert described == ["QR code: this handout online"]


def test_an_online_copy_address_must_be_a_web_address(tmp_path):
    from conftest import run_build
    project = new_project(tmp_path, {"source/q.md": _handout("Q", "en", "Text.\n").replace(
        "---\n\n", "url: clinic dot org\n---\n\n", 1)})
    result = run_build(project.root)  # a draft: ignored, with a warning a release refuses
    assert result.returncode == 0, result.stderr
    assert "source/q.md:7: 'url: clinic dot org' is not a web address" in result.stderr
    release = run_build(project.root, "--strict")
    assert release.returncode == 1 and "unknown-front-matter)" in release.stderr
