"""Drafts build, releases are strict (issue 21, items 1 and 2).

What an author can fix later is a warning at its file and line, and the handout builds; a
handout that lacks document control (version, date, review date, language) is a draft,
marked DRAFT on every page of the PDF, in the Word file's header, in the web page and in
the catalogue. A release build (--strict) fails on each of these problems, naming its file,
line and code. And front matter as Pandoc, Quarto, R Markdown, Jekyll, Hugo and MkDocs
write it is read: the samples below are real documents' front matter (their sources are
named), with short bodies."""

import json

import docx
import lxml.html
import pypdf
import pytest

from conftest import MINIMAL_FRONT_MATTER, new_project, run_build
from handouts.diagnostics import RELEASE_BLOCKING

COMPLETE = MINIMAL_FRONT_MATTER.replace("bibliography: references.bib\n", "")
# Enough text for three pages: "every page" means something.
LONG_BODY = "".join(f"\n## Part {n}\n\n" + "Walk a little further each day, and rest when "
                    "the pain flares. " * 12 + "\n" for n in range(1, 9))


def build(tmp_path, text, *args, files=None):
    project = new_project(tmp_path, {"source/a.md": text, **(files or {})})
    return project, run_build(project.root, *args)


def lines_of(stderr, kind):
    return [line for line in stderr.splitlines() if line.startswith(kind + ":")]


def pdf_pages(project, name="a"):
    reader = pypdf.PdfReader(project.output_dir / f"{name}.pdf")
    return [page.extract_text() for page in reader.pages]


def word_headers(project, name="a"):
    section = docx.Document(project.output_dir / f"{name}.docx").sections[0]
    return [p.text for header in (section.first_page_header, section.header)
            for p in header.paragraphs]


def page_text(project, name="a"):
    return lxml.html.parse(str(project.output_dir / f"{name}.html")).getroot().text_content()


# name -> (source, the warning's place "source/a.md:LINE", its code, a draft?)
DRAFT_CASES = {
    "no version": (COMPLETE.replace('version: "1.0"\n', "") + LONG_BODY,
                   "source/a.md:1", "missing-version", True),
    "no date": (COMPLETE.replace("date: 2026-01-15\n", "") + LONG_BODY,
                "source/a.md:1", "missing-date", True),
    "no review date": (COMPLETE.replace("review_due: 2027-01-15\n", "") + LONG_BODY,
                       "source/a.md:1", "missing-review-due", True),
    "no language": (COMPLETE.replace("lang: en-US\n", "") + LONG_BODY,
                    "source/a.md:1", "missing-lang", True),
    "an empty version": (COMPLETE.replace('"1.0"', '""') + LONG_BODY,
                         "source/a.md:4", "missing-version", True),
    "a date that cannot be read": (COMPLETE.replace("date: 2026-01-15", "date: soon")
                                   + LONG_BODY, "source/a.md:5", "missing-date", True),
    "no front matter at all": ("# A Test Handout\n" + LONG_BODY, "source/a.md:1",
                               "missing-version", True),
    "unknown front-matter fields": (COMPLETE.replace(
        "review_due: 2027-01-15\n", "review_due: 2027-01-15\ncolour: red\nshape: round\n")
        + LONG_BODY, "source/a.md:7", "unknown-front-matter", False),
    "a skipped heading level": (COMPLETE + "\n## One\n\nText.\n\n#### Too deep\n\nMore.\n",
                                "source/a.md:13", "heading-level-skipped", False),
    "a first heading at ###": (COMPLETE + "\n### First\n\nText.\n", "source/a.md:9",
                               "heading-level-skipped", False),
    "a picture without alt text": (COMPLETE + "\n## One\n\n![](pic.png)\n", "source/a.md:11",
                                   "missing-alt-text", False),
    "a missing picture": (COMPLETE + "\n## One\n\n![A diagram](diagram.png)\n",
                          "source/a.md:11", "missing-picture", False),
    "a picture on the web": (COMPLETE + "\n## One\n\nSee ![a map](https://example.org/m.png)"
                             " here.\n", "source/a.md:11", "missing-picture", False),
    "a picture outside source/": (COMPLETE + "\n## One\n\n![Secret](../../etc/hostname)\n",
                                  "source/a.md:11", "missing-picture", False),
    "a reference to an undefined footnote": (COMPLETE + "\n## One\n\nText.[^2]\n",
                                             "source/a.md:11", "undefined-footnote", False),
    "an unused footnote": (COMPLETE + "\n## One\n\nText.\n\n[^1]: Never used.\n",
                           "source/a.md:13", "unused-footnote", False),
    "no title": (COMPLETE.replace("title: A Test Handout\n", "") + "\n## One\n\nText.\n",
                 "source/a.md:1", "missing-title", False),
}


