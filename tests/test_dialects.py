"""Markdown as other tools write it (GitHub, Quarto/Pandoc, MkDocs), read into the model and
kept in all three formats: the structure is checked in what each file holds (list depth and
item counts, box kinds and titles, captions, line breaks), and no raw markup gets through.
The snippets are copied from the tools' own documentation, as authors paste them."""

import re

import docx
import lxml.html
import pypdfium2
import pytest
from docx.oxml.ns import qn
from PIL import Image

from conftest import MINIMAL_FRONT_MATTER, ROOT, new_project, run_build
from handouts import model as m
from handouts.diagnostics import Diagnostics
from handouts.furniture import CALLOUT_STYLES
from handouts.messages import catalogue
from handouts.read.dialects import normalise
from handouts.run.pipeline import build_document, render_document

# GitHub's "Basic writing and formatting syntax" (lists, nested lists, alerts, <details>),
# a patient leaflet's list after a sentence, Quarto's "Callout Blocks", MkDocs Material's
# "Admonitions" and "Content tabs", and the Pandoc manual's line block.
BODY = """
## Before your procedure {#sec-before .unnumbered}

You may be asked to:
- stop eating 6 hours before
- take your usual medicines, except:
  - blood thinners
  - diabetes tablets
- bring a list of your medicines

1. First list item
   - First nested list item
     - Second nested list item

After that:

5. Fifth step, numbered as written
6. Sixth step
    - a point under it, by four spaces

## Boxes

> [!NOTE]
> Useful information that users should know, even when skimming content.

> [!TIP]
> Helpful advice for doing things better or more easily.

> [!IMPORTANT]
> Key information users need to know to achieve their goal.

> [!WARNING] Before your infusion
> Urgent info that needs immediate user attention to avoid problems.

> [!CAUTION]
> Advises about risks or negative outcomes of certain actions.

::: {.callout-note}
Note that there are five types of callouts, including note, warning, important, tip,
and caution.
:::

::: {.callout-tip}
## Tip with Title

This is an example of a callout with a title.
:::

::: {.callout-caution collapse="true"}
## Expand To Learn About Collapse

This is an example of a folded caution callout that can be expanded by the user.
:::

::: {.callout-warning title="Driving after sedation"}
Do not drive for 24 hours.
:::

!!! info "Phasellus posuere in sem ut cursus"

    Lorem ipsum dolor sit amet, consectetur adipiscing elit.

??? question "How long does it take?"

    About two hours, with an hour of rest after.

???+ failure "Missed appointment"

    Call us the same day.

=== "Adults"

    Adults take two tablets.

=== "Children"

    Children take one tablet.

<details>

<summary>Tips for collapsed sections</summary>

You can add text within a collapsed section.

- and a list
- of two items

</details>

## Pandoc's conventions

![A nurse checks the drip in the arm of a patient who rests in a chair](drip.png)

| The limerick packs laughs anatomical
| In space that is quite economical.
|    But the good ones I've seen
|    So seldom are clean
| And the clean ones so seldom are comical

Ring us on the number below\\
from Monday to Friday.

"Ask us" -- we are here --- every day...

+---------------+---------------+--------------------+
| Fruit         | Price         | Advantages         |
+===============+===============+====================+
| Bananas       | $1.34         | - built-in wrapper |
|               |               | - bright color     |
+---------------+---------------+--------------------+
| Oranges       | $2.10         | - cures scurvy     |
|               |               | - tasty            |
+---------------+---------------+--------------------+

: Sample grid table.

::: {.column-margin}
Text in a margin column is kept in the text.
:::

{{< pagebreak >}}

## After the page break

Read the section above again: [before your procedure](#sec-before).
"""

RAW = ["[!NOTE]", "[!TIP]", "[!CAUTION]", ":::", "???", "===", "!!!", "{{<", "{#", ">}}",
       "callout-", "<details", "<summary"]
