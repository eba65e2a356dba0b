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


def _font_at(textpage, index):
    import ctypes
    import pypdfium2.raw as raw
    buffer = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    raw.FPDFText_GetFontInfo(textpage.raw, index, buffer, 256, flags)
    return buffer.value.decode("utf-8", "replace")
