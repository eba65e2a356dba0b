"""Withdrawal and archive (issue 24, part 3): `make release` keeps every released version in
output/archive/NAME/VERSION/ with its approval record; deleting source/NAME.md withdraws the
handout (its outputs and report go, its last approved version stays archived); the
catalogue lists current, draft and withdrawn handouts and reads on a 320 px phone."""

import datetime
import json
import os
import re
import subprocess

import lxml.html
import pypdf
import pytest

from conftest import (chromium_problem, new_project, posted_in_frame, replace_organisation,
                      run_build)
from test_make import checkout, make, outputs, queued  # noqa: F401 - checkout: a fixture

CONTACT = "organisation:\n  name: Pain Clinic\n  phone: 555-0100\n  address: 1 Main St\n"
PLAIN = ("## What this is\n\nThis sheet tells you about your care. You can ask us at any time.\n\n"
         "## When to call us\n\nCall us if you feel sick. We are here to help you.\n")


def handout(body, **fields):
    """A patient handout that warns of nothing: approved, review a year away."""
    front = {"title": "Governance", "lang": "en", "version": '"2.1"', "date": "2026-01-05",
             "review_due": str(datetime.date.today() + datetime.timedelta(days=365)),
             "approved_by": "{name: Dr A. Chen, role: Medical Director}",
             "approved_on": "2026-01-02"}
    front.update(fields)
    lines = "".join(f"{k}: {v}\n" for k, v in front.items() if v is not None)
    return f"---\n{lines}---\n\n{body}\n"


def project_with(tmp_path, files):
    """A project whose theme has the clinic's contact details, so a release warns of nothing."""
    project = new_project(tmp_path, files)
    replace_organisation(project, CONTACT)
    return project


def pdf_text(path):
    return " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def report(project):
    return json.loads((project.output_dir / "report.json").read_text(encoding="utf-8"))


def catalogue(project):
    return lxml.html.parse(str(project.output_dir / "index.html")).getroot()


def outside_archive(project):
    """Every file under output/ but output/archive/, by its path relative to output/."""
    return sorted(p.relative_to(project.output_dir).as_posix()
                  for p in project.output_dir.rglob("*")
                  if p.is_file() and "archive" not in p.relative_to(project.output_dir).parts)


def release(project, version, body=PLAIN):
    (project.source_dir / "h.md").write_text(handout(body, version=f'"{version}"'))
    result = run_build(project.root, "--strict")
    assert result.returncode == 0, result.stderr
    return result