# (kind, title): a box titled only by its kind has no title of its own; it prints its
# kind's label ("Note", "Caution") in every format.
BOXES = [("note", ""), ("tip", ""), ("important", ""),
         ("warning", "Before your infusion"), ("caution", ""), ("note", ""),
         ("tip", "Tip with Title"), ("caution", "Expand To Learn About Collapse"),
         ("warning", "Driving after sedation"), ("note", "Phasellus posuere in sem ut cursus"),
         ("note", "How long does it take?"), ("danger", "Missed appointment"),
         ("note", "Adults"), ("note", "Children"), ("note", "Tips for collapsed sections")]
LABELS = {kind: catalogue("en")(f"callout_{kind}") for kind in CALLOUT_STYLES}
KIND_STYLES = CALLOUT_STYLES  # Word's box style for each of the six kinds
CAPTION = "A nurse checks the drip in the arm of a patient who rests in a chair"
LIMERICK = ["The limerick packs laughs anatomical", "In space that is quite economical.",
            "But the good ones I’ve seen", "So seldom are clean",
            "And the clean ones so seldom are comical"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("dialects"),
                          {"source/d.md": MINIMAL_FRONT_MATTER + BODY})
    Image.new("RGB", (60, 40), (20, 120, 200)).save(project.source_dir / "drip.png")
    result = build_document(project.source_dir / "d.md", project)  # verifies every word
    rendered = render_document(project.source_dir / "d.md", project)
    return project, result, rendered


@pytest.fixture(scope="module")
def page(built):
    return lxml.html.parse(str(built[0].outputs("d")["html"])).getroot().find(".//main")


@pytest.fixture(scope="module")
def word(built):
    return docx.Document(str(built[0].outputs("d")["docx"]))


@pytest.fixture(scope="module")
def pdf_pages(built):
    pdf = pypdfium2.PdfDocument(str(built[0].outputs("d")["pdf"]))
    return [pdf[i].get_textpage().get_text_range().replace("\r", "") for i in range(len(pdf))]


def _depth(li):
    return sum(1 for a in li.iterancestors() if a.tag in ("ul", "ol"))


# -- lists ------------------------------------------------------------------------------

def test_lists_nest_as_github_writes_them_on_the_page(page):
    lists = [e for e in page.iter("ul", "ol") if e.getparent().tag != "li"]
    leaflet, github, numbered = lists[:3]
    assert leaflet.getprevious().text_content() == "You may be asked to:"  # not merged
    assert [len(leaflet.findall("li")), len(leaflet.find("li[2]/ul").findall("li"))] == [3, 2]
    assert {li.text_content().strip(): _depth(li) for li in leaflet.iter("li")} == {
        "stop eating 6 hours before": 1,
        "take your usual medicines, except:blood thinnersdiabetes tablets": 1,
        "blood thinners": 2, "diabetes tablets": 2, "bring a list of your medicines": 1}
    deepest = next(li for li in github.iter("li") if li.text_content() == "Second nested list item")
    assert github.tag == "ol" and _depth(deepest) == 3
    assert numbered.tag == "ol" and numbered.get("start") == "5"
    assert len(numbered.findall("li")) == 2 and _depth(numbered.find(".//ul/li")) == 2


def test_lists_keep_their_levels_and_numbers_in_word(word):
    levels = {}
    for para in word.paragraphs:
        num = para._p.pPr.numPr if para._p.pPr is not None else None
        if num is not None:
            levels[para.text] = num.ilvl.val
    assert [levels[t] for t in ("stop eating 6 hours before", "blood thinners",
                                "First list item", "First nested list item",
                                "Second nested list item", "Fifth step, numbered as written",
                                "a point under it, by four spaces")] == [0, 1, 0, 1, 2, 0, 1]
    starts = word.part.numbering_part.element.findall(".//" + qn("w:startOverride"))
    assert "5" in [s.get(qn("w:val")) for s in starts]


def test_lists_keep_their_numbers_in_the_pdf(pdf_pages):
    text = "\n".join(pdf_pages)
    assert "5. \n6. " in text or re.search(r"5\.\s+6\.", text), text
    assert "You may be asked to:\nstop eating 6 hours before" in text


# -- boxes ------------------------------------------------------------------------------

