"""The page checker (handouts/check/pages.py) on every PDF these tests build, and on the PDF
LibreOffice makes of each Word file; and each defect it must catch, reproduced."""

from pathlib import Path

import pytest
import weasyprint
from PIL import Image, ImageDraw

from conftest import OUTPUT_NAMES, new_project, print_word_files, run_build
from handouts import furniture
from handouts.check import pages
from handouts.style.theme import load_theme

MARGINS = pages.Margins(20 * pages.MM, 29 * pages.MM, 20 * pages.MM, 29 * pages.MM)
PAGE_CSS = ("@page { size: letter; margin: 20mm 29mm; "
            "@bottom-left { content: 'Version 1.0'; font-size: 9pt }"
            "@bottom-right { content: 'Page ' counter(page) ' of ' counter(pages); font-size: 9pt } }"
            "body { font: 12pt/1.45 sans-serif; margin: 0 } h2 { font-size: 1.35em }")
PARAGRAPH = ("<p>Osteoarthritis is the most common kind of arthritis. The cartilage that covers "
             "the ends of the bones wears thin, and the joint becomes stiff and painful.</p>")


def _pdf(tmp_path, body, css=""):
    path = tmp_path / "made.pdf"
    weasyprint.HTML(string=f"<html><style>{PAGE_CSS}{css}</style><body>{body}</body></html>"
                    ).write_pdf(path)
    return path


def _kinds(findings):
    return [f.kind for f in findings]


# --- the defects, each reproduced -------------------------------------------------------

def test_a_heading_at_the_foot_of_a_page_is_caught(tmp_path):
    # Ten paragraphs and a gap leave room for a heading and one line, no more: the heading
    # is let stay behind (break-after: auto), as before the pagination rules.
    body = (PARAGRAPH * 10 + "<div style='height: 10pt'></div><h2 style='break-after: auto'>"
            "Your choices</h2>" + PARAGRAPH * 2)
    css = "p { margin: 0 0 0.6em; orphans: 1; widows: 1 }"
    kept = "p { margin: 0 0 0.6em }"
    found = pages.check(_pdf(tmp_path, body, css), MARGINS)
    assert _kinds(found) == ["stranded"] and found[0].page == 1, found
    assert "'Your choices' is at the foot of the page with 1 line" in found[0].message
    # Kept with what follows, it moves, and the page it leaves is full enough.
    assert pages.check(_pdf(tmp_path, body.replace("auto", "avoid"), kept), MARGINS) == []


def test_a_heading_with_its_lines_below_it_passes(tmp_path):
    body = PARAGRAPH * 4 + "<h2>Your choices</h2>" + PARAGRAPH * 2
    assert pages.check(_pdf(tmp_path, body), MARGINS) == []


def test_a_half_empty_page_is_caught_unless_a_break_was_asked_for(tmp_path):
    body = PARAGRAPH * 6 + "<p style='break-before: page'>The rest.</p>" + PARAGRAPH
    path = _pdf(tmp_path, body)
    found = pages.check(path, MARGINS)
    assert _kinds(found) == ["hole"] and found[0].page == 1, found
    assert pages.check(path, MARGINS, breaks={1}) == []


def test_a_picture_too_tall_even_scaled_down_explains_a_hole(tmp_path):
    picture = tmp_path / "tall.png"
    Image.new("RGB", (400, 800), (42, 120, 102)).save(picture)
    body = PARAGRAPH * 6 + f"<img src='{picture.as_uri()}' style='display:block; height: 8in'>"
    # 8 in of picture does not fit in the half page left even at 70%: the hole is explained.
    assert pages.check(_pdf(tmp_path, body), MARGINS) == []
    # 4.5 in would fit at 70%: the picture should have been scaled down, not moved.
    body = PARAGRAPH * 6 + f"<img src='{picture.as_uri()}' style='display:block; height: 4.5in'>"
    html = (f"<html><style>{PAGE_CSS} img {{ break-before: page }}</style><body>{body}</body>"
            "</html>")
    weasyprint.HTML(string=html).write_pdf(tmp_path / "moved.pdf")
    assert _kinds(pages.check(tmp_path / "moved.pdf", MARGINS)) == ["hole"]


