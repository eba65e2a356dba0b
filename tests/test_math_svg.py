"""Formulas, SVG pictures and emoji, as authors paste them from Pandoc, Quarto, GitHub and
chatbots: each drawn in the web page, the PDF and the Word file, never printed as markup."""

import re

import docx
import lxml.html
import pypdf
import pypdfium2 as pdfium
import pytest
from docx.oxml.ns import qn

from conftest import MINIMAL_FRONT_MATTER, new_project, run_build

OMML = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
FORMULAS = ["R_t", r"5\,\mathrm{mg/kg}", r"\frac{a^2 + b^2}{\sqrt{c}} = \sum_{i=1}^{n} x_i",
            r"\mathrm{BMI} = \frac{w}{h^2}", "E = mc^2", "x^2"]
MATH_BODY = r"""
## How fast it spreads

The reproduction number $R_t$ tells how many people one person infects. A dose of
\(5\,\mathrm{mg/kg}\) is common.

Prices stay prices: it costs $5 and $10, or $5,$10 with no formula.

$$
\frac{a^2 + b^2}{\sqrt{c}} = \sum_{i=1}^{n} x_i
$$

The body mass index is $$\mathrm{BMI} = \frac{w}{h^2}$$ in a line.

\[
E = mc^2
\]

- An item with $x^2$ in it.

## What to do next

Call us when you are unsure.
"""
# What TeX printed as text would show: a command, a sub- or superscript, a formula's dollars.
TEX_AS_TEXT = re.compile(r"\\[A-Za-z]+|[_^]\{?\w|\$[^\s$\d]|\\\(|\\\[")


def build(tmp_path, body, *args):
    project = new_project(tmp_path, {"source/h.md": MINIMAL_FRONT_MATTER + body})
    result = run_build(project.root, "source/h.md", *args)
    return project, result


def html_of(project):
    return lxml.html.parse(str(project.output_dir / "h.html")).getroot()


def pdf_text(project):
    document = pdfium.PdfDocument(str(project.output_dir / "h.pdf"))
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def pdf_figure_alts(project):
    reader = pypdf.PdfReader(str(project.output_dir / "h.pdf"))
    found, stack = [], [reader.root_object["/StructTreeRoot"]]
    while stack:
        node = stack.pop().get_object()
        if not isinstance(node, dict):
            continue
        if node.get("/S") == "/Figure":
            found.append(str(node.get("/Alt")))
        kids = node.get("/K")
        stack += reversed(kids) if isinstance(kids, list) else [kids] if kids is not None else []
    return found


def docx_text(project):
    word = docx.Document(str(project.output_dir / "h.docx"))
    return "".join(t.text or "" for t in word.element.body.iter(qn("w:t")))


@pytest.fixture(scope="module")
def math_build(tmp_path_factory):
    project, result = build(tmp_path_factory.mktemp("math"), MATH_BODY)
    assert result.returncode == 0, result.stderr
    return project, result


def test_formulas_are_mathml_on_the_web_page_and_no_tex_is_text(math_build):
    project, _ = math_build
    page = html_of(project)
    maths = list(page.iter("math"))
    assert [m.get("alttext") for m in maths] == FORMULAS
    assert all(m.find(".//mi") is not None or m.find(".//mn") is not None for m in maths)
    assert maths[2].get("display") == "block"
    # Laid out with an OpenType math font, cut to the formulas' characters, in the page.
    style = page.find("head/style").text
    assert "font-family: 'STIX Two Math'" in style and "data:font/woff" in style
    for m in maths:
        m.drop_tree()
    text = page.find("body").text_content()
    assert not TEX_AS_TEXT.search(text), TEX_AS_TEXT.search(text)


def test_formulas_are_pictures_in_the_pdf_described_by_their_tex(math_build):
    project, _ = math_build
    assert [alt for alt in pdf_figure_alts(project) if alt in FORMULAS] == FORMULAS
    text = pdf_text(project)
    assert "reproduction number" in text
    assert not TEX_AS_TEXT.search(text), TEX_AS_TEXT.search(text)


def test_formulas_are_word_equations(math_build):
    project, _ = math_build
    word = docx.Document(str(project.output_dir / "h.docx"))
    equations = list(word.element.body.iter(f"{OMML}oMath"))
    assert len(equations) == len(FORMULAS)
    # The first is R with subscript t, as Word's equation editor holds it.
    sub = equations[0].find(f".//{OMML}sSub")
    assert sub is not None and "".join(t.text for t in sub.iter(f"{OMML}t")) == "Rt"
    assert len(list(word.element.body.iter(f"{OMML}oMathPara"))) == 2  # the two displayed
    text = docx_text(project)
    assert "reproduction number" in text
    assert not TEX_AS_TEXT.search(text), TEX_AS_TEXT.search(text)