def test_every_kind_of_box_is_a_callout_in_the_model(built):
    boxes = [b for b in m.walk(built[2].document.blocks) if isinstance(b, m.Callout)]
    assert [(b.kind, m.inline_text(b.title)) for b in boxes] == BOXES
    assert {b.kind for b in boxes} <= set(KIND_STYLES)


def _title(box):
    titles = box.find_class("callout-title")
    return titles[0].text_content() if titles else ""


def test_boxes_on_the_page_have_their_kind_label_and_title(page):
    boxes = page.find_class("callout")
    assert [(b.get("class").split()[1], _title(b)) for b in boxes] == BOXES
    assert [b.find_class("callout-label")[0].text_content().strip() for b in boxes] == [
        LABELS[kind] for kind, _ in BOXES]
    details = boxes[-1]
    assert [li.text_content() for li in details.iter("li")] == ["and a list", "of two items"]


def test_boxes_in_word_are_box_tables_of_their_kind(word):
    tables = [t for t in word.tables if t.style.name in set(KIND_STYLES.values())]
    found = [(t.style.name, [p.text.strip() for p in t.cell(0, 0).paragraphs]) for t in tables]
    assert [(style, texts[0]) for style, texts in found] == [
        (KIND_STYLES[kind], LABELS[kind]) for kind, _ in BOXES]
    assert [texts[1] for _, texts in found if texts[1] in {t for _, t in BOXES}] == [
        title for _, title in BOXES if title]
    assert "Adults take two tablets." in tables[12].cell(0, 0).text


def test_boxes_in_the_pdf_print_open_one_after_another(pdf_pages):
    text = "\n".join(pdf_pages)
    order = [text.index(t) for t in ("Adults", "Adults take two tablets.", "Children",
                                    "Children take one tablet.", "How long does it take?",
                                    "About two hours")]
    assert sorted(order[:4]) == order[:4] and order[4] < order[5]


# -- Pandoc ---------------------------------------------------------------------------------

def test_a_picture_alone_in_its_paragraph_has_its_alt_text_as_caption(built, page, word,
                                                                       pdf_pages):
    figure = page.find(".//figure")
    assert figure.find(".//img").get("alt") == CAPTION
    assert figure.find("figcaption").text_content() == CAPTION
    captions = [p for p in word.paragraphs if p.style.name == "Caption"]
    assert [p.text for p in captions][:2] == ["", CAPTION]  # the picture, then its caption
    assert captions[0]._p.find(".//" + qn("w:drawing")) is not None
    pictures = word.element.body.iter(qn("wp:docPr"))
    assert CAPTION in [p.get("descr") for p in pictures]
    assert CAPTION in "\n".join(pdf_pages).replace("\n", " ")


def test_heading_attributes_give_the_anchor_and_are_not_printed(page, word):
    heading = page.find(".//h2[@id='sec-before']")
    assert heading.text_content() == "Before your procedure"
    assert page.find(".//a[@href='#sec-before']") is not None
    assert "sec_before" in [b.get(qn("w:name")) for b in
                            word.element.body.iter(qn("w:bookmarkStart"))]


def test_line_blocks_and_backslashes_keep_their_line_breaks(page, word, pdf_pages):
    limerick = next(p for p in page.iter("p") if p.text_content().startswith("The limerick"))
    assert len(limerick.findall("br")) == 4
    assert [t.strip() for t in limerick.itertext()] == LIMERICK
    paragraph = next(p for p in word.paragraphs if p.text.startswith("The limerick"))
    assert [t.strip() for t in paragraph.text.split("\n")] == LIMERICK
    assert "\n".join(LIMERICK) in "\n".join(pdf_pages)
    ring = next(p for p in page.iter("p") if p.text_content().startswith("Ring us"))
    assert len(ring.findall("br")) == 1
    assert "Ring us on the number below\nfrom Monday to Friday." in "\n".join(pdf_pages)


def test_smart_quotes_and_dashes_as_pandoc_prints_them(page, word, pdf_pages):
    typographic = "“Ask us” – we are here — every day…"
    assert typographic in page.text_content()
    assert typographic in [p.text for p in word.paragraphs]
    assert typographic in "\n".join(pdf_pages)


