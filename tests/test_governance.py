"""Clinical governance: document control in every format, the plain-language report, the
actionability checks, the build report and a release build that allows no warning."""

import ast
import datetime
import json
import re
import socket
import zipfile

import docx
import lxml.html
import pypdf
import pytest
import textstat

from conftest import ROOT, new_project, replace_organisation, run_build
from handouts.check import reading as report
from handouts.diagnostics import RELEASE_BLOCKING, Diagnostics
from handouts.run.pipeline import build_document, render_document

TODAY = datetime.date.today()
CONTACT = "organisation:\n  name: Pain Clinic\n  phone: 555-0100\n  address: 1 Main St\n"


def handout(body, **fields):
    front = {"title": "Governance", "lang": "en", "version": '"2.1"', "date": "2026-01-05",
             "review_due": str(TODAY + datetime.timedelta(days=365)),
             "approved_by": "{name: Dr A. Chen, role: Medical Director}",
             "approved_on": "2026-01-02"}
    front.update(fields)
    lines = "".join(f"{k}: {v}\n" for k, v in front.items() if v is not None)
    return f"---\n{lines}---\n\n{body}\n"


PLAIN = ("## What this is\n\nThis sheet tells you about your care. You can ask us at any time.\n\n"
         "## When to call us\n\nCall us if you feel sick. We are here to help you.\n")


def project_with(tmp_path, text, theme_extra=CONTACT):
    project = new_project(tmp_path, {"source/h.md": text})
    replace_organisation(project, theme_extra)
    return project


def warnings_of(project):
    return [str(w) for w in build_document(project.source_dir / "h.md", project).warnings]


def test_a_plain_approved_handout_builds_without_warnings_and_passes_release(tmp_path):
    project = project_with(tmp_path, handout(PLAIN))
    assert warnings_of(project) == []
    assert build_document(project.source_dir / "h.md", project, strict=True).warnings == []


def test_an_overdue_handout_warns_and_fails_under_release(tmp_path):
    project = project_with(tmp_path, handout(PLAIN, date="2024-01-05", approved_on="2024-01-02",
                                             review_due="2025-01-05"))
    assert any("review was due on January 5, 2025" in w for w in warnings_of(project))
    with pytest.raises(Diagnostics) as caught:
        build_document(project.source_dir / "h.md", project, strict=True)
    assert [e.code for e in caught.value.errors] == ["review-overdue"]
    assert "review-overdue" in RELEASE_BLOCKING
    assert str(caught.value.errors[0]).endswith(
        "(a release build allows no warnings: review-overdue)")


def test_a_review_due_within_30_days_warns_that_it_is_due_soon(tmp_path):
    soon = TODAY + datetime.timedelta(days=20)
    project = project_with(tmp_path, handout(PLAIN, review_due=str(soon)))
    assert any("review is due soon" in w for w in warnings_of(project))


def test_release_names_every_reason_on_the_command_line(tmp_path):
    text = handout("## Background\n\nAllodynia, hyperalgesia and NMDA antagonism complicate "
                   "multidisciplinary management considerably.\n", approved_by=None,
                   approved_on=None)
    project = project_with(tmp_path, text, theme_extra="organisation:\n  name: Pain Clinic\n")
    result = run_build(project.root, "--strict")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    for reason in ("no approver on record", "no phone number or address",
                   "no section tells the reader what to do next", "above the target of 8",
                   "terms are not explained", "the abbreviation 'NMDA' is never spelled out"):
        assert any(reason in e for e in errors), (reason, result.stderr)
    assert not project.outputs("h")["pdf"].exists(), "a failed release writes nothing"


@pytest.mark.parametrize("theme_extra, body, warning", [
    ("organisation:\n  name: Pain Clinic\n  website: https://example.org\n", PLAIN,
     "no phone number or address"),
    (CONTACT, "## What this is\n\nThis sheet tells you about your care.\n",
     "no section tells the reader what to do next"),
], ids=["no contact", "no next step"])
def test_each_actionability_check_has_a_failing_example(tmp_path, theme_extra, body, warning):
    project = project_with(tmp_path, handout(body), theme_extra)
    assert [w for w in warnings_of(project) if warning in w]


