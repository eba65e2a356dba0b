"""Small screens (issue 23, item 6): the clinic's phone numbers are tel: links and its
website a link, the catalogue page reads at 320 and 375 px with nothing pushed off screen,
and a task's wrapped text lines up past its box, on the page and on paper. Measured in
headless Chromium (skipped, saying why, where it cannot start) and in the PDF's text."""

import json

import lxml.html
import pypdfium2
import pytest

from conftest import (chromium_problem, new_project, posted_in_frame, replace_organisation,
                      run_build)
from handouts.style.theme import tel_address as _tel, web_address as _web

TASK = ("Bring your list of medicines, with the dose of each and when you last took it, "
        "written down on one sheet of paper")

HANDOUT = f"""\
---
title: Small Screens
lang: en-US
version: "1.0"
date: 2026-01-15
review_due: 2027-01-15
audience: clinicians
---

## Before you come

- [ ] {TASK}
- [x] Eat a light meal
"""

CLINIC = """organisation:
  name: Pain Medicine Practice
  address: "1 Example Way, Springfield"
  phone: "+1 (555) 010-0000 ext. 12"
  website: "clinic.example.org"
  referral_phone: "555.010.9999"
  referral_email: "referrals@clinic.example.org"
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("small"), {"source/small.md": HANDOUT})
    replace_organisation(project, CLINIC)
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project


def test_phone_numbers_website_and_email_are_links(small):
    page = lxml.html.parse(str(small.outputs("small")["html"])).getroot()
    links = {a.text_content(): a.get("href") for a in page.find_class("contact")[0].iter("a")}
    assert links == {"+1 (555) 010-0000 ext. 12": "tel:+15550100000",
                     "clinic.example.org": "https://clinic.example.org",
                     "555.010.9999": "tel:5550109999",
                     "referrals@clinic.example.org": "mailto:referrals@clinic.example.org"}
    # The words around a value stay text: "Referrals by phone: " and its number, linked.
    line = next(p for p in page.find_class("contact")[0] if "Referrals by phone" in
                p.text_content())
    assert line.text == "Referrals by phone: " and line[0].tag == "a"


@pytest.mark.parametrize("value, href", [
    ("(555) 010-2030", "tel:5550102030"), ("+44 20 7946 0000", "tel:+442079460000"),
    ("555-0100 x23", "tel:5550100"), ("call us", ""), ("12", "")])
def test_a_phone_number_becomes_the_digits_a_phone_dials(value, href):
    assert _tel(value) == href


@pytest.mark.parametrize("value, href", [
    ("https://clinic.example.org/a", "https://clinic.example.org/a"),
    ("www.clinic.org", "https://www.clinic.org"), ("Ask at the desk", ""),
    ("javascript:alert(1)", "")])
def test_only_a_web_address_becomes_a_link(value, href):
    assert _web(value) == href


def test_pdf_task_text_wraps_past_its_box(small):
    document = pypdfium2.PdfDocument(str(small.outputs("small")["pdf"]))
    try:
        textpage = document[0].get_textpage()
        index, count = textpage.search("Bring your list", match_case=True).get_next()
        text = textpage.get_text_range(index, len(TASK) + 10)
        boxes = [(textpage.get_charbox(i, loose=True), text[i - index])  # the line's height
                 for i in range(index, index + len(text)) if not text[i - index].isspace()]
    finally:
        document.close()
    starts = {}  # each line's first letter's left edge, by the line's baseline
    for (left, bottom, _, _), char in boxes:
        line = round(bottom)
        starts.setdefault(line, left)
    assert len(starts) >= 2, "the task did not wrap: make it longer"
    lefts = list(starts.values())[:2]
    assert abs(lefts[0] - lefts[1]) < 1.0, lefts


# -- Chromium ------------------------------------------------------------------------------

MEASURE = """
<script>
addEventListener('load', () => {
  const width = document.documentElement.clientWidth;
  const boxes = [...document.body.querySelectorAll('*')]
    .filter(e => e.getClientRects().length && !e.closest('.visually-hidden, thead'))
    .map(e => { const r = e.getBoundingClientRect();
                return {tag: e.tagName, text: (e.textContent || '').trim().slice(0, 30),
                        label: e.getAttribute('data-label'), left: r.left, right: r.right}; });
  const lines = [...document.querySelectorAll('li.task')].map(li => {
    const range = document.createRange(); range.selectNodeContents(li);
    const box = li.querySelector('.task-box').getBoundingClientRect();
    const rects = [...range.getClientRects()].filter(r => r.width > 1 && !(
      Math.abs(r.left - box.left) < 0.5 && Math.abs(r.top - box.top) < 0.5));  // not the box
    return {box: box.right, lefts: [...new Set(rects.map(r => Math.round(r.left)))],
            tops: [...new Set(rects.map(r => Math.round(r.top)))]};
  });
  parent.postMessage(JSON.stringify({width, scroll: document.documentElement.scrollWidth,
                                     boxes, lines}), '*');
});
</script></body>"""


def _measure(html_file, width):
    """What Chromium lays out in a viewport `width` px wide: every element's box, as the
    MEASURE script posts it."""
    posted = posted_in_frame(html_file, width, MEASURE)
    return json.loads(lxml.html.fromstring(f"<p>{posted}</p>").text_content())


@pytest.fixture(scope="module")
def chromium():
    problem = chromium_problem()
    if problem:
        pytest.skip(problem)


@pytest.mark.parametrize("width", [320, 375])
def test_the_catalogue_keeps_every_column_on_screen(small, chromium, width):
    measured = _measure(small.output_dir / "index.html", width)
    assert measured["scroll"] <= width
    for box in measured["boxes"]:
        assert box["left"] >= 0 and box["right"] <= width + 0.5, box
    labels = {b["label"] for b in measured["boxes"] if b["label"]}
    assert {"Review due", "Files", "Status"} <= labels  # each cell shown, under its label


@pytest.mark.parametrize("width", [320, 375])
def test_the_handout_page_fits_and_tasks_wrap_past_their_box(small, chromium, width):
    measured = _measure(small.outputs("small")["html"], width)
    assert measured["scroll"] <= width
    for box in measured["boxes"]:
        assert box["right"] <= width + 0.5, box
    task = measured["lines"][0]
    assert len(task["tops"]) >= 2, "the task did not wrap"
    assert min(task["lefts"]) >= task["box"] - 0.5, task  # no line starts under the box
    assert len(task["lefts"]) == 1, task  # every line starts at the same place


ARABIC_TASK = ("أحضر قائمة أدويتك مع الجرعة لكل دواء ووقت آخر جرعة مكتوبة على ورقة واحدة "
               "لتعطيها للممرضة عند الوصول إلى العيادة في الصباح")


def test_pdf_task_text_wraps_past_its_box_right_to_left(tmp_path):
    """Right to left the box stands at the right, and every line ends at the same place
    left of it (WeasyPrint sets a negative text-indent at the wrong side there)."""
    text = (HANDOUT.replace("lang: en-US", "lang: ar").replace(TASK, ARABIC_TASK)
            .replace("Eat a light meal", "كل وجبة خفيفة"))
    project = new_project(tmp_path, {"source/ar.md": text})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    document = pypdfium2.PdfDocument(str(project.outputs("ar")["pdf"]))
    try:
        page = document[0]
        textpage = page.get_textpage()
        rights = {}  # each line's right edge, by its baseline
        for i in range(textpage.count_chars()):
            left, bottom, right, _ = textpage.get_charbox(i, loose=True)
            char = textpage.get_text_range(i, 1)
            if "\u0600" <= char <= "\u06ff":
                line = round(bottom)
                rights[line] = max(rights.get(line, 0), right)
        boxes = [obj.get_bounds() for obj in page.get_objects()
                 if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_PATH]
    finally:
        document.close()
    squares = sorted((b for b in boxes if 5 < b[2] - b[0] < 12
                      and abs((b[2] - b[0]) - (b[3] - b[1])) < 1), key=lambda b: -b[3])
    assert len(squares) >= 2, "the two task boxes are not drawn"
    first, second = squares[:2]  # left, bottom, right, top; from the page's foot
    # The task's lines: from the first box's line down to the line above the second box's.
    lines: list[list[float]] = []  # [bottom, right] of each line: loose boxes differ a little
    for bottom in sorted(rights):
        if lines and bottom - lines[-1][0] < 5:
            lines[-1] = [bottom, max(lines[-1][1], rights[bottom])]
        else:
            lines.append([bottom, rights[bottom]])
    task = [right for bottom, right in lines if second[3] < bottom <= first[3]]
    assert len(task) >= 2, "the task did not wrap"
    assert max(task) - min(task) < 1.0, task
    assert all(square[0] > max(task) for square in squares[:2])  # the boxes right of the text


def test_details_written_into_the_text_link_their_phone_and_email(tmp_path):
    """{{contact}} in the text: its phone numbers and e-mail are links there too; a website
    written as its address stays text (its words would not say where it leads)."""
    text = HANDOUT.replace("## Before you come", "## How to refer\n\n{{contact}}\n\n"
                           "## Before you come")
    project = new_project(tmp_path, {"source/refer.md": text})
    replace_organisation(project, CLINIC.replace('"clinic.example.org"',
                                                 '"https://clinic.example.org"'))
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    assert "link text" not in result.stderr
    page = lxml.html.parse(str(project.outputs("refer")["html"])).getroot()
    assert not page.find_class("contact-panel")  # the text holds the details
    links = {a.text_content(): a.get("href") for a in page.iter("a")
             if (a.get("href") or "").startswith(("tel:", "mailto:", "https:"))}
    assert links == {"+1 (555) 010-0000 ext. 12": "tel:+15550100000",
                     "555.010.9999": "tel:5550109999",
                     "referrals@clinic.example.org": "mailto:referrals@clinic.example.org"}
    assert "https://clinic.example.org" in page.text_content()