def test_a_grid_table_is_a_table_in_every_format(page, word, pdf_pages):
    table = page.find(".//table")
    assert table.find("caption").text_content() == "Sample grid table."
    assert [[c.text_content() for c in tr] for tr in table.iter("tr")] == [
        ["Fruit", "Price", "Advantages"],
        ["Bananas", "$1.34", "- built-in wrapper - bright color"],
        ["Oranges", "$2.10", "- cures scurvy - tasty"]]
    grid = next(t for t in word.tables if t.cell(0, 0).text == "Fruit")
    assert [[c.text for c in row.cells] for row in grid.rows][2] == [
        "Oranges", "$2.10", "- cures scurvy - tasty"]
    assert "+---" not in "\n".join(pdf_pages) and "Sample grid table." in "\n".join(pdf_pages)


def test_a_page_break_starts_a_page_in_the_pdf_and_in_word(word, pdf_pages):
    after = next(n for n, text in enumerate(pdf_pages) if "After the page break" in text)
    before = next(n for n, text in enumerate(pdf_pages) if "kept in the text" in text)
    assert after == before + 1
    assert not pdf_pages[after].split("After the page break")[0].strip("0123456789 \n")
    breaks = word.element.body.findall(".//" + qn("w:br"))
    assert [b.get(qn("w:type")) for b in breaks].count("page") == 1


def test_no_raw_markup_reaches_any_output(built, page, word, pdf_pages):
    texts = {"html": page.text_content(), "pdf": "\n".join(pdf_pages),
             "docx": "\n".join(p.text for p in word.paragraphs) + "\n".join(
                 c.text for t in word.tables for row in t.rows for c in row.cells)}
    for fmt, text in texts.items():
        assert [raw for raw in RAW if raw in text] == [], fmt
    assert "Text in a margin column is kept in the text." in texts["pdf"]


# -- what is left out, and bad input ------------------------------------------------------

def test_a_shortcode_is_left_out_with_a_warning_naming_it(tmp_path):
    text = MINIMAL_FRONT_MATTER + "\n## S\n\nWatch {{< video https://example.com/v.mp4 >}} it.\n"
    project = new_project(tmp_path, {"source/a.md": text})
    result = build_document(project.source_dir / "a.md", project)
    found = [(w.code, w.line, w.message) for w in result.warnings if w.code == "shortcode-left-out"]
    assert len(found) == 1 and found[0][1] == text.split("\n").index(
        "Watch {{< video https://example.com/v.mp4 >}} it.") + 1
    assert "'{{< video >}}'" in found[0][2]
    html = project.outputs("a")["html"].read_text(encoding="utf-8")
    assert "Watch  it." in html or "Watch it." in html
    strict = run_build(project.root, "--strict", "source/a.md")
    assert strict.returncode != 0 and "shortcode" in strict.stderr


def test_a_grid_table_with_merged_cells_is_read_with_a_warning(tmp_path):
    grid = ["+-----+-----+", "| Both cells |", "+=====+=====+", "| a   | b   |",
            "+-----+-----+"]
    text = MINIMAL_FRONT_MATTER + "\n## S\n\n" + "\n".join(grid) + "\n"
    project = new_project(tmp_path, {"source/a.md": text})
    result = build_document(project.source_dir / "a.md", project)
    found = [(w.line, w.code) for w in result.warnings if w.code == "grid-table-spans"]
    assert found == [(text.split("\n").index(grid[0]) + 1, "grid-table-spans")]
    assert "+--" not in project.outputs("a")["html"].read_text(encoding="utf-8")