def test_clinician_handouts_are_not_held_to_the_patient_checks(tmp_path):
    text = handout("## Pharmacology\n\nKetamine antagonises NMDA receptors.\n",
                   audience="clinicians")
    # A way to refer (a fax number) is all a clinicians' handout asks of the theme.
    project = project_with(tmp_path, text, theme_extra="organisation:\n  name: Clinic\n"
                           "  fax: (555) 010-0002\n")
    assert warnings_of(project) == []


def test_the_report_lists_every_section_with_the_grade_textstat_gives(tmp_path):
    body = ("## First part\n\nThe infusion lasts four hours. A nurse checks your blood "
            "pressure often.\n\n## Second part\n\nMost people feel dreamy during the infusion. "
            "This feeling passes within an hour after it stops. Please bring a friend to "
            "drive you home.\n")
    project = project_with(tmp_path, handout(body))
    build_document(project.source_dir / "h.md", project)
    data = json.loads((project.reports_dir / "h.json").read_text())
    sections = data["reading"]["sections"]
    assert [s["title"] for s in sections] == ["First part", "Second part"]
    page = lxml.html.parse(str(project.outputs("h")["html"])).getroot()
    for section, element in zip(sections, page.xpath("//main/section")):
        text = " ".join(p.text_content() for p in element.iter("p"))
        assert section["grade"] == round(textstat.flesch_kincaid_grade(text), 1)
        assert section["words"] == textstat.lexicon_count(text)
        assert section["sentences"] == textstat.sentence_count(text)
    assert data["reading"]["you"] == 2  # "your blood pressure", "drive you home"


def test_terms_count_as_explained_in_a_glossary_on_first_use_or_in_the_front_matter(tmp_path):
    body = ("## Words\n\nAllodynia means pain from a light touch. Hyperalgesia (more pain than "
            "expected) can follow. Sensitization can too. Dissociation is common.\n\n"
            "## Glossary\n\nDissociation\n:   Feeling detached.\n")
    project = project_with(tmp_path, handout(body, defined_terms="[sensitization]"))
    rendered = render_document(project.source_dir / "h.md", project)
    terms = [t for t, _ in report.reading(rendered.document).undefined_terms]
    for word in ("allodynia", "hyperalgesia", "sensitization", "dissociation"):
        assert word not in terms
    rendered_bare = render_document(*_bare(tmp_path, "## Words\n\nAllodynia can follow.\n"))
    assert [t for t, _ in report.reading(rendered_bare.document).undefined_terms] == ["allodynia"]


def _bare(tmp_path, body):
    project = project_with(tmp_path / "bare", handout(body))
    return project.source_dir / "h.md", project


def test_the_report_is_computed_with_the_network_unreachable(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network unreachable in this test")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    path, project = _bare(tmp_path, PLAIN)
    measures = report.reading(render_document(path, project).document)
    assert measures.words == 26 and len(measures.sections) == 2


def test_document_control_is_printed_and_stored_in_every_format(tmp_path):
    project = project_with(tmp_path, handout(PLAIN))
    build_document(project.source_dir / "h.md", project)
    line = ("Version 2.1 · Issued January 5, 2026 · Review due "
            f"{TODAY + datetime.timedelta(days=365):%B} "
            f"{(TODAY + datetime.timedelta(days=365)).day}, "
            f"{(TODAY + datetime.timedelta(days=365)).year} · "
            "Approved by Dr A. Chen, Medical Director on January 2, 2026")
    paths = project.outputs("h")
    assert line in lxml.html.parse(str(paths["html"])).getroot().text_content()
    pdf = pypdf.PdfReader(str(paths["pdf"]))
    assert line in pdf.pages[0].extract_text().replace("\n", " ")
    assert pdf.metadata["/handoutversion"] == "2.1"
    assert pdf.metadata["/handoutapprovedby"] == "Dr A. Chen, Medical Director"
    xmp = pdf.xmp_metadata.stream.get_data().decode()
    assert "<handout:ApprovedBy>Dr A. Chen, Medical Director</handout:ApprovedBy>" in xmp
    assert "<handout:ApprovedOn>2026-01-02</handout:ApprovedOn>" in xmp
    assert f"<handout:ReviewDue>{TODAY + datetime.timedelta(days=365)}</handout:ReviewDue>" in xmp
    word = docx.Document(str(paths["docx"]))
    assert word.core_properties.version == "2.1"
    custom = zipfile.ZipFile(paths["docx"]).read("docProps/custom.xml").decode()
    for name, value in (("ApprovedBy", "Dr A. Chen, Medical Director"),
                        ("ApprovedOn", "2026-01-02"), ("Version", "2.1")):
        assert f'name="{name}"><vt:lpwstr>{value}</vt:lpwstr>' in custom


def test_make_report_json_and_the_catalogue_list_every_handout(tmp_path):
    project = project_with(tmp_path, handout(PLAIN))
    (project.source_dir / "other.md").write_text(handout(PLAIN, title="Another"))
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-3].split()[:2] == ["handout", "pages"]
    data = json.loads((project.output_dir / "report.json").read_text())
    assert data["report_version"] == 1
    assert [h["name"] for h in data["handouts"]] == ["h", "other"]
    first = data["handouts"][0]
    assert first["approved_by"] == "Dr A. Chen, Medical Director" and first["pages"] == 1
    assert first["files"]["pdf"]["bytes"] == project.outputs("h")["pdf"].stat().st_size
    page = lxml.html.parse(str(project.output_dir / "index.html")).getroot()
    assert [th.text_content() for th in page.xpath("//tbody/tr/th")] == ["Governance", "Another"]
    assert {a.get("href") for a in page.iter("a")} == {
        f"{n}.{ext}" for n in ("h", "other") for ext in ("html", "pdf", "docx")}
    assert page.get("lang") == "en"


