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
        # Each detail on a line of its own, in order, under "How to refer"
        shown = referrer[fmt]
        assert shown.index("How to refer") < shown.index("Pain Medicine Practice", shown.index(
            "How to refer")) < shown.index("1 Example Way") < shown.index("(555) 010-0000")
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


# Editions with their own title and subtitle: `editions: {NAME: {readers, title, subtitle}}`.

OWN_TITLES_FRONT = MINIMAL_FRONT_MATTER.replace("---\n", """---
subtitle: What patients should know
short_title: Test handout
editions:
  patient:
    readers: patients
  referrer:
    readers: clinicians
    title: Referral Guide for Clinicians
    subtitle: Criteria and how to refer
""", 1)


def pdf_title_and_text(path):
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return (pdf.get_metadata_dict().get("Title", ""),
                re.sub(r"\s+", " ", " ".join(p.get_textpage().get_text_range() for p in pdf)))
    finally:
        pdf.close()


@pytest.fixture(scope="module")
def own_titles(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("own-titles"), {
        "source/h.md": OWN_TITLES_FRONT + "\n## For everyone\n\nShared text.\n\n"
                       "::: referrer\n\n## How to refer\n\nSend a letter.\n\n"
                       + "A referral letter says why the patient is referred.\n\n" * 60
                       + ":::\n"})  # two pages or more: a running header
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project


def test_an_editions_own_title_and_subtitle_are_in_all_three_formats_of_it_alone(own_titles):
    referrer, patient = own_titles.outputs("h-referrer"), own_titles.outputs("h-patient")
    page = lxml.html.parse(str(referrer["html"])).getroot()
    assert page.findtext(".//h1").strip() == "Referral Guide for Clinicians"
    assert page.findtext(".//title").strip() == "Referral Guide for Clinicians"
    assert page.xpath("string(//p[@class='subtitle'])").strip() == "Criteria and how to refer"
    pdf_title, pdf_text = pdf_title_and_text(referrer["pdf"])
    assert pdf_title == "Referral Guide for Clinicians"
    # the first page's title and subtitle, and the running header of every page after it
    pages = len(pypdfium2.PdfDocument(str(referrer["pdf"])))
    assert pages >= 2 and pdf_text.count("Referral Guide for Clinicians") == pages, pdf_text
    assert "Criteria and how to refer" in pdf_text
    word = docx.Document(str(referrer["docx"]))
    assert word.core_properties.title == "Referral Guide for Clinicians"
    assert word.core_properties.subject == "Criteria and how to refer"
    paragraphs = [(p.style.name, p.text) for p in word.paragraphs]
    assert ("Heading 1", "Referral Guide for Clinicians") in paragraphs
    assert ("Subtitle", "Criteria and how to refer") in paragraphs
    assert word.sections[0].header.paragraphs[0].text == "Referral Guide for Clinicians"
    for text in (texts(referrer)[fmt] for fmt in ("html", "pdf", "docx")):
        # the handout's title, subtitle and short title are the patient edition's only
        assert "A Test Handout" not in text and "What patients should know" not in text
        assert "Test handout" not in text
    # the patient edition keeps the handout's own
    page = lxml.html.parse(str(patient["html"])).getroot()
    assert page.findtext(".//h1").strip() == "A Test Handout"
    pdf_title, pdf_text = pdf_title_and_text(patient["pdf"])
    assert pdf_title == "A Test Handout" and "Referral Guide" not in pdf_text
    assert "What patients should know" in pdf_text
    word = docx.Document(str(patient["docx"]))
    assert word.core_properties.title == "A Test Handout"
    assert "Referral Guide" not in " ".join(p.text for p in word.paragraphs)


def test_the_catalogue_and_report_list_each_edition_under_its_own_title(own_titles):
    report = {h["name"]: h for h in json.loads(
        (own_titles.output_dir / "report.json").read_text())["handouts"]}
    assert report["h-referrer"]["title"] == "Referral Guide for Clinicians"
    assert report["h-patient"]["title"] == "A Test Handout"
    catalogue = lxml.html.parse(str(own_titles.output_dir / "index.html")).getroot()
    rows = [re.sub(r"\s+", " ", row.text_content()) for row in catalogue.iter("tr")]
    assert any("Referral Guide for Clinicians" in r and "referrer" in r for r in rows), rows
    assert any("A Test Handout" in r and "patient" in r for r in rows), rows


def test_an_edition_may_set_its_subtitle_alone_and_keep_the_handouts_title(tmp_path):
    front = MINIMAL_FRONT_MATTER.replace("---\n", "---\neditions: {patient: patients, "
                                         "referrer: {subtitle: For referring clinicians}}\n", 1)
    project = new_project(tmp_path, {"source/h.md": front + "\nText.\n"})
    assert run_build(project.root, "--html").returncode == 0
    page = lxml.html.parse(str(project.outputs("h-referrer")["html"])).getroot()
    assert page.findtext(".//h1").strip() == "A Test Handout"
    assert page.xpath("string(//p[@class='subtitle'])").strip() == "For referring clinicians"
    patient = lxml.html.parse(str(project.outputs("h-patient")["html"])).getroot()
    assert not patient.xpath("//p[@class='subtitle']")


WARNED_BODY = ("\n## For everyone\n\nShared text.\n\n::: referrer\n\n## How to refer\n\n"
               "Send a letter.\n\n[^spare]: A note no text points to.\n\n:::\n")