def test_prices_are_not_formulas(math_build):
    project, _ = math_build
    prices = next(p for p in html_of(project).iter("p") if "Prices" in p.text_content())
    assert "$5 and $10, or $5,$10" in prices.text_content()
    assert prices.find(".//math") is None
    assert "$5 and $10, or $5,$10" in pdf_text(project).replace("\r\n", " ")
    assert "$5 and $10, or $5,$10" in docx_text(project)


def test_the_check_counts_formulas_and_names_one_that_is_missing(math_build):
    from handouts.check import Expected, Formula, _compare_formulas
    from handouts.check import html as html_reader
    project, _ = math_build
    want = Expected([], [], formulas=[Formula(t, 3) for t in FORMULAS + ["y^3"]])
    got = html_reader.read(project.output_dir / "h.html", want)
    assert _compare_formulas(want.formulas, got) == [(3, "formula 'y^3' is not drawn")]
    got.text += " $R_t$ "
    assert _compare_formulas(want.formulas, got) == [(3, "formula 'R_t' is printed as TeX")]


def test_malformed_tex_is_a_warning_at_its_line_and_printed_as_code(tmp_path):
    body = "\n## Section\n\nRate $\\frac{1$ here, and $x^$ there.\n\n$$\n\\foo{x}\n$$\n"
    project, result = build(tmp_path, body)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stdout.splitlines() + result.stderr.splitlines()
                if "cannot be drawn" in line]
    assert len(warnings) == 3, warnings
    assert "h.md:12:" in warnings[0] and "braces" in warnings[0]
    assert "h.md:15:" in warnings[2] and "\\foo" in warnings[2]  # the line of the TeX
    codes = [c.text_content() for c in html_of(project).iter("code")]
    assert "\\frac{1" in codes and "x^" in codes and "\\foo{x}" in codes
    _, strict = build(tmp_path / "strict", body, "--strict")
    assert strict.returncode == 1
    assert any(line.startswith("error:") and "h.md:12:" in line and "cannot be drawn" in line
               for line in strict.stderr.splitlines()), strict.stderr


EMOJI_BODY = "\n## Section\n\nDone ✅, careful ⚠️, call 📞, smile 🙂.\n"


def test_emoji_print_in_the_packaged_emoji_font(tmp_path):
    project, result = build(tmp_path, EMOJI_BODY)
    assert result.returncode == 0, result.stderr
    reader = pypdf.PdfReader(str(project.output_dir / "h.pdf"))
    fonts = {str(f["/BaseFont"]) for page in reader.pages
             for f in page["/Resources"]["/Font"].values()}
    assert any(f.endswith("Noto-Emoji") for f in fonts), fonts
    # Each emoji is drawn with a glyph of the emoji font that maps back to it: a missing
    # glyph (.notdef) would read back as nothing, or as U+FFFD, or in another font.
    import pypdfium2.raw as raw
    document = pdfium.PdfDocument(str(project.output_dir / "h.pdf"))
    textpage = document[0].get_textpage()
    fonts_of = {}
    units = [raw.FPDFText_GetUnicode(textpage.raw, i) for i in range(textpage.count_chars())]
    for index, unit in enumerate(units):
        if 0xDC00 <= unit < 0xE000:
            continue  # the second half of a character outside the BMP, read with the first
        char = chr(unit) if not 0xD800 <= unit < 0xDC00 else \
            chr(0x10000 + (unit - 0xD800) * 0x400 + units[index + 1] - 0xDC00)
        fonts_of.setdefault(char, set()).add(_font_at(textpage, index))
    document.close()
    for emoji in "✅⚠📞🙂":
        assert {f.split("+")[-1] for f in fonts_of[emoji]} == {"Noto-Emoji"}, emoji
    assert "Noto Emoji" in (project.output_dir / "h.html").read_text()
    _emoji_in_word(project)