def _picture():
    import io
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("text, where, code, draft", DRAFT_CASES.values(),
                         ids=DRAFT_CASES.keys())
def test_a_draft_builds_with_its_warning_and_a_release_refuses_it(tmp_path, text, where,
                                                                   code, draft):
    assert code in RELEASE_BLOCKING
    files = {"source/pic.png": _picture()}
    project, result = build(tmp_path, text, files=files)
    assert result.returncode == 0, result.stderr
    warned = [w for w in lines_of(result.stderr, "warning")
              if w.replace(str(project.root) + "/", "").startswith(f"warning: {where}: ")]
    assert warned, result.stderr
    assert all(project.outputs("a")[fmt].is_file() for fmt in ("html", "pdf", "docx"))
    pages = pdf_pages(project)
    report = json.loads((project.output_dir / "report.json").read_text())["handouts"][0]
    catalogue = (project.output_dir / "index.html").read_text()
    if draft:  # marked on every page, in the Word file's headers, the page, the catalogue
        assert len(pages) >= 2
        assert all("DRAFT" in page for page in pages), [p[:80] for p in pages]
        assert all("DRAFT" in h for h in word_headers(project)), word_headers(project)
        assert "DRAFT" in page_text(project)
        assert report["draft"] is True and report["status"] == "draft" and report["missing"]
        assert "DRAFT (no " in catalogue
        assert "None" not in pages[0]  # no "Version None": what is known, and Draft
    else:
        assert not any("DRAFT" in page for page in pages)
        assert not any("DRAFT" in h for h in word_headers(project))
        assert report["draft"] is False
    # The release: refused, naming the file, the line and the code.
    release = run_build(project.root, "--strict")
    assert release.returncode == 1
    refused = [e.replace(str(project.root) + "/", "") for e in lines_of(release.stderr, "error")]
    assert any(e.startswith(f"error: {where}: ") and
               e.endswith(f"(a release build allows no warnings: {code})") for e in refused), \
        release.stderr


def test_a_complete_handout_carries_no_draft_mark(tmp_path):
    project, result = build(tmp_path, COMPLETE + LONG_BODY)
    assert result.returncode == 0, result.stderr
    assert not any("DRAFT" in page for page in pdf_pages(project))
    assert "DRAFT" not in page_text(project)
    assert "DRAFT" not in " ".join(word_headers(project))


def test_a_draft_prints_what_is_known_and_draft_for_the_rest(tmp_path):
    project, result = build(tmp_path, COMPLETE.replace('version: "1.0"\n', "")
                            .replace("review_due: 2027-01-15\n", "") + "\n## One\n\nText.\n")
    assert result.returncode == 0, result.stderr
    first = pdf_pages(project)[0]
    assert "DRAFT · Issued January 15, 2026" in first
    assert "Version" not in first and "None" not in first and "Review due" not in first
    word = docx.Document(project.output_dir / "a.docx")
    control = [p.text for p in word.paragraphs if p.style.name == "Document Control"]
    assert control == ["DRAFT · Issued January 15, 2026"]
    assert "DRAFT · Issued January 15, 2026" in page_text(project)
    # Two problems of the front matter, reported in the one run.
    warned = lines_of(result.stderr, "warning")
    assert sum("lacks 'version'" in w or "lacks 'review_due'" in w for w in warned) == 2


def test_a_draft_without_lang_takes_the_themes_language(tmp_path):
    project = new_project(tmp_path, {"source/a.md": COMPLETE.replace("lang: en-US\n", "")
                                     + "\n## Uno\n\nTexto.\n"})
    theme = project.styles_dir / "theme.yaml"
    theme.write_text(theme.read_text().replace("\nlang: en ", "\nlang: es "))
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    page = lxml.html.parse(str(project.output_dir / "a.html")).getroot()
    assert page.get("lang") == "es"
    assert "BORRADOR" in pdf_pages(project)[0]


def test_every_front_matter_error_is_reported_in_one_run(tmp_path):
    project, result = build(tmp_path, COMPLETE.replace(
        "review_due: 2027-01-15\n", "review_due: 2027-01-15\npaper: tabloid\naudience: kids\n"
        "reading_grade_target: 99\n") + "\n## One\n\nText.\n")
    assert result.returncode == 1
    errors = [e.replace(str(project.root) + "/", "") for e in lines_of(result.stderr, "error")]
    assert any(e.startswith("error: source/a.md:7: unknown paper size") for e in errors)
    assert any(e.startswith("error: source/a.md:8: unknown audience") for e in errors)
    assert any(e.startswith("error: source/a.md:9: 'reading_grade_target'") for e in errors)