def test_a_bad_approver_or_grade_target_is_refused_at_its_line(tmp_path):
    for field, value, message in (("approved_by", "{role: Director}", "needs a name"),
                                  ("reading_grade_target", "40", "is not a school grade"),
                                  ("approved_on", "2027-01-01", "after the issue date")):
        project = project_with(tmp_path / field, handout(PLAIN, **{field: value}))
        result = run_build(project.root)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        line = next(n for n, t in enumerate((project.source_dir / "h.md").read_text()
                                            .split("\n"), 1) if t.startswith(field))
        assert f"h.md:{line}:" in result.stderr


def test_a_reference_listed_but_never_cited_is_a_warning_and_stops_a_release(tmp_path):
    text = handout(PLAIN + "\nSee the study [@sigtermans2009].\n", nocite='"@kirkpatrick2020"',
                   bibliography="references.bib")
    project = project_with(tmp_path, text)
    warned = [w for w in warnings_of(project) if "never cited" in w]
    assert len(warned) == 1 and "reference 2 (kirkpatrick2020) is listed" in warned[0]
    with pytest.raises(Diagnostics) as caught:
        build_document(project.source_dir / "h.md", project, strict=True)
    assert any("never cited" in str(e) for e in caught.value.errors)


def warning_codes():
    """Every code of a Diagnostic made with severity=WARNING in handouts/, read with ast.
    The importer's warnings (what a Word file could not carry over) are printed by
    `build.py import`, never by a build, so no release meets them."""
    codes = set()
    for path in (ROOT / "handouts").rglob("*.py"):
        if path.name == "importer.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Diagnostic":
                keywords = {k.arg: k.value for k in node.keywords}
                severity, code = keywords.get("severity"), keywords.get("code")
                if getattr(severity, "id", "") == "WARNING" and isinstance(code, ast.Constant):
                    codes.add(code.value)
            # A stage's own helper, warn("code", ...) (read/markdown.py).
            elif isinstance(node, ast.Call) and _name(node.func) in ("warn", "_warn") and \
                    node.args and isinstance(node.args[0], ast.Constant) and \
                    re.fullmatch(r"[a-z]+(-[a-z]+)*", str(node.args[0].value)):
                codes.add(node.args[0].value)
    return codes


def _name(func):
    return getattr(func, "id", "") or getattr(func, "attr", "")


def test_a_release_refuses_every_warning_by_its_code():
    codes = warning_codes()
    assert {"review-overdue", "reading-grade", "refused-address", "unused-footnote"} <= codes  # seen
    assert codes <= RELEASE_BLOCKING, f"not in RELEASE_BLOCKING: {sorted(codes - RELEASE_BLOCKING)}"