def test_an_unclosed_callout_ends_with_the_text_and_a_stray_fence_is_left_out(tmp_path):
    text = (MINIMAL_FRONT_MATTER + "\n## S\n\n:::\n\nText.\n\n::: {.callout-warning}\n"
            "Warned.\n")
    project = new_project(tmp_path, {"source/a.md": text})
    build_document(project.source_dir / "a.md", project)
    rendered = render_document(project.source_dir / "a.md", project)
    boxes = [b for b in m.walk(rendered.document.blocks) if isinstance(b, m.Callout)]
    assert [(b.kind, m.inline_text(b.blocks[0].children)) for b in boxes] == [("warning", "Warned.")]
    assert ":::" not in project.outputs("a")["html"].read_text(encoding="utf-8")


def test_an_unknown_box_kind_is_a_note_named_at_its_line(tmp_path):
    text = MINIMAL_FRONT_MATTER + "\n## S\n\n!!! pied-piper \"Piper\"\n    Text.\n"
    project = new_project(tmp_path, {"source/a.md": text})
    result = build_document(project.source_dir / "a.md", project)
    found = [w for w in result.warnings if w.code == "unknown-box-kind"]
    assert [(w.line, "'pied-piper'" in w.message) for w in found] == [
        (text.split("\n").index('!!! pied-piper "Piper"') + 1, True)]
    rendered = render_document(project.source_dir / "a.md", project)
    assert [(b.kind, m.inline_text(b.title)) for b in rendered.document.blocks
            if isinstance(b, m.Callout)] == [("note", "Piper")]


@pytest.mark.parametrize("written, read", [
    # CommonMark: a child nests under the width of its parent's marker
    (["- a", "  - b", "    - c"], ["- a", "    - b", "        - c"]),
    (["1. a", "   1. b", "10. c", "    - d"], ["1. a", "    1. b", "10. c", "    - d"]),
    (["- a", "    - b"], ["- a", "    - b"]),
    # a list after a paragraph line: a blank line before it; '2.' cannot interrupt
    (["Text:", "- a"], ["Text:", "", "- a"]),
    (["In", "2019. was a year"], ["In", "2019. was a year"]),
    # code after a list stays where it is; a list's code moves with it
    (["- a", "", "```", "- x", "```"], ["- a", "", "```", "- x", "```"]),
    (["- a", "", "  continued", "", "b"], ["- a", "", "    continued", "", "b"]),
    # in a quote
    (["> - a", ">   - b"], ["> - a", ">     - b"]),
    # a footnote's or a box's list; indented code; a rule is no item
    (["[^e]:", "    1.  The top", "", "        Half figure"],
     ["[^e]:", "    1.  The top", "", "        Half figure"]),
    (["!!! note", "    Text:", "    - a", "      - b"],
     ["!!! note", "    Text:", "", "    - a", "        - b"]),
    (["Escapes:", "", "    \\   backslash", "    *   asterisk", "    +   plus"],
     ["Escapes:", "", "    \\   backslash", "    *   asterisk", "    +   plus"]),
    (["- a", "", "* * *", "", "text"], ["- a", "", "* * *", "", "text"]),
])
def test_list_indents_as_python_markdown_reads_them(written, read):
    assert normalise(written, "x") == read


# -- Quarto's cross references ------------------------------------------------------------

CROSS_REFERENCED = """
## Introduction {#sec-intro}

See @fig-elephant for an illustration, and [see @tbl-letters] for the letters.
As @sec-intro says, and @fig-missing too.

![An elephant in the sun](elephant.png){#fig-elephant}

| Col1 | Col2 |
|------|------|
| A    | B    |

: My Caption {#tbl-letters}
"""


