"""The page checker (handouts/check/pages.py) on every PDF these tests build, and on the PDF
LibreOffice makes of each Word file; and each defect it must catch, reproduced."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import weasyprint
from PIL import Image, ImageDraw

from conftest import OUTPUT_NAMES, new_project, run_build
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

        <p style="white-space: nowrap">Set the pump to {LONG_WORD} and wait for the nurse.</p>
        """})
    result = run_build(project.root)
    assert result.returncode != 0
    assert "wide.md:11" in result.stderr and "runs off the page on page 1" in result.stderr, \
        result.stderr
    assert not project.outputs("wide")["pdf"].exists()