def _emoji_in_word(project):
    """Each emoji is a run in Noto Emoji, whose font, cut to them, is embedded with a
    glyph for each."""
    import io
    import zipfile
    from fontTools.ttLib import TTFont
    from handouts.write.docx.fonts import obfuscate
    word = docx.Document(str(project.output_dir / "h.docx"))
    runs = {run.text: run for p in word.paragraphs for run in p.runs}
    for emoji in ("✅", "⚠️", "📞", "🙂"):
        fonts = runs[emoji]._r.rPr.rFonts
        assert {fonts.get(qn(f"w:{slot}")) for slot in ("ascii", "hAnsi", "eastAsia", "cs")} \
            == {"Noto Emoji"}, emoji
    with zipfile.ZipFile(project.output_dir / "h.docx") as package:
        table = package.read("word/fontTable.xml").decode()
        found = re.search(r'<w:font w:name="Noto Emoji">.*?r:id="(rId\d+)" '
                          r'w:fontKey="(\{[^}]+\})"', table)
        assert found, table
        rels = package.read("word/_rels/fontTable.xml.rels").decode()
        target = re.search(rf'Id="{found.group(1)}"[^>]*Target="([^"]+)"|'
                           rf'Target="([^"]+)"[^>]*Id="{found.group(1)}"', rels)
        name = "word/" + (target.group(1) or target.group(2))
        font = TTFont(io.BytesIO(obfuscate(package.read(name), found.group(2))))
    cmap = font.getBestCmap()
    for emoji in "✅⚠📞🙂":
        assert cmap.get(ord(emoji), ".notdef") != ".notdef", emoji


def _font_at(textpage, index):
    import ctypes
    import pypdfium2.raw as raw
    buffer = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    raw.FPDFText_GetFontInfo(textpage.raw, index, buffer, 256, flags)
    return buffer.value.decode("utf-8", "replace")


# -- SVG pictures ---------------------------------------------------------------------------