def test_cross_references_print_the_number_or_title_and_link_to_it(tmp_path):
    text = MINIMAL_FRONT_MATTER + CROSS_REFERENCED
    project = new_project(tmp_path, {"source/x.md": text})
    Image.new("RGB", (60, 40), (20, 120, 200)).save(project.source_dir / "elephant.png")
    result = build_document(project.source_dir / "x.md", project)
    warned = [(w.code, w.line) for w in result.warnings if "cross" in (w.code or "")]
    assert warned == [("unknown-cross-reference",
                       text.split("\n").index("As @sec-intro says, and @fig-missing too.") + 1)]
    outputs = project.outputs("x")
    page = lxml.html.parse(str(outputs["html"])).getroot()
    links = {a.text_content(): a.get("href") for a in page.iter("a")}
    assert {k: links[k] for k in ("Figure 1", "Table 1", "Introduction")} == {
        "Figure 1": "#fig-elephant", "Table 1": "#tbl-letters", "Introduction": "#sec-intro"}
    assert page.find(".//figure[@id='fig-elephant']/figcaption").text_content() == \
        "Figure 1: An elephant in the sun"
    assert page.find(".//table[@id='tbl-letters']/caption").text_content() == \
        "Table 1: My Caption"
    assert "[?fig-missing]" in page.text_content()
    word = docx.Document(str(outputs["docx"]))
    anchors = {h.get(qn("w:anchor")) for h in word.element.body.iter(qn("w:hyperlink"))}
    marks = {b.get(qn("w:name")) for b in word.element.body.iter(qn("w:bookmarkStart"))}
    assert {"fig_elephant", "tbl_letters", "sec_intro"} <= anchors & marks
    pdf = pypdfium2.PdfDocument(str(outputs["pdf"]))
    printed = pdf[0].get_textpage().get_text_range().replace("\r", "").replace("\n", " ")
    assert "See Figure 1 for an illustration, and see Table 1 for the letters." in printed
    assert "Figure 1: An elephant in the sun" in printed and "@" not in printed


def test_code_in_tabs_and_fences_with_mkdocs_titles_stay_code(tmp_path):
    """MkDocs Material's content tabs with code, its fences with a title, and R Markdown's
    chunk options: code in every format, never read as Markdown ('#include' a heading)."""
    text = MINIMAL_FRONT_MATTER + """
## S

=== "C"

    ``` c
    #include <stdio.h>

    int main(void) {
      return 0;
    }
    ```

=== "C++"

    ``` c++
    #include <iostream>
    ```

``` py title="bubble_sort.py"
# sort the list
def bubble_sort(items):
    pass
```

```{r, echo=FALSE}
# a chunk
plot(cars)
```

- an item with code

  ```
  # not a heading
  ```
"""
    project = new_project(tmp_path, {"source/a.md": text})
    build_document(project.source_dir / "a.md", project)
    blocks = render_document(project.source_dir / "a.md", project).document.blocks
    boxes = [b for b in blocks if isinstance(b, m.Callout)]
    assert [[c.text for c in b.blocks if isinstance(c, m.CodeBlock)] for b in boxes] == [
        ['#include <stdio.h>\n\nint main(void) {\n  return 0;\n}'], ["#include <iostream>"]]
    assert [b.text for b in blocks if isinstance(b, m.CodeBlock)] == ["# a chunk\nplot(cars)"]
    # the titled fence: its title printed over its code
    [titled] = [b for b in blocks if isinstance(b, m.Division)]
    assert [m.inline_text(b.children) if isinstance(b, m.Paragraph) else b.text
            for b in titled.blocks] == [
        "bubble_sort.py", "# sort the list\ndef bubble_sort(items):\n    pass"]
    item = next(b for b in blocks if isinstance(b, m.BulletList)).items[0]
    assert [b.text for b in item.blocks if isinstance(b, m.CodeBlock)] == ["# not a heading"]
    assert [b for b in m.walk(blocks) if isinstance(b, m.Heading)][1:] == []


def test_mkdocs_icon_shortcodes_are_left_out_but_not_from_code(tmp_path):
    text = MINIMAL_FRONT_MATTER + """
## S

=== ":octicons-mark-github-16: Octicons"

    Write `:material-alert:` for the icon :material-alert: in a page.
"""
    project = new_project(tmp_path, {"source/a.md": text})
    build_document(project.source_dir / "a.md", project)
    blocks = render_document(project.source_dir / "a.md", project).document.blocks
    box = next(b for b in blocks if isinstance(b, m.Callout))
    assert m.inline_text(box.title) == "Octicons"
    assert m.inline_text(box.blocks[0].children) == \
        "Write :material-alert: for the icon in a page."


# -- real documents, as their authors wrote them (tests/corpus/real/SOURCES.md) -------------

REAL = ROOT / "tests" / "corpus" / "real"