def test_unknown_fields_are_one_warning_listing_them_all(tmp_path):
    project, result = build(tmp_path, COMPLETE.replace(
        "review_due: 2027-01-15\n", "review_due: 2027-01-15\ncolour: red\nshape: round\n"
        "format: html\ntoc: true\n") + "\n## One\n\nText.\n")
    assert result.returncode == 0, result.stderr
    unknown = [w for w in lines_of(result.stderr, "warning") if "front-matter field" in w]
    assert len(unknown) == 1, result.stderr
    assert "'colour', 'shape'" in unknown[0]
    assert "format" not in unknown[0] and "toc" not in unknown[0]  # other tools': silent


# -- other tools' front matter -----------------------------------------------------------

def test_a_leading_heading_is_the_title_and_sections_shift_a_level(tmp_path):
    """MkDocs and GitHub pages: no title in the front matter, the first '# Heading' is it,
    and a body whose sections are '#' headings has them printed as '##'."""
    text = ("---\ndescription: How to look after your back at home.\ntags: [back, pain]\n"
            "---\n\nLooking after your back\n=======================\n\n# Rest\n\nRest a "
            "little.\n\n## At night\n\nLie on your side.\n\n# Move\n\nWalk every day.\n")
    project, result = build(tmp_path, text)
    assert result.returncode == 0, result.stderr
    page = lxml.html.parse(str(project.output_dir / "a.html")).getroot()
    assert [h.text_content() for h in page.iter("h1")] == ["Looking after your back"]
    assert [h.text_content() for h in page.iter("h2")] == ["Rest", "Move"]
    assert [h.text_content() for h in page.iter("h3")] == ["At night"]
    assert page.find(".//p[@class='abstract']").text == "How to look after your back at home."
    assert not any("skips a level" in w or "front-matter field" in w
                   for w in lines_of(result.stderr, "warning")), result.stderr
    word = docx.Document(project.output_dir / "a.docx")
    styles = [(p.style.name, p.text) for p in word.paragraphs if p.style.name.startswith("Head")]
    assert styles[:4] == [("Heading 1", "Looking after your back"), ("Heading 2", "Rest"),
                          ("Heading 3", "At night"), ("Heading 2", "Move")]
    # a line number after the title's lines is still right
    broken = text.replace("Walk every day.", "Walk every day. ![](gone.png)")
    project, result = build(tmp_path / "again", broken)
    assert any(":19: image 'gone.png' has no alt text" in w
               for w in lines_of(result.stderr, "warning")), result.stderr


def test_a_heading_after_a_leading_html_comment_is_still_the_title(tmp_path):
    """Pages often open with a licence or a linter's switch in a comment before '# Title'."""
    text = ("<!--\nCopyright the clinic. CC BY 4.0.\n-->\n<!-- markdownlint-disable MD041 -->"
            "\n\n# Looking after your back\n\n## Rest\n\nRest a little.\n")
    project, result = build(tmp_path, text)
    assert result.returncode == 0, result.stderr
    page = lxml.html.parse(str(project.output_dir / "a.html")).getroot()
    assert [h.text_content() for h in page.iter("h1")] == ["Looking after your back"]
    assert [h.text_content() for h in page.iter("h2")] == ["Rest"]
    assert "missing-title" not in result.stderr and "no title" not in result.stderr


# JOSS paper front matter (Pandoc): github.com/openjournals, 'SDA: a symbolic differential
# algebra package in C++' (2024): authors with ORCIDs and an inline note in a name.
JOSS = """\
---
title: 'SDA: a symbolic differential algebra package in C++'
tags:
  - differential algebra
  - truncated power series algebra
authors:
  - name: He Zhang^[corresponding author] # note this makes a footnote saying 'co-first author'
    orcid: 0000-0001-7701-4118
    affiliation: 1
affiliations:
 - name: Thomas Jefferson National Accelerator Facility, Newport News, VA 23606, USA
   index: 1
date: 21 October 2024
---

# Summary

Truncated Power Series Algebra (TPSA), or Differential Algebra (DA), is a well-established tool.

# Statement of need

It is needed.
"""