HOSTILE_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE svg [ <!ENTITY a "aaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"> <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"> ]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     viewBox="0 0 200 100" onload="alert('loaded')">
  <style>@import url(http://evil.example/x.css); .b { fill: #22aa77; }
         .c { fill: url(http://evil.example/p.svg#g); }</style>
  <script>alert('script')</script>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#ffcc00"/>
    <stop offset="1" stop-color="#cc3300"/></linearGradient></defs>
  <rect x="5" y="5" width="190" height="90" rx="12" fill="url(#g)" onclick="steal()"/>
  <circle class="b" cx="60" cy="50" r="30"
          style="stroke: black; filter: url(https://evil.example/f.svg#blur)"/>
  <image href="http://evil.example/track.png" width="10" height="10"/>
  <use xlink:href="http://evil.example/sprite.svg#icon"/>
  <a href="javascript:alert(1)"><text x="110" y="58">&d;</text></a>
  <foreignObject width="100" height="50"><div xmlns="http://www.w3.org/1999/xhtml">HTML
  inside</div></foreignObject>
</svg>
"""
# Nothing of these may reach any output.
HOSTILE = ["evil.example", "alert", "steal", "onload", "onclick", "javascript", "<script",
           "foreignObject", "HTML inside", "@import", "aaaaaaaaaa"]
SVG_BODY = "\n## A diagram\n\n![A gradient box with a green circle](drawing.svg)\n\nAfter it.\n"


@pytest.fixture(scope="module")
def svg_build(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("svg"), {
        "source/h.md": MINIMAL_FRONT_MATTER + SVG_BODY,
        "source/drawing.svg": HOSTILE_SVG})
    result = run_build(project.root, "source/h.md")
    assert result.returncode == 0, result.stderr
    return project, result


def _figure_svg(page):
    """The SVG the page's figure shows, decoded from its data: URL."""
    import base64
    src = page.find(".//figure/img").get("src")
    assert src.startswith("data:image/svg+xml;base64,"), src[:40]
    return base64.b64decode(src.split(",", 1)[1]).decode()


def test_an_svg_picture_reaches_the_page_cleaned(svg_build):
    project, result = svg_build
    page = html_of(project)
    figure = page.find(".//figure")
    assert figure is not None and figure.find("img").get("alt").startswith("A gradient box")
    drawing = _figure_svg(page)
    assert "url(#g)" in drawing and 'width="200"' in drawing and 'height="100"' in drawing
    for bad in HOSTILE:
        assert bad not in drawing, bad
        assert bad not in (project.output_dir / "h.html").read_text(), bad


def test_an_svg_picture_is_drawn_in_the_pdf_and_fetches_nothing(svg_build):
    project, result = svg_build
    # WeasyPrint asks the build's fetcher for any address it meets; none was left to ask.
    assert "refused" not in result.stdout + result.stderr
    document = pdfium.PdfDocument(str(project.output_dir / "h.pdf"))
    picture = document[0].render(scale=1).to_pil().convert("RGB")
    document.close()
    colours = {colour for _, colour in picture.getcolors(maxcolors=1 << 24)}
    near = lambda c, want: all(abs(a - b) < 40 for a, b in zip(c, want))  # noqa: E731
    assert any(near(c, (0x22, 0xaa, 0x77)) for c in colours)  # the circle
    assert any(near(c, (0xcc, 0x33, 0x00)) for c in colours)  # the gradient's end


def test_an_svg_picture_is_a_png_in_word_with_the_svg_beside_it(svg_build):
    import zipfile
    project, _ = svg_build
    with zipfile.ZipFile(project.output_dir / "h.docx") as package:
        names = package.namelist()
        media = [n for n in names if n.startswith("word/media/")]
        assert any(n.endswith(".png") for n in media) and any(n.endswith(".svg") for n in media)
        for name in names:
            data = package.read(name)
            for bad in HOSTILE:
                assert bad.encode() not in data, (name, bad)
    word = docx.Document(str(project.output_dir / "h.docx"))
    shape = word.inline_shapes[0]
    assert round(shape.width.inches, 2) == round(200 / 96, 2)  # the SVG's own size


def test_svg_cleaning_sizes_and_refuses(tmp_path):
    from handouts.read import svg
    _, width, height = svg.cleaned(b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    assert (width, height) == (svg.DEFAULT_WIDTH, svg.DEFAULT_WIDTH * 3 / 4)
    _, width, height = svg.cleaned(b'<svg xmlns="http://www.w3.org/2000/svg" '
                                   b'viewBox="0 0 300 150"/>')
    assert (width, height) == (300, 150)
    _, width, height = svg.cleaned(b'<svg xmlns="http://www.w3.org/2000/svg" width="2in" '
                                   b'viewBox="0 0 300 150"/>')
    assert (width, height) == (192, 96)
    text, _, _ = svg.cleaned(HOSTILE_SVG.encode())
    assert len(text) < 2000  # the entities were never expanded
    with pytest.raises(svg.SvgProblem):
        svg.cleaned(b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>")


def test_an_svg_that_cannot_be_parsed_stops_the_build_naming_it(tmp_path):
    project = new_project(tmp_path, {
        "source/h.md": MINIMAL_FRONT_MATTER + SVG_BODY,
        "source/drawing.svg": "<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'>"
                              "<rect width='10'></svg>\n"})
    result = run_build(project.root, "source/h.md")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "h.md:12: image 'drawing.svg' is an SVG picture that cannot " \
        "be read" in errors[0], result.stderr


def test_tex_shown_as_code_is_not_a_leak_and_labels_are_dropped(tmp_path):
    body = ("\n## Section\n\nWrite `$\\sin\n\\frac{\\pi}{2}$` to get $\\sin\n\\frac{\\pi}{2}$.\n\n"
            "$$a^n + b^n = c^n \\label{eq:fermat}$$\n")
    project, result = build(tmp_path, body)
    assert result.returncode == 0, result.stderr
    assert "cannot be drawn" not in result.stdout + result.stderr
    maths = list(html_of(project).iter("math"))
    assert len(maths) == 2 and maths[1].get("display") == "block"
    assert "label" not in "".join(maths[1].itertext())


def test_a_formula_word_equations_cannot_hold_is_its_picture_on_the_baseline(tmp_path,
                                                                             monkeypatch):
    from handouts import formula

    def refused(tex, display):
        raise formula.FormulaProblem("Word's equations cannot hold it")
    monkeypatch.setattr(formula, "omml", refused)
    project, result = build(tmp_path, "\n## Section\n\nThe rate $R_t$ is high.\n")
    assert result.returncode == 0, result.stderr  # verified: the picture counts as drawn
    word = docx.Document(str(project.output_dir / "h.docx"))
    assert not list(word.element.body.iter(f"{OMML}oMath"))
    described = [pr for pr in word.element.body.iter(qn("wp:docPr")) if pr.get("descr") == "R_t"]
    assert len(described) == 1
    run = next(r for r in word.element.body.iter(qn("w:r"))
               if r.find(f".//{qn('wp:docPr')}") is not None)
    assert int(run.find(f"{qn('w:rPr')}/{qn('w:position')}").get(qn("w:val"))) < 0