def _build_real(tmp_path, name):
    folder = REAL / name
    document = next(p for p in sorted(folder.iterdir()) if p.suffix == ".md")
    project = new_project(tmp_path, {f"source/{name}.md": document.read_text(encoding="utf-8")})
    build_document(project.source_dir / f"{name}.md", project)  # a draft, verified
    blocks = render_document(project.source_dir / f"{name}.md", project).document.blocks
    return project, blocks


def _shape(block):
    """A list as (tag, the lists in each item), nested."""
    return ("ol" if isinstance(block, m.OrderedList) else "ul",
            [[_shape(b) for b in item.blocks if isinstance(b, (m.BulletList, m.OrderedList))]
             for item in block.items])


def test_mkdocs_material_lists_nest_as_mkdocs_shows_them(tmp_path):
    project, blocks = _build_real(tmp_path, "mkdocs-lists")
    lists = [b for b in m.walk(blocks) if isinstance(b, (m.BulletList, m.OrderedList))]
    inner = {id(c) for b in lists for c in m.walk(m.children_of(b))}
    assert [_shape(b) for b in lists if id(b) not in inner][1:3] == [
        ("ul", [[("ul", [[], [], []])]]),
        ("ol", [[("ol", [[], [("ol", [[], [], []])]])]])]
    page = lxml.html.parse(str(project.outputs("mkdocs-lists")["html"])).getroot()
    deepest = next(li for li in page.iter("li") if li.text_content() == "Mauris dictum mi lacus")
    assert _depth(deepest) == 3
    word = docx.Document(str(project.outputs("mkdocs-lists")["docx"]))
    levels = {p.text: p._p.pPr.numPr.ilvl.val for p in word.paragraphs
              if p._p.pPr is not None and p._p.pPr.numPr is not None}
    assert [levels[t] for t in ("Mauris dictum mi lacus", "Nam vulputate tincidunt fringilla.")
            ] == [2, 1]


def test_github_alerts_of_a_real_page_are_boxes_of_their_kinds(tmp_path):
    project, blocks = _build_real(tmp_path, "github-alerts")
    kinds = ["note", "tip", "important", "warning", "caution"]
    assert [b.kind for b in m.walk(blocks) if isinstance(b, m.Callout)] == kinds
    outputs = project.outputs("github-alerts")
    page = lxml.html.parse(str(outputs["html"])).getroot()
    assert [b.get("class").split()[1] for b in page.find_class("callout")] == kinds
    for code in page.iter("pre"):  # the page shows the markup as code, too
        code.drop_tree()
    assert "[!" not in page.text_content()
    word = docx.Document(str(outputs["docx"]))
    assert [t.style.name for t in word.tables if t.style.name in set(CALLOUT_STYLES.values())
            ] == [CALLOUT_STYLES[k] for k in kinds]
    pdf = pypdfium2.PdfDocument(str(outputs["pdf"]))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert all(LABELS[kind] in text for kind in kinds)


def test_a_grid_table_row_not_lined_up_with_its_borders_loses_nothing():
    grid = ["+--------+---------+", "| Study  | Finding |", "+========+=========+",
            "| [Sigtermans](https://doi.org/10.1016/x) | Pain relief [@sigtermans2009] |",
            "+--------+---------+"]
    assert normalise(grid, "x") == [
        "| Study | Finding |", "| --- | --- |",
        "| [Sigtermans](https://doi.org/10.1016/x) | Pain relief [@sigtermans2009] |", "", ""]


def test_mkdocs_material_content_tabs_page_builds_with_each_tab_a_box(tmp_path):
    """Its pictures live outside the page's folder (placeholders, with warnings); its
    paragraph 'Content tabs are linked ...' starts a page under the running title
    'Content tabs', which the PDF's check once took for that title and reported lost."""
    project, blocks = _build_real(tmp_path, "mkdocs-content-tabs")
    titles = [m.inline_text(b.title) for b in m.walk(blocks) if isinstance(b, m.Callout)]
    assert titles[:6] == ["Open me in a new tab …", "… or me …", "… or even me",
                          "Readable anchor links", "Feature enabled", "Feature disabled"]
    assert titles[6:8] == ["C", "C++"]
    code = [c.text for b in m.walk(blocks) if isinstance(b, m.Callout)
            for c in b.blocks if isinstance(c, m.CodeBlock)]
    assert any(text.startswith("#include <stdio.h>") for text in code)
    assert not [b for b in m.walk(blocks) if isinstance(b, m.Heading)
                and "include" in m.inline_text(b.children)]