# R Markdown vignette front matter: 'Macroeconomic data' (Claudius Gräbner, 2019), and the
# rtika vignette's date written as R code.
RMARKDOWN = """\
---
title: "Macroeconomic data"
author: "Claudius Gräbner"
date: "2019-06-11"
output: rmarkdown::html_vignette
vignette: >
  %\\VignetteIndexEntry{Macroeconomic data}
  %\\VignetteEngine{knitr::rmarkdown}
  %\\VignetteEncoding{UTF-8}
---

# Information about the data set

## Meta data

Here goes the documentation of the data set.
"""
RTIKA = """\
---
title: "Introduction to rtika"
author: "Sasha Goodman"
date: "`r Sys.Date()`"
output: rmarkdown::html_vignette
---

## Why use rtika?

It reads documents.
"""

# Quarto article front matter, as Quarto's guide writes it: authors with affiliations,
# a quoted date, abstract, keywords and format options.
QUARTO = """\
---
title: "Ketamine for chronic pain"
subtitle: "A review for patients"
authors:
  - name: Norah Jones
    affiliation: The University
    orcid: 0000-0001-2345-6789
    email: norah@example.org
  - name: Bill Gates
date: '2024-12-13'
abstract: |
  Ketamine can help some kinds of long-lasting pain.

  This review says for whom.
keywords: [ketamine, pain]
format:
  html:
    toc: true
  pdf: default
editor: visual
execute:
  echo: false
categories: [pain]
---

## Introduction

Ketamine is a medicine.
"""

# Hugo (TOML between '+++'): 'Binance basics' (2022), with a table and a date as text,
# and one with a TOML date and time.
HUGO = """\
+++
title = "Binance basics"
description = "Foundation of a binance bot with websocket"
author = "Piraeus West Jr."
date = "2022-04-24"
tags = ["Crypto", "bot", "python", "websockets"]
categories = ["Crypto", "Affiliates"]
[[images]]
  src = "img/skyscraper.jpg"
  alt = "Bitcoin image"
  stretch = "stretchH"
+++

## Setup

Install the package.
"""
HUGO_DATETIME = """\
+++
title = "Lezione del 28/11/2019"
date = 2019-11-24T07:19:34+01:00
draft = false
+++

## Campi elettrici e magnetici variabili nel tempo

Cariche elettriche fisse generano il campo elettrostatico.
"""

# Jekyll post front matter: layout, a date with time and offset, tags, categories.
JEKYLL = """\
---
layout: post
title: "Welcome to Jekyll!"
date: 2024-12-13 10:00:00 +0100
categories: jekyll update
---

## Hello

You'll find this post in your `_posts` directory.
"""


@pytest.mark.parametrize("text, title, author, issued", [
    (JOSS, "SDA: a symbolic differential algebra package in C++", "He Zhang",
     "October 21, 2024"),
    (RMARKDOWN, "Macroeconomic data", "Claudius Gräbner", "June 11, 2019"),
    (RTIKA, "Introduction to rtika", "Sasha Goodman", None),
    (QUARTO, "Ketamine for chronic pain", "Norah Jones, Bill Gates", "December 13, 2024"),
    (HUGO, "Binance basics", "Piraeus West Jr.", "April 24, 2022"),
    (HUGO_DATETIME, "Lezione del 28/11/2019", "", "November 24, 2019"),
    (JEKYLL, "Welcome to Jekyll!", "", "December 13, 2024"),
], ids=["pandoc-joss", "rmarkdown", "rmarkdown-r-date", "quarto", "hugo-toml",
        "hugo-toml-datetime", "jekyll"])
def test_other_tools_front_matter_builds_as_a_draft(tmp_path, text, title, author, issued):
    project, result = build(tmp_path, text)
    assert result.returncode == 0, result.stderr
    page = lxml.html.parse(str(project.output_dir / "a.html")).getroot()
    assert page.find(".//h1").text_content() == title
    assert page.find(".//meta[@name='author']").get("content") == (author or
                                                                    "Pain Medicine Practice")
    first = pdf_pages(project)[0]
    assert "DRAFT" in first  # none of them has a version or a review date
    if issued:
        assert f"Issued {issued}" in first
    else:
        assert any("'date: `r Sys.Date()`' cannot be read as a date" in w
                   for w in lines_of(result.stderr, "warning")), result.stderr
    # Their rendering options (format, output, editor, tags ...) are not reported.
    assert not any("front-matter field" in w for w in lines_of(result.stderr, "warning")), \
        result.stderr
    assert "None" not in first