def test_every_warning_names_its_edition_in_the_terminal_and_the_report(tmp_path):
    text = EDITIONS_FRONT + WARNED_BODY
    line = text.split("\n").index("[^spare]: A note no text points to.") + 1
    project = new_project(tmp_path, {"source/h.md": text})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    warned = [w for w in result.stderr.splitlines() if "footnote" in w]
    assert len(warned) == 1 and f"source/h.md:{line} (referrer edition): " in warned[0], warned
    # every warning of an edition says which
    assert all("edition): " in w for w in result.stderr.splitlines()
               if w.startswith("warning: ")), result.stderr
    assert any("(patient edition): " in w for w in result.stderr.splitlines()), result.stderr
    report = {h["name"]: h for h in json.loads(
        (project.output_dir / "report.json").read_text())["handouts"]}
    assert any(f"h.md:{line} (referrer edition): " in w and "footnote" in w
               for w in report["h-referrer"]["warnings"])
    assert not any("footnote" in w for w in report["h-patient"]["warnings"])
    assert all("(referrer edition)" in w for w in report["h-referrer"]["warnings"])
    # a release refuses the first edition's warnings, naming it
    refused = run_build(project.root, "--strict")
    assert refused.returncode == 1
    errors = [e for e in refused.stderr.splitlines() if e.startswith("error: ")]
    assert errors and all("(patient edition): " in e for e in errors), refused.stderr
    assert any("h.md (patient edition): no approver on record" in e for e in errors)


def test_a_handout_without_editions_names_none_in_its_warnings(tmp_path):
    text = MINIMAL_FRONT_MATTER + WARNED_BODY.replace("::: referrer\n", "").replace(":::\n", "")
    line = text.split("\n").index("[^spare]: A note no text points to.") + 1
    project = new_project(tmp_path, {"source/h.md": text})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    assert "edition)" not in result.stderr
    assert any(f"h.md:{line}: " in w and "footnote" in w
               for w in result.stderr.splitlines()), result.stderr


@pytest.mark.parametrize("typed, meant", [("patients", "patient"), ("refferrer", "referrer"),
                                          ("patinet", "patient"), ("refrrer", "referrer")])
def test_a_block_one_letter_from_a_declared_edition_suggests_it(tmp_path, typed, meant):
    text = EDITIONS_FRONT + f"\nText.\n\n::: {typed}\n\nFor one reader.\n\n:::\n"
    project = new_project(tmp_path, {"source/h.md": text})
    result = run_build(project.root)
    assert result.returncode == 1
    line = text.split("\n").index(f"::: {typed}") + 1
    assert f"source/h.md:{line}: '::: {typed}' names an edition this handout does not " \
           f"declare; did you mean '::: {meant}'?" in result.stderr, result.stderr
    assert "declare it" not in result.stderr


@pytest.mark.parametrize("editions_yaml, key, message", [
    ("editions:\n  patient: patients\n  referrer:\n    readers: clinicians\n"
     "    titel: Referral guide\n", "    titel: Referral guide",
     "the 'referrer' edition has an unknown field 'titel'"),
    ("editions:\n  referrer:\n    readers: doctors\n", "    readers: doctors",
     "the 'referrer' edition's readers are not patients or clinicians"),
    ("editions:\n  referrer:\n    readers: clinicians\n    title: ''\n", "    title: ''",
     "the 'referrer' edition's title is empty"),
    ("editions:\n  referrer:\n    subtitle: [a, b]\n", "    subtitle: [a, b]",
     "the 'referrer' edition's subtitle is not text"),
    ("editions:\n  referrer:\n    title: " + "x" * 301 + "\n", "    title: " + "x" * 301,
     "the 'referrer' edition's title is longer than 300 characters"),
    ("editions:\n  referrer: {readers: clinicians, title: \"\\x07\"}\n",
     "  referrer: {readers: clinicians, title: \"\\x07\"}",
     "the 'referrer' edition's title contains a control character"),
    ("editions: {patient: patients, referrer: {readers: clinicians, colour: red}}\n",
     "editions: {patient: patients, referrer: {readers: clinicians, colour: red}}",
     "the 'referrer' edition has an unknown field 'colour'"),
])
def test_bad_edition_fields_are_refused_at_their_line(tmp_path, editions_yaml, key, message):
    text = MINIMAL_FRONT_MATTER.replace("bibliography: references.bib\n",
                                        "bibliography: references.bib\n" + editions_yaml)
    text += "\nText.\n"
    line = text.split("\n").index(key) + 1
    project = new_project(tmp_path, {"source/h.md": text})
    result = run_build(project.root)
    assert result.returncode == 1
    errors = [e for e in result.stderr.splitlines() if "h.md" in e]
    assert len(errors) == 1 and f"source/h.md:{line}: {message}; " in errors[0], result.stderr


def test_a_warning_two_editions_share_names_each_its_own(tmp_path):
    from handouts.diagnostics import WARNING
    from handouts.read import editions as edition_module
    from handouts.read.front_matter import load
    project = new_project(tmp_path, {"source/h.md": EDITIONS_FRONT + "\nText.\n"})
    patient, referrer = edition_module.documents(load(project.source_dir / "h.md"))
    shared = Diagnostic(project.source_dir / "h.md", "a warning", "do this", 3,
                        code="no-approver", severity=WARNING)
    [for_patient] = edition_module.named(patient, [shared])
    [for_referrer] = edition_module.named(referrer, [shared])
    assert (for_patient.edition, for_referrer.edition) == ("patient", "referrer")
    assert str(for_patient).endswith("h.md:3 (patient edition): a warning; do this")
    assert str(for_referrer.as_error()).endswith(
        "h.md:3 (referrer edition): a warning; do this (a release build allows no warnings: "
        "no-approver)")