# The Pandoc manual's table captions ("Table:" or ":" above or below the table), Quarto's
# table div with its id, bracketed spans, and a definition that is not a caption.
PANDOC_CAPTIONS = """
## Tables

Link to a float element with `\\ref{identifier}`, where
`identifier` must be defined in the float's caption.

: Comparison of programming languages.
  []{label="proglangs"}

| Language | Created |
|----------|---------|
| Haskell  | 1990    |

Text between the tables.

| Drug | Dose |
|------|------|
| A    | 1 mg |

Table: Doses, as the Pandoc manual writes a caption below.

::: {#tbl-panel}
| E | F |
|---|---|
| 5 | 6 |

: A Quarto table div
:::

See @tbl-panel. A [bracketed span]{.underline} keeps its words and `[code]{x}` its marks.

Term
: a definition, not a caption.
"""


def test_pandoc_table_captions_above_or_below_are_captions_not_definitions(tmp_path):
    project = new_project(tmp_path, {"source/x.md": MINIMAL_FRONT_MATTER + PANDOC_CAPTIONS})
    result = build_document(project.source_dir / "x.md", project)
    assert not [w for w in result.warnings if "cross" in (w.code or "")]
    outputs = project.outputs("x")
    page = lxml.html.parse(str(outputs["html"])).getroot()
    captions = [c.text_content() for c in page.iter("caption")]
    assert captions == ["Comparison of programming languages.",
                        "Doses, as the Pandoc manual writes a caption below.",
                        "Table 1: A Quarto table div"]
    assert page.find(".//table[@id='tbl-panel']") is not None
    paragraph = next(p.text_content() for p in page.iter("p")
                     if p.text_content().startswith("Link to a float"))
    assert paragraph.endswith("must be defined in the float’s caption.")
    assert [dt.text_content() for dt in page.iter("dt")] == ["Term"]
    main = page.find(".//main")
    text = main.text_content()
    assert "A bracketed span keeps its words and [code]{x} its marks." in text
    prose = " ".join(main.xpath(".//text()[not(parent::code)]"))
    assert "{" not in prose and "Table:" not in prose and "label=" not in prose
    word = docx.Document(str(outputs["docx"]))
    printed = "\n".join(p.text for p in word.paragraphs)
    assert "Comparison of programming languages." in printed and "Table:" not in printed
    assert "label=" not in printed


def test_a_quarto_table_div_takes_its_last_paragraph_as_the_caption(tmp_path):
    """Quarto's cross-reference div: a grid table, then its caption as the div's last
    paragraph (no ':'), the div's id the table's (quest-bih/quarto_love_methods)."""
    body = ("\n## Resources\n\nSee @tbl-resources.\n\n::: {#tbl-resources tbl-colwidths=\"[50,50]\"}"
            "\n+----------+------------+\n| Reagent  | Source     |\n+==========+============+\n"
            "| Gene     | NCBI       |\n+----------+------------+\n\nKey Resources Table\n:::\n\n"
            "After the table.\n")
    project = new_project(tmp_path, {"source/x.md": MINIMAL_FRONT_MATTER + body})
    result = build_document(project.source_dir / "x.md", project)
    assert not [w for w in result.warnings if "cross" in (w.code or "")]
    page = lxml.html.parse(str(project.outputs("x")["html"])).getroot()
    assert page.find(".//table[@id='tbl-resources']/caption").text_content() == \
        "Table 1: Key Resources Table"
    assert "See Table 1." in page.find(".//main").text_content()
    assert "After the table." in [p.text_content() for p in page.iter("p")]