def test_quarto_abstract_and_keywords_reach_every_format(tmp_path):
    project, result = build(tmp_path, QUARTO)
    assert result.returncode == 0, result.stderr
    page = lxml.html.parse(str(project.output_dir / "a.html")).getroot()
    assert [p.text for p in page.iterfind(".//p[@class='abstract']")] == [
        "Ketamine can help some kinds of long-lasting pain.", "This review says for whom."]
    assert page.find(".//meta[@name='keywords']").get("content") == "ketamine, pain"
    first = " ".join(pdf_pages(project)[0].split())
    assert "Ketamine can help some kinds of long-lasting pain. This review says for whom." \
        in first
    word = docx.Document(project.output_dir / "a.docx")
    texts = [p.text for p in word.paragraphs]
    assert "This review says for whom." in texts
    assert word.core_properties.keywords == "ketamine, pain"
    assert word.core_properties.author == "Norah Jones, Bill Gates"


@pytest.mark.parametrize("written, read", [
    ("'2024-12-13'", "December 13, 2024"), ("2024-12-13", "December 13, 2024"),
    ("December 13, 2024", "December 13, 2024"), ("13 December 2024", "December 13, 2024"),
    ("2024-12", "December 1, 2024"), ("2024-12-13T09:30:00Z", "December 13, 2024"),
])
def test_dates_are_read_in_their_common_forms(tmp_path, written, read):
    project, result = build(tmp_path, COMPLETE.replace("date: 2026-01-15", f"date: {written}")
                            .replace("2027-01-15", "2030-01-15") + "\n## One\n\nText.\n")
    assert result.returncode == 0, result.stderr
    assert f"Issued {read}" in pdf_pages(project)[0]
    assert not any("as a date" in w for w in lines_of(result.stderr, "warning")), \
        result.stderr


@pytest.mark.parametrize("written", ["12/01/2024", "today", "last-modified", "2024-13-45"])
def test_an_ambiguous_or_unreadable_date_is_a_draft_not_a_stop(tmp_path, written):
    project, result = build(tmp_path, COMPLETE.replace("date: 2026-01-15", f"date: {written}")
                            + "\n## One\n\nText.\n")
    assert result.returncode == 0, result.stderr
    assert any("cannot be read as a date" in w for w in lines_of(result.stderr, "warning"))
    assert "DRAFT" in pdf_pages(project)[0]


def test_a_missing_picture_is_a_box_with_its_name_in_every_format(tmp_path):
    project, result = build(tmp_path, COMPLETE + "\n## One\n\n![A diagram](diagram.png)\n\n"
                            "Inline ![a map](map.png) here.\n")
    assert result.returncode == 0, result.stderr
    assert "Picture not found" in page_text(project) and "diagram.png" in page_text(project)
    first = pdf_pages(project)[0]
    assert "Picture not found" in first and "A diagram (diagram.png)" in first
    assert "[Picture not found: a map (map.png)]" in first
    word = docx.Document(project.output_dir / "a.docx")
    text = "\n".join(p.text for p in word.paragraphs) + "\n".join(
        c.text for t in word.tables for row in t.rows for c in row.cells)
    assert "A diagram (diagram.png)" in text and "[Picture not found: a map (map.png)]" in text


def test_an_undefined_footnote_prints_as_typed(tmp_path):
    project, result = build(tmp_path, COMPLETE + "\n## One\n\nText.[^2] And `[^code]`.\n")
    assert result.returncode == 0, result.stderr
    warned = [w for w in lines_of(result.stderr, "warning") if "never defined" in w]
    assert len(warned) == 1 and "[^2]" in warned[0]
    assert "Text.[^2]" in pdf_pages(project)[0]
    assert "Text.[^2]" in page_text(project)


def test_pandoc_title_block_gives_title_authors_and_date(tmp_path):
    """Pandoc's own '% title' block, as in its manual: title, authors (';'), date."""
    text = ("% Nerve blocks for chronic pain\n%   Jane Doe;  John Roe\n% June 15, 2026\n\n"
            "## What to expect\n\nA small injection.\n\n![](gone.png)\n")
    project, result = build(tmp_path, text)
    assert result.returncode == 0, result.stderr
    page = lxml.html.parse(str(project.output_dir / "a.html")).getroot()
    assert page.find(".//h1").text_content() == "Nerve blocks for chronic pain"
    assert page.find(".//meta[@name='author']").get("content") == "Jane Doe, John Roe"
    assert "DRAFT · Issued June 15, 2026" in pdf_pages(project)[0]
    assert any(":9: image 'gone.png' has no alt text" in w
               for w in lines_of(result.stderr, "warning")), result.stderr
