"""Referral details (issue 24, part 2): the theme's referral phone, fax, secure e-mail,
e-referral address and hours, printed for clinicians in the contact panel and in
{{contact}}, in all three formats; a clinicians' edition without a way to refer warns, so
a release fails; and the details are printed once, never by both {{contact}} and the panel.
Everything is read back out of the files the build wrote."""

import docx
import lxml.html
import pypdf
import pytest
import yaml

from conftest import new_project, run_build

HEADER = """\
---
title: Nerve blocks
lang: en
version: "1.0"
date: 2026-11-01
review_due: 2027-11-01
approved_by: {{name: Dr A. Chen, role: Medical Director}}
approved_on: 2026-11-01
{extra}
---
"""
# A referrer edition whose "How to refer" holds {{contact}}; the patient edition does not.
EDITIONS = HEADER.format(extra="editions: {patient: patients, referrer: clinicians}") + """
## What to do next

Call us if you have a question.

::: referrer
## How to refer

Send us a letter with the patient's details.

{{contact}}
:::
"""
# A handout for clinicians with no {{contact}}: the panel carries the details.
CLINICIANS = HEADER.format(extra="audience: clinicians") + """
## How to refer

Send us a letter with the patient's details.
"""
DETAILS = {"address": "1 Example Way, Springfield", "phone": "(555) 010-0000",
           "website": "clinic.example.org", "hours": "Monday to Friday, 8 am to 5 pm"}
REFERRAL = {"referral_phone": "(555) 010-0001", "fax": "(555) 010-0002",
            "referral_email": "referrals@clinic.example.org",
            "referral_address": "Springfield e-Referral Service"}
# As the build labels each line for clinicians (handouts/messages/en.yaml).
PRINTED = ["Referrals by phone: (555) 010-0001", "Referrals by fax: (555) 010-0002",
           "Referrals by secure e-mail: referrals@clinic.example.org",
           "Send referrals to: Springfield e-Referral Service",
           "Hours: Monday to Friday, 8 am to 5 pm"]
NO_ROUTE = "no referral phone, fax, secure e-mail or e-referral address"


def project_with(tmp_path, organisation, files):
    project = new_project(tmp_path, files)
    path = project.styles_dir / "theme.yaml"
    theme = yaml.safe_load(path.read_text())
    theme["organisation"].update(organisation)
    path.write_text(yaml.safe_dump(theme))
    return project


def pdf_pages(path):
    return [page.extract_text() for page in pypdf.PdfReader(str(path)).pages]


def docx_text(path):
    word = docx.Document(str(path))
    cells = [p.text for t in word.tables for row in t.rows for c in row.cells
             for p in c.paragraphs]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def html_text(path):
    """The page's text as a reader sees it on screen (the footer's name included)."""
    return lxml.html.fromstring(path.read_bytes()).text_content()


def unbroken(text):
    """PDF text with its line breaks taken out: a long line may wrap."""
    return " ".join(text.split())


def test_a_referrer_edition_without_referral_details_warns_and_a_release_fails(tmp_path):
    project = project_with(tmp_path, DETAILS, {"source/refer.md": EDITIONS})
    draft = run_build(project.root, "source/refer.md")
    assert draft.returncode == 0, draft.stderr
    # Once, for the referrer edition: the patient edition has no use for a fax number.
    assert draft.stderr.count(NO_ROUTE) == 1, draft.stderr
    assert "referrer edition" in next(line for line in draft.stderr.splitlines()
                                      if NO_ROUTE in line)
    release = run_build(project.root, "--strict", "source/refer.md")
    assert release.returncode != 0
    assert NO_ROUTE in release.stderr and "release build allows no warnings" in release.stderr


def test_with_referral_details_a_release_passes(tmp_path):
    project = project_with(tmp_path, {**DETAILS, **REFERRAL}, {"source/refer.md": EDITIONS})
    release = run_build(project.root, "--strict", "source/refer.md")
    assert release.returncode == 0, release.stderr
    assert NO_ROUTE not in release.stderr


@pytest.mark.parametrize("route", sorted(REFERRAL))
def test_any_one_way_to_refer_is_enough(tmp_path, route):
    project = project_with(tmp_path, {**DETAILS, route: REFERRAL[route]},
                           {"source/refer.md": EDITIONS})
    result = run_build(project.root, "--strict", "source/refer.md")
    assert result.returncode == 0, result.stderr


