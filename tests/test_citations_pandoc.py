"""Our citations and reference lists against `pandoc --citeproc` itself, read back out of
the three files the build writes: a handout citing real entries (the ketamine studies, a
biblatex file with accents, places, dates and a corporate author) in every Pandoc form, in
AMA, APA, Vancouver, Chicago author-date and Chicago notes, and the same Markdown body run
through the pandoc binary the build uses (pypandoc-binary's) with the same files and CSL.

Forgiven: only the project's deliberate differences, each named with its rule (a narrative
citation in a numeric style names the authors, particles stay with the surname in AMA and
Vancouver); this body has no narrative citation in a numeric style, so only the particle
is put back in Pandoc's text before comparing."""

import re
import subprocess

import lxml.html
import pytest

from conftest import ROOT, new_project
from handouts.check import docx as check_docx, pdf as check_pdf
from handouts.cite import engine
from handouts.cite.format import load_style
from handouts.read.front_matter import load
from handouts.run.pipeline import build_document

BIBS = {"references.bib": (ROOT / "source" / "references.bib").read_text(encoding="utf-8"),
        "biblatex.bib": (ROOT / "tests" / "corpus" / "bibliographies" / "biblatex.bib"
                         ).read_text(encoding="utf-8")}
BODY = """## Studies

Infusions helped [@sigtermans2009, p. 306].

Outpatient care worked too [see @schwartzman2009; @kirkpatrick2020, pp. 516-518].

Older texts agree [@averroes, chap. 2; @hjort2021].

Guidance exists [@iasp2022] and more [@kirkpatrick2020, fig. 2].

As Schwartzman found [-@schwartzman2009], in time [@sigtermans2009].
"""
NARRATIVE = "\n@hjort2021 showed it, and @averroes [p. 12] before.\n"
STYLES = {  # name in the handout -> (numeric, particles kept, note style)
    "ama": (True, True, False),
    "apa": (False, False, False),
    "vancouver": (True, True, False),
    "chicago": (False, False, False),
    "chicago-note": (False, False, True),
}


def squash(text):
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def pandoc_html(project, body, style_path):
    """Pandoc's own page for the body: paragraphs, entries and notes as text."""
    command = [str(engine.pandoc_path()), "-f", "markdown", "-t", "html", "--citeproc",
               "--csl", str(style_path), "-M", "lang=en", "--wrap=none",
               "--bibliography", "references.bib", "--bibliography", "biblatex.bib"]
    html = subprocess.run(command, input=body, capture_output=True, text=True, check=True,
                          cwd=project.source_dir).stdout
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for margin in root.xpath("//*[contains(@class, 'csl-left-margin')]"):
        margin.getparent().remove(margin)
    for back in root.xpath("//a[contains(@class, 'footnote-back')]"):
        back.getparent().remove(back)
    paragraphs = [squash(p.text_content()) for p in root.xpath("./p")]
    entries = [squash(e.text_content()) for e in root.xpath("//div[@id='refs']/div")]
    notes = [squash(li.text_content()) for li in root.xpath("//section[@id='footnotes']//li")]
    return paragraphs, entries, notes


def ours(project):
    """Our three files: the page's paragraphs, entries and notes; Word's and the PDF's text
    and notes as the build's own verification reads them back."""
    paths = project.outputs("c")
    page = lxml.html.parse(str(paths["html"])).getroot()
    for back in page.xpath("//a[contains(@class, 'back-link')]"
                           "|//a[contains(@class, 'footnote-back')]"):
        back.drop_tree()
    html = {"paragraphs": [squash(p.text_content()) for p in page.xpath("//main//p")],
            "entries": [squash(li.text_content()) for li in
                        page.xpath("//*[@class='references']/li")],
            "notes": [squash(li.text_content()) for li in
                      page.xpath("//*[contains(@class, 'footnote')]//li")]}
    word = check_docx.read(paths["docx"])
    printed = check_pdf.read(paths["pdf"])
    return (html, {"text": squash(word.text), "notes": squash(word.notes or word.text)},
            squash(printed.text + " " + (printed.notes or "")))


def particles_kept(text):
    """Pandoc's 'Hilten JJ van' as the project prints it: 'van Hilten JJ' (AMA 3.15.2)."""
    return text.replace("Hilten JJ van", "van Hilten JJ")


def no_space(text):
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("csl", STYLES)
def test_entries_and_citations_are_pandocs_in_every_format(tmp_path, csl):
    numeric, particles, note = STYLES[csl]
    text = ('---\ntitle: Citations\nlang: en\nversion: "1"\ndate: 2026-01-01\n'
            "review_due: 2027-01-01\nbibliography: [references.bib, biblatex.bib]\n"
            f"csl: {csl}\n---\n\n{BODY}")
    project = new_project(tmp_path, {"source/c.md": text, **{f"source/{n}": t
                                                             for n, t in BIBS.items()}})
    build_document(project.source_dir / "c.md", project)  # verifies its own outputs too
    style = load_style(load(project.source_dir / "c.md"), project.source_dir)
    assert style.note == note and style.numeric == numeric
    paragraphs, entries, notes = pandoc_html(project, BODY, style.path)
    if particles:
        entries = [particles_kept(e) for e in entries]
        notes = [particles_kept(n) for n in notes]
    html, word, pdf = ours(project)
    assert len(entries) == 6
    assert html["entries"] == entries
    assert html["paragraphs"][:len(paragraphs)] == paragraphs
    if note:
        assert len(notes) == 7 and html["notes"][:len(notes)] == notes
    for entry in entries:
        assert no_space(entry) in no_space(word["text"]), entry
        assert no_space(entry) in no_space(pdf), entry
    for paragraph in paragraphs:
        assert no_space(paragraph) in no_space(word["text"]), paragraph
        assert no_space(paragraph) in no_space(pdf), paragraph
    for footnote in notes:
        assert no_space(footnote) in no_space(word["notes"]), footnote
        assert no_space(footnote) in no_space(pdf), footnote


@pytest.mark.parametrize("csl", ["apa", "chicago"])
def test_narrative_citations_in_author_date_styles_are_pandocs(tmp_path, csl):
    text = ('---\ntitle: Citations\nlang: en\nversion: "1"\ndate: 2026-01-01\n'
            "review_due: 2027-01-01\nbibliography: [references.bib, biblatex.bib]\n"
            f"csl: {csl}\n---\n\n## Studies\n{NARRATIVE}")
    project = new_project(tmp_path, {"source/c.md": text, **{f"source/{n}": t
                                                             for n, t in BIBS.items()}})
    build_document(project.source_dir / "c.md", project)
    style = load_style(load(project.source_dir / "c.md"), project.source_dir)
    paragraphs, _, _ = pandoc_html(project, NARRATIVE, style.path)
    html, word, pdf = ours(project)
    assert html["paragraphs"] == paragraphs
    assert no_space(paragraphs[0]) in no_space(word["text"]) and \
        no_space(paragraphs[0]) in no_space(pdf)