def test_two_releases_are_archived_and_a_deleted_source_is_withdrawn(tmp_path):
    project = project_with(tmp_path, {"source/other.md": handout(PLAIN, title="Another")})
    release(project, "1.0")
    release(project, "2.0", PLAIN.replace("about your care", "about your new care"))
    home = project.output_dir / "archive" / "h"
    assert sorted(p.name for p in home.iterdir()) == ["1.0", "2.0"]
    for version in ("1.0", "2.0"):
        folder = home / version
        assert sorted(p.name for p in folder.iterdir()) == [
            "h.docx", "h.html", "h.pdf", "record.json"]
        text = pdf_text(folder / "h.pdf")
        assert f"Version {version}" in text, text
        assert ("your new care" in text) == (version == "2.0")
        record = json.loads((folder / "record.json").read_text())
        assert record["version"] == version and record["archived_because"] == "release"
        assert record["approved_by"] == "Dr A. Chen, Medical Director"
        assert record["approved_on"] == "2026-01-02" and record["date"] == "2026-01-05"
        assert record["report"][0]["version"] == version
        assert record["report"][0]["files"]["pdf"]["bytes"] == (folder / "h.pdf").stat().st_size
    # The released files are the ones that were in output/ then: 2.0's are today's.
    assert (home / "2.0" / "h.pdf").read_bytes() == project.outputs("h")["pdf"].read_bytes()

    # Releasing 2.0 again replaces its folder, and leaves 1.0 alone.
    one = (home / "1.0" / "h.pdf").read_bytes()
    release(project, "2.0", PLAIN.replace("about your care", "about your corrected care"))
    assert "your corrected care" in pdf_text(home / "2.0" / "h.pdf")
    assert (home / "1.0" / "h.pdf").read_bytes() == one
    assert sorted(p.name for p in home.iterdir()) == ["1.0", "2.0"]  # nothing staged left

    # The catalogue links the archived versions of the current handout.
    page = catalogue(project)
    hrefs = {a.get("href") for a in page.iter("a")}
    assert {"archive/h/1.0/h.pdf", "archive/h/2.0/h.pdf", "archive/h/1.0/record.json"} <= hrefs
    assert all((project.output_dir / href).is_file() for href in hrefs)
    assert [h["status"] for h in report(project)["handouts"]] == ["current", "current"]

    # Deleted: the next build withdraws it.
    (project.source_dir / "h.md").unlink()
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    assert "withdrew h" in result.stdout
    assert outside_archive(project) == ["index.html", "other.docx", "other.html", "other.pdf",
                                        "report.json", "reports/.built", "reports/other.json"]
    data = report(project)
    assert [h["name"] for h in data["handouts"]] == ["other"]
    assert [(w["name"], w["version"]) for w in data["withdrawn"]] == [("h", "2.0")]
    assert [v["version"] for v in data["withdrawn"][0]["archived"]] == ["1.0", "2.0"]
    assert "h.html" not in json.dumps(data["handouts"])
    page = catalogue(project)
    rows = {tr.xpath("th")[0].text_content(): tr for tr in page.xpath("//tbody/tr")}
    assert sorted(rows) == ["Another", "Governance"]
    assert "Withdrawn on" in rows["Governance"].text_content()
    hrefs = {a.get("href") for a in page.iter("a")}
    assert not {h for h in hrefs if re.fullmatch(r"h\.\w+", h)}
    assert all((project.output_dir / href).is_file() for href in hrefs)
    assert "archive/h/2.0/h.pdf" in hrefs
    # The archive is as it was.
    assert sorted(p.name for p in (home / "2.0").iterdir()) == [
        "h.docx", "h.html", "h.pdf", "record.json"]


EDITIONS = """---
title: Two readers
lang: en
version: "3.0"
date: 2026-01-05
review_due: 2030-01-05
editions: [patient, referrer]
{approval}---

## Part

::: patient
For patients.
:::

::: referrer
For referrers.
:::
"""


def test_withdrawing_a_draft_with_editions_removes_every_edition_and_archives_nothing(tmp_path):
    project = project_with(tmp_path, {"source/e.md": EDITIONS.format(approval="")})
    assert run_build(project.root).returncode == 0
    assert report(project)["handouts"][0]["status"] == "draft"
    assert "Draft" in catalogue(project).text_content()
    (project.source_dir / "e.md").unlink()
    result = run_build(project.root, "--changed")
    assert result.returncode == 0, result.stderr
    assert outside_archive(project) == ["index.html", "report.json", "reports/.built"]
    assert sorted(p.name for p in (project.output_dir / "archive" / "e").iterdir()) == [
        "withdrawn.json"]
    data = report(project)
    assert data["handouts"] == [] and data["withdrawn"][0]["editions"] == ["patient", "referrer"]
    assert data["withdrawn"][0]["archived"] == []


