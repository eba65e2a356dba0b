"""Page furniture in the reader's language: one message file per language, chosen by the
handout's `lang`; English where there is none."""

import docx
import lxml.html
import pypdf
import pytest

from conftest import new_project
from handouts.messages import catalogue
from handouts.pipeline import build_document

SPANISH = """\
---
title: Ketamina intravenosa
lang: {lang}
version: "1.0"
date: 2026-01-15
review_due: 2027-01-15
bibliography: references.bib
---

## Qué es

Un tratamiento para el dolor.[@sigtermans2009]
"""


@pytest.mark.parametrize("lang", ["es", "es-419"])
def test_a_spanish_handout_prints_its_page_furniture_in_spanish(tmp_path, lang):
    project = new_project(tmp_path, {"source/k.md": SPANISH.format(lang=lang)})
    build_document(project.source_dir / "k.md", project)
    paths = project.outputs("k")
    control = ("Versión 1.0 · Publicado el 15 de enero de 2026 · "
               "Revisión prevista el 15 de enero de 2027")
    page = lxml.html.parse(str(paths["html"])).getroot()
    assert control in page.text_content() and page.get_element_by_id("references").text == \
        "Referencias"
    pdf = pypdf.PdfReader(str(paths["pdf"])).pages[0].extract_text()
    assert control in pdf.replace("\n", " ") and "Página 1 de 1" in pdf and "Referencias" in pdf
    word = docx.Document(str(paths["docx"]))
    footer = word.sections[0].footer.paragraphs[0].text  # the page numbers are fields
    assert footer.startswith(control + "\tPágina ") and " de " in footer
    assert "Referencias" in [p.text for p in word.paragraphs if p.style.name == "Heading 2"]


def test_a_language_without_a_message_file_falls_back_to_english():
    assert catalogue("de")("page", page=1, pages=2) == "Page 1 of 2"
    assert catalogue("ES-MX")("references") == "Referencias"


def test_every_message_file_has_every_message():
    english = catalogue("en").texts
    from handouts.messages import FOLDER
    for path in FOLDER.glob("*.yaml"):
        messages = catalogue(path.stem).texts
        assert set(messages) == set(english), path.name
        assert len(messages["months"]) == 12, path.name


def test_the_citation_style_speaks_the_handouts_language(tmp_path):
    from handouts import model as m
    from handouts.pipeline import render_document
    from conftest import ROOT
    bib = (ROOT / "tests" / "corpus" / "bibliographies" / "zotero.bib").read_text()
    text = SPANISH.format(lang="es").replace("references.bib", "zotero.bib").replace(
        "[@sigtermans2009]", "[@csaci_oit_2023]")
    project = new_project(tmp_path, {"source/k.md": text, "source/zotero.bib": bib})
    rendered = render_document(project.source_dir / "k.md", project)
    references = next(b for b in rendered.document.blocks if isinstance(b, m.References))
    assert "Accedido 1 de mayo de 2023" in m.inline_text(references.entries[0].children)
