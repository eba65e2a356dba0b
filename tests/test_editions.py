"""Editions from one source: `editions:` in the front matter and `::: NAME` blocks make one
document per reader, each read, written, verified and reported on its own."""

import json
import re

import docx
import lxml.html
import pypdfium2
import pytest

from conftest import MINIMAL_FRONT_MATTER, new_project, run_build
from handouts.diagnostics import Diagnostic, Diagnostics
from handouts.run.pipeline import build_handout

PATIENT, REFERRER = "ketamine-crps-patient", "ketamine-crps-referrer"
GLOSSARY = ["CRPS", "NMDA receptor", "Central sensitization", "Allodynia", "Hyperalgesia",
            "Microglia", "Dissociation", "Refractory", "Booster infusion"]


def texts(paths):
    """Each format's text as its reader gets it, white space folded."""
    page = lxml.html.parse(str(paths["html"])).getroot().find("body").text_content()
    pdf = pypdfium2.PdfDocument(str(paths["pdf"]))
    printed = " ".join(p.get_textpage().get_text_range() for p in pdf)
    pdf.close()
    word = " ".join(p.text for p in docx.Document(str(paths["docx"])).paragraphs)
    return {fmt: re.sub(r"\s+", " ", text) for fmt, text in
            (("html", page), ("pdf", printed), ("docx", word))}


@pytest.fixture(scope="module")
def editions(built):
    return {name: texts(built.outputs(name)) for name in (PATIENT, REFERRER)}


def test_the_ketamine_handout_is_written_once_per_reader(built):
    for name in (PATIENT, REFERRER):
        assert all(p.is_file() for p in built.outputs(name).values())
    assert not built.outputs("ketamine-crps")["pdf"].exists()


def test_glossary_and_questions_only_for_patients_how_to_refer_only_for_referrers(editions):
    for fmt in ("html", "pdf", "docx"):
        patient, referrer = editions[PATIENT][fmt], editions[REFERRER][fmt]
        for term in GLOSSARY:
            assert term.lower() in patient.lower(), (fmt, term)
        for heading in ("Words to know", "Questions to ask your care team"):
            assert heading in patient and heading not in referrer, (fmt, heading)
        assert "How to refer" in referrer and "How to refer" not in patient, fmt


def test_the_patient_edition_reads_at_grade_8_and_the_referrer_keeps_every_citation(built):
    report = {h["name"]: h for h in json.loads(
        (built.output_dir / "report.json").read_text())["handouts"]}
    patient, referrer = report[PATIENT], report[REFERRER]
    assert patient["audience"] == "patients" and referrer["audience"] == "clinicians"
    assert patient["reading"]["grade"] <= 8
    assert all(s["grade"] <= 8 for s in patient["reading"]["sections"])
    page = lxml.html.parse(str(built.outputs(REFERRER)["html"])).getroot()
    assert len(page.xpath("//ol[@class='references']/li")) == 3


def test_the_correction_on_record_holds_in_both_editions(editions):
    """Schwartzman 2009: daily 4-hour outpatient infusions over 10 days, not 4 days."""
    for name in (PATIENT, REFERRER):
        text = editions[name]["html"]
        assert re.search(r"Schwartzman.{0,160}?4[ -]hours?.{0,60}?10 days", text), name
        assert "4-day ketamine infusion protocol" not in text


def test_the_referrers_how_to_refer_gives_the_clinics_details_from_the_theme(tmp_path):
    project = new_project(tmp_path, {"source/h.md": MINIMAL_FRONT_MATTER.replace(
        "---\n", "---\neditions: [patient, referrer]\n", 1).replace("\n---\n", "\n---\n", 1)
        + "\n## For everyone\n\nShared text.\n\n::: referrer\n\n## How to refer\n\n"
          "{{contact}}\n\nSend a letter.\n\n:::\n"})
    theme = project.styles_dir / "theme.yaml"
    theme.write_text(theme.read_text().replace('phone: ""', 'phone: "(555) 010-0000"')
                     .replace('address: ""', 'address: "1 Example Way"'))
    assert run_build(project.root).returncode == 0
    referrer = texts(project.outputs("h-referrer"))
    patient = texts(project.outputs("h-patient"))
    for fmt in ("html", "pdf", "docx"):
        assert "Pain Medicine Practice · 1 Example Way · (555) 010-0000" in referrer[fmt]
        assert "Send a letter." in referrer[fmt] and "Send a letter." not in patient[fmt]
        assert "Shared text." in patient[fmt] and "{{" not in referrer[fmt]


EDITIONS_FRONT = MINIMAL_FRONT_MATTER.replace("---\n", "---\neditions: [patient, referrer]\n", 1)


@pytest.mark.parametrize("body, message, at", [
    ("Text.\n\n::: patient\n\nOnly for patients.\n", "the '::: patient' block is never closed",
     "::: patient"),
    ("Text.\n\n::: family\n\nFor families.\n\n:::\n",
     "'::: family' names an edition this handout does not declare", "::: family"),
    ("::: patient\n\n::: referrer\n\nText.\n\n:::\n",
     "'::: referrer' opens inside the '::: patient' block opened on line {patient}",
     "::: referrer"),
])
def test_a_broken_edition_block_stops_the_build_at_its_line(tmp_path, body, message, at):
    text = EDITIONS_FRONT + "\n" + body
    lines = {line: n for n, line in reversed(list(enumerate(text.split("\n"), 1)))}
    project = new_project(tmp_path, {"source/h.md": text})
    with pytest.raises(Diagnostic) as caught:
        build_handout(project.source_dir / "h.md", project)
    errors = caught.value.errors if isinstance(caught.value, Diagnostics) else [caught.value]
    assert (errors[0].message, errors[0].line) == (
        message.format(patient=lines.get("::: patient")), lines[at])
    assert not any(project.output_dir.glob("*.pdf"))


@pytest.mark.parametrize("value", ["[Patient]", "[patient, patient]", "[]", "{patient: kids}",
                                   "[patient-edition]"])
def test_edition_names_are_checked_in_the_front_matter(tmp_path, value):
    front = MINIMAL_FRONT_MATTER.replace("---\n", f"---\neditions: {value}\n", 1)
    project = new_project(tmp_path, {"source/h.md": front + "\nText.\n"})
    result = run_build(project.root)
    assert result.returncode == 1
    assert "source/h.md:2: " in result.stderr and "editions" in result.stderr


def test_fences_inside_code_are_text_and_a_handout_without_editions_builds_one_set(tmp_path):
    project = new_project(tmp_path, {
        "source/e.md": EDITIONS_FRONT + "\n```\n::: patient\n```\n\n::: patient\n\nP.\n\n:::\n",
        "source/plain.md": MINIMAL_FRONT_MATTER + "\nPlain.\n"})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    assert "::: patient" in project.outputs("e-patient")["html"].read_text(encoding="utf-8")
    assert sorted(p.name for p in project.output_dir.glob("*.pdf")) == [
        "e-patient.pdf", "e-referrer.pdf", "plain.pdf"]
    names = [h["name"] for h in json.loads(
        (project.output_dir / "report.json").read_text())["handouts"]]
    assert names == ["e-patient", "e-referrer", "plain"]