def test_an_approved_version_never_released_is_archived_when_withdrawn(tmp_path):
    """Built by make (not make release) with an approver: it may have been handed out, so
    withdrawing it keeps it, saying why."""
    approval = "approved_by: {name: Dr A. Chen, role: Medical Director}\napproved_on: 2026-01-02\n"
    project = project_with(tmp_path, {"source/e.md": EDITIONS.format(approval=approval)})
    assert run_build(project.root).returncode == 0
    (project.source_dir / "e.md").unlink()
    assert run_build(project.root).returncode == 0
    folder = project.output_dir / "archive" / "e" / "3.0"
    assert sorted(p.name for p in folder.iterdir()) == [
        "e-patient.docx", "e-patient.html", "e-patient.pdf",
        "e-referrer.docx", "e-referrer.html", "e-referrer.pdf", "record.json"]
    record = json.loads((folder / "record.json").read_text())
    assert record["archived_because"] == "withdrawal"
    assert [e["edition"] for e in record["report"]] == ["patient", "referrer"]
    assert "For referrers." in pdf_text(folder / "e-referrer.pdf")
    assert outside_archive(project) == ["index.html", "report.json", "reports/.built"]


def test_a_file_deleted_by_hand_is_not_linked(tmp_path):
    project = project_with(tmp_path, {"source/h.md": handout(PLAIN)})
    assert run_build(project.root).returncode == 0
    project.outputs("h")["docx"].unlink()
    assert run_build(project.root, "--report").returncode == 0
    hrefs = {a.get("href") for a in catalogue(project).iter("a")}
    assert hrefs == {"h.html", "h.pdf"}
    assert sorted(report(project)["handouts"][0]["files"]) == ["html", "pdf"]


def test_make_notices_a_deleted_source_and_withdraws_it(checkout):  # noqa: F811
    assert make(checkout).returncode == 0
    (checkout / "source" / "h1.md").unlink()
    plan = make(checkout, "-n").stdout
    assert "would withdraw h1" in plan and queued(plan) == []
    done = make(checkout)
    assert done.returncode == 0, done.stderr
    assert outputs(checkout) == ["archive"] + [
        f"h{n}.{ext}" for n in (0, 2) for ext in ("docx", "html", "pdf")
    ] + ["index.html", "report.json", "reports"]
    data = json.loads((checkout / "output" / "report.json").read_text())
    assert [w["name"] for w in data["withdrawn"]] == ["h1"]
    assert make(checkout, "PY=false").returncode == 0, "nothing changed since: no Python"


def page_width(html_file, width):
    """The page's scrollWidth in Chromium in a viewport `width` px wide."""
    return int(posted_in_frame(html_file, width, "<script>parent.postMessage("
                               "document.documentElement.scrollWidth, '*')</script></body>"))


def test_the_catalogue_reads_at_320_px(tmp_path):
    """Current, draft and withdrawn handouts with archived versions: no sideways scrolling."""
    problem = chromium_problem()
    if problem:
        pytest.skip(problem)
    project = project_with(tmp_path, {})
    release(project, "1.0")
    (project.source_dir / "h.md").unlink()
    (project.source_dir / "e.md").write_text(EDITIONS.format(approval=""))
    assert run_build(project.root).returncode == 0
    index = project.output_dir / "index.html"
    assert "Withdrawn on" in index.read_text() and "Draft" in index.read_text()
    assert page_width(index, 320) <= 320


def test_a_release_that_fails_archives_nothing(tmp_path):
    project = project_with(tmp_path, {"source/h.md": handout(PLAIN, approved_by=None,
                                                             approved_on=None)})
    result = run_build(project.root, "--strict")
    assert result.returncode == 1 and "no approver" in result.stderr
    assert not (project.output_dir / "archive").exists()


def test_a_folder_a_killed_release_left_half_copied_is_removed(tmp_path):
    project = project_with(tmp_path, {})
    release(project, "1.0")
    gone = subprocess.Popen(["true"])
    gone.wait()
    home = project.output_dir / "archive" / "h"
    theirs = home / f".1.0.{gone.pid}.abcd1234"
    (theirs / "part").mkdir(parents=True)
    running = home / f".2.0.{os.getpid()}.abcd1234"  # a release running now: kept
    running.mkdir()
    assert run_build(project.root, "--changed").returncode == 0
    assert sorted(p.name for p in home.iterdir()) == [running.name, "1.0"]
    assert [v["version"] for v in report(project)["handouts"][0]["archived"]] == ["1.0"]