def test_referral_details_are_read_back_out_of_all_three_formats(tmp_path):
    """In {{contact}} (the referrer edition) and in the panel (a clinicians' handout without
    {{contact}}); the patient edition gets the clinic's details and hours, not the fax."""
    project = project_with(tmp_path, {**DETAILS, **REFERRAL},
                           {"source/refer.md": EDITIONS, "source/clinicians.md": CLINICIANS})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    for name in ("refer-referrer", "clinicians"):
        outputs = project.outputs(name)
        texts = {"html": html_text(outputs["html"]),
                 "pdf": unbroken("\n".join(pdf_pages(outputs["pdf"]))),
                 "docx": docx_text(outputs["docx"])}
        for fmt, text in texts.items():
            for line in PRINTED + ["1 Example Way, Springfield"]:
                assert line in text, (name, fmt, line)
    # {{contact}}: each detail on a line of its own, as in the panel.
    referrer = project.outputs("refer-referrer")
    word = docx.Document(str(referrer["docx"]))
    held = next(p.text for p in word.paragraphs if "Referrals by fax" in p.text)
    assert held.split("\n") == ["Pain Medicine Practice", "1 Example Way, Springfield",
                                 "(555) 010-0000", PRINTED[-1], "clinic.example.org",
                                 *PRINTED[:-1]]
    pdf_lines = [line.strip() for page in pdf_pages(referrer["pdf"])
                 for line in page.splitlines()]
    assert set(PRINTED) <= set(pdf_lines)
    page = lxml.html.fromstring(referrer["html"].read_bytes())
    held = next(p for p in page.iter("p") if "Referrals by fax" in p.text_content())
    assert len(held.findall("br")) == len(PRINTED) + 3
    panel = lxml.html.fromstring(project.outputs("clinicians")["html"].read_bytes())
    assert set(PRINTED) <= {p.text_content() for p in panel.find_class("contact")[0]}
    patient = project.outputs("refer-patient")
    for text in (html_text(patient["html"]), unbroken("".join(pdf_pages(patient["pdf"]))),
                 docx_text(patient["docx"])):
        assert "(555) 010-0000" in text and "Hours: Monday to Friday" in text
        assert "(555) 010-0002" not in text and "Referrals by" not in text


@pytest.mark.parametrize("name", ["refer-referrer", "refer-patient", "clinicians"])
def test_the_contact_details_are_printed_once(tmp_path, name):
    """{{contact}} and the 'Contact us' panel never both: the phone number once on each PDF
    page and in the whole Word file and web page; no panel where the text holds them."""
    project = project_with(tmp_path, {**DETAILS, **REFERRAL},
                           {"source/refer.md": EDITIONS, "source/clinicians.md": CLINICIANS})
    result = run_build(project.root, f"source/{name.split('-')[0]}.md")
    assert result.returncode == 0, result.stderr
    outputs = project.outputs(name)
    pages = pdf_pages(outputs["pdf"])
    assert [unbroken(page).count("(555) 010-0000") for page in pages].count(1) == 1
    assert all(unbroken(page).count("(555) 010-0000") <= 1 for page in pages)
    assert sum(unbroken(page).count("(555) 010-0002") for page in pages) == (
        0 if name == "refer-patient" else 1)
    assert docx_text(outputs["docx"]).count("(555) 010-0000") == 1
    assert docx_text(outputs["docx"]).count("1 Example Way") == 1
    assert html_text(outputs["html"]).count("(555) 010-0000") == 1
    # The panel, with its heading, only where the text does not hold the details.
    panel = name != "refer-referrer"
    assert ("Contact us" in docx_text(outputs["docx"])) == panel
    assert ("Contact us" in unbroken("".join(pages))) == panel
    assert bool(lxml.html.fromstring(outputs["html"].read_bytes())
                .find_class("contact-panel")) == panel


def test_the_clinics_name_is_not_repeated_after_contact_without_details(tmp_path):
    """The shipped theme: {{contact}} prints the name alone; nothing prints it again at the
    end of the Word file or the PDF (the web page's footer shows it on screen only)."""
    project = new_project(tmp_path, {"source/refer.md": EDITIONS})
    result = run_build(project.root, "source/refer.md")
    assert result.returncode == 0, result.stderr
    outputs = project.outputs("refer-referrer")
    word = docx.Document(str(outputs["docx"]))
    texts = [p.text for p in word.paragraphs if p.text.strip()]
    assert texts[-1] == "Pain Medicine Practice" and "Contact" not in [
        p.style.name for p in word.paragraphs]
    assert sum(t.count("Pain Medicine Practice") for t in texts) == 2  # masthead, text
    pdf = unbroken("".join(pdf_pages(outputs["pdf"])))
    assert pdf.lower().count("pain medicine practice") == 2  # masthead (in capitals), text
    footer = lxml.html.fromstring(outputs["html"].read_bytes()).find(".//footer")
    assert "screen-only" in footer.get("class")


def test_a_referral_email_that_is_not_an_address_is_refused_at_its_line(tmp_path):
    project = project_with(tmp_path, {"referral_email": "referrals at clinic"},
                           {"source/refer.md": EDITIONS})
    result = run_build(project.root, "source/refer.md")
    assert result.returncode != 0
    lines = (project.styles_dir / "theme.yaml").read_text().splitlines()
    number = next(n for n, line in enumerate(lines, 1) if "referral_email" in line)
    assert f"theme.yaml:{number}: 'referral_email: referrals at clinic' is not an e-mail" \
        in result.stderr


def test_referral_details_in_contact_are_text_never_markup(tmp_path):
    """A value holding markup is printed as written, each on its own line, in {{contact}}
    as in the panel: no element is added to the page."""
    hostile = "<script>alert(1)</script> *ward* [x](https://evil.example) #3"
    project = project_with(tmp_path, {**DETAILS, "referral_address": hostile},
                           {"source/refer.md": EDITIONS})
    result = run_build(project.root, "source/refer.md")
    assert result.returncode == 0, result.stderr
    outputs = project.outputs("refer-referrer")
    page = lxml.html.fromstring(outputs["html"].read_bytes())
    assert not page.findall(".//script") and not page.xpath("//a[contains(@href, 'evil')]")
    assert f"Send referrals to: {hostile}" in html_text(outputs["html"])
    assert f"Send referrals to: {hostile}" in docx_text(outputs["docx"]).split("\n")