def test_text_off_the_page_is_caught(tmp_path):
    body = PARAGRAPH + "<pre style='white-space: pre'>" + "dose_" * 60 + "</pre>"
    found = pages.check(_pdf(tmp_path, body), MARGINS)
    assert _kinds(found) == ["off-page"] and "off the page" in found[0].message, found
    body = PARAGRAPH + "<p>" + "x" * 70 + "</p>"  # past the margin, still on the paper
    found = pages.check(_pdf(tmp_path, body), MARGINS)
    assert _kinds(found) == ["off-page"] and "past the margin" in found[0].message, found


def test_a_footer_on_two_lines_is_caught(tmp_path):
    css = ("@page { @bottom-left { content: 'Version 1.0 · Issued November 23, 2026 · Review "
           "due November 23, 2027 · Approved by Dr A. Chen, Medical Director, on November "
           "20, 2026' } }")
    found = pages.check(_pdf(tmp_path, PARAGRAPH, css), MARGINS)
    assert _kinds(found) == ["furniture"] and "footer takes 2 lines" in found[0].message, found


def test_page_counts_that_differ_by_more_than_one_are_caught(tmp_path):
    path = _pdf(tmp_path, PARAGRAPH * 12)
    assert pages.page_count(path) == 2
    assert pages.check(path, MARGINS, word_pages=3) == []
    found = pages.check(path, MARGINS, word_pages=4)
    assert _kinds(found) == ["page-count"] and "2 pages and the Word file 4" in found[0].message


# --- off-page text fails the build's own verification -----------------------------------

LONG_WORD = "Pain" + "pumpsetting" * 12


def test_a_build_whose_text_runs_off_the_page_fails_naming_the_block_and_page(tmp_path):
    project = new_project(tmp_path, {"source/wide.md": f"""\
        ---
        title: Wide
        lang: en-US
        version: "1.0"
        date: 2026-01-15
        review_due: 2027-01-15
        ---

        ## Settings

        Set the pump to {LONG_WORD} and wait for the nurse.
        """})
    # A stylesheet that will not let the line wrap (pre, as a code block once was).
    css = project.styles_dir / "handout.css"
    css.write_text(css.read_text() + "\nmain p { white-space: pre; overflow-wrap: normal }\n")
    result = run_build(project.root)
    assert result.returncode != 0
    assert "wide.md:11" in result.stderr and "runs off the page on page 1" in result.stderr, \
        result.stderr
    assert not project.outputs("wide")["pdf"].exists()


# --- every PDF the tests build, and the Word files as LibreOffice prints them ------------

NEW_USER = """\
---
title: Knee Injections for Osteoarthritis
lang: en-US
version: "1.0"
date: 2026-01-15
review_due: 2027-01-15
approved_by: {name: Dr A. Chen, role: Medical Director}
approved_on: 2026-01-10
---

!!! note "Key points"
    - A steroid injection can ease knee pain for a few weeks or months.
    - It is a short procedure done in the clinic.
    - Most people go home straight afterwards.

## What is osteoarthritis?

Osteoarthritis is the most common kind of arthritis. The smooth cartilage that covers the
ends of the bones in a joint wears thin, and the joint becomes stiff and painful.[^1] It
often affects the knees, hips and hands, and it becomes more common as people get older.

Many people with osteoarthritis keep active with exercise, weight loss and pain medicines.
When these are not enough, an injection into the knee may help for a while.

## How the injection works

The injection puts a steroid medicine straight into the knee joint. The steroid calms the
swelling inside the joint, and this can ease the pain. Some clinics add a local anesthetic
that numbs the knee for a few hours.

The effect often starts after two or three days and may last for several weeks or months.
It does not repair the cartilage, and the pain may come back.

## Your choices

Your care team will talk with you about the treatments that may suit you.

| Treatment | How long it helps | How often |
|---|---|---|
| Steroid injection | weeks to months | up to 3 or 4 times a year |
| Exercise and physical therapy | as long as you keep going | most days |
| Pain medicines | hours | as needed |
| Knee replacement | many years | once |

: Treatments for knee osteoarthritis

## Before the injection

Tell your care team if you take medicines that thin the blood, if you have diabetes, or if
you have an infection anywhere in your body. You can eat and drink as usual on the day.

- Wear loose trousers or shorts, so the knee is easy to reach.
- Bring a list of your medicines.
- Plan to rest the knee for a day afterwards.

## On the day

You lie on a couch with your knee slightly bent. The doctor cleans the skin, and may use an
ultrasound scan to guide the needle into the joint. The injection itself takes a minute or
two. You may feel pressure, and a little stinging from the local anesthetic.

![A drawing of a knee joint with the needle entering from the side](knee.png "Where the needle goes into the knee")

After the injection the knee may feel numb for a few hours. Rest it for a day and avoid
long walks or sport for a few days.

!!! warning "Go to the emergency room if"
    - the knee becomes hot, red and very swollen,
    - you have a fever or feel unwell, or
    - the pain becomes much worse in the days after the injection.

## Side effects

Most people have no problems. Some have a flare of pain for a day or two, a flushed face,
or a rise in blood sugar if they have diabetes. Infection of the joint is rare, but serious.

## Words to know

Cartilage
:   The smooth, tough layer that covers the ends of bones in a joint.

Steroid
:   A medicine that calms swelling and irritation.

Local anesthetic
:   A medicine that numbs a small part of the body for a few hours.

Ultrasound
:   A scan that uses sound waves to show the inside of the body on a screen.

[^1]: Cartilage does not have its own blood supply, so it heals slowly.
"""


def _knee_png(size=(1200, 900)):
    import io
    picture = Image.new("RGB", size, (230, 240, 250))
    ImageDraw.Draw(picture).ellipse((size[0] // 4, size[1] // 6, size[0] * 3 // 4,
                                     size[1] * 5 // 6), fill=(42, 120, 102))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


# Long lines of code and words longer than a line: they wrap in the PDF and the Word file.
WIDE = """\
---
title: Pump Settings
lang: en-US
version: "1.0"
date: 2026-01-15
review_due: 2027-01-15
bibliography: wide.bib
---

## Settings

```
pump_rate_setting=0.5mg_per_kg_per_hour_for_the_first_four_hours_then_0.25mg_per_kg_per_hour
dose_limit = "no more than 0.5 mg per kg per hour at any time, whatever the pump's own limit says"
```

The record is kept as PumpSettingsRecordForKetamineInfusionDayOneThroughTenInclusiveAndFollowUp.

| Setting | Value |
|---|---|
| record | PumpSettingsRecordForKetamineInfusionDayOneThroughTenInclusive |

The settings follow the hospital's guideline.[@longaddress2020]
"""
WIDE_BIB = """\
@misc{longaddress2020,
  author = {Smith, Jane},
  title = {Ketamine infusion settings},
  year = {2020},
  url = {https://www.example.org/guidelines/pain/2020/ketamine-infusion-settings-for-adults-with-complex-regional-pain-syndrome/fulltext.pdf}
}
"""


FILLER = ("Most people feel some soreness where the needle went in for a day or two, and a "
          "cold pack wrapped in a towel eases it. Rest the joint for the rest of the day, then "
          "go back to what you usually do as it allows. ").split()


def sweep() -> str:
    """A leaflet whose headings land at every height of a page: each section's paragraph is
    a different length, and what follows the heading differs (a list whose items hold lists,
    a list of one-line items, a box longer than a page with a code block, a line introducing
    a picture, an item holding one). So keeps that work at one height and fail at another (LibreOffice's with a
    ruled heading, WeasyPrint's with an item holding a list or a picture) are caught by the
    page checker."""
    parts = ["---\ntitle: After Your Procedure\nlang: en-US\nversion: \"1.0\"\n"
             "date: 2026-01-15\nreview_due: 2027-01-15\n---\n"]
    for k in range(30):
        words = 12 + (k * 37) % 95
        parts.append(f"## Section {k + 1}\n\n" + " ".join(
            FILLER[n % len(FILLER)] for n in range(words)) + ".\n")
        if k % 3 == 0:
            parts.append(f"### At home, week {k + 1}\n\n- **Wound care**:\n  - Keep it clean "
                         "and dry\n  - Showers are fine after two days\n  - Strips fall off "
                         "by themselves\n- **Pain**:\n  - Paracetamol is usually enough\n"
                         "  - Ice packs on the neck\n- **Diet**: Soft foods at first\n")
        elif k % 3 == 1:
            parts.append("- **Fasting**: Nothing to eat for six hours before\n- **Medicines**"
                         ": Bring a list of them\n")
            parts.append(f"## Going home, day {k + 1}\n\n- **Rest**: Plan for a week off "
                         "work\n- **Lifting**: Nothing heavy for two weeks\n- **Driving**: "
                         "When you can turn your head\n")
        elif k % 6 == 2:
            code = "\n".join(f"    step {n}: check the pump reads {n * 5} mL" for n in range(56))
            parts.append(f'!!! note "Pump log, day {k + 1}"\n    ```\n{code}\n    ```\n')
        elif k % 6 == 5:  # a line introducing a picture, and an item holding one
            parts.append("The pump's screen should look like this:\n\n![The pump's screen]"
                         "(pump.png)\n\n1. Switch the pump on.\n2. Check the screen:\n"
                         "   `Menu → Status`  \n![The status screen](pump.png)\n"
                         "3. Call us if it shows an alarm.\n")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    shapes = Path(__file__).parent / "corpus" / "pages"  # (their sources: SOURCES.md)
    workshop = shapes / "workshop-segmentation"
    files = {"source/after.md": sweep(), "source/pump.png": _knee_png((1200, 800)),
             "source/leaflet-shape.md": (shapes / "leaflet-shape.md").read_text(),
             "source/workshop.md": (workshop / "index.md").read_text()}
    files.update({f"source/images/{picture.name}": picture.read_bytes()
                  for picture in (workshop / "images").iterdir()})
    project = new_project(tmp_path_factory.mktemp("sweep"), files)
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture(scope="module")
def new_user(tmp_path_factory):
    """A clinic's own first handout, approved: a table, a picture, a warning box, a footnote
    and a glossary; and a page of long code lines and long words."""
    project = new_project(tmp_path_factory.mktemp("new-user"),
                          {"source/knee-injections.md": NEW_USER,
                           "source/knee.png": _knee_png(), "source/pump-settings.md": WIDE,
                           "source/wide.bib": WIDE_BIB})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture(scope="module")
def every_build(built, new_user, swept):
    """{name: (project, margins)} for every handout and edition these tests build here."""
    found = {}
    for project in (built, new_user, swept):
        margins = pages.margins_of(load_theme(project.styles_dir / "theme.yaml"))
        for pdf in sorted(project.output_dir.glob("*.pdf")):
            found[pdf.stem] = (project, margins)
    assert set(OUTPUT_NAMES) | {"knee-injections", "pump-settings", "after",
                                "leaflet-shape", "workshop"} <= set(found)
    return found


def test_every_pdf_passes_the_page_checker(every_build):
    for name, (project, margins) in every_build.items():
        pdf = project.outputs(name)["pdf"]
        assert pages.check(pdf, margins) == [], name


@pytest.fixture(scope="module")
def word_pdfs(every_build, tmp_path_factory):
    """{name: the PDF LibreOffice prints of the Word file}."""
    files = [project.outputs(name)["docx"] for name, (project, _) in every_build.items()]
    return print_word_files(files, tmp_path_factory.mktemp("word-pdfs"),
                            tmp_path_factory.mktemp("lo-profile"))


def test_every_word_file_passes_the_page_checker(every_build, word_pdfs):
    for name, (project, margins) in every_build.items():
        # Word cannot set a picture smaller to fit a page's foot: shrink=1.
        word = word_pdfs[name]
        assert pages.check(word, margins, shrink=1.0) == [], name
        pdf = project.outputs(name)["pdf"]
        assert pages.check(pdf, margins, word_pages=pages.page_count(word)) == [], name


def test_the_ketamine_handouts_end_on_a_page_at_least_a_quarter_full(built):
    margins = pages.margins_of(load_theme(built.styles_dir / "theme.yaml"))
    for name in OUTPUT_NAMES:
        last = pages.read(built.outputs(name)["pdf"])[-1]
        assert pages.fullness(last, margins) >= 0.25, name


# --- the pagination rules at work --------------------------------------------------------

@pytest.mark.parametrize("paragraphs, heading", [(5, ""), (4, "## Where the needle goes\n\n")],
                         ids=["after text", "under its own heading"])
def test_a_picture_that_does_not_fit_is_set_smaller_and_the_text_after_it_flows_up(
        tmp_path, paragraphs, heading):
    # The paragraphs fill half the page; a picture the text box's width across is too tall
    # for what is left, but fits there at 70% or more (with its heading, kept with it).
    paragraph = ("You lie on a couch with your knee slightly bent. The doctor cleans the skin, "
                 "and may use an ultrasound scan to guide the needle into the joint.\n\n")
    text = (NEW_USER.split("!!! note")[0] + "## On the day\n\n" + paragraph * paragraphs
            + heading + '![A knee](knee.png "Where the needle goes")\n\nRest the knee for a day.\n')
    project = new_project(tmp_path, {"source/knee.md": text,
                                     "source/knee.png": _knee_png((1200, 1000))})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    margins = pages.margins_of(load_theme(project.styles_dir / "theme.yaml"))
    laid = pages.read(project.outputs("knee")["pdf"])
    picture = laid[0].pictures[-1] if laid[0].pictures else None
    assert picture is not None, "the picture moved to the next page"
    across = laid[0].width - margins.left - margins.right
    scale = (picture.right - picture.left) / across
    assert 0.7 <= scale < 0.98, scale
    assert any("Rest the knee" in line.text for line in laid[0].lines + laid[1].lines[:3])
    assert pages.check(project.outputs("knee")["pdf"], margins) == []


def test_a_nearly_empty_last_page_is_tightened_away(tmp_path):
    from handouts.write.pdf import writer
    pdfs = []
    for count in range(100, 130):  # one-line paragraphs until a last page holds one or two
        body = "".join(f"<p>{n}. Rest the knee for a day.</p>" for n in range(count))
        html = weasyprint.HTML(string=f"<html><body>{body}</body></html>")
        css = [weasyprint.CSS(string=PAGE_CSS + "p { margin: 0 0 0.6em }")]
        first = html.render(stylesheets=css)
        if len(first.pages) > 1 and writer._last_page_filled(first) < 0.1:
            document = writer._paginated(html, css, writer.RefusingFetcher())
            assert len(document.pages) == len(first.pages) - 1
            pdfs.append(document)
            break
    assert pdfs, "no count of paragraphs left a nearly empty last page"
    path = tmp_path / "tight.pdf"
    pdfs[0].write_pdf(path)
    assert [f for f in pages.check(path, MARGINS) if f.kind != "hole"] == []


def test_the_word_file_keeps_headings_items_and_rows_on_their_page(new_user):
    import docx
    word = docx.Document(str(new_user.outputs("knee-injections")["docx"]))
    assert word.styles["Heading 2"].paragraph_format.keep_with_next
    assert word.styles["Normal"].paragraph_format.widow_control
    items = [p for p in word.paragraphs if p._p.pPr is not None and p._p.pPr.numPr is not None]
    assert items and all(p.paragraph_format.keep_together for p in items)
    table = next(t for t in word.tables if len(t.rows) == 5)
    assert all(row._tr.trPr is not None and row._tr.trPr.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}cantSplit") is not None
        for row in table.rows)
    assert all(p.paragraph_format.keep_with_next for row in table.rows[:-1]
               for cell in row.cells for p in cell.paragraphs)
    # A heading's first paragraph, a line long, keeps with the table after it; a longer
    # one (over a picture here) does not.
    first = {p.text[:20]: p.paragraph_format.keep_with_next for p in word.paragraphs}
    assert first["Your care team will "] and not first["You lie on a couch w"]


def test_an_approved_handout_names_its_approver_in_the_header_and_keeps_its_footer_on_one_line(
        new_user):
    margins = pages.margins_of(load_theme(new_user.styles_dir / "theme.yaml"))
    laid = pages.read(new_user.outputs("knee-injections")["pdf"])
    assert len(laid) > 1
    for page in laid:
        top, foot = pages.furniture(page, margins)
        assert [line.text for line in foot] == [
            f"Version 1.0 · Issued January 15, 2026 · Review due January 15, 2027 "
            f"Page {page.number} of {len(laid)}"]
        if page.number > 1:  # the title page names the approver under the title
            assert top and top[-1].text.endswith(
                "Approved by Dr A. Chen, Medical Director on January 10, 2026"), top
    import docx
    word = docx.Document(str(new_user.outputs("knee-injections")["docx"]))
    assert "Approved by Dr A. Chen" in word.sections[0].header.paragraphs[0].text
    assert "Approved" not in word.sections[0].footer.paragraphs[0].text


def test_bold_last_words_of_a_document_are_not_a_stranded_heading(tmp_path):
    # The clinic's name closes every handout, in bold; on the last page nothing follows it.
    body = PARAGRAPH * 10 + "<div style='height: 22pt'></div><p><b>Pain Medicine Practice</b></p>"
    path = _pdf(tmp_path, body, "p { margin: 0 0 0.6em; orphans: 1; widows: 1 }")
    laid = pages.read(path)
    assert len(laid) == 1 and laid[0].lines[-2].top > laid[0].height * 0.85, laid[0].lines[-2:]
    assert pages.check(path, MARGINS) == []
    # The same words with a page after them are a heading left behind.
    path = _pdf(tmp_path, body + "<p style='break-before: page'>More.</p>",
                "p { margin: 0 0 0.6em; orphans: 1; widows: 1 }")
    assert _kinds(pages.check(path, MARGINS)) == ["stranded"]


def test_code_is_neither_the_body_text_nor_a_heading(tmp_path):
    """A page of code examples (GitHub's alerts page quotes each alert's source) sets more
    letters in code than in the body's size; the body's text is still the body, not a heading
    stranded at the page's foot."""
    code = "<pre style='font: 11pt monospace; margin: 0 0 8pt'>" + "\n".join(
        f"&gt; [!CAUTION] line {n}: advises about risks" for n in range(47)
        ) + "</pre>"
    body = code + "<p style='font-size: 12pt'>Advises about risks or negative outcomes.</p>" + \
        "<p style='break-before: page'>More.</p>"
    path = _pdf(tmp_path, body, "body { font-size: 12pt }")
    laid = pages.read(path)
    assert sum(line.letters for line in laid[0].lines if line.code) > \
        sum(line.letters for line in laid[0].lines if not line.code)
    text = next(line for line in laid[0].lines if line.text.startswith("Advises"))
    assert pages.body_size(laid, MARGINS) == text.size > laid[0].lines[0].size
    assert text.top > laid[0].height * (1 - pages.FOOT)  # where a heading would be stranded
    assert pages.check(path, MARGINS, breaks=[1]) == []


def test_footnotes_under_the_last_words_are_not_their_text(tmp_path):
    """The clinic's name in bold closes the last page; the page's footnotes below it, in
    their area over the text box's foot, are not lines of its section."""
    body = PARAGRAPH * 9 + ("<p>Most people need a dose or two.<span class='fn'>Doses vary "
                            "between protocols.</span></p><div style='height: 58pt'></div>"
                            "<p><b>Pain Medicine Practice</b></p>")
    css = ("@page { @footnote { border-top: 1px solid black; padding-top: 4pt } } "
           ".fn { float: footnote; font-size: 10pt } p { margin: 0 0 0.6em; orphans: 1; "
           "widows: 1 }")
    path = _pdf(tmp_path, body, css)
    laid = pages.read(path)
    name = next(line for line in laid[0].lines if line.text == "Pain Medicine Practice")
    note = next(line for line in laid[0].lines if "Doses vary" in line.text)
    assert len(laid) == 1 and name.top > laid[0].height * (1 - pages.FOOT) and \
        note.top > name.bottom
    assert pages.notes_top(laid[0], MARGINS) < note.top
    assert pages.check(path, MARGINS) == []


def test_a_table_of_few_rows_but_narrow_long_cells_is_not_kept_whole():
    """Five columns of long identifiers: four rows a page tall. Kept whole, WeasyPrint
    dropped its header row; it breaks between rows instead, its header repeated."""
    identifiers = "github.com/tonykylim/XenLoom_beta swh:1:rev:b487791d1d91a5950eeb " * 4
    rows = [["Reagent type", "Designation", "Source", "Identifiers", "Additional"]] + [
        ["Software", "XenLoom (beta)", "This paper", identifiers, "Lim"]] * 3
    assert furniture.short_table([["Drug", "Dose"], ["Ketamine", "0.35 mg/kg an hour"]])
    assert sum(len(c) for r in rows for c in r) <= furniture.SHORT_TABLE_CHARACTERS
    assert not furniture.short_table(rows)
